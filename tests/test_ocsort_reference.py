"""OC-SORT reproduces the original implementation (noahcao/OC_SORT, ``OCSort.update``) on
all 15 shared reference outputs: same boxes to 0.001 px, same tracks up to a one-to-one
renaming of ids, every frame (see ../shared/README.md for how they were made)."""
from __future__ import annotations

import pytest
from conftest import shared_path
from reference import OC_CASES as CASES
from reference import compare_tracks, load_csv, reference_files, run_reference


@pytest.mark.parametrize("ref_dir,seq,det_thresh", CASES, ids=[f"{d}-{s}" for d, s, _ in CASES])
def test_ocsort_matches_reference(ref_dir, seq, det_thresh):
    ref = load_csv(shared_path("reference", "ocsort", ref_dir, f"{seq}.txt"))
    ours = run_reference("ocsort", ref_dir, seq, det_thresh=det_thresh)
    # the original's defaults: max_age=30, min_hits=3, iou_threshold=0.3, delta_t=3,
    # asso_func="iou", inertia=0.2, use_byte=False; boxes printed with 3 decimals
    compare_tracks(ours, ref, box_tol=0.001)


def test_reference_set_is_complete():
    assert reference_files("ocsort") == sorted((d, s) for d, s, _ in CASES)
