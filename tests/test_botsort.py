"""BoT-SORT behaviour beyond the reference outputs: its Kalman filter against filterpy and
the original's numpy, hand-worked association cases, appearance, state, timestamps,
per-class, bad input and the pure-Python twin."""
from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

import mottrack
import mottrack.trackers._byte_stages
import mottrack.trackers.botsort
from mottrack.kalman import (KalmanXYWHFilter, xywh_predict_numpy, xywh_update_numpy,
                             xywh_warp_numpy)
from conftest import shared_path
from support import pure_python
from streams import assert_identical, det_stream, embedding_stream, roundtrip, run, timestamps


# --------------------------------------------------------------------------- the filter
def _filterpy(box):
    """BoT-SORT's (x, y, w, h) filter set up in filterpy, noise recomputed per step."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    kf = KalmanFilter(dim_x=8, dim_z=4)
    kf.F = np.eye(8) + np.eye(8, k=4)
    kf.H = np.eye(4, 8)
    kf.x = np.array([x1 + w / 2, y1 + h / 2, w, h, 0, 0, 0, 0], float)
    s = np.array([w, h, w, h]) / 20 * 2
    v = np.array([w, h, w, h]) / 160 * 10
    kf.P = np.diag(np.r_[s, v] ** 2)
    return kf


def _noise(kf):
    w, h = kf.x[2], kf.x[3]
    kf.Q = np.diag(np.r_[np.array([w, h, w, h]) / 20, np.array([w, h, w, h]) / 160] ** 2)


def test_xywh_filter_matches_filterpy_through_warps():
    rng = np.random.default_rng(0)
    box = np.array([100.0, 50.0, 140.0, 150.0])
    ours = KalmanXYWHFilter()
    ours.initiate(box[None])
    ref = _filterpy(box)
    for k in range(30):
        _noise(ref)
        ref.predict()
        ours.predict()
        if k % 4 == 1:  # a rotating, scaling camera warp couples x with y and w with h
            a = rng.normal(0, 0.03)
            s = 1 + rng.normal(0, 0.02)
            W = np.array([[s * np.cos(a), -s * np.sin(a), rng.normal(0, 5)],
                          [s * np.sin(a), s * np.cos(a), rng.normal(0, 5)]])
            R8 = np.kron(np.eye(4), W[:, :2])
            ref.x = R8 @ ref.x
            ref.x[:2] += W[:, 2]
            ref.P = R8 @ ref.P @ R8.T
            ours.warp(W)
        box = box + np.r_[rng.normal(2, 1, 2), rng.normal(2, 1, 2)]
        w, h = ref.x[2], ref.x[3]
        ref.R = np.diag((np.array([w, h, w, h]) / 20) ** 2)
        z = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]])
        ref.update(z)
        ours.update([0], box[None])
        np.testing.assert_allclose(ours.mean[0], ref.x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ours.covariance[0], ref.P, rtol=1e-7, atol=1e-9)


def test_xywh_numpy_twins_agree_with_kernels():
    rng = np.random.default_rng(1)
    f = KalmanXYWHFilter()
    b = np.column_stack([rng.uniform(0, 500, (6, 2)), rng.uniform(600, 900, (6, 2))])
    f.initiate(b)
    f.predict(1.5)
    W = np.array([[1.01, -0.02, 3.0], [0.02, 1.01, -2.0]])
    m, P = xywh_warp_numpy(f.mean[:6].copy(), f.covariance[:6].copy(), W)
    f.warp(W)
    np.testing.assert_allclose(f.mean[:6], m, rtol=1e-12)
    np.testing.assert_allclose(f.covariance[:6], P, rtol=1e-12, atol=1e-12)
    m, P = xywh_predict_numpy(f.mean[:6].copy(), f.covariance[:6].copy(), 0.7)
    f.predict(0.7)
    np.testing.assert_allclose(f.mean[:6], m, rtol=1e-12)
    np.testing.assert_allclose(f.covariance[:6], P, rtol=1e-12, atol=1e-9)
    m, P = xywh_update_numpy(f.mean[:6].copy(), f.covariance[:6].copy(), b + 3)
    f.update(np.arange(6), b + 3)
    np.testing.assert_allclose(f.mean[:6], m, rtol=1e-10)
    np.testing.assert_allclose(f.covariance[:6], P, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(f.boxes(), np.column_stack([m[:, :2] - m[:, 2:4] / 2, m[:, :2] + m[:, 2:4] / 2]))
    with pytest.raises(ValueError, match="camera_motion"):
        f.warp(np.zeros((2, 3)))


# --------------------------------------------------------------------------- hand-worked cases
def test_reports_unconfirmed_tracks_and_thresholds_are_strict():
    t = mottrack.BoTSORT()
    # frame 1: born confirmed (first frame); a 0.65 box is high but too weak to start a track
    out = t.update([[0, 0, 10, 20, 0.9], [100, 0, 110, 20, 0.65]])
    assert out[:, 4].tolist() == [1]
    # frame 2: a new object is reported at once, while still unconfirmed (the original's output)
    out = t.update([[0, 0, 10, 20, 0.9], [200, 0, 210, 20, 0.7]])
    assert sorted(out[:, 4].tolist()) == [1, 2]
    assert t.tracks.column("state").tolist() == [mottrack.tracks.CONFIRMED, mottrack.tracks.TENTATIVE]
    # a detection at exactly 0.6 is neither high nor low: track 2 is not continued by it
    out = t.update([[0, 0, 10, 20, 0.9], [200, 0, 210, 20, 0.6]])
    assert out[:, 4].tolist() == [1]
    # a detection at exactly 0.1 is ignored; at 0.11 it continues track 1 (second round)
    out = t.update([[0, 0, 10, 20, 0.1]])
    assert out.shape[0] == 0
    t2 = mottrack.BoTSORT()
    t2.update([[0, 0, 10, 20, 0.9]])
    out = t2.update([[0, 0, 10, 20, 0.11]])
    assert out[:, 4].tolist() == [1] and out[0, 5] == pytest.approx(0.11)


def _emb(vecs):
    return np.asarray(vecs, np.float32)


def test_appearance_cost_rule():
    """Two overlapping tracks, two detections overlapping both with IoU > 0.5.  By
    (score-fused) IoU det 0 goes to track 2 and det 1 to track 1 (costs 0.264 + 0.264 <
    0.335 + 0.335); the embeddings say the reverse (halved cosine distance 0), and count
    since 1 - IoU <= proximity_thresh (0.26, 0.18 <= 0.5)."""
    a, b = [1, 0, 0, 0], [0, 1, 0, 0]
    boxes = np.array([[0, 0, 40, 100], [10, 0, 50, 100]], float)
    moved = np.array([[6, 0, 46, 100], [4, 0, 44, 100]], float)

    def second_frame(tracker, with_embeddings=True):
        tracker.update(mottrack.Detections(boxes, [0.9, 0.9], None, _emb([a, b])))
        if not with_embeddings:
            return tracker.update(np.column_stack([moved, [0.9, 0.9]]))
        return tracker.update(mottrack.Detections(moved, [0.9, 0.9], None, _emb([a, b])))

    def pairs(out):
        return {int(r[7]): int(r[4]) for r in out}

    assert pairs(second_frame(mottrack.BoTSORT())) == {0: 1, 1: 2}
    assert pairs(second_frame(mottrack.BoTSORT(), with_embeddings=False)) == {0: 2, 1: 1}
    # appearance gated off by proximity (1 - IoU of the pairs it wants: 0.26 > 0.2)
    assert pairs(second_frame(mottrack.BoTSORT(proximity_thresh=0.2))) == {0: 2, 1: 1}
    # ... or by appearance_thresh (orthogonal features: halved distance 0.5 > 0.25)
    t = mottrack.BoTSORT()
    t.update(mottrack.Detections(boxes, [0.9, 0.9], None, _emb([a, b])))
    out = t.update(mottrack.Detections(moved, [0.9, 0.9], None, _emb([[0, 0, 1, 0], [0, 0, 0, 1]])))
    assert pairs(out) == {0: 2, 1: 1}


def test_feature_is_the_smoothed_unit_vector():
    t = mottrack.BoTSORT()
    box = np.array([[0, 0, 40, 100]], float)
    f1 = np.array([[3, 4, 0, 0]], np.float32)
    f2 = np.array([[0, 0, 1, 0]], np.float32)
    t.update(mottrack.Detections(box, [0.9], None, f1))
    np.testing.assert_allclose(t.features[0], [0.6, 0.8, 0, 0])
    t.update(mottrack.Detections(box, [0.9], None, f2))
    v = 0.9 * np.array([0.6, 0.8, 0, 0]) + 0.1 * np.array([0, 0, 1, 0])
    np.testing.assert_allclose(t.features[0], v / np.linalg.norm(v), rtol=1e-12)
    # a low (second-round) detection's embedding does not enter the feature
    t.update(mottrack.Detections(box, [0.3], None, f1))
    np.testing.assert_allclose(t.features[0], v / np.linalg.norm(v), rtol=1e-12)


def test_quantised_embeddings_are_accepted():
    box = np.array([[0, 0, 40, 100]], float)
    t = mottrack.BoTSORT()
    t.update(mottrack.Detections(box, [0.9], None, np.array([[3, 4]], np.int8),
                                 embedding_quantization=(0.5, 0)))
    np.testing.assert_allclose(t.features[0], [0.6, 0.8])


def test_embedding_errors_leave_the_tracker_untouched():
    box = np.array([[0, 0, 40, 100]], float)
    t = mottrack.BoTSORT()
    t.update(mottrack.Detections(box, [0.9], None, np.ones((1, 4), np.float32)))
    before = t.state_dict()
    with pytest.raises(ValueError, match="embeddings: row 0 has zero length"):
        t.update(mottrack.Detections(box, [0.9], None, np.zeros((1, 4), np.float32)))
    with pytest.raises(ValueError, match="embeddings: dimension changed from 4 to 3"):
        t.update(mottrack.Detections(box, [0.9], None, np.ones((1, 3), np.float32)))
    after = t.state_dict()
    assert after["frame_count"] == before["frame_count"] == 1
    np.testing.assert_array_equal(after["attrs"]["features"], before["attrs"]["features"])
    np.testing.assert_array_equal(after["attrs"]["tracks"]["mean"], before["attrs"]["tracks"]["mean"])
    # a first frame with a zero embedding: nothing is fixed yet
    t = mottrack.BoTSORT()
    with pytest.raises(ValueError, match="zero length"):
        t.update(mottrack.Detections(box, [0.9], None, np.zeros((1, 4), np.float32)))
    assert t.embedding_dim == 0 and t.frame_count == 0


@pytest.mark.parametrize("kw,exc,match", [
    ({"track_high_thresh": 1.5}, ValueError, "track_high_thresh"),
    ({"new_track_thresh": -0.1}, ValueError, "new_track_thresh"),
    ({"match_thresh": 0.0}, ValueError, "match_thresh"),
    ({"track_low_thresh": 0.2}, ValueError, "track_low_thresh"),
    ({"proximity_thresh": "0.5"}, TypeError, "proximity_thresh"),
    ({"appearance_thresh": np.nan}, ValueError, "appearance_thresh"),
    ({"fuse_score": 1}, TypeError, "fuse_score"),
    ({"track_buffer": -1}, ValueError, "track_buffer"),
    ({"output_box": "both"}, ValueError, "output_box"),
])
def test_bad_parameters(kw, exc, match):
    with pytest.raises(exc, match=match):
        mottrack.BoTSORT(**kw)


def test_registry_facts():
    cls = mottrack.tracker_class("botsort")
    assert cls is mottrack.BoTSORT
    assert cls.embeddings == "optional"
    p = mottrack.tracker_parameters("botsort")
    assert p == {"track_high_thresh": 0.6, "track_low_thresh": 0.1, "new_track_thresh": 0.7,
                 "track_buffer": 30, "match_thresh": 0.8, "proximity_thresh": 0.5,
                 "appearance_thresh": 0.25, "fuse_score": True, "frame_rate": 30,
                 "per_class": False, "output_box": "kalman"}


def test_per_class():
    t = mottrack.BoTSORT(per_class=True)
    t.update([[0, 0, 40, 100, 0.9, 1], [0, 0, 40, 100, 0.9, 2]])
    out = t.update([[1, 0, 41, 100, 0.9, 2], [1, 0, 41, 100, 0.9, 1]])
    assert {int(r[7]): (int(r[4]), int(r[6])) for r in out} == {0: (2, 2), 1: (1, 1)}


# --------------------------------------------------------------------------- real streams
def _reid_frames(n=150):
    return embedding_stream(shared_path("data", "MOT17", "embeddings", "deepsort", "MOT17-05-FRCNN.npy"),
                            n, min_score=-np.inf)


def _gmc_frames():
    frames = det_stream(shared_path("data", "MOT17", "dets", "yolox_x_ablation", "MOT17-05.txt"), 120,
                        first=419)
    warps = mottrack.motion.read_warps(shared_path("data", "MOT17", "gmc", "MOT17-05.txt"))
    return frames, list(warps[:120])


def _run_cm(t, frames, warps, times=None, start=0):
    return [t.update(frames[i], None if times is None else times[i], camera_motion=warps[i])
            for i in range(start, len(frames))]


@pytest.mark.parametrize("via", ["dict", "npz", "json"])
def test_restore_and_continue_is_byte_identical_with_features(via):
    frames = _reid_frames()
    full = run(mottrack.BoTSORT(), frames)
    for cut in (1, 40, len(frames) - 1):
        t = mottrack.BoTSORT()
        head = run(t, frames, stop=cut)
        r = roundtrip(t, via)
        np.testing.assert_array_equal(r.features[:r.tracks.n], t.features[:t.tracks.n])
        assert_identical(head + run(r, frames, start=cut), full)


def test_restore_and_continue_with_camera_motion():
    frames, warps = _gmc_frames()
    full = _run_cm(mottrack.BoTSORT(), frames, warps)
    t = mottrack.BoTSORT()
    head = [t.update(frames[i], camera_motion=warps[i]) for i in range(60)]
    assert_identical(head + _run_cm(roundtrip(t, "npz"), frames, warps, start=60), full)


def _bad_state(mutate):
    t = mottrack.BoTSORT()
    run(t, _reid_frames(20))
    s = t.state_dict()
    mutate(s["attrs"])
    return s


@pytest.mark.parametrize("label,mutate,match", [
    ("features dim", lambda a: a.update(features=a["features"][:, :5]), "features"),
    ("features rows", lambda a: a.update(features=a["features"][:1]), "features"),
    ("features NaN", lambda a: a["features"].__setitem__((0, 0), np.nan), "features"),
    ("has_feature 7", lambda a: a["tracks"]["ints"].__setitem__((0, 8), 7), "has_feature"),
])
def test_bad_restored_state_is_rejected(label, mutate, match):
    with pytest.raises(ValueError, match=match):
        mottrack.Tracker.from_state(_bad_state(mutate))


def test_timestamps_one_frame_apart_equal_frames_and_jitter_matters():
    frames, warps = _gmc_frames()
    plain = _run_cm(mottrack.BoTSORT(), frames, warps)
    stamped = _run_cm(mottrack.BoTSORT(), frames, warps, times=1000.0 + np.arange(len(frames)) / 30.0)
    assert_identical(plain, stamped)
    jittered = _run_cm(mottrack.BoTSORT(), frames, warps, times=timestamps(len(frames), 30.0))
    assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(plain, jittered))


def test_compiled_equals_pure_python():
    frames, warps = _gmc_frames()
    frames, warps = frames[:25], warps[:25]
    rows = [np.ascontiguousarray(np.column_stack([f.boxes, f.scores])) for f in frames]
    reid = _reid_frames(25)

    def all_runs():
        return (run(mottrack.BoTSORT(), reid), run(mottrack.BoTSORT(), frames),
                _run_cm(mottrack.BoTSORT(), frames, warps), _run_cm(mottrack.BoTSORT(), rows, warps))

    fast = all_runs()
    with pure_python():
        slow = all_runs()
    for a, b in zip(fast[0] + fast[1], slow[0] + slow[1]):  # appearance, no camera motion
        assert np.array_equal(a, b)
    # With camera motion the coupled covariance update of the compiled kernel can round
    # the last bit differently (4e-16 seen); tracks and ids are the same, boxes to 1e-9.
    for a, b in zip(fast[2] + fast[3], slow[2] + slow[3]):
        assert a.shape == b.shape and np.array_equal(a[:, 4:], b[:, 4:])
        assert np.allclose(a[:, :4], b[:, :4], rtol=0, atol=1e-9)
