"""Helpers to run a tracker over a MOT sequence and compare with a reference output."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from scipy.optimize import linear_sum_assignment


def load_csv(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", ndmin=2)


def frames_of(det: np.ndarray):
    """frame -> (N, 5) x1, y1, x2, y2, score: that frame's rows of a MOTChallenge det array
    (frame, id, x, y, w, h, score, ...) in file order, as the references were fed."""
    det = det[np.argsort(det[:, 0], kind="stable")]
    starts = np.searchsorted(det[:, 0], np.arange(0, int(det[:, 0].max()) + 2))

    def get(f):
        d = det[starts[f]:starts[f + 1], 2:7].copy()
        d[:, 2:4] += d[:, 0:2]
        return d
    return get


def run_on_frames(tracker, frames: Iterable, n_frames: int) -> np.ndarray:
    """Feed ``frames`` (frame -> Detections/array) for frames 1..n_frames.

    Returns rows frame, id, x, y, w, h, score (the MOTChallenge result layout).
    """
    rows = []
    for f in range(1, n_frames + 1):
        out = tracker.update(frames(f))
        for r in out:
            rows.append((f, r[4], r[0], r[1], r[2] - r[0], r[3] - r[1], r[5]))
    return np.array(rows, dtype=np.float64).reshape(-1, 7)


def compare_tracks(ours: np.ndarray, ref: np.ndarray, box_tol: float,
                   score_tol: Optional[float] = None) -> None:
    """Assert equal outputs: per frame the same boxes (within ``box_tol`` px, matched
    one-to-one) and the same tracks up to a one-to-one renaming of ids.

    ``ours`` and ``ref`` are (K, >=6) arrays frame, id, x, y, w, h[, score].
    """
    assert len(ours) == len(ref), f"{len(ours)} output rows, reference has {len(ref)}"
    id_map: dict = {}
    frames = np.unique(ref[:, 0])
    assert np.array_equal(np.unique(ours[:, 0]), frames), "frames with output differ"
    for f in frames:
        a = ours[ours[:, 0] == f]
        b = ref[ref[:, 0] == f]
        assert len(a) == len(b), f"frame {int(f)}: {len(a)} tracks, reference {len(b)}"
        cost = np.abs(a[:, None, 2:6] - b[None, :, 2:6]).max(axis=2)
        ia, ib = linear_sum_assignment(cost)
        worst = cost[ia, ib].max()
        assert worst <= box_tol, f"frame {int(f)}: a box differs by {worst:.4f} px"
        if score_tol is not None:
            d = np.abs(a[ia, 6] - b[ib, 6]).max()
            assert d <= score_tol, f"frame {int(f)}: a score differs by {d}"
        for x, y in zip(a[ia, 1], b[ib, 1]):
            prev = id_map.setdefault(x, y)
            assert prev == y, f"frame {int(f)}: our track {int(x)} was reference {int(prev)}, now {int(y)}"
    assert len(set(id_map.values())) == len(id_map), "two of our tracks map to one reference track"


# ----------------------------------------------------------------------------- shared data sets
#: The MOT15 sequences (SORT's Faster R-CNN detections) every reference covers.
MOT15 = ["ADL-Rundle-6", "ADL-Rundle-8", "ETH-Bahnhof", "ETH-Pedcross2", "ETH-Sunnyday",
         "KITTI-13", "KITTI-17", "PETS09-S2L1", "TUD-Campus", "TUD-Stadtmitte", "Venice-2"]
#: The MOT17 sequences with YOLOX-X ablation detections.
YOLOX = ["MOT17-02", "MOT17-04", "MOT17-05", "MOT17-09"]


def det_path(ref_dir: str, seq: str) -> Path:
    """The detections a reference directory (``MOT15...`` or ``MOT17_yolox...``) was made from."""
    from conftest import shared_path
    if ref_dir.startswith("MOT15"):
        return shared_path("data", "MOT15", "train", seq, "det", "det.txt")
    # YOLOX-X ablation detections: frame, index, x, y, w, h, score, ...; whole sequences
    return shared_path("data", "MOT17", "dets", "yolox_x_ablation", f"{seq}.txt")


def run_reference(name: str, ref_dir: str, seq: str, **params) -> np.ndarray:
    """Run tracker ``name`` with ``params`` over a reference sequence's detections, every
    frame 1..last detection frame (the MOTChallenge result layout, see :func:`run_on_frames`)."""
    from mottrack import create_tracker
    det = load_csv(det_path(ref_dir, seq))
    return run_on_frames(create_tracker(name, **params), frames_of(det), int(det[:, 0].max()))


def half_with_warps(seq: str, n_frames: int, length: int):
    """(detections (N, 5), camera warp (2, 3)) of the first ``n_frames`` frames of MOT17
    ``seq``'s second half (frames length//2+2..; YOLOX detections, BoT-SORT's precomputed
    camera warps, one per frame)."""
    from conftest import shared_path
    det = load_csv(shared_path("data", "MOT17", "dets", "yolox_x_ablation", f"{seq}.txt"))
    gmc = np.loadtxt(shared_path("data", "MOT17", "gmc", f"{seq}.txt"), delimiter="\t",
                     usecols=range(1, 7))
    first = length // 2 + 2
    get = frames_of(det)
    return [(get(first + k), gmc[k].reshape(2, 3)) for k in range(n_frames)]


#: The cases of the OC-SORT-family references: (directory, sequence, det_thresh).
OC_CASES = ([("MOT15_det0.5", s, 0.5) for s in MOT15] + [("MOT17_yolox", s, 0.6) for s in YOLOX])


def reference_files(name: str) -> list:
    """(directory, sequence) of every output file in ``shared/reference/<name>/``."""
    from conftest import shared_path
    return sorted((p.parent.name, p.stem) for p in shared_path("reference", name).glob("*/*.txt"))
