"""ByteTrack: hand-worked cases of the algorithm, options, timestamps, parameters, kernels."""
from __future__ import annotations

import numpy as np
import pytest

from mottrack.detections import Detections
from mottrack.trackers.base import create_tracker
from mottrack.trackers.bytetrack import ByteTrack

BOX = (100.0, 100.0, 150.0, 220.0)


def det(*rows):
    """rows of (x1, y1, x2, y2, score[, class])."""
    return np.array(rows, dtype=np.float64).reshape(len(rows), -1)


def at(box, score, dx=0.0, cls=None):
    row = (box[0] + dx, box[1], box[2] + dx, box[3], score)
    return row + ((float(cls),) if cls is not None else ())


EMPTY = np.empty((0, 5))


def ids(out):
    return [int(i) for i in out[:, 4]]


# -- the two stages ----------------------------------------------------------------------------
def test_low_score_detection_rescues_track_in_second_stage():
    t = ByteTrack(track_thresh=0.5)
    out = t.update(det(at(BOX, 0.9)))
    assert ids(out) == [1]  # first frame: confirmed at once
    out = t.update(det(at(BOX, 0.3, dx=2.0)))  # low score: only the second stage sees it
    assert ids(out) == [1]
    assert out[0, 5] == pytest.approx(0.3)  # track score = score of the last detection
    assert out[0, 7] == 0
    # a low-score detection never starts a track, and 0.1 is the floor of the second stage
    t2 = ByteTrack(track_thresh=0.5)
    assert len(t2.update(det(at(BOX, 0.45)))) == 0
    t2 = ByteTrack(track_thresh=0.5)
    t2.update(det(at(BOX, 0.9)))
    assert len(t2.update(det(at(BOX, 0.1)))) == 0  # score 0.1 is not > 0.1: track lost


def test_second_stage_uses_plain_iou_with_limit_half():
    # IoU of the shifted box with the track is 30/70 = 0.43 < 0.5: no match in stage two,
    # though it would pass the first stage's limit (1 - 0.43 * 0.9 < 0.8) as a high box
    shifted = 20.0
    lo = ByteTrack(track_thresh=0.5)
    lo.update(det(at(BOX, 0.9)))
    assert len(lo.update(det(at(BOX, 0.4, dx=shifted)))) == 0
    hi = ByteTrack(track_thresh=0.5)
    hi.update(det(at(BOX, 0.9)))
    assert ids(hi.update(det(at(BOX, 0.9, dx=shifted)))) == [1]


def test_new_track_needs_track_thresh_plus_0_1_and_a_second_frame():
    t = ByteTrack(track_thresh=0.5)
    assert len(t.update(det(at(BOX, 0.59)))) == 0  # high (> 0.5) but below det_thresh 0.6
    t = ByteTrack(track_thresh=0.5)
    assert ids(t.update(det(at(BOX, 0.6)))) == [1]  # frame 1: activated at once
    # later frames: a new track is unconfirmed until matched the next frame
    other = (400.0, 100.0, 450.0, 220.0)
    out = t.update(det(at(BOX, 0.9), at(other, 0.9)))
    assert ids(out) == [1]
    out = t.update(det(at(BOX, 0.9), at(other, 0.9)))
    assert sorted(ids(out)) == [1, 2]
    # an unconfirmed track not matched on its second frame is deleted (its id is spent)
    far = (800.0, 100.0, 850.0, 220.0)
    t.update(det(at(BOX, 0.9), at(other, 0.9), at(far, 0.9)))
    t.update(det(at(BOX, 0.9), at(other, 0.9)))
    t.update(det(at(BOX, 0.9), at(other, 0.9), at(far, 0.9)))
    out = t.update(det(at(BOX, 0.9), at(other, 0.9), at(far, 0.9)))
    assert sorted(ids(out)) == [1, 2, 4]


def run_gap(gap, track_buffer=3, frames_before=3):
    """Track for ``frames_before`` frames, ``gap`` empty frames, then the box again (twice)."""
    t = ByteTrack(track_buffer=track_buffer)
    for _ in range(frames_before):
        t.update(det(at(BOX, 0.9)))
    for _ in range(gap):
        assert len(t.update(EMPTY)) == 0
    t.update(det(at(BOX, 0.9)))
    return t, t.update(det(at(BOX, 0.9)))


