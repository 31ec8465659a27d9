"""Rectangular linear sum assignment, compiled, with SciPy's exact tie-breaking.

TrackEval solves every per-frame matching with :func:`scipy.optimize.linear_sum_assignment`.
When several assignments are optimal (identical boxes, scores clipped to zero) *which* one
is returned decides identity switches and fragmentations, so an evaluator that must agree
with TrackEval to the last count has to return the very same assignment.  This module
implements the same algorithm as SciPy (>= 1.4): the shortest augmenting path method of
Crouse (IEEE TAES 52(4), 2016, pp. 1685-1686) with columns scanned in reverse order,
ties resolved in favour of unassigned columns, and wide-matrix transposition.  Being a
Numba kernel it can be called inside the per-frame loops of the metric kernels without
returning to Python.  ``tests/test_metrics.py`` checks it against SciPy on tie-heavy
matrices.
"""
from __future__ import annotations

import numpy as np

from ..._numba import njit

__all__ = ["lsa"]


@njit
def _solve_wide(cost):
    """Solve a cost matrix with ``nr <= nc``; returns ``col4row`` (nr,), int64."""
    nr, nc = cost.shape
    u = np.zeros(nr)
    v = np.zeros(nc)
    spc = np.empty(nc)  # shortest path cost to each column
    path = np.full(nc, -1, np.int64)
    col4row = np.full(nr, -1, np.int64)
    row4col = np.full(nc, -1, np.int64)
    in_sr = np.zeros(nr, np.bool_)
    in_sc = np.zeros(nc, np.bool_)
    todo = np.empty(nc, np.int64)
    for cur in range(nr):
        # --- shortest augmenting path from row `cur`
        for k in range(nc):
            todo[k] = nc - 1 - k
            spc[k] = np.inf
            in_sc[k] = False
        for k in range(nr):
            in_sr[k] = False
        n_todo = nc
        min_val = 0.0
        i = cur
        sink = -1
        while sink == -1:
            best = -1
            lowest = np.inf
            in_sr[i] = True
            for k in range(n_todo):
                j = todo[k]
                r = min_val + cost[i, j] - u[i] - v[j]
                if r < spc[j]:
                    path[j] = i
                    spc[j] = r
                if spc[j] < lowest or (spc[j] == lowest and row4col[j] == -1):
                    lowest = spc[j]
                    best = k
            min_val = lowest
            if min_val == np.inf:
                return col4row, False
            j = todo[best]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            in_sc[j] = True
            n_todo -= 1
            todo[best] = todo[n_todo]
        # --- dual update
        u[cur] += min_val
        for r_ in range(nr):
            if in_sr[r_] and r_ != cur:
                u[r_] += min_val - spc[col4row[r_]]
        for c_ in range(nc):
            if in_sc[c_]:
                v[c_] -= min_val - spc[c_]
        # --- augment along the path
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            tmp = col4row[i]
            col4row[i] = j
            j = tmp
            if i == cur:
                break
    return col4row, True


@njit
def lsa(cost):
    """Minimum-cost assignment of a dense cost matrix, identical to SciPy's.

    Parameters
    ----------
    cost : ndarray, shape (n_rows, n_cols), float64
        Cost of assigning row ``i`` to column ``j``; no NaN or ``-inf``.

    Returns
    -------
    rows, cols : ndarray, shape (min(n_rows, n_cols),), int64
        Matched pairs, sorted by row, exactly as
        ``scipy.optimize.linear_sum_assignment(cost)`` returns them (same pairs when
        several assignments are optimal).

    Raises
    ------
    ValueError
        If the matrix is infeasible (all costs ``+inf`` along some row).
    """
    nr, nc = cost.shape
    if nr == 0 or nc == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if nc < nr:
        col4row, ok = _solve_wide(np.ascontiguousarray(cost.T))
        if not ok:
            raise ValueError("cost matrix is infeasible")
        # col4row maps original columns -> original rows; report sorted by row
        order = np.argsort(col4row)
        return col4row[order].astype(np.int64), order.astype(np.int64)
    col4row, ok = _solve_wide(np.ascontiguousarray(cost))
    if not ok:
        raise ValueError("cost matrix is infeasible")
    return np.arange(nr).astype(np.int64), col4row
