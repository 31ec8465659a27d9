"""Identity metrics (IDF1, IDP, IDR) of Ristani et al. 2016, as TrackEval computes them.

Each gt trajectory is assigned to at most one tracker trajectory (globally, over the whole
sequence) so that the number of frames in which the pair overlaps with IoU >= 0.5 (no
epsilon, as in TrackEval) is maximised.  IDTP counts those frames; IDFN the gt boxes and
IDFP the tracker boxes not covered by the assignment.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..._numba import njit
from .preprocess import PreparedSequence

__all__ = ["IdentityMetrics", "identity_metrics"]


@njit
def _count_kernel(num_frames, gt_off, gt_ids, tr_off, tr_ids, sim, sim_off, n_gt, n_tr, threshold):
    pot = np.zeros((n_gt, n_tr))
    gcount = np.zeros(n_gt)
    tcount = np.zeros(n_tr)
    for t in range(num_frames):
        ga = gt_off[t]
        ng = gt_off[t + 1] - ga
        ta = tr_off[t]
        nt = tr_off[t + 1] - ta
        so = sim_off[t]
        for i in range(ng):
            g = gt_ids[ga + i]
            gcount[g] += 1
            for j in range(nt):
                if sim[so + i * nt + j] >= threshold:
                    pot[g, tr_ids[ta + j]] += 1
        for j in range(nt):
            tcount[tr_ids[ta + j]] += 1
    return pot, gcount, tcount


@dataclass(frozen=True)
class IdentityMetrics:
    """Identity counts and scores (fractions in [0, 1]).

    Attributes
    ----------
    idtp, idfn, idfp : int
        Identity true positives, false negatives and false positives (box counts).
    """

    idtp: int = 0
    idfn: int = 0
    idfp: int = 0

    @property
    def idr(self) -> float:
        return self.idtp / max(1.0, self.idtp + self.idfn)

    @property
    def idp(self) -> float:
        return self.idtp / max(1.0, self.idtp + self.idfp)

    @property
    def idf1(self) -> float:
        return self.idtp / max(1.0, self.idtp + 0.5 * self.idfp + 0.5 * self.idfn)

    @classmethod
    def combine(cls, parts) -> "IdentityMetrics":
        """Sum the counts of several sequences."""
        parts = list(parts)
        return cls(sum(p.idtp for p in parts), sum(p.idfn for p in parts),
                   sum(p.idfp for p in parts))


def identity_metrics(seq: PreparedSequence, threshold: float = 0.5) -> IdentityMetrics:
    """Identity metrics of one preprocessed sequence.

    Parameters
    ----------
    seq : PreparedSequence
        Output of :func:`~mottrack.eval.metrics.preprocess.preprocess_sequence`.
    threshold : float
        IoU needed for a frame to count as an identity match.
    """
    if seq.num_tracker_dets == 0:
        return IdentityMetrics(idfn=seq.num_gt_dets)
    if seq.num_gt_dets == 0:
        return IdentityMetrics(idfp=seq.num_tracker_dets)
    n_gt, n_tr = seq.num_gt_ids, seq.num_tracker_ids
    pot, gcount, tcount = _count_kernel(seq.num_frames, seq.gt_off, seq.gt_ids, seq.tr_off,
                                        seq.tr_ids, seq.sim, seq.sim_off, n_gt, n_tr,
                                        float(threshold))
    # Square (n_gt + n_tr) problem: real pairs, gt -> dummy (all its boxes missed),
    # dummy -> tracker (all its boxes false), dummy -> dummy (free).
    n = n_gt + n_tr
    fn_mat = np.zeros((n, n))
    fp_mat = np.zeros((n, n))
    fp_mat[n_gt:, :n_tr] = 1e10
    fn_mat[:n_gt, n_tr:] = 1e10
    fn_mat[:n_gt, :n_tr] = gcount[:, None] - pot
    fn_mat[np.arange(n_gt), n_tr + np.arange(n_gt)] = gcount
    fp_mat[:n_gt, :n_tr] = tcount[None, :] - pot
    fp_mat[n_gt + np.arange(n_tr), np.arange(n_tr)] = tcount
    rows, cols = linear_sum_assignment(fn_mat + fp_mat)
    idfn = int(fn_mat[rows, cols].sum())
    idfp = int(fp_mat[rows, cols].sum())
    return IdentityMetrics(int(gcount.sum()) - idfn, idfn, idfp)
