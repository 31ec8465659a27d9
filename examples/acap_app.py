#!/usr/bin/env python3
"""The app loop of an ACAP application: DLPU detector tensors in, Axis-style track metadata out.

On a camera the loop is::

    outputs = client.infer(frame)              # gRPC (ACAP runtime): dict of arrays
                                               # or Larod: output buffers (bytes/memoryview)
    dets    = ssd_to_detections(outputs, ...)  # or yolov5_to_detections(...)
    tracks  = tracker.update(dets, timestamp=frame_time)
    msg     = serializer.frame(tracks, frame_time, ended_ids=deleted)
    writer.write(msg)                          # JSON Lines (file or stdout)
    mqtt.publish_frame(msg)                    # optional: MQTT, never blocks
    for track in object_tracks.update(msg, frame_time):
        mqtt.publish_object_track(track)       # one consolidated message per ended track

The frame time drives the tracker (the camera may change its frame rate at run
time and frames may be dropped), so motion prediction and track ageing follow
real time, not frame counts.

Without a camera the detector is replaced by a *replay source* that yields
``(timestamp, outputs)`` exactly as the inference client would:

``--source mot``   boxes of a MOTChallenge sequence (``det/det.txt`` under
                   ``--shared``) encoded as SSD MobileNet v2 postprocess tensors
                   (top 20 per frame, person class, count), sampled in real time at
                   a frame rate that changes every ``--segment-seconds`` (``--fps``).
``--source yolo``  the real ARTPEC-8/9 YOLOv5 output tensors of ``shared/tensors``,
                   shifted a little every frame so the person moves; quantisation
                   is read once from the matching ``.tflite`` model.

``--source camera`` (on the camera, inside the ACAP runtime's Python image, where
``tf_proto_utils`` is importable) captures frames with OpenCV and runs the SSD model
through ``InferenceClient.infer({'data': image}, MODEL_PATH)`` as Axis's
object-detector-python example does; ``INFERENCE_HOST`` (and ``INFERENCE_PORT`` for
older runtimes) and ``MODEL_PATH`` come from the environment, as there.

``--transport grpc`` hands the converter a dict keyed by TF-Serving output names;
``--transport larod`` hands it raw output buffers.  ``--drop-rate`` drops random
frames; ``--realtime S`` paces the replay at S x real time.  Frame metadata goes to
``--output`` as JSON Lines (``-`` = stdout), consolidated object tracks to
``--object-tracks``; with ``--mqtt-host`` both are also published over MQTT
(``<prefix>/<channel>/frame`` QoS 0, ``<prefix>/<channel>/object_track`` QoS 1).  A
summary is printed at the end; its last line is ``SUMMARY <json>``.  A broker that
cannot be reached at start gives one ``error:`` line and exit status 2.

Run ``python examples/acap_app.py --help`` for all options.
"""
from __future__ import annotations

import argparse
import configparser
import importlib.util
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

try:
    import mottrack
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import mottrack
from mottrack.io.coco import COCO80_NAMES, COCO90_NAMES
from mottrack.io.larod import SSD_OUTPUT_NAMES, ssd_to_detections, yolov5_to_detections
from mottrack.io.metadata import JsonLinesWriter, ObjectTrackBuilder, SceneMetadataSerializer
from mottrack.io.tflite import output_quantization

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EPOCH = 1714564800.0  # replay wall clock starts at 2024-05-01T12:00:00Z
SSD_ROWS = 20


# ----------------------------------------------------------------------------- replay sources
@dataclass
class Frame:
    index: int            # camera frame number (dropped frames included)
    timestamp: float      # capture time, POSIX seconds
    outputs: Any          # what the inference client returns for this frame


