"""Run trackers over sequences and score them: the engine behind ``python -m mottrack.eval``.

>>> from mottrack.eval import evaluate
>>> res = evaluate()                       # embedded default, all available trackers
>>> res.table()                            # list of row dicts, no pandas needed
>>> res.to_dict()["sort"]["combined"]["MOTA"]
>>> res.plot_metrics(); res.plot_timeline("SYNTH-Crowd", tracker="sort")

Score filtering is explicit.  Each tracker class declares its default minimum detection
score (``default_min_score``), applied before ``update()`` and printed by the CLI; e.g.
SORT 0.5 (it was designed for detections already thresholded: the Faster R-CNN detections of
the SORT paper are cut at 0.5; fed YOLOX's full low-score tail its MOTA on MOT17 half-val falls
from ~75 to ~51), DeepSORT 0.3 (deep_sort_app's ``min_confidence``), ByteTrack none (it splits
detections itself and needs the low-score tail).

``min_score`` overrides the default for every tracker (``None`` = keep all detections).

Detections reach ``update()`` in the order the tracker class declares (``feed_order``): file
order, or descending score order for trackers whose original app sorted them (DeepSORT).
Trackers with ``embeddings = "required"`` get each detection's embedding; with
``"optional"`` they get them where the sequence has them.  Trackers run with their
default ``frame_rate`` (30) and no timestamps, as the reference implementations were run on
MOTChallenge; pass ``--param tracker.frame_rate=...`` to change that.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..io.mot import MotTable, write_results
from ..registry import registered_trackers, tracker_class
from .datasets import EvalSequence, default_sequences, load_dataset
from .metrics import SequenceMetrics, combine_sequences, evaluate_sequence

__all__ = ["evaluate", "run_tracker", "resolve_min_score", "score_sequences", "EvalResult", "TrackerRun",
           "DEFAULT_MIN_SCORE", "TABLE_COLUMNS", "JSON_KEYS", "available", "BACKENDS"]

class _DefaultMinScores(Mapping):
    """``{tracker name: default minimum score}`` read from the registered classes."""

    def __getitem__(self, name: str) -> float | None:
        return tracker_class(name).default_min_score

    def __iter__(self):
        return iter(registered_trackers())

    def __len__(self) -> int:
        return len(registered_trackers())


#: Default minimum detection score per tracker (None = all detections), from the registry.
DEFAULT_MIN_SCORE: Mapping[str, float | None] = _DefaultMinScores()
#: Columns of the printed table (Rcll/Prcn = recall/precision, FPS = frames per second of update()).
TABLE_COLUMNS = ("MOTA", "IDF1", "HOTA", "IDSW", "FP", "FN", "MT", "ML", "Rcll", "Prcn", "FPS")
#: Keys of every JSON metrics block (percentages 0-100 floats, counts ints).
JSON_KEYS = ("MOTA", "MOTP", "IDF1", "IDP", "IDR", "HOTA", "DetA", "AssA", "LocA", "FP", "FN",
             "IDSW", "MT", "PT", "ML", "Frag")
_COUNT_KEYS = {"FP", "FN", "IDSW", "MT", "PT", "ML", "Frag", "GT", "frames"}
BACKENDS = ("trackeval-exact", "motmetrics")


def available() -> list[str]:
    """Registered trackers, in registration order."""
    return registered_trackers()


def resolve_min_score(min_score, name: str) -> float | None:
    """The minimum score for tracker ``name``: ``'default'``, a number/None for all
    trackers, or a ``{tracker: score}`` dict (trackers not in it get their default)."""
    if isinstance(min_score, Mapping):
        return min_score.get(name, DEFAULT_MIN_SCORE.get(name)) if name in min_score \
            else DEFAULT_MIN_SCORE.get(name)
    if isinstance(min_score, str):
        if min_score != "default":
            raise ValueError(f"min_score must be a number, None, 'default' or a dict; got {min_score!r}")
        return DEFAULT_MIN_SCORE.get(name)
    return None if min_score is None else float(min_score)


def _needs_embeddings(name: str) -> bool:
    return bool(tracker_class(name).embeddings == "required")


def _uses_embeddings(name: str, seq: EvalSequence) -> bool:
    """Whether ``name`` is fed ``seq``'s embeddings (required, or optional and present)."""
    kind = tracker_class(name).embeddings
    return kind == "required" or (kind == "optional" and seq.embeddings is not None)


