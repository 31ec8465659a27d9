"""Track and score sequences: :func:`evaluate`, the engine behind ``python -m mottrack.eval``.

>>> from mottrack.eval import evaluate
>>> res = evaluate()                       # embedded default, all available trackers
>>> res.table()                            # list of row dicts, no pandas needed
>>> res.to_dict()["sort"]["combined"]["MOTA"]
>>> res.plot_metrics(); res.plot_timeline("SYNTH-Crowd", tracker="sort")

The pieces live in their own modules: :mod:`~mottrack.eval.run` (one tracker on one
sequence: score gate, feed order, embeddings, the sequence's frame rate, timing),
:mod:`~mottrack.eval.scoring` (metrics of one tracker), :mod:`~mottrack.eval.result`
(tables, JSON, CSV, result files) and :mod:`~mottrack.eval.jobs` (the process pool).  This
module orchestrates them and re-exports their public names.

Score filtering is explicit.  Each tracker class declares its default minimum detection
score (``default_min_score``), applied before ``update()`` and printed by the CLI; e.g.
SORT 0.5 (it was designed for detections already thresholded: the Faster R-CNN detections of
the SORT paper are cut at 0.5; fed YOLOX's full low-score tail its MOTA on MOT17 half-val falls
from ~75 to ~51), DeepSORT 0.3 (deep_sort_app's ``min_confidence``), ByteTrack none (it splits
detections itself and needs the low-score tail).  ``min_score`` overrides the default for
every tracker (``None`` = keep all detections).

Every tracker runs at its sequence's frame rate (``seqinfo.ini``), without timestamps;
``params={"bytetrack": {"frame_rate": 30}}`` overrides it.
"""
from __future__ import annotations

import os
import re
import time
import warnings
from dataclasses import replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .datasets import EvalSequence, default_sequences, load_dataset
from .errors import InputError
from .jobs import Task, progress_bar, run_tasks
from .metrics import combine_sequences
from .result import JSON_KEYS, TABLE_COLUMNS, EvalResult
from .run import (DEFAULT_MIN_SCORE, TrackerRun, available, needs_embeddings, resolve_min_score,
                  run_tracker)
from .scoring import BACKENDS, TrackerScores, score_sequences

__all__ = ["evaluate", "run_tracker", "resolve_min_score", "score_sequences", "EvalResult", "TrackerRun",
           "TrackerScores", "DEFAULT_MIN_SCORE", "TABLE_COLUMNS", "JSON_KEYS", "available", "BACKENDS",
           "select_trackers", "attach_camera_motion"]


def select_trackers(trackers: str | Iterable[str] | None, seqs: Sequence[EvalSequence]) -> list[str]:
    """Tracker names to run: the given ones (comma-separated string accepted), validated; by
    default every registered tracker, minus those that need embeddings when no sequence has
    them."""
    avail = available()
    if trackers is None:
        names = list(avail)
        if not any(s.embeddings is not None for s in seqs):
            names = [n for n in names if not needs_embeddings(n)]
        return names
    if isinstance(trackers, str):
        names = [t.strip().lower() for t in trackers.split(",") if t.strip()]
    else:
        names = [t.lower() for t in trackers]
    bad = [n for n in names if n not in avail]
    if bad:
        raise ValueError(f"unknown or unavailable tracker(s) {', '.join(bad)}; "
                         f"available: {', '.join(avail)}")
    return names


def attach_camera_motion(seqs: Sequence[EvalSequence], camera_motion: Any,
                         notes: list | None = None) -> list[EvalSequence]:
    """``seqs`` with their per-frame camera warps.

    ``camera_motion`` is a folder of ``<SEQ>.txt`` warp files (read by
    :func:`mottrack.motion.read_warp_dir`) or ``{SEQ: (K, 2|3, 3) warps}``; warp ``k`` goes
    with the ``k``-th tracked frame (half-val: the first is frame ``N//2+2``), and a file
    ``MOT17-05.txt`` serves every detector's copy (``MOT17-05-FRCNN``, ...).  Files of the
    folder that match none of ``seqs`` are not read: one line naming them is appended to ``notes`` (a
    ``UserWarning`` when ``notes`` is None).

    Raises
    ------
    InputError
        A missing sequence, too few warps, or an unreadable folder (messages start with ``camera motion``).
    """
    if camera_motion is None:
        return list(seqs)
    if isinstance(camera_motion, (str, os.PathLike)):
        try:
            from ..motion import read_warp_dir
            wanted = {s.name for s in seqs} | {re.sub(r"-(DPM|FRCNN|SDP)$", "", s.name) for s in seqs}
            found: list = []
            table = read_warp_dir(camera_motion, names=wanted, notes=found)
            if notes is not None:
                notes.extend(found)
            else:
                for line in found:
                    warnings.warn(line, UserWarning, stacklevel=2)
        except ValueError as exc:
            msg = str(exc)
            raise InputError(msg if msg.startswith("camera motion") else
                             f"camera motion: {msg}") from None
    else:
        table = dict(camera_motion)
    out = []
    for s in seqs:
        base = re.sub(r"-(DPM|FRCNN|SDP)$", "", s.name)
        w = table.get(s.name, table.get(base))
        if w is None:
            raise InputError(f"camera motion: no warps for sequence {s.name} (expected "
                             f"{s.name}.txt or {base}.txt)")
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 3 or w.shape[1:] not in ((2, 3), (3, 3)) or w.shape[0] < s.num_eval_frames:
            raise InputError(f"camera motion of {s.name}: expected ({s.num_eval_frames}, 2|3, 3) "
                             f"warps, one per tracked frame; got shape {w.shape}")
        out.append(replace(s, camera_motion=w[:s.num_eval_frames]))
    return out


