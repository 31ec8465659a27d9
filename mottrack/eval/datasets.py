"""Sequences to evaluate: a MOTChallenge folder, or the embedded default.

An :class:`EvalSequence` bundles everything the runner needs for one sequence: ground
truth, detections (with optional appearance embeddings), the frame range to track and to
score, the frame rate and the preprocessing rules (``benchmark``).

* :func:`load_dataset` reads ``<root>/<split>/<SEQ>/{gt/gt.txt, det/det.txt, seqinfo.ini}``,
  with another detection file per sequence (``det_file='det_acf_public.txt'``) or a folder of
  ``<SEQ>.txt`` files (``MOT17/dets/yolox_x_ablation/MOT17-02.txt`` serves
  ``MOT17-02-FRCNN``), DeepSORT embeddings from ``<DIR>/<SEQ>.npy`` files holding rows
  ``frame, -1, x, y, w, h, score, e_1 .. e_D`` (the detections then come from that file,
  as in deep_sort_app), and the half-val protocol (``frames='second-half'``: frames
  ``N//2 + 2 .. N``).
  DanceTrack (``dancetrack/{train,val,test}``) and SportsMOT
  (``sportsmot_publish/dataset/{train,val,test}``) use the same layout; their benchmark is
  recognised from the path and sequences without gt (the test splits) are skipped with a note.
  KITTI tracking layouts are read by :mod:`mottrack.eval.kitti`.
* :func:`default_sequences` is the no-argument default: the TUD-Campus and TUD-Stadtmitte
  ground truth shipped inside the installed ``motmetrics`` package (read in place, never
  copied) plus a synthetic crowded scene, all with simulated detections.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..io.mot import MotFormatError, MotTable, discover_sequences, read_det, read_gt
from .simulate import DetectorSimulator, synthetic_scene

__all__ = ["EvalSequence", "load_dataset", "default_sequences", "synthetic_sequence",
           "guess_benchmark",
           "motmetrics_data_dir", "FRAMES_CHOICES"]

FRAMES_CHOICES = ("all", "second-half")


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
        as ``camera_motion`` to trackers with ``supports_camera_motion``.
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


def guess_benchmark(root: str | os.PathLike | None, gt: MotTable | None = None) -> str:
    """MOT15/16/17/20, DanceTrack or SportsMOT from the dataset path, else MOT15 when the gt
    has no classes, else MOT17."""
    if root is not None:
        parts = list(reversed(Path(root).resolve().parts))
        for part in parts:
            m = re.search(r"MOT(15|16|17|20)", part, re.IGNORECASE)
            if m:
                return "MOT" + m.group(1)
        for part in parts:
            for bench in ("DANCETRACK", "SPORTSMOT"):
                if bench in part.upper():
                    return bench
    if gt is not None and len(gt) and (gt.classes < 1).any():
        return "MOT15"
    return "MOT17" if gt is not None and len(gt) else "MOT15"


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


def _det_file_for(seq_name: str, det_file, seq_dir: Path) -> Path:
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
    from ..detections import MAX_COORDINATE
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


def read_embeddings(path: str | os.PathLike) -> tuple[MotTable, np.ndarray]:
    """Read a DeepSORT ``.npy`` file: rows ``frame, -1, x, y, w, h, score, e_1 .. e_D``.

    Returns the detections (file order kept within a frame) and the (n, D) float32
    embeddings aligned with them.
    """
    path = os.fspath(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise MotFormatError(f"cannot read embeddings ({exc})", path) from None
    if arr.ndim != 2 or arr.shape[1] < 8:
        raise MotFormatError(f"expected an (n, 7 + D) array, got shape {arr.shape}", path)
    arr = np.asarray(arr, np.float64)
    bad = ~np.isfinite(arr[:, :7]).all(axis=1)
    if bad.any():
        raise MotFormatError(f"row {int(np.flatnonzero(bad)[0])} has a non-finite value", path)
    frames = arr[:, 0]
    if (frames != np.trunc(frames)).any():
        raise MotFormatError("frame column must hold whole numbers", path)
    order = np.argsort(frames, kind="stable")
    arr = arr[order]
    n = arr.shape[0]
    t = MotTable.from_arrays(arr[:, 0].astype(np.int64), np.full(n, -1, np.int64), arr[:, 2:6],
                             arr[:, 6])
    return MotTable(t.frames, t.ids, t.boxes, t.scores, t.classes, t.visibility,
                    (order + 1).astype(np.int64), path), np.ascontiguousarray(arr[:, 7:], np.float32)


def load_dataset(root: str | os.PathLike, *, split: str | None = None,
                 seqs: Sequence[str] | None = None,
                 det_file: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
                 frames: str = "all", embeddings: str | os.PathLike | None = None,
                 benchmark: str | None = None, require_gt: bool = True,
                 with_dets: bool = True, kitti_class: str = "car",
                 notes: list | None = None) -> list[EvalSequence]:
    """Load the sequences of a dataset in MOTChallenge layout (MOT15/16/17/20, DanceTrack,
    SportsMOT) or KITTI tracking layout (see :mod:`mottrack.eval.kitti`).

    Parameters
    ----------
    root : path
        ``<root>/<split>/<SEQ>/...``, ``<root>/<SEQ>/...`` or one sequence folder.
    split : str, optional
        Only this split folder.
    seqs : list of str, optional
        Sequence names to keep (error if one is missing).
    det_file : path or list of paths, optional
        A file name inside each ``<SEQ>/det/`` (``det_acf_public.txt``), or a folder of
        ``<SEQ>.txt`` files (``MOT17-02.txt`` also serves ``MOT17-02-FRCNN``); several are
        tried in order, the first that has a sequence's file serves it.
    frames : {'all', 'second-half'}
        ``second-half``: track and score frames ``N//2 + 2 .. N`` (half-val protocol).
    embeddings : path, optional
        Folder of ``<SEQ>.npy`` files; detections and embeddings are read from them.
        Sequences without a file keep their text detections and no embeddings.
    benchmark : str, optional
        Preprocessing rules; default guessed from the path (``MOT17``, ``dancetrack``,
        ``sportsmot`` in it, a ``label_02`` folder for KITTI) or the gt.
    require_gt : bool
        Skip sequences without ground truth (error if none is left); each skipped sequence
        is named in ``notes``.
    with_dets : bool
        Read the detections (False: an empty table, for scoring existing results).
    kitti_class : {'car', 'pedestrian'}
        The KITTI class scored.
    notes : list, optional
        Receives one line per skipped sequence.

    Raises
    ------
    FileNotFoundError, MotFormatError
    """
    if frames not in FRAMES_CHOICES:
        raise ValueError(f"frames must be one of {FRAMES_CHOICES}, got {frames!r}")
    from .kitti import is_kitti_layout, load_kitti
    if (benchmark or "").upper() == "KITTI" or (benchmark is None and is_kitti_layout(root)):
        return load_kitti(root, split=split, seqs=seqs, det_file=det_file, frames=frames,
                          kitti_class=kitti_class, with_dets=with_dets, notes=notes)
    found = discover_sequences(root, split, list(seqs) if seqs else None)
    if require_gt:
        skipped = [s for s in found if not s.has_gt]
        found = [s for s in found if s.has_gt]
        if notes is not None and skipped:
            by_split: dict = {}
            for s in skipped:
                by_split.setdefault(s.split or "", []).append(s.name)
            for sp, names in by_split.items():
                notes.append(f"skipped {len(names)} sequence(s) without gt/gt.txt"
                             + (f" in {sp}/" if sp else "") + f": {', '.join(names[:6])}"
                             + (" ..." if len(names) > 6 else ""))
    if not found:
        raise FileNotFoundError(f"no sequences with ground truth under {root}")
    emb_dir = None if embeddings is None else Path(embeddings)
    if emb_dir is not None and not emb_dir.is_dir():
        raise FileNotFoundError(f"embeddings folder not found: {emb_dir}")
    out = []
    for s in found:
        info = s.seqinfo()
        gt = s.gt() if s.has_gt else None
        emb = None
        npy = None if emb_dir is None else emb_dir / f"{s.name}.npy"
        if not with_dets:
            dets = MotTable.from_arrays(np.zeros(0, np.int64), np.zeros(0, np.int64),
                                        np.zeros((0, 4)))
        elif npy is not None and npy.is_file():
            dets, emb = read_embeddings(npy)
        else:
            dets = read_det(_det_file_for(s.name, det_file, s.path))
        if info is not None:
            n, fps, size = info.seq_length, info.frame_rate, (info.im_width, info.im_height)
        else:
            n = max(int(gt.frames[-1]) if gt is not None and len(gt) else 0,
                    int(dets.frames[-1]) if len(dets) else 0)
            fps, size = 30.0, None
        first = n // 2 + 2 if frames == "second-half" else 1
        bench = (benchmark or guess_benchmark(root, gt)).upper()
        check_detections(dets, n)
        out.append(EvalSequence(s.name, gt, dets, n, first, fps, bench, emb, size,
                                False, os.fspath(dets.path or s.path)))
    return out


def motmetrics_data_dir() -> Path | None:
    """The ``data`` folder of the installed motmetrics package (None if not installed)."""
    try:
        from importlib.resources import files
        d = Path(str(files("motmetrics") / "data"))
    except Exception:  # pragma: no cover - motmetrics missing
        return None
    return d if d.is_dir() else None


# TUD sequences: 25 fps, 640x480 (their MOT15 seqinfo.ini); lengths from the gt files.
_TUD = {"TUD-Campus": (25.0, (640, 480)), "TUD-Stadtmitte": (25.0, (640, 480))}


def synthetic_sequence(name: str, num_frames: int, num_objects: int, concurrent: int,
                       simulator: DetectorSimulator, scene_seed: int,
                       image_size: tuple = (1920, 1080), source: str = "") -> EvalSequence:
    """A synthetic scene (:func:`~mottrack.eval.simulate.synthetic_scene`) with ``simulator``'s
    detections, as a 30 fps MOT15-rules :class:`EvalSequence`.

    Parameters
    ----------
    name : str
    num_frames, num_objects, concurrent : int
        Length, people in total, people at a time.
    simulator : DetectorSimulator
        Its ``image_size`` and ``seed`` are used as given.
    scene_seed : int
        Seed of the scene.
    image_size : (int, int)
        Width, height of the scene in pixels.
    source : str
        Description for the printed summary.
    """
    gt = synthetic_scene(num_frames, num_objects=num_objects, concurrent=concurrent,
                         image_size=image_size, seed=scene_seed)
    sd = simulator.simulate(gt, num_frames)
    return EvalSequence(name, gt, sd.dets, num_frames, 1, 30.0, "MOT15", sd.embeddings,
                        tuple(image_size), True, source)


def default_sequences(seed: int = 0, simulator: DetectorSimulator | None = None,
                      synthetic_frames: int = 300) -> list[EvalSequence]:
    """The embedded default: motmetrics' TUD gt + a synthetic crowd, simulated detections."""
    sim = simulator or DetectorSimulator(seed=seed)
    out = []
    d = motmetrics_data_dir()
    for k, (name, (fps, size)) in enumerate(_TUD.items()):
        if d is None or not (d / name / "gt.txt").is_file():
            continue
        gt = read_gt(d / name / "gt.txt")
        n = int(gt.frames[-1])
        sd = replace(sim, image_size=size, seed=sim.seed + 1000 * (k + 1)).simulate(gt, n)
        out.append(EvalSequence(name, gt, sd.dets, n, 1, fps, "MOT15", sd.embeddings, size, True,
                                f"motmetrics package: {d / name / 'gt.txt'}"))
    size = (1920, 1080)
    out.append(synthetic_sequence("SYNTH-Crowd", synthetic_frames, 60, 25,
                                  replace(sim, image_size=size, seed=sim.seed + 7), seed, size,
                                  f"synthetic crowded scene (seed {seed}, 1920x1080, 30 fps)"))
    return out
