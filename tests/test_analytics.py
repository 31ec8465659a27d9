"""LineCounter and ZoneMonitor on hand-built trajectories with known counts, one test per rule."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mottrack.analytics import LineCounter, ZoneEvent, ZoneMonitor, events_message, validate_polygon


def row(x, y, tid, cls=0, w=20.0, h=60.0):
    """A tracker-output row whose bottom centre is (x, y)."""
    return [x - w / 2, y - h, x + w / 2, y, tid, 0.9, cls, 0]


def frame(*rows):
    return np.array(rows, np.float64).reshape(-1, 8)


def run(counter, frames, timestamps=None):
    """Feed frames (lists of rows); return all events."""
    out = []
    for k, f in enumerate(frames):
        ts = None if timestamps is None else timestamps[k]
        out += counter.update(frame(*f), ts)
    return out


def path(tid, points, cls=0):
    """One track's frames: a list (per frame) of row lists; None = track absent."""
    return [[] if p is None else [row(p[0], p[1], tid, cls)] for p in points]


H = ((0.0, 100.0), (200.0, 100.0))   # horizontal line y=100, x in [0, 200]: down = in


# --------------------------------------------------------------------------- lines

def test_straight_crossing_each_direction():
    lc = LineCounter(*H, min_distance=5)
    ev = run(lc, path(1, [(50, 80), (50, 95), (50, 104), (50, 120)]))
    assert [(e.track_id, e.direction, e.frame) for e in ev] == [(1, "in", 3)]
    ev = run(lc, path(2, [(60, 130), (60, 70)]))
    assert [(e.track_id, e.direction) for e in ev] == [(2, "out")]
    assert lc.counts == {0: (1, 1)} and lc.in_count == 1 and lc.out_count == 1


def test_jitter_on_the_line_counts_nothing_with_hysteresis():
    ys = [80, 98, 102, 97, 103, 99, 101, 96, 104, 80]
    lc = LineCounter(*H, min_distance=5)
    assert run(lc, path(1, [(50, y) for y in ys])) == []
    assert lc.counts == {}
    # Without hysteresis the same jitter counts every sign change.
    naive = LineCounter(*H, min_distance=0)
    ev = run(naive, path(1, [(50, y) for y in ys]))
    assert [e.direction for e in ev] == ["in", "out", "in", "out", "in", "out", "in", "out"]


def test_jitter_then_real_crossing_counts_once():
    ys = [80, 98, 102, 97, 103, 120, 118, 122]
    lc = LineCounter(*H, min_distance=5)
    ev = run(lc, path(1, [(50, y) for y in ys]))
    assert [(e.direction, e.frame) for e in ev] == [("in", 5)]


def test_lost_while_crossing_counts_once():
    pts = [(50, 80), (50, 92), None, None, None, None, (50, 115), (50, 130)]
    lc = LineCounter(*H, min_distance=5)
    ev = run(lc, path(7, pts))
    assert [(e.track_id, e.direction, e.frame) for e in ev] == [(7, "in", 6)]
    # met the line 8/23 of the way from frame 1 (y=92) to frame 6 (y=115)
    assert ev[0].crossing_frame == pytest.approx(1 + 5 * 8 / 23)


def test_lost_in_the_band_and_refound_on_the_same_side_counts_nothing():
    pts = [(50, 80), (50, 101), None, None, (50, 80)]
    lc = LineCounter(*H, min_distance=5)
    assert run(lc, path(7, pts)) == []


def test_forgotten_track_refound_counts_as_newly_born():
    pts = [(50, 80)] + [None] * 4 + [(50, 130)]
    lc = LineCounter(*H, min_distance=5, forget_after=3)
    assert run(lc, path(7, pts)) == []
    lc = LineCounter(*H, min_distance=5, forget_after=4)
    assert [e.direction for e in run(lc, path(7, pts))] == ["in"]


