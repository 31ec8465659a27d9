"""OC-SORT on hand-worked streams: every stage (OCM, BYTE, OCR, ORU), every option the
reference outputs do not cover (use_byte, asso_func, inertia 0, delta_t), lifecycle,
camera motion, timestamps, per-class, state and bad parameters."""
from __future__ import annotations

import io

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

import mottrack
from mottrack import OCSORT, Detections, create_tracker
from mottrack.geometry import SIMILARITIES, similarity_matrix
from mottrack.state import load_state, save_state
from mottrack.trackers.ocsort import associate_ocm


def box(x, y, w=40.0, h=80.0, score=0.9, cls=None):
    row = [x, y, x + w, y + h, score]
    return row + ([cls] if cls is not None else [])


def frame(*rows):
    return np.array(rows, dtype=np.float64).reshape(-1, len(rows[0]) if rows else 5)


def ids(out):
    return out[:, 4].astype(int).tolist()


# ------------------------------------------------------------------ output and lifecycle
def test_reports_detection_box_and_det_index():
    t = OCSORT()
    d = frame(box(10, 20, score=0.95), box(300, 40, score=0.7))
    out = t.update(d)
    # frame 1 <= min_hits: every new track is reported, with its detection's box
    assert out.shape == (2, 8) and ids(out) == [1, 2]
    assert np.array_equal(out[:, :4], d[:, :4]) and out[:, 5].tolist() == [0.95, 0.7]
    assert out[:, 6].tolist() == [-1, -1] and out[:, 7].tolist() == [0, 1]
    # "kalman": the filter's box; a newborn's is its measurement with r = w / (h + 1e-6):
    # w' = sqrt(s r) = sqrt(40 * 80 * 40 / 80.000001), h' = s / w'
    k = OCSORT(output_box="kalman").update(d[:1])
    w = np.sqrt(40 * 80 * 40 / 80.000001)
    assert k[0, :4] == pytest.approx([30 - w / 2, 60 - 3200 / w / 2, 30 + w / 2, 60 + 3200 / w / 2], abs=1e-12)
    assert k[0, 2] - k[0, 0] < 40.0


def test_det_thresh_is_strict_and_low_scores_never_start_tracks():
    t = OCSORT(det_thresh=0.6)
    out = t.update(frame(box(10, 10, score=0.6), box(200, 10, score=0.6000001), box(400, 10, score=0.3)))
    assert out[:, 7].tolist() == [1]  # only the detection above 0.6 starts a track
    assert t.tracks.n == 1


def test_min_hits_rule_after_the_first_frames():
    t = OCSORT(min_hits=3)
    for f in range(4):  # frames 1..4: one object
        t.update(frame(box(10 + 2 * f, 10)))
    seen = []
    for f in range(4, 9):  # a second object appears at frame 5
        out = t.update(frame(box(10 + 2 * f, 10), box(400, 300)))
        seen.append(2 in ids(out))
    # born at frame 5 (streak 0), hits at 6, 7, 8: reported from frame 8 on
    assert seen == [False, False, False, True, True]


def test_max_age_counts_frames_without_detection():
    # a static object: its prediction stays on it, so the first round can re-match it
    for gap, same in ((30, True), (31, True), (32, False)):
        t = OCSORT(max_age=30, min_hits=1)
        for _ in range(3):
            t.update(frame(box(100, 100)))
        # last update at frame 3; after frame 3 + k it has gone k frames without one and
        # is deleted at the end of the frame where k > 30 (it can still match in it)
        for _ in range(gap - 1):
            assert len(t.update(None)) == 0
        out = t.update(frame(box(100, 100)))
        assert t.track_ids().tolist() == ([1] if same else [2]), gap
        assert ids(out) == ([1] if same else [])  # a newborn has no hits yet


def test_reset_and_track_ids():
    t = create_tracker("ocsort", min_hits=0)
    t.update(frame(box(10, 10), box(300, 10)))
    assert t.track_ids().tolist() == [1, 2]
    t.reset()
    assert t.update(frame(box(500, 10)))[0, 4] == 1.0 and t.frame_count == 1


