"""Axis-style scene metadata from tracker output."""
import io
import json
from pathlib import Path

import numpy as np
import pytest

from support import expected_path_indices
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.io.coco import COCO90_NAMES
from mottrack.io.metadata import (JsonLinesWriter, ObjectTrackBuilder, SceneMetadataSerializer, format_timestamp,
                                  load_schema)

T0 = 1714564800.0  # 2024-05-01T12:00:00Z


def tracks(*rows):
    return np.array(rows, dtype=np.float64).reshape(-1, 8)


def ended(msg):
    return [e["object_track_id"] for e in msg.get("track_events", []) if e["type"] == "TrackEnded"]


def test_frame_schema_and_normalised_boxes():
    ser = SceneMetadataSerializer((640, 480), id_prefix="cam", channel_id=3)
    msg = ser.frame(tracks([64, 48, 128, 240, 7, 0.87654, 0, 2],
                           [-10, 400, 700, 500, 8, 0.5, 27, 0],
                           [10, 10, 20, 20, 9, np.nan, -1, -1]), T0 + 0.04)
    assert msg["channel_id"] == 3
    assert msg["timestamp"] == "2024-05-01T12:00:00.040000Z"
    assert "track_events" not in msg
    d0, d1, d2 = msg["detections"]
    assert d0 == {"object_track_id": "cam-7",
                  "bounding_box": {"left": 0.1, "top": 0.1, "right": 0.2, "bottom": 0.5},
                  "class": {"type": "person", "score": 0.8765}}
    assert d1["bounding_box"] == {"left": 0.0, "top": 0.8333, "right": 1.0, "bottom": 1.0}  # clipped
    assert d1["class"]["type"] == "tie"
    assert "class" not in d2  # class_id -1
    json.dumps(msg, allow_nan=False)  # strictly valid JSON


def test_ids_are_stable_strings_and_random_prefix_differs():
    a = SceneMetadataSerializer((100, 100))
    b = SceneMetadataSerializer((100, 100))
    assert a.id_prefix != b.id_prefix
    ids = [a.frame(tracks([0, 0, 1, 1, 5, 1, 0, 0]), T0 + i)["detections"][0]["object_track_id"]
           for i in range(3)]
    assert len(set(ids)) == 1 and ids[0] == f"{a.id_prefix}-5"


def test_explicit_deleted_ids_emit_track_ended():
    ser = SceneMetadataSerializer((100, 100), id_prefix="p")
    ser.frame(tracks([0, 0, 1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 2, 1, 0, 1]), T0)
    msg = ser.frame(tracks([0, 0, 1, 1, 1, 1, 0, 0]), T0 + 1, ended_ids=[2, 99])  # 99 never seen
    assert ended(msg) == ["p-2"]
    assert ser.live_ids == {1: "p-1"}
    assert ended(ser.frame(tracks(), T0 + 2)) == []  # no inference configured
    closing = ser.close()
    assert ended(closing) == ["p-1"] and closing["detections"] == []
    assert closing["timestamp"] == format_timestamp(T0 + 2)
    assert ser.tracks_ended == 2


def test_inferred_end_after_frames_and_reappearing_id_gets_new_string():
    ser = SceneMetadataSerializer((100, 100), id_prefix="p", end_after_frames=2)
    seen = tracks([0, 0, 1, 1, 4, 1, 0, 0])
    ser.frame(seen, T0)
    assert ended(ser.frame(tracks(), T0 + 1)) == []      # unseen 1 frame: still alive
    assert ended(ser.frame(tracks(), T0 + 2)) == ["p-4"]  # unseen 2 frames: ended
    assert ended(ser.frame(tracks(), T0 + 3)) == []      # only once
    again = ser.frame(seen, T0 + 4)
    assert again["detections"][0]["object_track_id"] == "p-4-2"  # an ended id is never reused


