"""Sorting and searching as small compiled loops.

numba's own ``np.argsort`` / ``np.sort`` / ``np.searchsorted`` pull a large generic
implementation into every kernel that calls them (seconds of compile time each, on
every first run into an empty cache); these loops do the same job for the kernels'
needs in a fraction of that, with the same results.
"""
from __future__ import annotations

import numpy as np

from ._numba import njit

__all__ = ["stable_argsort", "lower_bound"]


_RUN = 16  # stable_argsort: runs of this length are insertion-sorted before merging


@njit
def stable_argsort(keys):
    """Indices (int64) that sort the 1-D ``keys`` ascending, equal keys in index order:
    ``np.argsort(keys, kind="stable")`` for keys without NaN.  Runs of 16 are
    insertion-sorted, then merged bottom-up; keys travel with their indices (no
    indirect loads in the inner loops)."""
    n = keys.shape[0]
    idx = np.empty(n, np.int64)
    k = np.empty(n, keys.dtype)
    for lo in range(0, n, _RUN):
        hi = min(lo + _RUN, n)
        for i in range(lo, hi):
            v = keys[i]
            j = i - 1
            while j >= lo and k[j] > v:  # strict: equal keys keep index order
                k[j + 1] = k[j]
                idx[j + 1] = idx[j]
                j -= 1
            k[j + 1] = v
            idx[j + 1] = i
    if n <= _RUN:
        return idx
    tk = np.empty(n, keys.dtype)
    ti = np.empty(n, np.int64)
    width = _RUN
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a = lo
            b = mid
            o = lo
            while a < mid and b < hi:
                if k[b] < k[a]:
                    tk[o] = k[b]
                    ti[o] = idx[b]
                    b += 1
                else:
                    tk[o] = k[a]
                    ti[o] = idx[a]
                    a += 1
                o += 1
            while a < mid:
                tk[o] = k[a]
                ti[o] = idx[a]
                a += 1
                o += 1
            while b < hi:
                tk[o] = k[b]
                ti[o] = idx[b]
                b += 1
                o += 1
        k, tk = tk, k
        idx, ti = ti, idx
        width *= 2
    return idx


@njit
def lower_bound(a, x):
    """The first index ``i`` with ``a[i] >= x`` in the ascending 1-D ``a`` (``len(a)`` if
    none): ``np.searchsorted(a, x, side="left")`` for ``a`` and ``x`` without NaN."""
    lo = 0
    hi = a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
