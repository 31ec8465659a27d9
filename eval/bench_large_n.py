"""Worst-case per-frame cost at large N (issue 13, class 7): seconds per ``update()``.

- DeepSORT, N detections scattered over a 1920x1080 frame (small boxes, new tracks every
  frame): the IoU stage compared every tentative track with every detection (dense T x D).
- SORT, N mutually overlapping boxes (all contain the frame centre): every detection
  overlaps every track, so the association problem itself is dense.

Usage: ``python eval/bench_large_n.py [--n 5000] [--overlap-n 2000] [--frames 3]``
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mottrack  # noqa: E402


def scattered(n, rng):
    xy = rng.uniform(0, 1900, (n, 2)) * [1, 0.55]
    wh = rng.uniform(4, 12, (n, 2))
    return np.column_stack([xy, xy + wh, rng.uniform(0.5, 1, n)])


def overlapping(n, rng):
    c = np.array([960.0, 540.0])
    lo = c - rng.uniform(50, 400, (n, 2))
    hi = c + rng.uniform(50, 400, (n, 2))
    return np.column_stack([lo, hi, rng.uniform(0.5, 1, n)])


def per_frame(tracker, frames, emb_dim=0):
    rng = np.random.default_rng(1)
    times = []
    for f in frames:
        d = (mottrack.Detections(f[:, :4], f[:, 4], embeddings=rng.normal(size=(len(f), emb_dim)))
             if emb_dim else f)
        t0 = time.perf_counter()
        tracker.update(d)
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--overlap-n", type=int, default=2000)
    ap.add_argument("--frames", type=int, default=3)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    warm = [scattered(50, rng) for _ in range(3)]
    per_frame(mottrack.create_tracker("deepsort"), warm, 16)
    per_frame(mottrack.create_tracker("sort"), warm)
    frames = [scattered(a.n, rng) for _ in range(a.frames)]
    t = per_frame(mottrack.create_tracker("deepsort"), frames, 16)
    print(f"DeepSORT, {a.n} scattered detections: {' '.join(f'{x:.3f}' for x in t)} s per frame")
    frames = [overlapping(a.overlap_n, rng) for _ in range(a.frames)]
    t = per_frame(mottrack.create_tracker("sort"), frames)
    print(f"SORT, {a.overlap_n} mutually overlapping boxes: {' '.join(f'{x:.3f}' for x in t)} s per frame")


if __name__ == "__main__":
    main()