# ------------------------------------------------------------------ OCM (momentum)
def _crossing_case(inertia, score):
    # Two tracks predicted at t0 = [0,0,10,10] and t1 = [1,0,11,10]; detections d0, d1 at
    # the same two places.  IoU: 1 on the diagonal, 90/110 = 0.818 off it.  Both tracks'
    # observations 3 frames back are centred at x = 5.5, between the detections (x = 5 and
    # 6); t0 moves right (velocity (dy, dx) = (0, 1)), t1 left.  Momentum term
    # (pi/2 - angle)/pi: +1/2 towards the detection on its side, -1/2 away, so
    #   W = [[1 - m, 0.818 + m], [0.818 + m, 1 - m]],  m = inertia * score / 2 (~).
    # The diagonal wins (2 - 2m vs 1.636 + 2m) unless m > 0.091.
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10]], float)
    prev = np.array([[0.5, 0, 10.5, 10, 0.9], [0.5, 0, 10.5, 10, 0.9]])
    vel = np.array([[0.0, 1.0], [0.0, -1.0]])
    return associate_ocm(boxes, np.full(2, score), np.full(2, -1), boxes.copy(), np.full(2, -1),
                         prev, vel, 0.3, inertia, False)


def test_momentum_can_overrule_iou():
    assert _crossing_case(0.2, 1.0)[0].tolist() == [1, 0]   # m = 0.1: the directions win
    assert _crossing_case(0.0, 1.0)[0].tolist() == [0, 1]   # inertia 0: pure IoU
    assert _crossing_case(0.2, 0.5)[0].tolist() == [0, 1]   # m = 0.05: score-weighted, too weak
    assert _crossing_case(0.4, 0.5)[0].tolist() == [1, 0]   # m = 0.1 again


def test_momentum_ignored_for_tracks_without_observation():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10]], float)
    prev = np.full((2, 5), -1.0)  # the original's placeholder: no observation
    vel = np.array([[0.0, 1.0], [0.0, -1.0]])
    tfd, _, _ = associate_ocm(boxes, np.ones(2), np.full(2, -1), boxes.copy(), np.full(2, -1),
                              prev, vel, 0.3, 1.0, False)
    assert tfd.tolist() == [0, 1]


def test_rejected_pairs_keep_the_originals_order():
    trk = np.array([[0, 0, 10, 10], [10, 0, 20, 10], [100, 0, 110, 10]], float)
    none = np.full((3, 5), -1.0)  # no observations: IoU only
    # d0 overlaps t1 by 3 px: IoU 30/170 = 0.18.  d1 overlaps t0 by 7 px (70/130 = 0.54)
    # and t1 by 3 px (0.18): one pair above 0.3 per row and column, taken as is.
    det = np.array([[17, 0, 27, 10], [3, 0, 13, 10]], float)
    tfd, ud, ut = associate_ocm(det, np.ones(2), np.full(2, -1), trk, np.full(3, -1),
                                none, np.zeros((3, 2)), 0.3, 0.2, False)
    assert tfd.tolist() == [-1, 0] and ud.tolist() == [0] and ut.tolist() == [1, 2]
    # d1 moved to overlap t0 and t1 by 5 px each (IoU 1/3 > 0.3 twice): the solver runs.
    # Optimum d0-t1 (0.18) + d1-t0 (0.33) = 0.51 > d1-t1 alone (0.33); d0-t1 is then
    # rejected.  Unmatched, in the original's order: those the solver left out (no
    # detection; track t2), then the rejected ones (d0; t1).
    det[1] = [5, 0, 15, 10]
    tfd, ud, ut = associate_ocm(det, np.ones(2), np.full(2, -1), trk, np.full(3, -1),
                                none, np.zeros((3, 2)), 0.3, 0.2, False)
    assert tfd.tolist() == [-1, 0] and ud.tolist() == [0] and ut.tolist() == [2, 1]