def test_inferred_end_after_seconds_follows_frame_time():
    ser = SceneMetadataSerializer((100, 100), id_prefix="p", end_after_seconds=0.5)
    ser.frame(tracks([0, 0, 1, 1, 1, 1, 0, 0]), T0)
    assert ended(ser.frame(tracks(), T0 + 0.2)) == []
    assert ended(ser.frame(tracks(), T0 + 0.5)) == []
    assert ended(ser.frame(tracks(), T0 + 0.51)) == ["p-1"]


def test_class_names_and_frame_size_override():
    ser = SceneMetadataSerializer((100, 100), class_names=COCO90_NAMES, id_prefix="p")
    msg = ser.frame(tracks([0, 0, 50, 50, 1, 0.9, 31, 0], [0, 0, 50, 50, 2, 0.9, 11, 0],
                           [0, 0, 50, 50, 3, 0.9, 500, 0]), T0, frame_size=(200, 100))
    assert [d["class"]["type"] for d in msg["detections"]] == ["tie", "11", "500"]
    assert msg["detections"][0]["bounding_box"]["right"] == 0.25
    ser = SceneMetadataSerializer((100, 100), class_names={3: "vehicle"})
    assert ser.frame(tracks([0, 0, 1, 1, 1, 1, 3, 0]), T0)["detections"][0]["class"]["type"] == "vehicle"


def test_bad_inputs():
    ser = SceneMetadataSerializer((100, 100))
    with pytest.raises(ValueError, match=r"tracks: expected shape \(M, 8\)"):
        ser.frame(np.zeros((2, 7)), T0)
    with pytest.raises(ValueError, match="row 0 has a non-finite"):
        ser.frame(tracks([np.nan, 0, 1, 1, 1, 1, 0, 0]), T0)
    with pytest.raises(TypeError, match="numeric"):
        ser.frame(np.array([["a"] * 8]), T0)
    with pytest.raises(ValueError, match="timestamp"):
        ser.frame(tracks(), float("inf"))
    with pytest.raises(ValueError, match="frame_size"):
        SceneMetadataSerializer((0, 100))
    with pytest.raises(ValueError, match="end_after_frames"):
        SceneMetadataSerializer((10, 10), end_after_frames=0)
    assert ser.frame(None, T0)["detections"] == []
    assert ser.frame(np.empty((0, 8)), T0)["detections"] == []


def test_timestamp_format_rounding():
    assert format_timestamp(T0 + 0.9999996) == "2024-05-01T12:00:01.000000Z"
    assert format_timestamp(0) == "1970-01-01T00:00:00.000000Z"


def test_json_lines_writer_stream_and_file(tmp_path):
    ser = SceneMetadataSerializer((100, 100), id_prefix="p", end_after_frames=1)
    buf = io.StringIO()
    with JsonLinesWriter(buf) as out:
        out.write(ser.frame(tracks([0, 0, 10, 10, 1, 0.5, 0, 0]), T0))
        out.write(ser.frame(tracks(), T0 + 0.1))
    assert not buf.closed  # caller's stream stays open
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and out.lines_written == 2
    parsed = [json.loads(line) for line in lines]
    assert parsed[0]["detections"][0]["object_track_id"] == "p-1"
    assert parsed[1]["track_events"] == [{"type": "TrackEnded", "object_track_id": "p-1"}]
    path = tmp_path / "meta.jsonl"
    with JsonLinesWriter(path) as out:
        out.write({"a": 1})
    with JsonLinesWriter(path, append=True) as out:
        out.write({"b": 2})
    assert path.read_text() == '{"a":1}\n{"b":2}\n'
    with pytest.raises(ValueError):
        JsonLinesWriter(io.StringIO()).write({"x": float("nan")})


