"""Evaluate tracker output against ground truth: one sequence, or many combined.

:func:`evaluate_sequence` preprocesses one sequence the MOTChallenge way and computes the
CLEAR, Identity and HOTA metrics; :func:`combine_sequences` merges per-sequence results
with TrackEval's rules (CLEAR and Identity: counts summed, scores recomputed; HOTA:
TP/FN/FP summed per alpha, AssA and LocA averaged with TP weights).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from ...io.mot import MotTable, discover_sequences, read_gt, read_results
from .clear import ClearMetrics, clear_metrics
from .hota import HotaMetrics, hota_metrics
from .identity import IdentityMetrics, identity_metrics
from .preprocess import preprocess_sequence

__all__ = ["SequenceMetrics", "evaluate_sequence", "combine_sequences", "evaluate_files",
           "evaluate_dataset", "SUMMARY_KEYS"]

#: Keys of :meth:`SequenceMetrics.summary`, in display order.
SUMMARY_KEYS = ("MOTA", "MOTP", "IDF1", "IDP", "IDR", "HOTA", "DetA", "AssA", "LocA",
                "Rcll", "Prcn", "FP", "FN", "IDSW", "MT", "PT", "ML", "Frag", "GT")


@dataclass(frozen=True, eq=False)
class SequenceMetrics:
    """All metrics of one sequence (or of several combined).

    Attributes
    ----------
    clear : ClearMetrics
    identity : IdentityMetrics
    hota : HotaMetrics
    name : str
        Sequence name, or ``'COMBINED'``.
    """

    clear: ClearMetrics
    identity: IdentityMetrics
    hota: HotaMetrics
    name: str = ""

    def summary(self) -> dict:
        """The headline numbers: scores in percent (0-100 floats), counts as ints.

        Keys are :data:`SUMMARY_KEYS` (``Rcll``/``Prcn`` are CLEAR recall/precision,
        ``GT`` the number of gt trajectories).
        """
        c, i, h = self.clear, self.identity, self.hota
        return {
            "MOTA": 100 * c.mota, "MOTP": 100 * c.motp,
            "IDF1": 100 * i.idf1, "IDP": 100 * i.idp, "IDR": 100 * i.idr,
            "HOTA": 100 * h.hota, "DetA": 100 * h.det_a, "AssA": 100 * h.ass_a_mean,
            "LocA": 100 * h.loc_a,
            "Rcll": 100 * c.recall, "Prcn": 100 * c.precision,
            "FP": int(c.fp), "FN": int(c.fn), "IDSW": int(c.idsw),
            "MT": int(c.mt), "PT": int(c.pt), "ML": int(c.ml), "Frag": int(c.frag),
            "GT": int(c.num_gt_ids),
        }


def evaluate_sequence(gt: MotTable, results: MotTable, benchmark: str = "MOT17",
                      num_frames: int | None = None, name: str = "",
                      threshold: float = 0.5) -> SequenceMetrics:
    """Score one sequence exactly as TrackEval's MotChallenge2DBox + CLEAR/Identity/HOTA.

    Parameters
    ----------
    gt : MotTable
        Ground truth (from :func:`mottrack.io.mot.read_gt`).
    results : MotTable
        Tracker output (from :func:`mottrack.io.mot.read_results`).
    benchmark : {'MOT15', 'MOT16', 'MOT17', 'MOT20'}
        Preprocessing rules (MOT15: only conf-0 gt removed; others: distractor removal and
        pedestrian class only).
    num_frames : int, optional
        Sequence length; default the last frame present.  Only rows outside ``1 ..
        num_frames`` are affected (an error).
    name : str
        Sequence name for messages and the result.
    threshold : float
        IoU threshold of CLEAR and Identity (0.5).

    Returns
    -------
    SequenceMetrics
    """
    seq = preprocess_sequence(gt, results, benchmark, num_frames, name)
    return SequenceMetrics(clear_metrics(seq, threshold), identity_metrics(seq, threshold),
                           hota_metrics(seq), name)


def combine_sequences(parts: Iterable[SequenceMetrics] | Mapping[str, SequenceMetrics],
                      name: str = "COMBINED") -> SequenceMetrics:
    """Combine per-sequence results with TrackEval's ``combine_sequences`` rules."""
    if isinstance(parts, Mapping):
        parts = parts.values()
    parts = list(parts)
    return SequenceMetrics(ClearMetrics.combine(p.clear for p in parts),
                           IdentityMetrics.combine(p.identity for p in parts),
                           HotaMetrics.combine(p.hota for p in parts), name)


def evaluate_files(pairs: Sequence[tuple[str, str | os.PathLike, str | os.PathLike, int | None]],
                   benchmark: str = "MOT17") -> dict[str, SequenceMetrics]:
    """Score ``(name, gt_path, results_path, num_frames)`` tuples.

    Returns
    -------
    dict
        ``{name: SequenceMetrics}`` in input order, plus ``'COMBINED'`` last.
    """
    out: dict[str, SequenceMetrics] = {}
    for name, gt_path, res_path, num_frames in pairs:
        out[name] = evaluate_sequence(read_gt(gt_path), read_results(res_path), benchmark,
                                      num_frames, name)
    out["COMBINED"] = combine_sequences(out.values())
    return out


def evaluate_dataset(gt_root: str | os.PathLike, results_dir: str | os.PathLike,
                     benchmark: str = "MOT17", split: str | None = None,
                     seqs: Sequence[str] | None = None) -> dict[str, SequenceMetrics]:
    """Score ``results_dir/<SEQ>.txt`` for every sequence with ground truth under ``gt_root``.

    Parameters
    ----------
    gt_root : path
        Dataset in MOTChallenge layout (see :func:`mottrack.io.mot.discover_sequences`).
    results_dir : path
        Folder with one results file per sequence, named ``<SEQ>.txt``.
    benchmark, split, seqs
        Preprocessing rules, split folder and sequence selection.

    Raises
    ------
    FileNotFoundError
        If a results file is missing (TrackEval also refuses to score partial output).
    """
    results_dir = Path(results_dir)
    pairs = []
    for s in discover_sequences(gt_root, split, seqs):
        if not s.has_gt:
            continue
        res = results_dir / f"{s.name}.txt"
        if not res.is_file():
            raise FileNotFoundError(f"results file not found: {res}")
        pairs.append((s.name, s.gt_path, res, s.num_frames))
    if not pairs:
        raise FileNotFoundError(f"no sequences with gt/gt.txt under {gt_root}")
    return evaluate_files(pairs, benchmark)