# ------------------------------------------------------------------ velocity and delta_t
@pytest.mark.parametrize("delta_t,expected", [
    # frames 1-4 move right 10 px/frame, frame 5 jumps 30 px up.  Observations are kept by
    # age (frames since birth): frame 2 -> age 1 ... frame 5 -> age 4 (birth is no
    # observation).  delta_t=3 at age 4 looks up age 1 (frame 2, centre x 130 -> 150...).
    (3, (-30 / np.hypot(30, 20), 20 / np.hypot(30, 20))),  # from frame 2 (x 110) to frame 5 (x 130, y -30)
    (1, (-1.0, 0.0)),                                       # from frame 4 straight up
    (0, (-1.0, 0.0)),                                       # no window: the last observation
])
def test_velocity_direction_from_observations_delta_t_apart(delta_t, expected):
    t = OCSORT(delta_t=delta_t)
    for f in range(1, 5):
        t.update(frame(box(80 + 10 * f, 100)))
    t.update(frame(box(120, 70)))
    vy, vx = t.tracks.column("velocity_y")[0], t.tracks.column("velocity_x")[0]
    assert (vy, vx) == pytest.approx(expected, abs=1e-6)


def test_velocity_window_falls_back_to_the_nearest_observation():
    # delta_t=3 at frame 3 (age 2): ages -1 and 0 hold nothing, age 1 (frame 2) is used
    t = OCSORT(delta_t=3)
    t.update(frame(box(100, 100)))
    t.update(frame(box(100, 100)))
    t.update(frame(box(100, 130)))
    assert t.tracks.column("velocity_y")[0] == pytest.approx(1.0, abs=1e-6)
    assert t.tracks.column("velocity_x")[0] == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------------ ORU
def _filterpy_box_filter(z0):
    kf = KalmanFilter(dim_x=7, dim_z=4)
    kf.F = np.eye(7) + np.eye(7, k=4)
    kf.H = np.eye(4, 7)
    kf.R[2:, 2:] *= 10.0
    kf.P[4:, 4:] *= 1000.0
    kf.P *= 10.0
    kf.Q[-1, -1] *= 0.01
    kf.Q[4:, 4:] *= 0.01
    kf.x[:4, 0] = z0
    return kf


def _z(b, eps=1e-6):
    w, h = b[2] - b[0], b[3] - b[1]
    return np.array([b[0] + w / 2, b[1] + h / 2, w * h, w / (h + eps)])


