"""Quick DeepSORT timing: median / p99 microseconds per ``update()`` call.

* the two MOT17 ``.npy`` files with real 128-d DeepSORT embeddings (score >= 0.3,
  descending score order, as the reference run), ``Detections`` built beforehand;
* synthetic scenes of 10..500 objects moving at constant velocity with random unit
  embeddings (a fixed identity vector plus noise per object).

Usage: ``python eval/bench_deepsort_quick.py [--repeat 3]``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mottrack.detections import Detections
from mottrack.trackers.deepsort import DeepSORT

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEQS = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]


def npy_frames(seq: str):
    a = np.load(SHARED / "data" / "MOT17" / "embeddings" / "deepsort" / f"{seq}.npy")
    a = a[a[:, 6] >= 0.3]
    frames = []
    for f in range(1, int(a[:, 0].max()) + 1):
        r = a[a[:, 0] == f]
        r = r[np.argsort(-r[:, 6], kind="stable")]
        b = r[:, 2:6].copy()
        b[:, 2:] += b[:, :2]
        frames.append(Detections(b, r[:, 6], embeddings=r[:, 7:]))
    return frames


def synthetic_frames(n_obj: int, n_frames: int = 200, dim: int = 128, seed: int = 0):
    rng = np.random.default_rng(seed)
    size = np.sqrt(1920 * 1080 / max(n_obj, 1)) * 0.35
    pos = rng.uniform([0, 0], [1920, 1080], (n_obj, 2))
    vel = rng.normal(0, 2.0, (n_obj, 2))
    wh = np.column_stack([rng.uniform(0.3, 0.6, n_obj) * size, rng.uniform(0.8, 1.2, n_obj) * size])
    ident = rng.normal(size=(n_obj, dim))
    ident /= np.linalg.norm(ident, axis=1, keepdims=True)
    frames = []
    for _ in range(n_frames):
        pos = pos + vel
        seen = rng.random(n_obj) > 0.05
        c = pos[seen] + rng.normal(0, 1.0, (seen.sum(), 2))
        b = np.column_stack([c - wh[seen] / 2, c + wh[seen] / 2])
        e = ident[seen] + rng.normal(0, 0.2 / np.sqrt(dim), (seen.sum(), dim))
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        frames.append(Detections(b, rng.uniform(0.3, 1.0, seen.sum()), embeddings=e.astype(np.float32)))
    return frames


def time_frames(frames, repeat: int):
    times = []
    for _ in range(repeat):
        tracker = DeepSORT(max_cosine_distance=0.2, nn_budget=100)
        clock = time.perf_counter_ns
        for d in frames:
            t0 = clock()
            tracker.update(d)
            times.append(clock() - t0)
    us = np.array(times) / 1e3
    return np.median(us), np.percentile(us, 99)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    # warm up (numba compile / cache load)
    warm = DeepSORT()
    for d in synthetic_frames(5, 5):
        warm.update(d)
    print(f"{'input':<22}{'median us':>12}{'p99 us':>12}")
    if SHARED.exists():
        for seq in SEQS:
            med, p99 = time_frames(npy_frames(seq), args.repeat)
            print(f"{seq:<22}{med:12.1f}{p99:12.1f}")
    for n in (10, 50, 100, 200, 500):
        med, p99 = time_frames(synthetic_frames(n), args.repeat)
        print(f"{'synthetic ' + str(n):<22}{med:12.1f}{p99:12.1f}")


if __name__ == "__main__":
    main()