# ----------------------------------------------------------------------------- Rename events
def test_rename_event_names_old_and_new_string_ids():
    ser = SceneMetadataSerializer((100, 100), id_prefix="p")
    ser.frame(tracks([0, 0, 1, 1, 4, 1, 0, 0]), T0)
    ser.frame(tracks(), T0 + 1, ended_ids=[4])                # p-4 ended
    msg = ser.frame(tracks([0, 0, 1, 1, 9, 1, 0, 0]), T0 + 2, renamed=[(4, 9)])
    assert msg["track_events"] == [{"type": "Rename", "from_id": "p-4", "to_id": "p-9"}]
    ser.frame(tracks([0, 0, 1, 1, 4, 1, 0, 0]), T0 + 3)       # id 4 again: a new object track p-4-2
    msg = ser.frame(tracks([0, 0, 1, 1, 9, 1, 0, 0]), T0 + 4, renamed=[(4, 9)], ended_ids=[9])
    assert msg["track_events"] == [{"type": "Rename", "from_id": "p-4-2", "to_id": "p-9"},
                                   {"type": "TrackEnded", "object_track_id": "p-9"}]


@pytest.mark.parametrize("renamed, match", [([(7, 1)], "old id 7"), ([(1, 8)], "new id 8"),
                                            ([(1, 1)], "both 1"), ([(1,)], "pairs")])
def test_rename_rejects_unknown_ids_and_leaves_serializer_unchanged(renamed, match):
    ser = SceneMetadataSerializer((100, 100), id_prefix="p")
    ser.frame(tracks([0, 0, 1, 1, 1, 1, 0, 0]), T0)
    before = (ser.live_ids, ser.frames_written, ser.tracks_ended)
    with pytest.raises(ValueError, match=match):
        ser.frame(tracks([0, 0, 1, 1, 2, 1, 0, 0]), T0 + 1, renamed=renamed, ended_ids=[1])
    assert (ser.live_ids, ser.frames_written, ser.tracks_ended) == before


# ----------------------------------------------------------------------------- schemas
def validator(name):
    import jsonschema  # the test extra
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_frame_schema_accepts_serializer_output_and_rejects_broken_messages():
    v = validator("frame_v1")
    ser = SceneMetadataSerializer((640, 480), id_prefix="cam")
    ser.frame(tracks([0, 0, 10, 10, 3, 0.5, 0, 0]), T0)
    msgs = [ser.frame(tracks([64, 48, 128, 240, 7, 0.9, 0, 2], [1, 1, 5, 5, 8, np.nan, -1, -1]), T0 + 1,
                      ended_ids=[3], renamed=[(3, 7)]), ser.close()]
    for m in msgs:
        v.validate(json.loads(json.dumps(m)))
    good = msgs[0]
    bad = [
        {**good, "timestamp": "2024-05-01 12:00:00"},
        {**good, "channel_id": "1"},
        {k: good[k] for k in ("channel_id", "timestamp")},                       # no detections
        {**good, "detections": [{**good["detections"][0], "bounding_box": {"left": 1.2, "top": 0,
                                                                          "right": 1, "bottom": 1}}]},
        {**good, "track_events": [{"type": "Rename", "from_id": "a"}]},
        {**good, "track_events": [{"type": "Deleted", "object_track_id": "a"}]},
        {**good, "extra": 1},
    ]
    for m in bad:
        assert not v.is_valid(m), m


# ----------------------------------------------------------------------------- object tracks
def run_track(n, max_path, dt=0.1, step=(10.0, 0.0), size=(640, 480)):
    ser = SceneMetadataSerializer(size, id_prefix="p")
    b = ObjectTrackBuilder(size, max_path=max_path)
    for k in range(n):
        x, y = 100 + step[0] * k, 100 + step[1] * k
        out = b.update(ser.frame(tracks([x, y, x + 50, y + 80, 1, 0.8, 0, 0]), T0 + dt * k), T0 + dt * k)
        assert out == []
    (msg,) = b.update(ser.close(), T0 + dt * (n - 1))
    return msg, b


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), max_path=st.integers(2, 40))
def test_path_decimation_follows_documented_rule(n, max_path):
    msg, _ = run_track(n, max_path, step=(1.0, 0.5))
    want = [format_timestamp(T0 + 0.1 * k) for k in expected_path_indices(n, max_path)]
    assert [p["timestamp"] for p in msg["path"]] == want
    assert len(msg["path"]) <= max_path
    assert msg["start_time"] == want[0] and msg["end_time"] == want[-1]


