"""Command-line pieces shared by the evaluator's subcommands (``eval``, ``score``,
``calibrate``, ``tune``, ``count``): argument types, argument groups, ``--param`` parsing."""
from __future__ import annotations

import argparse
import ast
import math
from typing import Sequence

from .errors import InputError

__all__ = ["PROG", "CliError", "BENCHMARK_CHOICES", "check_writable", "parse_value", "parse_params", "one_score",
           "min_score", "fraction", "jobs", "positive", "add_output_args", "add_data_args",
           "split_csv", "det_files", "check_tracker_params"]

PROG = "python -m mottrack.eval"


class CliError(InputError):
    """A command-line error: printed as one line, exit code 2."""


def parse_value(v: str):
    low = v.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low == "none":
        return None
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


def parse_params(items: Sequence[str] | None) -> dict:
    """``['bytetrack.track_thresh=0.6', ...]`` -> ``{'bytetrack': {'track_thresh': 0.6}}``."""
    out: dict = {}
    for item in items or ():
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part or "." not in part.split("=", 1)[0]:
                raise CliError(f"--param {part!r}: expected TRACKER.NAME=VALUE, "
                               "e.g. bytetrack.track_thresh=0.6")
            key, val = part.split("=", 1)
            tr, name = key.split(".", 1)
            out.setdefault(tr.strip().lower(), {})[name.strip()] = parse_value(val)
    return out


def one_score(v: str):
    if v.strip().lower() in ("none", "all", "off"):
        return None
    try:
        x = float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {v!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number or 'none', got {v!r}")
    return x


def min_score(v: str):
    if "=" not in v:
        return one_score(v)
    out = {}
    for part in v.split(","):
        if "=" not in part:
            raise argparse.ArgumentTypeError(f"expected TRACKER=SCORE pairs, got {part!r}")
        k, x = part.split("=", 1)
        out[k.strip().lower()] = one_score(x)
    return out


def fraction(v: str) -> float:
    s = v.strip()
    try:
        x = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction (0.25) or percent (25%), got {v!r}") from None
    if x > 1:
        x /= 100.0
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"CPU share must be in (0, 1], got {v!r}")
    return x


def jobs(v: str) -> int:
    try:
        n = int(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {v!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {v!r}")
    if n == 0:
        from .jobs import default_jobs
        n = default_jobs()
    return n


def positive(v: str) -> float:
    try:
        x = float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {v!r}") from None
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {v!r}")
    return x


def add_output_args(p: argparse.ArgumentParser, results: bool = False) -> None:
    g = p.add_argument_group("outputs")
    if results:
        g.add_argument("--out", metavar="DIR",
                       help="write MOTChallenge result files DIR/<tracker>/<SEQ>.txt (frames "
                            "numbered as in the sequence)")
        g.add_argument("--renumber", action="store_true",
                       help="with --frames second-half: write --out frames from 1 (as half-val "
                            "gt folders number them) instead of the sequence's N//2+2..N")
    g.add_argument("--json", metavar="PATH", help="write the metrics as JSON")
    g.add_argument("--csv", metavar="PATH", help="write the metrics as CSV")
    g.add_argument("--backend", choices=("trackeval-exact", "motmetrics"),
                   default="trackeval-exact",
                   help="metrics implementation: 'trackeval-exact' (default; mottrack's exact "
                        "re-implementation of TrackEval's CLEAR/Identity/HOTA) or 'motmetrics' "
                        "(py-motmetrics' MOTAccumulator; MOTA/IDF1 family, no HOTA; differs "
                        "slightly from the official numbers)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    g.add_argument("-q", "--quiet", action="store_true", help="print only the tables")


BENCHMARK_CHOICES = ("MOT15", "MOT16", "MOT17", "MOT20", "DANCETRACK", "SPORTSMOT", "KITTI")


def add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--seqs", metavar="A,B,...",
                   help="comma-separated sequence names to evaluate (default: all with gt)")
    g.add_argument("--split", metavar="NAME", help="only this split folder (e.g. train, val)")
    g.add_argument("--benchmark", choices=BENCHMARK_CHOICES, type=str.upper,
                   help="preprocessing rules (default: from the path, e.g. 'MOT17', 'dancetrack', "
                        "'sportsmot' in it, a label_02 folder for KITTI; else MOT15 when the gt "
                        "has no classes). MOT15, DANCETRACK, SPORTSMOT: only gt rows with conf 0 "
                        "are ignored (no classes, no distractors). MOT16/17: only class 1 is "
                        "scored and tracker boxes matched to distractors (classes 2,7,8,12) are "
                        "removed first; MOT20 also class 6 (non-motorized vehicle). KITTI: "
                        "TrackEval's Kitti2DBox rules for --kitti-class (DontCare regions, "
                        "truncation, occlusion, min height 25 px, Van/Person distractors)")
    g.add_argument("--kitti-class", choices=("car", "pedestrian"), default="car", type=str.lower,
                   help="KITTI class scored (default car)")
    g.add_argument("--frames", choices=("all", "second-half"), default="all",
                   help="'second-half': track and score frames N//2+2..N only (the half-val "
                        "protocol of detectors trained on the first half)")


def split_csv(v: str | None):
    if not v:
        return None
    return [x.strip() for x in v.split(",") if x.strip()]


def det_files(v):
    if not v:
        return None
    return [x for item in v for x in split_csv(item)]


def check_tracker_params(names, params) -> None:
    """Create each tracker once with its ``--param`` values, turning a rejected value or an
    unknown parameter into a one-line :class:`CliError`."""
    from ..registry import create_tracker
    for tr in params:
        if tr not in names:
            raise CliError(f"--param for {tr!r}, which is not among the trackers run "
                           f"({', '.join(names)})")
    for n in names:
        try:
            create_tracker(n, **params.get(n, {}))
        except (ValueError, TypeError) as exc:
            raise CliError(f"--param {n}: {exc}") from None


def check_writable(path, option: str, is_dir: bool = False) -> None:
    """Make sure an output can be written *before* a long run: create ``path`` (a folder) or
    its parent folder and write a scratch file there; a :class:`CliError` naming ``option``
    otherwise."""
    import tempfile
    from pathlib import Path
    p = Path(path)
    folder = p if is_dir else p.parent
    try:
        if not is_dir and p.is_dir():
            raise CliError(f"{option}: {p} is a folder; expected a file path")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CliError(f"{option}: cannot write to {folder}: {exc.strerror or exc}") from None
