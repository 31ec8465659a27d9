"""Properties every registered tracker must have on random detection streams (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mottrack
from mottrack import Detections
from mottrack.geometry import iou_matrix

TRACKERS = mottrack.available_trackers()
PROPS = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
EMB_DIM = 16


def _with_embeddings(name: str) -> bool:
    return mottrack.tracker_class(name).embeddings != "none"


@st.composite
def streams(draw):
    """A seeded scene: objects moving, missed detections, clutter, empty frames, classes
    (some detections with the wrong class)."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_frames = draw(st.integers(1, 40))
    n_obj = draw(st.integers(0, 12))
    miss = draw(st.floats(0.0, 0.6))
    clutter = draw(st.floats(0.0, 3.0))
    p_empty = draw(st.floats(0.0, 0.3))
    speed = draw(st.floats(0.0, 25.0))
    classes = draw(st.booleans())
    confuse = draw(st.floats(0.0, 0.3))  # share of detections given another class
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 600, (n_obj, 2))
    vel = rng.normal(0, speed, (n_obj, 2))
    size = rng.uniform([5, 10], [80, 200], (n_obj, 2))
    emb = rng.normal(size=(n_obj, EMB_DIM))
    cls = rng.integers(0, 3, n_obj)
    frames = []
    for _ in range(n_frames):
        pos += vel
        if rng.random() < p_empty:
            frames.append((np.empty((0, 6)), np.empty((0, EMB_DIM), np.float32)))
            continue
        seen = np.flatnonzero(rng.random(n_obj) >= miss)
        k = int(rng.poisson(clutter))
        xy = np.vstack([pos[seen] + rng.normal(0, 2, (seen.size, 2)), rng.uniform(-50, 700, (k, 2))])
        wh = np.vstack([size[seen] * rng.uniform(0.9, 1.1, (seen.size, 2)), rng.uniform(1, 150, (k, 2))])
        score = rng.uniform(0.05, 1.0, seen.size + k)
        c = np.concatenate([cls[seen], rng.integers(0, 3, k)]) if classes else np.full(seen.size + k, -1)
        if classes:
            flip = rng.random(seen.size + k) < confuse
            c[flip] = (c[flip] + 1) % 3
        e = np.vstack([emb[seen] + rng.normal(0, 0.1, (seen.size, EMB_DIM)), rng.normal(size=(k, EMB_DIM))])
        order = rng.permutation(seen.size + k)
        rows = np.column_stack([xy, xy + wh, score, c])[order]
        frames.append((np.ascontiguousarray(rows), e[order].astype(np.float32)))
    return frames


def feed(name, frames, timestamps=None, frame_rate=30.0, **params):
    t = mottrack.create_tracker(name, frame_rate=frame_rate, **params)
    outs = []
    for i, (rows, emb) in enumerate(frames):
        d = Detections.from_array(rows, embeddings=emb) if _with_embeddings(name) else rows
        outs.append(t.update(d, None if timestamps is None else timestamps[i]))
    return t, outs