def test_born_on_the_line_counts_only_a_real_crossing():
    lc = LineCounter(*H, min_distance=5)
    # born within min_distance, leaves downwards: it never was on the other side
    assert run(lc, path(1, [(50, 102), (50, 110), (50, 140)])) == []
    # born exactly on the line, wanders in the band, leaves upwards
    assert run(lc, path(2, [(50, 100), (50, 97), (50, 103), (50, 60)])) == []
    # born on the line, leaves down, then really crosses up: one out
    ev = run(lc, path(3, [(50, 101), (50, 120), (50, 80)]))
    assert [(e.track_id, e.direction) for e in ev] == [(3, "out")]
    assert lc.counts == {0: (0, 1)}


def test_end_caps_only_crossings_through_the_segment_count():
    lc = LineCounter(*H, min_distance=5)
    assert run(lc, path(1, [(250, 80), (250, 120)])) == []          # beyond the end
    assert run(lc, path(2, [(-1, 80), (-1, 120)])) == []            # before the start
    ev = run(lc, path(3, [(200, 80), (200, 120)]))                   # exactly at the end point
    ev += run(lc, path(4, [(0, 120), (0, 80)]))                      # exactly at the start point
    assert [(e.track_id, e.direction) for e in ev] == [(3, "in"), (4, "out")]
    # walking round the end: side changes, nothing counts, and the way back neither
    assert run(lc, path(5, [(150, 80), (250, 80), (250, 120), (150, 120), (250, 120),
                            (250, 80)])) == []
    # a diagonal step whose straight path meets the segment inside it counts
    ev = run(lc, path(6, [(190, 80), (220, 130)]))  # meets y=100 at x=202: outside
    ev += run(lc, path(7, [(180, 80), (210, 130)]))  # meets at x=192: inside
    assert [(e.track_id, e.direction) for e in ev] == [(7, "in")]


def test_diagonal_line():
    lc = LineCounter((0, 0), (100, 100), min_distance=3)
    # cross((100,100), p) = 100 * (y - x): in = towards y > x (below-left of the diagonal)
    ev = run(lc, path(1, [(60, 40), (50, 50), (40, 60)]))
    ev += run(lc, path(2, [(30, 70), (70, 30)]))
    ev += run(lc, path(3, [(160, 140), (140, 160)]))  # beyond the end (100, 100)
    assert [(e.track_id, e.direction) for e in ev] == [(1, "in"), (2, "out")]


def test_vertical_line():
    lc = LineCounter((50, 0), (50, 200), min_distance=4)
    # cross((0, 200), p - start) = -200 * (x - 50): in = towards x < 50
    ev = run(lc, path(1, [(80, 100), (60, 100), (52, 100), (48, 100), (30, 100)]))
    ev += run(lc, path(2, [(20, 50), (90, 60)]))
    ev += run(lc, path(3, [(20, 250), (90, 250)]))  # below the segment
    assert [(e.track_id, e.direction, e.frame) for e in ev] == [(1, "in", 4), (2, "out", 6)]


def test_reversed_line_swaps_in_and_out():
    pts = [(50, 80), (50, 120), (50, 70), (50, 130)]
    a = LineCounter(*H, min_distance=5)
    b = LineCounter(H[1], H[0], min_distance=5)
    run(a, path(1, pts))
    run(b, path(1, pts))
    assert a.counts == {0: (2, 1)} and b.counts == {0: (1, 2)}


def test_per_class_counts_and_class_filter():
    frames = [[row(20, 80, 1, cls=0), row(40, 80, 2, cls=2), row(60, 80, 3, cls=2)],
              [row(20, 120, 1, cls=0), row(40, 120, 2, cls=2), row(60, 70, 3, cls=2)],
              [row(20, 120, 1, cls=0), row(40, 120, 2, cls=2), row(60, 130, 3, cls=2)]]
    lc = LineCounter(*H, min_distance=5)
    run(lc, frames)
    assert lc.counts == {0: (1, 0), 2: (2, 0)}
    only2 = LineCounter(*H, min_distance=5, classes=[2])
    ev = run(only2, frames)
    assert only2.counts == {2: (2, 0)} and {e.class_id for e in ev} == {2}


