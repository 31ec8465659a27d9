"""The process pool of ``--jobs``: identical results, crashes reported by sequence."""
from __future__ import annotations

import os

import numpy as np
import pytest

from mottrack.eval.datasets import default_sequences
from mottrack.eval.jobs import Task, WorkerCrashed, run_tasks
from mottrack.registry import _REGISTRY, register_tracker
from mottrack.trackers.sort import SORT


@pytest.fixture(scope="module")
def seqs():
    return default_sequences(0, synthetic_frames=60)


def test_pool_equals_serial(seqs):
    tasks = [Task(n, k, {}, None) for n in ("sort", "bytetrack") for k in range(len(seqs))]
    one = run_tasks(seqs, tasks, jobs=1)
    two = run_tasks(seqs, tasks, jobs=2)
    for (r1, m1), (r2, m2) in zip(one, two):
        assert (r1.tracker, r1.sequence) == (r2.tracker, r2.sequence)
        np.testing.assert_array_equal(r1.results.to_array(), r2.results.to_array())
        np.testing.assert_array_equal(np.array(list(m1.summary().values()), float),
                                      np.array(list(m2.summary().values()), float))


class _Crash(SORT):
    """SORT that kills its process on frame 5 of SYNTH-Crowd."""

    def __init__(self, max_age: int = 1, *, frame_rate: float = 30.0) -> None:
        super().__init__(max_age, frame_rate=frame_rate)
        self._crash_on, self._n = "SYNTH-Crowd", 0

    def update(self, detections, timestamp=None, camera_motion=None):
        self._n += 1
        if self._n == 5 and os.environ.get("MOTTRACK_TEST_SEQ") == self._crash_on:
            os._exit(3)
        return super().update(detections, timestamp)


def test_crashed_worker_is_reported_by_sequence(seqs, monkeypatch):
    register_tracker("crashtest")(_Crash)
    try:
        import mottrack.eval.jobs as jobs

        real = jobs._execute

        def tagged(task, seq, progress=None):
            os.environ["MOTTRACK_TEST_SEQ"] = seq.name
            return real(task, seq, progress)

        monkeypatch.setattr(jobs, "_execute", tagged)
        tasks = [Task("crashtest", k, {}, None) for k in range(len(seqs))]
        with pytest.raises(WorkerCrashed, match="crashtest on SYNTH-Crowd"):
            run_tasks(seqs, tasks, jobs=2)
    finally:
        _REGISTRY.pop("crashtest", None)


def test_bad_jobs_value(seqs):
    with pytest.raises(ValueError, match="jobs"):
        run_tasks(seqs, [], jobs=0)


def test_camera_motion_reaches_the_trackers(seqs):
    """A sequence's per-frame warps go to update(camera_motion=...), one per tracked frame,
    in order; attach_camera_motion checks names and counts."""
    from dataclasses import replace
    from mottrack.eval.api import attach_camera_motion, evaluate
    from mottrack.eval.errors import InputError
    from mottrack.eval.run import run_tracker

    seen = []

    class _Warped(SORT):
        def update(self, detections, timestamp=None, camera_motion=None):
            seen.append(None if camera_motion is None else float(camera_motion[0, 2]))
            return super().update(detections, timestamp)

    register_tracker("warptest")(_Warped)
    try:
        seq = seqs[0]
        warps = np.tile(np.eye(3), (seq.num_eval_frames, 1, 1))
        warps[:, 0, 2] = np.arange(seq.num_eval_frames)
        run_tracker("warptest", replace(seq, camera_motion=warps), warmup=False)
        assert seen == list(map(float, range(seq.num_eval_frames)))
        seen.clear()
        run_tracker("warptest", seq, warmup=False)
        assert seen == [None] * seq.num_eval_frames
        seen.clear()
        # through evaluate(): a (K, 2, 3) table keyed by name
        evaluate([seq], trackers=["warptest"], camera_motion={seq.name: warps[:, :2]})
        assert seen[-seq.num_eval_frames:] == list(map(float, range(seq.num_eval_frames)))
        with pytest.raises(InputError, match="no warps for sequence"):
            attach_camera_motion([seq], {"other": warps})
        with pytest.raises(InputError, match="one per tracked frame"):
            attach_camera_motion([seq], {seq.name: warps[:5]})
        frcnn = replace(seq, name="MOT17-05-FRCNN")
        (got,) = attach_camera_motion([frcnn], {"MOT17-05": warps})
        np.testing.assert_array_equal(got.camera_motion, warps)
    finally:
        _REGISTRY.pop("warptest", None)