def test_oru_reupdates_along_the_virtual_trajectory():
    # An object moving 6 px/frame right, observed in frames 1-5 and 9, missed in 6-8.
    boxes = {f: box(100 + 6 * f, 50) for f in range(1, 10)}
    t = OCSORT(output_box="kalman", min_hits=1)
    for f in range(1, 10):
        t.update(frame(boxes[f]) if f not in (6, 7, 8) else None)
    # Oracle (filterpy): ORU restores the filter as predicted for frame 6 and feeds it
    # the boxes interpolated linearly (centre, w, h) between the measurements of frames 5
    # and 9, predicting between them; then frame 9's real update follows.  The object
    # moves at constant speed and size, so the virtual boxes are the true ones (w and h
    # recovered from s = w h and r = w / (h + 1e-6): r is kept).  So: frames 2..5 real,
    # 6..9 virtual, 9 real again.
    kf = _filterpy_box_filter(_z(boxes[1]))
    for f in range(2, 10):
        kf.predict()
        kf.update(_z(boxes[f]))
    kf.update(_z(boxes[9]))
    np.testing.assert_allclose(t.tracks.mean[0], kf.x[:, 0], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(t.tracks.covariance[0], kf.P, rtol=1e-12, atol=1e-9)
    # without ORU (predict through the gap, one update) the state is measurably different
    kf2 = _filterpy_box_filter(_z(boxes[1]))
    for f in range(2, 10):
        kf2.predict()
        if f not in (6, 7, 8):
            kf2.update(_z(boxes[f]))
    assert abs(kf2.P[4, 4] - kf.P[4, 4]) > 1e-3


# ------------------------------------------------------------------ OCR and asso_func
def _drift_then_stop(asso_func="iou", last=None):
    # 5 frames moving 20 px/frame right, 3 missed frames, then the detection reappears
    # where the object was last seen (it stopped): the prediction has run far ahead.
    t = OCSORT(min_hits=1, asso_func=asso_func)
    for f in range(5):
        t.update(frame(box(220 + 20 * f, 100)))
    for _ in range(3):
        t.update(None)
    mean, _ = mottrack.kalman.xysr_predict_numpy(t.tracks.mean[:1], t.tracks.covariance[:1])
    pred = mottrack.kalman.xysr_box(mean, 0)
    return t, t.update(frame(box(300, 100) if last is None else last)), pred


def test_ocr_recovers_a_track_from_its_last_observation():
    _t, out, pred = _drift_then_stop()
    assert ids(out) == [1]
    # the first round alone could not: the predicted box no longer overlaps enough
    assert mottrack.iou_matrix([box(300, 100)[:4]], [pred])[0, 0] < 0.3


def test_ocr_similarity_follows_asso_func():
    # the object reappears 2 px left of its last observation [300, 340]: IoU 0 with it
    # (and with the prediction, further right), but GIoU = 0 - (82*80 - 2*3200)/(82*80),
    # rescaled (1 - 160/6560)/2 = 0.488 > 0.3; DIoU / CIoU likewise
    nearby = box(258, 100)
    assert 1 not in ids(_drift_then_stop("iou", nearby)[1])
    assert ids(_drift_then_stop("giou", nearby)[1]) == [1]
    assert ids(_drift_then_stop("diou", nearby)[1]) == [1]
    assert ids(_drift_then_stop("ciou", nearby)[1]) == [1]
    # ct_dist with one detection and one track: 1 - d / max d = 0 -> never above 0.3
    assert 1 not in ids(_drift_then_stop("ct_dist", nearby)[1])


def test_similarity_values_by_hand():
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[5, 0, 15, 10], [20, 0, 30, 10]], float)
    iou, giou, ciou, diou, ct, hm = (similarity_matrix(k, a, b)[0] for k in range(6))
    assert SIMILARITIES == ("iou", "giou", "ciou", "diou", "ct_dist", "hmiou")
    assert hm == pytest.approx([50 / 150, 0.0])  # same rows: height ratio 1
    assert iou == pytest.approx([50 / 150, 0.0])
    # enclosing box 15 x 10 = union: GIoU = IoU; disjoint: 0 - (300 - 200) / 300
    assert giou == pytest.approx([(1 / 3 + 1) / 2, (-1 / 3 + 1) / 2])
    # centres 5 and 20 px apart; enclosing diagonals^2 225 + 100 and 900 + 100
    assert diou == pytest.approx([(1 / 3 - 25 / 325 + 1) / 2, (0 - 400 / 1000 + 1) / 2])
    assert ciou == pytest.approx(diou)  # same aspect ratios: no CIoU term
    assert ct == pytest.approx([1 - 5 / 20, 0.0])
    tall = np.array([[0, 0, 10, 30]], float)
    v = 4 / np.pi ** 2 * (np.arctan(10 / 31) - np.arctan(10 / 11)) ** 2
    i = 100 / 300
    expect = (i - (0 + 100) / (100 + 900) - v / (1 - i + v) * v + 1) / 2  # centres (5,5),(5,15)
    assert similarity_matrix(2, a, tall)[0, 0] == pytest.approx(expect)
    # HMIoU: IoU 50 / 150 times the rows shared (5) over the rows covered (15)
    low = np.array([[0, 5, 10, 15]], float)
    assert similarity_matrix(5, a, low)[0, 0] == pytest.approx(50 / 150 * 5 / 15)


# ------------------------------------------------------------------ BYTE (use_byte)
@pytest.mark.parametrize("score,use_byte,continued", [
    (0.3, True, True), (0.3, False, False), (0.1, True, False), (0.6, True, False),
])
def test_use_byte_continues_tracks_with_low_detections(score, use_byte, continued):
    t = OCSORT(det_thresh=0.6, use_byte=use_byte, min_hits=1)
    for f in range(4):
        t.update(frame(box(100 + 2 * f, 100)))
    out = t.update(frame(box(108, 100, score=score)))
    # 0.1 < score < det_thresh is BYTE's band (both ends strict); nothing else starts
    # a track, so the frame reports the continued track or nothing
    assert (ids(out) == [1]) == continued
    assert len(out) == (1 if continued else 0) and t.tracks.n == 1
    if continued:
        assert out[0, 5] == score and out[0, 7] == 0
        assert np.array_equal(out[0, :4], box(108, 100)[:4])