def test_lost_track_refound_within_buffer_keeps_its_id():
    t = ByteTrack(track_buffer=30)
    for _ in range(3):
        t.update(det(at(BOX, 0.9)))
    for _ in range(20):
        t.update(EMPTY)
    out = t.update(det(at(BOX, 0.8)))
    assert ids(out) == [1]  # re-found: reported at once, same id
    assert out[0, 5] == pytest.approx(0.8)


def test_lost_track_removed_after_buffer():
    # max_time_lost = int(30 / 30 * 3) = 3 frames.  As in the original, a track that
    # times out stays in the lost pool during the next frame (the removal is applied
    # one frame late), so it can still be re-found 4 frames after its last update.
    assert ids(run_gap(3)[1]) == [1]
    assert ids(run_gap(4)[1]) == [1]
    assert ids(run_gap(5)[1]) == [2]  # removed: a new track (confirmed on its second frame)
    assert ids(run_gap(10)[1]) == [2]


def test_track_refound_after_timeout_is_dropped_when_lost_again():
    # quirk of the original: a track re-found in its extra frame is in the removed list,
    # so the next time it is lost it leaves the lost pool at once
    t, out = run_gap(4)
    assert ids(out) == [1]
    t.update(EMPTY)
    t.update(det(at(BOX, 0.9)))
    assert ids(t.update(det(at(BOX, 0.9)))) == [2]
    # a track that was never removed is simply re-found
    t, out = run_gap(2)
    t.update(EMPTY)
    assert ids(t.update(det(at(BOX, 0.9)))) == [1]


def test_buffer_scales_with_frame_rate():
    assert ByteTrack(track_buffer=30, frame_rate=30).max_time_lost == 30
    with pytest.raises(TypeError):  # frame_rate is keyword-only, as in every other tracker
        ByteTrack(0.5, 0.8, 30, 10)  # type: ignore[misc]
    assert ByteTrack(track_buffer=30, frame_rate=10).max_time_lost == 10
    assert ByteTrack(track_buffer=30, frame_rate=14).max_time_lost == 14
    assert ByteTrack(track_buffer=30, frame_rate=25).max_time_lost == 25
    assert ByteTrack(track_thresh=0.6).det_thresh == 0.6 + 0.1


def approach(f, start, dx0, speed=2.0):
    """Box of an object that appears at frame ``start`` ``dx0`` px right of BOX and moves left."""
    return at(BOX, 0.9, dx=dx0 - speed * (f - start))


def test_duplicate_removal_drops_the_younger_tracked_track():
    # Track 1 is followed at BOX for frames 1-30, then lost (it stays put).  Track 2 starts
    # at frame 25, 60 px to the right, and walks left 2 px a frame.  At frame 53 it is 4 px
    # from BOX: IoU 46/54 = 0.852, a duplicate (1 - IoU < 0.15) of the lost track 1.  Track 2
    # was followed for 28 frames, track 1 for 29: the younger one, track 2, goes, although a
    # detection just updated it, and the next frame the lost track 1 takes the detection.
    # (pyxtrackers' BYTETracker, a port of the original, gives the same ids frame by frame.)
    t = ByteTrack()
    outs = {}
    for f in range(1, 56):
        rows = ([at(BOX, 0.9)] if f <= 30 else []) + ([approach(f, 25, 60.0)] if f >= 25 else [])
        outs[f] = ids(t.update(det(*rows)))
    assert outs[30] == [1, 2] and outs[31] == [2] and outs[52] == [2]
    assert outs[53] == []        # track 2 matched, then dropped as the duplicate
    assert outs[54] == [1] and outs[55] == [1]


def test_duplicate_removal_drops_the_younger_lost_track():
    # The other direction: track 1 is followed for frames 1-5 only, track 2 from frame 1 on
    # (walking left from 110 px away).  When track 2 covers the lost track 1 (frame 53, 4 px,
    # IoU 0.852), track 1 is the younger and leaves the lost pool, long before its buffer of
    # 90 frames would have expired.
    t = ByteTrack(track_buffer=90)
    held = {}
    for f in range(1, 56):
        rows = ([at(BOX, 0.9)] if f <= 5 else []) + [approach(f, 0, 110.0)]
        out = t.update(det(*rows))
        assert ids(out) == ([1, 2] if f <= 5 else [2])
        held[f] = sorted(t.track_ids().tolist())
    assert held[6] == held[52] == [1, 2]
    assert held[53] == held[55] == [2]