# --------------------------------------------------------------------------- running


@dataclass(eq=False)
class TrackerRun:
    """One tracker on one sequence: its output and how long ``update()`` took."""

    tracker: str
    sequence: str
    results: MotTable
    latency_ns: np.ndarray          # per frame
    num_dets: np.ndarray            # detections fed per frame (after min_score)
    num_out: np.ndarray             # rows returned per frame
    min_score: float | None = None
    params: dict = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.latency_ns.shape[0])

    @property
    def total_seconds(self) -> float:
        return float(self.latency_ns.sum()) * 1e-9

    @property
    def fps(self) -> float:
        t = self.total_seconds
        return self.frames / t if t > 0 else float("inf")


_WARM: set = set()


def _frame_inputs(seq: EvalSequence, min_score: float | None, by_score: bool = False):
    """Per-frame (rows (n,5) float64 x1y1x2y2score, embeddings or None) for the tracked frames.

    Rows keep file order, or with ``by_score`` descending score order (stable) -- the order
    deep_sort_app hands detections to DeepSORT (its NMS with overlap 1.0 sorts them).
    """
    d = seq.dets
    keep = np.ones(len(d), bool) if min_score is None else d.scores >= min_score
    b = d.boxes
    rows = np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3], d.scores])
    off = d.frame_offsets(seq.num_frames)
    out = []
    for f in seq.frames:
        a, z = int(off[f - 1]), int(off[f])
        k = np.flatnonzero(keep[a:z])
        if by_score and k.size > 1:
            k = k[np.argsort(-d.scores[a:z][k], kind="stable")]
        r = np.ascontiguousarray(rows[a:z][k])
        e = None if seq.embeddings is None else np.ascontiguousarray(seq.embeddings[a:z][k])
        out.append((f, r, e))
    return out


def _make_input(r: np.ndarray, e: np.ndarray | None, use_emb: bool):
    if use_emb:
        from ..detections import Detections
        return Detections(r[:, :4], r[:, 4], None, e)
    return r


