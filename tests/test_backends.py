"""The py-motmetrics backend: motmetrics' own published numbers, its loaders as an oracle,
a hand-worked case, and agreement with the TrackEval-exact metrics where both define the
same thing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import motmetrics as mm  # noqa: E402  (the eval extra; CI installs it before the test extra)

from mottrack.eval.backends import (MOTMETRICS_SUMMARY_KEYS, iou_distance_matrix,  # noqa: E402
                                    motmetrics_accumulator, motmetrics_evaluate,
                                    motmetrics_evaluate_sequence)
from mottrack.eval.metrics import evaluate_sequence  # noqa: E402
from mottrack.io.mot import MotTable, read_gt, read_results  # noqa: E402

# motmetrics' own loader (used as an oracle below) warns on pandas 3; not our concern
pytestmark = pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated")

MM_DATA = Path(mm.__file__).resolve().parent / "data"
TUD = ("TUD-Campus", "TUD-Stadtmitte")


def _tud(name: str) -> Path:
    d = MM_DATA / name
    if not (d / "gt.txt").is_file() or not (d / "test.txt").is_file():
        # Justified: the oracle data ships inside the motmetrics package; a build of it
        # without its data folder cannot serve as the oracle (1.4.0, installed here, has it).
        pytest.skip(f"motmetrics does not ship {d}")
    return d


def _tables(name: str):
    d = _tud(name)
    return read_gt(d / "gt.txt"), read_results(d / "test.txt")


@pytest.fixture
def asfarray(monkeypatch):
    """Restore ``np.asfarray`` (removed in NumPy 2) so motmetrics' own code can be the oracle."""
    monkeypatch.setattr(np, "asfarray", lambda a, dtype=np.float64: np.asarray(a, dtype=dtype),
                        raising=False)


# Published in motmetrics 1.4.0's tests/test_metrics.py::test_motchallenge_files (fractions;
# motp is a distance).  Rows: TUD-Campus, TUD-Stadtmitte, OVERALL.
_MM_COLUMNS = ("idf1", "idp", "idr", "recall", "precision", "num_unique_objects",
               "mostly_tracked", "partially_tracked", "mostly_lost", "num_false_positives",
               "num_misses", "num_switches", "num_fragmentations", "mota", "motp")
_MM_PUBLISHED = {
    "TUD-Campus": (0.557659, 0.729730, 0.451253, 0.582173, 0.941441, 8, 1, 6, 1, 13, 150, 7, 7,
                   0.526462, 0.277201),
    "TUD-Stadtmitte": (0.644619, 0.819760, 0.531142, 0.608997, 0.939920, 10, 5, 4, 1, 45, 452,
                       7, 6, 0.564014, 0.345904),
    "OVERALL": (0.624296, 0.799176, 0.512211, 0.602640, 0.940268, 18, 6, 10, 2, 58, 602, 14, 13,
                0.555116, 0.330177),
}
_TO_OURS = {"idf1": "IDF1", "idp": "IDP", "idr": "IDR", "recall": "Rcll", "precision": "Prcn",
            "mota": "MOTA", "num_unique_objects": "GT", "mostly_tracked": "MT",
            "partially_tracked": "PT", "mostly_lost": "ML", "num_false_positives": "FP",
            "num_misses": "FN", "num_switches": "IDSW", "num_fragmentations": "Frag"}


def _check_published(ours: dict, published: tuple):
    for col, want in zip(_MM_COLUMNS, published):
        if col == "motp":
            assert ours["MOTP"] == pytest.approx(100 * (1 - want), abs=1e-4), col
        elif isinstance(want, float):
            assert ours[_TO_OURS[col]] == pytest.approx(100 * want, abs=1e-4), col
        else:
            assert ours[_TO_OURS[col]] == want, col
            assert isinstance(ours[_TO_OURS[col]], int)


# ----------------------------------------------------------------- motmetrics' own example

