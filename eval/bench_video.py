"""Pixels to tracks on real video: per-stage cost and accuracy of ``python -m mottrack track``.

Video: Debian opencv-doc's ``examples/data/vtest.avi`` (768x576, 10 fps, 795 frames), which is
the PETS09-S2L1 sequence of MOT15, scored against ``../shared/data/MOT15/train/PETS09-S2L1/gt``.

1. **Stages** (one core): the real command (decode with PyAV, letterbox, LiteRT with one
   thread, YOLOv5 decoder, ByteTrack, draw, H.264 encode) on the whole video; CPU ms per frame
   per stage (process CPU time, so encoder/decoder helper threads count) and end-to-end fps.
2. **Trackers**: the Axis model's detections (``yolov5n_artpec8.tflite``, person, score >= 0.1)
   computed once, then every registered tracker that needs no appearance embeddings, fed as
   the command feeds it (its own score gate and feed order; frame times from the container,
   frame_rate 10); beside the same trackers on the MOT15 detections of that sequence
   (Faster R-CNN of the SORT paper, through ``mottrack.eval``'s runner at the seqinfo rate, 7).

Run pinned to one core and write the results file::

    taskset -c 1 python eval/bench_video.py --out eval/results/video.md

``--trackers a,b`` skips the stage run and prints only the accuracy rows of those trackers
(same detections, same feeding, same scoring), e.g. to add a newly registered tracker's row.
"""
from __future__ import annotations

import argparse
import json
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
SEQ = "PETS09-S2L1"
VTEST = Path(os.environ.get("MOTTRACK_VTEST", "/usr/share/doc/opencv-doc/examples/data/vtest.avi"))
sys.path.insert(0, str(ROOT))


def stage_run(model: Path, tmp: Path) -> dict:
    """The command itself, in a fresh process, after a 20-frame run of the same command has
    put every kernel it uses into the cache (so no compilation is timed)."""
    js = tmp / "summary.json"
    cmd = [sys.executable, "-m", "mottrack", "track", str(VTEST), "--model", str(model), "--classes", "person",
           "--tracker", "bytetrack", "--threads", "1", "--out", str(tmp / "annotated.mp4"),
           "--mot-out", str(tmp / "res" / f"{SEQ}.txt"), "--metadata", str(tmp / "frames.jsonl"),
           "--gt", str(SHARED / "data" / "MOT15" / "train" / SEQ), "--json", str(js), "--no-progress", "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(cmd + ["--max-frames", "20"], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    out = json.loads(js.read_text())
    out["process_wall_s"] = time.perf_counter() - t0
    out["load"] = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    return out


def axis_detections(model: Path):
    from mottrack.io.detector import Detector
    from mottrack.video.source import open_source
    det = Detector(model, classes=["person"], score_threshold=0.1, threads=1)
    src = open_source(VTEST, threads=1)
    out = [(f.time, det(f.image)) for f in src]
    src.close()
    return out, src.frame_rate


def score(seq, rows: list) -> dict:
    from mottrack.eval.scoring import score_one
    from mottrack.io.mot import MotTable
    a = np.asarray(rows, np.float64).reshape(-1, 7)
    t = MotTable.from_arrays(a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2:6], a[:, 6])
    return score_one(seq, t).summary()


def track_axis(name: str, dets: list, frame_rate: float, seq) -> dict:
    from mottrack.registry import create_tracker, tracker_class
    from mottrack.video.track import tracker_input
    cls = tracker_class(name)
    trk = create_tracker(name, frame_rate=frame_rate)
    rows = []
    for k, (t, d) in enumerate(dets):
        o = trk.update(tracker_input(d, cls.default_min_score, cls.feed_order == "score"), timestamp=t)
        for x1, y1, x2, y2, tid, s, _c, _d in o.tolist():
            # as --mot-out writes them (2 decimals), so the scores equal the command's
            rows.append([k + 1, tid, float(f"{x1:.2f}"), float(f"{y1:.2f}"), float(f"{x2 - x1:.2f}"),
                         float(f"{y2 - y1:.2f}"), float(f"{s:.6g}")])
    return score(seq, rows)


