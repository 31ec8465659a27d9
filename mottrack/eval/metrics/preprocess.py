"""MOTChallenge preprocessing, as TrackEval's ``MotChallenge2DBox`` performs it.

For every frame, IoU is computed between all ground-truth boxes (every class) and all
tracker boxes.  Then:

* MOT16 / MOT17 / MOT20: gt and tracker boxes are matched (Hungarian, IoU >= 0.5); tracker
  boxes matched to a *distractor* gt box (classes 2 person on vehicle, 7 static person,
  8 distractor, 12 reflection; MOT20 also 6 non-MOT vehicle) are removed.  Only gt boxes of
  class 1 (pedestrian) with ``conf != 0`` are kept.
* MOT15, DanceTrack, SportsMOT: only gt boxes with ``conf == 0`` are removed (no classes,
  no distractors; DanceTrack and SportsMOT gt mark every box class 1, conf 1).

KITTI has its own rules (classes, DontCare regions, truncation, occlusion, minimum height):
see :mod:`mottrack.eval.kitti`.

``conf`` is truncated to an integer first, as TrackEval does (a conf of 0.5 counts as 0).
Ids are then relabelled ``0 .. n-1`` in increasing order of the original ids.  Differences
from TrackEval, all in error handling only: invalid gt classes and tracker classes > 1 are
rejected for the whole file (TrackEval checks frame by frame, and classes only in frames
where both sides have boxes), and errors are :class:`~mottrack.eval.errors.InputError` (a ``ValueError``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._numba import njit
from ...io.mot import MotTable
from ..errors import InputError
from ._common import EPS, box_iou_xywh
from ...assignment import linear_sum_assignment as lsa

__all__ = ["PreparedSequence", "preprocess_sequence", "BENCHMARKS", "NO_DISTRACTORS",
           "relabel"]

BENCHMARKS = ("MOT15", "MOT16", "MOT17", "MOT20", "DANCETRACK", "SPORTSMOT")
#: Benchmarks scored with the MOT15 rules (conf-0 gt removed; no classes, no distractors).
NO_DISTRACTORS = ("MOT15", "DANCETRACK", "SPORTSMOT")
_DISTRACTORS = {"MOT16": (2, 7, 8, 12), "MOT17": (2, 7, 8, 12), "MOT20": (2, 6, 7, 8, 12)}
_VALID_GT_CLASSES = np.arange(1, 14)


@dataclass(frozen=True, eq=False)
class PreparedSequence:
    """One sequence ready for the metric kernels (frame-major, ids contiguous).

    Attributes
    ----------
    num_frames : int
        Timesteps ``F`` (frames ``1 .. F``).
    gt_off, tr_off : ndarray, shape (F + 1,), int64
        Rows of timestep ``t`` (0-based) are ``off[t]:off[t + 1]`` of the id arrays.
    gt_ids : ndarray, shape (n_gt,), int64
        Ground-truth ids relabelled to ``0 .. num_gt_ids - 1``.
    tr_ids : ndarray, shape (n_tr,), int64
        Tracker ids relabelled to ``0 .. num_tracker_ids - 1``.
    sim : ndarray, shape (sum_t n_gt_t * n_tr_t,), float64
        Per-timestep IoU blocks, row-major ``(n_gt_t, n_tr_t)``, concatenated.
    sim_off : ndarray, shape (F + 1,), int64
        Offsets of the blocks in ``sim``.
    num_gt_ids, num_tracker_ids : int
        Distinct ids after preprocessing.
    name : str
        Sequence name (for messages).
    """

    num_frames: int
    gt_off: np.ndarray
    gt_ids: np.ndarray
    tr_off: np.ndarray
    tr_ids: np.ndarray
    sim: np.ndarray
    sim_off: np.ndarray
    num_gt_ids: int
    num_tracker_ids: int
    name: str = ""

    @property
    def num_gt_dets(self) -> int:
        return int(self.gt_ids.shape[0])

    @property
    def num_tracker_dets(self) -> int:
        return int(self.tr_ids.shape[0])


@njit
def _preprocess_kernel(num_frames, g_off, g_box, g_keep, g_distr, t_off, t_box, remove_distractors):
    total = 0
    for f in range(num_frames):
        total += (g_off[f + 1] - g_off[f]) * (t_off[f + 1] - t_off[f])
    sim = np.empty(total)
    sim_off = np.zeros(num_frames + 1, np.int64)
    t_keep = np.ones(t_box.shape[0], np.bool_)
    pos = 0
    thr = 0.5 - EPS
    for f in range(num_frames):
        ga = g_off[f]
        gb = g_off[f + 1]
        ta = t_off[f]
        tb = t_off[f + 1]
        ng = gb - ga
        nt = tb - ta
        iou = box_iou_xywh(g_box[ga:gb], t_box[ta:tb])
        if remove_distractors and ng > 0 and nt > 0:
            cost = np.empty((ng, nt))
            for i in range(ng):
                for j in range(nt):
                    s = iou[i, j]
                    cost[i, j] = -s if s >= thr else -0.0
            rows, cols = lsa(cost)
            for k in range(rows.shape[0]):
                if -cost[rows[k], cols[k]] > EPS and g_distr[ga + rows[k]]:
                    t_keep[ta + cols[k]] = False
        for i in range(ng):
            if g_keep[ga + i]:
                for j in range(nt):
                    if t_keep[ta + j]:
                        sim[pos] = iou[i, j]
                        pos += 1
        sim_off[f + 1] = pos
    return sim[:pos], sim_off, t_keep


def _check_unique(frames: np.ndarray, ids: np.ndarray, what: str, name: str) -> None:
    if ids.shape[0] < 2:
        return
    order = np.lexsort((ids, frames))
    f, i = frames[order], ids[order]
    dup = np.flatnonzero((f[1:] == f[:-1]) & (i[1:] == i[:-1]))
    if dup.size:
        k = order[dup[0]]
        raise InputError(f"{name}: {what} has id {ids[k]} more than once in frame {frames[k]}")


def relabel(ids: np.ndarray) -> tuple[np.ndarray, int]:
    if ids.shape[0] == 0:
        return ids.astype(np.int64), 0
    uniq, inv = np.unique(ids, return_inverse=True)
    return inv.astype(np.int64).reshape(-1), int(uniq.shape[0])


def preprocess_sequence(gt: MotTable, results: MotTable, benchmark: str = "MOT17",
                        num_frames: int | None = None, name: str = "") -> PreparedSequence:
    """Apply the MOTChallenge preprocessing and compute the per-frame IoU blocks.

    Parameters
    ----------
    gt : MotTable
        Ground truth (``scores`` = conf flag, ``classes`` = gt class).
    results : MotTable
        Tracker output.
    benchmark : {'MOT15', 'MOT16', 'MOT17', 'MOT20', 'DANCETRACK', 'SPORTSMOT'}
        Selects the preprocessing rules (case-insensitive).
    num_frames : int, optional
        Sequence length (``seqLength``); default the largest frame in either table.
        Rows outside ``1 .. num_frames`` are an error, as in TrackEval.
    name : str
        Sequence name used in error messages.

    Returns
    -------
    PreparedSequence
    """
    bench = benchmark.upper()
    if bench not in BENCHMARKS:
        raise ValueError(f"benchmark must be one of {BENCHMARKS}, got {benchmark!r}")
    label = name or results.path or gt.path or "sequence"
    if num_frames is None:
        num_frames = max(int(gt.frames[-1]) if len(gt) else 0,
                         int(results.frames[-1]) if len(results) else 0)
    num_frames = int(num_frames)
    for table, what in ((gt, "ground truth"), (results, "tracker results")):
        if len(table) and (table.frames[0] < 1 or table.frames[-1] > num_frames):
            bad = table.frames[(table.frames < 1) | (table.frames > num_frames)][0]
            raise InputError(f"{label}: {what} has frame {bad} outside 1..{num_frames}")
    _check_unique(gt.frames, gt.ids, "ground truth", label)
    _check_unique(results.frames, results.ids, "tracker results", label)
    if len(results) and results.classes.max() > 1:
        raise InputError(f"{label}: tracker results contain a non-pedestrian class "
                         f"({results.classes.max()}); only class 1 can be evaluated")
    zero_marked = np.trunc(gt.scores) != 0
    if bench in NO_DISTRACTORS:
        g_keep = zero_marked
        g_distr = np.zeros(len(gt), np.bool_)
        remove = False
    else:
        bad = ~np.isin(gt.classes, _VALID_GT_CLASSES)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(f"{label}: ground truth class {gt.classes[k]} is not a MOTChallenge "
                             f"class (1..13); use benchmark='MOT15' for files without classes")
        g_keep = zero_marked & (gt.classes == 1)
        g_distr = np.isin(gt.classes, _DISTRACTORS[bench])
        remove = True
    g_off = gt.frame_offsets(num_frames)
    t_off = results.frame_offsets(num_frames)
    sim, sim_off, t_keep = _preprocess_kernel(
        num_frames, g_off, np.ascontiguousarray(gt.boxes, np.float64), g_keep, g_distr,
        t_off, np.ascontiguousarray(results.boxes, np.float64), remove)
    gt_ids, n_gt = relabel(gt.ids[g_keep])
    tr_ids, n_tr = relabel(results.ids[t_keep])
    gt_new_off = np.concatenate(([0], np.cumsum(g_keep, dtype=np.int64)))[g_off]
    tr_new_off = np.concatenate(([0], np.cumsum(t_keep, dtype=np.int64)))[t_off]
    return PreparedSequence(num_frames, gt_new_off, gt_ids, tr_new_off, tr_ids, sim, sim_off,
                            n_gt, n_tr, name)