# -- options -------------------------------------------------------------------------------------
def test_per_class_tracks_never_take_another_class():
    rows0 = det(at(BOX, 0.9, cls=0))
    rows1 = det(at(BOX, 0.9, cls=1))
    t = ByteTrack(per_class=True)
    assert ids(t.update(rows0)) == [1]
    assert len(t.update(rows1)) == 0  # track 1 lost, track 2 (class 1) unconfirmed
    out = t.update(rows1)
    assert ids(out) == [2] and out[0, 6] == 1
    # both classes at once: no cross-class duplicate removal
    out = t.update(det(at(BOX, 0.9, cls=1), at(BOX, 0.9, cls=0)))
    assert sorted(ids(out)) == [1, 2]
    assert {(int(r[4]), int(r[6])) for r in out} == {(1, 0), (2, 1)}
    # default: classes are ignored, the track follows the box
    t = ByteTrack()
    t.update(rows0)
    out = t.update(rows1)
    assert ids(out) == [1] and out[0, 6] == 1


def test_fuse_score_changes_the_first_stage_cost():
    # IoU 0.5 with score 0.6: fused cost 1 - 0.3 = 0.7 < 0.8 passes; with match_thresh
    # 0.6 only the unfused cost 0.5 passes
    b = (100.0, 100.0, 150.0, 220.0)
    shifted = (100.0 + 50.0 / 3.0, 100.0, 150.0 + 50.0 / 3.0, 220.0)  # IoU exactly 0.5
    for fuse, expect in ((True, []), (False, [1])):
        t = ByteTrack(track_thresh=0.5, match_thresh=0.6, fuse_score=fuse)
        t.update(det(at(b, 0.9)))
        assert ids(t.update(det(shifted + (0.6,)))) == expect


# -- API, contract ------------------------------------------------------------------------------
def test_registry_builds_the_reference_configuration():
    t = create_tracker("bytetrack", track_thresh=0.6, match_thresh=0.9, track_buffer=30, frame_rate=30)
    assert isinstance(t, ByteTrack)
    assert (t.track_thresh, t.match_thresh, t.track_buffer, t.frame_rate, t.fuse_score,
            t.per_class) == (0.6, 0.9, 30, 30.0, True, False)
    assert t.max_time_lost == 30
    with pytest.raises(ValueError, match="unknown parameter"):
        create_tracker("bytetrack", mot20=True)


@pytest.mark.parametrize("params,exc", [
    (dict(track_thresh=-0.1), ValueError), (dict(track_thresh=1.5), ValueError),
    (dict(track_thresh="0.5"), TypeError), (dict(track_thresh=float("nan")), ValueError),
    (dict(match_thresh=0.0), ValueError), (dict(match_thresh=1.01), ValueError),
    (dict(track_buffer=-1), ValueError), (dict(track_buffer=float("inf")), ValueError),
    (dict(frame_rate=0), ValueError), (dict(fuse_score="yes"), TypeError),
    (dict(track_thresh=True), TypeError),
])
def test_bad_parameters_are_rejected(params, exc):
    with pytest.raises(exc):
        ByteTrack(**params)


def random_stream(n_frames=60, n_obj=12, seed=0, classes=False):
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 600, (n_obj, 2))
    vel = rng.normal(0, 3, (n_obj, 2))
    size = rng.uniform(20, 80, (n_obj, 2))
    frames = []
    for _ in range(n_frames):
        pos += vel
        keep = rng.random(n_obj) > 0.2
        c = pos[keep] + rng.normal(0, 1.5, (keep.sum(), 2))
        s = size[keep]
        sc = rng.uniform(0.05, 1.0, keep.sum())
        rows = np.c_[c - s / 2, c + s / 2, sc]
        if classes:
            rows = np.c_[rows, np.arange(n_obj)[keep] % 2]
        frames.append(np.ascontiguousarray(rows))
    return frames


