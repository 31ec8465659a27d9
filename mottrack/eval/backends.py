"""Alternative metric backends: py-motmetrics, for comparing with papers that used it.

mottrack's own evaluator (:mod:`mottrack.eval.metrics`) reproduces TrackEval, the official
MOTChallenge evaluation.  Many papers report numbers from `py-motmetrics
<https://github.com/cheind/py-motmetrics>`_ instead, which differ slightly (motmetrics 1.4.0
counts a track covered exactly 80 % of the time as MT, counts fragmentations only over
frames where the object is present, judges a switch against the last-ever hypothesis, and
does no distractor removal).  :func:`motmetrics_evaluate_sequence` and
:func:`motmetrics_evaluate` compute the numbers with motmetrics' own ``MOTAccumulator`` and
metrics host, so that they equal what motmetrics' ``eval_motchallenge`` application prints.

motmetrics (and with it pandas) is imported only when these functions are called.

What motmetrics does with MOTChallenge files, replicated here on :class:`MotTable` input
(checked against motmetrics 1.4.0's ``io.load_motchallenge``, ``utils.compare_to_groundtruth``
and ``apps/eval_motchallenge.py``):

* Loading: ``load_motchallenge`` keeps rows with ``conf >= min_confidence``.  The
  ``eval_motchallenge`` application passes ``min_confidence=1`` for ground truth (rows with
  conf < 1 -- conf 0, fractional or negative -- are dropped) and the default ``-1`` for
  tracker results (rows with a score below -1 are dropped).  The formats ``mot15-2D`` and
  ``mot16`` use the same loader: there is **no class filtering and no distractor removal**
  for any benchmark, so ``benchmark`` is only validated (MOT16/17 gt marks most
  non-pedestrian classes with conf 0, so the conf rule drops those anyway).
  ``x`` and ``y`` are shifted by -1 ("matlab convention"); this is done here too, because it
  can change the last bit of an IoU.
* Matching: for every frame that has rows in either file (in increasing order), the
  distance between a gt box and a tracker box is ``1 - IoU`` and "do not pair" (NaN) where
  it exceeds ``1 - iou_threshold`` -- i.e. :func:`iou_distance_matrix`, a copy of
  ``motmetrics.distances.iou_matrix``, whose ``np.asfarray`` call fails on NumPy 2.  Rows
  keep their file order within a frame, as pandas' ``groupby`` keeps them.
* One deliberate difference: a results file with only six columns has no score column;
  pandas fills NaN there and motmetrics' ``NaN >= -1`` test then drops *every* row.
  :func:`mottrack.io.mot.read_results` reads the score as 1.0, so such files are scored.

Output keys follow :meth:`mottrack.eval.metrics.SequenceMetrics.summary` (percentages as
0-100 floats, counts as ints) plus ``"backend": "motmetrics"``; HOTA, DetA, AssA and LocA are
not provided.  ``MOTP`` is reported as mottrack (and MOTChallenge) define it, the mean IoU
of the matches in percent; motmetrics' own ``motp`` is the mean *distance* ``1 - IoU``
(e.g. 0.277 for MOTP 72.3).  Degenerate sequences give motmetrics' values unchanged (NaN
for 0/0, MOTA -inf when there is no gt but there are tracker boxes).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..io.mot import MotTable

__all__ = [
    "BACKENDS",
    "MOTMETRICS_SUMMARY_KEYS",
    "iou_distance_matrix",
    "motmetrics_accumulator",
    "motmetrics_evaluate_sequence",
    "motmetrics_evaluate",
]

#: Names accepted by ``--backend``.
BACKENDS = ("mottrack", "motmetrics")

#: Keys of the dicts returned by the motmetrics backend, in display order.
MOTMETRICS_SUMMARY_KEYS = ("MOTA", "MOTP", "IDF1", "IDP", "IDR", "Rcll", "Prcn", "FP", "FN",
                           "IDSW", "MT", "PT", "ML", "Frag", "GT", "backend")

from .metrics.preprocess import BENCHMARKS as _BENCHMARKS  # noqa: E402

# motmetrics metric names -> our keys; percentages (x100) and counts (int)
_MM_PCT = (("mota", "MOTA"), ("idf1", "IDF1"), ("idp", "IDP"), ("idr", "IDR"),
           ("recall", "Rcll"), ("precision", "Prcn"))
_MM_CNT = (("num_false_positives", "FP"), ("num_misses", "FN"), ("num_switches", "IDSW"),
           ("mostly_tracked", "MT"), ("partially_tracked", "PT"), ("mostly_lost", "ML"),
           ("num_fragmentations", "Frag"), ("num_unique_objects", "GT"))


def _import_motmetrics():
    try:
        import motmetrics
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the motmetrics backend needs the 'motmetrics' package "
                          "(pip install motmetrics)") from exc
    return motmetrics


def iou_distance_matrix(objs, hyps, max_iou: float = 0.5) -> np.ndarray:
    """``1 - IoU`` between ``x, y, w, h`` boxes, NaN where it exceeds ``max_iou``.

    Bit-for-bit what ``motmetrics.distances.iou_matrix(objs, hyps, max_iou)`` returns
    (same operations in the same order), without its ``np.asfarray`` call that NumPy 2
    removed.

    Parameters
    ----------
    objs : array_like, shape (n, 4)
        Ground-truth boxes.
    hyps : array_like, shape (m, 4)
        Tracker boxes.
    max_iou : float
        Largest distance that may still be paired (``1 - IoU threshold``).

    Returns
    -------
    ndarray, shape (n, m), float64
        An empty ``(0, 0)`` array when either side is empty, as motmetrics does.
    """
    if np.size(objs) == 0 or np.size(hyps) == 0:
        return np.empty((0, 0))
    objs = np.asarray(objs, dtype=np.float64)
    hyps = np.asarray(hyps, dtype=np.float64)
    if objs.ndim != 2 or objs.shape[1] != 4 or hyps.ndim != 2 or hyps.shape[1] != 4:
        raise ValueError("boxes must have shape (n, 4)")
    a = objs[:, None]
    b = hyps[None, :]
    a_min, a_max = a[..., :2], a[..., :2] + a[..., 2:]
    b_min, b_max = b[..., :2], b[..., :2] + b[..., 2:]
    i_min = np.maximum(a_min, b_min)
    i_max = np.minimum(a_max, b_max)
    i_size = np.maximum(i_max - i_min, 0)
    i_vol = np.prod(i_size, axis=-1)
    a_vol = np.prod(np.maximum(a_max - a_min, 0), axis=-1)
    b_vol = np.prod(np.maximum(b_max - b_min, 0), axis=-1)
    u_vol = a_vol + b_vol - i_vol
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(i_vol == 0, np.zeros_like(i_vol, dtype=np.float64),
                       np.true_divide(i_vol, u_vol))
    dist = 1 - iou
    return np.where(dist > max_iou, np.nan, dist)


def _check_benchmark(benchmark: str) -> str:
    b = str(benchmark).upper()
    if b not in _BENCHMARKS:
        raise ValueError(f"benchmark must be one of {', '.join(_BENCHMARKS)}, got {benchmark!r}")
    return b


def _frame_groups(table: MotTable) -> dict[int, slice]:
    return dict(table.iter_frames())


def motmetrics_accumulator(gt: MotTable, results: MotTable, *, benchmark: str = "MOT15",
                           iou_threshold: float = 0.5, gt_min_confidence: float = 1.0,
                           results_min_confidence: float = -1.0):
    """Fill a ``motmetrics.MOTAccumulator`` for one sequence, as ``eval_motchallenge`` does.

    Parameters
    ----------
    gt, results : MotTable
        From :func:`mottrack.io.mot.read_gt` and :func:`~mottrack.io.mot.read_results`.
    benchmark : {'MOT15', 'MOT16', 'MOT17', 'MOT20'}
        Validated only: motmetrics loads every MOTChallenge format the same way.
    iou_threshold : float
        Smallest IoU of a match (motmetrics' ``distth`` is ``1 - iou_threshold``).
    gt_min_confidence, results_min_confidence : float
        Rows with column 7 below these are dropped (``eval_motchallenge``'s 1 and -1; motmetrics'
        own TUD tests load gt with the loader default -1).

    Returns
    -------
    motmetrics.MOTAccumulator
    """
    _check_benchmark(benchmark)
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold!r}")
    mm = _import_motmetrics()
    max_dist = 1 - iou_threshold
    gt = gt.select(gt.scores >= gt_min_confidence)
    results = results.select(results.scores >= results_min_confidence)
    shift = np.array([1.0, 1.0, 0.0, 0.0])
    gt_boxes = gt.boxes - shift
    tr_boxes = results.boxes - shift
    gt_frames = _frame_groups(gt)
    tr_frames = _frame_groups(results)
    acc = mm.MOTAccumulator()
    empty_ids = np.empty(0, dtype=np.int64)
    for fid in sorted(set(gt_frames) | set(tr_frames)):
        gs = gt_frames.get(fid)
        ts = tr_frames.get(fid)
        oids = gt.ids[gs] if gs is not None else empty_ids
        hids = results.ids[ts] if ts is not None else empty_ids
        if len(oids) and len(hids):
            dists = iou_distance_matrix(gt_boxes[gs], tr_boxes[ts], max_iou=max_dist)
        else:
            dists = np.empty((0, 0))
        acc.update(oids, hids, dists, frameid=fid)
    return acc


def _summary_from_row(row) -> dict:
    out: dict = {}
    for mk, k in _MM_PCT:
        out[k] = 100.0 * float(row[mk])
    out["MOTP"] = 100.0 * (1.0 - float(row["motp"]))
    for mk, k in _MM_CNT:
        out[k] = int(row[mk])
    out["backend"] = "motmetrics"
    return {k: out[k] for k in MOTMETRICS_SUMMARY_KEYS}


def motmetrics_evaluate_sequence(gt: MotTable, results: MotTable, *, benchmark: str = "MOT15",
                                 iou_threshold: float = 0.5, gt_min_confidence: float = 1.0) -> dict:
    """Score one sequence with py-motmetrics (its MOTChallenge metric set).

    Parameters
    ----------
    gt, results : MotTable
        Ground truth and tracker output.
    benchmark : {'MOT15', 'MOT16', 'MOT17', 'MOT20'}
        Validated; motmetrics applies the same rules to all (see the module docstring).
    iou_threshold : float
        Smallest IoU of a match (0.5).
    gt_min_confidence : float
        Gt rows with conf below this are ignored (1, as ``eval_motchallenge``).

    Returns
    -------
    dict
        Keys :data:`MOTMETRICS_SUMMARY_KEYS`: MOTA, MOTP, IDF1, IDP, IDR, Rcll, Prcn in percent,
        FP, FN, IDSW, MT, PT, ML, Frag, GT as ints, and ``"backend": "motmetrics"``.
    """
    mm = _import_motmetrics()
    acc = motmetrics_accumulator(gt, results, benchmark=benchmark, iou_threshold=iou_threshold,
                                 gt_min_confidence=gt_min_confidence)
    mh = mm.metrics.create()
    row = mh.compute(acc, metrics=list(mm.metrics.motchallenge_metrics), return_dataframe=False)
    return _summary_from_row(row)


def motmetrics_evaluate(pairs: Sequence[tuple[str, MotTable, MotTable]], benchmark: str = "MOT15",
                        *, iou_threshold: float = 0.5, gt_min_confidence: float = 1.0) -> dict:
    """Score several sequences with py-motmetrics, plus its OVERALL row.

    Parameters
    ----------
    pairs : sequence of (name, gt, results)
        Sequence names (unique) with their ground truth and tracker output tables.
    benchmark, iou_threshold, gt_min_confidence
        As for :func:`motmetrics_evaluate_sequence`.

    Returns
    -------
    dict
        ``{"sequences": {name: summary}, "combined": summary, "backend": "motmetrics"}``;
        ``combined`` is motmetrics' ``generate_overall`` row (counts summed, scores
        recomputed from the sums).
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("no sequences to evaluate")
    names = [str(p[0]) for p in pairs]
    if len(set(names)) != len(names):
        raise ValueError("sequence names must be unique")
    mm = _import_motmetrics()
    accs = [motmetrics_accumulator(g, r, benchmark=benchmark, iou_threshold=iou_threshold,
                                   gt_min_confidence=gt_min_confidence) for _, g, r in pairs]
    mh = mm.metrics.create()
    summary = mh.compute_many(accs, names=names, metrics=list(mm.metrics.motchallenge_metrics),
                              generate_overall=True)
    return {
        "sequences": {n: _summary_from_row(summary.iloc[k]) for k, n in enumerate(names)},
        "combined": _summary_from_row(summary.iloc[len(names)]),
        "backend": "motmetrics",
    }