def run_tracker(name: str, seq: EvalSequence, params: Mapping[str, Any] | None = None,
                min_score: float | None | str = "default", progress=None,
                warmup: bool = True, camera_motion: np.ndarray | None = None) -> TrackerRun:
    """Track one sequence frame by frame and time every ``update()``.

    Parameters
    ----------
    name : str
        Registered tracker name.
    seq : EvalSequence
    params : dict, optional
        Constructor parameters.
    min_score : float, None or 'default'
        Detections with a lower score are dropped before ``update()``; ``'default'``
        uses :data:`DEFAULT_MIN_SCORE`.
    progress : tqdm-like, optional
        ``update(1)`` is called per frame.
    warmup : bool
        Run the tracker once on a few frames first so that compilation is not timed.
    camera_motion : ndarray (K, 2, 3) or (K, 3, 3), optional
        One camera warp per tracked frame (the k-th goes with the k-th ``update()``).
    """
    from ..trackers import create_tracker
    params = dict(params or {})
    min_score = resolve_min_score(min_score, name)
    use_emb = _uses_embeddings(name, seq)
    if use_emb and seq.embeddings is None:
        raise ValueError(f"{name} needs appearance embeddings but sequence {seq.name} has none "
                         f"(pass --embeddings DIR with {seq.name}.npy)")
    inputs = _frame_inputs(seq, min_score, by_score=tracker_class(name).feed_order == "score")
    if warmup and name not in _WARM:
        w = create_tracker(name, **params)
        for _, r, e in inputs[:8]:
            w.update(_make_input(r, e, use_emb))
        e0 = None if seq.embeddings is None else np.zeros((0, seq.embeddings.shape[1]), np.float32)
        w.update(_make_input(np.zeros((0, 5)), e0, use_emb))
        _WARM.add(name)
    trk = create_tracker(name, **params)
    n = len(inputs)
    if camera_motion is not None and len(camera_motion) < n:
        raise ValueError(f"camera motion of {seq.name}: {len(camera_motion)} warps for {n} tracked frames")
    lat = np.empty(n, np.int64)
    nd = np.empty(n, np.int64)
    no = np.empty(n, np.int64)
    outs = []
    clock = time.perf_counter_ns
    for i, (f, r, e) in enumerate(inputs):
        x = _make_input(r, e, use_emb)
        t0 = clock()
        o = trk.update(x) if camera_motion is None else trk.update(x, camera_motion=camera_motion[i])
        lat[i] = clock() - t0
        nd[i] = r.shape[0]
        no[i] = o.shape[0]
        if o.shape[0]:
            outs.append(np.column_stack([np.full(o.shape[0], f, np.float64), o[:, :6]]))
        if progress is not None:
            progress.update(1)
    if outs:
        a = np.concatenate(outs)
    else:
        a = np.zeros((0, 7))
    boxes = np.column_stack([a[:, 1], a[:, 2], a[:, 3] - a[:, 1], a[:, 4] - a[:, 2]])
    res = MotTable.from_arrays(a[:, 0].astype(np.int64), a[:, 5].astype(np.int64), boxes, a[:, 6])
    return TrackerRun(name, seq.name, res, lat, nd, no, min_score, params)


# --------------------------------------------------------------------------- scoring


def _clean(v):
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return None if not np.isfinite(v) else v
    if isinstance(v, (int, np.integer)):
        return int(v)
    return v


@dataclass(eq=False)
class TrackerScores:
    """Per-sequence and combined metrics of one tracker (or one results folder)."""

    tracker: str
    sequences: dict               # name -> SequenceMetrics (or dict for motmetrics)
    combined: Any
    runs: dict = field(default_factory=dict)   # name -> TrackerRun (empty for `score`)
    backend: str = "trackeval-exact"
    min_score: float | None = None
    params: dict = field(default_factory=dict)

    def summary(self, seq: str | None = None) -> dict:
        m = self.combined if seq is None else self.sequences[seq]
        s = m.summary() if isinstance(m, SequenceMetrics) else dict(m)
        if self.runs:
            runs = list(self.runs.values()) if seq is None else [self.runs[seq]]
            frames = sum(r.frames for r in runs)
            t = sum(r.total_seconds for r in runs)
            s["FPS"] = frames / t if t > 0 else None
            s["frames"] = frames
        return {k: _clean(v) for k, v in s.items()}


