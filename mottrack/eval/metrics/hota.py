"""HOTA (Luiten et al., IJCV 2021) with DetA, AssA, LocA, as TrackEval computes it.

For each localisation threshold ``alpha`` in ``0.05, 0.10, ..., 0.95`` (19 values):
boxes are matched per frame by the Hungarian algorithm on ``IoU * A(g, t)`` where
``A`` is a global soft alignment between gt id ``g`` and tracker id ``t`` (sum over frames
of ``IoU / (row sum + column sum - IoU)``, normalised like a Jaccard index); matches with
IoU >= alpha are true positives.  ``DetA = TP / (TP + FN + FP)``; ``AssA`` is the mean over
true positives of the Jaccard index of their (gt id, tracker id) pair; ``HOTA = sqrt(DetA *
AssA)``; ``LocA`` the mean IoU of the true positives.  The reported scalars are the means
over the 19 alphas.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._numba import njit
from ._common import EPS, np_sum
from ...assignment import linear_sum_assignment as lsa
from .preprocess import PreparedSequence

__all__ = ["HotaMetrics", "hota_metrics", "ALPHAS"]

#: The 19 localisation thresholds (identical to TrackEval's ``np.arange(0.05, 0.99, 0.05)``).
ALPHAS = np.arange(0.05, 0.99, 0.05)


@njit
def _hota_kernel(num_frames, gt_off, gt_ids, tr_off, tr_ids, sim, sim_off, n_gt, n_tr, alphas):
    n_a = alphas.shape[0]
    pot = np.zeros((n_gt, n_tr))
    gcount = np.zeros(n_gt)
    tcount = np.zeros(n_tr)
    for t in range(num_frames):
        ga = gt_off[t]
        ng = gt_off[t + 1] - ga
        ta = tr_off[t]
        nt = tr_off[t + 1] - ta
        so = sim_off[t]
        if ng > 0 and nt > 0:
            colsum = np.zeros(nt)
            for i in range(ng):
                for j in range(nt):
                    colsum[j] += sim[so + i * nt + j]
            for i in range(ng):
                rowsum = np_sum(sim, so + i * nt, nt)
                g = gt_ids[ga + i]
                for j in range(nt):
                    s = sim[so + i * nt + j]
                    denom = colsum[j] + rowsum - s
                    if denom > EPS:
                        pot[g, tr_ids[ta + j]] += s / denom
                    else:
                        pot[g, tr_ids[ta + j]] += 0.0
        for i in range(ng):
            gcount[gt_ids[ga + i]] += 1
        for j in range(nt):
            tcount[tr_ids[ta + j]] += 1
    align = np.empty((n_gt, n_tr))
    for g in range(n_gt):
        for k in range(n_tr):
            align[g, k] = pot[g, k] / (gcount[g] + tcount[k] - pot[g, k])

    tp = np.zeros(n_a)
    fn = np.zeros(n_a)
    fp = np.zeros(n_a)
    loc = np.zeros(n_a)
    matches = np.zeros((n_a, n_gt, n_tr))
    thr = alphas - EPS
    for t in range(num_frames):
        ga = gt_off[t]
        ng = gt_off[t + 1] - ga
        ta = tr_off[t]
        nt = tr_off[t + 1] - ta
        so = sim_off[t]
        if ng == 0:
            for a in range(n_a):
                fp[a] += nt
            continue
        if nt == 0:
            for a in range(n_a):
                fn[a] += ng
            continue
        cost = np.empty((ng, nt))
        for i in range(ng):
            g = gt_ids[ga + i]
            for j in range(nt):
                cost[i, j] = -(align[g, tr_ids[ta + j]] * sim[so + i * nt + j])
        rows, cols = lsa(cost)
        for a in range(n_a):
            m = 0
            fsum = 0.0
            for k in range(rows.shape[0]):
                s = sim[so + rows[k] * nt + cols[k]]
                if s >= thr[a]:
                    m += 1
                    fsum += s
                    matches[a, gt_ids[ga + rows[k]], tr_ids[ta + cols[k]]] += 1
            tp[a] += m
            fn[a] += ng - m
            fp[a] += nt - m
            if m > 0:
                loc[a] += fsum

    ass_a = np.zeros(n_a)
    ass_re = np.zeros(n_a)
    ass_pr = np.zeros(n_a)
    buf_a = np.empty(n_gt * n_tr)
    buf_re = np.empty(n_gt * n_tr)
    buf_pr = np.empty(n_gt * n_tr)
    for a in range(n_a):
        for g in range(n_gt):
            for k in range(n_tr):
                mc = matches[a, g, k]
                idx = g * n_tr + k
                buf_a[idx] = mc * (mc / max(1.0, gcount[g] + tcount[k] - mc))
                buf_re[idx] = mc * (mc / max(1.0, gcount[g]))
                buf_pr[idx] = mc * (mc / max(1.0, tcount[k]))
        denom = max(1.0, tp[a])
        ass_a[a] = np_sum(buf_a, 0, n_gt * n_tr) / denom
        ass_re[a] = np_sum(buf_re, 0, n_gt * n_tr) / denom
        ass_pr[a] = np_sum(buf_pr, 0, n_gt * n_tr) / denom
    for a in range(n_a):
        loc[a] = max(1e-10, loc[a]) / max(1e-10, tp[a])
    return tp, fn, fp, ass_a, ass_re, ass_pr, loc


@dataclass(frozen=True, eq=False)
class HotaMetrics:
    """HOTA counts and scores per alpha (arrays of shape (19,); fractions in [0, 1]).

    Attributes
    ----------
    tp, fn, fp : ndarray, shape (19,), float64
        Detection true positives, misses and false positives at each alpha.
    ass_a, ass_re, ass_pr : ndarray, shape (19,)
        Association accuracy, recall and precision at each alpha.
    loc_a_alpha : ndarray, shape (19,)
        Localisation accuracy (mean IoU of the true positives) at each alpha.
    """

    tp: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    ass_a: np.ndarray
    ass_re: np.ndarray
    ass_pr: np.ndarray
    loc_a_alpha: np.ndarray

    @property
    def alphas(self) -> np.ndarray:
        return ALPHAS

    @property
    def det_re(self) -> np.ndarray:
        return self.tp / np.maximum(1, self.tp + self.fn)

    @property
    def det_pr(self) -> np.ndarray:
        return self.tp / np.maximum(1, self.tp + self.fp)

    @property
    def det_a_alpha(self) -> np.ndarray:
        return self.tp / np.maximum(1, self.tp + self.fn + self.fp)

    @property
    def hota_alpha(self) -> np.ndarray:
        return np.sqrt(self.det_a_alpha * self.ass_a)

    @property
    def owta_alpha(self) -> np.ndarray:
        return np.sqrt(self.det_re * self.ass_a)

    @property
    def hota(self) -> float:
        """HOTA averaged over the 19 alphas."""
        return float(np.mean(self.hota_alpha))

    @property
    def det_a(self) -> float:
        return float(np.mean(self.det_a_alpha))

    @property
    def ass_a_mean(self) -> float:
        return float(np.mean(self.ass_a))

    @property
    def loc_a(self) -> float:
        return float(np.mean(self.loc_a_alpha))

    @property
    def hota0(self) -> float:
        """HOTA at alpha = 0.05 (TrackEval's ``HOTA(0)``)."""
        return float(self.hota_alpha[0])

    @classmethod
    def empty(cls, fn: int = 0, fp: int = 0) -> "HotaMetrics":
        n = ALPHAS.shape[0]
        z = np.zeros(n)
        return cls(z.copy(), np.full(n, float(fn)), np.full(n, float(fp)), z.copy(), z.copy(),
                   z.copy(), np.ones(n))

    @classmethod
    def combine(cls, parts) -> "HotaMetrics":
        """Combine sequences: sum TP/FN/FP, average AssA/AssRe/AssPr and LocA weighted by TP."""
        parts = list(parts)
        n = ALPHAS.shape[0]
        tp = sum((p.tp for p in parts), np.zeros(n))
        fn = sum((p.fn for p in parts), np.zeros(n))
        fp = sum((p.fp for p in parts), np.zeros(n))
        w = np.maximum(1.0, tp)
        ass_a = sum((p.ass_a * p.tp for p in parts), np.zeros(n)) / w
        ass_re = sum((p.ass_re * p.tp for p in parts), np.zeros(n)) / w
        ass_pr = sum((p.ass_pr * p.tp for p in parts), np.zeros(n)) / w
        loc = sum((p.loc_a_alpha * p.tp for p in parts), np.zeros(n))
        loc = np.maximum(1e-10, loc) / np.maximum(1e-10, tp)
        return cls(tp, fn, fp, ass_a, ass_re, ass_pr, loc)


def hota_metrics(seq: PreparedSequence) -> HotaMetrics:
    """HOTA of one preprocessed sequence.

    Parameters
    ----------
    seq : PreparedSequence
        Output of :func:`~mottrack.eval.metrics.preprocess.preprocess_sequence`.
    """
    if seq.num_tracker_dets == 0:
        return HotaMetrics.empty(fn=seq.num_gt_dets)
    if seq.num_gt_dets == 0:
        return HotaMetrics.empty(fp=seq.num_tracker_dets)
    tp, fn, fp, ass_a, ass_re, ass_pr, loc = _hota_kernel(
        seq.num_frames, seq.gt_off, seq.gt_ids, seq.tr_off, seq.tr_ids, seq.sim, seq.sim_off,
        seq.num_gt_ids, seq.num_tracker_ids, ALPHAS)
    return HotaMetrics(tp, fn, fp, ass_a, ass_re, ass_pr, loc)
