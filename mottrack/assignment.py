"""Linear assignment with a cost limit.

``assign(cost, max_cost)`` is the one entry point for dense problems: it pairs rows
and columns so as to minimise the total cost of the pairs plus ``max_cost / 2`` for
every row and column left unpaired, which is the same as maximising
``sum(max_cost - cost[i, j])`` over the chosen pairs; a pair is only ever chosen if
``cost[i, j] < max_cost``.  It is solved by ``lap.lapjv`` (``extend_cost``,
``cost_limit``) when lap is installed, else ``scipy.optimize.linear_sum_assignment``, else
the compiled solvers below (both optional; imported on first use).

The trackers' per-frame problems are small (a handful of tracks) and sparse (a box
overlaps few others), where the Python wrappers of those solvers dominate the cost.
They therefore use :func:`max_weight_matching`, a compiled shortest-augmenting-path
solver that splits the problem into connected components first.

:func:`linear_sum_assignment` is the compiled dense solver: SciPy's algorithm (Crouse's
shortest augmenting path, columns scanned in reverse order, ties resolved in favour of
unassigned columns, wide-matrix transposition), so it returns the very same assignment
as ``scipy.optimize.linear_sum_assignment`` even when several are optimal.  The
evaluator relies on that to agree with TrackEval to the last count.
"""
from __future__ import annotations

import math
import functools
import importlib
from typing import Tuple

import numpy as np

from ._numba import njit
from ._sorting import stable_argsort

__all__ = ["assign", "max_weight_matching", "match_edges", "linear_sum_assignment"]

@functools.lru_cache(maxsize=None)
def _optional(name: str):
    """The optional solver module ``name`` ("lap" or "scipy.optimize"), or None; imported on
    first use (the import is idempotent, so the cache holds no state that changes results)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _split(n: int, m: int, rows: np.ndarray, cols: np.ndarray):
    matched_r = np.zeros(n, bool)
    matched_c = np.zeros(m, bool)
    matched_r[rows] = True
    matched_c[cols] = True
    matches = np.stack([rows, cols], axis=1).astype(np.int64).reshape(-1, 2)
    return matches, np.flatnonzero(~matched_r), np.flatnonzero(~matched_c)


def assign(cost, max_cost: float = math.inf, *, backend: str = "auto"
           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve a rectangular assignment problem with a cost limit.

    Parameters
    ----------
    cost : array_like, shape (N, M)
        Pair costs.  ``inf`` / NaN-free; use a value >= ``max_cost`` to forbid a pair.
    max_cost : float
        Pairs with ``cost >= max_cost`` are never chosen; each unpaired row or column
        costs ``max_cost / 2``.  With ``inf`` every row (or column, if fewer) is paired.
    backend : {"auto", "lap", "scipy", "compiled"}
        ``auto`` uses lap when installed, else scipy, else the compiled solvers.

    Returns
    -------
    matches : int64 array, shape (K, 2)
        (row, column) pairs, sorted by row.
    unmatched_rows : int64 array
    unmatched_cols : int64 array
    """
    raw = np.asarray(cost)
    if raw.dtype.kind not in "fiu":
        raise TypeError(f"cost: expected a real numeric matrix, got dtype {raw.dtype}")
    c = np.asarray(raw, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost: expected a 2-D (N, M) matrix; got shape {c.shape}")
    if np.isnan(c).any():
        raise ValueError("cost: contains NaN; use a value >= max_cost to forbid a pair")
    if np.isneginf(c).any():
        raise ValueError("cost: contains -inf; expected finite costs (or +inf to forbid a pair)")
    if isinstance(max_cost, (bool, np.bool_)) or not isinstance(max_cost, (int, float, np.integer, np.floating)):
        raise TypeError(f"max_cost: expected a number or inf; got {type(max_cost).__name__}")
    max_cost = float(max_cost)
    if math.isnan(max_cost):
        raise ValueError("max_cost: expected a number or inf; got nan")
    n, m = c.shape
    if n == 0 or m == 0:
        return np.empty((0, 2), np.int64), np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64)
    if backend == "auto":
        backend = ("lap" if _optional("lap") is not None
                   else "scipy" if _optional("scipy.optimize") is not None else "compiled")
    if backend == "lap":
        _lap = _optional("lap")
        if _lap is None:
            raise ValueError("backend: 'lap' is not installed")
        if math.isinf(max_cost):
            if np.isinf(c).any():
                raise ValueError("cost: inf entries need a finite max_cost")
            _, x, _ = _lap.lapjv(c, extend_cost=True)
        else:
            _, x, _ = _lap.lapjv(c, extend_cost=True, cost_limit=max_cost)
        rows = np.flatnonzero(x >= 0)
        cols = x[rows]
        keep = c[rows, cols] < max_cost
        return _split(n, m, rows[keep], cols[keep])
    if backend == "scipy":
        if _optional("scipy.optimize") is None:
            raise ValueError("backend: 'scipy' is not installed")
        scipy_lsa = _optional("scipy.optimize").linear_sum_assignment
        if math.isinf(max_cost):
            if np.isinf(c).any():
                raise ValueError("cost: inf entries need a finite max_cost")
            rows, cols = scipy_lsa(c)
            return _split(n, m, rows.astype(np.int64), cols.astype(np.int64))
        # The same extended problem lap solves: dummy rows/columns at max_cost / 2.
        big = max_cost * 2.0 + 1.0 + float(np.abs(np.where(np.isfinite(c), c, 0)).sum())
        ext = np.full((n + m, n + m), big)
        ext[:n, :m] = np.where(c < max_cost, c, big)
        ext[np.arange(n), m + np.arange(n)] = max_cost / 2.0
        ext[n + np.arange(m), np.arange(m)] = max_cost / 2.0
        ext[n:, m:] = 0.0
        rows, cols = scipy_lsa(ext)
        keep = (rows < n) & (cols < m)
        rows, cols = rows[keep], cols[keep]
        keep = c[rows, cols] < max_cost
        return _split(n, m, rows[keep].astype(np.int64), cols[keep].astype(np.int64))
    if backend == "compiled":
        if math.isinf(max_cost):
            if np.isinf(c).any():
                raise ValueError("cost: inf entries need a finite max_cost")
            rows, cols = linear_sum_assignment(np.ascontiguousarray(c))
            return _split(n, m, rows, cols)
        else:
            w = np.where(c < max_cost, max_cost - c, 0.0)
        rr, cc = np.nonzero(w > 0)
        rows, cols = max_weight_matching(n, m, rr.astype(np.int64), cc.astype(np.int64),
                                         np.ascontiguousarray(w[rr, cc]))
        return _split(n, m, rows, cols)
    raise ValueError(f"backend: expected 'auto', 'lap', 'scipy' or 'compiled'; got {backend!r}")


