"""Counting accuracy: ``python -m mottrack.eval count``.

Ground-truth counts come from the ground-truth trajectories run through the same
counters as the tracker output (:class:`~mottrack.analytics.LineCounter`,
:class:`~mottrack.analytics.ZoneMonitor`), so the ground truth run through it has zero
error by construction of the metric, not of the data.  Per sequence, line and zone:

* ``gt_in``, ``gt_out`` / ``trk_in``, ``trk_out``: crossings ``in`` and ``out`` (zones:
  enters and exits) of the ground truth and of the tracker;
* ``err_in``, ``err_out``: signed errors (tracker - gt); ``abs_err`` = ``|err_in| + |err_out|``;
* ``tp``: tracker events matched one-to-one to gt events of the same direction at most
  ``tolerance`` frames apart (a line crossing's frame is when the anchor met the line,
  interpolated across frames a track was lost in; a zone event's the frame confirming it), where the tracker's track was matched to that gt object by
  the evaluator's CLEAR matching (:func:`~mottrack.eval.metrics.clear.clear_matches`) in
  at least one frame from ``tolerance`` frames before the earlier event to ``tolerance``
  frames after the later one; ``precision`` = tp / tracker events, ``recall`` = tp / gt
  events (None when there are none);
* zones also ``occ_mae``: mean over frames of |tracker occupancy - gt occupancy|.

Objects counted are those the evaluator scores: the MOTChallenge preprocessing runs
first (MOT16/17/20: only pedestrian gt with conf 1; tracker boxes matched to distractors
removed; MOT15: gt rows with conf 0 removed), frames are the evaluated ones
(``--frames second-half`` for half-val).

Geometry: a JSON file ``{"lines": [{"name", "start": [x, y], "end": [x, y],
"min_distance"?, "anchor"?}], "zones": [{"name", "polygon": [[x, y], ...],
"min_distance"?, "anchor"?}]}`` for every sequence, or a folder of ``<SEQ>.json`` files
(sequences without one get the default set).  The default set, for a W x H image
(``seqinfo.ini``; else the extent of the gt boxes): the horizontal centre line
``(0, H/2) -> (W, H/2)`` (``in`` = downwards), the vertical centre line
``(W/2, 0) -> (W/2, H)`` (``in`` = leftwards) and the centred zone of half the image's
width and height; hysteresis ``min_distance`` 1 % of the image diagonal; anchor bottom
centre.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = ["CountGeometry", "default_geometry", "load_geometry", "count_sequence",
           "count_events", "combine_counts", "main", "build_count_parser", "DEFAULT_TOLERANCE"]

PROG = "python -m mottrack.eval count"
#: Frames a tracker event may be away from the gt event it matches.
DEFAULT_TOLERANCE = 10
_KINDS = ("line", "zone")
_LINE_KEYS = {"name", "start", "end", "min_distance", "anchor"}
_ZONE_KEYS = {"name", "polygon", "min_distance", "anchor"}


# --------------------------------------------------------------------------- geometry

@dataclass(frozen=True)
class CountGeometry:
    """The lines and zones of one sequence.

    Attributes
    ----------
    lines : tuple of dict
        ``{"name", "start", "end", "min_distance", "anchor"}`` (pixels).
    zones : tuple of dict
        ``{"name", "polygon", "min_distance", "anchor"}``.
    source : str
        Where it came from (``"default"`` or a file).
    """

    lines: Tuple[Dict[str, Any], ...] = ()
    zones: Tuple[Dict[str, Any], ...] = ()
    source: str = "default"

    def counters(self, *, frame_rate: float = 30.0, min_distance: Optional[float] = None,
                 forget_after: Optional[int] = None) -> List[Any]:
        """Fresh counters for these lines and zones (``min_distance`` / ``forget_after``
        override every entry, for ablations)."""
        from ..analytics import LineCounter, ZoneMonitor
        out: List[Any] = []
        kw: Dict[str, Any] = {"frame_rate": frame_rate}
        if forget_after is not None:
            kw["forget_after"] = forget_after
        for ln in self.lines:
            md = ln["min_distance"] if min_distance is None else min_distance
            out.append(LineCounter(ln["start"], ln["end"], anchor=ln["anchor"], min_distance=md,
                                   name=ln["name"], **kw))
        for z in self.zones:
            md = z["min_distance"] if min_distance is None else min_distance
            out.append(ZoneMonitor(z["polygon"], anchor=z["anchor"], min_distance=md,
                                   name=z["name"], **kw))
        return out

    @property
    def names(self) -> List[Tuple[str, str]]:
        """``[(kind, name), ...]`` in counter order."""
        return [("line", ln["name"]) for ln in self.lines] + [("zone", z["name"]) for z in self.zones]


def default_geometry(width: float, height: float) -> CountGeometry:
    """The documented default set for a ``width`` x ``height`` image (see the module docs)."""
    w, h = float(width), float(height)
    md = round(0.01 * math.hypot(w, h), 1)
    a = "bottom_center"
    return CountGeometry(
        lines=({"name": "horizontal", "start": (0.0, h / 2), "end": (w, h / 2), "min_distance": md,
                "anchor": a},
               {"name": "vertical", "start": (w / 2, 0.0), "end": (w / 2, h), "min_distance": md,
                "anchor": a}),
        zones=({"name": "centre", "polygon": ((w / 4, h / 4), (3 * w / 4, h / 4),
                                             (3 * w / 4, 3 * h / 4), (w / 4, 3 * h / 4)),
                "min_distance": md, "anchor": a},),
        source="default")


def _image_size(seq) -> Tuple[float, float]:
    if seq.image_size is not None:
        return float(seq.image_size[0]), float(seq.image_size[1])
    g = seq.gt
    if g is None or not len(g):
        raise ValueError(f"{seq.name}: no image size (seqinfo.ini) and no gt boxes to take it "
                         "from; pass --geometry")
    b = g.boxes
    return float(np.max(b[:, 0] + b[:, 2])), float(np.max(b[:, 1] + b[:, 3]))


def load_geometry(path: str | os.PathLike, default_min_distance: float = 10.0) -> CountGeometry:
    """Read and check one geometry JSON file (see the module docs).

    Raises
    ------
    ValueError
        Malformed file; the message names the file and the entry.
    """
    from ..analytics import LineCounter, ZoneMonitor
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{p}: expected a JSON object with 'lines' and/or 'zones'")
    extra = sorted(set(doc) - {"lines", "zones"})
    if extra:
        raise ValueError(f"{p}: unknown key(s) {', '.join(extra)}; expected 'lines', 'zones'")
    out: Dict[str, List[Dict[str, Any]]] = {"lines": [], "zones": []}
    names = set()
    for key, allowed, need in (("lines", _LINE_KEYS, ("start", "end")), ("zones", _ZONE_KEYS, ("polygon",))):
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise ValueError(f"{p}: '{key}' must be a list")
        for i, it in enumerate(items):
            where = f"{p}: {key}[{i}]"
            if not isinstance(it, dict):
                raise ValueError(f"{where}: expected an object")
            bad = sorted(set(it) - allowed)
            if bad:
                raise ValueError(f"{where}: unknown key(s) {', '.join(bad)}; allowed: "
                                 f"{', '.join(sorted(allowed))}")
            for k in need:
                if k not in it:
                    raise ValueError(f"{where}: missing '{k}'")
            ent = {"name": str(it.get("name", f"{key[:-1]}{i}")),
                   "min_distance": it.get("min_distance", default_min_distance),
                   "anchor": it.get("anchor", "bottom_center")}
            if ent["name"] in names:
                raise ValueError(f"{where}: name {ent['name']!r} used twice")
            names.add(ent["name"])
            for k in need:
                ent[k] = it[k]
            try:  # build once to validate
                if key == "lines":
                    LineCounter(ent["start"], ent["end"], anchor=ent["anchor"],
                                min_distance=ent["min_distance"])
                    ent["start"], ent["end"] = tuple(ent["start"]), tuple(ent["end"])
                else:
                    ZoneMonitor(ent["polygon"], anchor=ent["anchor"], min_distance=ent["min_distance"])
                    ent["polygon"] = tuple(tuple(v) for v in ent["polygon"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: {exc}") from None
            out[key].append(ent)
    if not out["lines"] and not out["zones"]:
        raise ValueError(f"{p}: no lines and no zones")
    return CountGeometry(tuple(out["lines"]), tuple(out["zones"]), os.fspath(p))


def geometry_for(seq, geometry: str | os.PathLike | CountGeometry | None) -> CountGeometry:
    """The geometry of ``seq``: given, from a file / folder, or the default set."""
    if isinstance(geometry, CountGeometry):
        return geometry
    if geometry is not None:
        g = Path(geometry)
        if g.is_dir():
            f = g / f"{seq.name}.json"
            if f.is_file():
                return load_geometry(f)
        elif g.is_file():
            return load_geometry(g)
        else:
            raise FileNotFoundError(f"geometry file or folder not found: {g}")
    w, h = _image_size(seq)
    return default_geometry(w, h)


# --------------------------------------------------------------------------- counting

def _frames_of(table, num_frames: int):
    """Per frame (1..num_frames) the (M, 8) rows of a MotTable, class -1, det_index -1."""
    off = table.frame_offsets(num_frames)
    b = table.boxes
    rows = np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3],
                            table.ids.astype(np.float64), table.scores,
                            np.full(len(table), -1.0), np.full(len(table), -1.0)])
    return [rows[off[f]:off[f + 1]] for f in range(num_frames)]


def count_events(table, num_frames: int, counters: Sequence[Any]):
    """Run ``counters`` over a MotTable's frames 1..num_frames.

    Returns
    -------
    events : list (per counter) of list of (frame, track_id, direction)
        ``direction`` +1 for in / enter, -1 for out / exit; frames 1-based: for line
        crossings the frame nearest to when the anchor met the line (``crossing_frame``),
        else the frame that confirmed the event.
    occupancy : list (per counter) of ndarray (num_frames,) or None
        Zone occupancy per frame (None for lines).
    """
    events: List[List[Tuple[int, int, int]]] = [[] for _ in counters]
    occ = [np.zeros(num_frames, np.int64) if hasattr(c, "occupancy") else None for c in counters]
    for f, rows in enumerate(_frames_of(table, num_frames)):
        for k, c in enumerate(counters):
            for e in c.update(rows):
                d = getattr(e, "direction", None) or e.kind
                cf = getattr(e, "crossing_frame", None)
                at = f + 1 if cf is None else int(math.floor(cf + 0.5)) + 1
                events[k].append((at, int(e.track_id), 1 if d in ("in", "enter") else -1))
            o = occ[k]
            if o is not None:
                o[f] = c.total_occupancy
    return events, occ


def _match_pairs(prep, gt_kept, tr_kept) -> Dict[Tuple[int, int], np.ndarray]:
    """``{(tracker id, gt id): sorted frames}`` where CLEAR matched the two."""
    from .metrics.clear import clear_matches
    m = clear_matches(prep)
    g = np.flatnonzero(m >= 0)
    if g.size == 0:
        return {}
    t = m[g]
    frames = gt_kept.frames[g]
    gid = gt_kept.ids[g]
    tid = tr_kept.ids[t]
    order = np.lexsort((frames, gid, tid))
    out: Dict[Tuple[int, int], np.ndarray] = {}
    tid, gid, frames = tid[order], gid[order], frames[order]
    cut = np.flatnonzero((np.diff(tid) != 0) | (np.diff(gid) != 0)) + 1
    for a, b in zip(np.r_[0, cut], np.r_[cut, tid.size]):
        out[(int(tid[a]), int(gid[a]))] = frames[a:b]
    return out


def _match_events(trk, gt, pairs, tol: int) -> int:
    """One-to-one matches between tracker and gt events (see the module docs)."""
    from ..assignment import assign
    tp = 0
    for d in (1, -1):
        te = [e for e in trk if e[2] == d]
        ge = [e for e in gt if e[2] == d]
        if not te or not ge:
            continue
        cost = np.full((len(te), len(ge)), float(tol + 1))
        for i, (ft, tid, _) in enumerate(te):
            for j, (fg, gid, _) in enumerate(ge):
                dt = abs(ft - fg)
                fr = pairs.get((tid, gid))
                if dt > tol or fr is None:
                    continue
                lo, hi = min(ft, fg) - tol, max(ft, fg) + tol
                k = int(np.searchsorted(fr, lo))
                if k < fr.size and fr[k] <= hi:
                    cost[i, j] = float(dt)
        matches, _, _ = assign(cost, float(tol + 1))
        tp += int(matches.shape[0])
    return tp


def _ratio(a: int, b: int) -> Optional[float]:
    return None if b == 0 else a / b


@dataclass
class CounterScore:
    """Counting accuracy of one tracker on one line or zone (one sequence or combined)."""

    kind: str
    name: str
    gt_in: int = 0
    gt_out: int = 0
    trk_in: int = 0
    trk_out: int = 0
    tp: int = 0
    occ_abs: float = 0.0      # sum over frames of |occupancy error| (zones)
    frames: int = 0
    parts: int = 0            # scores added into this one (0: a single sequence and counter)
    abs_sum: int = 0          # sum of the parts' absolute errors

    @property
    def err_in(self) -> int:
        return self.trk_in - self.gt_in

    @property
    def err_out(self) -> int:
        return self.trk_out - self.gt_out

    @property
    def abs_err(self) -> int:
        """``|err_in| + |err_out|``; for a combination, the sum of its parts' absolute
        errors (errors of different sequences or counters do not cancel)."""
        if self.parts:
            return self.abs_sum
        return abs(self.err_in) + abs(self.err_out)

    @property
    def gt_total(self) -> int:
        return self.gt_in + self.gt_out

    @property
    def precision(self) -> Optional[float]:
        return _ratio(self.tp, self.trk_in + self.trk_out)

    @property
    def recall(self) -> Optional[float]:
        return _ratio(self.tp, self.gt_total)

    @property
    def occ_mae(self) -> Optional[float]:
        return None if self.kind != "zone" or self.frames == 0 else self.occ_abs / self.frames

    def add(self, other: "CounterScore") -> None:
        """Add ``other`` (one sequence's score, or a combination) into this combination."""
        for f in ("gt_in", "gt_out", "trk_in", "trk_out", "tp", "occ_abs", "frames"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.abs_sum += other.abs_err
        self.parts += max(1, other.parts)

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "gt_in": self.gt_in, "gt_out": self.gt_out,
                "trk_in": self.trk_in, "trk_out": self.trk_out, "err_in": self.err_in,
                "err_out": self.err_out, "abs_err": self.abs_err, "tp": self.tp,
                "precision": self.precision, "recall": self.recall,
                **({"occ_mae": self.occ_mae} if self.kind == "zone" else {})}


def _tally(kind: str, name: str, trk_ev, gt_ev, tp: int, occ_t, occ_g) -> CounterScore:
    s = CounterScore(kind, name)
    s.gt_in = sum(1 for e in gt_ev if e[2] > 0)
    s.gt_out = len(gt_ev) - s.gt_in
    s.trk_in = sum(1 for e in trk_ev if e[2] > 0)
    s.trk_out = len(trk_ev) - s.trk_in
    s.tp = tp
    if occ_t is not None:
        s.occ_abs = float(np.abs(occ_t - occ_g).sum())
        s.frames = int(occ_t.shape[0])
    return s


def count_sequence(seq, results, geometry: CountGeometry | str | None = None, *,
                   tolerance: int = DEFAULT_TOLERANCE,
                   make_counters: Optional[Callable[[CountGeometry, Any], List[Any]]] = None
                   ) -> List[CounterScore]:
    """Counting accuracy of one tracker output on one sequence.

    Parameters
    ----------
    seq : EvalSequence
        With ground truth.
    results : MotTable
        The tracker's output (sequence frame numbers).
    geometry : CountGeometry, path or None
        Lines and zones (None: the default set for the image size).
    tolerance : int
        Frames between a tracker event and the gt event it may match.
    make_counters : callable, optional
        ``make_counters(geometry, seq) -> counters`` (objects with ``update(rows)``
        returning events with ``track_id`` and ``direction`` / ``kind``); default
        ``geometry.counters(frame_rate=seq.frame_rate)``.  The same counters are built
        for the gt and the tracker.

    Returns
    -------
    list of CounterScore
        One per line, then per zone.
    """
    from .metrics.preprocess import preprocess_sequence
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise ValueError(f"tolerance: expected a whole number of frames >= 0; got {tolerance!r}")
    if seq.gt is None:
        raise ValueError(f"{seq.name}: counting accuracy needs ground truth")
    geo = geometry_for(seq, geometry)
    n = seq.num_eval_frames
    gtw = seq.scoring_window(seq.gt)
    trw = seq.scoring_window(results)
    prep = preprocess_sequence(gtw, trw, seq.benchmark, n, seq.name)
    gt_kept = gtw.select(prep.gt_rows)
    tr_kept = trw.select(prep.tr_rows)
    build = make_counters or (lambda g, s: g.counters(frame_rate=s.frame_rate))
    gt_ev, gt_occ = count_events(gt_kept, n, build(geo, seq))
    tr_ev, tr_occ = count_events(tr_kept, n, build(geo, seq))
    pairs = _match_pairs(prep, gt_kept, tr_kept)
    out = []
    for k, (kind, name) in enumerate(geo.names):
        tp = _match_events(tr_ev[k], gt_ev[k], pairs, int(tolerance))
        out.append(_tally(kind, name, tr_ev[k], gt_ev[k], tp, tr_occ[k], gt_occ[k]))
    return out


def combine_counts(per_seq: Mapping[str, Sequence[CounterScore]]) -> Dict[str, CounterScore]:
    """Sum scores over sequences by line / zone name, then ``"all lines"`` and ``"all zones"``."""
    out: Dict[str, CounterScore] = {}
    alls: Dict[str, CounterScore] = {}
    for scores in per_seq.values():
        for s in scores:
            out.setdefault(s.name, CounterScore(s.kind, s.name)).add(s)
            alls.setdefault(f"all {s.kind}s", CounterScore(s.kind, f"all {s.kind}s")).add(s)
    for k in sorted(alls):
        out[k] = alls[k]
    return out


# --------------------------------------------------------------------------- command line

_DEFAULT_SCORE = object()  # --min-score not given: each tracker's default


def _min_score(v: str):
    from .cli_args import min_score as parse
    return parse(v)


def build_count_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Counting accuracy of trackers: lines and zones counted on the ground "
                    "truth and on the tracker output by the same counters; per line / zone "
                    "gt count, tracker count, signed and absolute error, and crossing-level "
                    "precision / recall (tracker crossings matched to gt crossings of the same "
                    "direction within --tolerance frames whose gt object the track is matched "
                    "to by the CLEAR matching).  With no DATA_ROOT: the embedded default.",
        epilog="geometry JSON: {\"lines\": [{\"name\": \"door\", \"start\": [x, y], \"end\": [x, y], "
               "\"min_distance\": 10}], \"zones\": [{\"name\": \"queue\", \"polygon\": [[x, y], ...]}]}\n"
               "default: horizontal and vertical centre lines and the centred half-size zone, "
               "min_distance 1%% of the image diagonal, anchor bottom centre.\n"
               "direction: 'in' = to the side where cross(end - start, p - start) > 0 "
               "(horizontal default line: downwards; vertical: leftwards).")
    p.add_argument("data_root", nargs="?", metavar="DATA_ROOT",
                   help="dataset in MOTChallenge layout (omit for the embedded default)")
    p.add_argument("--trackers", metavar="A,B,...", help="trackers to run (default: all available; "
                   "those needing embeddings only where there are some)")
    p.add_argument("--results", metavar="DIR", help="count existing result files DIR/<SEQ>.txt "
                   "instead of running trackers")
    p.add_argument("--param", action="append", metavar="TRACKER.NAME=VALUE",
                   help="tracker constructor parameter, repeatable")
    p.add_argument("--min-score", type=_min_score, default=_DEFAULT_SCORE, metavar="S",
                   help="minimum detection score for every tracker, or 'none', or per tracker: "
                        "sort=0.6,bytetrack=none (default: per tracker)")
    p.add_argument("--geometry", metavar="FILE|DIR",
                   help="lines/zones JSON for every sequence, or a folder of <SEQ>.json")
    p.add_argument("--tolerance", type=int, default=DEFAULT_TOLERANCE, metavar="FRAMES",
                   help=f"frames between matching tracker and gt events (default {DEFAULT_TOLERANCE})")
    g = p.add_argument_group("data")
    g.add_argument("--seqs", metavar="A,B,...", help="sequences to use (default: all with gt)")
    g.add_argument("--split", metavar="NAME", help="only this split folder")
    g.add_argument("--det-file", metavar="NAME|DIR", help="detection file name or folder of <SEQ>.txt")
    g.add_argument("--embeddings", metavar="DIR", help="folder of <SEQ>.npy embedding files")
    g.add_argument("--camera-motion", metavar="DIR",
                   help="folder of <SEQ>.txt per-frame camera warps fed to the trackers (as for "
                        "the main command); lines and zones stay in image coordinates")
    g.add_argument("--frames", choices=("all", "second-half"), default="all",
                   help="'second-half': frames N//2+2..N (half-val)")
    g.add_argument("--benchmark", choices=("MOT15", "MOT16", "MOT17", "MOT20"), type=str.upper,
                   help="preprocessing rules (default: from the path)")
    g.add_argument("--seed", type=int, default=0, help="seed of the embedded default's detections")
    o = p.add_argument_group("outputs")
    o.add_argument("--json", metavar="PATH", help="write per-sequence and combined scores as JSON")
    o.add_argument("--per-sequence", action="store_true", help="also print every sequence")
    o.add_argument("-q", "--quiet", action="store_true", help="print only the table")
    o.add_argument("--no-progress", action="store_true",
                   help="accepted like the other commands' (count shows no progress bar)")
    return p


