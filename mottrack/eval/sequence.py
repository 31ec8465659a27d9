"""One sequence to evaluate (:class:`EvalSequence`) and the checks of its inputs.

The lowest layer of the evaluator's data side: :mod:`mottrack.eval.datasets` (MOTChallenge
layouts) and :mod:`mottrack.eval.kitti` (KITTI layouts) both build their sequences here.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..detections import MAX_COORDINATE
from ..io.mot import MotFormatError, MotTable

__all__ = ["EvalSequence", "check_detections", "det_file_for"]


@dataclass(frozen=True, eq=False)
class EvalSequence:
    """One sequence ready to track and score.

    Attributes
    ----------
    name : str
    gt : MotTable or None
        Ground truth (None: track only, no scores).
    dets : MotTable
        Detections (``boxes`` x, y, w, h; ``scores``).
    num_frames : int
        Sequence length ``N`` (frames ``1 .. N``).
    first_frame : int
        First frame tracked and scored (1, or ``N//2 + 2`` for half-val).
    frame_rate : float
    benchmark : str
        Preprocessing rules: MOT15, MOT16, MOT17 or MOT20.
    embeddings : ndarray (n, D) or None
        Appearance embeddings aligned with the rows of ``dets``.
    image_size : (int, int) or None
    simulated : bool
        True when the detections come from :class:`~mottrack.eval.simulate.DetectorSimulator`.
    source : str
        Where the data came from (for the printed summary).
    camera_motion : ndarray (num_eval_frames, 3, 3) or None
        Per tracked frame, the warp from the previous frame's pixels to this frame's; given
        as ``camera_motion`` to every tracker.
    gt_extras : dict or None
        Benchmark-specific gt columns (KITTI: ``truncation``, ``occlusion``, corner boxes).
    eval_class : str or None
        The class scored (KITTI: ``car`` or ``pedestrian``).
    """

    name: str
    gt: MotTable | None
    dets: MotTable
    num_frames: int
    first_frame: int = 1
    frame_rate: float = 30.0
    benchmark: str = "MOT17"
    embeddings: np.ndarray | None = None
    image_size: tuple | None = None
    simulated: bool = False
    source: str = ""
    camera_motion: np.ndarray | None = None
    gt_extras: dict | None = None
    eval_class: str | None = None

    @property
    def frames(self) -> range:
        """Frames that are tracked (and scored)."""
        return range(self.first_frame, self.num_frames + 1)

    @property
    def num_eval_frames(self) -> int:
        return self.num_frames - self.first_frame + 1

    def scoring_window(self, table: MotTable) -> MotTable:
        """Rows of ``table`` inside the evaluated frames, renumbered to start at frame 1."""
        if self.first_frame == 1:
            return table
        sel = table.select(table.frames >= self.first_frame)
        return MotTable(sel.frames - (self.first_frame - 1), sel.ids, sel.boxes, sel.scores,
                        sel.classes, sel.visibility, sel.lines, sel.path)


def _det_file_in(seq_name: str, det_file: str | os.PathLike, seq_dir: Path) -> Path | None:
    p = Path(det_file)
    if p.is_dir():
        cands = [p / f"{seq_name}.txt"]
        m = re.match(r"^(.*)-(DPM|FRCNN|SDP)$", seq_name)
        if m:
            cands.append(p / f"{m.group(1)}.txt")
        return next((c for c in cands if c.is_file()), None)
    if p.is_absolute() or os.sep in str(det_file) or "/" in str(det_file):
        # a file, or a relative path inside the sequence folder, e.g. det/det_acf_public.txt
        return next((c for c in (p, seq_dir / p) if c.is_file()), None)
    return next((c for c in (seq_dir / "det" / p.name, seq_dir / p.name) if c.is_file()), None)


def det_file_for(seq_name: str, det_file, seq_dir: Path) -> Path:
    """The detection file of one sequence: ``<SEQ>/det/det.txt``, or the first of the
    ``det_file`` entries (folders of ``<SEQ>.txt``, names inside ``<SEQ>/det/``) that has it."""
    if det_file is None:
        p = seq_dir / "det" / "det.txt"
        if p.is_file():
            return p
        d = seq_dir / "det"
        there = sorted(x.name for x in d.iterdir() if x.is_file()) if d.is_dir() else []
        hint = (f"{d} holds {', '.join(there)}; pick one with --det-file NAME" if there else
                f"{d} has no files" if d.is_dir() else f"{seq_dir} has no det/ folder")
        raise FileNotFoundError(f"no detection file {p} ({hint}, or pass --det-file DIR with "
                                f"{seq_name}.txt)")
    entries = [det_file] if isinstance(det_file, (str, os.PathLike)) else list(det_file)
    for e in entries:
        found = _det_file_in(seq_name, e, seq_dir)
        if found is not None:
            return found
    raise FileNotFoundError(f"no detection file for {seq_name} in --det-file "
                            f"{', '.join(os.fspath(e) for e in entries)}")


def _fail(table: MotTable, rows: np.ndarray, msg: str) -> None:
    r = int(np.flatnonzero(rows)[0])
    line = int(table.lines[r]) if table.lines[r] else None
    raise MotFormatError(msg.format(row=r), table.path, line)


def check_detections(dets: MotTable, num_frames: int | None = None) -> None:
    """Reject detection rows a tracker would refuse, naming the file and line.

    Non-finite box or score, negative width or height, coordinates beyond
    ``mottrack.detections.MAX_COORDINATE``, or a frame outside ``1 .. num_frames``.
    """
    if not len(dets):
        return
    b = dets.boxes
    bad = ~np.isfinite(b).all(axis=1) | ~np.isfinite(dets.scores)
    if bad.any():
        _fail(dets, bad, "non-finite box or score")
    for col, what in ((2, "width"), (3, "height")):
        neg = b[:, col] < 0
        if neg.any():
            _fail(dets, neg, f"negative box {what}")
    big = (np.abs(b[:, :2]) > MAX_COORDINATE).any(axis=1) | \
        (np.abs(b[:, :2] + b[:, 2:]) > MAX_COORDINATE).any(axis=1)
    if big.any():
        _fail(dets, big, f"box coordinate beyond {MAX_COORDINATE:g} pixels")
    out = dets.frames < 1
    if num_frames is not None:
        out |= dets.frames > num_frames
    if out.any():
        _fail(dets, out, f"frame outside 1..{num_frames if num_frames is not None else ''}"
              + (" (seqLength)" if num_frames is not None else ""))