class FrameClock:
    """Capture times of a camera whose frame rate changes every ``segment_seconds``."""

    def __init__(self, fps: Sequence[float], segment_seconds: float, drop_rate: float, seed: int) -> None:
        if not fps or any(f <= 0 for f in fps):
            raise ValueError(f"--fps: expected positive frame rates; got {fps!r}")
        self.fps = list(fps)
        self.segment_seconds = segment_seconds
        self.drop_rate = drop_rate
        self.rng = np.random.default_rng(seed)
        self.dropped = 0
        self.rate_changes = 0

    def times(self) -> Iterator[Tuple[int, float]]:
        """Yield (camera frame index, seconds since start) of the frames that are not dropped."""
        t, k = 0.0, 0
        fps = self.fps[0]
        while True:
            seg = int(t // self.segment_seconds) if self.segment_seconds > 0 else 0
            if self.fps[seg % len(self.fps)] != fps:
                fps = self.fps[seg % len(self.fps)]
                self.rate_changes += 1
            if k > 0 and self.rng.random() < self.drop_rate:
                self.dropped += 1
            else:
                yield k, t
            k += 1
            t += 1.0 / fps


def encode_ssd(boxes_xywh: np.ndarray, scores: np.ndarray, frame_size: Tuple[int, int],
               class_id: int = 0) -> List[np.ndarray]:
    """Pixel x, y, w, h boxes -> the four SSD postprocess tensors (Larod order), top 20 by score."""
    w, h = frame_size
    order = np.argsort(-scores, kind="stable")[:SSD_ROWS]
    n = order.shape[0]
    boxes = np.zeros((1, SSD_ROWS, 4), np.float32)
    classes = np.zeros((1, SSD_ROWS), np.float32)
    out_scores = np.zeros((1, SSD_ROWS), np.float32)
    b = boxes_xywh[order]
    boxes[0, :n, 0] = b[:, 1] / h
    boxes[0, :n, 1] = b[:, 0] / w
    boxes[0, :n, 2] = (b[:, 1] + b[:, 3]) / h
    boxes[0, :n, 3] = (b[:, 0] + b[:, 2]) / w
    classes[0, :n] = class_id
    out_scores[0, :n] = scores[order]
    return [boxes, classes, out_scores, np.array([n], np.float32)]


def as_transport(tensors: List[np.ndarray], names: Sequence[str], transport: str) -> Any:
    if transport == "grpc":
        return dict(zip(names, tensors))
    return [memoryview(t.tobytes()) for t in tensors]  # Larod: mapped output buffers


class MotSsdReplay:
    """A MOTChallenge sequence's detections replayed as SSD tensors on a variable-rate camera."""

    def __init__(self, seq_dir: Path, clock: FrameClock, transport: str) -> None:
        info = configparser.ConfigParser()
        if not info.read(seq_dir / "seqinfo.ini"):
            raise FileNotFoundError(f"{seq_dir / 'seqinfo.ini'} not found")
        seq = info["Sequence"]
        self.native_fps = float(seq["frameRate"])
        self.length = int(seq["seqLength"])
        self.frame_size = (int(seq["imWidth"]), int(seq["imHeight"]))
        det = np.loadtxt(seq_dir / "det" / "det.txt", delimiter=",", ndmin=2)
        frames = det[:, 0].astype(np.int64)
        order = np.argsort(frames, kind="stable")
        det, frames = det[order], frames[order]
        bounds = np.searchsorted(frames, np.arange(1, self.length + 2))
        self.per_frame = [det[bounds[i]:bounds[i + 1]] for i in range(self.length)]
        self.clock = clock
        self.transport = transport
        self.class_names = COCO90_NAMES

    def __iter__(self) -> Iterator[Frame]:
        for k, t in self.clock.times():
            src = int(round(t * self.native_fps))  # 0-based source frame shown at time t
            if src >= self.length:
                return
            rows = self.per_frame[src]
            tensors = encode_ssd(rows[:, 2:6], rows[:, 6], self.frame_size)
            yield Frame(k, EPOCH + t, as_transport(tensors, SSD_OUTPUT_NAMES, self.transport))


class YoloFixtureReplay:
    """The real YOLOv5 DLPU outputs of ``shared/tensors``, drifting sideways over time."""

    OUTPUT_NAME = "StatefulPartitionedCall:0"

    def __init__(self, shared: Path, chip: str, clock: FrameClock, transport: str, n_frames: int) -> None:
        self.tensor = np.load(shared / "tensors" / f"yolov5n_artpec{chip}_grace_hopper.npy")
        self.model_path = shared / "models" / f"yolov5n_artpec{chip}.tflite"
        self.frame_size = (300, 300)
        self.clock = clock
        self.transport = transport
        self.n_frames = n_frames
        self.class_names = COCO80_NAMES

    def __iter__(self) -> Iterator[Frame]:
        base_cx = self.tensor[..., 0].astype(np.int16)
        for k, t in self.clock.times():
            if k >= self.n_frames:
                return
            out = self.tensor.copy()
            shift = int(round(4 * np.sin(2 * np.pi * 0.25 * t)))  # +-4 quanta ~ +-1.7 % of width
            out[..., 0] = np.clip(base_cx + shift, 0, 255).astype(np.uint8)
            if self.transport == "grpc":
                outputs: Any = {self.OUTPUT_NAME: out}
            else:
                outputs = memoryview(out.tobytes())
            yield Frame(k, EPOCH + t, outputs)


class CameraSource:
    """Live frames through the ACAP runtime's inference server (SSD MobileNet v2 outputs).

    Modelled on Axis's object-detector-python example: OpenCV captures RGB frames of the
    model's input size, ``InferenceClient.infer({'data': image[None]}, MODEL_PATH)``
    returns ``(success, outputs)`` with outputs keyed by TF-Serving names.  A failed
    inference skips the frame (counted in ``failed``).
    """

    def __init__(self, size: Tuple[int, int], fps: float, device: int, n_frames: Optional[int]) -> None:
        import cv2  # in the ACAP runtime's Python image
        from tf_proto_utils import InferenceClient
        host = os.environ.get("INFERENCE_HOST", "unix:///tmp/acap-runtime.sock")
        port = os.environ.get("INFERENCE_PORT")
        self.client = InferenceClient(host, int(port)) if port else InferenceClient(host)
        self.model_path = os.environ.get("MODEL_PATH", "/models/ssd_mobilenet_v2_coco_quant_postprocess.tflite")
        self.frame_size = size
        self.class_names = COCO90_NAMES
        self.n_frames = n_frames
        self.failed = 0
        self.cap = cv2.VideoCapture(device)
        self.cap.set(cv2.CAP_PROP_FPS, fps)
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        self.cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"RGB3"))

    def __iter__(self) -> Iterator[Frame]:
        k = 0
        misses = 0
        while self.n_frames is None or k < self.n_frames:
            ok, image = self.cap.read()
            t = time.time()  # capture time
            if not ok:
                misses += 1
                if misses >= 50:
                    raise RuntimeError("camera: 50 consecutive frames could not be read")
                time.sleep(0.02)
                continue
            misses = 0
            success, outputs = self.client.infer({"data": np.expand_dims(image, axis=0).astype(np.uint8)},
                                                 self.model_path)
            if success:
                yield Frame(k, t, outputs)
            else:
                self.failed += 1
            k += 1


