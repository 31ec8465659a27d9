"""The compiled stages OC-SORT and Hybrid-SORT are composed of (mottrack.trackers._oc_stages),
each against a hand-worked case or an independent numpy re-statement of the originals'
formulas (cost_vel, speed_direction_batch*, np.setdiff1d)."""
from __future__ import annotations

import numpy as np
import pytest

from mottrack.geometry import (CORNERS, SIM_GIOU, SIM_HMIOU, corner_direction, height_overlap,
                               similarity_matrix)
from mottrack.tracks import TrackTable, observation_columns, record_observation
from mottrack.trackers import _oc_stages as st


def _boxes(rng, n):
    xy = rng.uniform(0, 300, (n, 2))
    wh = rng.uniform(10, 80, (n, 2))
    return np.column_stack([xy, xy + wh])


def _cost_vel_numpy(dets, scores, prev, vel, inertia, corner):
    """The originals' cost_vel (OC-SORT's centre, Hybrid-SORT's corners), restated in numpy."""
    if corner is None:
        p = (prev[:, [0, 1]] + prev[:, [2, 3]]) / 2.0
        q = (dets[:, [0, 1]] + dets[:, [2, 3]]) / 2.0
    else:
        cx, cy = CORNERS[corner]
        p, q = prev[:, [cx, cy]], dets[:, [cx, cy]]
    dx = q[None, :, 0] - p[:, None, 0]  # (T, D)
    dy = q[None, :, 1] - p[:, None, 1]
    norm = np.sqrt(dx ** 2 + dy ** 2) + 1e-6
    cos = np.clip(vel[:, 1:2] * (dx / norm) + vel[:, 0:1] * (dy / norm), -1, 1)
    diff = (np.pi / 2.0 - np.abs(np.arccos(cos))) / np.pi
    valid = np.where(prev[:, 4] < 0, 0.0, 1.0)[:, None]
    return ((valid * diff) * inertia).T * scores[:, None]


@pytest.mark.parametrize("corners", [False, True])
def test_momentum_into_equals_the_originals_cost_vel(corners):
    rng = np.random.default_rng(5)
    dets, prev = _boxes(rng, 7), np.column_stack([_boxes(rng, 5), rng.uniform(0.3, 1, 5)])
    prev[2, 4] = -1.0  # a track without observation
    scores = rng.uniform(0.5, 1, 7)
    vw = 8 if corners else 2
    vel = rng.normal(size=(5, vw))
    out = np.empty((7, 5))
    st.momentum_into(out, dets, scores, prev, vel, 0.2)
    if corners:
        expect = sum(_cost_vel_numpy(dets, scores, prev, vel[:, 2 * k:2 * k + 2], 0.2, k) for k in range(4))
    else:
        expect = _cost_vel_numpy(dets, scores, prev, vel, 0.2, None)
    np.testing.assert_allclose(out, expect, rtol=0, atol=4e-16)
    assert (out[:, 2] == 0).all()


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (1, 1), (7, 5), (40, 33)])
@pytest.mark.parametrize("conf_weight", [0.0, 1.0, 0.37])
def test_corner_cost_into_is_bit_identical_to_momentum_then_tcm(shape, conf_weight):
    """The fused first-round cost of Hybrid-SORT equals, number for number (bits and signs
    of zeros), momentum_into (checked above against the originals' cost_vel) followed by
    the original's "- TCM" and negation: the fusion must not change any rounding."""
    D, T = shape
    rng = np.random.default_rng(D * 100 + T)
    dets, prev = _boxes(rng, D), np.column_stack([_boxes(rng, T), rng.uniform(0.3, 1, T)])
    scores = rng.uniform(0.1, 1, D)
    vel = rng.normal(size=(T, 8))
    if T > 2:
        prev[1, 4] = -1.0            # a track without observation
        vel[0] = 0.0                 # a track without direction
        vel[2] /= np.linalg.norm(vel[2])
    if T > 2 and D > 2:
        prev[2, :4] = dets[1]        # zero displacement: norm 1e-6
    trk_conf = rng.uniform(0.1, 1, T)
    for inertia in (0.05, 0.2):
        expect = np.empty((D, T))
        st.momentum_into(expect, dets, scores, prev, vel, inertia)
        if conf_weight != 0.0:
            expect = expect - np.abs(trk_conf[None, :] - scores[:, None]) * conf_weight
        expect = -expect
        out = np.full((D, T), np.nan)
        st.corner_cost_into(out, dets, scores, prev, vel, inertia, trk_conf, conf_weight)
        assert np.array_equal(out.view(np.int64), expect.view(np.int64))


