#!/usr/bin/env python3
"""Benchmark the per-frame cost that publishing scene metadata over MQTT adds to the app loop.

The tracker's outputs are computed once (SORT on a MOTChallenge sequence's public
detections), so every mode below times the same metadata work per frame:

* ``metadata``: ``SceneMetadataSerializer.frame`` + ``ObjectTrackBuilder.update`` (what
  the app does anyway, no network);
* ``+ MqttPublisher, broker up``: the same plus ``publish_frame`` / ``publish_object_track``
  to a real mosquitto on a loopback port (``mottrack.io.mqtt``: queue append; JSON and
  the network happen in the sender and paho threads);
* ``+ MqttPublisher, broker down``: the same while the broker is unreachable (frames
  queue and drop, object tracks wait);
* ``+ synchronous paho publish``: the naive alternative, ``json.dumps`` and
  ``client.publish`` called in the tracking loop itself.

For each mode: median and p99 wall time per frame of the loop body, of the publish
calls alone, process CPU time per frame (all threads: what the camera's CPU pays), and
the **delivery latency** of every frame: from the ``publish_frame`` call to its arrival
at a subscriber on the same broker (median, p99, max).  Runs free (as fast as possible)
and paced at the sequence's frame rate.  ``--baseline REV`` adds the publisher of an older
commit (``git show REV:mottrack/io/mqtt.py``) as one more mode of the same run.

Usage: ``taskset -c 1 python eval/bench_mqtt.py [--seq MOT17-04-FRCNN] [--frames 450] [--baseline REV]
[--out eval/results/bench_mqtt.md]``
"""
from __future__ import annotations

import argparse
import configparser
import importlib.util
import threading
import json
import logging
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mottrack  # noqa: E402
from mottrack.io.metadata import ObjectTrackBuilder, SceneMetadataSerializer  # noqa: E402
from mottrack.io.mqtt import MqttPublisher  # noqa: E402

