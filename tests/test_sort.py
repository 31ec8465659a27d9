"""SORT behaviour on hand-made streams: lifecycle, output contract, timestamps, per-class."""
from __future__ import annotations

import numpy as np
import pytest

import mottrack
from mottrack import SORT, Detections


def box(x, y, w=20.0, h=40.0, score=0.9, cls=None):
    row = [x, y, x + w, y + h, score]
    return row + ([cls] if cls is not None else [])


def test_output_contract_and_min_hits():
    t = SORT(max_age=1, min_hits=3)
    # first min_hits frames: every track updated this frame is reported
    for f in range(3):
        out = t.update(np.array([box(10 + 2 * f, 10), box(200, 50)]))
        assert out.shape == (2, 8)
        assert sorted(out[:, 4]) == [1.0, 2.0]
        assert set(out[:, 7]) == {0.0, 1.0}
    # a new object after frame 3 is hidden until it has 3 consecutive hits
    seen = []
    for f in range(3, 8):
        out = t.update(np.array([box(10 + 2 * f, 10), box(200, 50), box(400, 300)]))
        seen.append(3.0 in out[:, 4])
    assert seen == [False, False, False, True, True]
    row = out[out[:, 4] == 3.0][0]
    assert row[7] == 2 and row[5] == pytest.approx(0.9) and row[6] == -1
    assert np.allclose(row[:4], box(400, 300)[:4], atol=1.0)


def test_track_deleted_after_max_age_and_ids_never_reused():
    t = SORT(max_age=2, min_hits=0)
    t.update(np.array([box(10, 10)]))
    t.update(np.array([box(12, 10)]))
    for _ in range(3):
        assert len(t.update(np.empty((0, 5)))) == 0
    assert t.tracks.n == 0
    out = t.update(np.array([box(14, 10)]))
    assert out[0, 4] == 2.0  # a new id, not 1 again


def test_coasting_track_is_rematched_within_max_age():
    t = SORT(max_age=3, min_hits=1)
    for f in range(5):
        t.update(np.array([box(10 + 5 * f, 10)]))
    t.update(None)
    out = t.update(np.array([box(10 + 5 * 6, 10)]))
    assert out[:, 4].tolist() == [1.0]


def test_reset_restarts_ids():
    t = SORT()
    t.update(np.array([box(10, 10)]))
    t.reset()
    assert t.update(np.array([box(300, 10)]))[0, 4] == 1.0 and t.frame_count == 1


def test_per_class_never_matches_other_classes():
    stream = [np.array([box(10 + f, 10, cls=0 if f < 4 else 1)]) for f in range(8)]
    plain, per = SORT(min_hits=0), SORT(min_hits=0, per_class=True)
    ids_plain = [plain.update(d)[:, 4].tolist() for d in stream]
    ids_per = [per.update(d)[:, 4].tolist() for d in stream]
    assert ids_plain[-1] == [1.0]          # class ignored: one track throughout
    assert ids_per[3] == [1.0] and ids_per[4] == [2.0]  # class change starts a new track
    assert per.update(np.array([box(18, 10, cls=1)]))[0, 6] == 1.0


def test_timestamps_one_frame_apart_equal_frame_based():
    rng = np.random.default_rng(0)
    frames = [np.array([box(10 + 3 * f + rng.normal(), 10 + rng.normal()), box(300, 100 + f)]) for f in range(30)]
    a, b = SORT(max_age=2, min_hits=1), SORT(max_age=2, min_hits=1, frame_rate=25)
    for f, d in enumerate(frames):
        assert np.array_equal(a.update(d), b.update(d, timestamp=1000.0 + f / 25))


def test_timestamps_drive_age_limits_and_motion():
    # At 10 fps nominal, a 0.35 s gap is 3.5 frames: beyond max_age=3, the track is gone.
    t = SORT(max_age=3, min_hits=1, frame_rate=10)
    t.update(np.array([box(10, 10)]), timestamp=0.0)
    t.update(np.array([box(12, 10)]), timestamp=0.1)
    t.update(None, timestamp=0.45)
    assert t.tracks.n == 0
    # a 0.25 s gap (2.5 frames) is bridged, and the prediction moved 2.5 frames' worth
    t = SORT(max_age=3, min_hits=1, frame_rate=10)
    for k in range(6):
        t.update(np.array([box(10 + 4 * k, 10)]), timestamp=k * 0.1)
    before = t.tracks.mean[0].copy()  # (u, v, s, r, du, dv, ds)
    assert before[4] > 2.0            # moving right, about 4 px per frame
    t.update(None, timestamp=0.75)
    after = t.tracks.mean[0]
    assert after[0] - before[0] == pytest.approx(2.5 * before[4], rel=1e-12)
    assert after[4] == before[4]
    out = t.update(np.array([box(10 + 4 * 8.5, 10)]), timestamp=0.85)
    assert out[:, 4].tolist() == [1.0]


@pytest.mark.parametrize("ts", [[1.0, 1.0], [2.0, 1.0], [0.0, float("nan")]])
def test_bad_timestamps(ts):
    t = SORT()
    t.update(np.array([box(10, 10)]), timestamp=ts[0])
    with pytest.raises(ValueError, match="timestamp"):
        t.update(np.array([box(10, 10)]), timestamp=ts[1])
    assert t.frame_count == 1  # the rejected frame did not count


def test_bad_detections_leave_state_untouched():
    t = SORT()
    t.update(np.array([box(10, 10)]))
    with pytest.raises(ValueError, match="row 0"):
        t.update(np.array([[0, 0, np.nan, 1, 1.0]]))
    assert t.frame_count == 1 and t.tracks.n == 1


@pytest.mark.parametrize("kwargs,match", [
    ({"max_age": -1}, "max_age"), ({"min_hits": 1.5}, "min_hits"),
    ({"iou_threshold": 1.5}, "iou_threshold"), ({"frame_rate": 0}, "frame_rate"),
    ({"iou_threshold": "0.3"}, "iou_threshold"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        SORT(**kwargs)


def test_registry_rejects_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="unknown tracker 'sortt'"):
        mottrack.create_tracker("sortt")
    with pytest.raises(ValueError, match="unknown parameter.*max_agee"):
        mottrack.create_tracker("sort", max_agee=3)
    assert "sort" in mottrack.available_trackers()


def test_detections_and_array_inputs_agree():
    rng = np.random.default_rng(1)
    a, b = SORT(min_hits=1), SORT(min_hits=1)
    for f in range(20):
        arr = np.array([box(10 + 3 * f, 10, score=rng.uniform(0.5, 1), cls=2), box(200 - f, 80, cls=1)])
        assert np.array_equal(a.update(arr), b.update(Detections.from_array(arr)))
