"""Trials per minute of ``mottrack.eval tune`` on MOT17 half-val (ByteTrack, YOLOX-X ablation
detections, frames N//2+2..N), scored by mottrack's metrics and by TrackEval itself.

The same random search (same seed, so the same parameters trial by trial) runs twice: once
with mottrack's TrackEval-exact scorer, once writing each trial's results to files and
scoring them with the ``trackeval`` package (MotChallenge2DBox + HOTA/CLEAR/Identity, the
way a TrackEval-based search does it).  Both give the same objective values (checked).
Writes eval/results/tune.md.

Usage: ``python eval/bench_tune.py [--trials 30] [--trackeval-trials 8] [--jobs 1]``
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mottrack.eval.datasets import load_dataset  # noqa: E402
from mottrack.eval.result import write_tracker_results  # noqa: E402
from mottrack.eval.tune import (TuneSetup, parse_objective, parse_range, run_study,  # noqa: E402
                                run_trial, trial_rows)

SEQS = [f"MOT17-{n:02d}-FRCNN" for n in (2, 4, 5, 9)]
RANGES = ["track_thresh=0.4:0.8", "match_thresh=0.6:0.95", "track_buffer=10:60:int"]


class TrackEvalScorer:
    """Scores by writing MOTChallenge files and running the trackeval package on them."""

    def __init__(self, seqs, workdir: Path):
        import trackeval
        for alias, typ in (("float", float), ("int", int), ("bool", bool)):
            if not hasattr(np, alias):
                setattr(np, alias, typ)
        self.trackeval = trackeval
        self.work = workdir
        self.gt = workdir / "gt"
        for s in seqs:  # half-val gt folder, renumbered from 1 (as TrackEval is given it)
            d = self.gt / s.name
            (d / "gt").mkdir(parents=True)
            g = s.scoring_window(s.gt)
            rows = np.column_stack([g.frames, g.ids, g.boxes, g.scores, g.classes, g.visibility])
            (d / "gt" / "gt.txt").write_text("".join(
                f"{int(r[0])},{int(r[1])},{r[2]!r},{r[3]!r},{r[4]!r},{r[5]!r},{int(r[6])},"
                f"{int(r[7])},{r[8]!r}\n" for r in rows.tolist()))
            (d / "seqinfo.ini").write_text(f"[Sequence]\nname={s.name}\nseqLength="
                                           f"{s.num_eval_frames}\nframeRate={s.frame_rate:g}\n")

    def __call__(self, seqs, results):
        te = self.trackeval
        trk = self.work / "trackers" / "t"
        shutil.rmtree(trk, ignore_errors=True)
        for s in seqs:
            write_tracker_results(trk / f"{s.name}.txt", results[s.name], s.first_frame, True)
        cfg = te.datasets.MotChallenge2DBox.get_default_dataset_config()
        cfg.update({"GT_FOLDER": str(self.gt), "TRACKERS_FOLDER": str(trk.parent),
                    "TRACKERS_TO_EVAL": ["t"], "TRACKER_SUB_FOLDER": "", "BENCHMARK": "MOT17",
                    "SKIP_SPLIT_FOL": True, "SEQ_INFO": {s.name: None for s in seqs},
                    "PRINT_CONFIG": False, "OUTPUT_FOLDER": None})
        ev = te.Evaluator({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
                           "TIME_PROGRESS": False, "OUTPUT_SUMMARY": False,
                           "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                           "DISPLAY_LESS_PROGRESS": True, "OUTPUT_EMPTY_CLASSES": False})
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            res, _ = ev.evaluate([te.datasets.MotChallenge2DBox(cfg)],
                                 [te.metrics.HOTA(), te.metrics.CLEAR({"PRINT_CONFIG": False}),
                                  te.metrics.Identity({"PRINT_CONFIG": False})])
        c = res["MotChallenge2DBox"]["t"]["COMBINED_SEQ"]["pedestrian"]
        return {"HOTA": 100 * float(np.mean(c["HOTA"]["HOTA"])), "IDF1": 100 * c["Identity"]["IDF1"],
                "MOTA": 100 * c["CLEAR"]["MOTA"]}


def _search(setup, trials, jobs, scorer=None):
    with tempfile.TemporaryDirectory() as d:
        kw = {} if scorer is None else {"scorer": scorer}
        t0 = time.perf_counter()
        study = run_study(setup, out_dir=d, trials=trials, sampler="random", jobs=jobs, seed=0,
                          storage=f"journal:{Path(d) / 'j.log'}", **kw)
        dt = time.perf_counter() - t0
        rows = sorted(trial_rows(study), key=lambda r: r["trial"])
    return dt, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--trackeval-trials", type=int, default=8)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "tune.md")
    args = ap.parse_args(argv)
    m17 = args.shared / "data" / "MOT17"
    seqs = load_dataset(m17, seqs=SEQS, det_file=m17 / "dets" / "yolox_x_ablation",
                        frames="second-half")
    setup = TuneSetup("bytetrack", seqs, [parse_range(r) for r in RANGES],
                      parse_objective("HOTA"), {})
    run_trial(setup, {"track_thresh": 0.6, "match_thresh": 0.8, "track_buffer": 30})  # compile
    lines = []
    mt = {}
    for j in args.jobs:
        dt, rows = _search(setup, args.trials, j)
        mt[j] = rows
        lines.append(("mottrack (TrackEval-exact metrics)", j, len(rows), dt))
        print(f"mottrack scorer, jobs {j}: {len(rows)} trials in {dt:.1f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as w:
        te = TrackEvalScorer(seqs, Path(w))
        dt, te_rows = _search(setup, args.trackeval_trials, 1, te)
    lines.append(("trackeval package (files written, TrackEval scores them)", 1, len(te_rows), dt))
    print(f"trackeval scorer: {len(te_rows)} trials in {dt:.1f} s", file=sys.stderr)
    same = [(a["value"], b["value"]) for a, b in zip(mt[args.jobs[0]], te_rows)
            if all(a[k] == b[k] for k in a if k.startswith("param:"))]
    diff = max(abs(a - b) for a, b in same) if same else float("nan")
    from mottrack.eval.budget import machine_info
    info = machine_info()
    out = ["# Parameter search speed: `python -m mottrack.eval tune`", "",
           "Generated by `python eval/bench_tune.py` (ByteTrack on MOT17 half-val: MOT17-02/04/05/"
           "09, YOLOX-X ablation detections, frames N//2+2..N, 1503 frames per trial; random "
           f"search over {', '.join(RANGES)}; objective HOTA; Optuna journal storage).",
           "",
           f"Machine: {info['cpu']} ({info['machine']}, {info['cores']} cores, shared with other "
           "jobs while this ran), Python " f"{info['python']}.", "",
           "| scorer | processes | trials | seconds | trials / minute |", "|---|---:|---:|---:|---:|"]
    for name, j, n, dt in lines:
        out.append(f"| {name} | {j} | {n} | {dt:.1f} | {60 * n / dt:.1f} |")
    out += ["", f"The first {len(same)} trials drew the same parameters in both searches (same "
            f"seed); their objective values differ by at most {diff:.2e} HOTA points between the "
            "two scorers.", ""]
    args.out.write_text("\n".join(out))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