_COLS = ("gt_in", "gt_out", "trk_in", "trk_out", "err_in", "err_out", "abs_err", "precision",
         "recall", "occ_mae")


def format_count_table(blocks: Sequence[Tuple[str, str, Mapping[str, CounterScore]]]) -> str:
    """Aligned text: one row per (tracker, sequence, line/zone)."""
    head = ["tracker", "sequence", "counter", *_COLS]
    cells = []
    for tracker, seq, scores in blocks:
        for s in scores.values():
            d = s.to_dict()
            row = [tracker, seq, f"{s.kind}:{s.name}" if not s.name.startswith("all ") else s.name]
            for c in _COLS:
                v = d.get(c)
                row.append("-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)))
            cells.append(row)
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(x.ljust(w) if i < 3 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def run_count(args) -> Dict[str, Any]:
    """The ``count`` command on parsed arguments; returns the JSON document."""
    from . import api
    from .datasets import default_sequences, load_dataset
    from ..io.mot import read_results
    if args.tolerance < 0:
        raise ValueError(f"--tolerance: expected frames >= 0; got {args.tolerance}")
    if args.json:
        from .cli_args import check_writable
        check_writable(args.json, "--json")
    if args.data_root is None:
        for opt in ("seqs", "det_file", "embeddings", "split", "results", "camera_motion"):
            if getattr(args, opt):
                raise ValueError(f"--{opt.replace('_', '-')} needs a DATA_ROOT")
        seqs = default_sequences(args.seed)
    else:
        if not Path(args.data_root).exists():
            raise FileNotFoundError(f"dataset root not found: {args.data_root}")
        seqs = load_dataset(args.data_root, split=args.split,
                            seqs=[s.strip() for s in args.seqs.split(",")] if args.seqs else None,
                            det_file=args.det_file, frames=args.frames, embeddings=args.embeddings,
                            benchmark=args.benchmark, with_dets=args.results is None)
    geos = {s.name: geometry_for(s, args.geometry) for s in seqs}
    outputs: Dict[str, Dict[str, Any]] = {}
    notes: List[str] = []
    if args.results is not None:
        rd = Path(args.results)
        if not rd.is_dir():
            raise FileNotFoundError(f"results folder not found: {rd}")
        outputs[rd.name] = {s.name: read_results(rd / f"{s.name}.txt") for s in seqs}
    else:
        names = api.select_trackers(args.trackers, seqs)
        if args.camera_motion:
            if not Path(args.camera_motion).is_dir():
                raise FileNotFoundError(f"--camera-motion: not a directory: {args.camera_motion}")
            seqs = api.attach_camera_motion(seqs, args.camera_motion, notes)
        from .cli_args import parse_params
        params = parse_params(args.param)
        ms = "default" if args.min_score is _DEFAULT_SCORE else args.min_score
        for n in names:
            outputs[n] = {s.name: api.run_tracker(n, s, params.get(n), ms, warmup=False).results
                          for s in seqs}
    doc: Dict[str, Any] = {"tolerance": int(args.tolerance),
                           "geometry": {s: _geometry_doc(g) for s, g in geos.items()},
                           "trackers": {}}
    blocks = []
    for tname, res in outputs.items():
        per = {s.name: count_sequence(s, res[s.name], geos[s.name], tolerance=args.tolerance)
               for s in seqs}
        comb = combine_counts(per)
        doc["trackers"][tname] = {
            "sequences": {k: [x.to_dict() for x in v] for k, v in per.items()},
            "combined": {k: v.to_dict() for k, v in comb.items()}}
        if args.per_sequence:
            for k, v in per.items():
                blocks.append((tname, k, {x.name: x for x in v}))
        blocks.append((tname, "COMBINED", comb))
    doc["_table"] = format_count_table(blocks)
    doc["_notes"] = notes
    return doc


def _geometry_doc(g: CountGeometry) -> Dict[str, Any]:
    return {"source": g.source,
            "lines": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in ln.items()} for ln in g.lines],
            "zones": [{**z, "polygon": [list(v) for v in z["polygon"]]} for z in g.zones]}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mottrack.eval count ...``; returns the exit code (0 ok, 2 bad input or
    command line, as the other ``mottrack.eval`` commands)."""
    from ..io.mot import MotFormatError
    try:
        args = build_count_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    t0 = time.perf_counter()
    try:
        doc = run_count(args)
    except (MotFormatError, ValueError, TypeError, OSError) as exc:
        msg = str(exc)
        if isinstance(exc, OSError) and getattr(exc, "filename", None) and str(exc.filename) not in msg:
            msg = f"{exc.strerror or msg}: {exc.filename}"
        print(f"{PROG}: error: {' '.join(msg.split())}", file=sys.stderr)
        return 2
    table = doc.pop("_table")
    for line in doc.pop("_notes"):
        print(f"  note: {line}", file=sys.stderr)
    if not args.quiet:
        srcs = sorted({g["source"] for g in doc["geometry"].values()})
        print(f"Counting accuracy on {len(doc['geometry'])} sequences; lines/zones: "
              f"{', '.join(srcs)}; tolerance {doc['tolerance']} frames")
        print("(err = tracker - gt; precision / recall of crossings matched to gt crossings; "
              "occ_mae = mean |occupancy error| per frame)")
    print(table)
    if args.json:
        p = Path(args.json)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")
        print(f"wrote {p}")
    if not args.quiet:
        print(f"total time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
