"""Full evaluation of mottrack's trackers on ../shared/data; writes eval/results/full_eval.md.

Datasets (MOTChallenge train splits, scored with mottrack's TrackEval-exact metrics):

* MOT15, all 11 sequences, the SORT paper's Faster R-CNN detections (``det/det.txt``);
* MOT17 public detections: the 7 FRCNN sequences and the 7 DPM sequences;
* MOT17 half-val: MOT17-02/04/05/09 with the YOLOX-X ablation detections of the ByteTrack
  paper, frames N//2+2 .. N (the detector was trained on the first half);
* DeepSORT on the re-identification embedding files (MOT17-05/09-FRCNN, detections from the
  ``.npy`` files), with SORT and ByteTrack on the same detections for comparison.

Every registered tracker runs with its default parameters, its class's default minimum score
(printed in each table) and each sequence's own frame rate (seqinfo.ini: MOT17 has 14, 25 and
30 fps sequences; column "fps"); the MOT17 half-val section also shows every tracker at a fixed
30 fps (the rate the reference implementations assume) for comparison.

Usage: ``python eval/run_full_eval.py [--shared ../shared] [--out eval/results/full_eval.md] [--jobs N]``
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mottrack.eval.api import DEFAULT_MIN_SCORE, available, evaluate  # noqa: E402
from mottrack.eval.budget import (budget_report, format_budget, machine_info,  # noqa: E402
                                  scaling_curve)


def _datasets(shared: Path):
    d = shared / "data"
    m17 = d / "MOT17"
    frcnn = [f"MOT17-{n:02d}-FRCNN" for n in (2, 4, 5, 9, 10, 11, 13)]
    dpm = [s.replace("FRCNN", "DPM") for s in frcnn]
    half = [f"MOT17-{n:02d}-FRCNN" for n in (2, 4, 5, 9)]
    # trackers None: every registered tracker that can run on the data
    return [
        ("MOT15 (SORT paper Faster R-CNN detections)", dict(data=d / "MOT15"), None),
        ("MOT17 public FRCNN detections", dict(data=m17, seqs=frcnn), None),
        ("MOT17 public DPM detections", dict(data=m17, seqs=dpm), None),
        (HALF_VAL,
         dict(data=m17, seqs=half, det_file=m17 / "dets" / "yolox_x_ablation", frames="second-half"),
         None),
        ("MOT17 DeepSORT embeddings (FRCNN detections from the .npy files)",
         dict(data=m17, seqs=["MOT17-05-FRCNN", "MOT17-09-FRCNN"],
              embeddings=m17 / "embeddings" / "deepsort"), None),
    ]


HALF_VAL = "MOT17 half-val, YOLOX-X ablation detections (frames N//2+2..N)"


def _md_table(res) -> str:
    cols = ("MOTA", "IDF1", "HOTA", "DetA", "AssA", "IDSW", "FP", "FN", "MT", "ML", "Rcll",
            "Prcn", "FPS")
    rate = {s.name: f"{s.frame_rate:g}" for s in res.sequences}
    out = ["| tracker | sequence | fps | " + " | ".join(cols) + " |",
           "|---|---|---:|" + "---:|" * len(cols)]
    for r in res.table(cols):
        bold = r["sequence"] == "COMBINED"
        cells = []
        for c in cols:
            v = r[c]
            if v is None:
                s = "-"
            elif c in ("IDSW", "FP", "FN", "MT", "ML"):
                s = str(int(v))
            elif c == "FPS":
                s = f"{v:.0f}"
            else:
                s = f"{v:.1f}"
            cells.append(f"**{s}**" if bold else s)
        seq = f"**{r['sequence']}**" if bold else r["sequence"]
        fr = "" if bold else rate.get(r["sequence"], "")
        out.append(f"| {r['tracker']} | {seq} | {fr} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "full_eval.md")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (numbers unchanged)")
    args = ap.parse_args(argv)
    if not (args.shared / "data").is_dir():
        print(f"shared data not found: {args.shared / 'data'}", file=sys.stderr)
        return 1
    avail = available()
    info = machine_info()
    t_all = time.perf_counter()
    sections, summary = [], []
    all_lat, all_obj = {}, {}
    fixed30 = None
    halfval_results: list = []
    for title, kw, trackers in _datasets(args.shared):
        data = kw.pop("data")
        t0 = time.perf_counter()
        res = evaluate(data, trackers=trackers, progress=True, jobs=args.jobs, **kw)
        trackers = list(res.trackers)
        dt = time.perf_counter() - t0
        if title == HALF_VAL:
            halfval_results.append(res)
            fixed30 = evaluate(res.sequences, trackers=trackers, jobs=args.jobs,
                               params={t: {"frame_rate": 30.0} for t in trackers})
        print(f"{title}: {dt:.1f} s", file=sys.stderr)
        print(res.format_table(), file=sys.stderr)
        ms = ", ".join(f"{t} {res.trackers[t].min_score if res.trackers[t].min_score is not None else 'none'}"
                       for t in trackers)
        nfr = sum(s.num_eval_frames for s in res.sequences)
        sections.append(f"## {title}\n\n{len(res.sequences)} sequences, {nfr} frames, benchmark "
                        f"rules {res.sequences[0].benchmark}; minimum detection score: {ms}; "
                        f"time {dt:.1f} s (tracking + scoring).\n\n{_md_table(res)}\n")
        for t in trackers:
            c = res.trackers[t].summary(None)
            summary.append((title, t, c["MOTA"], c["IDF1"], c["HOTA"]))
            all_lat.setdefault(t, []).extend(r.latency_ns for r in res.trackers[t].runs.values())
            all_obj.setdefault(t, []).extend(r.num_dets for r in res.trackers[t].runs.values())
    total = time.perf_counter() - t_all
    scaling = {t: scaling_curve(t) for t in all_lat}
    rows = budget_report(all_lat, all_obj, scaling=scaling)
    lines = [
        "# mottrack full evaluation",
        "",
        "Generated by `python eval/run_full_eval.py` on the MOTChallenge train data in "
        "`../shared/data` (see `../shared/README.md`). Metrics: mottrack's TrackEval-exact "
        "implementation (CLEAR, Identity, HOTA; MOTChallenge preprocessing). Trackers run with "
        "default parameters and their default minimum detection score "
        f"({', '.join(f'{k} {v}' for k, v in DEFAULT_MIN_SCORE.items())}; None = all). "
        "FPS = frames per second of `update()` alone on this machine (one core, no detector). "
        "Note on DPM: its public detection scores are not probabilities (they range from -0.5 to "
        "about 3), so the default thresholds keep a different share of them (SORT's 0.5 keeps "
        "about a third); the DPM rows show the defaults as a user would get them, not tuned "
        "values.",
        "",
        f"Machine: {info['cpu']} ({info['machine']}, {info['cores']} cores), "
        f"Python {info['python']}, NumPy {info['numpy']}, Numba {info['numba']}; "
        f"{info['platform']}. Trackers available: {', '.join(avail)}.",
        "",
        f"Total time of the full evaluation: **{total:.1f} s** (tracking all frames with every "
        "tracker and scoring; with the Numba cache warm -- a first run after installing or "
        "editing the package adds the one-time compilation, about a minute here).",
        "",
        "## Summary (COMBINED)",
        "",
        "| dataset | tracker | MOTA | IDF1 | HOTA |",
        "|---|---|---:|---:|---:|",
    ]
    for title, t, a, b, c in summary:
        f = (lambda v: "-" if v is None else f"{v:.1f}")
        lines.append(f"| {title} | {t} | {f(a)} | {f(b)} | {f(c)} |")
    lines.append("")
    if fixed30 is not None:
        lines += ["## MOT17 half-val: every tracker at each sequence's frame rate", "",
                  "Each tracker gets its sequence's `frameRate` from seqinfo.ini (MOT17-05: 14 fps, "
                  "MOT17-02/04/09: 30 fps), which scales every frame-counted age "
                  "(e.g. ByteTrack's lost-track buffer int(frame_rate / 30 * track_buffer)). "
                  "COMBINED metrics, per-sequence rates vs a fixed 30 fps (`--param "
                  "NAME.frame_rate=30`):", "",
                  "| tracker | MOTA | IDF1 | HOTA | IDSW | MOTA @30 | IDF1 @30 | HOTA @30 | IDSW @30 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        half = next(r for r in halfval_results if r is not None)
        for t in half.trackers:
            a, b = half.trackers[t].summary(None), fixed30.trackers[t].summary(None)
            lines.append(f"| {t} | " + " | ".join(
                f"{d[k]:.1f}" if k != "IDSW" else str(d[k])
                for d in (a, b) for k in ("MOTA", "IDF1", "HOTA", "IDSW")) + " |")
        lines.append("")
    lines.extend(sections)
    lines += ["## CPU budget over all frames above (ARTPEC estimates)", "", "```",
              format_budget(rows), "```", "",
              "Scaling run behind 'largest count' (synthetic scenes, simulated detections; "
              "host milliseconds per `update()`, median / p99):", "",
              "| tracker | " + " | ".join(f"scene {c}" for c in
                                           next(iter(scaling.values()))["counts"]) + " |",
              "|---|" + "---:|" * len(next(iter(scaling.values()))["counts"])]
    for t, sc in scaling.items():
        lines.append(f"| {t} | " + " | ".join(
            f"{o:.0f} obj: {a:.3f} / {b:.3f}" for o, a, b in
            zip(sc["objects"], sc["p50_ms"], sc["p99_ms"])) + " |")
    lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out} ({total:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
