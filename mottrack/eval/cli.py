"""Command line: ``python -m mottrack.eval`` (also installed as ``mottrack-eval``)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from ..registry import registered_trackers
from .errors import InputError
from .cli_args import (BENCHMARK_CHOICES, PROG, CliError, check_tracker_params, check_writable, parse_params,  # noqa: F401
                       parse_value as _parse_value, one_score as _one_score, min_score as _min_score, fraction as _fraction, jobs as _jobs, positive as _positive, add_output_args as _add_output_args, add_data_args as _add_data_args, split_csv as _split_csv, det_files as _det_files)

__all__ = ["main", "build_parser"]


_DESC = """\
Track MOTChallenge-format sequences with mottrack's trackers and score them with
the official MOTChallenge metrics (CLEAR: MOTA, MOTP, FP, FN, IDSW, MT/PT/ML, Frag;
Identity: IDF1, IDP, IDR; HOTA: DetA, AssA, LocA), computed exactly as TrackEval
does; then estimate whether each tracker fits the CPU budget of Axis ARTPEC cameras.

With no arguments, evaluates an embedded default in seconds (the very first run
also compiles the trackers with Numba, in parallel processes; minutes of CPU): the
TUD-Campus and TUD-Stadtmitte ground truth shipped inside the installed motmetrics
package plus a synthetic crowded scene, with SIMULATED detections (seeded detector
simulator: misses, box jitter, false positives, low-score tail, identity embeddings).

Other commands:
  %(prog)s score GT_ROOT RESULTS_DIR [--benchmark MOT17] ...
        score existing result files (RESULTS_DIR/<SEQ>.txt) of any tracker
  %(prog)s tune DATA_ROOT --tracker NAME --range NAME=LOW:HIGH ...
        parameter search (Optuna: grid, random, TPE), parallel and resumable
  %(prog)s calibrate [--write-profile FILE]
        time the fixed reference workload (run it on a camera; see --profile)
  %(prog)s count [DATA_ROOT] [--geometry FILE|DIR] ...
        counting accuracy of line crossings and zones
