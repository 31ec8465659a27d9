"""Hybrid-SORT reproduces the original implementation (ymzis69/HybridSORT, motion-only
``Hybrid_Sort.update``) on all 15 shared reference outputs: same boxes to 0.001 px, same
tracks up to a one-to-one renaming of ids, every frame (see ../shared/README.md for how
they were made: the MOT17 ablation configuration, det_thresh 0.5 on MOT15)."""
from __future__ import annotations

import pytest
from conftest import shared_path
from reference import OC_CASES as CASES
from reference import compare_tracks, load_csv, reference_files, run_reference


@pytest.mark.parametrize("ref_dir,seq,det_thresh", CASES, ids=[f"{d}-{s}" for d, s, _ in CASES])
def test_hybridsort_matches_reference(ref_dir, seq, det_thresh):
    ref = load_csv(shared_path("reference", "hybridsort", ref_dir, f"{seq}.txt"))
    # the defaults are the original's MOT17 ablation configuration: HMIoU, TCM in both
    # rounds with weight 1, inertia 0.05, delta_t 3, BYTE on, iou_threshold 0.25,
    # max_age 30, min_hits 3; boxes printed with 3 decimals
    ours = run_reference("hybridsort", ref_dir, seq, det_thresh=det_thresh)
    compare_tracks(ours, ref, box_tol=0.001)


def test_reference_set_is_complete():
    assert reference_files("hybridsort") == sorted((d, s) for d, s, _ in CASES)
