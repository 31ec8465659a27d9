"""Properties of the counters (hypothesis) and compiled kernels equal to their pure-Python twins."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mottrack.analytics._counter as counter_mod
import mottrack.analytics.crossing as crossing_mod
import mottrack.analytics.inside as inside_mod
import mottrack.analytics.lines as lines_mod
import mottrack.analytics.zones as zones_mod
from mottrack.analytics import LineCounter, ZoneMonitor, validate_polygon

# Integer coordinates keep every difference exact, so translations change no rounding.
coord = st.integers(-300, 300)
point = st.tuples(coord, coord)


@st.composite
def scenes(draw, max_tracks=5, max_frames=25):
    """Per frame a list of (track id, x, y, class); tracks may skip frames."""
    n_tracks = draw(st.integers(1, max_tracks))
    n_frames = draw(st.integers(2, max_frames))
    frames = [[] for _ in range(n_frames)]
    for tid in range(1, n_tracks + 1):
        first = draw(st.integers(0, n_frames - 2))
        length = draw(st.integers(2, n_frames - first))
        cls = draw(st.integers(0, 1))
        x, y = draw(point)
        for f in range(first, first + length):
            x += draw(st.integers(-40, 40))
            y += draw(st.integers(-40, 40))
            if draw(st.integers(0, 9)) == 0:
                continue  # missed
            frames[f].append((tid, x, y, cls))
    return frames


def as_rows(frame, dx=0, dy=0):
    return np.array([[x + dx - 8, y + dy - 30, x + dx + 8, y + dy, tid, 0.9, c, 0]
                     for tid, x, y, c in frame], np.float64).reshape(-1, 8)


def feed(counter, frames, dx=0, dy=0):
    out = []
    for f in frames:
        out += [(e.track_id, e.frame, getattr(e, "direction", None) or e.kind, e.class_id)
                for e in counter.update(as_rows(f, dx, dy))]
    return out


SQUARE = [(-100, -100), (100, -100), (100, 100), (-100, 100)]
U_SHAPE = [(-100, -100), (-40, -100), (-40, 20), (40, 20), (40, -100), (100, -100), (100, 100),
           (-100, 100)]


@settings(max_examples=150, deadline=None)
@given(scenes(), point, point, st.integers(0, 12))
def test_reversing_time_swaps_in_and_out(frames, a, b, md):
    if a == b:
        return
    fwd = LineCounter(a, b, min_distance=md)
    bwd = LineCounter(a, b, min_distance=md)
    feed(fwd, frames)
    feed(bwd, frames[::-1])
    f = fwd.counts
    r = bwd.counts
    assert {c: (i, o) for c, (o, i) in r.items()} == f


@settings(max_examples=100, deadline=None)
@given(scenes(), st.sampled_from([SQUARE, U_SHAPE]), st.integers(0, 12))
def test_reversing_time_swaps_enter_and_exit(frames, poly, md):
    fwd = ZoneMonitor(poly, min_distance=md)
    bwd = ZoneMonitor(poly, min_distance=md)
    feed(fwd, frames)
    feed(bwd, frames[::-1])
    assert {c: (x, e) for c, (e, x) in bwd.counts.items()} == fwd.counts


@settings(max_examples=150, deadline=None)
@given(scenes(), point, point, st.integers(0, 12), st.integers(-5000, 5000), st.integers(-5000, 5000))
def test_translating_scene_and_line_together_changes_nothing(frames, a, b, md, dx, dy):
    if a == b:
        return
    base = LineCounter(a, b, min_distance=md)
    moved = LineCounter((a[0] + dx, a[1] + dy), (b[0] + dx, b[1] + dy), min_distance=md)
    assert feed(base, frames) == feed(moved, frames, dx, dy)
    zb = ZoneMonitor(U_SHAPE, min_distance=md)
    zm = ZoneMonitor([(x + dx, y + dy) for x, y in U_SHAPE], min_distance=md)
    assert feed(zb, frames) == feed(zm, frames, dx, dy)


@settings(max_examples=100, deadline=None)
@given(scenes(), point, point, st.integers(0, 12))
def test_swapping_the_end_points_swaps_in_and_out(frames, a, b, md):
    if a == b:
        return
    ab = LineCounter(a, b, min_distance=md)
    ba = LineCounter(b, a, min_distance=md)
    ev_ab = feed(ab, frames)
    ev_ba = feed(ba, frames)
    flip = {"in": "out", "out": "in"}
    assert [(t, f, flip[d], c) for t, f, d, c in ev_ab] == ev_ba


@settings(max_examples=100, deadline=None)
@given(scenes(), st.integers(0, 12))
def test_zone_occupancy_equals_inside_rows(frames, md):
    z = ZoneMonitor(U_SHAPE, min_distance=md)
    for f in frames:
        rows = as_rows(f)
        z.update(rows)
        assert z.total_occupancy == int(z.inside.sum())
        assert z.inside.shape == (rows.shape[0],)


def _random_scene(seed, n_frames=80, n_tracks=40):
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 640, (n_tracks, 2))
    vel = rng.normal(0, 8, (n_tracks, 2))
    frames = []
    for f in range(n_frames):
        pos += vel + rng.normal(0, 3, pos.shape)
        keep = rng.random(n_tracks) > 0.1
        ids = np.flatnonzero(keep) + 1 + (f // 30) * 7  # some ids end, new ones start
        p = pos[keep]
        rows = np.column_stack([p[:, 0] - 10, p[:, 1] - 40, p[:, 0] + 10, p[:, 1], ids,
                                rng.random(ids.size), rng.integers(0, 3, ids.size), np.arange(ids.size)])
        frames.append(rows[rng.permutation(ids.size)])  # not in id order
    return frames


def _trace(seed):
    lines = [LineCounter((0, 320), (640, 320), min_distance=6, forget_after=10),
             LineCounter((100, 0), (500, 640), min_distance=0, classes=[1, 2]),
             LineCounter((320, 100), (320, 500), anchor="center", min_distance=3)]
    zones = [ZoneMonitor(U_SHAPE_BIG, min_distance=5, forget_after=10),
             ZoneMonitor([(50, 50), (600, 80), (300, 600)], min_distance=0, anchor="top_left")]
    out = []
    for k, f in enumerate(_random_scene(seed)):
        for c in lines + zones:
            out.append([(e.track_id, e.frame, getattr(e, "direction", None) or e.kind, e.class_id,
                         getattr(e, "dwell", None), getattr(e, "crossing_frame", None))
                        for e in c.update(f, 0.1 * k)])
        for z in zones:
            out.append((z.inside.tolist(), sorted(z.occupancy.items())))
    states = [c.state_dict() for c in lines + zones]
    return out, states


U_SHAPE_BIG = [(50, 50), (250, 50), (250, 400), (400, 400), (400, 50), (600, 50), (600, 600),
               (50, 600)]


def _same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k])
            assert a[k].dtype == b[k].dtype
        else:
            assert a[k] == b[k]


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_kernels_equal_their_pure_python_twins(seed, monkeypatch):
    compiled_out, compiled_states = _trace(seed)
    assert sum(len(x) for x in compiled_out if isinstance(x, list)) > 20  # events happened
    monkeypatch.setattr(counter_mod, "join_tracks", counter_mod.join_tracks.py_func)
    monkeypatch.setattr(counter_mod, "frame_rows", counter_mod.frame_rows.py_func)
    monkeypatch.setattr(lines_mod, "line_step", lines_mod.line_step.py_func)
    monkeypatch.setattr(crossing_mod, "line_side_band", crossing_mod.line_side_band.py_func)
    monkeypatch.setattr(crossing_mod, "meeting_point", crossing_mod.meeting_point.py_func)
    monkeypatch.setattr(zones_mod, "zone_step", zones_mod.zone_step.py_func)
    monkeypatch.setattr(inside_mod, "point_in_polygon", inside_mod.point_in_polygon.py_func)
    py_out, py_states = _trace(seed)
    assert py_out == compiled_out
    for a, b in zip(compiled_states, py_states):
        _same_state(a, b)


@st.composite
def star_polygons(draw):
    """Simple (often concave) polygons: vertices at increasing angles, random radii."""
    n = draw(st.integers(3, 12))
    ang = np.sort(np.array(draw(st.lists(st.integers(0, 3599), min_size=n, max_size=n, unique=True))))
    rad = np.array(draw(st.lists(st.integers(20, 200), min_size=n, max_size=n)), float)
    t = ang * (2 * np.pi / 3600)
    return np.column_stack([rad * np.cos(t), rad * np.sin(t)]).round(3)


@settings(max_examples=150, deadline=None)
@given(star_polygons(), st.lists(st.tuples(st.floats(-250, 250), st.floats(-250, 250)),
                                 min_size=1, max_size=30))
def test_point_in_polygon_agrees_with_matplotlib(poly, pts):
    from matplotlib.path import Path
    try:
        validate_polygon(poly)
    except ValueError:
        return  # rounding made a degenerate star (e.g. collinear vertices): not this test's case
    pts = np.array(pts)
    ref = Path(poly).contains_points(pts)
    for (x, y), want in zip(pts, ref):
        got, dist = inside_mod.point_in_polygon(x, y, poly)
        if dist > 1e-6:  # points on the edge may go either way
            assert got == want
        # the distance is a lower bound of the distance to every vertex, and attained on an edge
        assert dist <= np.hypot(poly[:, 0] - x, poly[:, 1] - y).min() + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.integers(4, 10), st.data())
def test_convex_points_only_in_cyclic_order_make_a_simple_polygon(n, data):
    t = np.arange(n) * 2 * np.pi / n
    pts = np.column_stack([100 * np.cos(t), 100 * np.sin(t)])
    perm = data.draw(st.permutations(list(range(n))))
    # cyclic order (either direction, any start) is the only simple one
    k = perm.index(0)
    rot = perm[k:] + perm[:k]
    cyclic = rot == list(range(n)) or rot == [0] + list(range(n - 1, 0, -1))
    if cyclic:
        assert validate_polygon(pts[perm]).shape == (n, 2)
    else:
        with pytest.raises(ValueError, match="self-"):
            validate_polygon(pts[perm])
