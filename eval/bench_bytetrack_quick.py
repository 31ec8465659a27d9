"""Quick per-frame timing of ByteTrack's ``update()`` (median / p99, microseconds).

Runs on MOT15 (all 11 sequences, the SORT paper's detections, track_thresh 0.5),
on the MOT17 YOLOX-X ablation detections (dense, scores down to 0.01; the reference
configuration track_thresh 0.6, match_thresh 0.9) and on synthetic scenes of 10..500
objects moving at constant velocity with jitter, misses and low-score clutter.
Each sequence is run once to warm up (compile / load the numba cache), then timed.

    PYTHONPATH=. python eval/bench_bytetrack_quick.py [--shared ../shared] [--repeat 3] [--best]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mottrack.trackers.base import create_tracker

ROOT = Path(__file__).resolve().parents[1]


def mot_frames(path: Path, n_frames: int = 0):
    """Per-frame (N, 5) float64 arrays x1, y1, x2, y2, score in file order, frames 1..max."""
    det = np.loadtxt(path, delimiter=",", ndmin=2)
    det = det[np.argsort(det[:, 0], kind="stable")]
    last = max(int(det[:, 0].max()), n_frames)
    starts = np.searchsorted(det[:, 0], np.arange(0, last + 2))
    out = []
    for f in range(1, last + 1):
        d = det[starts[f]:starts[f + 1], 2:7].copy()
        d[:, 2:4] += d[:, 0:2]
        out.append(np.ascontiguousarray(d))
    return out


def synthetic_frames(n_objects: int, n_frames: int = 300, seed: int = 0):
    """Constant-velocity boxes with jitter, 10 % misses, a few low-score and clutter boxes."""
    rng = np.random.default_rng(seed)
    side = 200.0 * np.sqrt(n_objects)  # keep the density roughly constant
    pos = rng.uniform(0, side, (n_objects, 2))
    vel = rng.normal(0, 2.0, (n_objects, 2))
    size = rng.uniform(20, 60, (n_objects, 2)) * np.array([0.5, 1.0])
    frames = []
    for _ in range(n_frames):
        pos += vel
        keep = rng.random(n_objects) > 0.1
        c = pos[keep] + rng.normal(0, 1.0, (keep.sum(), 2))
        s = size[keep]
        score = np.where(rng.random(keep.sum()) < 0.2, rng.uniform(0.15, 0.5, keep.sum()),
                         rng.uniform(0.6, 0.95, keep.sum()))
        n_clutter = max(1, n_objects // 20)
        cc = rng.uniform(0, side, (n_clutter, 2))
        cs = rng.uniform(20, 60, (n_clutter, 2)) * np.array([0.5, 1.0])
        boxes = np.concatenate([np.c_[c - s / 2, c + s / 2], np.c_[cc - cs / 2, cc + cs / 2]])
        scores = np.concatenate([score, rng.uniform(0.05, 0.4, n_clutter)])
        frames.append(np.ascontiguousarray(np.c_[boxes, scores]))
    return frames


def time_frames(make, sequences, repeat: int, best: bool):
    """Per-frame update() times (us) over all sequences and ``repeat`` runs of each (or,
    with ``best``, the fastest of the runs per frame: filters out a busy machine)."""
    per_seq = []
    for frames in sequences:
        tracker = make()
        for d in frames:  # warm-up run
            tracker.update(d)
        runs = np.empty((repeat, len(frames)))
        clock = time.perf_counter_ns
        for k in range(repeat):
            tracker.reset()
            t_ns = runs[k]
            for i, d in enumerate(frames):
                t0 = clock()
                tracker.update(d)
                t_ns[i] = clock() - t0
        per_seq.append((runs.min(axis=0) if best else runs.ravel()) / 1000.0)
    return np.concatenate(per_seq)


def report(name, us):
    print(f"{name:<34s} frames {len(us):6d}   median {np.median(us):8.2f} us   "
          f"p99 {np.percentile(us, 99):9.2f} us   mean {us.mean():8.2f} us")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per sequence")
    ap.add_argument("--best", action="store_true", help="per frame, the fastest of the runs")
    args = ap.parse_args()

    mot15 = sorted((args.shared / "data" / "MOT15" / "train").glob("*/det/det.txt"))
    if mot15:
        seqs = [mot_frames(p) for p in mot15]
        for th in (0.5, 0.7):
            us = time_frames(lambda: create_tracker("bytetrack", track_thresh=th, match_thresh=0.8,
                                                    track_buffer=30, frame_rate=30), seqs, args.repeat, args.best)
            report(f"MOT15 (11 seqs) thresh {th}", us)
    yolox = sorted((args.shared / "data" / "MOT17" / "dets" / "yolox_x_ablation").glob("*.txt"))
    if yolox:
        seqs = [mot_frames(p) for p in yolox]
        us = time_frames(lambda: create_tracker("bytetrack", track_thresh=0.6, match_thresh=0.9,
                                                track_buffer=30, frame_rate=30), seqs, args.repeat, args.best)
        report("MOT17 YOLOX-X (4 seqs)", us)
    for n in (10, 50, 100, 200, 500):
        frames = synthetic_frames(n)
        us = time_frames(lambda: create_tracker("bytetrack"), [frames], args.repeat, args.best)
        report(f"synthetic {n} objects", us)


if __name__ == "__main__":
    main()
