"""BoT-SORT reproduces the original implementation (NirAharon/BoT-SORT, ``BoTSORT``) on every
shared reference output: MOT15 and MOT17 YOLOX without camera motion, MOT17 FRCNN with the
DeepSORT ReID embeddings, and the MOT17 YOLOX half-val protocol with its precomputed camera
motion.  Same boxes to 0.001 px, same track scores, same tracks up to renaming of ids."""
from __future__ import annotations

import configparser

import numpy as np
import pytest

import mottrack
from conftest import shared_path
from reference import compare_tracks, load_csv, run_on_frames
from reference import MOT15, YOLOX, frames_of

CASES = [("MOT15", s) for s in MOT15] + [("MOT17_yolox", s) for s in YOLOX]


def _det(ref_dir, seq):
    if ref_dir == "MOT15":
        return load_csv(shared_path("data", "MOT15", "train", seq, "det", "det.txt"))
    return load_csv(shared_path("data", "MOT17", "dets", "yolox_x_ablation", f"{seq}.txt"))


def _check(ours, ref):
    # boxes printed with 3 decimals, the track score (column 7) with 4
    compare_tracks(ours, ref, box_tol=0.001, score_tol=0.00005 + 1e-9)


@pytest.mark.parametrize("ref_dir,seq", CASES, ids=[f"{d}-{s}" for d, s in CASES])
def test_botsort_matches_reference(ref_dir, seq):
    det = _det(ref_dir, seq)
    ref = load_csv(shared_path("reference", "botsort", ref_dir, f"{seq}.txt"))
    ours = run_on_frames(mottrack.BoTSORT(), frames_of(det), int(det[:, 0].max()))
    _check(ours, ref)
    # the original's ids are spent the same way: identical, not merely renamed
    np.testing.assert_array_equal(ours[:, 1], ref[:, 1])


@pytest.mark.parametrize("seq", ["MOT17-05-FRCNN", "MOT17-09-FRCNN"])
def test_botsort_reid_matches_reference(seq):
    data = np.load(shared_path("data", "MOT17", "embeddings", "deepsort", f"{seq}.npy"))
    ref = load_csv(shared_path("reference", "botsort_reid", "MOT17", f"{seq}.txt"))
    data = data[np.argsort(data[:, 0], kind="stable")]
    n = int(data[:, 0].max())
    starts = np.searchsorted(data[:, 0], np.arange(0, n + 2))

    def frame(f):
        d = data[starts[f]:starts[f + 1]]
        boxes = d[:, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        return mottrack.Detections(boxes, d[:, 6], embeddings=d[:, 7:])

    ours = run_on_frames(mottrack.BoTSORT(), frame, n)
    _check(ours, ref)
    if seq.startswith("MOT17-05"):
        # appearance matters here: without it the output differs
        plain = run_on_frames(mottrack.BoTSORT(), lambda f: frame(f).boxes if len(frame(f)) == 0 else
                              np.column_stack([frame(f).boxes, frame(f).scores]), n)
        with pytest.raises(AssertionError):
            _check(plain, ref)


def read_gmc(seq):
    return mottrack.motion.read_warps(shared_path("data", "MOT17", "gmc", f"{seq}.txt"))


@pytest.mark.parametrize("seq", YOLOX)
def test_botsort_cmc_halfval_matches_reference(seq):
    det = _det("MOT17_yolox", seq)
    ref = load_csv(shared_path("reference", "botsort_cmc", "MOT17_yolox_halfval", f"{seq}.txt"))
    ini = configparser.ConfigParser()
    ini.read(shared_path("data", "MOT17", "train", f"{seq}-FRCNN", "seqinfo.ini"))
    length = int(ini["Sequence"]["seqLength"])
    first = length // 2 + 2
    warps = read_gmc(seq)
    get = frames_of(det)
    tracker = mottrack.BoTSORT()
    rows = []
    for k, f in enumerate(range(first, int(det[:, 0].max()) + 1)):
        out = tracker.update(get(f), camera_motion=warps[k])
        for r in out:
            rows.append((f, r[4], r[0], r[1], r[2] - r[0], r[3] - r[1], r[5]))
    ours = np.array(rows).reshape(-1, 7)
    _check(ours, ref)
    if seq == "MOT17-05":
        # the moving camera: without the warps the output differs
        plain = run_on_frames(mottrack.BoTSORT(), lambda f: get(f + first - 1),
                              int(det[:, 0].max()) - first + 1)
        plain[:, 0] += first - 1
        with pytest.raises(AssertionError):
            _check(plain, ref)


def test_reference_sets_are_complete():
    found = sorted((p.parent.name, p.stem) for p in shared_path("reference", "botsort").glob("*/*.txt"))
    assert found == sorted(CASES)
    assert sorted(p.stem for p in shared_path("reference", "botsort_cmc", "MOT17_yolox_halfval").glob("*.txt")) == YOLOX
