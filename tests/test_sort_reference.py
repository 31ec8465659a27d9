"""SORT reproduces the original implementation (abewley/sort) on all 18 shared sequences."""
from __future__ import annotations

import pytest

import mottrack
from conftest import shared_path
from reference import compare_tracks, frames_of, load_csv, run_on_frames

MOT15 = ["ADL-Rundle-6", "ADL-Rundle-8", "ETH-Bahnhof", "ETH-Pedcross2", "ETH-Sunnyday",
         "KITTI-13", "KITTI-17", "PETS09-S2L1", "TUD-Campus", "TUD-Stadtmitte", "Venice-2"]
MOT17 = [f"MOT17-{n:02d}-FRCNN" for n in (2, 4, 5, 9, 10, 11, 13)]
CASES = [("MOT15", s) for s in MOT15] + [("MOT17", s) for s in MOT17]


@pytest.mark.parametrize("bench,seq", CASES, ids=[s for _, s in CASES])
def test_sort_matches_reference(bench, seq):
    det = load_csv(shared_path("data", bench, "train", seq, "det", "det.txt"))
    ref = load_csv(shared_path("reference", "sort", bench, f"{seq}.txt"))
    tracker = mottrack.SORT(max_age=1, min_hits=3, iou_threshold=0.3)
    ours = run_on_frames(tracker, frames_of(det), int(det[:, 0].max()))
    compare_tracks(ours, ref, box_tol=0.01)


def test_sort_created_by_registry_is_the_reference_configuration():
    t = mottrack.create_tracker("sort", max_age=1, min_hits=3, iou_threshold=0.3)
    assert isinstance(t, mottrack.SORT)
    assert (t.max_age, t.min_hits, t.iou_threshold) == (1, 3, 0.3)
