"""Per-frame ``update()`` time of mottrack at this tree and at older commits, beside the peers.

Each measurement is one fresh worker process timing every frame of one data set (the
(N, 5) float64 array a detector adapter hands over, conversion included; for DeepSORT the
``Detections`` with its embeddings is built inside the timed call), best of two passes
per frame after a warm-up pass, and printing the median.  Data sets (``--data``):

* ``mot15``: the 11 MOT15 train sequences, SORT's public detections (~6 per frame);
* ``yolox``: the MOT17 YOLOX detections, every score (~41 per frame; ByteTrack's and
  OC-SORT's MOT17 thresholds);
* ``mot17emb``: the MOT17 DeepSORT .npy files, score >= 0.3, with their embeddings
  (DeepSORT only);
* ``synth500``: 500 objects moving in 1920x1080, 150 frames (the first 10 not counted).

Peers are not timed on ``synth500`` unless ``--no-peers-on ''`` (there the goal is
against older commits).  DeepSORT on ``mot15`` / ``yolox`` / ``synth500`` gets one constant unit 128-d embedding
per detection (the time of the gallery arithmetic, not of re-identification).
Workers run interleaved: repeat 1 of every implementation, then repeat 2, ...; the table
gives the median over repeats and the ratio, per repeat then the median, to the fastest
peer and to each older commit measured in the same run.  Run it pinned to one core::

    taskset -c 1 python eval/bench_update.py --commits 2f86da8 --repeats 5 \\
        --out eval/results/bench_update.md

Older commits are extracted with ``git archive`` into a temporary folder (each with its
own kernel cache, compiled during the first warm-up, outside the timed region); a
tracker an older commit does not have is not measured there.
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

#: (track_thresh / det_thresh, match_thresh) per data set: the peers' settings there.
THRESHOLDS = {"mot15": (0.5, 0.8), "yolox": (0.6, 0.9), "mot17emb": (0.5, 0.8), "synth500": (0.5, 0.8)}
DATA = {"mot15": "MOT15 train (SORT's dets)", "yolox": "MOT17 YOLOX (all scores)",
        "mot17emb": "MOT17 DeepSORT .npy (score >= 0.3)", "synth500": "synthetic 500 objects"}
#: Files of each tracker in a tree (an older commit without it is skipped).
FILES = {"sort": "sort.py", "bytetrack": "bytetrack.py", "deepsort": "deepsort.py",
         "botsort": "botsort.py", "ocsort": "ocsort.py"}
PEERS = {"sort": ["trackforge SORT (Rust)", "pyxtrackers Sort (Cython)"],
         "bytetrack": ["trackforge BYTETRACK (Rust)", "pyxtrackers BYTETracker (Cython)"],
         "deepsort": ["trackforge DEEPSORT (Rust)"],
         "botsort": ["trackforge BOTSORT (Rust)"],
         "ocsort": ["trackforge OCSORT (Rust)", "pyxtrackers OCSort (Cython)"]}


def mottrack_params(kind: str, data: str) -> dict:
    """mottrack's settings: those of the peers' defaults on the data set."""
    tt, mt = THRESHOLDS[data]
    return {"sort": {"max_age": 1, "min_hits": 3, "iou_threshold": 0.3},
            "bytetrack": {"track_thresh": tt, "match_thresh": mt, "track_buffer": 30, "frame_rate": 30},
            "deepsort": {"max_cosine_distance": 0.2, "nn_budget": 100},
            "botsort": {},
            "ocsort": {"det_thresh": tt, "max_age": 30, "min_hits": 3, "iou_threshold": 0.3,
                       "delta_t": 3, "inertia": 0.2}}[kind]


def _peer_step(label: str, kind: str, data: str):
    sys.path.insert(0, str(ROOT / "eval"))
    import bench_trackers as bt
    if kind == "botsort":
        make = dict(bt.botsort_implementations())[label]
        inner = make()
        return lambda arr, emb: inner(arr, emb, None)
    make = dict(bt.implementations(kind, THRESHOLDS[data]))[label]
    return make()


def _mottrack_step(kind: str, data: str):
    import mottrack
    t = mottrack.create_tracker(kind, **mottrack_params(kind, data))
    if kind == "deepsort":
        Detections = mottrack.Detections
        return lambda arr, emb: t.update(Detections(arr[:, :4], arr[:, 4], embeddings=emb))
    return lambda arr, emb: t.update(arr)


def _load(path: str):
    """The sequences of a saved data set: lists of (arr, emb or None) per frame."""
    z = np.load(path)
    dets, frame_starts, seq_starts = z["dets"], z["frame_starts"], z["seq_starts"]
    emb = z["emb"] if "emb" in z.files else None
    seqs = []
    for s in range(seq_starts.shape[0] - 1):
        frames = []
        for f in range(seq_starts[s], seq_starts[s + 1]):
            a, b = frame_starts[f], frame_starts[f + 1]
            frames.append((np.ascontiguousarray(dets[a:b]),
                           None if emb is None else np.ascontiguousarray(emb[a:b])))
        seqs.append(frames)
    return seqs, int(z["skip"])


def worker(kind: str, impl: str, data: str, frames_path: str) -> None:
    """Time one implementation on one data set; prints the median per-frame us as JSON."""
    seqs, skip = _load(frames_path)

    def make():
        return _mottrack_step(kind, data) if impl == "mottrack" else _peer_step(impl, kind, data)

    warm = make()
    for frames in seqs:
        for arr, emb in frames:
            warm(arr, emb)
    clock = time.perf_counter_ns
    times = []
    for frames in seqs:
        best = None
        for _ in range(2):
            step = make()
            ts = np.empty(len(frames), np.int64)
            for i, (arr, emb) in enumerate(frames):
                t0 = clock()
                step(arr, emb)
                ts[i] = clock() - t0
            best = ts if best is None else np.minimum(best, ts)
        times.append(best[skip:])
    print(json.dumps({"median_us": float(np.median(np.concatenate(times)) / 1e3)}))


def _save(path: Path, seqs, with_emb: bool, skip: int = 0) -> int:
    """Save sequences of (arr, emb) frames; DeepSORT's data sets carry embeddings (a
    constant unit 128-d vector where the data has none)."""
    arrs = [a for s in seqs for a, _ in s]
    frame_starts = np.concatenate([[0], np.cumsum([len(a) for a in arrs])])
    seq_starts = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])
    out = {"dets": np.concatenate(arrs).reshape(-1, 5), "frame_starts": frame_starts,
           "seq_starts": seq_starts, "skip": np.array(skip)}
    if with_emb:
        embs = [e for s in seqs for _, e in s]
        if embs[0] is None:
            const = np.full(128, 128 ** -0.5, np.float32)
            out["emb"] = np.tile(const, (int(frame_starts[-1]), 1))
        else:
            out["emb"] = np.concatenate(embs).astype(np.float32)
    np.savez(path, **out)
    return int(seq_starts[-1]) - skip * len(seqs)


def _data_sets(names, kinds, tmp: Path) -> dict:
    """{(data, with_emb): (path, frames)} for the requested data sets."""
    sys.path.insert(0, str(ROOT / "eval"))
    import bench_trackers as bt
    out = {}
    for name in names:
        if name == "mot15":
            seqs = [bt.mot_frames(p) for p in sorted((SHARED / "data/MOT15/train").glob("*/det/det.txt"))]
        elif name == "yolox":
            seqs = [bt.mot_frames(p) for p in sorted((SHARED / "data/MOT17/dets/yolox_x_ablation").glob("*.txt"))]
        elif name == "mot17emb":
            seqs = [bt.mot_frames(None, min_score=0.3, embeddings=np.load(p))
                    for p in sorted((SHARED / "data/MOT17/embeddings/deepsort").glob("*.npy"))]
        elif name == "synth500":
            seqs = [bt.synthetic_frames(500, 150, seed=500)]
        else:
            raise SystemExit(f"--data: unknown data set {name!r}; expected one of {', '.join(DATA)}")
        if not seqs:
            continue
        skip = 10 if name == "synth500" else 0
        for with_emb in sorted({k == "deepsort" for k in kinds}):
            if name == "mot17emb" and not with_emb:
                continue
            path = tmp / f"{name}{'-emb' if with_emb else ''}.npz"
            out[(name, with_emb)] = (path, _save(path, seqs, with_emb, skip))
    return out


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
    ap.add_argument("--trackers", default="sort,bytetrack,deepsort,botsort,ocsort")
    ap.add_argument("--data", default="mot15,yolox,mot17emb,synth500",
                    help=f"data sets (comma-separated): {', '.join(DATA)}")
    ap.add_argument("--no-peers-on", default="synth500",
                    help="data sets where only mottrack is timed (default: synth500, where the peers "
                         "take 10-50 ms a frame)")
    ap.add_argument("--commits", default="", help="older commits to measure beside this tree (comma-separated)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, help="also write the table as Markdown here")
    ap.add_argument("--cache-root", help="keep the kernel caches here (default: a temporary folder)")
    ap.add_argument("--worker", nargs=4, metavar=("KIND", "IMPL", "DATA", "FRAMES"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return
    kinds = [k for k in args.trackers.split(",") if k]
    names = [d for d in args.data.split(",") if d]
    commits = [c for c in args.commits.split(",") if c]
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        data_sets = _data_sets(names, kinds, tmp)
        caches = Path(args.cache_root) if args.cache_root else tmp
        trees = [("this tree", str(ROOT), str(caches / "cache-here"))]
        for c in commits:
            rev = _extract(c, caches)
            trees.append((f"at {rev}", str(caches / rev), str(caches / f"cache-{rev}")))
        runs = []  # (kind, data, label, env, impl)
        for kind in kinds:
            for name in names:
                if (name, kind == "deepsort") not in data_sets:
                    continue
                for label, path, cache in trees:
                    if (Path(path) / "mottrack" / "trackers" / FILES[kind]).exists():
                        runs.append((kind, name, f"mottrack {label}",
                                     dict(os.environ, PYTHONPATH=path, MOTTRACK_CACHE_DIR=cache), "mottrack"))
                for p in PEERS.get(kind, []) if name not in args.no_peers_on.split(",") else []:
                    runs.append((kind, name, p, dict(os.environ, PYTHONPATH=str(ROOT)), p))
        results: dict = {}
        for r in range(args.repeats):
            for kind, name, label, env, impl in runs:
                path = data_sets[(name, kind == "deepsort")][0]
                out = subprocess.run([sys.executable, __file__, "--worker", kind, impl, name, str(path)],
                                     env=env, capture_output=True, text=True, cwd=tmp_s)
                key = (kind, name, label)
                if out.returncode != 0:
                    last = (out.stderr.strip().splitlines() or ["?"])[-1]
                    results.setdefault(key, []).append(None)
                    print(f"repeat {r + 1}: {kind} {name} {label}: failed ({last[:80]})", flush=True)
                    continue
                us = json.loads(out.stdout.strip().splitlines()[-1])["median_us"]
                results.setdefault(key, []).append(us)
                print(f"repeat {r + 1}: {kind} {name} {label}: {us:.1f} us", flush=True)
    lines = ["# Per-frame update time: this tree, older commits, peers", "",
             "Median us per `update()` (input conversion included; DeepSORT: `Detections` built "
             "in the call) per worker, median over "
             f"{args.repeats} interleaved repeats; one core (`taskset -c 1`). Ratio: to the "
             "fastest peer / to each older commit, per repeat, then the median. Data: "
             + "; ".join(f"{n} = {DATA[n]} ({data_sets[k][1]} frames)" for n in names
                         for k in data_sets if k[0] == n and k[1] == (n == "mot17emb")) + ".", "",
             "| tracker | data | implementation | median us | per repeat | vs fastest peer |"
             + "".join(f" vs {label} |" for label, _, _ in trees[1:]),
             "|---|---|---|---:|---|---:|" + "---:|" * (len(trees) - 1)]
    for kind in kinds:
        for name in names:
            keys = [(k, n, lab) for k, n, lab, _, _ in runs if k == kind and n == name]
            if not keys:
                continue
            peer = [results.get((kind, name, p), []) for p in PEERS.get(kind, [])]
            peer = [p for p in peer if p and None not in p]
            fastest = [min(vals) for vals in zip(*peer)] if peer else None
            for key in keys:
                label = key[2]
                vals = results.get(key, [])
                if not vals or None in vals:
                    lines.append(f"| {kind} | {name} | {label} | failed | | |" + " |" * (len(trees) - 1))
                    continue
                vs_peer = f"{np.median([v / f for v, f in zip(vals, fastest)]):.2f}" if fastest else "-"
                vs_old = ""
                for old_label, _, _ in trees[1:]:
                    old = results.get((kind, name, f"mottrack {old_label}"))
                    ok = old and None not in old and label.startswith("mottrack")
                    vs_old += f" {np.median([v / o for v, o in zip(vals, old)]):.2f} |" if ok else " - |"
                lines.append(f"| {kind} | {name} | {label} | {np.median(vals):.1f} | "
                             f"{', '.join(f'{v:.1f}' for v in vals)} | {vs_peer} |{vs_old}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
