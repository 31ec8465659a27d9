"""Per-frame ``update()`` latency of mottrack's trackers, with peer implementations beside them.

Protocol (the same for every implementation, one core, one process):
- each frame's detections are given as the (N, 5) float64 array x1, y1, x2, y2, score a
  detector adapter would hand over; the timed region is one ``update()`` call *including*
  the conversion of that array into the implementation's input type;
- real sequences: every frame of every MOT15 train sequence with SORT's detections (~7 objects
  per frame), the MOT17 YOLOX detections (dense, low-score tail; ByteTrack), the DeepSORT
  embedding files (DeepSORT); synthetic: 10..500 objects moving across a 1920x1080 frame;
- medians and p99 over all frames after one warm-up pass; ratios are what to compare, since
  the machine is shared and noisy.

Peers are measured only when installed (they are not dependencies): pyxtrackers (Cython),
trackforge (Rust), edgefirst-tracker (Rust), roboflow ``trackers`` (Python: OC-SORT, BoT-SORT).

Usage: ``python eval/bench_trackers.py [--quick] [--trackers a,b] [--no-startup] [--clock wall|thread] [--out FILE]``
(``--clock thread`` times each call in CPU time of the calling thread instead of wall time: on
a machine where other processes share the pinned core, a call longer than the scheduler's
time slice is otherwise inflated by the time the core spends on them.)
(``--trackers hybridsort`` times Hybrid-SORT beside mottrack's OC-SORT on the same data.)
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

import mottrack  # noqa: E402


# ----------------------------------------------------------------------------- data
def mot_frames(det_path: Path, min_score: float = -np.inf, xywh: bool = True, embeddings=None):
    det = np.loadtxt(det_path, delimiter=",", ndmin=2) if embeddings is None else embeddings
    det = det[np.argsort(det[:, 0], kind="stable")]
    n = int(det[:, 0].max())
    starts = np.searchsorted(det[:, 0], np.arange(1, n + 2))
    frames = []
    for f in range(n):
        d = det[starts[f]:starts[f + 1]]
        d = d[d[:, 6] >= min_score]
        arr = np.ascontiguousarray(d[:, 2:7], dtype=np.float64)
        if xywh:
            arr[:, 2:4] += arr[:, 0:2]
        emb = None
        if embeddings is not None:
            order = np.argsort(-d[:, 6], kind="stable")
            arr = np.ascontiguousarray(arr[order])
            emb = np.ascontiguousarray(d[order, 7:], dtype=np.float32)
        frames.append((arr, emb))
    return frames


def synthetic_frames(n_objects: int, n_frames: int, seed: int = 0, emb_dim: int = 0):
    rng = np.random.default_rng(seed)
    W, H = 1920.0, 1080.0
    size = rng.uniform(20, 60, (n_objects, 2)) * np.array([1.0, 2.0])
    pos = rng.uniform(0, 1, (n_objects, 2)) * (np.array([W, H]) - size)
    vel = rng.normal(0, 2, (n_objects, 2))
    ident = rng.normal(size=(n_objects, emb_dim)).astype(np.float32) if emb_dim else None
    frames = []
    for _ in range(n_frames):
        pos += vel
        bounce = (pos < 0) | (pos + size > np.array([W, H]))
        vel[bounce] *= -1
        pos = np.clip(pos, 0, np.array([W, H]) - size)
        jitter = rng.normal(0, 1.0, (n_objects, 4))
        boxes = np.hstack([pos, pos + size]) + jitter
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        keep = rng.random(n_objects) > 0.05
        arr = np.column_stack([boxes, rng.uniform(0.5, 1.0, n_objects)])[keep]
        emb = None
        if emb_dim:
            e = ident[keep] + rng.normal(0, 0.3, (keep.sum(), emb_dim)).astype(np.float32)
            emb = e / np.linalg.norm(e, axis=1, keepdims=True)
        frames.append((np.ascontiguousarray(arr), emb))
    return frames


# ----------------------------------------------------------------------------- implementations
def _ours(name, **params):
    def make():
        tracker = mottrack.create_tracker(name, **params)
        if name == "deepsort":
            def step(arr, emb):
                return tracker.update(mottrack.Detections(arr[:, :4], arr[:, 4], embeddings=emb))
        else:
            def step(arr, emb):
                return tracker.update(arr)
        return step
    return make


def _pyx_sort():
    from pyxtrackers import Sort
    def make():
        t = Sort(max_age=1, min_hits=3, iou_threshold=0.3)
        return lambda arr, emb: t.update(arr)
    return make


def _pyx_bytetrack(**kw):
    from pyxtrackers import BYTETracker
    def make():
        t = BYTETracker(**kw)
        return lambda arr, emb: t.update(arr)
    return make


def _tf_input(arr):
    return [([r[0], r[1], r[2] - r[0], r[3] - r[1]], r[4], 0) for r in arr.tolist()]


def _tf_sort():
    from trackforge import SORT
    def make():
        t = SORT(max_age=1, min_hits=3, iou_threshold=0.3)
        return lambda arr, emb: t.update(_tf_input(arr))
    return make


def _tf_bytetrack(track_thresh, match_thresh):
    from trackforge import BYTETRACK
    def make():
        t = BYTETRACK(track_thresh=track_thresh, track_buffer=30, match_thresh=match_thresh,
                      det_thresh=track_thresh + 0.1)
        return lambda arr, emb: t.update(_tf_input(arr))
    return make


def _tf_deepsort():
    from trackforge import DEEPSORT
    def make():
        t = DEEPSORT(max_age=30, n_init=3, max_iou_distance=0.7, max_cosine_distance=0.2, nn_budget=100)
        return lambda arr, emb: t.update(_tf_input(arr), emb.tolist())
    return make


def _edgefirst_bytetrack():
    from edgefirst.tracker import ByteTrack
    def make():
        t = ByteTrack()
        clock = [0]
        def step(arr, emb):
            clock[0] += 33_333_333
            return t.update(arr[:, :4], arr[:, 4], np.zeros(len(arr), np.int64), clock[0])
        return step
    return make


def _pyx_ocsort(det_thresh):
    from pyxtrackers import OCSort
    def make():
        t = OCSort(det_thresh=det_thresh, max_age=30, min_hits=3, iou_threshold=0.3, delta_t=3,
                   asso_func="iou", inertia=0.2, use_byte=False)
        return lambda arr, emb: t.update(arr)
    return make


def _tf_ocsort():
    from trackforge import OCSORT
    def make():  # trackforge's OC-SORT has no detection threshold parameter
        t = OCSORT(max_age=30, min_hits=3, iou_threshold=0.3, delta_t=3, inertia=0.2)
        return lambda arr, emb: t.update(_tf_input(arr))
    return make


def _rf_ocsort(det_thresh):
    import supervision as sv
    from trackers import OCSORTTracker
    def make():
        t = OCSORTTracker(lost_track_buffer=30, frame_rate=30.0, minimum_consecutive_frames=3,
                          minimum_iou_threshold=0.3, direction_consistency_weight=0.2,
                          high_conf_det_threshold=det_thresh, delta_t=3)
        return lambda arr, emb: t.update(sv.Detections(xyxy=arr[:, :4], confidence=arr[:, 4]))
    return make


def implementations(kind: str, thresholds=(0.5, 0.8)):
    """(label, factory) pairs for one tracker kind; peers only when importable."""
    impls = []
    if kind == "sort":
        impls.append(("mottrack SORT", _ours("sort", max_age=1, min_hits=3, iou_threshold=0.3)))
        peers = [("pyxtrackers Sort (Cython)", _pyx_sort), ("trackforge SORT (Rust)", _tf_sort)]
    elif kind == "bytetrack":
        tt, mt = thresholds
        impls.append(("mottrack ByteTrack", _ours("bytetrack", track_thresh=tt, match_thresh=mt,
                                                   track_buffer=30, frame_rate=30)))
        peers = [("pyxtrackers BYTETracker (Cython)", lambda: _pyx_bytetrack(track_thresh=tt, match_thresh=mt)),
                 ("trackforge BYTETRACK (Rust)", lambda: _tf_bytetrack(tt, mt)),
                 ("edgefirst-tracker ByteTrack (Rust)", _edgefirst_bytetrack)]
    elif kind == "ocsort":
        dt = thresholds[0]
        impls.append(("mottrack OCSORT", _ours("ocsort", det_thresh=dt, max_age=30, min_hits=3,
                                               iou_threshold=0.3, delta_t=3, inertia=0.2)))
        peers = [("pyxtrackers OCSort (Cython)", lambda: _pyx_ocsort(dt)),
                 ("trackforge OCSORT (Rust)", _tf_ocsort),
                 ("roboflow trackers OCSORTTracker (Python)", lambda: _rf_ocsort(dt))]
    elif kind == "hybridsort":
        # boxmot's hybridsort is not measured: boxmot 25.0.0 installs with --no-deps, but its
        # HybridSort imports torch at module level (boxmot/trackers/base.py,
        # boxmot/structures/geometry.py); see eval/results/bench_hybridsort.md
        dt = thresholds[0]
        impls.append(("mottrack HybridSORT", _ours("hybridsort", det_thresh=dt)))
        impls.append(("mottrack OCSORT", _ours("ocsort", det_thresh=dt, max_age=30, min_hits=3,
                                               iou_threshold=0.3, delta_t=3, inertia=0.2)))
        peers = []
    elif kind == "deepsort":
        impls.append(("mottrack DeepSORT", _ours("deepsort", max_cosine_distance=0.2, nn_budget=100)))
        peers = [("trackforge DEEPSORT (Rust)", _tf_deepsort)]
    else:
        raise ValueError(kind)
    for label, factory in peers:
        try:
            impls.append((label, factory()))
        except Exception:  # not installed
            pass
    return impls


# ----------------------------------------------------------------------------- BoT-SORT
# Each BoT-SORT step takes (arr, emb or None, warp (2, 3) or None).
def _ours_botsort(**params):
    def make():
        t = mottrack.BoTSORT(**params)
        def step(arr, emb, warp):
            x = arr if emb is None else mottrack.Detections(arr[:, :4], arr[:, 4], embeddings=emb)
            return t.update(x, camera_motion=warp)
        return step
    return make


def _tf_botsort():
    from trackforge import BOTSORT
    def make():
        t = BOTSORT(track_thresh=0.6, track_buffer=30, match_thresh=0.8, det_thresh=0.7,
                    second_match_thresh=0.5, proximity_thresh=0.5, appearance_thresh=0.25)
        def step(arr, emb, warp):
            e = [] if emb is None else emb.tolist()
            if warp is None:
                return t.update(_tf_input(arr), e)
            return t.update(_tf_input(arr), e, warp.reshape(-1).tolist())
        return step
    return make


def _rf_botsort():
    """roboflow ``trackers`` BoTSORTTracker; its image-based CMC is replaced by the given
    warp (its ``estimate`` returns it), it has no appearance term."""
    import supervision as sv
    from trackers import BoTSORTTracker
    dummy = np.zeros((2, 2, 3), np.uint8)
    def make():
        t = BoTSORTTracker(track_activation_threshold=0.7, high_conf_det_threshold=0.6,
                           minimum_iou_threshold_first_assoc=0.2, minimum_iou_threshold_second_assoc=0.5,
                           minimum_iou_threshold_unconfirmed_assoc=0.3, enable_cmc=True)
        current = [None]
        t.cmc.estimate = lambda frame, boxes=None: current[0]
        def step(arr, emb, warp):
            if emb is not None:
                raise TypeError("no appearance term")
            current[0] = warp
            d = sv.Detections(xyxy=arr[:, :4].copy(), confidence=arr[:, 4].copy(),
                              class_id=np.zeros(len(arr), int))
            return t.update(d, frame=None if warp is None else dummy)
        return step
    return make


def botsort_implementations():
    impls = [("mottrack BoTSORT", _ours_botsort()),
             # the peers report the matched detection's box: this is the setting whose output
             # theirs agrees with (trackforge 99.7%, roboflow 96% of rows on MOT15)
             ("mottrack BoTSORT output_box=detection", _ours_botsort(output_box="detection"))]
    for label, factory in [("trackforge BOTSORT (Rust)", _tf_botsort),
                           ("roboflow trackers BoTSORTTracker (numpy)", _rf_botsort)]:
        try:
            impls.append((label, factory()))
        except Exception:  # not installed
            pass
    return impls


def _with_motion(frames, seed, emb_dim=0):
    """BoT-SORT inputs (arr, emb, warp): a small random camera shake per frame (or the
    embeddings the frames carry / random unit ones for timing)."""
    rng = np.random.default_rng(seed)
    out = []
    for arr, emb in frames:
        c, s = np.cos(rng.normal(0, 1e-3)), np.sin(rng.normal(0, 1e-3))
        w = np.array([[c, -s, rng.normal(0, 2)], [s, c, rng.normal(0, 2)]])
        if emb_dim and emb is None:
            e = rng.normal(size=(len(arr), emb_dim)).astype(np.float32)
            emb = e / np.linalg.norm(e, axis=1, keepdims=True)
        out.append((arr, emb if emb_dim else None, w))
    return out


def botsort_section(emit, datasets, quick):
    """BoT-SORT beside its peers: real sequences and 40 / 500 synthetic objects, each
    without and with camera motion and with and without embeddings."""
    cases = []
    for dname in ("MOT15 (SORT's dets, 11 seqs)", "MOT17 YOLOX (all scores)"):
        if dname in datasets:
            cases.append((dname, datasets[dname]))
    n_frames = 60 if quick else 150
    for n in (40, 500):
        cases.append((f"synthetic {n} objects", [synthetic_frames(n, n_frames, seed=n)]))
    emit("## BoT-SORT (camera motion: a random shake per frame; embeddings: 128-d)")
    emit()
    emit("| tracker | data | camera motion | embeddings | frames | median us | p99 us | frames/s |")
    emit("|---|---|---|---|---:|---:|---:|---:|")
    for dname, seqs in cases:
        for emb_dim in (0, 128):
            inputs = [_with_motion(fr, seed=k, emb_dim=emb_dim) for k, fr in enumerate(seqs)]
            for use_warp in (False, True):
                for label, make in botsort_implementations():
                    seqs_in = [[(a, e, w if use_warp else None) for a, e, w in fr] for fr in inputs]
                    try:
                        ns = time_sequences(make, seqs_in, repeats=1 if quick else 2)
                    except Exception as e:  # a peer that cannot take this input
                        emit(f"| {label} | {dname} | {'yes' if use_warp else 'no'} | "
                             f"{emb_dim or 'no'} | - | n/a: {type(e).__name__}: {str(e)[:40]} | | |")
                        continue
                    med, p99, fps = summary(ns)
                    emit(f"| {label} | {dname} | {'yes' if use_warp else 'no'} | {emb_dim or 'no'} | "
                         f"{len(ns)} | {med:.1f} | {p99:.1f} | {fps:,.0f} |")
    emit()


# ----------------------------------------------------------------------------- timing
CLOCK = time.perf_counter_ns


def time_sequences(make, sequences, repeats=2):
    """Per-frame ns over all frames of all sequences (best of ``repeats`` passes per frame);
    each frame is the tuple of arguments of one ``step`` call."""
    times = []
    warm = make()
    for item in sequences[0][:50]:  # compile / load kernels outside the timed region
        warm(*item)
    for frames in sequences:
        best = None
        for _ in range(repeats):
            step = make()
            ts = np.empty(len(frames), np.int64)
            clock = CLOCK
            for i, item in enumerate(frames):
                t0 = clock()
                step(*item)
                ts[i] = clock() - t0
            best = ts if best is None else np.minimum(best, ts)
        times.append(best)
    return np.concatenate(times) if times else np.empty(0)


def summary(ns):
    us = ns / 1e3
    return np.median(us), np.percentile(us, 99), 1e6 / np.mean(us)


def startup_times():
    """First-call (compile) time with an empty cache, and warm-cache start in a fresh process."""
    code = ("import time; t0=time.perf_counter(); import numpy as np, mottrack; "
            "t1=time.perf_counter(); "
            "[mottrack.create_tracker(n).update(np.array([[0,0,10,20,0.9]]), ) for n in ('sort',)]; "
            "t2=time.perf_counter(); print(t1-t0, t2-t1)")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        for label in ("cold (empty cache)", "warm cache, fresh process"):
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            imp, first = map(float, r.stdout.split())
            out[label] = (imp, first)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sequences and frames")
    ap.add_argument("--out", type=Path, help="also write the tables as Markdown here")
    ap.add_argument("--trackers", default="sort,bytetrack,deepsort,ocsort,botsort")
    ap.add_argument("--objects", default="10,50,100,200,500", help="synthetic object counts")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up section")
    ap.add_argument("--clock", choices=("wall", "thread"), default="wall",
                    help="time calls in wall time (default) or in the thread's CPU time")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time_ns if args.clock == "thread" else time.perf_counter_ns
    kinds = [k for k in args.trackers.split(",") if k in mottrack.available_trackers()]
    lines = ["# Tracker benchmark", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, numpy {np.__version__}, "
             f"numba {mottrack._numba.numba.__version__}. Times in microseconds per `update()` "
             f"(input conversion included; {'thread CPU' if args.clock == 'thread' else 'wall'} time); "
             "one core.", ""]

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    mot15 = sorted((SHARED / "data/MOT15/train").glob("*/det/det.txt"))
    if args.quick:
        mot15 = mot15[:4]
    datasets = {}
    if mot15:
        datasets["MOT15 (SORT's dets, 11 seqs)"] = [mot_frames(p) for p in mot15]
    yolox = sorted((SHARED / "data/MOT17/dets/yolox_x_ablation").glob("*.txt"))
    if yolox:
        datasets["MOT17 YOLOX (all scores)"] = [mot_frames(p) for p in (yolox[:1] if args.quick else yolox)]
    npys = sorted((SHARED / "data/MOT17/embeddings/deepsort").glob("*.npy"))
    if npys:
        datasets["MOT17 DeepSORT .npy (score >= 0.3)"] = [
            mot_frames(None, min_score=0.3, embeddings=np.load(p)) for p in npys]
    use = {"sort": ["MOT15 (SORT's dets, 11 seqs)"],
           "ocsort": ["MOT15 (SORT's dets, 11 seqs)", "MOT17 YOLOX (all scores)"],
           "hybridsort": ["MOT15 (SORT's dets, 11 seqs)", "MOT17 YOLOX (all scores)"],
           "bytetrack": ["MOT15 (SORT's dets, 11 seqs)", "MOT17 YOLOX (all scores)"],
           "deepsort": ["MOT17 DeepSORT .npy (score >= 0.3)"]}
    thresholds = {"MOT15 (SORT's dets, 11 seqs)": (0.5, 0.8), "MOT17 YOLOX (all scores)": (0.6, 0.9)}
    if "botsort" in kinds:
        botsort_section(emit, datasets, args.quick)
        kinds = [k for k in kinds if k != "botsort"]
    emit("## Real sequences")
    emit()
    emit("| tracker | data | frames | objects/frame | median us | p99 us | frames/s |")
    emit("|---|---|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for dname in use[kind]:
            if dname not in datasets:
                continue
            seqs = datasets[dname]
            nobj = np.mean([len(a) for s in seqs for a, _ in s])
            for label, make in implementations(kind, thresholds.get(dname, (0.5, 0.8))):
                if "DEEPSORT" in label and kind == "deepsort" and datasets[dname][0][0][1] is None:
                    continue
                try:
                    ns = time_sequences(make, seqs, repeats=1 if args.quick else 2)
                except Exception as e:  # a peer that cannot take this input
                    emit(f"| {label} | {dname} | - | - | failed: {type(e).__name__}: {str(e)[:60]} | | |")
                    continue
                med, p99, fps = summary(ns)
                emit(f"| {label} | {dname} | {len(ns)} | {nobj:.1f} | {med:.1f} | {p99:.1f} | {fps:,.0f} |")
    emit()
    emit("## Synthetic scaling (objects moving in 1920x1080, 5% missed per frame)")
    emit()
    emit("| tracker | objects | median us | p99 us |")
    emit("|---|---:|---:|---:|")
    n_frames = 60 if args.quick else 150
    for kind in kinds:
        for n in [int(x) for x in args.objects.split(",") if x]:
            frames = synthetic_frames(n, n_frames, seed=n, emb_dim=128 if kind == "deepsort" else 0)
            for label, make in implementations(kind):
                try:
                    ns = time_sequences(make, [frames], repeats=1)[10:]
                except Exception as e:
                    emit(f"| {label} | {n} | failed: {type(e).__name__} | |")
                    continue
                med, p99, _ = summary(ns)
                emit(f"| {label} | {n} | {med:.1f} | {p99:.1f} |")
    if not args.no_startup:
        emit()
        emit("## Start-up (fresh process; SORT)")
        emit()
        emit("| case | import s | first update s |")
        emit("|---|---:|---:|")
        for label, (imp, first) in startup_times().items():
            emit(f"| {label} | {imp:.2f} | {first:.3f} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