def test_split_by_score_is_strict_on_both_sides():
    s = np.array([0.6, 0.61, 0.1, 0.11, 0.59, 0.05])
    hi, lo = st.split_by_score(s, 0.6, True)
    assert hi.tolist() == [1] and lo.tolist() == [3, 4]
    assert st.split_by_score(s, 0.6, False)[1].tolist() == []


def test_similarity_edges_hold_each_kinds_values():
    rng = np.random.default_rng(1)
    a, b = _boxes(rng, 9), _boxes(rng, 6)
    for kind in (SIM_HMIOU, SIM_GIOU):
        rows, cols, vals = st.similarity_edges(kind, a, b)
        dense = similarity_matrix(kind, a, b)
        np.testing.assert_array_equal(vals, dense[rows, cols])
        if kind == SIM_GIOU:
            assert len(rows) == 54  # every pair
        else:  # the overlapping pairs: every other pair has HMIoU 0
            left = np.ones_like(dense, bool)
            left[rows, cols] = False
            assert (dense[left] == 0).all() and (vals > 0).all()


def test_height_overlap_and_corner_direction_by_hand():
    assert height_overlap(0.0, 10.0, 5.0, 15.0) == 5 / 15
    assert height_overlap(0.0, 10.0, 20.0, 30.0) == -10 / 30
    a = np.array([0.0, 0.0, 10.0, 10.0])
    b = np.array([3.0, 0.0, 10.0, 14.0])  # x1 +3, y2 +4
    assert corner_direction(a, b, 0) == (0.0, 3 / (3 + 1e-6))      # (x1, y1)
    assert corner_direction(a, b, 1) == (4 / (5 + 1e-6), 3 / (5 + 1e-6))  # (x1, y2)
    assert corner_direction(a, b, 3) == (4 / (4 + 1e-6), 0.0)      # (x2, y2)


def test_associate_momentum_tcm_changes_the_choice():
    trk = np.array([[100.0, 100, 140, 180]])
    dets = np.array([[108.0, 100, 148, 180], [91.0, 100, 131, 180]])
    scores = np.array([0.65, 0.9])
    prev = np.full((1, 5), -1.0)
    vel = np.zeros((1, 8))
    args = (SIM_HMIOU, dets, scores, np.full(2, -1), trk, np.full(1, -1), prev, vel, 0.25, 0.05, False)
    assert st.associate_momentum(*args, np.array([0.9]), 0.0)[0].tolist() == [0, -1]
    tfd, ud, ut = st.associate_momentum(*args, np.array([0.9]), 1.0)
    assert tfd.tolist() == [-1, 0] and ud.tolist() == [0] and ut.tolist() == []


def test_associate_remaining_applies_tcm_after_the_round_check():
    boxes = np.array([[102.0, 100, 142, 180]])
    trk = np.array([[100.0, 100, 140, 180]])
    one = np.array([0])
    args = (SIM_HMIOU, boxes, np.full(1, -1), one, trk, np.full(1, -1), one, 0.25, False,
            np.array([0.15]), np.array([0.6]))
    md, mt, ran = st.associate_remaining(*args, 1.0)
    assert md.tolist() == [0] and mt.tolist() == [0] and ran
    md, mt, ran = st.associate_remaining(*args, 2.0)  # 0.905 - 0.9 < 0.25: solved, rejected
    assert md.tolist() == [] and ran


def test_remove_and_unmatched_order():
    rng = np.random.default_rng(2)
    for _ in range(20):
        items = np.unique(rng.integers(0, 30, 12))
        taken = rng.choice(items, 4, replace=False)
        assert st.remove(items, taken, 30).tolist() == np.setdiff1d(items, taken).tolist()
    assigned = np.array([True, False, True, False])
    assert st.unmatched_order(4, assigned, np.array([2, 0]), 2).tolist() == [1, 3, 2, 0]


