"""ByteTrack reproduces the original implementation (ifzhang/ByteTrack, BYTETracker) on
all 26 shared reference outputs: same boxes to 0.001 px, same track scores, same tracks
(in fact the same ids, in the same row order)."""
from __future__ import annotations

import numpy as np
import pytest

from mottrack.trackers.base import create_tracker
from conftest import shared_path
from reference import compare_tracks, frames_of, load_csv, run_on_frames

MOT15 = ["ADL-Rundle-6", "ADL-Rundle-8", "ETH-Bahnhof", "ETH-Pedcross2", "ETH-Sunnyday",
         "KITTI-13", "KITTI-17", "PETS09-S2L1", "TUD-Campus", "TUD-Stadtmitte", "Venice-2"]
YOLOX = ["MOT17-02", "MOT17-04", "MOT17-05", "MOT17-09"]
CASES = ([("MOT15_thresh0.5_match0.8", s, 0.5, 0.8) for s in MOT15]
         + [("MOT15_thresh0.7_match0.8", s, 0.7, 0.8) for s in MOT15]
         + [("MOT17_yolox_thresh0.6_match0.9", s, 0.6, 0.9) for s in YOLOX])


def det_path(ref_dir: str, seq: str):
    if ref_dir.startswith("MOT15"):
        return shared_path("data", "MOT15", "train", seq, "det", "det.txt")
    # YOLOX-X ablation detections: frame, index, x, y, w, h, score, ...; whole sequences
    return shared_path("data", "MOT17", "dets", "yolox_x_ablation", f"{seq}.txt")


@pytest.mark.parametrize("ref_dir,seq,track_thresh,match_thresh", CASES,
                         ids=[f"{d.split('_match')[0]}-{s}" for d, s, _, _ in CASES])
def test_bytetrack_matches_reference(ref_dir, seq, track_thresh, match_thresh):
    det = load_csv(det_path(ref_dir, seq))
    ref = load_csv(shared_path("reference", "bytetrack", ref_dir, f"{seq}.txt"))
    tracker = create_tracker("bytetrack", track_thresh=track_thresh, match_thresh=match_thresh,
                             track_buffer=30, frame_rate=30)
    ours = run_on_frames(tracker, frames_of(det), int(det[:, 0].max()))
    # reference: boxes printed with 3 decimals, track score (column 7) with 4
    compare_tracks(ours, ref, box_tol=0.001, score_tol=0.00005 + 1e-9)
    # stronger: the very same ids (new ids spent as the original spends them) and the
    # rows of each frame in the original's order (its tracked list)
    np.testing.assert_array_equal(ours[:, :2], ref[:, :2])
    np.testing.assert_allclose(ours[:, 2:6], ref[:, 2:6], rtol=0, atol=0.001)


def test_reference_set_is_complete():
    root = shared_path("reference", "bytetrack")
    found = sorted((p.parent.name, p.stem) for p in root.glob("*/*.txt"))
    assert found == sorted((d, s) for d, s, _, _ in CASES)
