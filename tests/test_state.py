"""Tracker state save/restore: exact continuation on real sequences, files, rejection of bad states."""
from __future__ import annotations

import copy
import io
import json

import numpy as np
import pytest

import mottrack
from mottrack import Detections, Tracker
from mottrack.state import (FORMAT_VERSION, load_state, save_state, state_from_json, state_to_json)
from mottrack.tracks import TrackTable

from streams import (STREAMS, assert_identical, det_stream, embedding_stream, roundtrip, run, stream,  # noqa: F401
                     timestamps)


# --------------------------------------------------------------------------- exact continuation
@pytest.mark.parametrize("via", ["dict", "npz", "json"])
@pytest.mark.parametrize("key", list(STREAMS))
def test_restore_and_continue_is_byte_identical(key, via):
    name, params, frames = stream(key)
    n = len(frames)
    full = run(mottrack.create_tracker(name, **params), frames)
    assert sum(len(o) for o in full) > 0
    for cut in (1, 5, n // 2, n - 1):
        t = mottrack.create_tracker(name, **params)
        head = run(t, frames, stop=cut)
        restored = roundtrip(t, via)
        assert type(restored) is type(t)
        assert restored.frame_count == cut
        tail = run(restored, frames, start=cut)
        assert_identical(head + tail, full)


@pytest.mark.parametrize("key", ["sort/ETH-Sunnyday", "bytetrack/TUD-Stadtmitte", "deepsort/MOT17-09"])
def test_restore_keeps_the_clock_of_timestamped_streams(key, tmp_path):
    name, params, frames = stream(key)
    times = timestamps(len(frames), 14.0)
    full = run(mottrack.create_tracker(name, frame_rate=14.0, **params), frames, times)
    for cut, suffix in ((3, ".npz"), (len(frames) // 2, ".json")):
        t = mottrack.create_tracker(name, frame_rate=14.0, **params)
        head = run(t, frames, times, stop=cut)
        path = tmp_path / f"state{suffix}"
        save_state(t, path)
        restored = Tracker.from_state(load_state(path))
        assert restored._last_timestamp == times[cut - 1]
        assert_identical(head + run(restored, frames, times, start=cut), full)
    # A restored tracker still refuses time going backwards.
    with pytest.raises(ValueError, match="timestamp"):
        restored.update(frames[0], times[0])


@pytest.mark.parametrize("key", list(STREAMS))
def test_load_state_dict_in_place_restores_params_and_state(key):
    name, params, frames = stream(key)
    full = run(mottrack.create_tracker(name, **params), frames)
    cut = len(frames) // 3
    src = mottrack.create_tracker(name, **params)
    head = run(src, frames, stop=cut)
    dst = mottrack.create_tracker(name, frame_rate=7.0)  # other params, other history
    run(dst, frames, stop=3)
    dst.load_state_dict(src.state_dict())
    assert dst.frame_rate == src.frame_rate
    assert_identical(head + run(dst, frames, start=cut), full)
    # the source keeps working on its own
    assert_identical(head + run(src, frames, start=cut), full)


def _arrays(obj, seen=None):
    """Every ndarray reachable from a tracker / state dict / TrackTable."""
    out = []
    if isinstance(obj, np.ndarray):
        out.append(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            out += _arrays(v)
    elif isinstance(obj, TrackTable):
        out += [obj.mean, obj.covariance, obj.ints, obj.floats, obj.counters]
    elif isinstance(obj, Tracker):
        for v in vars(obj).values():
            out += _arrays(v)
    return out


@pytest.mark.parametrize("key", list(STREAMS))
def test_restored_tracker_shares_no_arrays(key):
    name, params, frames = stream(key)
    t = mottrack.create_tracker(name, **params)
    run(t, frames, stop=len(frames) // 2)
    state = t.state_dict()
    restored = Tracker.from_state(state)
    for a in _arrays(restored):
        for b in _arrays(t) + _arrays(state):
            assert not np.shares_memory(a, b)
    for a in _arrays(state):
        for b in _arrays(t):
            assert not np.shares_memory(a, b)
    # mutating the state or the original afterwards does not change the restored tracker
    expected = run(Tracker.from_state(copy.deepcopy(state)), frames, start=len(frames) // 2)
    for a in _arrays(state):
        if a.size:
            a[...] = 0
    run(t, frames, start=len(frames) // 2)
    assert_identical(run(restored, frames, start=len(frames) // 2), expected)


def test_state_is_plain_data():
    name, params, frames = stream("sort/TUD-Campus")
    t = mottrack.create_tracker(name, **params)
    run(t, frames, stop=20)
    state = t.state_dict()

    def check(v):
        if isinstance(v, dict):
            for k, x in v.items():
                assert isinstance(k, str)
                check(x)
        else:
            assert v is None or isinstance(v, (np.ndarray, bool, int, float, str)), type(v)
            if isinstance(v, np.ndarray):
                assert v.dtype.kind in "biuf"
    check(state)
    assert state["version"] == FORMAT_VERSION and state["tracker"] == "sort"
    tracks = state["attrs"]["tracks"]
    n = int(tracks["counters"][0])
    assert tracks["mean"].shape == (n, 7) and tracks["ints"].shape[0] == n
    buf = io.BytesIO()
    save_state(state, buf)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:  # loadable without pickle
        assert "attrs/tracks/mean" in z.files


def test_fresh_tracker_round_trips():
    for name in mottrack.available_trackers():
        t = mottrack.create_tracker(name)
        for via in ("dict", "npz", "json"):
            r = roundtrip(t, via)
            assert type(r) is type(t) and r.frame_count == 0


# --------------------------------------------------------------------------- rejection
def _sort_state():
    t = mottrack.SORT(min_hits=1)
    box = np.array([[10, 10, 50, 80, 0.9], [100, 100, 140, 180, 0.8]])
    for k in range(4):
        t.update(box + [k, 0, k, 0, 0])
    return t.state_dict()


def _mutate(state, path, value=None, delete=False):
    s = copy.deepcopy(state)
    node = s
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return s


BAD_STATES = [
    ("version 2", ("version",), 2, False, ValueError, "version 2"),
    ("version 0", ("version",), 0, False, ValueError, "version"),
    ("not a state", ("format",), "something", False, ValueError, "format"),
    ("unknown tracker", ("tracker",), "nosuch", False, ValueError, "nosuch"),
    ("params unknown", ("params", "bogus"), 1, False, ValueError, "bogus"),
    ("params invalid", ("params", "iou_threshold"), 7.0, False, ValueError, "iou_threshold"),
    ("no params", ("params",), None, True, ValueError, "params"),
    ("no frame_count", ("frame_count",), None, True, ValueError, "frame_count"),
    ("negative frame_count", ("frame_count",), -3, False, ValueError, "frame_count"),
    ("nan clock", ("last_timestamp",), float("nan"), False, ValueError, "last_timestamp"),
    ("no attrs", ("attrs",), None, True, ValueError, "attrs"),
    ("extra attr", ("attrs", "surprise"), np.zeros(3), False, ValueError, "surprise"),
    ("missing table", ("attrs", "tracks"), None, True, ValueError, "tracks"),
    ("missing mean", ("attrs", "tracks", "mean"), None, True, ValueError, "mean"),
    ("missing counters", ("attrs", "tracks", "counters"), None, True, ValueError, "counters"),
    ("mean mis-shaped", ("attrs", "tracks", "mean"), np.zeros((2, 8)), False, ValueError, "mean"),
    ("cov mis-shaped", ("attrs", "tracks", "covariance"), np.zeros((2, 7)), False, ValueError, "covariance"),
    ("ints too few rows", ("attrs", "tracks", "ints"), np.zeros((1, 7), np.int64), False, ValueError, "ints"),
    ("floats as strings", ("attrs", "tracks", "floats"), np.array([["a", "b"], ["c", "d"]]), False,
     ValueError, "floats"),
    ("ints as floats", ("attrs", "tracks", "ints"), np.zeros((2, 7)), False, ValueError, "ints"),
    ("mean not array", ("attrs", "tracks", "mean"), [[0.0] * 7] * 2, False, ValueError, "mean"),
    ("mean with nan", ("attrs", "tracks", "mean"), np.full((2, 7), np.nan), False, ValueError, "mean"),
    ("other dim", ("attrs", "tracks", "dim"), 8, False, ValueError, "dim"),
    ("other columns", ("attrs", "tracks", "int_columns"), "id,hits", False, ValueError, "int_columns"),
    ("id counter behind", ("attrs", "tracks", "counters"), np.array([2, 1], np.int64), False, ValueError,
     "next id"),
    ("count mismatch", ("attrs", "tracks", "counters"), np.array([5, 99], np.int64), False, ValueError,
     "shape"),
]


@pytest.mark.parametrize("label,path,value,delete,exc,match", BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_bad_state_is_rejected(label, path, value, delete, exc, match):
    state = _mutate(_sort_state(), path, value, delete)
    with pytest.raises(exc, match=match):
        Tracker.from_state(state)
    target = mottrack.SORT(max_age=4)
    target.update(np.array([[0.0, 0.0, 10.0, 20.0, 0.9]]))
    before = state_to_json(target)
    with pytest.raises(exc, match=match):
        target.load_state_dict(state)
    assert state_to_json(target) == before  # a rejected state leaves the tracker as it was


def test_state_of_another_tracker_type_is_rejected():
    state = _sort_state()
    others = [n for n in mottrack.available_trackers() if n != "sort"]
    assert others
    for name in others:
        cls = type(mottrack.create_tracker(name))
        with pytest.raises(ValueError, match="sort"):
            cls.from_state(state)
        with pytest.raises(ValueError, match="sort"):
            mottrack.create_tracker(name).load_state_dict(state)
        other_state = mottrack.create_tracker(name).state_dict()
        with pytest.raises(ValueError, match=name):
            mottrack.SORT.from_state(other_state)


def test_not_a_dict_is_rejected():
    with pytest.raises(TypeError, match="state"):
        Tracker.from_state([1, 2, 3])


def test_corrupt_files_are_rejected(tmp_path):
    t = mottrack.SORT()
    buf = io.BytesIO()
    save_state(t, buf)
    data = buf.getvalue()
    with pytest.raises(ValueError):
        load_state(io.BytesIO(data[: len(data) // 2]))  # truncated zip
    with pytest.raises(ValueError, match="JSON"):
        load_state(io.BytesIO(b"{not json"))
    with pytest.raises(ValueError, match="format"):
        load_state(io.BytesIO(b'{"a": 1}'))
    text = json.loads(state_to_json(t))
    text["version"] = 99
    with pytest.raises(ValueError, match="version 99"):
        load_state(io.BytesIO(json.dumps(text).encode()))
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="metadata"):
        load_state(tmp_path / "x.npz")


def test_50_tracks_round_trip_through_npz_and_continue_identically(tmp_path):
    """50 confirmed tracks (128-d galleries for DeepSORT): restored from an .npz file, the
    tracker continues exactly as the original.  (Its cost is measured by eval/bench_io.py.)"""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1800, (50, 2))
    emb = rng.normal(size=(50, 128)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)

    def frame(f):
        boxes = np.column_stack([xy + 3 * f, xy + 3 * f + [30, 80]])
        return Detections(boxes, np.full(50, 0.9), embeddings=emb)

    for name in mottrack.available_trackers():
        t = mottrack.create_tracker(name)
        for f in range(10):
            t.update(frame(f))
        assert len(t.tracks) == 50
        save_state(t, tmp_path / f"{name}.npz")
        r = Tracker.from_state(load_state(tmp_path / f"{name}.npz"))
        for f in range(10, 14):
            a, b = t.update(frame(f)), r.update(frame(f))
            assert len(a) == 50 and a.tobytes() == b.tobytes(), name


# --------------------------------------------------------------------------- issue 13: files
def test_json_state_with_giant_numbers_or_bad_array_entries_is_a_value_error():
    good = json.loads(state_to_json(mottrack.create_tracker("sort")))
    cases = ['{"a": ' + "9" * 5000 + "}"]  # beyond Python's int digit limit
    for shape in ([10 ** 12], [-1], [1] * 40, "x"):
        bad = copy.deepcopy(good)
        bad["attrs"]["tracks"]["counters"]["shape"] = shape
        cases.append(json.dumps(bad))
    for text in cases:
        with pytest.raises(ValueError, match="state JSON"):
            state_from_json(text)


def test_load_state_reads_at_most_max_bytes(tmp_path):
    t = mottrack.create_tracker("sort")
    t.update(np.array([[0.0, 0.0, 10.0, 20.0, 0.9]]))
    for fmt in ("npz", "json"):
        p = tmp_path / f"s.{fmt}"
        save_state(t, p, format=fmt)
        size = p.stat().st_size
        assert Tracker.from_state(load_state(p, max_bytes=size)).frame_count == 1
        with pytest.raises(ValueError, match="max_bytes"):
            load_state(p, max_bytes=size // 2 if fmt == "json" else 200)
    with pytest.raises(ValueError, match="max_bytes"):
        load_state(p, max_bytes=0)
