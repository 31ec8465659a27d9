"""The native ACAP application's replay build (deploy/acap-native/app): its JSON lines are valid
scene metadata frame v1 messages (mottrack/io/schemas/frame_v1.json) and carry exactly the tracks
the Python package computes for the same detections (ids, boxes to the 4 printed decimals,
TrackEnded when an id leaves the tracker).

The binary is built by ``make -C deploy/acap-native/app replay`` (CI does it before the tests);
without it these tests skip, except under MOTTRACK_REQUIRE_SHARED=1, where they fail.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import mottrack
from mottrack.io.metadata import load_schema

from conftest import shared_path
from reference import frames_of, load_csv

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "deploy" / "acap-native" / "app" / "build" / "native" / "mottrack_native"


@pytest.fixture(scope="module")
def app() -> Path:
    if not BIN.is_file():
        if os.environ.get("MOTTRACK_REQUIRE_SHARED") == "1":
            pytest.fail(f"MOTTRACK_REQUIRE_SHARED=1 and {BIN} is not built "
                        "(make -C deploy/acap-native/app replay)")
        # Justified: a C build step (`make -C deploy/acap-native/app replay`); CI runs it first.
        pytest.skip(f"the native ACAP replay is not built: {BIN}")
    return BIN


def run(app: Path, *args: str) -> list:
    out = subprocess.run([str(app), *args], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def validate(messages: list) -> None:
    import jsonschema  # the [test] extra: a missing one is an error, not a skip
    validator = jsonschema.Draft202012Validator(load_schema("frame_v1"))
    for m in messages:
        validator.validate(m)


@pytest.mark.parametrize("tracker,params", [("sort", {"max_age": 1}), ("bytetrack", {"track_thresh": 0.5}),
                                            ("ocsort", {"det_thresh": 0.5})])
def test_det_replay_equals_the_python_tracker(app, tracker, params):
    det_file = shared_path("data", "MOT17", "train", "MOT17-09-FRCNN", "det", "det.txt")
    w, h = 1920.0, 1080.0
    msgs = run(app, "--det", str(det_file), "--size", "1920", "1080", "--tracker", tracker,
               *[a for k, v in params.items() for a in ("--param", f"{k}={v}")])
    validate(msgs)
    det = load_csv(det_file)
    get = frames_of(det)
    n = int(det[:, 0].max())
    assert len(msgs) == n + 1  # one message per frame, then the closing one
    py = mottrack.create_tracker(tracker, **params)
    alive: set = set()
    for f in range(1, n + 1):
        out = py.update(get(f), timestamp=1767225600.0 + (f - 1) / 30.0)
        m = msgs[f - 1]
        assert [d["object_track_id"] for d in m["detections"]] == [f"mottrack-{int(i)}" for i in out[:, 4]]
        got = np.array([[d["bounding_box"][k] for k in ("left", "top", "right", "bottom")] for d in m["detections"]])
        want = np.clip(out[:, :4] / [w, h, w, h], 0, 1)
        np.testing.assert_allclose(got.reshape(-1, 4), want, rtol=0, atol=0.5e-4 + 1e-12)
        ids = set(py.track_ids().tolist())
        ended = sorted(f"mottrack-{i}" for i in alive - ids)
        assert sorted(e["object_track_id"] for e in m.get("track_events", [])) == ended
        alive = ids
    assert sorted(e["object_track_id"] for e in msgs[-1]["track_events"]) == sorted(f"mottrack-{i}" for i in alive)


def test_tensor_replay_decodes_the_real_larod_output(app):
    """The ARTPEC-8 YOLOv5n output on grace_hopper: a person and a tie, tracked over 5 frames."""
    tensor = shared_path("tensors", "yolov5n_artpec8_grace_hopper.npy")
    msgs = run(app, "--tensor", str(tensor), "--size", "640", "480", "--scale", "0.0041905134",
               "--zero-point", "0", "--frames", "5", "--tracker", "bytetrack",
               "--param", "track_thresh=0.2", "--score-threshold", "0.1")
    validate(msgs)
    classes = {d["class"]["type"] for m in msgs[:-1] for d in m["detections"]}
    assert {"person", "tie"} <= classes
    ids = {d["object_track_id"] for m in msgs[:-1] for d in m["detections"]}
    assert len(ids) >= 2 and msgs[-1]["detections"] == []
    assert {e["object_track_id"] for e in msgs[-1]["track_events"]} >= ids


@pytest.mark.parametrize("args,what", [([], "one of --det"), (["--det", "x.txt"], "--size"),
                                       (["--det", "/nonexistent", "--size", "10", "10"], "cannot open"),
                                       (["--det", "x", "--size", "1", "1", "--tracker", "nope"], "unknown tracker"),
                                       (["--bogus"], "unknown")])
def test_bad_arguments_exit_2_with_one_line(app, args, what):
    out = subprocess.run([str(app), *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and what in out.stderr and out.stdout == ""