# ------------------------------------------------------------------ camera motion
def _panning(camera_motion, pan=60.0, frames=12):
    # 3 static objects, the camera pans right by `pan` px per frame: in the image they move
    # left by `pan` px per frame, more than a box width (40 px)
    t = OCSORT(min_hits=1)
    warp = np.array([[1.0, 0.0, -pan], [0.0, 1.0, 0.0]])
    seen = set()
    for f in range(frames):
        d = frame(*[box(800 + 150 * k - pan * f, 100 + 100 * k) for k in range(3)])
        out = t.update(d, camera_motion=warp if (camera_motion and f) else None)
        seen.update(ids(out))
    return seen, t.tracks.next_id - 1


def test_camera_motion_keeps_tracks_through_a_large_pan():
    assert _panning(True) == ({1, 2, 3}, 3)
    # without the warp every frame breaks the tracks: 3 new ones per frame
    assert _panning(False) == ({1, 2, 3}, 3 * 12)


def test_identity_warp_changes_nothing():
    det = [frame(box(100 + 7 * f, 50), box(400 - 5 * f, 200)) for f in range(10)]
    a, b = OCSORT(min_hits=1), OCSORT(min_hits=1)
    for d in det:
        np.testing.assert_allclose(a.update(d), b.update(d, camera_motion=np.eye(3)), atol=1e-9)


def test_camera_motion_moves_stored_observations():
    t = OCSORT(min_hits=1, output_box="kalman")
    t.update(frame(box(100, 100)))
    t.update(frame(box(100, 100)))
    t.update(None, camera_motion=[[2.0, 0, 10], [0, 2.0, -5]])  # zoom x2 and shift
    last = [t.tracks.column(c)[0] for c in ("last_x1", "last_y1", "last_x2", "last_y2")]
    # centre (120, 140) -> (250, 275); w, h scaled by sqrt(|det A|) = 2
    assert last == pytest.approx([210, 195, 290, 355])
    assert t.tracks.mean[0, 2] == pytest.approx(4 * 40 * 80, rel=1e-3)


# ------------------------------------------------------------------ time, classes
def test_timestamps_one_frame_apart_equal_frame_based():
    rng = np.random.default_rng(3)
    frames = [frame(*[box(50 + 90 * k + 3 * f + rng.normal(), 60 + rng.normal()) for k in range(5)])
              for f in range(20)]
    a, b = OCSORT(), OCSORT()
    for f, d in enumerate(frames):
        if f in (7, 8, 9):
            d = d[:2]  # some tracks lost for a while: ORU with timestamps too
        assert a.update(d).tobytes() == b.update(d, timestamp=100.0 + f / 30.0).tobytes()


def test_timestamps_drive_max_age():
    t = OCSORT(max_age=30, min_hits=1)
    for f in range(3):
        t.update(frame(box(100, 100)), timestamp=f / 30.0)
    t.update(None, timestamp=(2 + 31) / 30.0)  # one call, 31 frames later
    assert t.tracks.n == 0


def test_per_class_never_matches_another_class():
    for per_class, alive in ((True, [1, 2]), (False, [1])):
        t = OCSORT(per_class=per_class, min_hits=1)
        for _ in range(3):
            t.update(frame(box(100, 100, cls=0)))
        out = t.update(frame(box(100, 100, cls=1)))
        assert t.track_ids().tolist() == alive
        assert ids(out) == ([] if per_class else [1])  # the class-1 newborn has no hits yet
        assert t.tracks.column("class_id").tolist()[-1] == 1


