"""Hybrid-SORT on hand-worked streams and against independent oracles: each weak cue
(TCM in the first and the BYTE round, HMIoU, corner momentum) decides a case it should,
the confidence filter equals filterpy's, ORU re-runs it along the interpolated scores,
camera motion, timestamps, state and bad parameters."""
from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

from mottrack import HybridSORT, create_tracker
from mottrack.registry import tracker_parameters


def box(x, y, w=40.0, h=80.0, score=0.9):
    return [x, y, x + w, y + h, score]


def frame(*rows):
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def ids(out):
    return out[:, 4].astype(int).tolist()


def conf_filter(score):
    """The original's (c, c') block as a filterpy filter: P0 diag(10, 1e4), Q diag(1, 1e-4), R 10."""
    kf = KalmanFilter(dim_x=2, dim_z=1)
    kf.F = np.array([[1.0, 1.0], [0.0, 1.0]])
    kf.H = np.array([[1.0, 0.0]])
    kf.P = np.diag([10.0, 10000.0])
    kf.Q = np.diag([1.0, 0.0001])
    kf.R = np.array([[10.0]])
    kf.x = np.array([[score], [0.0]])
    return kf


# ------------------------------------------------------------------ defaults and parameters
def test_defaults_are_the_original_mot17_ablation_configuration():
    p = tracker_parameters("hybridsort")
    assert p == {"det_thresh": 0.6, "max_age": 30, "min_hits": 3, "iou_threshold": 0.25, "delta_t": 3,
                 "asso_func": "hmiou", "inertia": 0.05, "use_byte": True, "tcm_first_step": True,
                 "tcm_first_step_weight": 1.0, "tcm_byte_step": True, "tcm_byte_step_weight": 1.0,
                 "frame_rate": 30.0, "per_class": False, "output_box": "detection"}


def test_the_originals_similarity_name_is_accepted():
    assert HybridSORT(asso_func="Height_Modulated_IoU").asso_func == "hmiou"


@pytest.mark.parametrize("params,exc,match", [
    ({"tcm_first_step": "yes"}, TypeError, "tcm_first_step"),
    ({"tcm_byte_step": 2}, TypeError, "tcm_byte_step"),
    ({"tcm_first_step_weight": float("nan")}, ValueError, "tcm_first_step_weight"),
    ({"tcm_byte_step_weight": "1"}, TypeError, "tcm_byte_step_weight"),
    ({"asso_func": "height"}, ValueError, "asso_func"),
    ({"iou_threshold": -0.1}, ValueError, "iou_threshold"),
    ({"use_byte": "no"}, TypeError, "use_byte"),
])
def test_bad_parameters_are_rejected(params, exc, match):
    with pytest.raises(exc, match=match):
        create_tracker("hybridsort", **params)


# ------------------------------------------------------------------ TCM
def _established(score=0.9, n=5, **params):
    """One static track observed ``n`` frames with ``score``."""
    t = HybridSORT(**params)
    for _ in range(n):
        t.update(frame(box(100, 100, score=score)))
    return t


def test_confidence_filter_equals_filterpy():
    scores = [0.9, 0.85, 0.8, 0.7, 0.75, 0.65]
    t = HybridSORT(min_hits=1)
    kf = conf_filter(scores[0])
    t.update(frame(box(100, 100, score=scores[0])))
    for s in scores[1:]:
        t.update(frame(box(100, 100, score=s)))
        kf.predict()
        kf.update(np.array([[s]]))
        assert t.tracks.mean[0, 7:9] == pytest.approx(kf.x[:, 0], rel=1e-12, abs=1e-12)
        assert t.tracks.covariance[0, 7:9, 7:9] == pytest.approx(kf.P, rel=1e-12)