def test_output_contract_and_det_index():
    t = ByteTrack()
    seen = set()
    for rows in random_stream():
        out = t.update(rows)
        assert out.shape[1] == 8 and out.dtype == np.float64 and np.isfinite(out).all()
        assert len(set(ids(out))) == len(out)
        for r in out:
            d = int(r[7])
            assert 0 <= d < len(rows)
            assert r[5] == rows[d, 4]  # the score of the detection that updated the track
            assert abs(r[0] - rows[d, 0]) < 20 and abs(r[3] - rows[d, 3]) < 20
        seen |= set(ids(out))
    assert seen and min(seen) >= 1


def test_array_and_detections_inputs_agree():
    for per_class in (False, True):
        a = ByteTrack(per_class=per_class)
        b = ByteTrack(per_class=per_class)
        for rows in random_stream(seed=3, classes=True):
            out_a = a.update(rows)
            dets = Detections(rows[:, :4], rows[:, 4], rows[:, 5].astype(np.int64))
            out_b = b.update(dets)
            np.testing.assert_array_equal(out_a, out_b)


def test_empty_frames_and_reset():
    t = ByteTrack()
    assert t.update(None).shape == (0, 8)
    assert t.update(EMPTY).shape == (0, 8)
    out = t.update(det(at(BOX, 0.9)))
    assert ids(out) == []  # frame 3: unconfirmed
    t.reset()
    assert ids(t.update(det(at(BOX, 0.9)))) == [1]
    with pytest.raises(ValueError):
        t.update(det((10.0, 10.0, 5.0, 20.0, 0.9)))  # x2 < x1
    assert ids(t.update(det(at(BOX, 0.9)))) == [1]


def test_zero_height_detection_is_ignored():
    t = ByteTrack()
    out = t.update(det((10.0, 10.0, 20.0, 10.0, 0.9), at(BOX, 0.9)))
    assert ids(out) == [1] and out[0, 7] == 1
    assert np.isfinite(t.update(det((10.0, 10.0, 20.0, 10.0, 0.9))).all())


# -- timestamps ----------------------------------------------------------------------------------
def test_timestamps_one_frame_apart_equal_frame_mode():
    frames = random_stream(n_frames=80, seed=5)
    a = ByteTrack(frame_rate=30, track_buffer=5)
    b = ByteTrack(frame_rate=30, track_buffer=5)
    t0 = 1234.5
    for k, rows in enumerate(frames):
        out_a = a.update(rows)
        out_b = b.update(rows, timestamp=t0 + k / 30.0)
        np.testing.assert_array_equal(out_a[:, 4:], out_b[:, 4:])
        np.testing.assert_allclose(out_a[:, :4], out_b[:, :4], rtol=0, atol=1e-6)


def test_lost_age_counts_time_not_calls():
    # frame_rate 30, track_buffer 30: a lost track is kept 30 frames = 1 s
    def gap_run(gap_times):
        t = ByteTrack(frame_rate=30)
        ts = 0.0
        for _ in range(3):
            t.update(det(at(BOX, 0.9)), timestamp=ts)
            ts += 1 / 30
        base = ts - 1 / 30
        for g in gap_times:
            t.update(EMPTY, timestamp=base + g)
        t.update(det(at(BOX, 0.9)), timestamp=base + gap_times[-1] + 0.05)
        return ids(t.update(det(at(BOX, 0.9)), timestamp=base + gap_times[-1] + 0.1))
    assert gap_run([0.5, 0.9]) == [1]          # lost 0.95 s: re-found
    assert gap_run([0.5, 1.1, 1.2]) == [2]     # lost > 1 s, removed: new track
    # the Kalman step uses the elapsed time: a moving box is found after a 5-frame gap
    t = ByteTrack(frame_rate=30)
    for k in range(6):
        t.update(det(at(BOX, 0.9, dx=10.0 * k)), timestamp=k / 30)
    out = t.update(det(at(BOX, 0.9, dx=10.0 * 11)), timestamp=11 / 30)
    assert ids(out) == [1]



def test_many_objects_and_growth():
    t = ByteTrack()
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 4000, (500, 2))
    for _ in range(5):
        rows = np.c_[pos - 10, pos + 10 + 20, np.full(500, 0.9)]
        out = t.update(np.ascontiguousarray(rows))
        pos += 1.0
    assert len(out) == 500 and len(set(ids(out))) == 500
