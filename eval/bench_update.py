"""Per-frame ``update()`` time of mottrack at this tree and at older commits, beside the peers.

Each measurement is one fresh worker process timing every frame of the 11 MOT15 train
sequences (SORT's public detections, the (N, 5) float64 array a detector adapter hands
over, conversion included), best of two passes per frame after a warm-up pass, and
printing the median.  Workers run interleaved: repeat 1 of every implementation, then
repeat 2, ...; the table gives the median over repeats and the ratio to the fastest peer
and to each older commit measured in the same run.  Run it pinned to one core::

    taskset -c 1 python eval/bench_update.py --commits 2f86da8 --repeats 5 \\
        --out eval/results/bench_update.md

Older commits are extracted with ``git archive`` into a temporary folder (each with its
own kernel cache, compiled during the first warm-up, outside the timed region).
Peers (not dependencies): trackforge (Rust), pyxtrackers (Cython), when installed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MOTTRACK_SHARED", ROOT.parent / "shared"))
GIT = Path(os.environ.get("MOTTRACK_BENCH_GIT", ROOT))  # the repository older commits come from

#: mottrack's settings: those of the peers' defaults on MOT15.
PARAMS = {"sort": {"max_age": 1, "min_hits": 3, "iou_threshold": 0.3},
          "bytetrack": {"track_thresh": 0.5, "match_thresh": 0.8, "track_buffer": 30, "frame_rate": 30},
          "botsort": {}, "ocsort": {"det_thresh": 0.5}}


def _peer_step(label: str, kind: str):
    sys.path.insert(0, str(ROOT / "eval"))
    import bench_trackers as bt
    if kind == "botsort":
        make = dict(bt.botsort_implementations())[label]
        inner = make()
        return lambda arr: inner(arr, None, None)
    make = dict(bt.implementations(kind))[label]
    inner = make()
    return lambda arr: inner(arr, None)


def worker(kind: str, impl: str, frames_path: str) -> None:
    """Time one implementation; prints the median per-frame microseconds as JSON."""
    data = np.load(frames_path)
    seqs = [[data[f"s{s}f{f}"] for f in range(int(data[f"n{s}"]))] for s in range(int(data["n_seqs"]))]

    def make():
        if impl == "mottrack":
            import mottrack
            t = mottrack.create_tracker(kind, **PARAMS[kind])
            return t.update
        return _peer_step(impl, kind)

    warm = make()
    for frames in seqs:
        for arr in frames:
            warm(arr)
    clock = time.perf_counter_ns
    times = []
    for frames in seqs:
        best = None
        for _ in range(2):
            step = make()
            ts = np.empty(len(frames), np.int64)
            for i, arr in enumerate(frames):
                t0 = clock()
                step(arr)
                ts[i] = clock() - t0
            best = ts if best is None else np.minimum(best, ts)
        times.append(best)
    print(json.dumps({"median_us": float(np.median(np.concatenate(times)) / 1e3)}))


def _save_frames(path: Path) -> int:
    sys.path.insert(0, str(ROOT / "eval"))
    import bench_trackers as bt
    mot15 = sorted((SHARED / "data/MOT15/train").glob("*/det/det.txt"))
    arrays = {"n_seqs": np.array(len(mot15))}
    total = 0
    for s, p in enumerate(mot15):
        frames = [a for a, _ in bt.mot_frames(p)]
        arrays[f"n{s}"] = np.array(len(frames))
        for f, a in enumerate(frames):
            arrays[f"s{s}f{f}"] = a
        total += len(frames)
    np.savez(path, **arrays)
    return total


def _extract(commit: str, into: Path) -> str:
    rev = subprocess.run(["git", "-C", str(GIT), "rev-parse", "--short", commit], check=True,
                         capture_output=True, text=True).stdout.strip()
    dest = into / rev
    if not dest.exists():
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(GIT), "archive", rev, "mottrack"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return rev


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trackers", default="sort,bytetrack,botsort")
    ap.add_argument("--commits", default="", help="older commits to measure beside this tree (comma-separated)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, help="also write the table as Markdown here")
    ap.add_argument("--cache-root", help="keep the kernel caches here (default: a temporary folder)")
    ap.add_argument("--worker", nargs=3, metavar=("KIND", "IMPL", "FRAMES"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return
    kinds = [k for k in args.trackers.split(",") if k]
    commits = [c for c in args.commits.split(",") if c]
    peers = {"sort": ["trackforge SORT (Rust)", "pyxtrackers Sort (Cython)"],
             "bytetrack": ["trackforge BYTETRACK (Rust)", "pyxtrackers BYTETracker (Cython)"],
             "botsort": ["trackforge BOTSORT (Rust)"],
             "ocsort": ["trackforge OCSORT (Rust)", "pyxtrackers OCSort (Cython)"]}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        frames = tmp / "frames.npz"
        n_frames = _save_frames(frames)
        caches = Path(args.cache_root) if args.cache_root else tmp
        trees = [("this tree", str(ROOT), str(caches / "cache-here"))]
        for c in commits:
            rev = _extract(c, caches)
            trees.append((f"at {rev}", str(caches / rev), str(caches / f"cache-{rev}")))
        runs = []  # (kind, label, env or None, impl)
        for kind in kinds:
            for label, path, cache in trees:
                runs.append((kind, f"mottrack {label}", dict(os.environ, PYTHONPATH=path, MOTTRACK_CACHE_DIR=cache),
                             "mottrack"))
            for p in peers.get(kind, []):
                runs.append((kind, p, dict(os.environ, PYTHONPATH=str(ROOT)), p))
        results: dict = {}
        for r in range(args.repeats):
            for kind, label, env, impl in runs:
                out = subprocess.run([sys.executable, __file__, "--worker", kind, impl, str(frames)],
                                     env=env, capture_output=True, text=True, cwd=tmp_s)
                if out.returncode != 0:
                    last = (out.stderr.strip().splitlines() or ["?"])[-1]
                    results.setdefault((kind, label), []).append(None)
                    print(f"repeat {r + 1}: {kind} {label}: failed ({last[:80]})", flush=True)
                    continue
                us = json.loads(out.stdout.strip().splitlines()[-1])["median_us"]
                results.setdefault((kind, label), []).append(us)
                print(f"repeat {r + 1}: {kind} {label}: {us:.1f} us", flush=True)
    lines = ["# Per-frame update time: this tree, older commits, peers", "",
             f"MOT15 train, 11 sequences, {n_frames} frames, SORT's public detections; median "
             f"us per `update()` (input conversion included) per worker, median over "
             f"{args.repeats} interleaved repeats; one core (`taskset -c 1`). Ratio: to the "
             "fastest peer / to each older commit, per repeat, then the median.", "",
             "| tracker | implementation | median us | per repeat | vs fastest peer |"
             + "".join(f" vs {label} |" for label, _, _ in trees[1:]),
             "|---|---|---:|---|---:|" + "---:|" * (len(trees) - 1)]
    for kind in kinds:
        mine = {label: results.get((kind, f"mottrack {label}"), []) for label, _, _ in trees}
        peer = [results.get((kind, p), []) for p in peers.get(kind, [])]
        peer = [p for p in peer if p and None not in p]
        fastest = ([min(vals) for vals in zip(*peer)] if peer else None)
        rows = [(f"mottrack {label}", mine[label]) for label, _, _ in trees]
        rows += [(p, results.get((kind, p), [])) for p in peers.get(kind, [])]
        for label, vals in rows:
            if not vals or None in vals:
                lines.append(f"| {kind} | {label} | failed | | |" + " |" * (len(trees) - 1))
                continue
            vs_peer = (f"{np.median([v / f for v, f in zip(vals, fastest)]):.2f}" if fastest else "-")
            vs_old = ""
            for old_label, _, _ in trees[1:]:
                old = mine[old_label]
                ok = old and None not in old and label.startswith("mottrack")
                vs_old += f" {np.median([v / o for v, o in zip(vals, old)]):.2f} |" if ok else " - |"
            lines.append(f"| {kind} | {label} | {np.median(vals):.1f} | "
                         f"{', '.join(f'{v:.1f}' for v in vals)} | {vs_peer} |{vs_old}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