def score_sequences(seqs: Sequence[EvalSequence], results: Mapping[str, MotTable],
                    backend: str = "trackeval-exact", name: str = "results") -> TrackerScores:
    """Score result tables (``{seq_name: MotTable}``) against the sequences' gt."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    pairs = [(s.name, s.scoring_window(s.gt), s.scoring_window(results[s.name]), s)
             for s in seqs if s.gt is not None]
    if backend == "motmetrics":
        from .backends import motmetrics_evaluate
        benches = {p[3].benchmark for p in pairs}
        mm = motmetrics_evaluate([p[:3] for p in pairs], sorted(benches)[0])
        per, comb = mm["sequences"], mm["combined"]
    else:
        per = {n: evaluate_sequence(g, r, s.benchmark, s.num_eval_frames, n)
               for n, g, r, s in pairs}
        comb = combine_sequences(per.values())
    return TrackerScores(name, per, comb, backend=backend)


# --------------------------------------------------------------------------- result object


def _fmt(v, key):
    if v is None:
        return "-"
    if key in _COUNT_KEYS:
        return str(int(v))
    if key == "FPS":
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}"
    return f"{v:.1f}"


@dataclass(eq=False)
class EvalResult:
    """What :func:`evaluate` returns: per tracker, per-sequence and combined metrics.

    Attributes
    ----------
    trackers : dict
        ``{tracker: TrackerScores}``.
    sequences : list of EvalSequence
        What was evaluated.
    backend : str
    elapsed : float
        Wall time of the whole evaluation, seconds.
    """

    trackers: dict
    sequences: list
    backend: str = "trackeval-exact"
    elapsed: float = 0.0

    # -- tables ------------------------------------------------------------------------
    def table(self, columns: Sequence[str] = TABLE_COLUMNS, combined: bool = True) -> list[dict]:
        """Rows ``{'tracker', 'sequence', <columns>...}``: every sequence, then COMBINED."""
        rows = []
        for tname, ts in self.trackers.items():
            names = list(ts.sequences)
            if combined:
                names.append(None)
            for s in names:
                summ = ts.summary(s)
                row = {"tracker": tname, "sequence": "COMBINED" if s is None else s}
                row.update({c: summ.get(c) for c in columns})
                rows.append(row)
        return rows

    def format_table(self, columns: Sequence[str] = TABLE_COLUMNS) -> str:
        """The table as aligned text (what the CLI prints)."""
        rows = self.table(columns)
        head = ["tracker", "sequence", *columns]
        cells = [[r["tracker"], r["sequence"], *(_fmt(r[c], c) for c in columns)] for r in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
                  for i, h in enumerate(head)]
        lines = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in
                           enumerate(zip(head, widths)))]
        lines.append("  ".join("-" * w for w in widths))
        prev = None
        for c in cells:
            if prev is not None and c[0] != prev:
                lines.append("")
            prev = c[0]
            lines.append("  ".join(x.ljust(w) if i < 2 else x.rjust(w)
                                   for i, (x, w) in enumerate(zip(c, widths))))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_table()

    def to_dict(self) -> dict:
        """``{tracker: {"sequences": {SEQ: {...}}, "combined": {...}, ...}}``.

        Metric blocks hold :data:`JSON_KEYS` plus Rcll, Prcn, GT and (when tracked) FPS and
        frames; percentages are 0-100 floats, counts ints, undefined values None.
        """
        out = {}
        for tname, ts in self.trackers.items():
            out[tname] = {
                "backend": ts.backend,
                "min_score": ts.min_score,
                "params": dict(ts.params),
                "sequences": {s: ts.summary(s) for s in ts.sequences},
                "combined": ts.summary(None),
            }
        return out

    def to_json_dict(self) -> dict:
        """The JSON document: flat ``{"sequences", "combined"}`` for one tracker, else nested."""
        d = self.to_dict()
        if len(d) == 1:
            (tname, block), = d.items()
            return {"tracker": tname, **block}
        return d

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write every row (all trackers, sequences, COMBINED) with all metric keys."""
        import csv
        keys = list(JSON_KEYS) + ["Rcll", "Prcn", "GT", "FPS", "frames"]
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["tracker", "sequence", *keys])
            for r in self.table(keys):
                w.writerow([r["tracker"], r["sequence"],
                            *("" if r[k] is None else r[k] for k in keys)])

    def _repr_html_(self) -> str:
        import html
        cols = TABLE_COLUMNS
        h = ["<table><thead><tr><th>tracker</th><th>sequence</th>"]
        h += [f"<th>{c}</th>" for c in cols]
        h.append("</tr></thead><tbody>")
        for r in self.table(cols):
            bold = r["sequence"] == "COMBINED"
            tag = ("<b>", "</b>") if bold else ("", "")
            h.append("<tr>" + "".join(f"<td>{tag[0]}{html.escape(str(r[k]))}{tag[1]}</td>"
                                      for k in ("tracker", "sequence")))
            h.append("".join(f"<td style='text-align:right'>{tag[0]}{_fmt(r[c], c)}{tag[1]}</td>"
                             for c in cols) + "</tr>")
        h.append("</tbody></table>")
        h.append(f"<p style='font-size:smaller'>backend: {html.escape(self.backend)}; "
                 f"{len(self.sequences)} sequences; {self.elapsed:.1f} s</p>")
        return "".join(h)

    # -- plots -------------------------------------------------------------------------
    def plot_metrics(self, metrics: Sequence[str] = ("MOTA", "IDF1", "HOTA"), ax=None):
        """Grouped bars of ``metrics`` per sequence and tracker (needs matplotlib)."""
        from .plots import plot_metric_bars
        return plot_metric_bars(self, metrics, ax=ax)

    def plot_timeline(self, sequence: str | None = None, tracker: str | None = None, ax=None):
        """Track timelines (gt id vs frame, coloured by tracker id) with ID switches marked."""
        from .plots import plot_track_timeline
        tracker = tracker or next(iter(self.trackers))
        sequence = sequence or next(iter(self.trackers[tracker].sequences))
        seq = next(s for s in self.sequences if s.name == sequence)
        run = self.trackers[tracker].runs.get(sequence)
        if run is None:
            raise ValueError(f"no tracker output kept for {tracker}/{sequence}")
        return plot_track_timeline(seq, run.results, ax=ax, title=f"{tracker} on {sequence}")

    def write_results(self, out_dir: str | os.PathLike) -> list[Path]:
        """MOTChallenge result files ``out_dir/<tracker>/<SEQ>.txt`` (``out_dir/<SEQ>.txt``
        when only one tracker ran)."""
        out_dir = Path(out_dir)
        paths = []
        single = len(self.trackers) == 1
        for tname, ts in self.trackers.items():
            for sname, run in ts.runs.items():
                p = (out_dir if single else out_dir / tname) / f"{sname}.txt"
                write_results(p, run.results)
                paths.append(p)
        return paths