# ------------------------------------------------------------------ state
def _stream(n=60, seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for f in range(n):
        rows = [box(40 + 60 * k + (4 + k) * f + rng.normal(0, 1), 100 + 3 * np.sin(f / 5 + k),
                    score=0.5 + 0.49 * rng.random()) for k in range(8) if (f + k) % 9]
        frames.append(frame(*rows))
    return frames


@pytest.mark.parametrize("how", ["dict", "npz", "json"])
def test_state_restore_continues_byte_identically(how):
    frames = _stream()
    full = OCSORT(use_byte=True, det_thresh=0.7)
    ref = [full.update(d).tobytes() for d in frames]
    t = OCSORT(use_byte=True, det_thresh=0.7)
    for d in frames[:30]:
        t.update(d)
    assert (t.tracks.column("oru_state") == 2).any()  # lost tracks with a frozen state
    if how == "dict":
        r = OCSORT.from_state(t.state_dict())
    else:
        buf = io.BytesIO()
        save_state(t, buf, format=how)
        buf.seek(0)
        r = mottrack.Tracker.from_state(load_state(buf))
    assert [r.update(d).tobytes() for d in frames[30:]] == ref[30:]


def test_restored_state_with_bad_oru_columns_is_rejected():
    t = OCSORT()
    for d in _stream(30):
        t.update(d)
    s = t.state_dict()
    k = t.tracks.int_columns.index("oru_state")
    s["attrs"]["tracks"]["ints"][0, k] = 7
    with pytest.raises(ValueError, match="oru_state"):
        OCSORT.from_state(s)
    s = t.state_dict()
    lost = np.flatnonzero(s["attrs"]["tracks"]["ints"][:, k] == 2)[0]
    s["attrs"]["tracks"]["ints"][lost, k + 1] = s["attrs"]["tracks"]["ints"][lost, 3]  # history_age = age
    with pytest.raises(ValueError, match="history_age"):
        OCSORT.from_state(s)


@pytest.mark.parametrize("cls", [OCSORT, mottrack.HybridSORT])
def test_restored_observed_track_with_later_history_age_is_rejected(cls):
    # the C core's rule (native fuzzer SEED=1): an observed track's last update lies in
    # [0, age]; with a later one, the track's first miss froze it into a state whose own
    # save no longer loaded
    t = cls()
    for d in _stream(30):
        t.update(d)
    s = t.state_dict()
    ints = s["attrs"]["tracks"]["ints"]
    k = t.tracks.int_columns.index("oru_state")
    a = t.tracks.int_columns.index("age")
    observed = np.flatnonzero(ints[:, k] == 1)[0]
    for bad in (ints[observed, a] + 1, -1):
        s = t.state_dict()
        s["attrs"]["tracks"]["ints"][observed, k + 1] = bad
        with pytest.raises(ValueError, match="history_age"):
            cls.from_state(s)
    s = t.state_dict()
    s["attrs"]["tracks"]["ints"][observed, k + 1] = ints[observed, a]  # = age: allowed
    cls.from_state(s).update(_stream(31)[30])


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize("params,exc,match", [
    ({"det_thresh": float("nan")}, ValueError, "det_thresh"),
    ({"det_thresh": "0.5"}, TypeError, "det_thresh"),
    ({"max_age": -1}, ValueError, "max_age"),
    ({"min_hits": 1.5}, ValueError, "min_hits"),
    ({"iou_threshold": 1.5}, ValueError, "iou_threshold"),
    ({"delta_t": -1}, ValueError, "delta_t"),
    ({"delta_t": 2.5}, ValueError, "delta_t"),
    ({"delta_t": 10**6}, ValueError, "delta_t"),
    ({"asso_func": "IoU2"}, ValueError, "asso_func"),
    ({"asso_func": None}, ValueError, "asso_func"),
    ({"inertia": float("inf")}, ValueError, "inertia"),
    ({"use_byte": "yes"}, TypeError, "use_byte"),
    ({"output_box": "both"}, ValueError, "output_box"),
])
def test_bad_parameters_are_rejected(params, exc, match):
    with pytest.raises(exc, match=match):
        create_tracker("ocsort", **params)


def test_bad_detections_leave_state_untouched():
    t = OCSORT()
    for d in _stream(10):
        t.update(d)
    before = t.state_dict()
    with pytest.raises(ValueError):
        t.update(np.array([[0, 0, np.nan, 1, 0.9]]))
    with pytest.raises(ValueError):
        t.update(np.zeros((0, 5)), camera_motion=np.zeros((2, 3)))
    after = t.state_dict()
    assert after["frame_count"] == before["frame_count"]
    for k, v in before["attrs"]["tracks"].items():
        assert np.array_equal(np.asarray(v), np.asarray(after["attrs"]["tracks"][k]))


def test_array_and_detections_inputs_agree():
    a, b = OCSORT(), OCSORT()
    for d in _stream(25):
        assert a.update(d).tobytes() == b.update(Detections(d[:, :4], d[:, 4])).tobytes()


# ------------------------------------------------------------------ size
def test_large_frames_use_the_bounded_sparse_path_and_keep_tracks():
    # 1100 objects on a grid, 1100 x 1100 > 2^20 pairs: the first association runs on the
    # overlapping pairs.  Objects move 2 px a frame; one extra detection overlaps object 0
    # every frame, so "IoU > 0.3" is never one-to-one and the solver always runs.
    xy = np.array([(40 * (k % 44), 90 * (k // 44)) for k in range(1100)], float)
    t = OCSORT(min_hits=1)
    for f in range(6):
        rows = [box(x + 2 * f, y, w=30, h=80) for x, y in xy] + [box(4 + 2 * f, 0, w=30, h=80)]
        out = t.update(frame(*rows))
    assert sorted(ids(out))[:1100] == list(range(1, 1101))
    assert out.shape[0] >= 1100


@pytest.mark.slow_host_sensitive  # a child under a CPU-time limit (see tests/support.py)
def test_thousands_of_detections_a_frame_fit_a_cpu_budget():
    """5000 scattered detections a frame: dense OC-SORT would hold 5000 x 5000+ cost matrices
    (and solve them cubically); ten such frames must fit in 20 s of CPU and 600 MB (a
    resource limit in a child, not a timing)."""
    from support import run_limited
    run_limited("""
        import numpy as np, mottrack
        rng = np.random.default_rng(0)
        def frame(n):
            xy = rng.uniform(0, 1900, (n, 2)) * [1, 0.55]
            return np.column_stack([xy, xy + rng.uniform(4, 12, (n, 2)), np.full(n, 0.9)])
        mottrack.create_tracker("ocsort", use_byte=True).update(frame(50))
        frames = [frame(5000) for _ in range(10)]
        t = mottrack.create_tracker("ocsort", use_byte=True)
        LIMIT()
        for f in frames:
            t.update(f)
        assert len(t.tracks) > 1000
    """, mem_mb=600, cpu_s=20)


def _mot17_05_half_with_warps(n_frames):
    """MOT17-05 YOLOX detections of frames N//2+2.. with BoT-SORT's per-frame camera warps."""
    from conftest import shared_path
    from reference import load_csv
    det = load_csv(shared_path("data", "MOT17", "dets", "yolox_x_ablation", "MOT17-05.txt"))
    gmc = np.loadtxt(shared_path("data", "MOT17", "gmc", "MOT17-05.txt"), delimiter="\t",
                     usecols=range(1, 7))
    first = 837 // 2 + 2
    frames = []
    for k in range(n_frames):
        d = det[det[:, 0] == first + k][:, 2:7].copy()
        d[:, 2:4] += d[:, 0:2]
        frames.append((d, gmc[k].reshape(2, 3)))
    return frames


def test_camera_motion_compiled_equals_pure_python_on_a_walking_camera():
    from test_pure_python import pure_python
    frames = _mot17_05_half_with_warps(40)

    def run():
        t = OCSORT(det_thresh=0.6, use_byte=True)
        return [t.update(d, camera_motion=w) for d, w in frames]
    fast = run()
    with pure_python():
        slow = run()
    for a, b in zip(fast, slow):
        assert a.tobytes() == b.tobytes()