def test_tud_campus_readme_numbers():
    gt, res = _tables("TUD-Campus")
    out = motmetrics_evaluate_sequence(gt, res, benchmark="MOT15")
    assert tuple(out) == MOTMETRICS_SUMMARY_KEYS
    assert out["backend"] == "motmetrics"
    assert round(out["MOTA"], 1) == 52.6
    assert round(out["IDF1"], 1) == 55.8
    _check_published(out, _MM_PUBLISHED["TUD-Campus"])


def test_tud_both_sequences_and_overall():
    pairs = [(n, *_tables(n)) for n in TUD]
    out = motmetrics_evaluate(pairs, "MOT15")
    assert out["backend"] == "motmetrics"
    assert list(out["sequences"]) == list(TUD)
    for n in TUD:
        _check_published(out["sequences"][n], _MM_PUBLISHED[n])
        assert out["sequences"][n] == motmetrics_evaluate_sequence(*_tables(n))
    _check_published(out["combined"], _MM_PUBLISHED["OVERALL"])


# ----------------------------------------------------------------- motmetrics as the oracle

def test_events_equal_motmetrics_pipeline(asfarray):
    """Same events, bit for bit, as motmetrics' loader + compare_to_groundtruth."""
    for n in TUD:
        d = _tud(n)
        ref = mm.utils.compare_to_groundtruth(mm.io.loadtxt(d / "gt.txt", min_confidence=1),
                                              mm.io.loadtxt(d / "test.txt"), "iou", distth=0.5)
        acc = motmetrics_accumulator(*_tables(n))
        a, b = ref.events, acc.events
        assert list(a.index) == list(b.index)
        assert a["Type"].tolist() == b["Type"].tolist()
        np.testing.assert_array_equal(a["OId"].to_numpy(float), b["OId"].to_numpy(float))
        np.testing.assert_array_equal(a["HId"].to_numpy(float), b["HId"].to_numpy(float))
        np.testing.assert_array_equal(a["D"].to_numpy(float), b["D"].to_numpy(float))


def test_iou_distance_matrix_equals_motmetrics(asfarray):
    rng = np.random.default_rng(5)
    for _ in range(50):
        a = np.round(rng.uniform(0, 50, (rng.integers(1, 8), 4)), rng.integers(0, 3))
        b = np.round(rng.uniform(0, 50, (rng.integers(1, 8), 4)), rng.integers(0, 3))
        b[: len(a) // 2] = a[: len(a) // 2][: len(b)] + rng.normal(0, 2, (min(len(a) // 2, len(b)), 4))
        for max_iou in (0.5, 0.3, 1.0):
            np.testing.assert_array_equal(iou_distance_matrix(a, b, max_iou),
                                          mm.distances.iou_matrix(a, b, max_iou=max_iou))
    # edge cases: identical, touching, zero area, exactly IoU 0.5, empty
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 5], [0, 0, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [10, 0, 10, 10], [0, 0, 0, 5], [0, 0, 10, 5]], float)
    got = iou_distance_matrix(a, b)
    np.testing.assert_array_equal(got, mm.distances.iou_matrix(a, b, max_iou=0.5))
    assert got[0, 0] == 0 and got[0, 3] == 0.5 and np.isnan(got[0, 1])
    assert iou_distance_matrix(np.empty((0, 4)), b).shape == (0, 0)