# --------------------------------------------------------------------------- evaluate


def _progress(total: int, enabled: bool, desc: str):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=False,
                dynamic_ncols=True)


def evaluate(data: str | os.PathLike | Sequence[EvalSequence] | None = None, *,
             trackers: str | Iterable[str] | None = None,
             params: Mapping[str, Mapping[str, Any]] | None = None,
             min_score: float | None | str = "default",
             seqs: Sequence[str] | None = None, split: str | None = None,
             det_file: str | os.PathLike | None = None, frames: str = "all",
             embeddings: str | os.PathLike | None = None, benchmark: str | None = None,
             backend: str = "trackeval-exact", progress: bool = False,
             seed: int = 0, camera_motion: Any = None) -> EvalResult:
    """Track and score sequences with one or more trackers.

    Parameters
    ----------
    data : path, list of EvalSequence or None
        A MOTChallenge dataset folder (see :func:`~mottrack.eval.datasets.load_dataset`), ready
        sequences, or None for the embedded default (motmetrics' TUD gt + a synthetic crowd,
        simulated detections).
    trackers : str or list of str, optional
        Names (comma separated string accepted); default every available tracker.  DeepSORT
        is skipped on data without embeddings when not asked for explicitly.
    params : dict, optional
        ``{tracker: {param: value}}`` constructor parameters.
    min_score : float, None, 'default' or dict
        Minimum detection score for every tracker; ``'default'`` uses
        :data:`DEFAULT_MIN_SCORE` per tracker, None keeps all detections, a dict
        ``{tracker: score}`` sets some trackers (the others keep their default).
    seqs, split, det_file, frames, embeddings, benchmark
        Dataset selection, see :func:`~mottrack.eval.datasets.load_dataset`.
    backend : {'trackeval-exact', 'motmetrics'}
        Metrics implementation: mottrack's exact TrackEval re-implementation (CLEAR, Identity,
        HOTA), or motmetrics' MOTAccumulator (MOTA/IDF1 family; no HOTA).
    progress : bool
        Show a tqdm progress bar over frames on stderr.
    seed : int
        Seed of the simulated detections of the default data.
    camera_motion : path or dict, optional
        A folder of ``<SEQ>.txt`` warp files (:func:`mottrack.motion.read_warp_dir`) or
        ``{SEQ: (K, 2|3, 3) warps}``: line k is the k-th tracked frame's warp (with
        ``frames="second-half"`` the first is frame N//2+2).  Fed to every tracker.

    Returns
    -------
    EvalResult
    """
    t_start = time.perf_counter()
    if data is None:
        seq_list = default_sequences(seed)
    elif isinstance(data, (str, os.PathLike)):
        seq_list = load_dataset(data, split=split, seqs=seqs, det_file=det_file, frames=frames,
                                embeddings=embeddings, benchmark=benchmark)
    else:
        seq_list = list(data)
        if seqs:
            seq_list = [s for s in seq_list if s.name in set(seqs)]
    explicit = trackers is not None
    if trackers is None:
        names = available()
    elif isinstance(trackers, str):
        names = [t.strip().lower() for t in trackers.split(",") if t.strip()]
    else:
        names = [t.lower() for t in trackers]
    avail = available()
    for n in names:
        if n not in avail:
            raise ValueError(f"unknown or unavailable tracker {n!r}; available: {', '.join(avail)}")
    if not explicit and not any(s.embeddings is not None for s in seq_list):
        names = [n for n in names if not _needs_embeddings(n)]
    params = {k.lower(): dict(v) for k, v in (params or {}).items()}
    warps = _camera_motion(camera_motion, seq_list, names)
    total = sum(s.num_eval_frames for s in seq_list) * len(names)
    bar = _progress(total, progress, "tracking")
    out = {}
    try:
        for n in names:
            ms = resolve_min_score(min_score, n)
            runs = {}
            for s in seq_list:
                if bar is not None:
                    bar.set_description(f"{n} {s.name}")
                runs[s.name] = run_tracker(n, s, params.get(n), ms, bar, camera_motion=warps.get(s.name))
            sc = score_sequences(seq_list, {k: r.results for k, r in runs.items()}, backend, n)
            sc.runs, sc.min_score, sc.params = runs, ms, params.get(n, {})
            out[n] = sc
    finally:
        if bar is not None:
            bar.close()
    return EvalResult(out, seq_list, backend, time.perf_counter() - t_start)


