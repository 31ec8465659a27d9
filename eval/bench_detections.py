"""Cost of building ``Detections`` on DeepSORT's real-embedding workload, and DeepSORT with
``Detections`` built in the call beside trackforge's DEEPSORT (ratio in one run).

Frames: the MOT17 DeepSORT ``.npy`` files (score >= 0.3, 128-d float32 embeddings), as in
``eval/bench_trackers.py``.  Times are per frame; the machine is shared, so compare the
ratio of the two lines printed by one run.

Usage: ``python eval/bench_detections.py [--repeats 5]``
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import mottrack  # noqa: E402
from bench_trackers import SHARED, _ours, _tf_deepsort, mot_frames, time_sequences  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    npys = sorted((SHARED / "data/MOT17/embeddings/deepsort").glob("*.npy"))
    seqs = [mot_frames(None, min_score=0.3, embeddings=np.load(p)) for p in npys]
    frames = [f for s in seqs for f in s]
    D = mottrack.Detections
    for arr, emb in frames[:50]:
        D(arr[:, :4], arr[:, 4], embeddings=emb)
    best = np.full(len(frames), np.iinfo(np.int64).max)
    clock = time.perf_counter_ns
    for _ in range(a.repeats):
        for i, (arr, emb) in enumerate(frames):
            t0 = clock()
            D(arr[:, :4], arr[:, 4], embeddings=emb)
            best[i] = min(best[i], clock() - t0)
    print(f"Detections(boxes, scores, embeddings=...) build: median {np.median(best) / 1e3:.2f} us "
          f"per frame ({len(frames)} frames, best of {a.repeats} per frame)")
    impls = [("mottrack DeepSORT (Detections built in the call)",
              _ours("deepsort", max_cosine_distance=0.2, nn_budget=100))]
    try:
        impls.append(("trackforge DEEPSORT (Rust)", _tf_deepsort()))
    except Exception:  # not installed
        pass
    med = {}
    for label, make in impls:
        ns = time_sequences(make, seqs, repeats=2)
        med[label] = np.median(ns) / 1e3
        print(f"{label}: median {med[label]:.2f} us per frame")
    if len(med) == 2:
        a_, b_ = med.values()
        print(f"ratio mottrack / trackforge: {a_ / b_:.2f}")


if __name__ == "__main__":
    main()
