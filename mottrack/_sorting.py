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


@njit
def stable_argsort(keys):
    """Indices (int64) that sort the 1-D ``keys`` ascending, equal keys in index order:
    ``np.argsort(keys, kind="stable")`` for keys without NaN (a bottom-up merge sort)."""
    n = keys.shape[0]
    idx = np.empty(n, np.int64)
    for i in range(n):
        idx[i] = i
    tmp = np.empty(n, np.int64)
    width = 1
    while width < n:
        lo = 0
        while lo < n:
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a = lo
            b = mid
            k = lo
            while a < mid and b < hi:
                if keys[idx[b]] < keys[idx[a]]:
                    tmp[k] = idx[b]
                    b += 1
                else:
                    tmp[k] = idx[a]
                    a += 1
                k += 1
            while a < mid:
                tmp[k] = idx[a]
                a += 1
                k += 1
            while b < hi:
                tmp[k] = idx[b]
                b += 1
                k += 1
            lo = hi
        idx, tmp = tmp, idx
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
