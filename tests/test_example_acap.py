"""The ACAP app example runs end to end on replayed detector tensors."""
import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import require_or_skip  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "acap_app.py"
needs_mot = require_or_skip(not (SHARED / "data" / "MOT15" / "train" / "TUD-Campus").exists(),
                            "../shared/data absent")
needs_yolo = require_or_skip(not (SHARED / "tensors" / "yolov5n_artpec8_grace_hopper.npy").exists(),
                             "../shared/tensors absent")


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


# ----------------------------------------------------------------------------- object tracks and MQTT
from mqtt_broker import Broker, Subscriber, free_port, needs_mosquitto, running_broker, wait_until  # noqa: E402
from support import expected_path_indices  # noqa: E402

from mottrack.io.metadata import load_schema  # noqa: E402


@pytest.fixture
def broker(tmp_path):
    yield from running_broker(tmp_path)


def validators():
    import jsonschema  # the test extra
    return (jsonschema.Draft202012Validator(load_schema("frame_v1")),
            jsonschema.Draft202012Validator(load_schema("object_track_v1")))


def check_object_tracks(frames, object_tracks, max_path):
    """Every object track is the consolidation of its frames: ids, start/end, decimated path."""
    obs = {}
    for msg in frames:
        for d in msg["detections"]:
            obs.setdefault(d["object_track_id"], []).append((msg["timestamp"], d["bounding_box"]))
    assert sorted(t["id"] for t in object_tracks) == sorted(obs)
    for t in object_tracks:
        seen = obs[t["id"]]
        assert t["start_time"] == seen[0][0] and t["end_time"] == seen[-1][0]
        want = [{"timestamp": seen[i][0], "bounding_box": seen[i][1]}
                for i in expected_path_indices(len(seen), max_path)]
        assert t["path"] == want
        assert [c["type"] for c in t["classes"]] == ["person"]