def test_memory_per_live_track_is_bounded():
    ser = SceneMetadataSerializer((640, 480), id_prefix="p")
    b = ObjectTrackBuilder((640, 480), max_path=16)
    for k in range(20000):
        b.update(ser.frame(tracks([k % 500, 0, k % 500 + 10, 10, 1, 0.5, 0, 0]), T0 + 0.04 * k), T0 + 0.04 * k)
        assert len(b._live["p-1"].kept) < 16
    (msg,) = b.close()
    assert len(msg["path"]) <= 16 and msg["duration"] == pytest.approx(0.04 * 19999)


def test_speed_is_in_image_widths_per_second():
    # 10 px per 0.1 s to the right in a 640 px wide frame: 100 / 640 widths/s (boxes are rounded
    # to 1e-4, so a centre moves by a multiple of 5e-5 per step: up to 1e-4 / dt of error).
    msg, _ = run_track(20, 64, step=(10.0, 0.0))
    assert msg["minimum_speed"] == pytest.approx(100 / 640, abs=1e-4 / 0.1 * 1.01)
    assert msg["maximum_speed"] == pytest.approx(100 / 640, abs=1e-4 / 0.1 * 1.01)
    # Vertical motion is converted to widths too: 10 px down per 0.1 s is still 100 / 640.
    msg, _ = run_track(20, 64, step=(0.0, 10.0))
    assert msg["maximum_speed"] == pytest.approx(100 / 640, abs=1e-4 / 0.1 * 1.01)
    # A track seen once has no speed.
    msg, _ = run_track(1, 64)
    assert "minimum_speed" not in msg and "maximum_speed" not in msg and msg["duration"] == 0


def test_min_max_speed_and_classes_hand_worked():
    ser = SceneMetadataSerializer((100, 100), id_prefix="p", class_names=["person", "car"])
    b = ObjectTrackBuilder((100, 100))
    rows = [([0, 0, 10, 10, 5, 0.6, 0, 0], 0.0), ([10, 0, 20, 10, 5, 0.8, 0, 0], 1.0),   # 0.1 widths/s
            ([40, 0, 50, 10, 5, 0.9, 1, 0], 2.0), ([40, 40, 50, 50, 5, 0.7, 0, 0], 2.5)]  # 0.3, 0.8
    for row, dt in rows:
        assert b.update(ser.frame(tracks(row), T0 + dt), T0 + dt) == []
    (msg,) = b.update(ser.frame(tracks(), T0 + 3, ended_ids=[5]))  # timestamp parsed from the message
    assert msg["minimum_speed"] == pytest.approx(0.1) and msg["maximum_speed"] == pytest.approx(0.8)
    assert msg["classes"] == [{"type": "person", "score": 0.7}, {"type": "car", "score": 0.9}]
    assert msg["duration"] == 2.5 and msg["id"] == "p-5" and msg["channel_id"] == 1
    assert [p["bounding_box"]["left"] for p in msg["path"]] == [0.0, 0.1, 0.4, 0.4]
    validator("object_track_v1").validate(msg)