def track_mot15(name: str, seq) -> dict:
    from mottrack.eval.run import run_tracker
    from mottrack.eval.scoring import score_one
    r = run_tracker(name, seq)
    return score_one(seq, r.results).summary()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write the markdown results here")
    ap.add_argument("--model", default=str(SHARED / "models" / "yolov5n_artpec8.tflite"))
    ap.add_argument("--trackers", help="comma-separated: only these trackers' accuracy rows (no stage run)")
    args = ap.parse_args()
    if not VTEST.is_file():
        print(f"bench_video: {VTEST} not found (apt-get install opencv-doc, or set MOTTRACK_VTEST)", file=sys.stderr)
        return 2
    from mottrack.eval.datasets import load_dataset
    from mottrack.registry import registered_trackers, tracker_class
    model = Path(args.model)
    if args.trackers:
        return _rows_only(model, args.trackers.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        st = stage_run(model, Path(tmp))
    print(json.dumps({k: st[k] for k in ("frames", "fps", "stage_cpu_ms_per_frame", "scores")}, indent=1))
    dets, rate = axis_detections(model)
    seq = load_dataset(SHARED / "data" / "MOT15" / "train" / SEQ)[0]
    rows = []
    for name in registered_trackers():
        if tracker_class(name).embeddings == "required":
            rows.append((name, None, None))
            continue
        a = track_axis(name, dets, rate, seq)
        m = track_mot15(name, seq)
        rows.append((name, a, m))
        print(name, {k: round(a[k], 4) for k in ("MOTA", "IDF1", "HOTA")},
              {k: round(m[k], 4) for k in ("MOTA", "IDF1", "HOTA")}, flush=True)
    by = {n: a for n, a, _ in rows}
    same = by.get("bytetrack") is not None and all(
        abs(by["bytetrack"][k] - st["scores"][k]) < 1e-12 for k in ("MOTA", "IDF1", "HOTA"))
    lines = _markdown(st, rows, same, model)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


def _rows_only(model: Path, names: list) -> int:
    """The accuracy rows of ``names`` as :func:`main` computes and formats them."""
    from mottrack.eval.datasets import load_dataset
    dets, rate = axis_detections(model)
    seq = load_dataset(SHARED / "data" / "MOT15" / "train" / SEQ)[0]
    rows = [(name, track_axis(name, dets, rate, seq), track_mot15(name, seq)) for name in names]
    print("\n".join(_markdown_rows(rows)))
    return 0


def _markdown_rows(rows: list) -> list:
    out = []
    for name, a, m in rows:
        if a is None:
            out.append(f"| {name} | needs appearance embeddings (no ReID model in `track`) | | | | | | | |")
            continue
        out.append(f"| {name} | {a['MOTA']:.1f} | {a['IDF1']:.1f} | {a['HOTA']:.1f} | "
                   f"{a['IDSW']} | {m['MOTA']:.1f} | {m['IDF1']:.1f} | {m['HOTA']:.1f} | "
                   f"{m['IDSW']} |")
    return out


def _markdown(st: dict, rows: list, same: bool, model: Path) -> list:
    cpu = st["stage_cpu_ms_per_frame"]
    wall = st["stage_ms_per_frame"]
    total_cpu = sum(cpu.values())
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:
        affinity = []
    import av
    out = [
        "# Pixels to tracks: `python -m mottrack track` on real video",
        "",
        f"`taskset -c 1 python eval/bench_video.py --out eval/results/video.md` (CPU affinity {affinity}; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, PyAV {av.__version__}, "
        f"encoder {st.get('video_codec')}). Video: opencv-doc's `vtest.avi` = MOT15 {SEQ}, 768x576, "
        f"10 fps, {st['frames']} frames; model `{model.name}` (LiteRT, 1 thread), letterbox 640x640, "
        "person, score >= 0.1; tracker ByteTrack (defaults, frame_rate 10 from the container).",
        "",
        "## Per-stage cost (one run of the command, whole video)",
        "",
        "| stage | CPU ms / frame | wall ms / frame |",
        "|---|---:|---:|",
    ]
    for k in ("decode", "preprocess", "inference", "postprocess", "track", "draw", "encode"):
        out.append(f"| {k} | {cpu.get(k, 0):.2f} | {wall.get(k, 0):.2f} |")
    out += [
        f"| **all stages** | **{total_cpu:.1f}** | {sum(wall.values()):.1f} |",
        "",
        f"End to end: {st['frames']} frames in {st['seconds']:.1f} s wall, {st['cpu_seconds']:.1f} s CPU "
        f"(loop only): **{st['frames'] / st['cpu_seconds']:.1f} frames per CPU second**, "
        f"{st['fps']:.1f} fps wall on this machine (load average {st.get('load', '?')} on "
        f"{os.cpu_count()} CPUs while measured: other jobs shared the machine, which inflates CPU "
        "times too; compare stages with each other rather than with other machines). Postprocess = the YOLOv5 decoder; track = tracker input "
        "preparation, `update()`, counters, metadata and MOT rows.",
        "",
        "## Accuracy on the real pixels vs the MOT15 detections",
        "",
        f"Scores against the MOT15 {SEQ} ground truth (TrackEval-exact, MOT15 rules; percentages). "
        "'Axis model': the detections above, each tracker fed as the command feeds it (its own "
        "score gate and feed order, container times). 'MOT15 dets': `det/det.txt` (Faster R-CNN "
        "of the SORT paper, scores >= 0.5) through `mottrack.eval`'s runner at the seqinfo rate (7 fps).",
        "",
        "| tracker | Axis model MOTA | IDF1 | HOTA | IDSW | MOT15 dets MOTA | IDF1 | HOTA | IDSW |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    out += _markdown_rows(rows)
    out += [
        "",
        f"The command's own ByteTrack run printed MOTA {st['scores']['MOTA']:.2f}, IDF1 "
        f"{st['scores']['IDF1']:.2f}, HOTA {st['scores']['HOTA']:.2f}; the bytetrack row "
        f"above (cached detections) {'equals it exactly' if same else 'DIFFERS from it'}.",
    ]
    return out


if __name__ == "__main__":
    sys.exit(main())
