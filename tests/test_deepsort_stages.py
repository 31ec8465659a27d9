"""DeepSORT's compiled stages one by one (mottrack/trackers/_deepsort_stages.py).

Hand-worked cases for each stage, and the matching cascade against an independent
re-statement of deep_sort's ``linear_assignment.matching_cascade`` (nwojke/deep_sort
@ f08cf1d: levels 1..max_age by time since update, each a min-cost assignment of
gated, capped costs solved by SciPy, matches above the cap discarded).  The whole
pipeline is compared with the original's recorded output in test_deepsort_reference.py.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mottrack.detections import MAX_COORDINATE
from mottrack.geometry import NO_WARP
from mottrack.kalman import XYAH_DIM, xyah_initiate, xyah_project_into
from mottrack.tracks import CONFIRMED, HITS, ID, N, NEXT_ID, STATE, TENTATIVE, TSU, TrackTable
from mottrack.trackers import _deepsort_stages as st
from mottrack.trackers._gallery import gallery_append


def _table(boxes, states, tsu, cap=None):
    """A track table with one track per box (x1, y1, x2, y2), slot t for row t."""
    n = len(boxes)
    tr = TrackTable(XYAH_DIM, extra_int=("gallery_slot",))
    tr.reserve(max(n, cap or 0) + 4)
    for t, b in enumerate(boxes):
        xyah_initiate(tr.mean, tr.covariance, t, *b)
        tr.ints[t, ID] = t + 1
        tr.ints[t, STATE] = states[t]
        tr.ints[t, HITS] = 3
        tr.ints[t, st.SLOT] = t
        tr.floats[t, TSU] = tsu[t]
    tr.counters[N] = n
    tr.counters[NEXT_ID] = n + 1
    return tr


def _gallery(vectors, slots=None):
    """Galleries of budget 4 holding ``vectors[t]`` (unit, float32) for slot t."""
    vectors = np.asarray(vectors, np.float32)
    slots = slots or len(vectors)
    g = st.Gallery(np.zeros((slots, 4, vectors.shape[1]), np.float32), np.zeros(slots, np.int64),
                   np.zeros(slots, np.int64), np.arange(slots, dtype=np.int64)[::-1].copy())
    for t in range(len(vectors)):
        gallery_append(g.vectors, g.count, g.head, t, vectors, t)
    return g


def _edges():
    return np.empty(4, np.int64), np.empty(4, np.int64), np.empty(4)


# ----------------------------------------------------------------------------- stages
def test_measurements_are_centre_aspect_height_and_zero_height_has_none():
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 5.0, 8.0, 5.0]])
    meas = np.empty((2, 4))
    det_track = np.empty(2, np.int64)
    assert st.measurements(boxes, meas, det_track) == 1
    np.testing.assert_array_equal(meas[0], [30.0, 70.0, 0.4, 100.0])
    assert det_track.tolist() == [st.FREE, st.NO_MEASUREMENT]


def test_cascade_order_is_level_then_table_order():
    tr = _table([[0, 0, 10, 20]] * 6, [CONFIRMED, CONFIRMED, TENTATIVE, CONFIRMED, CONFIRMED, CONFIRMED],
                [2.0, 1.0, 1.0, 0.4, 31.0, 2.0 + 1e-9])
    rows, levels = st.cascade_order(tr.ints, tr.floats, 6, 30.0)
    # row 3 (seen 0.4 frames ago, timestamps) joins level 1; row 4 is beyond max_age;
    # row 5 is level 2 up to the time tolerance; the tentative row 2 is not in the cascade
    assert rows.tolist() == [1, 3, 0, 5]
    assert levels.tolist() == [1, 1, 2, 2]


def test_iou_tlwh_hand_worked():
    assert st.iou_tlwh(0, 0, 10, 10, 5, 0, 10, 10) == pytest.approx(50 / 150)
    assert st.iou_tlwh(0, 0, 10, 10, 20, 20, 5, 5) == 0.0
    assert st.iou_tlwh(0, 0, 0, 0, 0, 0, 0, 0) == 0.0


def test_iou_candidates_tentative_first_then_recent_confirmed_left_by_the_cascade():
    tr = _table([[0, 0, 10, 20]] * 5, [CONFIRMED, TENTATIVE, CONFIRMED, CONFIRMED, TENTATIVE],
                [1.0, 1.0, 1.0, 2.0, 1.0])
    trk_det = np.array([-1, -1, 0, -1, -1])  # row 2 matched in the cascade; row 3 seen 2 frames ago
    assert st.iou_candidates(tr.ints, tr.floats, 5, trk_det, 1.0).tolist() == [1, 4, 0]


def test_appearance_edges_gate_and_cost_limit():
    # one track at (30, 70); detections: same place same look, same place other look,
    # far away same look
    tr = _table([[10.0, 20.0, 50.0, 120.0]], [CONFIRMED], [1.0])
    gal = _gallery([[1.0, 0.0]])
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [11.0, 20.0, 51.0, 120.0], [400.0, 20.0, 440.0, 120.0]])
    feats = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], np.float32)
    meas = np.empty((3, 4))
    det_track = np.empty(3, np.int64)
    st.measurements(boxes, meas, det_track)
    order = np.argsort(meas[:, 0])
    er, ec, ew, ne = st.appearance_edges(tr.mean, tr.covariance, tr.ints, np.array([0]), meas, order,
                                         meas[order, 0], np.full(3, -1), feats, gal, det_track, 0.2, False,
                                         *_edges(), np.empty(40))
    assert ne == 1 and (er[0], ec[0]) == (0, 0)
    assert ew[0] == pytest.approx(0.2 + 1e-5 - 0.0)


def test_matching_cascade_gives_the_recently_seen_track_first_choice():
    """Two confirmed tracks at the same place and one detection: the track seen in the
    previous frame takes it even though the older track looks more like it."""
    box = [10.0, 20.0, 50.0, 120.0]
    tr = _table([box, box], [CONFIRMED, CONFIRMED], [2.0, 1.0])
    gal = _gallery([[1.0, 0.0], [0.8, 0.6]])
    boxes = np.array([box])
    feats = np.array([[1.0, 0.0]], np.float32)
    meas = np.empty((1, 4))
    det_track = np.empty(1, np.int64)
    n_left = st.measurements(boxes, meas, det_track)
    trk_det = np.full(2, -1)
    rows, levels = st.cascade_order(tr.ints, tr.floats, 2, 30.0)
    *_, n_left = st.matching_cascade(tr.mean, tr.covariance, tr.ints, rows, levels, meas, np.full(1, -1),
                                     feats, gal, det_track, trk_det, 0.25, False, n_left, *_edges())
    assert trk_det.tolist() == [-1, 0] and det_track.tolist() == [1] and n_left == 0


def test_remove_lost_frees_the_slots_and_keeps_order():
    tr = _table([[0, 0, 10, 20]] * 4, [TENTATIVE, CONFIRMED, CONFIRMED, CONFIRMED], [1.0, 31.0, 5.0, 1.0])
    gal = _gallery(np.eye(4), slots=6)
    gal.free[:2] = [5, 4]
    n = st.remove_lost(tr.mean, tr.covariance, tr.ints, tr.floats, 4, np.array([-1, -1, -1, 0]), 30.0, gal)
    assert n == 2 and tr.ints[:2, ID].tolist() == [3, 4]
    assert sorted(gal.free[:6 - n].tolist()) == [0, 1, 4, 5]


def test_births_take_slots_from_the_free_list_and_report_follows_the_app():
    tr = _table([[0, 0, 10, 20]], [CONFIRMED], [1.0])
    gal = _gallery(np.eye(3, 2), slots=3)
    gal.free[:2] = [2, 1]
    boxes = np.array([[0.0, 0.0, 10.0, 20.0], [50.0, 0.0, 60.0, 20.0], [90.0, 0.0, 99.0, 20.0]])
    feats = np.eye(3, 2, dtype=np.float32) + np.float32(0.5)
    st.births(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, gal, boxes, np.ones(3),
              np.full(3, -1), feats, np.array([0, st.FREE, st.FREE]))
    assert tr.counters[N] == 3 and tr.counters[NEXT_ID] == 4
    assert tr.ints[1:3, st.SLOT].tolist() == [1, 2] and gal.count[1:3].tolist() == [1, 1]
    np.testing.assert_array_equal(gal.vectors[1, 0], feats[1])
    out = st.report(tr.mean, tr.ints, tr.floats, 3, 1.0)
    assert out[:, 4].tolist() == [1.0]  # new tracks are tentative: not reported


def test_warp_tracks_drops_tracks_carried_out_of_the_domain():
    tr = _table([[0, 0, 10, 20], [1e15 - 40, 0, 1e15 - 20, 20]], [CONFIRMED, CONFIRMED], [1.0, 1.0])
    gal = _gallery(np.eye(2), slots=3)
    gal.free[0] = 2
    shift = np.array([[1.0, 0.0, 50.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    n = st.warp_tracks(tr.mean, tr.covariance, tr.ints, tr.floats, 2, shift, gal)
    assert n == 1 and tr.ints[0, ID] == 1 and tr.mean[0, 0] == 55.0
    assert sorted(gal.free[:2].tolist()) == [1, 2]
    assert st.warp_tracks(tr.mean, tr.covariance, tr.ints, tr.floats, 1, NO_WARP, gal) == 1
    assert st.in_domain(tr.mean, tr.covariance, 0)
    tr.mean[0, 0] = MAX_COORDINATE
    assert not st.in_domain(tr.mean, tr.covariance, 0)


# ----------------------------------------------------------------------------- vs deep_sort
def _deep_sort_cascade(cost, gate_ok, tsu, max_cos, max_age):
    """deep_sort's matching_cascade over a (tracks, detections) cosine cost matrix:
    levels 1..max_age, each level a SciPy min-cost assignment among the detections still
    free, gated pairs at INFTY_COST (1e5), costs above max_cos capped at max_cos + 1e-5,
    pairs above max_cos discarded."""
    n_t, n_d = cost.shape
    free = list(range(n_d))
    match = {}
    for level in range(max_age):
        if not free:
            break
        tracks = [t for t in range(n_t) if tsu[t] == 1 + level]
        if not tracks:
            continue
        c = cost[np.ix_(tracks, free)].copy()
        c[~gate_ok[np.ix_(tracks, free)]] = 1e5
        c[c > max_cos] = max_cos + 1e-5
        rr, cc = linear_sum_assignment(c)
        taken = []
        for r, k in zip(rr, cc):
            if c[r, k] <= max_cos:
                match[tracks[r]] = free[k]
                taken.append(free[k])
        free = [d for d in free if d not in taken]
    return match


@pytest.mark.parametrize("seed", range(40))
def test_matching_cascade_equals_deep_sorts(seed):
    rng = np.random.default_rng(seed)
    n_t, n_d, dim = rng.integers(1, 7), rng.integers(1, 7), 6
    centres = rng.uniform(0, 300, size=(n_t, 2))
    boxes_t = np.column_stack([centres, centres + [40.0, 100.0]])
    tsu = rng.integers(1, 4, size=n_t).astype(np.float64)
    tr = _table(boxes_t, [CONFIRMED] * n_t, tsu)
    look_t = rng.normal(size=(n_t, dim))
    look_t /= np.linalg.norm(look_t, axis=1, keepdims=True)
    gal = _gallery(look_t)
    # detections near random tracks, with looks near theirs
    src = rng.integers(0, n_t, size=n_d)
    boxes = boxes_t[src] + rng.normal(scale=6.0, size=(n_d, 4))
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 5.0)
    feats = (look_t[src] + rng.normal(scale=0.35, size=(n_d, dim))).astype(np.float32)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    meas = np.empty((n_d, 4))
    det_track = np.empty(n_d, np.int64)
    n_left = st.measurements(boxes, meas, det_track)
    trk_det = np.full(n_t, -1)
    rows, levels = st.cascade_order(tr.ints, tr.floats, n_t, 30.0)
    st.matching_cascade(tr.mean, tr.covariance, tr.ints, rows, levels, meas, np.full(n_d, -1), feats, gal,
                        det_track, trk_det, 0.3, False, n_left, *_edges())
    # the oracle: float32 cosine costs as the gallery computes them, the gate from the
    # Kalman projection (numpy), deep_sort's cascade
    cost = (np.float32(1.0) - look_t.astype(np.float32) @ feats.T).astype(np.float64)
    gate_ok = np.zeros((n_t, n_d), bool)
    for t in range(n_t):
        m = np.empty(4)
        S = np.empty((4, 4))
        xyah_project_into(tr.mean, tr.covariance, t, m, S)
        d = meas - m
        gate_ok[t] = np.einsum("ij,jk,ik->i", d, np.linalg.inv(S), d) <= st.CHI2INV95_4DOF
    expected = _deep_sort_cascade(cost, gate_ok, tsu, 0.3, 30)
    got = {t: int(trk_det[t]) for t in range(n_t) if trk_det[t] >= 0}
    assert got == expected