def evaluate(data: str | os.PathLike | Sequence[EvalSequence] | None = None, *,
             trackers: str | Iterable[str] | None = None,
             params: Mapping[str, Mapping[str, Any]] | None = None,
             min_score: float | None | str | Mapping[str, float | None] = "default",
             seqs: Sequence[str] | None = None, split: str | None = None,
             det_file: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
             frames: str = "all",
             embeddings: str | os.PathLike | None = None, benchmark: str | None = None,
             backend: str = "trackeval-exact", progress: bool = False,
             seed: int = 0, jobs: int = 1, kitti_class: str = "car",
             camera_motion: Any = None) -> EvalResult:
    """Track and score sequences with one or more trackers.

    Parameters
    ----------
    data : path, list of EvalSequence or None
        A dataset folder (see :func:`~mottrack.eval.datasets.load_dataset`), ready
        sequences, or None for the embedded default (motmetrics' TUD gt + a synthetic crowd,
        simulated detections).
    trackers : str or list of str, optional
        Names (comma separated string accepted); default every registered tracker (those
        with ``embeddings = "required"`` only when some sequence has embeddings).
    params : dict, optional
        ``{tracker: {param: value}}`` constructor parameters.  ``frame_rate`` defaults to
        each sequence's own frame rate.
    min_score : float, None, 'default' or dict
        Minimum detection score for every tracker; ``'default'`` uses each class's
        ``default_min_score``, None keeps all detections, a dict ``{tracker: score}`` sets
        some trackers (the others keep their default).
    seqs, split, det_file, frames, embeddings, benchmark, kitti_class
        Dataset selection, see :func:`~mottrack.eval.datasets.load_dataset`.
    backend : {'trackeval-exact', 'motmetrics'}
        Metrics implementation: mottrack's exact TrackEval re-implementation (CLEAR, Identity,
        HOTA), or motmetrics' MOTAccumulator (MOTA/IDF1 family; no HOTA).
    progress : bool
        Show a tqdm progress bar over frames on stderr.
    seed : int
        Seed of the simulated detections of the default data.
    jobs : int
        Worker processes tracking and scoring (tracker, sequence) pairs; the numbers equal
        those of ``jobs=1``.
    camera_motion : path or dict, optional
        Per-frame camera warps for every sequence, fed to every tracker (see
        :func:`attach_camera_motion`).

    Returns
    -------
    EvalResult

    Notes
    -----
    Into a kernel cache that lacks them, the kernels of the trackers and of the metrics are
    first compiled in forked child processes, one per CPU (:mod:`mottrack.eval.warm`; one line
    on stderr says so); the numbers are those of a warm run.
    """
    t_start = time.perf_counter()
    if data is None:
        seq_list = default_sequences(seed)
    elif isinstance(data, (str, os.PathLike)):
        seq_list = load_dataset(data, split=split, seqs=seqs, det_file=det_file, frames=frames,
                                embeddings=embeddings, benchmark=benchmark,
                                kitti_class=kitti_class)
    else:
        seq_list = list(data)
        if seqs:
            seq_list = [s for s in seq_list if s.name in set(seqs)]
    names = select_trackers(trackers, seq_list)
    seq_list = attach_camera_motion(seq_list, camera_motion)
    params = {k.lower(): dict(v) for k, v in (params or {}).items()}
    gates = {n: resolve_min_score(min_score, n) for n in names}
    exact = backend == "trackeval-exact"
    if not exact and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    tasks = [Task(n, k, params.get(n, {}), gates[n], exact)
             for n in names for k in range(len(seq_list))]
    total = sum(s.num_eval_frames for s in seq_list) * len(names)
    from .warm import warm_first_run
    warm_first_run(seq_list, names, params, gates, score=exact, jobs=None)
    bar = progress_bar(total, progress, "tracking")
    try:
        done = run_tasks(seq_list, tasks, jobs, bar)
    finally:
        if bar is not None:
            bar.close()
    out = {}
    for n in names:
        mine = [(t, r) for t, r in zip(tasks, done) if t.tracker == n]
        runs = {seq_list[t.seq_index].name: run for t, (run, _) in mine}
        if exact:
            per = {seq_list[t.seq_index].name: m for t, (_, m) in mine if m is not None}
            sc = TrackerScores(n, per, combine_sequences(per.values()), backend=backend)
        else:
            sc = score_sequences(seq_list, {k: r.results for k, r in runs.items()}, backend, n)
        sc.runs, sc.min_score, sc.params = runs, gates[n], dict(params.get(n, {}))
        out[n] = sc
    return EvalResult(out, seq_list, backend, time.perf_counter() - t_start)