@njit
def _solve_wide(cost):
    """Solve a cost matrix with ``nr <= nc``; returns (``col4row`` (nr,) int64, feasible)."""
    nr, nc = cost.shape
    return _solve_wide_arrays(cost, np.empty(nr), np.empty(nc), np.empty(nc), np.empty(nc, np.int64),
                              np.empty(nr, np.int64), np.empty(nc, np.int64), np.empty(nr, np.bool_),
                              np.empty(nc, np.bool_), np.empty(nc, np.int64))


@njit
def _solve_wide_into(cost, fw, iw, bw):
    """:func:`_solve_wide` in the workspace ``fw`` (>= nr + 2 nc float64), ``iw``
    (>= nr + 3 nc int64) and ``bw`` (>= nr + nc bool), allocating nothing; ``col4row`` is
    a view of ``iw``."""
    nr, nc = cost.shape
    return _solve_wide_arrays(cost, fw[:nr], fw[nr:nr + nc], fw[nr + nc:nr + 2 * nc], iw[:nc],
                              iw[3 * nc:3 * nc + nr], iw[nc:2 * nc], bw[nc:nc + nr], bw[:nc], iw[2 * nc:3 * nc])


@njit(inline="always")
def _solve_wide_arrays(cost, u, v, spc, path, col4row, row4col, in_sr, in_sc, todo):
    """The shortest augmenting path solver of :func:`_solve_wide` on its arrays (any
    content on entry): duals ``u`` (nr,), ``v`` (nc,); ``path`` (nc,), ``col4row`` (nr,),
    ``row4col`` (nc,) int64; scratch ``spc`` (nc,) float, ``in_sr`` (nr,), ``in_sc`` (nc,)
    bool, ``todo`` (nc,) int64."""
    nr, nc = cost.shape
    u[:] = 0.0
    v[:] = 0.0
    path[:] = -1
    col4row[:] = -1
    row4col[:] = -1
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
            ui = u[i]
            for k in range(n_todo):
                j = todo[k]
                r = min_val + cost[i, j] - ui - v[j]
                sj = spc[j]
                if r < sj:
                    path[j] = i
                    spc[j] = r
                    sj = r
                if sj < lowest or (sj == lowest and row4col[j] == -1):
                    lowest = sj
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
def linear_sum_assignment(cost):
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
        order = stable_argsort(col4row)  # distinct values: any sort gives this order
        rows = np.empty(order.shape[0], np.int64)
        for i in range(order.shape[0]):
            rows[i] = col4row[order[i]]
        return rows, order
    col4row, ok = _solve_wide(np.ascontiguousarray(cost))
    if not ok:
        raise ValueError("cost matrix is infeasible")
    return np.arange(nr).astype(np.int64), col4row