def run_app(args, **kw):
    return subprocess.Popen([sys.executable, str(EXAMPLE), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def summary_of(stdout):
    (line,) = [x for x in stdout.splitlines() if x.startswith("SUMMARY ")]
    return json.loads(line[len("SUMMARY "):])


@needs_mot
def test_object_tracks_file_validates_and_consolidates_frames(app, tmp_path):
    v_frame, v_track = validators()
    s = app.main(["--seq", "TUD-Campus", "--quiet", "--max-path", "4", "--output", str(tmp_path / "f.jsonl"),
                  "--object-tracks", str(tmp_path / "o.jsonl")])
    frames, tracks = read_jsonl(tmp_path / "f.jsonl"), read_jsonl(tmp_path / "o.jsonl")
    for m in frames:
        v_frame.validate(m)
    for t in tracks:
        v_track.validate(t)
    assert len(tracks) == s["object_tracks"] == s["tracks"]
    assert any(len(t["path"]) == 4 for t in tracks)  # decimation exercised
    check_object_tracks(frames, tracks, 4)


@needs_mot
@needs_mosquitto
def test_mqtt_every_message_arrives_and_validates(broker, tmp_path):
    v_frame, v_track = validators()
    sub = Subscriber(broker.port, "T/#")
    try:
        proc = run_app(["--seq", "TUD-Campus", "--max-path", "5", "--id-prefix", "cam",
                        "--mqtt-host", "127.0.0.1", "--mqtt-port", str(broker.port), "--mqtt-topic-prefix", "T",
                        "--mqtt-object-track-topic", "{prefix}/tracks/{channel}/object_track",
                        "--output", str(tmp_path / "f.jsonl"), "--object-tracks", str(tmp_path / "o.jsonl")],
                       cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        s = summary_of(out)
        assert wait_until(lambda: len(sub.on("/frame")) >= s["metadata_lines"]
                          and len(sub.on("/object_track")) >= s["object_tracks"], 20)
    finally:
        sub.close()
    frames, tracks = sub.payloads("/frame"), sub.payloads("/object_track")
    assert {m.topic for m in sub.on("/frame")} == {"T/1/frame"}
    assert {m.topic for m in sub.on("/object_track")} == {"T/tracks/1/object_track"}
    # Exactly what the app wrote to its files, in order, and nothing else.
    assert frames == read_jsonl(tmp_path / "f.jsonl")
    assert tracks == read_jsonl(tmp_path / "o.jsonl")
    for m in frames:
        v_frame.validate(m)
    for t in tracks:
        v_track.validate(t)
    check_object_tracks(frames, tracks, 5)
    assert s["mqtt"]["frames_dropped"] == 0 and s["mqtt"]["object_tracks_unsent"] == 0
    assert s["mqtt"]["object_tracks_acked"] == s["object_tracks"] == s["tracks"] > 5
    assert "publish" in s["timing"]
    assert [json.loads(m.payload)["status"] for m in sub.on("T/status")] == ["online", "offline"]


@needs_mot
@needs_mosquitto
def test_mqtt_broker_restart_mid_run(app, tmp_path):
    v_frame, v_track = validators()
    common = ["--seq", "ADL-Rundle-6", "--fps", "30", "--drop-rate", "0", "--id-prefix", "cam", "--max-path", "6"]
    # The same run without MQTT: what tracking must produce whatever the broker does.
    app.main(common + ["--quiet", "--output", str(tmp_path / "ref.jsonl"), "--object-tracks", str(tmp_path / "ref_o.jsonl")])
    b = Broker(tmp_path / "b", persistence=True).start()  # keeps the recorder's session over the restart
    sub = Subscriber(b.port, "T/#", client_id="recorder", persistent=True)
    fpath, opath = tmp_path / "f.jsonl", tmp_path / "o.jsonl"
    count = lambda p: len(p.read_text().splitlines()) if p.exists() else 0  # noqa: E731
    try:
        proc = run_app(common + ["--realtime", "3", "--mqtt-host", "127.0.0.1", "--mqtt-port", str(b.port),
                                 "--mqtt-topic-prefix", "T", "--mqtt-queue", "5", "--mqtt-reconnect-max", "1",
                                 "--mqtt-flush-timeout", "60", "--output", str(fpath), "--object-tracks", str(opath)],
                       cwd=tmp_path)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        assert wait_until(lambda: len(sub.on("/frame")) >= 30, 60), "no frames before the outage"
        b.stop()
        assert wait_until(lambda: any("lost" in x for x in lines), 30), lines
        f0, o0 = count(fpath), count(opath)
        # Stay away until frames overflowed the queue and object tracks ended meanwhile.
        wait_until(lambda: proc.poll() is not None or (count(fpath) - f0 > 20 and count(opath) - o0 >= 2), 60)
        b.start()
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        reader.join(10)
        s = summary_of("".join(lines))
        assert wait_until(lambda: len({t["id"] for t in sub.payloads("/object_track")}) >= s["object_tracks"], 30)
    finally:
        sub.close()
        b.stop()
    m = s["mqtt"]
    # Tracking went on undisturbed.
    assert fpath.read_text() == (tmp_path / "ref.jsonl").read_text()
    assert opath.read_text() == (tmp_path / "ref_o.jsonl").read_text()
    # It noticed, said so, reconnected.
    assert m["disconnects"] >= 1 and m["reconnects"] >= 1
    assert any("reconnected" in x for x in lines)
    # Every object track delivered, including those ended while away; only frames dropped, counted.
    assert m["object_tracks_queued_offline"] >= 1
    assert m["object_tracks_unsent"] == 0 and m["object_tracks_dropped"] == 0
    assert m["frames_dropped"] > 0 and m["frames_sent"] + m["frames_dropped"] == m["frames_queued"]
    written = {t["id"]: t for t in read_jsonl(opath)}
    got = sub.payloads("/object_track")
    assert {t["id"] for t in got} == set(written)
    for t in got:
        v_track.validate(t)
        assert t == written[t["id"]]
    frames = sub.payloads("/frame")
    written_frames = read_jsonl(fpath)
    assert len(frames) <= m["frames_sent"] < len(written_frames)
    for f in frames:
        v_frame.validate(f)
        assert f in written_frames


@needs_mot
def test_mqtt_broker_never_up_is_one_error_line(tmp_path):
    port = free_port()
    proc = run_app(["--seq", "TUD-Campus", "--mqtt-host", "127.0.0.1", "--mqtt-port", str(port),
                    "--mqtt-connect-timeout", "1", "--output", ""], cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [f"error: mqtt: cannot connect to 127.0.0.1:{port} within 1 s: Connection refused"]
    assert "Traceback" not in out + err and "SUMMARY" not in out


FAKE_RUNTIME = '''
"""Stand-ins for the ACAP runtime's tf_proto_utils and OpenCV: replays SSD outputs."""
import json, os
import numpy as np

CALLS = []
SSD_NAMES = ("TFLite_Detection_PostProcess", "TFLite_Detection_PostProcess:1",
             "TFLite_Detection_PostProcess:2", "TFLite_Detection_PostProcess:3")


class InferenceClient:
    def __init__(self, *address):
        CALLS.append(("init",) + address)
        self.k = 0

    def infer(self, inputs, model_path):
        (name, image), = inputs.items()
        CALLS.append(("infer", name, image.shape, str(image.dtype), model_path))
        self.k += 1
        if self.k == 3:
            return False, {}  # a failed inference: the app skips the frame
        x = 0.1 + 0.01 * self.k
        boxes = np.array([[[0.2, x, 0.8, x + 0.2], [0.1, 0.6, 0.4, 0.7]] + [[0, 0, 0, 0]] * 18], np.float32)
        classes = np.zeros((1, 20), np.float32)
        scores = np.array([[0.9, 0.8] + [0.0] * 18], np.float32)
        return True, dict(zip(SSD_NAMES, (boxes, classes, scores, np.array([2], np.float32))))
'''

FAKE_CV2 = '''
import numpy as np
CAP_PROP_FPS, CAP_PROP_FRAME_WIDTH, CAP_PROP_FRAME_HEIGHT, CAP_PROP_FOURCC = 5, 3, 4, 6
SETTINGS = {}


def VideoWriter_fourcc(*chars):
    return sum(ord(c) << 8 * i for i, c in enumerate(chars))


class VideoCapture:
    def __init__(self, device):
        SETTINGS["device"] = device

    def set(self, prop, value):
        SETTINGS[prop] = value
        return True

    def read(self):
        return True, np.zeros((int(SETTINGS[CAP_PROP_FRAME_HEIGHT]), int(SETTINGS[CAP_PROP_FRAME_WIDTH]), 3), np.uint8)
'''


def test_camera_source_calls_the_inference_client_like_axis_example(app, tmp_path, monkeypatch, request):
    (tmp_path / "tf_proto_utils.py").write_text(FAKE_RUNTIME)
    (tmp_path / "cv2.py").write_text(FAKE_CV2)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("INFERENCE_HOST", "unix:///tmp/acap-runtime.sock")
    monkeypatch.delenv("INFERENCE_PORT", raising=False)
    monkeypatch.setenv("MODEL_PATH", "/models/ssd.tflite")
    for mod in ("tf_proto_utils", "cv2"):
        monkeypatch.delitem(sys.modules, mod, raising=False)  # a real one is restored afterwards
        request.addfinalizer(lambda mod=mod: sys.modules.pop(mod, None))
    s = app.main(["--source", "camera", "--camera-frames", "12", "--camera-size", "320x240", "--fps", "10",
                  "--quiet", "--output", str(tmp_path / "c.jsonl"), "--object-tracks", str(tmp_path / "co.jsonl")])
    import cv2
    import tf_proto_utils
    assert tf_proto_utils.CALLS[0] == ("init", "unix:///tmp/acap-runtime.sock")
    infers = tf_proto_utils.CALLS[1:]
    assert len(infers) == 12 and set(infers) == {("infer", "data", (1, 240, 320, 3), "uint8", "/models/ssd.tflite")}
    assert cv2.SETTINGS[cv2.CAP_PROP_FRAME_WIDTH] == 320 and cv2.SETTINGS[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter_fourcc(*"RGB3")
    assert s["frames"] == 11  # the failed inference is skipped
    msgs = read_jsonl(tmp_path / "c.jsonl")
    check_metadata_contract(msgs)
    assert s["tracks"] == 2 and s["object_tracks"] == 2
    v_frame, v_track = validators()
    for t in read_jsonl(tmp_path / "co.jsonl"):
        v_track.validate(t)


def test_camera_source_without_runtime_is_a_clear_error(app, capsys):
    if app.camera_available():
        # Justified: this checks the error without the ACAP runtime; on a machine that has it
        # the camera path runs instead (the stand-in runtime test covers it everywhere).
        pytest.skip("tf_proto_utils is importable here")
    with pytest.raises(SystemExit):
        app.parse_args(["--source", "camera"])
    assert "tf_proto_utils" in capsys.readouterr().err


@needs_mot
@needs_mosquitto
def test_mqtt_stalled_broker_never_stalls_tracking(app, broker, tmp_path):
    """A broker that stops answering (SIGSTOP) but keeps the connection open: the app still
    tracks every frame, closes after its flush timeout and reports the object tracks the broker
    never acknowledged."""
    import signal
    common = ["--seq", "ADL-Rundle-6", "--fps", "30", "--drop-rate", "0", "--id-prefix", "cam"]
    app.main(common + ["--quiet", "--output", str(tmp_path / "ref.jsonl")])
    sub = Subscriber(broker.port, "T/#")
    try:
        proc = run_app(common + ["--realtime", "4", "--mqtt-host", "127.0.0.1", "--mqtt-port", str(broker.port),
                                 "--mqtt-topic-prefix", "T", "--mqtt-flush-timeout", "2",
                                 "--output", str(tmp_path / "f.jsonl")], cwd=tmp_path)
        assert wait_until(lambda: len(sub.on("/frame")) >= 30, 60)
        broker.proc.send_signal(signal.SIGSTOP)
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            broker.proc.send_signal(signal.SIGCONT)
    finally:
        sub.close()
    assert proc.returncode == 0, err
    assert (tmp_path / "f.jsonl").read_text() == (tmp_path / "ref.jsonl").read_text()
    m = summary_of(out)["mqtt"]
    assert m["object_tracks_queued"] == summary_of(out)["object_tracks"] > 0
    assert m["object_tracks_acked"] < m["object_tracks_queued"]
    assert m["object_tracks_acked"] + m["object_tracks_unsent"] + m["object_tracks_dropped"] == m["object_tracks_queued"]
    assert f"{m['object_tracks_unsent']} object tracks not delivered" in out


def test_cli_rejects_bad_mqtt_arguments(app, capsys):
    for bad in (["--mqtt-port", "0"], ["--max-path", "1"], ["--realtime", "-1"], ["--camera-size", "300"]):
        with pytest.raises(SystemExit):
            app.parse_args(bad)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        app.start_publisher(app.parse_args(["--mqtt-host", "127.0.0.1", "--mqtt-queue", "0"]), sys.stdout)
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == "error: mqtt: frame_queue: expected an int >= 1; got 0"
