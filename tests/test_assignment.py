"""Assignment: lap, scipy and the compiled solver give the optimal cost on random problems."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from mottrack.assignment import assign, linear_sum_assignment as compiled_lsa, match_edges, max_weight_matching

BACKENDS = ["lap", "scipy", "compiled"]


def objective(cost, matches, unmatched_rows, unmatched_cols, max_cost):
    total = cost[matches[:, 0], matches[:, 1]].sum()
    if math.isfinite(max_cost):
        total += max_cost / 2 * (len(unmatched_rows) + len(unmatched_cols))
    return total


def brute_force(cost, max_cost):
    """Optimal objective by enumerating all partial matchings (small problems only)."""
    n, m = cost.shape
    best = math.inf
    for k in range(min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                c = sum(cost[r, q] for r, q in zip(rows, cols))
                if math.isfinite(max_cost):
                    if any(cost[r, q] >= max_cost for r, q in zip(rows, cols)):
                        continue
                    c += max_cost / 2 * (n - k + m - k)
                elif k != min(n, m):
                    continue
                best = min(best, c)
    return best


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 5), st.integers(0, 5), st.sampled_from([0.3, 0.5, 0.9, math.inf]),
       st.integers(0, 2**31 - 1))
def test_all_backends_are_optimal_on_small_problems(n, m, max_cost, seed):
    cost = np.random.default_rng(seed).uniform(0, 1, (n, m))
    best = brute_force(cost, max_cost)
    for backend in BACKENDS:
        matches, ur, uc = assign(cost, max_cost, backend=backend)
        assert objective(cost, matches, ur, uc, max_cost) == pytest.approx(best, abs=1e-9)
        # every row and column is either matched once or listed as unmatched
        assert sorted(list(matches[:, 0]) + list(ur)) == list(range(n))
        assert sorted(list(matches[:, 1]) + list(uc)) == list(range(m))
        if math.isfinite(max_cost) and len(matches):
            assert (cost[matches[:, 0], matches[:, 1]] < max_cost).all()


@pytest.mark.parametrize("n,m", [(10, 10), (30, 17), (17, 30), (60, 60)])
def test_large_rectangular_agree_with_scipy(n, m):
    rng = np.random.default_rng(n * 100 + m)
    cost = rng.uniform(0, 1, (n, m))
    r, c = linear_sum_assignment(cost)
    best = cost[r, c].sum()
    for backend in BACKENDS:
        matches, _, _ = assign(cost, backend=backend)
        assert cost[matches[:, 0], matches[:, 1]].sum() == pytest.approx(best, abs=1e-9)
    # with a limit: same objective from all backends
    vals = [objective(cost, *assign(cost, 0.4, backend=b), 0.4) for b in BACKENDS]
    assert np.allclose(vals, vals[0])


def test_empty_and_all_infeasible():
    for backend in BACKENDS:
        m, ur, uc = assign(np.empty((0, 3)), 0.5, backend=backend)
        assert m.shape == (0, 2) and len(ur) == 0 and list(uc) == [0, 1, 2]
        m, ur, uc = assign(np.full((3, 2), 0.9), 0.5, backend=backend)
        assert m.shape == (0, 2) and list(ur) == [0, 1, 2] and list(uc) == [0, 1]
        m, ur, uc = assign(np.full((2, 2), np.inf), 0.5, backend=backend)
        assert m.shape == (0, 2)


def test_bad_input():
    with pytest.raises(ValueError, match="cost"):
        assign(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        assign(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="backend"):
        assign(np.zeros((1, 1)), backend="magic")


def test_max_weight_matching_splits_components_exactly():
    rng = np.random.default_rng(5)
    # block-diagonal weights: 4 independent blocks plus isolated vertices
    w = np.zeros((40, 45))
    for k in range(4):
        w[k * 10:(k + 1) * 10, k * 11:(k + 1) * 11] = rng.uniform(0.01, 1, (10, 11)) * (rng.random((10, 11)) < 0.4)
    rr, cc = np.nonzero(w > 0)
    rows, cols = max_weight_matching(40, 45, rr.astype(np.int64), cc.astype(np.int64), w[rr, cc].copy())
    r, c = linear_sum_assignment(-w)
    assert w[rows, cols].sum() == pytest.approx(w[r, c].sum(), abs=1e-12)
    assert len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
    assert (w[rows, cols] > 0).all()


def test_match_edges_equals_max_weight_matching():
    """The allocation-free matcher (star shortcut) reaches the same optimum."""
    rng = np.random.default_rng(2)
    for _ in range(300):
        nr, nc = rng.integers(1, 8, 2)
        dense = rng.random((nr, nc)) < rng.uniform(0.05, 0.5)
        er, ec = np.nonzero(dense)
        er, ec = er.astype(np.int64), ec.astype(np.int64)
        ew = rng.uniform(0.01, 1.0, er.size)
        col_for_row = np.empty(nr, np.int64)
        match_edges(nr, nc, er, ec, ew, col_for_row, np.empty(2 * (nr + nc), np.int64))
        mr, mc = max_weight_matching(nr, nc, er, ec, ew)
        w = {(r, c): x for r, c, x in zip(er, ec, ew)}
        ours = sum(w[(r, c)] for r, c in enumerate(col_for_row) if c >= 0)
        assert ours == pytest.approx(sum(w[(r, c)] for r, c in zip(mr, mc)), abs=1e-12)
        full = np.zeros((nr, nc))
        full[er, ec] = ew
        r, c = linear_sum_assignment(-full)  # SciPy: the optimum of the dense problem
        assert ours == pytest.approx(full[r, c].sum(), abs=1e-12)
        used = col_for_row[col_for_row >= 0]
        assert len(set(used.tolist())) == used.size


def test_match_edges_reuses_its_workspace_across_components_of_every_shape():
    """Components solved one after another in one workspace (tall, wide, square, growing
    and shrinking) each reach SciPy's optimum: nothing of one leaks into the next."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        shapes = [tuple(rng.integers(1, 7, 2)) for _ in range(rng.integers(2, 6))]
        nr, nc = sum(h for h, _ in shapes), sum(w_ for _, w_ in shapes)
        full = np.zeros((nr, nc))
        r0 = c0 = 0
        for h, w_ in shapes:
            block = rng.uniform(0.01, 1.0, (h, w_)) * (rng.random((h, w_)) < 0.7)
            block[0, 0] = 0.5  # every block is one component with at least one edge
            block[:, 0] = np.where(block[:, 0] > 0, block[:, 0], 0.25)
            block[0, :] = np.where(block[0, :] > 0, block[0, :], 0.25)
            full[r0:r0 + h, c0:c0 + w_] = block
            r0 += h
            c0 += w_
        perm_r, perm_c = rng.permutation(nr), rng.permutation(nc)  # interleave the components
        full = full[perm_r][:, perm_c]
        er, ec = np.nonzero(full > 0)
        col_for_row = np.empty(nr, np.int64)
        match_edges(nr, nc, er.astype(np.int64), ec.astype(np.int64), full[er, ec].copy(), col_for_row,
                    np.empty(2 * (nr + nc), np.int64))
        r, c = linear_sum_assignment(-full)
        ours = sum(full[i, j] for i, j in enumerate(col_for_row) if j >= 0)
        assert ours == pytest.approx(full[r, c].sum(), abs=1e-12)
        assert all(full[i, j] > 0 for i, j in enumerate(col_for_row) if j >= 0)


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (1, 5), (0, 3)])
def test_compiled_lsa_returns_scipys_assignment_even_with_ties(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(200):
        cost = rng.integers(0, 3, shape).astype(float)  # many exact ties
        r1, c1 = linear_sum_assignment(cost)
        r2, c2 = compiled_lsa(cost)
        assert np.array_equal(r1, r2) and np.array_equal(c1, c2)


def test_extreme_cost_range_is_solved_exactly():
    cost = np.array([[1e308, -1e308], [0.0, 1.0]])
    for backend in BACKENDS:
        matches, _, _ = assign(cost, backend=backend)
        assert matches.tolist() == [[0, 1], [1, 0]]