def test_loader_semantics_match_eval_motchallenge(tmp_path, asfarray):
    """Gt conf < 1 dropped (conf 0, fractional, negative), results score < -1 dropped,
    no class filtering for MOT16/17, frames only in one file still counted."""
    gt_txt = "\n".join([
        "1,1,10,10,20,40,1,1,1", "1,2,100,10,20,40,0,1,1", "1,3,200,10,20,40,1,7,1",
        "2,1,11,10,20,40,1,1,1", "2,2,101,10,20,40,0.5,1,1", "2,3,201,10,20,40,-1,1,1",
        "3,1,12,10,20,40,1,1,1", "5,1,14,10,20,40,1,1,1",
    ]) + "\n"
    res_txt = "\n".join([
        "1,7,10,10,20,40,-1,-1,-1,-1", "1,8,100,10,20,40,0.9,-1,-1,-1",
        "1,9,200,10,20,40,-2,-1,-1,-1", "2,7,11.5,10,20,40,0.3,-1,-1,-1",
        "2,9,201,10,20,40,5,-1,-1,-1", "4,7,13,10,20,40,1,-1,-1,-1",
        "5,8,14,10,20,40,1,-1,-1,-1",
    ]) + "\n"
    (tmp_path / "gt.txt").write_text(gt_txt)
    (tmp_path / "res.txt").write_text(res_txt)
    ref = mm.utils.compare_to_groundtruth(mm.io.loadtxt(tmp_path / "gt.txt", min_confidence=1),
                                          mm.io.loadtxt(tmp_path / "res.txt"), "iou", distth=0.5)
    mh = mm.metrics.create()
    want = mh.compute(ref, metrics=list(mm.metrics.motchallenge_metrics), return_dataframe=False)
    for bench in ("MOT15", "MOT17"):
        got = motmetrics_evaluate_sequence(read_gt(tmp_path / "gt.txt"),
                                           read_results(tmp_path / "res.txt"), benchmark=bench)
        # kept: gt 1 (f1, f2, f3, f5) and 3 (f1; class 7); results 7 (f1, f2, f4), 8 (f1, f5),
        # 9 (f2).  FP: 8 in f1, 9 in f2, 7 in f4; FN: 3 in f1 (its box 9 is dropped), 1 in f3
        assert got["FP"] == want["num_false_positives"] == 3
        assert got["FN"] == want["num_misses"] == 2
        assert got["IDSW"] == want["num_switches"] == 1  # gt 1: 7 -> 8 in f5
        assert got["GT"] == 2  # ids 1 and 3 (class 7 kept: no class filtering)
        assert got["MOTA"] == pytest.approx(100 * want["mota"], abs=1e-12)
        assert got["IDF1"] == pytest.approx(100 * want["idf1"], abs=1e-12)


# ----------------------------------------------------------------- hand-worked

def _table(rows):
    rows = np.asarray(rows, float)
    return MotTable.from_arrays(rows[:, 0], rows[:, 1], rows[:, 2:6])


def _tiny():
    gt = _table([[1, 1, 0, 0, 10, 10], [1, 2, 100, 0, 10, 10],
                 [2, 1, 0, 0, 10, 10], [2, 2, 100, 0, 10, 10],
                 [3, 1, 0, 0, 10, 10], [3, 2, 100, 0, 10, 10]])
    res = _table([[1, 1, 0, 0, 10, 10], [1, 2, 101, 0, 10, 10],   # IoU 1 and 90/110
                  [2, 1, 0, 0, 10, 10], [2, 3, 300, 0, 10, 10],   # o2 missed, h3 is a FP
                  [3, 2, 0, 0, 10, 10]])                           # o1 now h2: a switch
    return gt, res


def test_hand_worked():
    out = motmetrics_evaluate_sequence(*_tiny())
    # 6 gt boxes; matches f1 o1-h1 (d 0), o2-h2 (d 2/11), f2 o1-h1, f3 o1-h2 (switch)
    assert (out["FP"], out["FN"], out["IDSW"]) == (1, 2, 1)
    assert out["MOTA"] == pytest.approx(100 * (1 - 4 / 6))
    assert out["MOTP"] == pytest.approx(100 * (1 - (2 / 11) / 4))
    assert out["Rcll"] == pytest.approx(100 * 4 / 6)
    assert out["Prcn"] == pytest.approx(100 * 4 / 5)
    # identities: o1-h1 share 2 frames, o2-h2 1 -> IDTP 3, IDFP 2, IDFN 3
    assert out["IDF1"] == pytest.approx(100 * 6 / 11)
    assert out["IDP"] == pytest.approx(60.0)
    assert out["IDR"] == pytest.approx(50.0)
    assert (out["MT"], out["PT"], out["ML"], out["Frag"], out["GT"]) == (1, 1, 0, 0, 2)


