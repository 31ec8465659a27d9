"""Plots of evaluation results (matplotlib is optional: ``pip install mottrack[plot]``)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..io.mot import MotTable

__all__ = ["plot_metric_bars", "plot_track_timeline", "match_to_gt"]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError("plots need matplotlib: pip install 'mottrack[plot]'") from exc
    return plt


def plot_metric_bars(result, metrics: Sequence[str] = ("MOTA", "IDF1", "HOTA"), ax=None):
    """Grouped bars: one group per sequence (and COMBINED), one bar per tracker x metric."""
    plt = _plt()
    rows = result.table(metrics)
    seqs = list(dict.fromkeys(r["sequence"] for r in rows))
    trackers = list(dict.fromkeys(r["tracker"] for r in rows))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 1.6 * len(seqs) * len(metrics) / 2), 4))
    series = [(t, m) for t in trackers for m in metrics]
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(seqs))
    look = {(r["tracker"], r["sequence"]): r for r in rows}
    for k, (t, m) in enumerate(series):
        vals = [look.get((t, s), {}).get(m) for s in seqs]
        vals = [np.nan if v is None else v for v in vals]
        ax.bar(x + (k - (len(series) - 1) / 2) * width, vals, width, label=f"{t} {m}")
    ax.set_xticks(x)
    ax.set_xticklabels(seqs, rotation=20, ha="right")
    ax.set_ylabel("%")
    ax.axhline(0, color="black", lw=0.5)
    ax.legend(fontsize="small", ncol=len(trackers))
    ax.set_title("per-sequence metrics")
    ax.figure.tight_layout()
    return ax


def match_to_gt(gt: MotTable, results: MotTable, threshold: float = 0.5):
    """Per frame, match tracker boxes to gt boxes (Hungarian on IoU >= threshold).

    Pairs of the previous frame are preferred while their IoU stays above the threshold,
    as in the CLEAR metrics.  Returns arrays ``frames, gt_ids, tracker_ids`` of the matched
    pairs, frame ordered.
    """
    from scipy.optimize import linear_sum_assignment

    from .metrics._common import box_iou_xywh
    F = max(int(gt.frames[-1]) if len(gt) else 0, int(results.frames[-1]) if len(results) else 0)
    go, ro = gt.frame_offsets(F), results.frame_offsets(F)
    fr, gi, ti = [], [], []
    prev: dict = {}
    for f in range(F):
        a, b, c, d = go[f], go[f + 1], ro[f], ro[f + 1]
        if a == b or c == d:
            continue
        iou = box_iou_xywh(np.ascontiguousarray(gt.boxes[a:b]), np.ascontiguousarray(results.boxes[c:d]))
        # like CLEAR: keep the previous frame's pairs when they still overlap enough
        g_ids, t_ids = gt.ids[a:b], results.ids[c:d]
        cont = np.array([[prev.get(int(x)) == int(y) for y in t_ids] for x in g_ids], bool)
        score = np.where(iou >= threshold, iou + 1000.0 * cont, 0.0)
        r, k = linear_sum_assignment(-score)
        ok = iou[r, k] >= threshold
        prev = {int(x): int(y) for x, y in zip(g_ids[r[ok]], t_ids[k[ok]])}
        fr.append(np.full(int(ok.sum()), f + 1))
        gi.append(gt.ids[a:b][r[ok]])
        ti.append(results.ids[c:d][k[ok]])
    cat = (lambda x: np.concatenate(x) if x else np.zeros(0, np.int64))
    return cat(fr), cat(gi), cat(ti)


def plot_track_timeline(seq, results: MotTable, ax=None, title: str | None = None):
    """Gt id (y) against frame (x): grey where the object is present, coloured by the
    tracker id that covers it, red crosses at ID switches (the covering tracker id changes
    from the previous time the object was matched; close to, but not always equal to,
    CLEAR's IDSW count, which also depends on its global matching details)."""
    plt = _plt()
    gt = seq.scoring_window(seq.gt)
    res = seq.scoring_window(results)
    keep = np.trunc(gt.scores) != 0
    if seq.benchmark != "MOT15":
        keep &= gt.classes == 1
    gt = gt.select(keep)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    ids = np.unique(gt.ids)
    row = {int(g): k for k, g in enumerate(ids)}
    y = np.array([row[int(g)] for g in gt.ids])
    ax.scatter(gt.frames, y, s=2, c="0.85", marker="s", lw=0, label="gt present")
    f, g, t = match_to_gt(gt, res)
    yy = np.array([row[int(v)] for v in g]) if g.size else np.zeros(0)
    cmap = plt.get_cmap("tab20")
    ax.scatter(f, yy, s=3, c=[cmap(int(v) % 20) for v in t], marker="s", lw=0,
               label="tracked (colour = track id)")
    sw_f, sw_y = [], []
    last: dict[int, int] = {}
    for fi, gi, ti in zip(f.tolist(), g.tolist(), t.tolist()):
        if gi in last and last[gi] != ti:
            sw_f.append(fi)
            sw_y.append(row[gi])
        last[gi] = ti
    ax.scatter(sw_f, sw_y, s=30, c="red", marker="x", label=f"ID switch ({len(sw_f)})")
    ax.set_xlabel("frame" + (f" (from {seq.first_frame})" if seq.first_frame > 1 else ""))
    ax.set_ylabel("gt object")
    ax.set_title(title or seq.name)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=3)
    ax.figure.tight_layout()
    return ax
