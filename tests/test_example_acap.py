"""The ACAP app example runs end to end on replayed detector tensors."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "acap_app.py"
needs_mot = pytest.mark.skipif(not (SHARED / "data" / "MOT15" / "train" / "TUD-Campus").exists(),
                               reason="../shared/data absent")
needs_yolo = pytest.mark.skipif(not (SHARED / "tensors" / "yolov5n_artpec8_grace_hopper.npy").exists(),
                                reason="../shared/tensors absent")


@pytest.fixture(scope="module")
def app():
    spec = importlib.util.spec_from_file_location("acap_app", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["acap_app"] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("acap_app", None)


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def check_metadata_contract(messages):
    """Timestamps increase; an ended id is never reported again; every id ends exactly once."""
    seen, ended = set(), []
    last = ""
    for msg in messages[:-1]:
        assert msg["timestamp"] > last  # ISO strings of one format sort like times
        last = msg["timestamp"]
        for d in msg["detections"]:
            assert isinstance(d["object_track_id"], str)
            assert d["object_track_id"] not in ended
            box = d["bounding_box"]
            assert 0 <= box["left"] <= box["right"] <= 1 and 0 <= box["top"] <= box["bottom"] <= 1
            seen.add(d["object_track_id"])
        for e in msg.get("track_events", []):
            assert e["type"] == "TrackEnded" and e["object_track_id"] in seen
            ended.append(e["object_track_id"])
    assert messages[-1]["detections"] == []  # the closing message
    ended += [e["object_track_id"] for e in messages[-1].get("track_events", [])]
    assert sorted(ended) == sorted(seen) and len(set(ended)) == len(ended)
    return seen


@needs_mot
def test_mot_replay_grpc_and_larod_agree(app, tmp_path, capsys):
    common = ["--seq", "TUD-Campus", "--fps", "25,10,15", "--segment-seconds", "0.8",
              "--drop-rate", "0.1", "--seed", "3", "--quiet"]
    s1 = app.main(common + ["--transport", "grpc", "--output", str(tmp_path / "a.jsonl")])
    s2 = app.main(common + ["--transport", "larod", "--output", str(tmp_path / "b.jsonl")])
    out = capsys.readouterr().out
    assert out.count("SUMMARY ") == 2
    assert s1["frames"] > 20 and s1["dropped_frames"] > 0 and s1["rate_changes"] >= 2
    assert s1["interval_ms"]["min"] == pytest.approx(40.0) and s1["interval_ms"]["max"] >= 100.0
    assert s1["detections"] > 3 * s1["frames"] and s1["tracks"] >= 5
    assert s1["metadata_lines"] == s1["frames"] + 1
    a, b = read_jsonl(tmp_path / "a.jsonl"), read_jsonl(tmp_path / "b.jsonl")
    ids = check_metadata_contract(a)
    assert len(ids) == s1["tracks"] == s1["tracks_ended"]
    # Same tensors through either transport: identical metadata up to the random id prefix.
    strip = lambda msgs: json.dumps(msgs).replace(msgs[0]["detections"][0]["object_track_id"].split("-")[0], "P")
    assert strip(a) == strip(b)
    for k in ("frames", "detections", "track_outputs", "tracks", "tracks_ended"):
        assert s1[k] == s2[k]


@needs_mot
def test_tracks_ended_mid_stream(app, tmp_path):
    s = app.main(["--seq", "TUD-Campus", "--fps", "25", "--drop-rate", "0", "--quiet",
                  "--output", str(tmp_path / "m.jsonl")])
    msgs = read_jsonl(tmp_path / "m.jsonl")
    mid = sum(len(m.get("track_events", [])) for m in msgs[:-1])
    assert mid > 0  # deletions reported while running, not only at close
    assert s["dropped_frames"] == 0 and s["rate_changes"] == 0
    assert s["interval_ms"]["max"] == pytest.approx(40.0)


@needs_yolo
@pytest.mark.parametrize("chip", ["8", "9"])
def test_yolo_replay_tracks_grace_hopper(app, tmp_path, chip):
    s = app.main(["--source", "yolo", "--chip", chip, "--yolo-frames", "30", "--transport", "larod",
                  "--quiet", "--output", str(tmp_path / "y.jsonl")])
    msgs = read_jsonl(tmp_path / "y.jsonl")
    check_metadata_contract(msgs)
    assert s["tracks"] == 2  # the person and the tie, each one stable track
    persons = [d for m in msgs[3:-1] for d in m["detections"] if d["class"]["type"] == "person"]
    assert len(persons) == len(msgs) - 4  # one person every frame once confirmed
    assert len({d["object_track_id"] for d in persons}) == 1
    cx = np.array([(d["bounding_box"]["left"] + d["bounding_box"]["right"]) / 2 for d in persons])
    assert np.all(np.abs(cx - 0.52) < 0.06)


@needs_mot
def test_cli_subprocess_prints_summary(tmp_path):
    out = tmp_path / "cli.jsonl"
    res = subprocess.run([sys.executable, str(EXAMPLE), "--seq", "TUD-Campus", "--output", str(out)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    summary_line = [line for line in res.stdout.splitlines() if line.startswith("SUMMARY ")]
    assert len(summary_line) == 1
    summary = json.loads(summary_line[0][len("SUMMARY "):])
    assert summary["frames"] > 0 and len(out.read_text().splitlines()) == summary["metadata_lines"]
    assert "frames (" in res.stdout and "convert" in res.stdout


def test_cli_rejects_bad_arguments(app):
    with pytest.raises(SystemExit):
        app.parse_args(["--drop-rate", "1.5"])
    with pytest.raises(SystemExit):
        app.parse_args(["--fps", "fast"])