def test_empty_and_arguments():
    gt, res = _tiny()
    none = res.select(np.zeros(len(res), bool))
    out = motmetrics_evaluate_sequence(gt, none)
    assert (out["FN"], out["FP"], out["MOTA"], out["ML"]) == (6, 0, 0.0, 2)
    with pytest.raises(ValueError):
        motmetrics_evaluate_sequence(gt, res, benchmark="KITTI")
    with pytest.raises(ValueError):
        motmetrics_evaluate([("a", gt, res), ("a", gt, res)], "MOT15")
    # a stricter IoU threshold loses the 90/110 match
    strict = motmetrics_evaluate_sequence(gt, res, iou_threshold=0.85)
    assert (strict["FP"], strict["FN"]) == (2, 3)


# ----------------------------------------------------------------- agreement with TrackEval-exact

def _synthetic(seed=0, n_obj=8, n_frames=60):
    """Objects in separate lanes, present without gaps; tracker boxes jittered (IoU well above
    0.5), tracks that start late, far-away false positives and a few persistent id swaps --
    none of the cases where motmetrics and TrackEval define things differently."""
    rng = np.random.default_rng(seed)
    g, t = [], []
    starts = rng.integers(1, 20, n_obj)
    ends = rng.integers(35, n_frames + 1, n_obj)
    delay = rng.integers(0, 6, n_obj)
    swaps = {int(f): tuple(rng.choice(n_obj, 2, replace=False)) for f in rng.integers(25, 35, 3)}
    tid = np.arange(100, 100 + n_obj)
    for f in range(1, n_frames + 1):
        if f in swaps:
            i, j = swaps[f]
            tid[[i, j]] = tid[[j, i]]
        for k in range(n_obj):
            if not starts[k] <= f <= ends[k]:
                continue
            box = np.array([5.0 * f + 3 * k, 80.0 * k, 30.0, 60.0])
            g.append([f, k + 1, *box])
            if f >= starts[k] + delay[k]:
                t.append([f, tid[k], *(box + np.round(rng.normal(0, 1.0, 4), 2))])
        if rng.random() < 0.3:
            t.append([f, 500 + f, 2000.0, 2000.0, 20.0, 40.0])
    return _table(g), _table(t)


@pytest.mark.parametrize("case", ["tiny", "synthetic0", "synthetic1", *TUD])
def test_agrees_with_trackeval_exact(case):
    if case == "tiny":
        gt, res = _tiny()
    elif case.startswith("synthetic"):
        gt, res = _synthetic(int(case[-1]))
    else:
        gt, res = _tables(case)
    ours = evaluate_sequence(gt, res, "MOT15").summary()
    theirs = motmetrics_evaluate_sequence(gt, res, benchmark="MOT15")
    for k in ("MOTA", "IDF1", "IDP", "IDR", "MOTP", "Rcll", "Prcn"):
        assert theirs[k] == pytest.approx(ours[k], abs=1e-9), k
    for k in ("FP", "FN", "IDSW", "MT", "PT", "ML", "Frag", "GT"):
        assert theirs[k] == ours[k], k
    if case.startswith("synthetic"):
        assert theirs["IDSW"] > 0 and theirs["FP"] > 0 and theirs["FN"] > 0


def test_import_mottrack_does_not_import_pandas(tmp_path):
    import mottrack
    code = ("import sys, mottrack, mottrack.eval.backends; "
            "assert 'pandas' not in sys.modules and 'motmetrics' not in sys.modules")
    # The mottrack this test process imported (the installed one in CI), not a checkout in cwd.
    env = {**os.environ, "PYTHONPATH": str(Path(mottrack.__file__).resolve().parents[1])}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, env=env)