Run '%(prog)s COMMAND --help' for their options.
"""

_EPILOG = """\
trackers (from each tracker class's declared defaults):
{trackers}
  Every tracker runs at its sequence's frame rate (seqinfo.ini frameRate: MOT17 14, 25
  or 30 fps, MOT20 25, DanceTrack 20, KITTI 10); --param NAME.frame_rate=F overrides it.
  The reference implementations were run at their default 30 fps, so to run a tracker
  exactly as its original on MOTChallenge data: --param NAME.frame_rate=30, plus
  --min-score NAME=none when the original applies no score gate of its own (SORT: the
  SORT paper's detections were already cut at 0.5, so its gate changes nothing there).
  --min-score overrides the gates ('none' = keep all). The gates used are printed.

data layout:
  DATA_ROOT/<split>/<SEQ>/{{gt/gt.txt, det/det.txt, seqinfo.ini}} (or DATA_ROOT/<SEQ>/...,
  or one sequence folder): MOT15/16/17/20, DanceTrack (dancetrack/{{train,val,test}}),
  SportsMOT (sportsmot_publish/dataset/{{train,val,test}}); sequences without gt (test
  splits) are skipped with a note. KITTI tracking (--benchmark KITTI, detected from a
  label_02 folder): DATA_ROOT/label_02/<SEQ>.txt with lengths from
  DATA_ROOT/evaluate_tracking.seqmap[.SPLIT], or the MOT-converted layout
  DATA_ROOT/<split>/<SEQ>/{{seqinfo.ini, gt/gt.txt holding the label_02 lines}}; KITTI
  frames count from 0 in its files and from 1 in --frames and MOT-format det files;
  --out writes KITTI-format result files.
  --det-file NAME reads DATA_ROOT/.../<SEQ>/det/NAME; --det-file DIR reads DIR/<SEQ>.txt
  (DIR/MOT17-02.txt also serves MOT17-02-FRCNN); repeat --det-file (or separate with
  commas) to take each sequence's file from the first entry that has it.
  --embeddings DIR reads DIR/<SEQ>.npy (rows frame,-1,x,y,w,h,score,e1..eD); trackers that
  use embeddings then take detections and embeddings from it.

outputs (one layout whatever the number of trackers):
  --json: {{"trackers": {{NAME: {{"sequences": {{SEQ: {{...}}}}, "combined": {{...}},
  "min_score", "params", "backend"}}}}, "budget": [...]}} with MOTA MOTP IDF1 IDP IDR HOTA
  DetA AssA LocA (percent, 0-100 floats) and FP FN IDSW MT PT ML Frag (ints), plus Rcll
  Prcn GT FPS frames (and each sequence's frame_rate).  --csv: one row per tracker x sequence (and COMBINED).
  --out DIR: MOTChallenge result files DIR/<tracker>/<SEQ>.txt, boxes with enough decimals
  that '%(prog)s score' on them reproduces the printed metrics exactly. Frames keep the
  sequence's own numbers (half-val: N//2+2..N; score them with --frames second-half);
  --renumber writes them from 1 (the numbering of half-val gt folders).

examples:
  %(prog)s
  %(prog)s ../shared/data/MOT15 --trackers sort,bytetrack --jobs 2
  %(prog)s ../shared/data/MOT17 --seqs MOT17-02-FRCNN,MOT17-04-FRCNN \\
      --det-file ../shared/data/MOT17/dets/yolox_x_ablation --frames second-half \\
      --trackers bytetrack --param bytetrack.track_thresh=0.6 --json out.json
  %(prog)s score ../shared/data/MOT17 ../shared/data/MOT17/trackers/Lif_T

exit status: 0 success; 2 bad input or command line (missing file, malformed line,
unknown option: one line naming the file and line); 1 an internal error (a bug: shown
with its traceback, please report it).
"""


def _tracker_notes() -> str:
    from .run import tracker_class
    lines = []
    for n in registered_trackers():
        c = tracker_class(n)
        g = "none" if c.default_min_score is None else f"{c.default_min_score:g}"
        feed = "by descending score" if c.feed_order == "score" else "in file order"
        emb = {"required": ", needs embeddings", "optional": ", uses embeddings when given"}.get(
            c.embeddings, "")
        lines.append(f"  {n}: min score {g}, detections {feed}{emb}")
    return "\n".join(lines)


def _epilog() -> str:
    return _EPILOG.format(trackers=_tracker_notes())


class _Default:
    def __repr__(self):
        return "default"


_DEFAULT = _Default()


def build_parser() -> argparse.ArgumentParser:
    """Parser of the main command (tracking + scoring + budget)."""
    p = argparse.ArgumentParser(prog=PROG, description=_DESC, epilog=_epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_root", nargs="?", metavar="DATA_ROOT",
                   help="dataset in MOTChallenge layout (omit for the embedded default)")
    g = p.add_argument_group("trackers")
    g.add_argument("--trackers", metavar="A,B,...",
                   help="comma-separated tracker names: " + ", ".join(registered_trackers())
                        + " (default: all; those that require embeddings only where they exist)")
    g.add_argument("--param", action="append", metavar="TRACKER.NAME=VALUE",
                   help="tracker constructor parameter, repeatable, e.g. "
                        "--param bytetrack.track_thresh=0.6 --param sort.max_age=3")
    g.add_argument("--min-score", type=_min_score, default=_DEFAULT, metavar="S",
                   help="minimum detection score for every tracker, or 'none', or per "
                        "tracker: sort=0.6,bytetrack=none (default: per tracker, see below)")
    _add_data_args(p)
    g = p.add_argument_group("detections")
    g.add_argument("--det-file", metavar="NAME|DIR", action="append",
                   help="detection file name inside each <SEQ>/det/ or a folder of <SEQ>.txt; "
                        "repeatable (or comma-separated): the first that has a sequence's file "
                        "serves it")
    g.add_argument("--embeddings", metavar="DIR",
                   help="folder of <SEQ>.npy DeepSORT detection+embedding files")
    g.add_argument("--camera-motion", metavar="DIR",
                   help="folder of <SEQ>.txt camera warps (one line per tracked frame: index, "
                        "then the 2x3 affine a00 a01 a02 a10 a11 a12) fed to every tracker")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of the simulated detections of the default data (default 0)")
    g.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help="worker processes tracking and scoring sequences x trackers (default 1; "
                        "0 = one per CPU); the numbers equal those of --jobs 1")
    _add_output_args(p, results=True)
    g = p.add_argument_group("CPU budget (ARTPEC)")
    g.add_argument("--fps", type=_positive, default=30.0,
                   help="camera frame rate for the budget (default 30)")
    g.add_argument("--cpu-share", type=_fraction, default=0.25,
                   help="share of one core given to tracking: 0.25 or 25%% (default 25%%)")
    g.add_argument("--cpu-scale", type=_positive, metavar="F",
                   help="extra target with host-to-target slowdown factor F (e.g. measured "
                        "with 'calibrate')")
    g.add_argument("--profile", metavar="FILE",
                   help="profile JSON replacing the ARTPEC table: {'profiles': [{'name', "
                        "'factor', ...}]} or a 'calibrate --write-profile' file")
    g.add_argument("--no-budget", action="store_true", help="skip the CPU budget report")
    g.add_argument("--no-scaling", action="store_true",
                   help="skip the scaling run behind the 'largest count' column")
    return p


def build_score_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{PROG} score",
        description="Score existing MOTChallenge result files (RESULTS_DIR/<SEQ>.txt: "
                    "frame,id,x,y,w,h,score,-1,-1,-1; KITTI: label_02-format files too) of any "
                    "tracker against GT_ROOT with the same metrics and outputs as the main "
                    "command. Without --seqs, the sequences that have a results file are scored "
                    "and the others are named as skipped; with --seqs, each must have one.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("gt_root", metavar="GT_ROOT", help="dataset in MOTChallenge layout")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="folder of <SEQ>.txt result files")
    p.add_argument("--name", default=None, help="tracker name in the outputs (default: folder name)")
    _add_data_args(p)
    _add_output_args(p)
    return p


def build_calibrate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{PROG} calibrate",
        description="Time a fixed reference workload (SORT on a seeded synthetic scene, "
                    "40 objects x 300 frames). Run it on the camera (aarch64: the time is a "
                    "direct measurement) with --write-profile cam.json, then pass "
                    "--profile cam.json to the main command on the host: the host times the "
                    "same workload and the ratio becomes the slowdown factor. Or divide the "
                    "two printed times yourself and pass --cpu-scale.")
    p.add_argument("--write-profile", metavar="FILE", help="write the calibration record here")
    p.add_argument("--name", help="profile name stored in the file")
    p.add_argument("--host-ms", type=_positive, metavar="MS",
                   help="the host's reference time: also print the factor target/host")
    return p


# --------------------------------------------------------------------------- helpers


def _check_outputs(args) -> None:
    """Every output option of a command, checked writable before the run."""
    if getattr(args, "out", None):
        check_writable(args.out, "--out", is_dir=True)
    for opt in ("json", "csv"):
        if getattr(args, opt, None):
            check_writable(getattr(args, opt), f"--{opt}")


def _err(msg: str) -> None:
    print(f"{PROG}: error: {msg}", file=sys.stderr)


def _write_outputs(result, args, out, extra: dict | None = None) -> None:
    if getattr(args, "json", None):
        p = Path(args.json)
        p.parent.mkdir(parents=True, exist_ok=True)
        doc = {**result.to_json_dict(), **(extra or {})}
        p.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")
        print(f"wrote {p}", file=out)
    if getattr(args, "csv", None):
        result.to_csv(args.csv)
        print(f"wrote {args.csv}", file=out)


def _rules(seqs) -> str:
    """``MOT17`` / ``KITTI (class car)``: the preprocessing rules of ``seqs``."""
    return ", ".join(sorted({s.benchmark + (f" (class {s.eval_class})" if s.eval_class else "")
                             for s in seqs}))


def _describe(seqs, args, names, min_scores, out) -> None:
    sim = any(s.simulated for s in seqs)
    if args.data_root is None:
        from .datasets import motmetrics_data_dir
        print("No DATA_ROOT given: evaluating the embedded default.", file=out)
        print(f"  ground truth: TUD-Campus, TUD-Stadtmitte from the installed motmetrics package "
              f"({motmetrics_data_dir()}), and SYNTH-Crowd, a synthetic crowded scene", file=out)
        print("  (the very first run compiles the trackers with Numba, minutes of CPU; the "
              "compiled code is cached and later runs take seconds)", file=out)
    else:
        print(f"Dataset: {args.data_root}", file=out)
    n_frames = sum(s.num_eval_frames for s in seqs)
    print(f"  {len(seqs)} sequences, {n_frames} frames, benchmark rules "
          f"{_rules(seqs)}"
          + (", frames N//2+2..N (second half)" if args.frames == "second-half" else ""), file=out)
    if sim:
        print("  detections are SIMULATED (seeded detector simulator: ~10% misses, box jitter, "
              "~2 false positives/frame, low-score tail, noisy identity embeddings); "
              "numbers are not comparable to published results", file=out)
    else:
        srcs = sorted({os.path.basename(s.source) for s in seqs})
        print(f"  detections: {', '.join(srcs[:4])}{' ...' if len(srcs) > 4 else ''}", file=out)
    rates: dict[str, list[str]] = {}
    for s in seqs:
        rates.setdefault(f"{s.frame_rate:g}", []).append(s.name)
    print("  frame rates (passed to every tracker unless --param NAME.frame_rate is set): "
          + "; ".join(f"{r} fps: {', '.join(v[:5])}{' ...' if len(v) > 5 else ''}"
                      for r, v in rates.items()), file=out)
    for n in names:
        ms = min_scores[n]
        print(f"  {n}: minimum detection score {'none (all detections)' if ms is None else ms}",
              file=out)
    print(f"  metrics backend: {args.backend}", file=out)


# --------------------------------------------------------------------------- commands


def _cmd_eval(argv) -> int:
    args = build_parser().parse_args(argv)
    out = sys.stdout
    from . import api
    from .datasets import default_sequences, load_dataset
    t0 = time.perf_counter()
    params = parse_params(args.param)
    if args.min_score is _DEFAULT:
        args.min_score = "default"
    notes: list = []
    if args.data_root is None:
        for opt in ("seqs", "det_file", "embeddings", "split", "camera_motion"):
            if getattr(args, opt):
                raise CliError(f"--{opt.replace('_', '-')} needs a DATA_ROOT")
        seqs = default_sequences(args.seed)
    else:
        if not Path(args.data_root).exists():
            raise CliError(f"dataset root not found: {args.data_root}")
        seqs = load_dataset(args.data_root, split=args.split, seqs=_split_csv(args.seqs),
                            det_file=_det_files(args.det_file), frames=args.frames,
                            embeddings=args.embeddings, benchmark=args.benchmark,
                            kitti_class=args.kitti_class, notes=notes)
    try:
        names = api.select_trackers(args.trackers, seqs)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    check_tracker_params(names, params)
    for n in names:
        missing = [s.name for s in seqs if s.embeddings is None] if api.needs_embeddings(n) else []
        if missing:
            raise CliError(f"{n} needs appearance embeddings; none for {', '.join(missing)} "
                           "(pass --embeddings DIR with <SEQ>.npy files, or --seqs)")
    if isinstance(args.min_score, dict):
        extra = sorted(set(args.min_score) - set(names))
        if extra:
            raise CliError(f"--min-score for {', '.join(extra)}, which is not among the "
                           f"trackers run ({', '.join(names)})")
    min_scores = {n: api.resolve_min_score(args.min_score, n) for n in names}
    if args.renumber and not args.out:
        raise CliError("--renumber needs --out")
    _check_outputs(args)
    if args.camera_motion and not Path(args.camera_motion).is_dir():
        raise CliError(f"--camera-motion: not a directory: {args.camera_motion}")
    seqs = api.attach_camera_motion(seqs, args.camera_motion, notes)
    note = empty_gt_note(seqs)
    if note:
        notes.append(note)
    if not args.quiet:
        _describe(seqs, args, names, min_scores, out)
        for line in notes:
            print(f"  note: {line}", file=out)
        print(file=out)
    result = api.evaluate(seqs, trackers=names, params=params, min_score=args.min_score,
                          backend=args.backend, progress=not args.no_progress, jobs=args.jobs)
    title = f"Metrics ({'TrackEval-exact' if args.backend == 'trackeval-exact' else 'motmetrics'} " \
            f"backend; percentages except counts; FPS = frames per second of update())"
    print(title, file=out)
    print(result.format_table(), file=out)
    if args.out:
        paths = result.write_results(args.out, renumber=args.renumber)
        half = any(s.first_frame != 1 for s in seqs)
        how = ("frames renumbered from 1" if args.renumber else
               "the sequences' own frame numbers; score with --frames second-half" if half else
               "the sequences' own frame numbers")
        print(f"wrote {len(paths)} result files under {args.out}/<tracker>/ ({how})", file=out)
    budget_doc = None
    if not args.no_budget:
        from . import budget
        profiles = None
        if args.profile:
            try:
                profiles = budget.load_profiles(args.profile)
            except ValueError as exc:  # a malformed profile file
                raise CliError(f"--profile: {exc}") from None
        scaling = None
        if not args.no_scaling:
            scaling = {n: budget.scaling_curve(n, params=params.get(n), frames=40,
                                               min_score=min_scores[n]) for n in names}
        lats = {n: [r.latency_ns for r in result.trackers[n].runs.values()] for n in names}
        objs = {n: [r.num_dets for r in result.trackers[n].runs.values()] for n in names}
        rows = budget.budget_report(lats, objs, profiles, args.fps, args.cpu_share,
                                    args.cpu_scale, scaling)
        print(file=out)
        print(budget.format_budget(rows, args.fps, args.cpu_share), file=out)
        budget_doc = [r.to_dict() for r in rows]
    _write_outputs(result, args, out, {"budget": budget_doc} if budget_doc is not None else None)
    if not args.quiet:
        print(f"total time {time.perf_counter() - t0:.1f} s", file=out)
    return 0


def empty_gt_note(seqs) -> str | None:
    """A note naming the sequences whose gt file has no boxes, saying how they are scored."""
    empty = [s.name for s in seqs if s.gt is not None and len(s.gt) == 0]
    if not empty:
        return None
    return (f"{len(empty)} sequence(s) with no gt boxes ({', '.join(empty[:6])}{' ...' if len(empty) > 6 else ''}): "
            "as in TrackEval their rows show its initial values (MOTA, MOTP, IDF1, HOTA 0) and COMBINED "
            "counts their false positives, MOTA dividing by max(1, gt boxes)")


def _check_result_names(rd: Path, gt_root, seqs, chosen, notes: list) -> None:
    """Refuse result files named after no sequence of GT_ROOT; note the ones not scored.

    A ``<NAME>.txt`` in RESULTS_DIR whose NAME is no sequence folder under GT_ROOT (any
    split, with or without gt; KITTI: no sequence scored) is an error (a typo or another
    dataset would otherwise drop out of COMBINED unseen).  Files of sequences that exist
    but are not scored (no gt, another split) are named in a note unless ``--seqs`` chose.
    """
    from ..io.mot import discover_sequences
    scored = {s.name for s in seqs}
    known = set(scored)
    if not any(s.benchmark == "KITTI" for s in seqs):
        try:
            known |= {m.name for m in discover_sequences(gt_root)}
        except FileNotFoundError:
            pass
    files = sorted(p.stem for p in rd.glob("*.txt") if p.is_file())
    unknown = [f for f in files if f not in known]
    if unknown:
        raise CliError(f"{len(unknown)} result file(s) in {rd} name no sequence under {gt_root}: "
                       f"{', '.join(f + '.txt' for f in unknown[:8])}{' ...' if len(unknown) > 8 else ''} "
                       "(expected <SEQ>.txt for a sequence there; move the others away)")
    unscored = [f for f in files if f not in scored]
    if unscored and not chosen:
        notes.append(f"not scored: {len(unscored)} result file(s) of sequences without gt or outside "
                     f"the split: {', '.join(unscored[:8])}{' ...' if len(unscored) > 8 else ''}")


def _cmd_score(argv) -> int:
    args = build_score_parser().parse_args(argv)
    out = sys.stdout
    from .api import EvalResult, TrackerScores
    from .datasets import load_dataset
    from .jobs import progress_bar
    from .metrics import combine_sequences
    from .scoring import score_one, score_sequences
    from ..io.mot import MotFormatError, read_results
    t0 = time.perf_counter()
    for p, what in ((args.gt_root, "GT_ROOT"), (args.results_dir, "RESULTS_DIR")):
        if not Path(p).is_dir():
            raise CliError(f"{what} not found: {p}")
    _check_outputs(args)
    rd = Path(args.results_dir)
    notes: list = []
    chosen = _split_csv(args.seqs)
    seqs = load_dataset(args.gt_root, split=args.split, seqs=chosen, frames=args.frames,
                        benchmark=args.benchmark, with_dets=False, kitti_class=args.kitti_class,
                        notes=notes)
    missing = [s for s in seqs if not (rd / f"{s.name}.txt").is_file()]
    if missing and chosen:
        raise CliError(f"results file not found: {rd / (missing[0].name + '.txt')} (every "
                       "sequence named in --seqs needs one)")
    if missing:
        names = [s.name for s in missing]
        notes.append(f"skipped {len(names)} sequence(s) without a results file in {rd}: "
                     f"{', '.join(names[:8])}{' ...' if len(names) > 8 else ''}")
        seqs = [s for s in seqs if s not in missing]
        if not seqs:
            raise CliError(f"no results file in {rd} matches a sequence with gt under "
                           f"{args.gt_root} (expected <SEQ>.txt)")
    _check_result_names(rd, args.gt_root, seqs, chosen, notes)
    note = empty_gt_note(seqs)
    if note:
        notes.append(note)
    if any(s.benchmark == "KITTI" for s in seqs):
        from .kitti import read_kitti_or_mot_results as reader
    else:
        reader = read_results
    results = {s.name: reader(rd / f"{s.name}.txt") for s in seqs}
    import numpy as np
    for s in seqs:
        r = results[s.name]
        out_of = (r.frames < 1) | (r.frames > s.num_frames)
        if out_of.any():
            k = int(np.flatnonzero(out_of)[0])
            raise MotFormatError(f"frame {r.frames[k]} outside 1..{s.num_frames} "
                                 f"(seqLength of {s.name})", r.path, int(r.lines[k]) or None)
    name = args.name or rd.name
    if args.backend == "motmetrics":
        sc = score_sequences(seqs, results, args.backend, name)
        per, comb = sc.sequences, sc.combined
    else:
        bar = progress_bar(len(seqs), not args.no_progress, "scoring")
        per = {}
        for s in seqs:
            per[s.name] = score_one(s, results[s.name])
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        comb = combine_sequences(per.values())
    res = EvalResult({name: TrackerScores(name, per, comb, backend=args.backend)}, seqs,
                     args.backend, time.perf_counter() - t0)
    if not args.quiet:
        print(f"Scoring {rd} against {args.gt_root}: {len(seqs)} sequences, benchmark rules "
              f"{_rules(seqs)}, backend {args.backend}", file=out)
        for line in notes:
            print(f"  note: {line}", file=out)
    print(res.format_table(columns=[c for c in ("MOTA", "IDF1", "HOTA", "IDSW", "FP", "FN", "MT",
                                                "ML", "Rcll", "Prcn")]), file=out)
    _write_outputs(res, args, out)
    return 0


def _cmd_calibrate(argv) -> int:
    args = build_calibrate_parser().parse_args(argv)
    from . import budget
    info = budget.machine_info()
    kind = budget.host_kind()
    if kind["kind"] != "x86":
        print(f"Running on {info['machine']} ({info['cpu']}): {budget.timing_note(kind)}")
    else:
        print(f"Running on {info['machine']} ({info['cpu']}): this is the HOST time; run the "
              "same command on the camera to get the target time.")
    rec = budget.calibrate(args.write_profile, args.name)
    w = rec["workload"]
    print(f"reference workload ({w['tracker']}, {w['objects']} objects x {w['frames']} frames, "
          f"best of {w['repeats']}): {rec['reference_ms']:.2f} ms total, "
          f"{rec['per_frame_ms'] * 1e3:.1f} us per frame")
    if args.host_ms:
        print(f"slowdown factor vs host ({args.host_ms:g} ms): "
              f"{rec['reference_ms'] / args.host_ms:.2f}  -> pass --cpu-scale "
              f"{rec['reference_ms'] / args.host_ms:.2f}")
    if args.write_profile:
        print(f"wrote {args.write_profile}; on the host: {PROG} ... --profile {args.write_profile}")
    else:
        print("next: on the host, pass --cpu-scale <camera ms / host ms>, or write a profile "
              "with --write-profile FILE and pass --profile FILE")
    return 0


_REPORT = "this is a bug in mottrack; please report it with the command line and the traceback above"


def _subcommand(name: str):
    """The entry point of a subcommand (imported when used), or None."""
    if name == "score":
        return _cmd_score
    if name == "calibrate":
        return _cmd_calibrate
    if name == "tune":
        from .tune import main as tune_main
        return tune_main
    if name == "count":
        from .count import main as count_main
        return count_main
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input or command line, 1 internal error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from ..io.mot import MotFormatError
    cmd = _subcommand(argv[0]) if argv else None
    try:
        if cmd is not None:
            return cmd(argv[1:])
        return _cmd_eval(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:  # output piped into `head` etc.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        return 141
    except (InputError, MotFormatError, OSError) as exc:
        msg = str(exc)
        if isinstance(exc, OSError) and not isinstance(exc, MotFormatError):
            if exc.filename and str(exc.filename) not in msg:
                msg = f"{exc.strerror or msg}: {exc.filename}"
        _err(" ".join(msg.split()) or type(exc).__name__)
        return 2
    except Exception:  # a bug: keep the traceback
        import traceback
        traceback.print_exc()
        _err(_REPORT)
        return 1