def test_oru_reruns_the_confidence_filter_along_interpolated_scores():
    t = HybridSORT(min_hits=1)
    kf = conf_filter(0.9)
    t.update(frame(box(100, 100, score=0.9)))
    t.update(frame(box(100, 100, score=0.8)))
    kf.predict()
    kf.update(np.array([[0.8]]))
    for _ in range(3):  # lost for 3 frames: the state of the first one is frozen
        t.update(frame())
    kf.predict()
    x, P = kf.x.copy(), kf.P.copy()
    t.update(frame(box(100, 100, score=0.7)))
    # original: restore, update along 0.8 -> 0.7 over 4 steps (predict between), then update with 0.7
    kf.x, kf.P = x, P
    for i in range(4):
        kf.update(np.array([[0.8 + (i + 1) * (0.7 - 0.8) / 4]]))
        if i < 3:
            kf.predict()
    kf.update(np.array([[0.7]]))
    assert t.tracks.mean[0, 7:9] == pytest.approx(kf.x[:, 0], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("tcm,expected_score", [(True, 0.9), (False, 0.65)])
def test_tcm_picks_the_detection_whose_score_continues_the_track(tcm, expected_score):
    t = _established(tcm_first_step=tcm)
    # two detections overlap the track; the weaker (0.65) overlaps a little more, but the
    # track's confidence is ~0.9: |0.65 - 0.9| = 0.25 outweighs the overlap difference
    d = frame(box(108, 100, score=0.65), box(91, 100, score=0.9))
    out = t.update(d)
    assert ids(out) == [1]
    assert out[0, 5] == expected_score


def test_byte_round_tcm_prefers_the_score_the_trend_predicts():
    t = _established(score=0.9)
    # no high detection: two low ones (0.1 < score < 0.6) overlap the track; the BYTE
    # estimate is clip(0.9 + (0.9 - 0.9), 0.1, 0.6) = 0.6: 0.5 is closer than 0.2
    d = frame(box(103, 100, score=0.2), box(96, 100, score=0.5))
    assert t.update(d)[:, 5].tolist() == [0.5]
    t = _established(score=0.9, tcm_byte_step=False)
    assert t.update(d)[:, 5].tolist() == [0.2]  # plain HMIoU: the closer box


def test_byte_round_tcm_can_reject_a_pair_above_the_threshold():
    t = _established(score=0.9)
    # HMIoU ~0.90 > 0.25 so the round runs; minus |0.15 - 0.6| = 0.45 it is still >= 0.25
    assert len(t.update(frame(box(102, 100, score=0.15)))) == 1
    t = _established(score=0.9, tcm_byte_step_weight=2.0)
    # with weight 2: 0.90 - 0.9 < 0.25: rejected, the track is not updated
    assert len(t.update(frame(box(102, 100, score=0.15)))) == 0


# ------------------------------------------------------------------ HMIoU
@pytest.mark.parametrize("asso,expected_x", [("hmiou", 112.0), ("iou", 100.0)])
def test_hmiou_prefers_the_box_on_the_same_rows(asso, expected_x):
    t = _established(asso_func=asso)
    # a box shifted down 20 px (IoU 60/100 = 0.6) and one shifted right 12 px (IoU 28/52 = 0.538):
    # HMIoU scales the first by its row overlap 60/100: 0.36 < 0.538
    d = frame(box(100, 120, score=0.9), box(112, 100, score=0.9))
    out = t.update(d)
    assert ids(out) == [1] and out[0, 0] == expected_x


# ------------------------------------------------------------------ corner momentum
def test_corner_directions_sum_the_unit_directions_of_the_last_delta_t_observations():
    t = HybridSORT(min_hits=1)
    for f in range(5):
        t.update(frame(box(100 + 10 * f, 100)))
    # frame 5 (age 4): observations 10, 20 and 30 px back, each (0, ~1); the sum has norm ~3
    vx = t.tracks.column("velocity_x1y1_x")[0]
    vy = t.tracks.column("velocity_x2y2_y")[0]
    assert vx == pytest.approx(10 / (10 + 1e-6) + 20 / (20 + 1e-6) + 30 / (30 + 1e-6), rel=1e-15)
    assert vy == 0.0
    assert HybridSORT(delta_t=1, min_hits=1).update(frame(box(0, 0))).shape == (1, 8)


def test_corner_directions_fall_back_to_the_last_observation():
    t = HybridSORT(min_hits=1, max_age=10)
    t.update(frame(box(100, 100)))
    t.update(frame(box(100, 100)))
    for _ in range(4):  # older than delta_t frames: only the last observation is left
        t.update(frame())
    t.update(frame(box(100, 115)))  # 15 px down
    assert t.tracks.column("velocity_x1y2_y")[0] == pytest.approx(15 / (15 + 1e-6), rel=1e-15)
    assert t.tracks.column("velocity_x1y2_x")[0] == 0.0


def test_crossing_objects_keep_their_ids():
    # two objects cross horizontally; at the crossing both detections overlap both tracks
    def run(inertia):
        t = HybridSORT(min_hits=1, inertia=inertia, iou_threshold=0.1)
        seen = []
        for f in range(9):
            d = frame(box(100 + 12 * f, 100, score=0.9), box(196 - 12 * f, 104, score=0.9))
            seen.append({int(r[4]): r[0] for r in t.update(d)})
        return seen
    seen = run(0.05)
    assert all(set(s) == {1, 2} for s in seen)
    assert seen[-1][1] > seen[-1][2]  # track 1 went on to the right, through the crossing


# ------------------------------------------------------------------ camera motion, time, state
def test_camera_motion_keeps_tracks_through_a_large_pan():
    def run(camera_motion, pan=60.0, frames=12):
        t = HybridSORT(min_hits=1)
        warp = np.array([[1.0, 0.0, -pan], [0.0, 1.0, 0.0]])
        for f in range(frames):
            d = frame(*[box(800 + 150 * k - pan * f, 100 + 100 * k) for k in range(3)])
            t.update(d, camera_motion=warp if (camera_motion and f) else None)
        return t.tracks.next_id - 1
    assert run(True) == 3
    assert run(False) == 3 * 12


def test_camera_motion_turns_corner_directions_by_the_jacobian():
    t = HybridSORT(min_hits=1)
    for f in range(3):
        t.update(frame(box(100 + 10 * f, 100)))
    before = t.tracks.column("velocity_x1y1_x")[0]
    t.update(frame(), camera_motion=[[0.0, -1.0, 500.0], [1.0, 0.0, 0.0]])  # 90 degree rotation
    # (dy, dx) = (0, v) turns into (v, 0), norm kept
    assert t.tracks.column("velocity_x1y1_y")[0] == pytest.approx(before)
    assert t.tracks.column("velocity_x1y1_x")[0] == pytest.approx(0.0, abs=1e-12)


def test_identity_warp_changes_nothing():
    det = [frame(box(100 + 7 * f, 50), box(400 - 5 * f, 200, score=0.5)) for f in range(10)]
    a, b = HybridSORT(min_hits=1), HybridSORT(min_hits=1)
    for d in det:
        np.testing.assert_allclose(a.update(d), b.update(d, camera_motion=np.eye(3)), atol=1e-9)


def test_timestamps_one_frame_apart_equal_frame_based():
    rng = np.random.default_rng(3)
    frames = [frame(*[box(50 + 90 * k + 3 * f + rng.normal(), 60 + rng.normal(),
                          score=rng.uniform(0.3, 0.95)) for k in range(5)]) for f in range(20)]
    a, b = HybridSORT(), HybridSORT()
    for f, d in enumerate(frames):
        if f in (7, 8, 9):
            d = d[:2]
        assert a.update(d).tobytes() == b.update(d, timestamp=100.0 + f / 30.0).tobytes()


def test_per_class_never_matches_another_class():
    t = HybridSORT(min_hits=0, per_class=True)
    t.update(np.array([[100, 100, 140, 180, 0.9, 1.0]]))
    out = t.update(np.array([[101, 100, 141, 180, 0.9, 2.0]]))
    assert ids(out) == [2] and out[0, 6] == 2
