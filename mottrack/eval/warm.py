"""The evaluator's first run: compile the kernels it needs in parallel child processes.

Into an empty kernel cache, the trackers an evaluation runs (and the metric kernels) are
compiled before the run, each target in its own forked child process, as many at a time
as there are CPUs.  A child runs the part of the run that compiles (each tracker's warm-up
on the first frames of every sequence, as :func:`~mottrack.eval.run.run_tracker` does it,
or the scoring of one sequence), so the numbers of the run are untouched; it then exits,
returning the memory compiling took, and the run itself loads the kernels from the cache.
The first tracker (it compiles the shared core) runs beside the metrics, then the others.
One line on stderr says what is being compiled.  With a warm cache (a marker per target
in the cache folder) nothing of this runs.
"""
from __future__ import annotations

import functools
import multiprocessing as mp
import os
from multiprocessing.connection import wait
import sys
import time
from typing import Any, Callable, Mapping, Sequence

from .datasets import EvalSequence

__all__ = ["warm_first_run", "warm_key"]


def warm_key(name: str, seqs: Sequence[EvalSequence], params: Mapping[str, Any]) -> str:
    """The cache marker of tracker ``name`` run on ``seqs``: what changes the kernels it
    compiles (embeddings fed or not, camera motion, boolean parameters such as per_class)."""
    from .run import tracker_class
    mode = tracker_class(name).embeddings
    emb = mode != "none" and any(s.embeddings is not None for s in seqs)
    cm = any(s.camera_motion is not None for s in seqs)
    flags = "".join(f"-{k}={v}" for k, v in sorted(params.items()) if isinstance(v, bool))
    return f"eval-{name}-e{int(emb)}c{int(cm)}{flags}"


def _warm_tracker(name: str, seqs: Sequence[EvalSequence], params: Mapping[str, Any],
                  min_score: float | None) -> None:
    from .run import needs_embeddings, warm_up
    for s in seqs:
        if s.embeddings is None and needs_embeddings(name):
            continue  # the run refuses it (and says why); nothing to compile for it
        warm_up(name, s, params, min_score)


def gt_as_results(seq: EvalSequence):
    """The ground-truth boxes of ``seq`` as a tracker's result table (scoring it runs every
    metric kernel)."""
    from ..io.mot import MotTable
    g = seq.gt
    if g is None:
        raise ValueError(f"{seq.name}: no ground truth")
    return MotTable.from_arrays(g.frames, g.ids, g.boxes)


def _warm_metrics(seqs: Sequence[EvalSequence]) -> None:
    from .scoring import score_one
    for s in seqs:
        if s.gt is not None and len(s.gt):
            score_one(s, gt_as_results(s))
            return


def _child(job: Callable[[], None], key: str) -> None:
    from .._numba import mark_warm
    try:
        job()
    except BaseException:  # noqa: BLE001 - the run itself will compile (and report) it
        os._exit(1)
    mark_warm(key)
    sys.stdout.flush()
    os._exit(0)


def warm_first_run(seqs: Sequence[EvalSequence], names: Sequence[str],
                   params: Mapping[str, Mapping[str, Any]], min_scores: Mapping[str, float | None],
                   score: bool = True, jobs: int | None = None, notice: bool = True) -> list[str]:
    """Compile the kernels of ``names`` on ``seqs`` (and the metric kernels when ``score``)
    that the cache does not hold yet, in forked child processes, ``jobs`` at a time
    (default: every CPU).  Returns the targets compiled (empty with a warm cache, without
    numba or a cache folder, and where processes cannot be forked)."""
    from .. import _numba
    from .._numba import is_warm
    from .jobs import default_jobs
    if _numba.numba is None or _numba.CACHE_DIR is None or not sys.platform.startswith("linux"):
        return []
    todo: list[tuple[str, str, Callable[[], None]]] = []
    for n in names:
        p = dict(params.get(n, {}))
        key = warm_key(n, seqs, p)
        if not is_warm(key):
            todo.append((n, key, functools.partial(_warm_tracker, n, seqs, p, min_scores.get(n))))
    if score and any(s.gt is not None for s in seqs) and not is_warm("eval-metrics"):
        todo.append(("metrics", "eval-metrics", functools.partial(_warm_metrics, seqs)))
    if not todo:
        return []
    jobs = max(1, min(jobs or default_jobs(), len(todo)))
    t0 = time.perf_counter()
    if notice:
        print(f"mottrack.eval: first run with this kernel cache: compiling {', '.join(t for t, _, _ in todo)} "
              f"in {jobs} process{'es' if jobs > 1 else ''} (cached in {_numba.CACHE_DIR}; later runs "
              "skip this) ...", file=sys.stderr, flush=True)
    ctx = mp.get_context("fork")
    # as `python -m mottrack compile`: the first tracker compiles the shared core beside the
    # metrics; the other trackers start after it and load the shared kernels
    trackers = [t for t in todo if t[0] != "metrics"]
    stages = [trackers[:1] + [t for t in todo if t[0] == "metrics"], trackers[1:]]
    from ..registry import next_compile_target
    for stage in stages:
        running: list[tuple[str, Any]] = []
        queue = list(stage)
        while queue or running:
            while queue and len(running) < jobs:
                # trackers sharing kernels (BoT-SORT and ByteTrack, ...) one after the other
                i = next_compile_target([t for t, _, _ in queue], [t for t, _ in running])
                if i is None:
                    break
                target, key, job = queue.pop(i)
                proc = ctx.Process(target=_child, args=(job, key), daemon=True)
                proc.start()
                running.append((target, proc))
            wait([p.sentinel for _, p in running])
            running = [(t, p) for t, p in running if p.is_alive()]
    if notice:
        print(f"mottrack.eval: compiled in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return [t for t, _, _ in todo]