def test_unconfirmed_tracks_with_negative_ids_are_ignored():
    # Many objects reported under the shared id -1 (what one popular library does with
    # unconfirmed tracks) must not make a phantom track that counts every frame.
    rng = np.random.default_rng(3)
    lc = LineCounter(*H, min_distance=0)
    for _ in range(50):
        ys = rng.uniform(50, 150, 10)
        lc.update(frame(*[row(100, y, -1) for y in ys]))
    assert lc.counts == {} and lc.num_tracks == 0


def test_anchor_choice():
    # box 40 tall: bottom crosses the line, centre does not
    f1 = frame([40, 50, 60, 90, 1, 1, 0, 0])
    f2 = frame([40, 65, 60, 105 + 5, 1, 1, 0, 0])
    bottom = LineCounter(*H, min_distance=2)
    center = LineCounter(*H, min_distance=2, anchor="center")
    for f in (f1, f2):
        bottom.update(f)
        center.update(f)
    assert bottom.counts == {0: (1, 0)} and center.counts == {}
    with pytest.raises(ValueError, match="anchor"):
        LineCounter(*H, anchor="feet")


def test_tracker_ids_are_never_reused(shared):
    """The counters assume that an id, once its track has ended, never returns: check it on
    every mottrack tracker over a real sequence (ids leave the output for good after their
    track is deleted)."""
    from mottrack import create_tracker, tracker_class
    from mottrack.eval.api import available
    from mottrack.eval.datasets import load_dataset
    seq = load_dataset(shared / "data" / "MOT17", seqs=["MOT17-09-FRCNN"])[0]
    d = seq.dets
    off = d.frame_offsets(seq.num_frames)
    rows = np.column_stack([d.boxes[:, :2], d.boxes[:, :2] + d.boxes[:, 2:], d.scores])
    for name in available():
        if tracker_class(name).embeddings == "required":
            continue
        trk = create_tracker(name)
        gone: set = set()
        prev: set = set()
        for f in range(1, seq.num_frames + 1):
            live = set(trk.track_ids()) if hasattr(trk, "track_ids") else None
            out = trk.update(rows[off[f - 1]:off[f]])
            ids = set(out[:, 4].astype(int).tolist())
            assert not (ids & gone), f"{name}: an id came back after its track was deleted"
            if live is not None:
                gone |= prev - set(trk.track_ids())
                prev = set(trk.track_ids())
            assert all(i >= 1 for i in ids)


def test_memory_is_bounded_by_forget_after():
    lc = LineCounter(*H, min_distance=5, forget_after=10)
    for f in range(500):
        lc.update(frame(row(50, 80 + f % 50, 1000 + f), row(60, 90, 2000 + f // 7)))
        assert lc.num_tracks <= 2 * 11
    assert lc.num_tracks <= 22


def test_reset_forgets_everything():
    lc = LineCounter(*H, min_distance=5)
    run(lc, path(1, [(50, 80), (50, 120)]))
    lc.reset()
    assert lc.counts == {} and lc.num_tracks == 0 and lc.frame == 0
    assert run(lc, path(1, [(50, 130)])) == []


def test_timestamps_and_frame_clock():
    lc = LineCounter(*H, min_distance=5)
    ev = run(lc, path(1, [(50, 80), (50, 120)]), timestamps=[1000.0, 1000.5])
    assert ev[0].time == 1000.5 and ev[0].frame == 1
    with pytest.raises(ValueError, match="timestamp"):
        lc.update(frame(), 999.0)
    with pytest.raises(TypeError, match="timestamp"):
        lc.update(frame(), "now")
    assert lc.frame == 2
    ev = run(LineCounter(*H), path(1, [(50, 80), (50, 120)]))
    assert ev[0].time is None


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 3)), "shape"),
    (np.array([[0, 0, 1, 1, np.nan, 1, 0, 0]], float), "finite"),
    (np.array([[0, 0, np.inf, 1, 1, 1, 0, 0]], float), "finite"),
    (np.array([[0, 0, 1e300, 1, 1, 1, 0, 0]], float), "within"),
    (np.array([[0, 0, 1, 1, 1.5, 1, 0, 0]], float), "track_id"),
    (np.array([[0, 0, 1, 1, 1, 1, 0.5, 0]], float), "class_id"),
    (np.array([[0, 0, 1, 1, 4, 1, 0, 0], [0, 0, 1, 1, 4, 1, 0, 0]], float), "more than once"),
    (np.array([["a"] * 8]), "dtype"),
])
def test_bad_frames_are_rejected_and_change_nothing(bad, match):
    lc = LineCounter(*H, min_distance=5)
    run(lc, path(1, [(50, 80)]))
    before = lc.state_dict()
    with pytest.raises((ValueError, TypeError), match=match):
        lc.update(bad)
    after = lc.state_dict()
    assert after["frame"] == before["frame"]
    for k in ("ids", "last", "side", "prev_s"):
        np.testing.assert_array_equal(after[k], before[k])
    assert [e.direction for e in run(lc, path(1, [(50, 120)]))] == ["in"]


