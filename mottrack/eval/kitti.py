"""KITTI tracking: its label files and its official 2D-box rules, as TrackEval's ``Kitti2DBox``.

Layouts read
------------
* **label_02** (the KITTI download / TrackEval's layout): ``ROOT/label_02/<SEQ>.txt`` (or
  ``ROOT/<split>/label_02/`` with ``split`` e.g. ``training``), sequence lengths from
  ``ROOT/evaluate_tracking.seqmap[.<split>]`` (``SEQ empty 000000 LENGTH``) when present, else
  the number of images in ``ROOT/image_02/<SEQ>/``, else the last labelled frame + 1.
* **MOT-converted**: ``ROOT/<split>/<SEQ>/{seqinfo.ini, gt/gt.txt, det/det.txt}`` where
  ``gt/gt.txt`` holds that sequence's label_02 lines unchanged (KITTI columns).

Label lines are ``frame id type truncated occluded alpha x1 y1 x2 y2 h w l X Y Z ry [score]``
with frames from 0; mottrack numbers them from 1 internally (KITTI frame ``k`` is frame
``k + 1`` of the MOT tables and ``--frames``; ``--out`` writes KITTI-format result files with
the file's own numbering from 0).  Detections for tracking are
``<SEQ>.txt`` files in MOT det format (frames from 1), or in KITTI label format (frames from 0,
only rows of the evaluated class are used).  Frame rate: 10 fps (KITTI's), or the
``seqinfo.ini`` one in the MOT-converted layout.

Rules (one class at a time, ``car`` or ``pedestrian``)
-----------------------------------------------------
1. gt rows of the class and of its distractor class (``Van`` for car; ``Person`` /
   ``Person_sitting`` for pedestrian) take part; tracker rows of the class are scored (rows of
   MOT-format results, which carry no KITTI class, count as the evaluated class).  Rows with a
   negative id are dropped; ``DontCare`` gt rows are ignore regions.
2. Tracker boxes matched (Hungarian on IoU >= 0.5) to a distractor gt box, or to a gt box with
   occlusion > 2 or truncation > 0, are removed.
3. Unmatched tracker boxes of height <= 25 px, or more than 50% inside a DontCare region
   (intersection over the tracker box's area), are removed.
4. Only gt boxes of the class with occlusion <= 2 and truncation <= 0 are scored.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..io.mot import MotFormatError, MotTable, read_det
from .errors import InputError
from .metrics._common import EPS, box_ioa_corners, box_iou_corners, xywh_corners
from .metrics.clear import clear_metrics
from .metrics.evaluate import SequenceMetrics
from .metrics.hota import hota_metrics
from .metrics.identity import identity_metrics
from .metrics.preprocess import PreparedSequence, _check_unique, relabel
from .sequence import EvalSequence, check_detections, det_file_for

__all__ = ["KITTI_CLASS_IDS", "KITTI_CLASSES", "KittiTable", "write_kitti_results",
           "read_kitti_labels", "is_kitti_layout",
           "load_kitti", "kitti_prepare", "evaluate_kitti_sequence", "read_kitti_or_mot_results"]

#: KITTI object types -> TrackEval's class ids (``Person`` is a sitting person).
KITTI_CLASS_IDS = {"car": 1, "van": 2, "truck": 3, "pedestrian": 4, "person": 5,
                   "person_sitting": 5, "cyclist": 6, "tram": 7, "misc": 8, "dontcare": 9}
#: Evaluated classes and their distractor class.
KITTI_CLASSES = {"car": ("car", "van"), "pedestrian": ("pedestrian", "person")}
_DONTCARE = 9
MAX_OCCLUSION, MAX_TRUNCATION, MIN_HEIGHT = 2, 0, 25
FRAME_RATE = 10.0


def _check_class(kitti_class: str) -> str:
    c = str(kitti_class).lower()
    if c not in KITTI_CLASSES:
        raise ValueError(f"kitti class must be one of {', '.join(KITTI_CLASSES)}; got {kitti_class!r}")
    return c


def _is_label_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        for raw in fh:
            f = raw.split()
            if f:
                return len(f) >= 10 and re.fullmatch(rb"[A-Za-z_]+", f[2]) is not None
    return False


def read_kitti_labels(path: str | os.PathLike) -> dict:
    """Read a KITTI tracking label (or tracker result) file.

    Returns
    -------
    dict
        ``frame`` (n,) int64 as in the file (from 0), ``id`` (n,) int64, ``cls`` (n,) int64
        (:data:`KITTI_CLASS_IDS`), ``truncation``, ``occlusion`` (n,) int64 (truncated toward
        zero), ``corners`` (n, 4) float64 x1, y1, x2, y2, ``score`` (n,) float64 (column 18,
        1 when absent); rows sorted by frame (stable).

    Raises
    ------
    MotFormatError
        Naming the file and line: too few columns, an unknown type, a non-number.
    """
    path = os.fspath(path)
    rows, lines = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for ln, raw in enumerate(fh, 1):
            f = raw.replace(",", " ").split()
            if not f:
                continue
            if len(f) < 10:
                raise MotFormatError(f"expected at least 10 columns (frame id type truncated "
                                     f"occluded alpha x1 y1 x2 y2 ...), got {len(f)}", path, ln)
            cid = KITTI_CLASS_IDS.get(f[2].lower())
            if cid is None:
                raise MotFormatError(f"unknown KITTI type {f[2]!r}; expected one of "
                                     f"{', '.join(sorted(KITTI_CLASS_IDS))}", path, ln)
            try:
                v = [float(x) for x in (f[0], f[1], f[3], f[4], *f[6:10])]
                score = float(f[17]) if len(f) > 17 else 1.0
            except ValueError:
                raise MotFormatError("a column that must be a number is not", path, ln) from None
            if not all(np.isfinite(v)) or v[0] != int(v[0]) or v[1] != int(v[1]):
                raise MotFormatError("frame and id must be integers and boxes finite", path, ln)
            rows.append((v[0], v[1], cid, v[2], v[3], *v[4:8], score))
            lines.append(ln)
    a = np.array(rows, np.float64).reshape(-1, 10)
    order = np.argsort(a[:, 0], kind="stable")
    a = a[order]
    return {"frame": a[:, 0].astype(np.int64), "id": a[:, 1].astype(np.int64),
            "cls": a[:, 2].astype(np.int64), "truncation": a[:, 3].astype(np.int64),
            "occlusion": a[:, 4].astype(np.int64), "corners": np.ascontiguousarray(a[:, 5:9]),
            "score": a[:, 9], "line": np.asarray(lines, np.int64)[order], "path": path}


@dataclass(frozen=True, eq=False)
class KittiTable(MotTable):
    """A :class:`MotTable` read from a KITTI label file, keeping the file's corner boxes
    (``x1, y1, x2, y2``, (n, 4) float64) so that IoUs use exactly the values TrackEval reads."""

    corners: np.ndarray | None = None


def _labels_to_table(lab: dict) -> KittiTable:
    c = lab["corners"]
    boxes = np.column_stack([c[:, 0], c[:, 1], c[:, 2] - c[:, 0], c[:, 3] - c[:, 1]])
    return KittiTable(lab["frame"] + 1, lab["id"], boxes, lab["score"], lab["cls"],
                      np.full(len(lab["id"]), -1.0), lab["line"], lab["path"], corners=c)


def write_kitti_results(path: str | os.PathLike, table: MotTable, kitti_class: str) -> None:
    """Write tracker output as KITTI tracking results: ``frame id Type -1 -1 -10 x1 y1 x2 y2
    -1 -1 -1 -1000 -1000 -1000 -10 score`` with frames from 0 (``table`` frames from 1) and
    corners ``x, y, x + w, y + h`` in the shortest decimals that read back exactly."""
    typ = {"car": "Car", "pedestrian": "Pedestrian"}[_check_class(kitti_class)]
    c = xywh_corners(np.ascontiguousarray(table.boxes, np.float64))
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    rows = zip((table.frames - 1).tolist(), table.ids.tolist(), c.tolist(), table.scores.tolist())
    p.write_text("".join(f"{f} {i} {typ} -1 -1 -10 {b[0]!r} {b[1]!r} {b[2]!r} {b[3]!r} "
                         f"-1 -1 -1 -1000 -1000 -1000 -10 {s!r}\n" for f, i, b, s in rows))


def read_kitti_or_mot_results(path: str | os.PathLike) -> MotTable:
    """Tracker results in KITTI label format (frames from 0, types) or MOT format (from 1)."""
    from ..io.mot import read_results
    if _is_label_text(Path(path)):
        return _labels_to_table(read_kitti_labels(path))
    t = read_results(path)  # no KITTI types: every row counts as the evaluated class
    return MotTable(t.frames, t.ids, t.boxes, t.scores, np.full(len(t), -1, np.int64),
                    t.visibility, t.lines, t.path)


# --------------------------------------------------------------------------- layouts


def _label_dir(root: Path, split: str | None) -> Path | None:
    for d in ([root / split / "label_02", root / split] if split else
              [root / "label_02", root / "training" / "label_02"]):
        if d.is_dir() and d.name == "label_02":
            return d
    return None


def is_kitti_layout(root: str | os.PathLike) -> bool:
    """True for a folder holding ``label_02/`` (or ``training/label_02/``)."""
    return _label_dir(Path(root), None) is not None


def _seq_lengths(base: Path, split: str | None) -> dict:
    names = [f"evaluate_tracking.seqmap.{split}"] if split else []
    names += ["evaluate_tracking.seqmap", "evaluate_tracking.seqmap.training"]
    for n in names:
        p = base / n
        if p.is_file():
            out = {}
            for ln, raw in enumerate(p.read_text().splitlines(), 1):
                f = raw.replace(",", " ").split()
                if len(f) >= 4:
                    try:
                        out[f[0]] = int(f[3])
                    except ValueError:
                        raise MotFormatError("length (column 4) must be an integer", p, ln) from None
            return out
    return {}


def _kitti_dets(path: Path, kitti_class: str) -> MotTable:
    if _is_label_text(path):
        t = _labels_to_table(read_kitti_labels(path))
        return t.select(t.classes == KITTI_CLASS_IDS[kitti_class])
    return read_det(path)


def load_kitti(root: str | os.PathLike, *, split: str | None = None,
               seqs: Sequence[str] | None = None, det_file=None, frames: str = "all",
               kitti_class: str = "car", with_dets: bool = True, notes: list | None = None):
    """Load KITTI tracking sequences (either layout, see the module docstring)."""
    cls = _check_class(kitti_class)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset root not found: {root}")
    ld = _label_dir(root, split)
    entries = []  # (name, label path, length or None, folder for detections, frame rate)
    if ld is not None:
        lengths = _seq_lengths(ld.parent, split) or _seq_lengths(root, split)
        for p in sorted(ld.glob("*.txt")):
            n = lengths.get(p.stem)
            if n is None:
                imgs = ld.parent / "image_02" / p.stem
                n = len([x for x in imgs.iterdir() if x.is_file()]) if imgs.is_dir() else None
            entries.append((p.stem, p, n, ld.parent, FRAME_RATE))
    else:
        from ..io.mot import discover_sequences
        for s in discover_sequences(root, split):
            if not s.has_gt:
                if notes is not None:
                    notes.append(f"skipped {s.name}: no gt/gt.txt")
                continue
            info = s.seqinfo()
            entries.append((s.name, s.gt_path, None if info is None else info.seq_length, s.path,
                            FRAME_RATE if info is None else info.frame_rate))
    if seqs:
        by = {e[0]: e for e in entries}
        missing = [n for n in seqs if n not in by]
        if missing:
            raise FileNotFoundError(f"sequences not found under {root}: {', '.join(missing)}")
        entries = [by[n] for n in seqs]
    if not entries:
        raise FileNotFoundError(f"no KITTI label files under {root} (expected label_02/<SEQ>.txt "
                                "or <SEQ>/gt/gt.txt)")
    out = []
    for name, lp, n, sdir, fps in entries:
        lab = read_kitti_labels(lp)
        gt = _labels_to_table(lab)
        if n is None:
            n = int(lab["frame"].max()) + 1 if len(lab["frame"]) else 0
        bad = (lab["frame"] < 0) | (lab["frame"] >= n)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise MotFormatError(f"frame {lab['frame'][k]} outside 0..{n - 1} (sequence length "
                                 f"{n})", lp, int(lab["line"][k]))
        if with_dets:
            dets = _kitti_dets(det_file_for(name, det_file, sdir if ld is None else sdir / name),
                               cls)
            check_detections(dets, n)
        else:
            dets = MotTable.from_arrays(np.zeros(0, np.int64), np.zeros(0, np.int64),
                                        np.zeros((0, 4)))
        first = n // 2 + 2 if frames == "second-half" else 1
        extras = {"truncation": lab["truncation"], "occlusion": lab["occlusion"],
                  "corners": lab["corners"]}
        out.append(EvalSequence(name, gt, dets, n, first, fps, "KITTI", None, None, False,
                                os.fspath(dets.path or lp), None, extras, cls))
    return out


# --------------------------------------------------------------------------- rules


def kitti_prepare(gt: MotTable, extras: dict, results: MotTable, kitti_class: str,
                  num_frames: int, first_frame: int = 1, name: str = "") -> PreparedSequence:
    """Apply the KITTI rules (module docstring) to one sequence; frames ``first_frame ..
    num_frames`` (1-based) become timesteps ``0 ..``."""
    cls, distr = (KITTI_CLASS_IDS[c] for c in KITTI_CLASSES[_check_class(kitti_class)])
    from ..assignment import linear_sum_assignment as lsa
    g_c = extras["corners"]
    g_tr, g_oc = extras["truncation"], extras["occlusion"]
    r_cls = np.where(results.classes < 0, cls, results.classes)
    r_keep0 = (results.ids >= 0) & (r_cls == cls)
    _check_unique(results.frames[r_keep0], results.ids[r_keep0], "tracker results", name)
    g_care = (gt.classes != _DONTCARE) & (gt.ids >= 0)
    _check_unique(gt.frames[g_care], gt.ids[g_care], "ground truth", name)
    corners = getattr(results, "corners", None)
    r_c = corners if corners is not None else xywh_corners(np.ascontiguousarray(results.boxes,
                                                                                 np.float64))
    g_off = gt.frame_offsets(num_frames)
    r_off = results.frame_offsets(num_frames)
    if len(results) and (results.frames[0] < 1 or results.frames[-1] > num_frames):
        bad = results.frames[(results.frames < 1) | (results.frames > num_frames)][0]
        raise InputError(f"{name}: tracker results have frame {bad} outside 1..{num_frames}")
    sims, g_ids, r_ids, g_cnt, r_cnt = [], [], [], [], []
    for f in range(first_frame, num_frames + 1):
        ga, gb, ra, rb = g_off[f - 1], g_off[f], r_off[f - 1], r_off[f]
        gi = np.arange(ga, gb)
        care = gi[gt.classes[ga:gb] != _DONTCARE]
        ignore = g_c[gi[gt.classes[ga:gb] == _DONTCARE]]
        care = care[gt.ids[care] >= 0]
        gm = care[(gt.classes[care] == cls) | (gt.classes[care] == distr)]
        ri = np.arange(ra, rb)[r_keep0[ra:rb]]
        sim = box_iou_corners(np.ascontiguousarray(g_c[gm]), np.ascontiguousarray(r_c[ri]))
        remove = np.zeros(ri.shape[0], bool)
        unmatched = np.ones(ri.shape[0], bool)
        if gm.size and ri.size:
            ms = np.where(sim < 0.5 - EPS, 0.0, sim)
            rows, cols = lsa(-ms)
            ok = ms[rows, cols] > EPS
            rows, cols = rows[ok], cols[ok]
            g = gm[rows]
            remove[cols[(gt.classes[g] == distr) | (g_oc[g] > MAX_OCCLUSION + EPS)
                        | (g_tr[g] > MAX_TRUNCATION + EPS)]] = True
            unmatched[cols] = False
        um = np.flatnonzero(unmatched)
        uc = r_c[ri[um]]
        small = uc[:, 3] - uc[:, 1] <= MIN_HEIGHT + EPS
        inside = (box_ioa_corners(np.ascontiguousarray(uc), np.ascontiguousarray(ignore))
                  > 0.5 + EPS).any(axis=1) if ignore.shape[0] else np.zeros(um.shape[0], bool)
        remove[um[small | inside]] = True
        gk = (g_oc[gm] <= MAX_OCCLUSION) & (g_tr[gm] <= MAX_TRUNCATION) & (gt.classes[gm] == cls)
        sims.append(sim[gk][:, ~remove].ravel())
        g_ids.append(gt.ids[gm[gk]])
        r_ids.append(results.ids[ri[~remove]])
        g_cnt.append(int(gk.sum()))
        r_cnt.append(int((~remove).sum()))
    n_t = num_frames - first_frame + 1
    gid, n_gid = relabel(np.concatenate(g_ids) if g_ids else np.zeros(0, np.int64))
    rid, n_rid = relabel(np.concatenate(r_ids) if r_ids else np.zeros(0, np.int64))
    sim_off = np.zeros(n_t + 1, np.int64)
    sim_off[1:] = np.cumsum([s.shape[0] for s in sims])
    g_o = np.concatenate(([0], np.cumsum(g_cnt, dtype=np.int64))) if n_t else np.zeros(1, np.int64)
    r_o = np.concatenate(([0], np.cumsum(r_cnt, dtype=np.int64))) if n_t else np.zeros(1, np.int64)
    sim = np.concatenate(sims) if sims else np.zeros(0)
    return PreparedSequence(n_t, g_o.astype(np.int64), gid, r_o.astype(np.int64), rid,
                            np.ascontiguousarray(sim, np.float64), sim_off, n_gid, n_rid, name)


def evaluate_kitti_sequence(seq, results: MotTable, threshold: float = 0.5) -> SequenceMetrics:
    """CLEAR, Identity and HOTA of ``results`` on a KITTI :class:`EvalSequence`."""
    p = kitti_prepare(seq.gt, seq.gt_extras, results, seq.eval_class or "car", seq.num_frames,
                      seq.first_frame, seq.name)
    return SequenceMetrics(clear_metrics(p, threshold), identity_metrics(p, threshold),
                           hota_metrics(p), seq.name)
