"""Linear assignment with a cost limit.

``assign(cost, max_cost)`` is the one entry point for dense problems: it pairs rows
and columns so as to minimise the total cost of the pairs plus ``max_cost / 2`` for
every row and column left unpaired, which is the same as maximising
``sum(max_cost - cost[i, j])`` over the chosen pairs; a pair is only ever chosen if
``cost[i, j] < max_cost``.  It is solved by ``lap.lapjv`` (``extend_cost``,
``cost_limit``) with ``scipy.optimize.linear_sum_assignment`` as the fallback.

The trackers' per-frame problems are small (a handful of tracks) and sparse (a box
overlaps few others), where the Python wrappers of those solvers dominate the cost.
They therefore use :func:`max_weight_matching`, a compiled shortest-augmenting-path
solver that splits the problem into connected components first.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from ._numba import njit

__all__ = ["assign", "max_weight_matching", "solve_dense"]

try:  # pragma: no cover - exercised when lap is installed (it is a dependency)
    import lap as _lap
except ImportError:  # pragma: no cover
    _lap = None


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
        ``auto`` uses lap when installed, else scipy.

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
    empty = np.empty(0, np.int64)
    if n == 0 or m == 0:
        return np.empty((0, 2), np.int64), np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64)
    if backend == "auto":
        backend = "lap" if _lap is not None else "scipy"
    if backend == "lap":
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
        from scipy.optimize import linear_sum_assignment
        if math.isinf(max_cost):
            if np.isinf(c).any():
                raise ValueError("cost: inf entries need a finite max_cost")
            rows, cols = linear_sum_assignment(c)
            return _split(n, m, rows.astype(np.int64), cols.astype(np.int64))
        # The same extended problem lap solves: dummy rows/columns at max_cost / 2.
        big = max_cost * 2.0 + 1.0 + float(np.abs(np.where(np.isfinite(c), c, 0)).sum())
        ext = np.full((n + m, n + m), big)
        ext[:n, :m] = np.where(c < max_cost, c, big)
        ext[np.arange(n), m + np.arange(n)] = max_cost / 2.0
        ext[n + np.arange(m), np.arange(m)] = max_cost / 2.0
        ext[n:, m:] = 0.0
        rows, cols = linear_sum_assignment(ext)
        keep = (rows < n) & (cols < m)
        rows, cols = rows[keep], cols[keep]
        keep = c[rows, cols] < max_cost
        return _split(n, m, rows[keep].astype(np.int64), cols[keep].astype(np.int64))
    if backend == "compiled":
        if math.isinf(max_cost):
            if np.isinf(c).any():
                raise ValueError("cost: inf entries need a finite max_cost")
            # Maximise sum(offset - c) with a positive offset: every pair is then worth taking.
            # Large enough that a matching with one more pair always wins.
            with np.errstate(over="ignore", invalid="ignore"):
                offset = float(c.max()) + 1.0 + min(n, m) * float(c.max() - c.min())
            if not math.isfinite(offset):
                raise ValueError("cost: values span too large a range for the compiled backend "
                                 "with max_cost=inf; give a finite max_cost")
            w = offset - c
        else:
            w = np.where(c < max_cost, max_cost - c, 0.0)
        rr, cc = np.nonzero(w > 0)
        rows, cols = max_weight_matching(n, m, rr.astype(np.int64), cc.astype(np.int64),
                                         np.ascontiguousarray(w[rr, cc]))
        return _split(n, m, rows, cols)
    raise ValueError(f"backend: expected 'auto', 'lap', 'scipy' or 'compiled'; got {backend!r}")


@njit
def solve_dense(cost):
    """Minimum-cost assignment of a dense (R, C) matrix, R <= C, all rows assigned.

    Shortest augmenting paths with potentials (Jonker-Volgenant / Crouse), the
    algorithm of scipy's ``linear_sum_assignment``.  Returns ``col_for_row`` (R,).
    """
    nr, nc = cost.shape
    u = np.zeros(nr)
    v = np.zeros(nc)
    shortest = np.empty(nc)
    path = np.full(nc, -1, np.int64)
    col4row = np.full(nr, -1, np.int64)
    row4col = np.full(nc, -1, np.int64)
    sr = np.zeros(nr, np.bool_)
    sc = np.zeros(nc, np.bool_)
    remaining = np.empty(nc, np.int64)
    for cur in range(nr):
        min_val = 0.0
        num_rem = nc
        for it in range(nc):
            remaining[it] = nc - it - 1
        sr[:] = False
        sc[:] = False
        shortest[:] = np.inf
        sink = -1
        i = cur
        while sink == -1:
            index = -1
            lowest = np.inf
            sr[i] = True
            for it in range(num_rem):
                j = remaining[it]
                r = min_val + cost[i, j] - u[i] - v[j]
                if r < shortest[j]:
                    path[j] = i
                    shortest[j] = r
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest = shortest[j]
                    index = it
            min_val = lowest
            if index == -1:  # infeasible (only with inf costs); callers never pass them
                return col4row
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            sc[j] = True
            num_rem -= 1
            remaining[index] = remaining[num_rem]
        u[cur] += min_val
        for i in range(nr):
            if sr[i] and i != cur:
                u[i] += min_val - shortest[col4row[i]]
        for j in range(nc):
            if sc[j]:
                v[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            tmp = col4row[i]
            col4row[i] = j
            j = tmp
            if i == cur:
                break
    return col4row


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
    solved densely with :func:`solve_dense`.  Cost O(sum over components of r^2 c).
    """
    E = edge_rows.shape[0]
    col4row = np.full(n_rows, -1, np.int64)
    if E == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    parent = np.arange(n_rows + n_cols)
    for e in range(E):
        a = _find(parent, edge_rows[e])
        b = _find(parent, n_rows + edge_cols[e])
        if a != b:
            parent[b] = a
    # Local index of every vertex within its component.
    comp = np.empty(n_rows + n_cols, np.int64)
    for x in range(n_rows + n_cols):
        comp[x] = _find(parent, x)
    local = np.full(n_rows + n_cols, -1, np.int64)
    nr_of = np.zeros(n_rows + n_cols, np.int64)
    nc_of = np.zeros(n_rows + n_cols, np.int64)
    has_edge = np.zeros(n_rows + n_cols, np.bool_)
    for e in range(E):
        has_edge[edge_rows[e]] = True
        has_edge[n_rows + edge_cols[e]] = True
    for x in range(n_rows):
        if has_edge[x]:
            root = comp[x]
            local[x] = nr_of[root]
            nr_of[root] += 1
    for x in range(n_cols):
        if has_edge[n_rows + x]:
            root = comp[n_rows + x]
            local[n_rows + x] = nc_of[root]
            nc_of[root] += 1
    # Order the edges by component so each component's edges are contiguous.
    edge_comp = np.empty(E, np.int64)
    for e in range(E):
        edge_comp[e] = comp[edge_rows[e]]
    order = np.argsort(edge_comp, kind="mergesort")
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
            grow = np.empty(r, np.int64)
            gcol = np.empty(c, np.int64)
            for t in range(start, stop):
                e = order[t]
                grow[local[edge_rows[e]]] = edge_rows[e]
                gcol[local[n_rows + edge_cols[e]]] = edge_cols[e]
            transpose = r > c
            if transpose:
                w = np.zeros((c, r))
                for t in range(start, stop):
                    e = order[t]
                    w[local[n_rows + edge_cols[e]], local[edge_rows[e]]] = -edge_weights[e]
                assigned = solve_dense(w)
                for jl in range(c):
                    il = assigned[jl]
                    if il >= 0 and w[jl, il] < 0.0:
                        col4row[grow[il]] = gcol[jl]
            else:
                w = np.zeros((r, c))
                for t in range(start, stop):
                    e = order[t]
                    w[local[edge_rows[e]], local[n_rows + edge_cols[e]]] = -edge_weights[e]
                assigned = solve_dense(w)
                for il in range(r):
                    jl = assigned[il]
                    if jl >= 0 and w[il, jl] < 0.0:
                        col4row[grow[il]] = gcol[jl]
        start = stop
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
