"""Axis-style scene metadata from tracker output."""
import io
import json

import numpy as np
import pytest

from mottrack.io.coco import COCO90_NAMES
from mottrack.io.metadata import JsonLinesWriter, SceneMetadataSerializer, format_timestamp

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
