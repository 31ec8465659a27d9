"""Real detection streams and state round trips shared by the state, concurrency, fuzz and
tracker tests (one place: test modules never import each other)."""
from __future__ import annotations

import io
import json

import numpy as np

from mottrack import Detections, Tracker
from mottrack.state import load_state, save_state, state_from_json, state_to_json

from conftest import shared_path
from reference import load_csv

# --------------------------------------------------------------------------- real streams
def det_stream(path, n_frames=None, min_score=-np.inf, first=1):
    """Per-frame Detections of a MOT det file (frame,-1,x,y,w,h,score,...), frames first..last."""
    det = load_csv(path)
    det = det[det[:, 6] >= min_score]
    last = int(det[:, 0].max()) if n_frames is None else first + n_frames - 1
    frames = []
    for f in range(first, last + 1):
        d = det[det[:, 0] == f]
        frames.append(Detections.from_xywh(np.ascontiguousarray(d[:, 2:7])))
    return frames


def embedding_stream(path, n_frames=None, min_score=0.3):
    """DeepSORT .npy: frame,-1,x,y,w,h,score then a 128-d embedding, per frame."""
    a = np.load(path)
    a = a[a[:, 6] >= min_score]
    last = int(a[:, 0].max()) if n_frames is None else n_frames
    frames = []
    for f in range(1, last + 1):
        d = a[a[:, 0] == f]
        frames.append(Detections.from_xywh(np.ascontiguousarray(d[:, 2:7]), embeddings=d[:, 7:]))
    return frames


STREAMS = {
    "sort/TUD-Campus": ("sort", {}, lambda: det_stream(
        shared_path("data", "MOT15", "train", "TUD-Campus", "det", "det.txt"))),
    "sort/ETH-Sunnyday": ("sort", {"max_age": 3, "min_hits": 1}, lambda: det_stream(
        shared_path("data", "MOT15", "train", "ETH-Sunnyday", "det", "det.txt"), 120)),
    "bytetrack/TUD-Stadtmitte": ("bytetrack", {}, lambda: det_stream(
        shared_path("data", "MOT15", "train", "TUD-Stadtmitte", "det", "det.txt"), 120)),
    "bytetrack/MOT17-04-yolox": ("bytetrack", {"track_thresh": 0.6, "match_thresh": 0.9}, lambda: det_stream(
        shared_path("data", "MOT17", "dets", "yolox_x_ablation", "MOT17-04.txt"), 80, first=527)),
    "deepsort/MOT17-09": ("deepsort", {}, lambda: embedding_stream(
        shared_path("data", "MOT17", "embeddings", "deepsort", "MOT17-09-FRCNN.npy"), 120)),
    "botsort/MOT17-05-reid": ("botsort", {}, lambda: embedding_stream(
        shared_path("data", "MOT17", "embeddings", "deepsort", "MOT17-05-FRCNN.npy"), 120, min_score=0.0)),
    "ocsort/MOT17-05-yolox": ("ocsort", {"det_thresh": 0.6, "use_byte": True}, lambda: det_stream(
        shared_path("data", "MOT17", "dets", "yolox_x_ablation", "MOT17-05.txt"), 120, first=420)),
    "hybridsort/MOT17-05-yolox": ("hybridsort", {}, lambda: det_stream(
        shared_path("data", "MOT17", "dets", "yolox_x_ablation", "MOT17-05.txt"), 120, first=420)),
}

_cache: dict = {}


def stream(key):
    name, params, load = STREAMS[key]
    if key not in _cache:
        _cache[key] = load()
    return name, params, _cache[key]


def timestamps(n, frame_rate, seed=0):
    """Capture times with jitter and two dropped frames: the clock matters for the result."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64) / frame_rate + rng.uniform(-0.2, 0.2, n) / frame_rate
    t[n // 3:] += 2.0 / frame_rate
    return 1000.0 + t


def run(tracker, frames, times=None, start=0, stop=None):
    stop = len(frames) if stop is None else stop
    return [tracker.update(frames[i], None if times is None else times[i]) for i in range(start, stop)]


def assert_identical(a_list, b_list):
    assert len(a_list) == len(b_list)
    for f, (a, b) in enumerate(zip(a_list, b_list)):
        assert a.dtype == b.dtype and a.shape == b.shape, f"frame {f}: {a.shape} vs {b.shape}"
        assert a.tobytes() == b.tobytes(), f"frame {f}: outputs differ"


def roundtrip(tracker, via):
    if via == "dict":
        return Tracker.from_state(tracker.state_dict())
    if via == "npz":
        buf = io.BytesIO()
        save_state(tracker, buf)
        buf.seek(0)
        return Tracker.from_state(load_state(buf))
    if via == "json":
        text = state_to_json(tracker)
        json.loads(text)  # plain JSON
        return type(tracker).from_state(state_from_json(text))
    raise AssertionError(via)