@pytest.mark.parametrize("name", TRACKERS)
@PROPS
@given(frames=streams(), per_class=st.booleans())
def test_output_contract(name, frames, per_class):
    t = mottrack.create_tracker(name, per_class=per_class)
    gone: set = set()
    live_before: set = set()
    seen_ids: set = set()
    class_of: dict = {}
    for rows, emb in frames:
        d = Detections.from_array(rows, embeddings=emb) if _with_embeddings(name) else rows
        out = t.update(d)
        assert out.dtype == np.float64 and out.ndim == 2 and out.shape[1] == 8
        assert np.isfinite(out).all()
        ids = out[:, 4]
        assert np.all(ids == np.floor(ids)) and np.all(ids >= 1)
        assert np.unique(ids).size == ids.size, "duplicate track id in one frame"
        assert not (set(ids.tolist()) & gone), "an id came back after its track was deleted"
        live = set(t.tracks.column("id").tolist())
        assert set(ids.tolist()) <= live
        assert not (live & gone), "a deleted id is live again"
        new = live - live_before - seen_ids
        if seen_ids and new:
            assert min(new) > max(seen_ids), "new ids must be larger than every id handed out before"
        seen_ids |= live
        gone |= live_before - live
        live_before = live
        assert np.all((out[:, 0] <= out[:, 2]) & (out[:, 1] <= out[:, 3]))
        det = out[:, 7].astype(np.int64)
        assert np.all(out[:, 7] == det) and np.all((det >= -1) & (det < rows.shape[0]))
        used = det[det >= 0]
        assert np.unique(used).size == used.size, "one detection updated two tracks"
        for r in np.flatnonzero(det >= 0):
            drow = rows[det[r]]
            # the reported box is the Kalman posterior after this detection: it must still
            # overlap the detection (every tracker gates matches by IoU or Mahalanobis distance,
            # and the posterior lies between the prediction and the measurement)
            iou = iou_matrix(out[r:r + 1, :4], drow[None, :4])[0, 0]
            assert iou > 0.05, f"track {out[r, 4]} reported det {det[r]} but IoU is {iou:.3f}"
            assert out[r, 5] == drow[4], "score is not the updating detection's score"
            assert out[r, 6] == drow[5], "class is not the updating detection's class"
        if per_class:  # a track never takes a detection of another class
            for i, c in zip(out[:, 4].tolist(), out[:, 6].tolist()):
                assert class_of.setdefault(i, c) == c, f"track {i} changed class"


@pytest.mark.parametrize("name", TRACKERS)
@PROPS
@given(frames=streams())
def test_deterministic(name, frames):
    _, a = feed(name, frames)
    _, b = feed(name, frames)
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("name", TRACKERS)
@PROPS
@given(frames=streams(), log2_rate=st.integers(0, 6), start=st.integers(0, 10**6))
def test_nominal_timestamps_change_nothing(name, frames, log2_rate, start):
    """Timestamps exactly 1/frame_rate apart (exact in binary: power-of-two rates) give the
    byte-identical output of an untimestamped run."""
    rate = float(2**log2_rate)
    times = [start + k / rate for k in range(len(frames))]
    _, a = feed(name, frames, frame_rate=rate)
    _, b = feed(name, frames, times, frame_rate=rate)
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("name", TRACKERS)
@settings(max_examples=10, deadline=None, derandomize=True)
@given(frames=streams())
def test_nominal_timestamps_at_30fps_agree_to_rounding(name, frames):
    """At 30 fps, 1/30 s steps are not exact in binary; dt differs from 1 by an ulp or so.
    The tracks are the same; boxes agree to far below a pixel."""
    times = [1.7e9 + k / 30.0 for k in range(len(frames))]
    _, a = feed(name, frames)
    _, b = feed(name, frames, times)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        assert np.array_equal(x[:, 4:], y[:, 4:])
        assert np.allclose(x[:, :4], y[:, :4], rtol=0, atol=1e-3)


@pytest.mark.parametrize("name", TRACKERS)
def test_only_empty_frames(name):
    t = mottrack.create_tracker(name)
    for k in range(50):
        out = t.update(None, timestamp=k * 0.5)
        assert out.shape == (0, 8)
    assert len(t.tracks) == 0


@pytest.mark.parametrize("name", TRACKERS)
def test_track_ids_cover_the_output_and_empty_after_everything_ended(name):
    rng = np.random.default_rng(7)
    tracker = mottrack.create_tracker(name)
    for f in range(20):
        xy = np.array([[10.0 + 3 * f, 20.0], [300.0, 40.0 + 2 * f]])
        boxes = np.hstack([xy, xy + [40.0, 90.0]])
        emb = np.tile(np.eye(2, 16, dtype=np.float32), (1, 1)) + rng.normal(0, 0.01, (2, 16)).astype(np.float32)
        out = tracker.update(mottrack.Detections(boxes, [0.9, 0.9], embeddings=emb))
        assert set(out[:, 4].astype(int)) <= set(tracker.track_ids().tolist())
    assert len(tracker.track_ids()) >= 2
    for _ in range(200):
        tracker.update(mottrack.Detections.empty(16))
    assert len(tracker.track_ids()) == 0
