"""Score tracker output against a sequence's ground truth (one tracker, many sequences)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..io.mot import MotTable
from .datasets import EvalSequence
from .metrics import SequenceMetrics, combine_sequences, evaluate_sequence

__all__ = ["TrackerScores", "score_sequences", "score_one", "BACKENDS"]

BACKENDS = ("trackeval-exact", "motmetrics")


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
            if seq is not None:
                s["frame_rate"] = runs[0].params.get("frame_rate")
        return {k: _clean(v) for k, v in s.items()}


def score_one(seq: EvalSequence, results: MotTable) -> SequenceMetrics:
    """TrackEval-exact metrics of ``results`` on one sequence (its frame window and rules)."""
    if seq.gt is None:
        raise ValueError(f"{seq.name}: no ground truth to score against")
    if seq.benchmark == "KITTI":
        from .kitti import evaluate_kitti_sequence
        return evaluate_kitti_sequence(seq, results)
    return evaluate_sequence(seq.scoring_window(seq.gt), seq.scoring_window(results),
                             seq.benchmark, seq.num_eval_frames, seq.name)


def score_sequences(seqs: Sequence[EvalSequence], results: Mapping[str, MotTable],
                    backend: str = "trackeval-exact", name: str = "results") -> TrackerScores:
    """Score result tables (``{seq_name: MotTable}``) against the sequences' gt."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    seqs = [s for s in seqs if s.gt is not None]
    if backend == "motmetrics":
        from .backends import motmetrics_evaluate
        if any(s.benchmark == "KITTI" for s in seqs):
            raise ValueError("backend 'motmetrics' cannot apply the KITTI rules; use "
                             "'trackeval-exact'")
        pairs = [(s.name, s.scoring_window(s.gt), s.scoring_window(results[s.name]))
                 for s in seqs if s.gt is not None]
        mm = motmetrics_evaluate(pairs, sorted({s.benchmark for s in seqs})[0])
        per, comb = mm["sequences"], mm["combined"]
    else:
        per = {s.name: score_one(s, results[s.name]) for s in seqs}
        comb = combine_sequences(per.values())
    return TrackerScores(name, per, comb, backend=backend)