EPOCH = 1714564800.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mosquitto:
    def __init__(self, directory: Path) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(exe):
            raise SystemExit("bench_mqtt: mosquitto is not installed (apt-get install mosquitto)")
        self.exe, self.port = exe, free_port()
        self.conf = directory / "mosquitto.conf"
        user = "user root\n" if os.geteuid() == 0 else ""
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n{user}")
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                    return
            except OSError:
                time.sleep(0.01)
        raise SystemExit("bench_mqtt: mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def tracker_outputs(seq_dir: Path, n_frames: int) -> Tuple[List[Tuple[float, np.ndarray, List[int]]], Tuple[int, int], float]:
    info = configparser.ConfigParser()
    info.read(seq_dir / "seqinfo.ini")
    s = info["Sequence"]
    fps, size = float(s["frameRate"]), (int(s["imWidth"]), int(s["imHeight"]))
    det = np.loadtxt(seq_dir / "det" / "det.txt", delimiter=",", ndmin=2)
    tracker = mottrack.create_tracker("sort", frame_rate=fps)
    out, live_before = [], set()
    for f in range(1, min(int(s["seqLength"]), n_frames) + 1):
        d = det[det[:, 0] == f]
        t = EPOCH + (f - 1) / fps
        rows = tracker.update(np.c_[d[:, 2:4], d[:, 2:4] + d[:, 4:6], d[:, 6]], timestamp=t)
        live = set(tracker.track_ids().tolist())
        out.append((t, rows.copy(), sorted(live_before - live)))
        live_before = live
    return out, size, fps


def baseline_publisher(rev: str) -> Any:
    """MqttPublisher of commit ``rev`` (its mottrack/io/mqtt.py loaded as a separate module)."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:mottrack/io/mqtt.py"], check=True,
                         capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "mqtt_baseline.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("mqtt_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.MqttPublisher


class Receiver:
    """A subscriber on the bench broker noting when each frame (by its timestamp string) arrives."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion
        self.arrived: Dict[str, float] = {}
        ready = threading.Event()
        self.client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("bench/+/frame", qos=0)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not ready.wait(10):
            raise SystemExit("bench_mqtt: the receiver could not subscribe")

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        t = time.perf_counter()
        stamp = json.loads(msg.payload)["timestamp"]
        self.arrived.setdefault(stamp, t)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run(frames, size, mode: str, port: int, pace: Optional[float], publishers: Dict[str, Any]) -> Dict[str, Any]:
    ser = SceneMetadataSerializer(size, id_prefix="bench")
    builder = ObjectTrackBuilder(size)
    pub = sync = None
    receiver = Receiver(port) if mode in ("up", "baseline", "sync") else None
    sent_at: Dict[str, float] = {}
    if mode in ("up", "down", "baseline"):
        pub = publishers[mode]("127.0.0.1", port, topic_prefix="bench", reconnect_min=0.5, reconnect_max=2)
        pub.start(wait=0 if mode == "down" else 10)
    elif mode == "sync":
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion
        sync = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2)
        sync.connect("127.0.0.1", port)
        sync.loop_start()
    loop, publish = np.empty(len(frames)), np.empty(len(frames))
    clock = time.perf_counter
    cpu0, wall0 = time.process_time(), clock()
    for i, (t, rows, ended) in enumerate(frames):
        if pace:
            delay = wall0 + i / pace - clock()
            if delay > 0:
                time.sleep(delay)
        t0 = clock()
        msg = ser.frame(rows, t, ended_ids=ended)
        done = builder.update(msg, t)
        t1 = clock()
        sent_at[msg["timestamp"]] = t1
        if pub is not None:
            pub.publish_frame(msg)
            for ot in done:
                pub.publish_object_track(ot)
        elif sync is not None:
            sync.publish("bench/1/frame", json.dumps(msg, separators=(",", ":")), qos=0)
            for ot in done:
                sync.publish("bench/1/object_track", json.dumps(ot, separators=(",", ":")), qos=1)
        t2 = clock()
        loop[i], publish[i] = t2 - t0, t2 - t1
    cpu = time.process_time() - cpu0
    stats = None
    if pub is not None:
        # Let the sender catch up (counted in CPU: the camera pays it too), then close.
        pub.flush(timeout=0.0 if mode == "down" else 10)
        cpu = time.process_time() - cpu0
        stats = pub.close(timeout=0.5 if mode == "down" else 10)
    if sync is not None:
        sync.disconnect()
        sync.loop_stop()
        cpu = time.process_time() - cpu0
    latency = None
    if receiver is not None:
        deadline = time.monotonic() + 5
        expected = stats["frames_sent"] if stats else len(frames)
        while len(receiver.arrived) < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        receiver.close()
        lat = np.array([receiver.arrived[k] - t for k, t in sent_at.items() if k in receiver.arrived]) * 1e3
        latency = (len(lat), round(float(np.median(lat)), 2), round(float(np.percentile(lat, 99)), 2),
                   round(float(lat.max()), 2)) if lat.size else (0, None, None, None)
    us = lambda a: (round(float(np.median(a[1:]) * 1e6), 1), round(float(np.percentile(a[1:], 99) * 1e6), 1))  # noqa: E731
    return {"loop": us(loop), "publish": us(publish), "cpu_us": round(cpu / len(frames) * 1e6, 1), "stats": stats,
            "latency": latency}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--seq", default="MOT17-04-FRCNN")
    ap.add_argument("--frames", type=int, default=450)
    ap.add_argument("--rounds", type=int, default=3, help="free-running repetitions per mode (best kept)")
    ap.add_argument("--baseline", default=None, metavar="REV",
                    help="also run the MqttPublisher of this git commit (e.g. main)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    publishers: Dict[str, Any] = {"up": MqttPublisher, "down": MqttPublisher}
    if args.baseline:
        publishers["baseline"] = baseline_publisher(args.baseline)
    seq_dir = next(p for p in (args.shared / "data" / "MOT17" / "train" / args.seq,
                               args.shared / "data" / "MOT15" / "train" / args.seq) if p.exists())
    logging.getLogger("mottrack.mqtt").setLevel(logging.CRITICAL)  # "broker down" logs undelivered tracks
    frames, size, fps = tracker_outputs(seq_dir, args.frames)
    n_rows = sum(r.shape[0] for _, r, _ in frames)
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp))
        broker.start()
        modes = [("metadata only", "none"), ("+ MqttPublisher, broker up", "up"),
                 ("+ MqttPublisher, broker down", "down"), ("+ synchronous paho publish", "sync")]
        if args.baseline:
            modes.insert(2, (f"+ MqttPublisher @ {args.baseline}, broker up", "baseline"))
        results: Dict[Tuple[str, str], Dict[str, Any]] = {}
        try:
            for pace_name, pace in (("free", None), (f"paced {fps:g} fps", fps)):
                rounds = args.rounds if pace is None else 1
                for _ in range(rounds):  # interleaved so drift hits every mode alike
                    for label, mode in modes:
                        if mode == "down":
                            broker.stop()
                        r = run(frames, size, mode, broker.port, pace, publishers)
                        if mode == "down":
                            broker.start()
                        key = (pace_name, label)
                        if key not in results or r["loop"][0] < results[key]["loop"][0]:
                            results[key] = r
        finally:
            broker.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    lines = ["# bench_mqtt: added per-frame cost of publishing scene metadata over MQTT", "",
             f"`taskset -c 1 python eval/bench_mqtt.py --seq {args.seq} --frames {args.frames}"
             + (f" --baseline {args.baseline}`" if args.baseline else "`"), "",
             f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}, numpy {np.__version__}; mosquitto on 127.0.0.1.",
             f"Data: SORT on {args.seq} public detections, {len(frames)} frames, "
             f"{n_rows / len(frames):.1f} tracks output per frame, {size[0]}x{size[1]}.", "",
             "| run | mode | loop median µs | loop p99 µs | publish calls median µs | publish p99 µs "
             "| CPU µs/frame (all threads) | frames sent / dropped | object tracks acked / unsent "
             "| frames received | latency median ms | latency p99 ms | latency max ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (pace_name, label), r in results.items():
        st = r["stats"]
        fs = f"{st['frames_sent']} / {st['frames_dropped']}" if st else "-"
        ot = f"{st['object_tracks_acked']} / {st['object_tracks_unsent']}" if st else "-"
        lat = r["latency"] or ("-", "-", "-", "-")
        lines.append(f"| {pace_name} | {label} | {r['loop'][0]} | {r['loop'][1]} | {r['publish'][0]} | "
                     f"{r['publish'][1]} | {r['cpu_us']} | {fs} | {ot} | {lat[0]} | {lat[1]} | {lat[2]} | {lat[3]} |")
    paced = f"paced {fps:g} fps"
    base, up = results[(paced, "metadata only")], results[(paced, "+ MqttPublisher, broker up")]
    sync = results[(paced, "+ synchronous paho publish")]
    lines += ["", f"**Delivery** (paced at {fps:g} fps, broker up): {up['latency'][0]} of {len(frames)} frames "
              f"received, latency from `publish_frame` to the subscriber median {up['latency'][1]} ms, "
              f"p99 {up['latency'][2]} ms, max {up['latency'][3]} ms"
              + (f" (publisher @ {args.baseline}: {results[(paced, modes[2][0])]['latency'][0]} received, median "
                 f"{results[(paced, modes[2][0])]['latency'][1]} ms, p99 {results[(paced, modes[2][0])]['latency'][2]} ms)"
                 if args.baseline else "") + ".",
              "", f"**Added per-frame cost** (paced at {fps:g} fps, broker up): "
              f"the publish calls take {up['publish'][0]} µs median, {up['publish'][1]} µs p99 of the tracking "
              f"thread (synchronous paho: {sync['publish'][0]} / {sync['publish'][1]} µs); CPU of all threads "
              f"{base['cpu_us']} -> {up['cpu_us']} µs per frame (+{up['cpu_us'] - base['cpu_us']:.0f} µs: "
              f"JSON, paho and the sender's wake-ups; synchronous: +{sync['cpu_us'] - base['cpu_us']:.0f} µs).",
              f"Peak RSS of the benchmark process: {rss_mb:.0f} MB.", "",
              "Notes",
              "- `loop` = serializer + object-track builder (+ publish calls); the tracker itself is not timed.",
              "- `publish calls` is what the tracking thread spends in `publish_frame`/`publish_object_track`:",
              "  the JSON encoding of the message (done at the call, so a reused dict is published as it was),",
              "  a deque append and waking the sender. The socket is in the sender/paho threads (CPU column).",
              "- Latency: `publish_frame` call to arrival at a subscriber in the same process on the same broker",
              "  (perf_counter both ends). The sender is woken by each frame and by paho having written the",
              "  previous one; `poll_interval` is only a backstop. Waking it costs the tracking thread a",
              "  context switch per frame (and, with the JSON encoding now in the call, the publish p99 on a",
              "  shared single core rises): the price of every frame going out, at once. The publisher of an",
              "  older commit (--baseline) polled every 50 ms: cheap for the caller, late and lossy.",
              "- Free runs: the sender competes for the GIL with a loop that never sleeps, so the frame",
              "  queue (100) overflows and CPU per frame is not comparable across modes; read the paced rows.",
              "- Broker down: frames beyond the queue are dropped (counted), object tracks wait and are",
              "  reported unsent when the publisher closes; the loop cost stays that of the encoding and a queue append.",
              "- This host was shared with other jobs (2 cores): absolute times and p99s are noisy; the modes",
              "  of one run are interleaved, so their ratios are the result."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
