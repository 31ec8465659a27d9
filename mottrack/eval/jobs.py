"""Track and score (tracker, sequence) tasks, in this process or in a process pool.

Every task is independent (a fresh tracker per sequence, the metrics of one sequence), so
``jobs > 1`` gives exactly the numbers of ``jobs = 1``; only the timings differ.  One progress
bar counts frames across all tasks.  A worker process that dies (segfault, ``os._exit``,
killed) is reported with the tracker and sequence it was running.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import tempfile
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .datasets import EvalSequence
from .run import TrackerRun, run_tracker

__all__ = ["Task", "run_tasks", "WorkerCrashed", "progress_bar"]


class WorkerCrashed(RuntimeError):
    """A worker process died while running the named task(s)."""


@dataclass(frozen=True)
class Task:
    """One tracker on one sequence."""

    tracker: str
    seq_index: int
    params: Mapping[str, Any]
    min_score: float | None
    score: bool = True


def progress_bar(total: int, enabled: bool, desc: str):
    """A tqdm bar over ``total`` frames on stderr, or None (disabled or tqdm missing)."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=False,
                dynamic_ncols=True)


def _execute(task: Task, seq: EvalSequence, progress=None):
    from .scoring import score_one
    run = run_tracker(task.tracker, seq, task.params, task.min_score, progress)
    metrics = score_one(seq, run.results) if task.score and seq.gt is not None else None
    return run, metrics


# -- worker side ---------------------------------------------------------------------------
_W_SEQS: Sequence[EvalSequence] = ()
_W_DIR = ""


def _init_worker(seqs, marker_dir):
    global _W_SEQS, _W_DIR
    _W_SEQS, _W_DIR = seqs, marker_dir


def _worker(i: int, task: Task):
    seq = _W_SEQS[task.seq_index]
    marker = Path(_W_DIR) / f"{i}"
    marker.write_text(f"{task.tracker} on {seq.name}")
    out = _execute(task, seq)
    marker.unlink()
    return i, out


def _context():
    # fork keeps what the parent registered (trackers defined at run time) and starts fast
    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def run_tasks(seqs: Sequence[EvalSequence], tasks: Sequence[Task], jobs: int = 1,
              progress=None, on_done: Callable[[Task, TrackerRun], None] | None = None) -> list:
    """Run ``tasks``; returns ``[(TrackerRun, SequenceMetrics or None)]`` in task order.

    Parameters
    ----------
    seqs : sequence of EvalSequence
        Sequences the tasks index into.
    tasks : sequence of Task
    jobs : int
        Worker processes (1: run here, in order).
    progress : tqdm-like, optional
        Advanced by the frames of each task (per frame with ``jobs=1``).

    Raises
    ------
    WorkerCrashed
        A worker process died; the message names the task(s) it was running.
    """
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs: expected a whole number >= 1; got {jobs!r}")
    out: list = [None] * len(tasks)
    if jobs == 1 or len(tasks) <= 1:
        for i, t in enumerate(tasks):
            seq = seqs[t.seq_index]
            if progress is not None:
                progress.set_description(f"{t.tracker} {seq.name}")
            out[i] = _execute(t, seq, progress)
        return out
    with tempfile.TemporaryDirectory(prefix="mottrack-jobs-") as marker_dir:
        ex = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=_context(),
                                 initializer=_init_worker, initargs=(list(seqs), marker_dir))
        try:
            pending = {ex.submit(_worker, i, t) for i, t in enumerate(tasks)}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        i, res = fut.result()
                    except BrokenProcessPool:
                        running = sorted(p.read_text() for p in Path(marker_dir).iterdir())
                        what = "; ".join(running) or "a task"
                        raise WorkerCrashed(
                            f"a worker process died while running {what} (crashed, killed or "
                            "out of memory); rerun that sequence with --jobs 1 to see where") from None
                    out[i] = res
                    if progress is not None:
                        progress.update(res[0].frames)
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
    return out


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