@njit
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit
def max_weight_matching(n_rows, n_cols, edge_rows, edge_cols, edge_weights):
    """Maximum-weight bipartite matching on a sparse graph of positive-weight edges.

    Parameters
    ----------
    n_rows, n_cols : int
    edge_rows, edge_cols : int64 arrays, shape (E,)
    edge_weights : float64 array, shape (E,), all > 0

    Returns
    -------
    rows, cols : int64 arrays, shape (K,)
        The matched pairs, sorted by row.  Absent edges count as weight 0, so this is
        exactly the optimum of the dense problem ``max sum w[i, j]`` over matchings.

    Notes
    -----
    The graph is split into connected components (union-find); each component is
    solved densely by shortest augmenting paths (:func:`_solve_wide`).  Cost O(sum over components of r^2 c).
    """
    col4row = np.full(n_rows, -1, np.int64)
    _matching_into(n_rows, n_cols, edge_rows, edge_cols, edge_weights, col4row)
    k = 0
    for i in range(n_rows):
        if col4row[i] >= 0:
            k += 1
    rows = np.empty(k, np.int64)
    cols = np.empty(k, np.int64)
    k = 0
    for i in range(n_rows):
        if col4row[i] >= 0:
            rows[k] = i
            cols[k] = col4row[i]
            k += 1
    return rows, cols