def test_object_tracks_match_tracker_output_on_real_detections():
    seq = shared_path("data", "MOT15", "train", "TUD-Campus")  # skips only without ../shared (CI has it)
    import mottrack
    det = np.loadtxt(seq / "det" / "det.txt", delimiter=",", ndmin=2)
    w, h = 640, 480
    tracker = mottrack.create_tracker("sort")
    ser = SceneMetadataSerializer((w, h), id_prefix="s")
    b = ObjectTrackBuilder((w, h), max_path=8)
    v = validator("object_track_v1")
    rows_by_id, built, live_before = {}, [], set()
    for f in range(1, int(det[:, 0].max()) + 1):
        t = T0 + (f - 1) / 25
        d = det[det[:, 0] == f]
        out = tracker.update(np.c_[d[:, 2:4], d[:, 2:4] + d[:, 4:6], d[:, 6]], timestamp=t)
        live = set(tracker.track_ids().tolist())
        ended, live_before = sorted(live_before - live), live
        for r in out:
            rows_by_id.setdefault(int(r[4]), []).append((t, r[:4].copy()))
        built += b.update(ser.frame(out, t, ended_ids=ended), t)
    built += b.update(ser.close())
    assert sorted(m["id"] for m in built) == sorted(f"s-{k}" for k in rows_by_id)
    for m in built:
        v.validate(m)
        obs = rows_by_id[int(m["id"].split("-")[1])]
        assert m["start_time"] == format_timestamp(obs[0][0]) and m["end_time"] == format_timestamp(obs[-1][0])
        assert m["duration"] == pytest.approx(obs[-1][0] - obs[0][0])
        idx = expected_path_indices(len(obs), 8)
        assert [p["timestamp"] for p in m["path"]] == [format_timestamp(obs[i][0]) for i in idx]
        for p, i in zip(m["path"], idx):
            x1, y1, x2, y2 = obs[i][1]
            bb = p["bounding_box"]
            assert bb["left"] == pytest.approx(min(max(x1 / w, 0), 1), abs=5e-5)
            assert bb["bottom"] == pytest.approx(min(max(y2 / h, 0), 1), abs=5e-5)


def test_builder_bad_input():
    with pytest.raises(ValueError, match="max_path"):
        ObjectTrackBuilder((10, 10), max_path=1)
    with pytest.raises(ValueError, match="frame_size"):
        ObjectTrackBuilder((0, 10))
    b = ObjectTrackBuilder((10, 10))
    with pytest.raises(ValueError, match="message"):
        b.update({"detections": []})
    with pytest.raises(ValueError, match="timestamp"):
        b.update({"timestamp": "yesterday", "detections": []})
    assert b.live_count == 0


def test_docs_examples_validate_against_the_schemas():
    doc = Path(__file__).resolve().parents[1] / "docs" / "metadata.md"
    blocks = [json.loads(b.split("```")[0]) for b in doc.read_text().split("```json\n")[1:]]
    kinds = ["frame_v1" if "detections" in b else "object_track_v1" for b in blocks]
    assert sorted(kinds) == ["frame_v1", "object_track_v1"]
    for b, kind in zip(blocks, kinds):
        validator(kind).validate(b)
    # The object-track example is what the builder makes of the documented walk.
    ser = SceneMetadataSerializer((1920, 1080), id_prefix="3f2a9c1e")
    builder = ObjectTrackBuilder((1920, 1080), max_path=4)
    for k in range(6):
        builder.update(ser.frame(tracks([400 + 30 * k, 300, 520 + 30 * k, 640, 7, 0.87 - 0.01 * k, 0, 0]),
                                 T0 + 0.04 * k), T0 + 0.04 * k)
    assert builder.close() == [blocks[kinds.index("object_track_v1")]]


def test_frame_timestamp_is_optional_and_defaults_to_the_system_clock():
    import time
    from mottrack.io.metadata import parse_timestamp
    ser = SceneMetadataSerializer((640, 480), id_prefix="cam", end_after_seconds=10.0)
    before = time.time()
    msg = ser.frame(np.array([[64., 48., 128., 240., 7, 0.9, 0, 2]]))
    after = time.time()
    assert before - 1e-6 <= parse_timestamp(msg["timestamp"]) <= after + 1e-6
    assert msg["detections"][0]["object_track_id"] == "cam-7"
    # the same clock drives end_after_seconds: an explicit later time ends the track
    assert ser.frame(None, after + 11.0)["track_events"] == [{"type": "TrackEnded", "object_track_id": "cam-7"}]