@pytest.mark.parametrize("kw, match", [
    (dict(start=(0, 0), end=(0, 0)), "at least 0.001 pixel from start"),
    (dict(start=(0, 500), end=(1e-200, 500)), "at least 0.001 pixel from start"),   # underflows len**2
    (dict(start=(0, 500), end=(0.0009, 500)), "at least 0.001 pixel from start"),
    (dict(start=(0, np.nan), end=(1, 1)), "finite"),
    (dict(start=(0, 1e300), end=(1, 1)), "within"),
    (dict(start=(0, 0, 0), end=(1, 1)), "start"),
    (dict(start=(0, 0), end=(1, 1), min_distance=-1), "min_distance"),
    (dict(start=(0, 0), end=(1, 1), forget_after=2.5), "forget_after"),
    (dict(start=(0, 0), end=(1, 1), frame_rate=0), "frame_rate"),
    (dict(start=(0, 0), end=(1, 1), classes="person"), "classes"),
])
def test_bad_line_parameters(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LineCounter(**kw)


def _continue_equals(make, frames, cut):
    whole = make()
    ev_whole = run(whole, frames)
    first = make()
    ev = run(first, frames[:cut])
    st = first.state_dict()
    restored = type(first).from_state(st)
    ev += run(restored, frames[cut:])
    assert ev == ev_whole
    assert restored.counts == whole.counts
    # the saved state is not shared with the object it came from
    st["ids"][:] = -5
    assert run(first, []) == []


def _crossing_scene(n_frames=60, n_tracks=12, seed=1):
    rng = np.random.default_rng(seed)
    starts = rng.uniform([0, 40], [200, 160], (n_tracks, 2))
    vel = rng.normal(0, 6, (n_tracks, 2))
    frames = []
    for f in range(n_frames):
        rows = []
        for i in range(n_tracks):
            if rng.random() < 0.15:
                continue  # missed this frame
            x, y = starts[i] + vel[i] * f + rng.normal(0, 2, 2)
            rows.append(row(x, y, i + 1, cls=i % 2))
        frames.append(rows)
    return frames


def test_state_save_restore_continues_exactly():
    frames = _crossing_scene()
    _continue_equals(lambda: LineCounter(*H, min_distance=4, forget_after=5), frames, 23)
    sq = [(20, 50), (180, 50), (180, 150), (20, 150)]
    _continue_equals(lambda: ZoneMonitor(sq, min_distance=4, forget_after=5), frames, 31)


@pytest.mark.parametrize("key, value, match", [
    ("format", "mottrack.tracker_state", "format"),
    ("version", 99, "version"),
    ("params", {"start": [0, 0]}, "params"),
    ("frame", -1, "frame"),
    ("time", float("nan"), "time"),
    ("ids", np.array([3, 2, 1]), "ids"),
    ("ids", np.array([1.0, 2.0, 3.0]), "ids"),
    ("last", np.array([0, 1]), "last"),
    ("last", np.array([0, 1, 99]), "last"),
    ("side", np.array([0, 2, 1], np.int8), "side"),
    ("prev_s", np.array([0.0, np.inf, 1.0]), "prev_s"),
    ("hit_at", np.array([0.0, np.inf, 0.0]), "hit_at"),
    ("hit_at", np.array([0.0, 1e300, 0.0]), "hit_at"),          # an update index beyond the frame
    ("hit_at", np.array([-1.0, np.nan, np.nan]), "hit_at"),
    ("frame", 10 ** 30, "frame"),                               # overflowed int64 in the next update
    ("frame", 2 ** 53 + 1, "frame"),
    ("time", 1e300, "time"),
    ("counts", np.array([[1, -1]]), "counts"),
    ("counts", np.array([[2 ** 63 - 1, 0]]), "counts"),          # overflowed state_dict after one more
    ("count_classes", np.array([0, 1]), "counts"),
])
def test_bad_line_state_is_rejected_naming_the_entry(key, value, match):
    lc = LineCounter(*H, min_distance=5)
    run(lc, [[row(50, 80, 1), row(60, 80, 2), row(70, 80, 3)],
             [row(50, 120, 1), row(60, 80, 2), row(70, 80, 3)]])
    st = lc.state_dict()
    assert st["ids"].tolist() == [1, 2, 3]
    good = LineCounter(*H, min_distance=5)
    st[key] = value
    with pytest.raises(ValueError, match=match):
        good.load_state_dict(st)
    with pytest.raises(ValueError, match=match):
        LineCounter.from_state(st)
    assert good.frame == 0 and good.num_tracks == 0
    del st[key]
    with pytest.raises(ValueError, match=key if key != "count_classes" else "count"):
        LineCounter.from_state(st)


def test_line_state_of_other_parameters_is_rejected():
    st = LineCounter(*H, min_distance=5).state_dict()
    with pytest.raises(ValueError, match="params"):
        LineCounter(*H, min_distance=6).load_state_dict(st)
    with pytest.raises(ValueError, match="format"):
        ZoneMonitor([(0, 0), (1, 0), (0, 1)]).load_state_dict(st)


def test_line_event_json():
    lc = LineCounter(*H, min_distance=5, name="door")
    ev = run(lc, path(4, [(50, 80), (50, 120)]), timestamps=[1714564800.0, 1714564800.04])[0]
    d = json.loads(ev.to_json(id_prefix="cam", class_names=["person"]))
    assert d == {"type": "LineCrossing", "name": "door", "object_track_id": "cam-4",
                 "direction": "in", "frame": 1, "timestamp": "2024-05-01T12:00:00.040000Z",
                 "crossing_frame": 0.5, "class": {"id": 0, "type": "person"}}
    msg = events_message([ev], timestamp=1714564800.04)
    assert msg["analytics_events"][0]["object_track_id"] == "4"
    assert msg["timestamp"] == "2024-05-01T12:00:00.040000Z" and msg["channel_id"] == 1


# --------------------------------------------------------------------------- zones

SQUARE = [(0, 0), (100, 0), (100, 100), (0, 100)]
# A "U": the notch x in (30, 70), y in (0, 60) is outside.
U_SHAPE = [(0, 0), (30, 0), (30, 60), (70, 60), (70, 0), (100, 0), (100, 100), (0, 100)]


def test_zone_enter_exit_dwell_from_frames():
    z = ZoneMonitor(SQUARE, min_distance=5, frame_rate=10)
    ev = run(z, path(1, [(50, 150), (50, 120), (50, 90), (50, 50), (50, 20), (50, -20)]))
    assert [(e.kind, e.frame) for e in ev] == [("enter", 2), ("exit", 5)]
    assert ev[1].dwell == pytest.approx(0.3)
    assert z.counts == {0: (1, 1)}


def test_zone_dwell_from_timestamps_and_occupancy():
    z = ZoneMonitor(SQUARE, min_distance=5)
    ts = [10.0, 10.5, 12.0, 15.25]
    frames = [[row(50, 150, 1), row(50, 50, 2)],
              [row(50, 50, 1), row(50, 50, 2), row(20, 20, 3, cls=1)],
              [row(50, 50, 1), row(50, 150, 2), row(20, 20, 3, cls=1)],
              [row(50, 150, 1), row(20, 20, 3, cls=1)]]
    occ = []
    evs = []
    for f, t in zip(frames, ts):
        evs += z.update(frame(*f), t)
        occ.append(dict(z.occupancy))
    assert occ == [{0: 1}, {0: 2, 1: 1}, {0: 1, 1: 1}, {1: 1}]
    assert [(e.track_id, e.kind, e.time) for e in evs] == [(1, "enter", 10.5), (2, "exit", 12.0),
                                                           (1, "exit", 15.25)]
    assert evs[1].dwell == pytest.approx(2.0)      # inside since it was first seen (10.0)
    assert evs[2].dwell == pytest.approx(4.75)
    assert z.dwell() == {3: pytest.approx(15.25 - 10.5)}
    assert z.total_occupancy == 1 and z.inside.tolist() == [False, True]


def test_zone_jitter_on_the_edge_makes_no_events():
    ys = [130, 103, 97, 104, 96, 102, 98, 130]
    z = ZoneMonitor(SQUARE, min_distance=5)
    assert run(z, path(1, [(50, y) for y in ys])) == []
    naive = ZoneMonitor(SQUARE, min_distance=0)
    assert len(run(naive, path(1, [(50, y) for y in ys]))) == 6


def test_zone_lost_inside_and_refound():
    z = ZoneMonitor(SQUARE, min_distance=5)
    assert [e.kind for e in run(z, path(1, [(50, 150), (50, 50), None, None, (50, 40)]))] == ["enter"]
    assert [e.kind for e in run(z, path(1, [None, None, (50, 180)]))] == ["exit"]


def test_zone_born_in_the_band_or_inside():
    z = ZoneMonitor(SQUARE, min_distance=5)
    # born in the band just outside, goes in: no place was confirmed, no enter
    assert run(z, path(1, [(50, 103), (50, 50)])) == []
    assert z.occupancy == {0: 1}
    # born in the band just inside: in the zone by its point, no event; leaves: nothing
    assert run(z, path(2, [(50, 98)])) == []
    assert z.inside.tolist() == [True]
    assert run(z, path(2, [(50, 150)])) == []
    # born inside, leaves: one exit, no enter
    assert [e.kind for e in run(z, path(3, [(50, 50), (50, 150)]))] == ["exit"]


def test_concave_zone():
    z = ZoneMonitor(U_SHAPE, min_distance=3)
    # walking up through the notch (outside all along), then into the U's base
    ev = run(z, path(1, [(50, -20), (50, 10), (50, 50), (50, 80), (50, 140)]))
    assert [(e.kind, e.frame) for e in ev] == [("enter", 3), ("exit", 4)]
    # across an arm: in at x=15, out in the notch, in again at x=85
    ev = run(z, path(2, [(-20, 30), (15, 30), (50, 30), (85, 30), (130, 30)]))
    assert [e.kind for e in ev] == ["enter", "exit", "enter", "exit"]


def test_zone_classes_and_negative_ids():
    z = ZoneMonitor(SQUARE, min_distance=5, classes=[1])
    run(z, [[row(50, 150, 1, cls=0), row(50, 150, 2, cls=1), row(50, 50, -1, cls=1)],
            [row(50, 50, 1, cls=0), row(50, 50, 2, cls=1), row(50, 150, -1, cls=1)]])
    assert z.counts == {1: (1, 0)} and z.occupancy == {1: 1}
    assert z.inside.tolist() == [False, True, False]


def test_zone_event_json():
    z = ZoneMonitor(SQUARE, min_distance=5, name="queue", frame_rate=4)
    ev = run(z, path(9, [(50, 50), (50, 60), (50, 160)]))
    assert ev == [ZoneEvent("queue", 9, "exit", 2, None, 0, 0.5)]
    assert json.loads(ev[0].to_json()) == {"type": "ZoneExit", "name": "queue",
                                           "object_track_id": "9", "frame": 2,
                                           "dwell_seconds": 0.5, "class": {"id": 0}}


@pytest.mark.parametrize("key, value, match", [
    ("place", np.array([1, 5], np.int8), "place"),
    ("since", np.array([np.nan, np.nan]), "since"),
    ("since", np.array([0.0, 0.0]), "since"),
    ("since", np.array([1e308, np.nan]), "since"),     # after the state's time: dwell -1e308 s
    ("since", np.array([-1e308, np.nan]), "since"),
    ("time", 1e308, "time"),
])
def test_bad_zone_state_is_rejected(key, value, match):
    z = ZoneMonitor(SQUARE, min_distance=5)
    run(z, [[row(50, 50, 1), row(50, 150, 2)]])
    st = z.state_dict()
    assert st["place"].tolist() == [1, -1]
    st[key] = value
    with pytest.raises(ValueError, match=match):
        ZoneMonitor.from_state(st)


# --------------------------------------------------------------------------- polygons

@pytest.mark.parametrize("poly, match", [
    ([(0, 0), (10, 10), (10, 0), (0, 10)], "self-intersecting"),             # bow tie
    ([(0, 0), (10, 0), (10, 10), (5, 0), (0, 10)], "self-intersecting"),     # vertex on an edge
    ([(0, 0), (4, 0), (4, 4), (2, 0), (0, 4)], "self-"),                       # touches at (2, 0)
    ([(0, 0), (10, 0), (5, 5), (10, 10), (0, 10), (5, 5)], "self-touching"),  # two vertices meet
    ([(0, 0), (10, 0), (10, 10), (10, 10), (0, 10)], "coincide"),
    ([(0, 0), (5, 5), (10, 10)], "degenerate"),
    ([(0, 0), (10, 0), (10, 0.0), (0, 0.0)][:2] + [(5, 0)], "degenerate"),
    ([(0, 0), (10, 0), (20, 0), (15, 0), (10, 10)], "double back|self-"),
    ([(0, 0), (1, 1)], "at least 3"),
    ([(0, 0), (1, np.nan), (0, 1)], "finite"),
    ([(0, 0), (1e300, 0), (0, 1)], "within"),
    (np.zeros((3, 3)), "shape"),
])
def test_bad_polygons_are_rejected(poly, match):
    with pytest.raises(ValueError, match=match):
        ZoneMonitor(poly)


def test_good_polygons_are_accepted():
    assert validate_polygon(U_SHAPE).shape == (8, 2)
    closed = SQUARE + [SQUARE[0]]
    assert validate_polygon(closed).shape == (4, 2)
    assert validate_polygon(SQUARE[::-1]).shape == (4, 2)
    # collinear vertex in the middle of an edge is fine
    assert validate_polygon([(0, 0), (5, 0), (10, 0), (10, 10), (0, 10)]).shape == (5, 2)
    with pytest.raises(TypeError):
        validate_polygon([("a", "b")] * 3)


# --------------------------------------------------------------------------- groups

def test_counter_set_equals_separate_counters():
    from mottrack.analytics import CounterSet
    frames = _crossing_scene(n_frames=80, n_tracks=20, seed=5)

    def make():
        return [LineCounter(*H, min_distance=4, name="a"),
                LineCounter((100, 0), (100, 200), min_distance=2, anchor="center", name="b"),
                LineCounter(*H, min_distance=4, classes=[1], name="c"),
                ZoneMonitor([(20, 50), (180, 50), (180, 150), (20, 150)], min_distance=3, name="z")]
    alone = make()
    ev_alone = []
    for k, f in enumerate(frames):
        for c in alone:
            ev_alone += c.update(frame(*f), 0.5 * k)
    group = CounterSet(make())
    ev_group = []
    for k, f in enumerate(frames):
        ev_group += group.update(frame(*f), 0.5 * k)
    assert sorted(ev_group, key=repr) == sorted(ev_alone, key=repr) and len(ev_alone) > 5
    assert group.counts == {c.name: c.counts for c in alone}
    assert group["z"].occupancy == alone[3].occupancy
    # a rejected timestamp changes no counter
    with pytest.raises(ValueError, match="timestamp"):
        group.update(frame(row(50, 80, 1)), 0.0)
    assert [c.frame for c in group] == [80] * 4
    with pytest.raises(ValueError, match="distinct"):
        CounterSet([LineCounter(*H), LineCounter(*H)])
    with pytest.raises(TypeError, match=r"counters\[0\]"):
        CounterSet([object()])


def test_real_tracker_lost_while_crossing_counts_once():
    """ByteTrack keeps a track through a 6-frame detection gap right on the line; the
    counter sees the track vanish on one side and return on the other under its id."""
    from mottrack import create_tracker
    trk = create_tracker("bytetrack")
    lc = LineCounter((0, 300), (640, 300), min_distance=8)
    naive = LineCounter((0, 300), (640, 300), min_distance=8, forget_after=0)
    events, naive_events, seen = [], [], set()
    for f in range(40):
        y = 200 + 5 * f                      # bottom edge moves down 5 px per frame
        dets = np.zeros((0, 5)) if 18 <= f < 24 else np.array([[300, y - 120, 340, y, 0.9]])
        out = trk.update(dets)
        seen |= set(out[:, 4].astype(int).tolist())
        events += lc.update(out)
        naive_events += naive.update(out)
    assert len(seen) == 1                     # one id all along
    assert [e.direction for e in events] == ["in"] and lc.counts == {-1: (1, 0)}
    assert events[0].crossing_frame < 24 <= events[0].frame
    assert naive_events == []                # forgetting at once misses the crossing


def test_threads_sharing_one_counter_lose_no_update():
    import threading
    lc = LineCounter(*H, min_distance=5, forget_after=10 ** 6)
    z = ZoneMonitor([(0, 90), (200, 90), (200, 200), (0, 200)], min_distance=2, forget_after=10 ** 6)

    def work(k):
        for j in range(20):             # 20 tracks per thread, each crossing down once
            tid = 1000 * k + j + 1
            for y in (60, 80, 120, 140):
                lc.update(frame(row(50, y, tid)))
                z.update(frame(row(50, y, tid)))
    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert lc.counts == {0: (80, 0)} and lc.frame == 4 * 20 * 4
    assert z.counts == {0: (80, 0)}


def test_copies_and_pickles_are_independent():
    import copy
    import pickle
    lc = LineCounter(*H, min_distance=5)
    run(lc, path(1, [(50, 80)]))
    for dup in (copy.deepcopy(lc), pickle.loads(pickle.dumps(lc))):
        assert [e.direction for e in run(dup, path(1, [(50, 120)]))] == ["in"]
        assert dup._lock is not lc._lock
    assert lc.counts == {}


def test_a_degenerate_line_in_state_params_is_refused_too():
    lc = LineCounter((0, 500), (10, 500))
    st = lc.state_dict()
    st["params"]["end"] = [1e-200, 500]
    with pytest.raises(ValueError, match=r"state\['params'\].*0.001 pixel"):
        LineCounter.from_state(st)


def test_restored_ranges_keep_counting_and_saving():
    # the largest values accepted still update and save (no OverflowError later)
    lc = LineCounter(*H, min_distance=5)
    run(lc, [[row(50, 80, 1)]])
    st = lc.state_dict()
    st["frame"], st["time"] = 2 ** 53 - 10, 2.0 ** 52
    st["last"] = np.array([2 ** 53 - 11])
    st["count_classes"], st["counts"] = np.array([0]), np.array([[2 ** 53 - 5, 0]])
    lc2 = LineCounter.from_state(st)
    assert [e.direction for e in run(lc2, [[row(50, 120, 1)]])] == ["in"]
    assert lc2.state_dict()["counts"].tolist() == [[2 ** 53 - 4, 0]]
    z = ZoneMonitor(SQUARE, min_distance=5)
    run(z, [[row(50, 50, 1)]], )
    zs = z.state_dict()
    zs["time"], zs["since"] = 2.0 ** 53, np.array([-2.0 ** 53])
    z2 = ZoneMonitor.from_state(zs)
    assert z2.dwell() == {1: 2.0 ** 54}