@njit
def _matching_into(n_rows, n_cols, edge_rows, edge_cols, edge_weights, col4row):
    """:func:`max_weight_matching` into ``col4row`` (n_rows,), which holds -1 on entry:
    the column matched to each row, -1 if none.  Four allocations per call, none per
    component."""
    E = edge_rows.shape[0]
    if E == 0:
        return
    n = n_rows + n_cols
    ib = np.empty(5 * n + E, np.int64)
    parent = ib[:n]
    comp = ib[n:2 * n]
    local = ib[2 * n:3 * n]
    nr_of = ib[3 * n:4 * n]
    nc_of = ib[4 * n:5 * n]
    edge_comp = ib[5 * n:5 * n + E]
    for x in range(n):
        parent[x] = x
    for e in range(E):
        a = _find(parent, edge_rows[e])
        b = _find(parent, n_rows + edge_cols[e])
        if a != b:
            parent[b] = a
    # Local index of every vertex within its component (-1: no edge).
    for x in range(n):
        comp[x] = _find(parent, x)
        local[x] = -1
        nr_of[x] = 0
        nc_of[x] = 0
    for e in range(E):
        local[edge_rows[e]] = 0
        local[n_rows + edge_cols[e]] = 0
    for x in range(n_rows):
        if local[x] == 0:
            root = comp[x]
            local[x] = nr_of[root]
            nr_of[root] += 1
    for x in range(n_cols):
        if local[n_rows + x] == 0:
            root = comp[n_rows + x]
            local[n_rows + x] = nc_of[root]
            nc_of[root] += 1
    # One workspace for every component (sized for the largest), none per component.
    max_r = 0
    max_c = 0
    max_rc = 0
    for x in range(n):
        max_r = max(max_r, nr_of[x])
        max_c = max(max_c, nc_of[x])
        max_rc = max(max_rc, nr_of[x] * nc_of[x])
    wide = max(max_r, max_c)
    jb = np.empty(max_r + max_c + 4 * wide, np.int64)
    grow_all = jb[:max_r]
    gcol_all = jb[max_r:max_r + max_c]
    iw = jb[max_r + max_c:]
    fb = np.empty(max_rc + 3 * wide)
    w_all = fb[:max_rc]
    fw = fb[max_rc:]
    bw = np.empty(2 * wide, np.bool_)
    # Order the edges by component so each component's edges are contiguous.
    for e in range(E):
        edge_comp[e] = comp[edge_rows[e]]
    order = stable_argsort(edge_comp)
    start = 0
    while start < E:
        root = edge_comp[order[start]]
        stop = start
        while stop < E and edge_comp[order[stop]] == root:
            stop += 1
        r = nr_of[root]
        c = nc_of[root]
        if stop - start == 1:
            e = order[start]
            col4row[edge_rows[e]] = edge_cols[e]
        else:
            # Global indices of the component's rows and columns.
            for t in range(start, stop):
                e = order[t]
                grow_all[local[edge_rows[e]]] = edge_rows[e]
                gcol_all[local[n_rows + edge_cols[e]]] = edge_cols[e]
            w_all[:r * c] = 0.0
            if r > c:  # transposed: the solver wants at most as many rows as columns
                w = w_all[:r * c].reshape((c, r))
                for t in range(start, stop):
                    e = order[t]
                    w[local[n_rows + edge_cols[e]], local[edge_rows[e]]] = -edge_weights[e]
                assigned = _solve_wide_into(w, fw, iw, bw)[0]
                for jl in range(c):
                    il = assigned[jl]
                    if il >= 0 and w[jl, il] < 0.0:
                        col4row[grow_all[il]] = gcol_all[jl]
            else:
                w = w_all[:r * c].reshape((r, c))
                for t in range(start, stop):
                    e = order[t]
                    w[local[edge_rows[e]], local[n_rows + edge_cols[e]]] = -edge_weights[e]
                assigned = _solve_wide_into(w, fw, iw, bw)[0]
                for il in range(r):
                    jl = assigned[il]
                    if jl >= 0 and w[il, jl] < 0.0:
                        col4row[grow_all[il]] = gcol_all[jl]
        start = stop


@njit
def match_edges(n_rows, n_cols, er, ec, ew, col_for_row, scratch):
    """:func:`max_weight_matching` into ``col_for_row`` (n_rows,), -1 for unmatched rows,
    allocating nothing in the common case.  ``scratch``: >= 2 (n_rows + n_cols) int64.

    Most frames need no solver: when every edge has an end of degree one, each
    connected component is a single edge or a star, whose best matching is its
    heaviest edge (first of equal ones).  Otherwise :func:`max_weight_matching`."""
    col_for_row[:] = -1
    k = er.shape[0]
    if k == 0:
        return
    deg_r = scratch[:n_rows]
    deg_c = scratch[n_rows:n_rows + n_cols]
    best_r = scratch[n_rows + n_cols:2 * n_rows + n_cols]
    best_c = scratch[2 * n_rows + n_cols:2 * (n_rows + n_cols)]
    deg_r[:] = 0
    deg_c[:] = 0
    for e in range(k):
        deg_r[er[e]] += 1
        deg_c[ec[e]] += 1
    for e in range(k):
        if deg_r[er[e]] > 1 and deg_c[ec[e]] > 1:
            _matching_into(n_rows, n_cols, er, ec, ew, col_for_row)
            return
    best_r[:] = -1
    best_c[:] = -1
    for e in range(k):
        r = er[e]
        c = ec[e]
        if deg_r[r] > 1:
            if best_r[r] < 0 or ew[e] > ew[best_r[r]]:
                best_r[r] = e
        elif deg_c[c] > 1:
            if best_c[c] < 0 or ew[e] > ew[best_c[c]]:
                best_c[c] = e
        else:
            col_for_row[r] = c
    for r in range(n_rows):
        if best_r[r] >= 0:
            col_for_row[r] = ec[best_r[r]]
    for c in range(n_cols):
        if best_c[c] >= 0:
            col_for_row[er[best_c[c]]] = c