def camera_available() -> bool:
    """True where the ACAP runtime's Python inference client can be imported."""
    return importlib.util.find_spec("tf_proto_utils") is not None


# ----------------------------------------------------------------------------- the app
def live_track_ids(tracker: Any) -> Optional[Set[int]]:
    """Ids of every track the tracker still holds (None for a tracker without ``track_ids``)."""
    if not hasattr(tracker, "track_ids"):
        return None
    return set(tracker.track_ids().tolist())


def start_publisher(args: argparse.Namespace, info: Any) -> Any:
    """The MQTT publisher of ``--mqtt-*`` (None without ``--mqtt-host``); exits 2 on a dead broker."""
    if not args.mqtt_host:
        return None
    try:
        from mottrack.io.mqtt import MqttConnectError, MqttPublisher
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    logger = logging.getLogger("mottrack.mqtt")
    if not logger.handlers:  # one plain line per connection event, on the info stream
        handler = logging.StreamHandler(info)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING if args.quiet else logging.INFO)
        logger.propagate = False
    try:
        publisher = MqttPublisher(
            args.mqtt_host, args.mqtt_port, topic_prefix=args.mqtt_topic_prefix, client_id=args.mqtt_client_id,
            frame_topic=args.mqtt_frame_topic, object_track_topic=args.mqtt_object_track_topic,
            username=args.mqtt_username, password=args.mqtt_password, tls=args.mqtt_tls,
            ca_certs=args.mqtt_ca_certs, certfile=args.mqtt_certfile, keyfile=args.mqtt_keyfile,
            frame_queue=args.mqtt_queue, reconnect_max=args.mqtt_reconnect_max)
        return publisher.start(wait=args.mqtt_connect_timeout)
    except (MqttConnectError, ValueError) as exc:
        msg = str(exc)
        print(f"error: {msg if msg.startswith('mqtt') else 'mqtt: ' + msg}", file=sys.stderr)
        raise SystemExit(2) from None


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--source", choices=("mot", "yolo", "camera"), default="mot",
                   help="replay source, or camera (needs the ACAP runtime's tf_proto_utils)")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="path of the shared/ folder")
    p.add_argument("--seq", default="TUD-Campus", help="MOT15 train sequence (--source mot)")
    p.add_argument("--chip", choices=("8", "9"), default="8", help="ARTPEC generation (--source yolo)")
    p.add_argument("--yolo-frames", type=int, default=60, help="frames to replay (--source yolo)")
    p.add_argument("--transport", choices=("grpc", "larod"), default="grpc",
                   help="dict of arrays (ACAP runtime gRPC) or raw Larod output buffers")
    p.add_argument("--fps", default="25,10,15",
                   help="comma-separated camera frame rates, cycled every --segment-seconds")
    p.add_argument("--segment-seconds", type=float, default=1.0, help="seconds per frame-rate segment")
    p.add_argument("--drop-rate", type=float, default=0.05, help="probability that a frame is dropped")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tracker", default="sort", help="tracker name for mottrack.create_tracker")
    p.add_argument("--max-age", type=float, default=3, help="tracker max_age in nominal frames")
    p.add_argument("--min-hits", type=int, default=3)
    p.add_argument("--frame-rate", type=float, default=None,
                   help="tracker nominal frame rate (default: the sequence's, or 15 for yolo)")
    p.add_argument("--score-threshold", type=float, default=None,
                   help="detector score threshold (default 0.5 SSD, 0.25 YOLOv5)")
    p.add_argument("--classes", default=None, help="comma-separated class names to keep, e.g. person")
    p.add_argument("--output", default="-", help="JSON Lines metadata file, '-' for stdout, '' for none")
    p.add_argument("--id-prefix", default=None, help="prefix of object track ids (default: random)")
    p.add_argument("--object-tracks", default="", help="JSON Lines file of consolidated object tracks")
    p.add_argument("--max-path", type=int, default=64, help="largest path length of an object track")
    p.add_argument("--realtime", type=float, default=0.0,
                   help="pace the replay at this many times real time (0: as fast as possible)")
    p.add_argument("--camera-size", default="300x300", help="capture and model input size WxH (--source camera)")
    p.add_argument("--camera-device", type=int, default=1, help="OpenCV capture device (--source camera)")
    p.add_argument("--camera-frames", type=int, default=None, help="stop after this many frames (--source camera)")
    p.add_argument("--quiet", action="store_true", help="print only the SUMMARY line")
    m = p.add_argument_group("MQTT (needs paho-mqtt: the mottrack[mqtt] extra)")
    m.add_argument("--mqtt-host", default=None, help="broker host; publishing is off without it")
    m.add_argument("--mqtt-port", type=int, default=None, help="broker port (default 1883, 8883 with --mqtt-tls)")
    m.add_argument("--mqtt-topic-prefix", default="mottrack", help="topics: PREFIX/CHANNEL/frame, .../object_track")
    m.add_argument("--mqtt-frame-topic", default="{prefix}/{channel}/frame", help="frame topic template")
    m.add_argument("--mqtt-object-track-topic", default="{prefix}/{channel}/object_track",
                   help="object-track topic template")
    m.add_argument("--mqtt-client-id", default=None)
    m.add_argument("--mqtt-username", default=None)
    m.add_argument("--mqtt-password", default=None, help="default: the MQTT_PASSWORD environment variable")
    m.add_argument("--mqtt-tls", action="store_true", help="connect with TLS")
    m.add_argument("--mqtt-ca-certs", default=None, help="CA bundle for --mqtt-tls (default: system CAs)")
    m.add_argument("--mqtt-certfile", default=None, help="client certificate (mutual TLS)")
    m.add_argument("--mqtt-keyfile", default=None, help="client key (mutual TLS)")
    m.add_argument("--mqtt-queue", type=int, default=100, help="frames queued while the broker is away")
    m.add_argument("--mqtt-connect-timeout", type=float, default=10.0,
                   help="seconds to wait for the broker at start (0: start without waiting)")
    m.add_argument("--mqtt-flush-timeout", type=float, default=10.0,
                   help="seconds to wait at exit for queued messages")
    m.add_argument("--mqtt-reconnect-max", type=float, default=30.0, help="largest reconnect backoff, seconds")
    args = p.parse_args(argv)
    if args.source == "camera" and not camera_available():
        p.error("--source camera: the ACAP runtime's Python inference client (tf_proto_utils) is not "
                "importable here; run inside the acap-runtime Python image or use a replay source")
    try:
        w, h = (int(v) for v in args.camera_size.lower().split("x"))
        if w <= 0 or h <= 0:
            raise ValueError
        args.camera_size = (w, h)
    except ValueError:
        p.error(f"--camera-size: expected WxH in pixels, e.g. 300x300; got {args.camera_size!r}")
    if args.max_path < 2:
        p.error("--max-path: expected an int >= 2")
    if args.realtime < 0:
        p.error("--realtime: expected a speed factor >= 0")
    if args.mqtt_port is None:
        args.mqtt_port = 8883 if args.mqtt_tls else 1883
    if not 1 <= args.mqtt_port <= 65535:
        p.error("--mqtt-port: expected a port in 1..65535")
    if args.mqtt_password is None:
        args.mqtt_password = os.environ.get("MQTT_PASSWORD")
    try:
        args.fps = [float(f) for f in args.fps.split(",") if f.strip()]
    except ValueError:
        p.error(f"--fps: expected comma-separated numbers; got {args.fps!r}")
    if not 0 <= args.drop_rate < 1:
        p.error("--drop-rate: expected a probability in [0, 1)")
    return args


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the replayed app loop; returns (and prints) the summary."""
    args = parse_args(argv)
    clock = FrameClock(args.fps, args.segment_seconds, args.drop_rate, args.seed)
    classes = None if not args.classes else [c.strip() for c in args.classes.split(",")]

    if args.source == "mot":
        source: Any = MotSsdReplay(args.shared / "data" / "MOT15" / "train" / args.seq, clock, args.transport)
        thr = 0.5 if args.score_threshold is None else args.score_threshold
        frame_rate = args.frame_rate or source.native_fps

        def convert(outputs: Any):
            return ssd_to_detections(outputs, source.frame_size, score_threshold=thr, classes=classes)
    elif args.source == "camera":
        source = CameraSource(args.camera_size, args.fps[0], args.camera_device, args.camera_frames)
        thr = 0.5 if args.score_threshold is None else args.score_threshold
        frame_rate = args.frame_rate or args.fps[0]

        def convert(outputs: Any):
            return ssd_to_detections(outputs, source.frame_size, score_threshold=thr, classes=classes)
    else:
        source = YoloFixtureReplay(args.shared, args.chip, clock, args.transport, args.yolo_frames)
        thr = 0.25 if args.score_threshold is None else args.score_threshold
        frame_rate = args.frame_rate or 15.0
        # Larod cannot report the output quantisation: read it once from the model file.
        quantization = output_quantization(source.model_path)

        def convert(outputs: Any):
            tensor = outputs[source.OUTPUT_NAME] if isinstance(outputs, dict) else outputs
            return yolov5_to_detections(tensor, source.frame_size, quantization=quantization,
                                        score_threshold=thr, classes=classes)

    tracker = mottrack.create_tracker(args.tracker, max_age=args.max_age, min_hits=args.min_hits,
                                      frame_rate=frame_rate)
    serializer = SceneMetadataSerializer(
        source.frame_size, class_names=source.class_names, id_prefix=args.id_prefix,
        # Fallback when the tracker does not expose its track table: a track unseen
        # for longer than max_age nominal frames (+1 of slack) has been deleted.
        end_after_seconds=None if live_track_ids(tracker) is not None else (args.max_age + 1) / frame_rate)
    if args.output == "-":
        writer: Optional[JsonLinesWriter] = JsonLinesWriter(sys.stdout, flush=False)
    elif args.output:
        writer = JsonLinesWriter(args.output)
    else:
        writer = None
    track_writer = JsonLinesWriter(args.object_tracks) if args.object_tracks else None
    builder = ObjectTrackBuilder(source.frame_size, max_path=args.max_path)
    info = sys.stderr if args.output == "-" else sys.stdout
    publisher = start_publisher(args, info)

    timings: Dict[str, List[float]] = {"convert": [], "track": [], "metadata": [], "publish": []}
    n_frames = n_dets = n_outputs = n_object_tracks = 0
    intervals: List[float] = []
    last_t: Optional[float] = None
    seen_ids: Set[str] = set()
    live_before: Set[int] = set()
    first_t: Optional[float] = None
    wall0 = time.monotonic()

    def emit(frame_msg: Dict[str, Any], ended_tracks: List[Dict[str, Any]]) -> None:
        if publisher is not None:
            publisher.publish_frame(frame_msg)
            for ot in ended_tracks:
                publisher.publish_object_track(ot)

    try:
        for frame in source:
            if args.realtime > 0 and args.source != "camera":
                first_t = frame.timestamp if first_t is None else first_t
                delay = wall0 + (frame.timestamp - first_t) / args.realtime - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            t0 = time.perf_counter()
            dets = convert(frame.outputs)
            t1 = time.perf_counter()
            out = tracker.update(dets, timestamp=frame.timestamp)
            t2 = time.perf_counter()
            live = live_track_ids(tracker)
            deleted: Sequence[int] = ()
            if live is not None:
                deleted = sorted(live_before - live)
                live_before = live
            msg = serializer.frame(out, frame.timestamp, ended_ids=deleted)
            ended_tracks = builder.update(msg, frame.timestamp)
            if writer is not None:
                writer.write(msg)
            if track_writer is not None:
                for ot in ended_tracks:
                    track_writer.write(ot)
            t3 = time.perf_counter()
            emit(msg, ended_tracks)
            t4 = time.perf_counter()
            timings["convert"].append(t1 - t0)
            timings["track"].append(t2 - t1)
            timings["metadata"].append(t3 - t2)
            timings["publish"].append(t4 - t3)
            n_frames += 1
            n_dets += len(dets)
            n_outputs += out.shape[0]
            n_object_tracks += len(ended_tracks)
            seen_ids.update(d["object_track_id"] for d in msg["detections"])
            if last_t is not None:
                intervals.append(frame.timestamp - last_t)
            last_t = frame.timestamp
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (camera mode runs until stopped)
        print("interrupted: closing", file=info)
    closing = serializer.close()
    ended_tracks = builder.update(closing)
    n_object_tracks += len(ended_tracks)
    if writer is not None:
        writer.write(closing)
        writer.close()
    if track_writer is not None:
        for ot in ended_tracks:
            track_writer.write(ot)
        track_writer.close()
    mqtt_stats = None
    if publisher is not None:
        emit(closing, ended_tracks)
        mqtt_stats = publisher.close(timeout=args.mqtt_flush_timeout)

    # The first frame loads the compiled kernels from numba's cache: report it apart.
    first_ms = round(sum(v[0] for v in timings.values() if v) * 1e3, 2) if n_frames else 0.0

    def us(values: List[float]) -> Dict[str, float]:
        values = values[1:]
        if not values:
            return {"median_us": 0.0, "p99_us": 0.0}
        a = np.asarray(values) * 1e6
        return {"median_us": round(float(np.median(a)), 1), "p99_us": round(float(np.percentile(a, 99)), 1)}

    iv = np.asarray(intervals) if intervals else np.zeros(1)
    summary = {
        "source": args.source, "transport": args.transport, "tracker": args.tracker,
        "frames": n_frames, "dropped_frames": clock.dropped, "rate_changes": clock.rate_changes,
        "interval_ms": {"min": round(float(iv.min()) * 1e3, 2), "max": round(float(iv.max()) * 1e3, 2)},
        "detections": n_dets, "track_outputs": n_outputs, "tracks": len(seen_ids),
        "tracks_ended": serializer.tracks_ended, "metadata_lines": writer.lines_written if writer else 0,
        "object_tracks": n_object_tracks, "mqtt": mqtt_stats,
        "timing": {k: us(v) for k, v in timings.items() if publisher is not None or k != "publish"},
        "first_frame_ms": first_ms,
    }
    if not args.quiet:
        print(f"{n_frames} frames ({clock.dropped} dropped, {clock.rate_changes} frame-rate changes, "
              f"intervals {summary['interval_ms']['min']}-{summary['interval_ms']['max']} ms), "
              f"{n_dets} detections, {len(seen_ids)} tracks, {serializer.tracks_ended} ended, "
              f"{n_object_tracks} object tracks", file=info)
        for k, v in summary["timing"].items():
            print(f"  {k:<9} median {v['median_us']:8.1f} us   p99 {v['p99_us']:8.1f} us", file=info)
        print(f"  (first frame, with kernel loading: {first_ms} ms)", file=info)
        if mqtt_stats is not None:
            print(f"  mqtt: {mqtt_stats['frames_sent']} frames sent, {mqtt_stats['frames_dropped']} dropped; "
                  f"{mqtt_stats['object_tracks_acked']} object tracks delivered, "
                  f"{mqtt_stats['object_tracks_unsent'] + mqtt_stats['object_tracks_dropped']} not; "
                  f"{mqtt_stats['reconnects']} reconnects", file=info)
    print("SUMMARY " + json.dumps(summary), file=info)
    return summary


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    main()
