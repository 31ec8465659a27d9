"""SHA-256 of every registered tracker's output on one real sequence (for eval/arm64_check.sh).

Trackers that take appearance embeddings run on MOT17-05-FRCNN with the shared DeepSORT
embeddings (rows in descending score order); the others on MOT15 TUD-Campus (file order).
Default parameters.  Prints one JSON object {tracker: {"sequence", "rows", "sha256"}}.

    python eval/arm64_hashes.py [SHARED_DIR [TRACKER ...]]
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np

import mottrack
from mottrack.detections import Detections
from mottrack.registry import available_trackers, create_tracker, tracker_class


def _mot15_frames(shared: str):
    det = np.loadtxt(os.path.join(shared, "data", "MOT15", "train", "TUD-Campus", "det", "det.txt"),
                     delimiter=",", ndmin=2)
    for f in range(1, int(det[:, 0].max()) + 1):
        d = det[det[:, 0] == f][:, 2:7].copy()
        d[:, 2:4] += d[:, 0:2]
        yield Detections(d[:, :4], d[:, 4])


def _mot17_embedding_frames(shared: str):
    arr = np.load(os.path.join(shared, "data", "MOT17", "embeddings", "deepsort", "MOT17-05-FRCNN.npy"))
    for f in range(1, int(arr[:, 0].max()) + 1):
        rows = arr[arr[:, 0] == f]
        rows = rows[np.argsort(-rows[:, 6], kind="stable")]
        boxes = rows[:, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        yield Detections(boxes, rows[:, 6], embeddings=rows[:, 7:].astype(np.float32))


def tracker_hashes(shared: str, names=None) -> dict:
    out = {}
    for name in names or available_trackers():
        cls = tracker_class(name)
        with_emb = getattr(cls, "embeddings", "none") in ("optional", "required")
        frames = _mot17_embedding_frames(shared) if with_emb else _mot15_frames(shared)
        tracker = create_tracker(name)
        h = hashlib.sha256()
        rows = 0
        for f, dets in enumerate(frames, 1):
            res = np.ascontiguousarray(tracker.update(dets), dtype=np.float64)
            h.update(np.int64(f).tobytes())
            h.update(res.tobytes())
            rows += res.shape[0]
        out[name] = {"sequence": "MOT17-05-FRCNN" if with_emb else "TUD-Campus", "rows": rows,
                     "sha256": h.hexdigest()}
    return out


if __name__ == "__main__":
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    names = sys.argv[2:] or None
    print(json.dumps({"mottrack": mottrack.__version__, "trackers": tracker_hashes(shared, names)}, indent=1))
