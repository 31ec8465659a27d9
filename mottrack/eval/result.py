"""What :func:`mottrack.eval.evaluate` returns, and every way of presenting it.

One layout whatever the number of trackers: tables have a ``tracker`` column, the JSON
document is ``{"trackers": {NAME: {...}}}`` and result files go to ``OUT/<tracker>/<SEQ>.txt``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..io.mot import MotTable, write_results
from .tables import text_table

__all__ = ["EvalResult", "TABLE_COLUMNS", "JSON_KEYS", "write_tracker_results"]

#: Columns of the printed table (Rcll/Prcn = recall/precision, FPS = frames per second of update()).
TABLE_COLUMNS = ("MOTA", "IDF1", "HOTA", "IDSW", "FP", "FN", "MT", "ML", "Rcll", "Prcn", "FPS")
#: Keys of every JSON metrics block (percentages 0-100 floats, counts ints).
JSON_KEYS = ("MOTA", "MOTP", "IDF1", "IDP", "IDR", "HOTA", "DetA", "AssA", "LocA", "FP", "FN",
             "IDSW", "MT", "PT", "ML", "Frag")
_COUNT_KEYS = {"FP", "FN", "IDSW", "MT", "PT", "ML", "Frag", "GT", "frames"}


def _fmt(v, key):
    if v is None:
        return "-"
    if key in _COUNT_KEYS:
        return str(int(v))
    if key == "FPS":
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}"
    return f"{v:.1f}"


def write_tracker_results(path: str | os.PathLike, table: MotTable, first_frame: int = 1,
                          renumber: bool = False, kitti_class: str | None = None) -> None:
    """Write one tracker output as a MOTChallenge results file (KITTI tracking format when
    ``kitti_class`` is given, see :func:`~mottrack.eval.kitti.write_kitti_results`).

    Boxes are written with the shortest decimals that read back to the same float64
    values, so scoring the file reproduces the metrics of the run exactly.  With
    ``renumber``, frame ``first_frame`` is written as frame 1 (the numbering of half-val
    gt folders); otherwise the sequence's own frame numbers are kept.
    """
    if renumber and first_frame != 1:
        table = MotTable(table.frames - (first_frame - 1), table.ids, table.boxes, table.scores,
                         table.classes, table.visibility, table.lines, table.path)
    if kitti_class is not None:
        from .kitti import write_kitti_results
        write_kitti_results(path, table, kitti_class)
    else:
        write_results(path, table, box_precision=None)


@dataclass(eq=False)
class EvalResult:
    """What :func:`evaluate` returns: per tracker, per-sequence and combined metrics.

    Attributes
    ----------
    trackers : dict
        ``{tracker: TrackerScores}``.
    sequences : list of EvalSequence
        What was evaluated.
    backend : str
    elapsed : float
        Wall time of the whole evaluation, seconds.
    """

    trackers: dict
    sequences: list
    backend: str = "trackeval-exact"
    elapsed: float = 0.0

    # -- tables ------------------------------------------------------------------------
    def table(self, columns: Sequence[str] = TABLE_COLUMNS, combined: bool = True) -> list[dict]:
        """Rows ``{'tracker', 'sequence', <columns>...}``: every sequence, then COMBINED."""
        rows = []
        for tname, ts in self.trackers.items():
            names = list(ts.sequences)
            if combined:
                names.append(None)
            for s in names:
                summ = ts.summary(s)
                row = {"tracker": tname, "sequence": "COMBINED" if s is None else s}
                row.update({c: summ.get(c) for c in columns})
                rows.append(row)
        return rows

    def format_table(self, columns: Sequence[str] = TABLE_COLUMNS) -> str:
        """The table as aligned text (what the CLI prints)."""
        cells = [[r["tracker"], r["sequence"], *(_fmt(r[c], c) for c in columns)]
                 for r in self.table(columns)]
        return text_table(["tracker", "sequence", *columns], cells, left=2)

    def __str__(self) -> str:
        return self.format_table()

    def to_dict(self) -> dict:
        """``{tracker: {"sequences": {SEQ: {...}}, "combined": {...}, ...}}``.

        Metric blocks hold :data:`JSON_KEYS` plus Rcll, Prcn, GT and (when tracked) FPS and
        frames; percentages are 0-100 floats, counts ints, undefined values None.
        """
        out = {}
        for tname, ts in self.trackers.items():
            out[tname] = {
                "backend": ts.backend,
                "min_score": ts.min_score,
                "params": dict(ts.params),
                "sequences": {s: ts.summary(s) for s in ts.sequences},
                "combined": ts.summary(None),
            }
        return out

    def to_json_dict(self) -> dict:
        """The JSON document: ``{"trackers": {NAME: block}}`` however many trackers ran."""
        return {"trackers": self.to_dict()}

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write every row (all trackers, sequences, COMBINED) with all metric keys."""
        import csv
        keys = list(JSON_KEYS) + ["Rcll", "Prcn", "GT", "FPS", "frames"]
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["tracker", "sequence", *keys])
            for r in self.table(keys):
                w.writerow([r["tracker"], r["sequence"],
                            *("" if r[k] is None else r[k] for k in keys)])

    def _repr_html_(self) -> str:
        import html
        cols = TABLE_COLUMNS
        h = ["<table><thead><tr><th>tracker</th><th>sequence</th>"]
        h += [f"<th>{c}</th>" for c in cols]
        h.append("</tr></thead><tbody>")
        for r in self.table(cols):
            bold = r["sequence"] == "COMBINED"
            tag = ("<b>", "</b>") if bold else ("", "")
            h.append("<tr>" + "".join(f"<td>{tag[0]}{html.escape(str(r[k]))}{tag[1]}</td>"
                                      for k in ("tracker", "sequence")))
            h.append("".join(f"<td style='text-align:right'>{tag[0]}{_fmt(r[c], c)}{tag[1]}</td>"
                             for c in cols) + "</tr>")
        h.append("</tbody></table>")
        h.append(f"<p style='font-size:smaller'>backend: {html.escape(self.backend)}; "
                 f"{len(self.sequences)} sequences; {self.elapsed:.1f} s</p>")
        return "".join(h)

    # -- plots -------------------------------------------------------------------------
    def plot_metrics(self, metrics: Sequence[str] = ("MOTA", "IDF1", "HOTA"), ax=None):
        """Grouped bars of ``metrics`` per sequence and tracker (needs matplotlib)."""
        from .plots import plot_metric_bars
        return plot_metric_bars(self, metrics, ax=ax)

    def plot_timeline(self, sequence: str | None = None, tracker: str | None = None, ax=None):
        """Track timelines (gt id vs frame, coloured by tracker id) with ID switches marked."""
        from .plots import plot_track_timeline
        tracker = tracker or next(iter(self.trackers))
        sequence = sequence or next(iter(self.trackers[tracker].sequences))
        seq = next(s for s in self.sequences if s.name == sequence)
        run = self.trackers[tracker].runs.get(sequence)
        if run is None:
            raise ValueError(f"no tracker output kept for {tracker}/{sequence}")
        return plot_track_timeline(seq, run.results, ax=ax, title=f"{tracker} on {sequence}")

    def write_results(self, out_dir: str | os.PathLike, renumber: bool = False) -> list[Path]:
        """MOTChallenge result files ``out_dir/<tracker>/<SEQ>.txt``.

        Frames keep the sequences' own numbers (half-val: ``N//2+2 .. N``); with
        ``renumber`` the first tracked frame is written as frame 1.  KITTI sequences get
        KITTI tracking result files (frames from 0, the evaluated class as type).
        """
        out_dir = Path(out_dir)
        by_name = {s.name: s for s in self.sequences}
        paths = []
        for tname, ts in self.trackers.items():
            for sname, run in ts.runs.items():
                p = out_dir / tname / f"{sname}.txt"
                s = by_name.get(sname)
                kc = s.eval_class if s is not None and s.benchmark == "KITTI" else None
                write_tracker_results(p, run.results, s.first_frame if s else 1, renumber, kc)
                paths.append(p)
        return paths
