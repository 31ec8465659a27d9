"""CLEAR MOT metrics (MOTA, MOTP, FP, FN, IDSW, MT/PT/ML, Frag) as TrackEval defines them.

Per frame, gt and tracker boxes are matched by the Hungarian algorithm on the score
``1000 * [tracker id == the id this gt object was matched to in the previous evaluated
frame] + IoU``, with scores of pairs below IoU 0.5 set to 0 and zero-score matches dropped.
So a track that continues is kept even if another box overlaps more, and among the rest
the total IoU is maximised.  Definitions that differ from other tools:

* an ID switch is counted when a gt object is matched to a different tracker id than the
  one it was *last* matched to, however many frames ago (the old MATLAB devkit only looks at
  the previous frame, which is why it reports 220 instead of 222 on MOT15 devkit_res);
* the "previous frame" of the continuation bonus and of Frag is the previous frame that had
  both gt and tracker boxes (frames where one side is empty do not reset it);
* MT: tracked in strictly more than 80 % of its frames; PT: at least 20 % and not MT;
* Frag: number of times a gt trajectory resumes being tracked after not being tracked;
* MOTP: mean IoU of the matches (in [0, 1]).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..._numba import njit
from ._common import EPS
from ...assignment import linear_sum_assignment as lsa
from .preprocess import PreparedSequence

__all__ = ["ClearMetrics", "clear_metrics"]


@njit
def _clear_kernel(num_frames, gt_off, gt_ids, tr_off, tr_ids, sim, sim_off, num_gt_ids, threshold):
    tp = 0
    fn = 0
    fp = 0
    idsw = 0
    motp_sum = 0.0
    gt_count = np.zeros(num_gt_ids)
    gt_matched = np.zeros(num_gt_ids)
    frag_count = np.zeros(num_gt_ids)
    prev_any = np.full(num_gt_ids, -1, np.int64)   # last tracker id ever matched
    prev_step = np.full(num_gt_ids, -1, np.int64)  # tracker id matched in the previous step
    thr = threshold - EPS
    for t in range(num_frames):
        ga = gt_off[t]
        ng = gt_off[t + 1] - ga
        ta = tr_off[t]
        nt = tr_off[t + 1] - ta
        if ng == 0:
            fp += nt
            continue
        if nt == 0:
            fn += ng
            for i in range(ng):
                gt_count[gt_ids[ga + i]] += 1
            continue
        so = sim_off[t]
        cost = np.empty((ng, nt))
        for i in range(ng):
            pid = prev_step[gt_ids[ga + i]]
            for j in range(nt):
                s = sim[so + i * nt + j]
                if s < thr:
                    cost[i, j] = -0.0
                else:
                    bonus = 1000.0 if tr_ids[ta + j] == pid else 0.0
                    cost[i, j] = -(bonus + s)
        rows, cols = lsa(cost)
        # frag: objects not tracked at the previous step
        not_prev = prev_step == -1
        prev_step[:] = -1
        m = 0
        frame_sum = 0.0
        for k in range(rows.shape[0]):
            r = rows[k]
            c = cols[k]
            if -cost[r, c] > EPS:
                g = gt_ids[ga + r]
                tid = tr_ids[ta + c]
                if prev_any[g] != -1 and prev_any[g] != tid:
                    idsw += 1
                gt_matched[g] += 1
                prev_any[g] = tid
                prev_step[g] = tid
                frame_sum += sim[so + r * nt + c]
                m += 1
        for i in range(ng):
            gt_count[gt_ids[ga + i]] += 1
        for g in range(num_gt_ids):
            if not_prev[g] and prev_step[g] != -1:
                frag_count[g] += 1
        tp += m
        fn += ng - m
        fp += nt - m
        if m > 0:
            motp_sum += frame_sum
    mt = 0
    pt = 0
    frag = 0
    for g in range(num_gt_ids):
        if gt_count[g] > 0:
            ratio = gt_matched[g] / gt_count[g]
            if ratio > 0.8:
                mt += 1
            elif ratio >= 0.2:
                pt += 1
        if frag_count[g] > 0:
            frag += int(frag_count[g]) - 1
    return tp, fn, fp, idsw, mt, pt, frag, motp_sum


@dataclass(frozen=True)
class ClearMetrics:
    """CLEAR MOT counts and the scores derived from them (fractions in [0, 1], not %).

    Attributes
    ----------
    tp, fn, fp, idsw : int
        Matches, misses, false positives and identity switches (box counts).
    mt, pt, ml : int
        Mostly tracked / partially tracked / mostly lost gt trajectories.
    frag : int
        Fragmentations.
    motp_sum : float
        Sum of the IoU of all matches.
    frames : int
        Timesteps evaluated (0 when one side is empty, as in TrackEval).
    empty : bool
        One side of the sequence had no boxes: the scores are TrackEval's initial values for
        that case (0, and MLR 1), not derived from the counts.  Combining clears it.
    """

    tp: int = 0
    fn: int = 0
    fp: int = 0
    idsw: int = 0
    mt: int = 0
    pt: int = 0
    ml: int = 0
    frag: int = 0
    motp_sum: float = 0.0
    frames: int = 0
    empty: bool = False

    @property
    def num_gt_ids(self) -> int:
        return self.mt + self.pt + self.ml

    @property
    def mota(self) -> float:
        return 0.0 if self.empty else (self.tp - self.fp - self.idsw) / max(1.0, self.tp + self.fn)

    @property
    def moda(self) -> float:
        return 0.0 if self.empty else (self.tp - self.fp) / max(1.0, self.tp + self.fn)

    @property
    def motp(self) -> float:
        return 0.0 if self.empty else self.motp_sum / max(1.0, self.tp)

    @property
    def smota(self) -> float:
        return 0.0 if self.empty else (self.motp_sum - self.fp - self.idsw) / max(1.0, self.tp + self.fn)

    @property
    def recall(self) -> float:
        return 0.0 if self.empty else self.tp / max(1.0, self.tp + self.fn)

    @property
    def precision(self) -> float:
        return 0.0 if self.empty else self.tp / max(1.0, self.tp + self.fp)

    @property
    def f1(self) -> float:
        return 0.0 if self.empty else self.tp / max(1.0, self.tp + 0.5 * self.fn + 0.5 * self.fp)

    @property
    def mtr(self) -> float:
        return 0.0 if self.empty else self.mt / max(1.0, self.num_gt_ids)

    @property
    def ptr(self) -> float:
        return 0.0 if self.empty else self.pt / max(1.0, self.num_gt_ids)

    @property
    def mlr(self) -> float:
        return 1.0 if self.empty else self.ml / max(1.0, self.num_gt_ids)

    @classmethod
    def combine(cls, parts) -> "ClearMetrics":
        """Sum the counts of several sequences (TrackEval's ``combine_sequences``)."""
        parts = list(parts)
        out: dict = {}
        for f in fields(cls):
            if f.name == "empty":
                continue
            total = 0.0 if f.name == "motp_sum" else 0
            for p in parts:
                total = total + getattr(p, f.name)
            out[f.name] = total
        return cls(**out)


def clear_metrics(seq: PreparedSequence, threshold: float = 0.5) -> ClearMetrics:
    """CLEAR metrics of one preprocessed sequence.

    Parameters
    ----------
    seq : PreparedSequence
        Output of :func:`~mottrack.eval.metrics.preprocess.preprocess_sequence`.
    threshold : float
        IoU needed for a match (0.5 in MOTChallenge).
    """
    if seq.num_tracker_dets == 0:
        return ClearMetrics(fn=seq.num_gt_dets, ml=seq.num_gt_ids, empty=True)
    if seq.num_gt_dets == 0:
        return ClearMetrics(fp=seq.num_tracker_dets, empty=True)
    tp, fn, fp, idsw, mt, pt, frag, motp_sum = _clear_kernel(
        seq.num_frames, seq.gt_off, seq.gt_ids, seq.tr_off, seq.tr_ids, seq.sim, seq.sim_off,
        seq.num_gt_ids, float(threshold))
    return ClearMetrics(int(tp), int(fn), int(fp), int(idsw), int(mt), int(pt),
                        int(seq.num_gt_ids - mt - pt), int(frag), float(motp_sum), seq.num_frames)