def _table(vw, delta_t=3, n=1):
    names = tuple(f"v{k}" for k in range(vw))
    t = TrackTable(7, st.INT_COLUMNS, st.float_columns(names) + observation_columns(delta_t))
    t.reserve(n)
    return t


def test_previous_obs_takes_delta_t_back_or_the_nearest_later_or_the_last():
    tab = _table(2)
    f = tab.floats
    ring = st.columns(2)[3]
    st.birth(tab.mean, tab.covariance, tab.ints, f, 0, 1, np.array([0.0, 0, 10, 10]), 0.9, -1, 0, 3, 2)
    assert f[0, st.LAST:st.LAST + 5].tolist() == [-1.0] * 5
    assert st.previous_obs(f, 0, 5, 3, ring) == st.LAST
    record_observation(f, 0, ring, 3, 3, 1, 2, 3, 4, 0.5)
    record_observation(f, 0, ring, 3, 4, 5, 6, 7, 8, 0.6)
    c = st.previous_obs(f, 0, 6, 3, ring)  # age 3 is 3 back
    assert f[0, c:c + 5].tolist() == [1, 2, 3, 4, 0.5]
    c = st.previous_obs(f, 0, 7, 3, ring)  # age 4: the nearest later within the window
    assert f[0, c:c + 5].tolist() == [5, 6, 7, 8, 0.6]


def test_freeze_lost_only_on_the_first_miss_and_oru_gap():
    tab = _table(8)
    m, c, i, f = tab.mean, tab.covariance, tab.ints, tab.floats
    st.birth(m, c, i, f, 0, 1, np.array([0.0, 0, 10, 20]), 0.9, -1, 0, 3, 8)
    assert st.oru_gap(i, f, 0, 8) == (0, 1.0)
    st.freeze_lost(m, c, i, f, 0, 8)  # never observed: nothing to freeze
    assert i[0, st.ORU] == st.ORU_NEW
    i[0, st.ORU] = st.ORU_OBSERVED
    i[0, st.HIST_AGE] = 2
    i[0, 3] = 3  # AGE
    f[0, 0] = 1.0  # TSU
    st.freeze_lost(m, c, i, f, 0, 8)
    m[0, 0] = 99.0
    st.freeze_lost(m, c, i, f, 0, 8)  # second miss: the first frozen state stays
    fz = st.columns(8)[2]
    assert i[0, st.ORU] == st.ORU_FROZEN and f[0, fz] == 5.0
    i[0, 3] = 6
    f[0, 0] = 4.5  # 3.5 frames over the 3 more steps (timestamps)
    assert st.oru_gap(i, f, 0, 8) == (4, 3.5 / 3)


def test_warp_track_translates_boxes_and_keeps_directions():
    tab = _table(8)
    m, c, i, f = tab.mean, tab.covariance, tab.ints, tab.floats
    st.birth(m, c, i, f, 0, 1, np.array([0.0, 0, 10, 20]), 0.9, -1, 0, 3, 8)
    i[0, st.ORU] = st.ORU_OBSERVED
    f[0, st.LAST:st.LAST + 5] = [0, 0, 10, 20, 0.9]
    f[0, st.VEL:st.VEL + 8] = np.arange(1, 9)
    ring = st.columns(8)[3]
    record_observation(f, 0, ring, 3, 1, 0, 0, 10, 20, 0.9)
    H = np.array([[1.0, 0, 7], [0, 1.0, -3], [0, 0, 1]])
    st.warp_track(m, c, i, f, 0, H, 3, 8, np.empty((1, 7)), np.empty((1, 7, 7)))
    assert f[0, st.LAST:st.LAST + 4].tolist() == [7, -3, 17, 17]
    assert f[0, ring + 6:ring + 10].tolist() == [7, -3, 17, 17]  # age 1: slot 1
    np.testing.assert_allclose(f[0, st.VEL:st.VEL + 8], np.arange(1, 9), rtol=1e-15)