def _camera_motion(camera_motion: Any, seqs: Sequence[EvalSequence], names: Sequence[str]) -> dict:
    """{sequence name: warps} for ``evaluate(camera_motion=...)``; a file ``MOT17-05.txt``
    serves every detector's copy of the sequence (``MOT17-05-FRCNN``, ...)."""
    if camera_motion is None:
        return {}
    from ..motion import read_warp_dir
    try:
        table = (read_warp_dir(camera_motion) if isinstance(camera_motion, (str, os.PathLike))
                 else dict(camera_motion))
    except ValueError as e:
        msg = str(e)
        raise ValueError(msg if msg.startswith("camera motion") else f"camera motion: {msg}") from None
    for n in names:
        if not tracker_class(n).supports_camera_motion:
            raise ValueError(f"camera motion: tracker {n!r} does not support it")
    out = {}
    for s in seqs:
        base = s.name.rsplit("-", 1)[0] if s.name.rsplit("-", 1)[-1] in ("DPM", "FRCNN", "SDP") else s.name
        w = table.get(s.name, table.get(base))
        if w is None:
            raise ValueError(f"camera motion: no warp file for sequence {s.name} "
                             f"(expected {s.name}.txt or {base}.txt)")
        out[s.name] = np.asarray(w, dtype=np.float64)
    return out
