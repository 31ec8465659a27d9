"""``python -m mottrack.eval``: exit codes, outputs, errors, ``score``, the no-argument default."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from support import write_mot_seq
from mottrack.eval.cli import main
from mottrack.eval.metrics import evaluate_dataset

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"MOTA": float, "MOTP": float, "IDF1": float, "IDP": float, "IDR": float, "HOTA": float,
        "DetA": float, "AssA": float, "LocA": float, "FP": int, "FN": int, "IDSW": int,
        "MT": int, "PT": int, "ML": int, "Frag": int}


@pytest.fixture
def tiny(tmp_path):
    root = tmp_path / "MOT17"
    write_mot_seq(root, "SEQ-A", 30, 0)
    write_mot_seq(root, "SEQ-B", 24, 1)
    return root


def _run(capsys, *argv):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _same(a, b):
    """Every metric identical: the --out files carry the boxes to the last bit."""
    for k in KEYS:
        assert a[k] == b[k], (k, a[k], b[k])


def _block(doc, tracker=None):
    """The one tracker's block of a JSON document ({"trackers": {NAME: block}})."""
    tr = doc["trackers"]
    return tr[tracker] if tracker else next(iter(tr.values()))


def _check_block(block):
    for k, t in KEYS.items():
        assert k in block, k
        assert isinstance(block[k], t) or (t is float and block[k] is None), (k, block[k])
    assert 0 <= block["IDF1"] <= 100


def test_tiny_dataset_json_csv_out(tiny, tmp_path, capsys):
    j, c, o = tmp_path / "m.json", tmp_path / "m.csv", tmp_path / "res"
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--json", j, "--csv", c, "--out", o,
                        "--no-budget", "--no-progress")
    assert rc == 0, err
    assert "sort: minimum detection score 0.5" in out
    assert "COMBINED" in out and "MOTA" in out
    doc = _block(json.loads(j.read_text()), "sort")
    assert set(doc["sequences"]) == {"SEQ-A", "SEQ-B"}
    for b in [*doc["sequences"].values(), doc["combined"]]:
        _check_block(b)
    assert doc["combined"]["MOTA"] > 50
    assert (o / "sort" / "SEQ-A.txt").is_file() and (o / "sort" / "SEQ-B.txt").is_file()
    lines = c.read_text().splitlines()
    assert lines[0].startswith("tracker,sequence,MOTA") and len(lines) == 4
    # score subcommand on the written results equals the metrics API
    j2 = tmp_path / "s.json"
    rc, out, err = _run(capsys, "score", tiny, o / "sort", "--json", j2, "--no-progress")
    assert rc == 0, err
    got = _block(json.loads(j2.read_text()), "sort")
    ref = evaluate_dataset(tiny, o / "sort", "MOT17")
    for name, m in ref.items():
        block = got["combined"] if name == "COMBINED" else got["sequences"][name]
        for k, v in m.summary().items():
            assert block[k] == pytest.approx(v, abs=1e-9), (name, k)
    # and it equals what the tracking run reported, exactly
    _same(got["combined"], doc["combined"])
    for name in ("SEQ-A", "SEQ-B"):
        _same(got["sequences"][name], doc["sequences"][name])


def test_several_trackers_same_layout(tiny, tmp_path, capsys):
    from mottrack.eval.api import available
    names = [t for t in available() if t != "deepsort"]
    assert len(names) >= 2
    j = tmp_path / "m.json"
    rc, out, err = _run(capsys, tiny, "--trackers", ",".join(names), "--json", j,
                        "--param", "sort.max_age=2", "--min-score", "sort=none",
                        "--no-budget", "--no-progress", "--out", tmp_path / "o")
    assert rc == 0, err
    doc = json.loads(j.read_text())["trackers"]
    assert set(names) <= set(doc)
    for t in names:
        _check_block(doc[t]["combined"])
        assert doc[t]["min_score"] is None
        assert (tmp_path / "o" / t / "SEQ-A.txt").is_file()
    assert doc["sort"]["params"] == {"max_age": 2}
    # one tracker: the same layout, not a flattened one
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--json", j, "--no-budget",
                        "--no-progress", "--out", tmp_path / "o1")
    assert rc == 0, err
    assert list(json.loads(j.read_text())["trackers"]) == ["sort"]
    assert sorted(p.name for p in (tmp_path / "o1").iterdir()) == ["sort"]


def test_budget_section(tiny, capsys, tmp_path):
    j = tmp_path / "b.json"
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-progress", "--no-scaling",
                        "--fps", "10", "--cpu-share", "50%", "--cpu-scale", "3", "--json", j)
    assert rc == 0, err
    assert "10 fps x 50% of one core = 50.00 ms" in out
    assert "ARTPEC-7" in out and "ARTPEC-9 (8 cores)" in out and "--cpu-scale 3" in out
    assert "PASS" in out
    doc = json.loads(j.read_text())
    assert {r["profile"] for r in doc["budget"]} >= {"ARTPEC-8", "--cpu-scale 3"}
    assert list(doc["trackers"]) == ["sort"]


def _one_line_error(rc, err, *needles):
    assert rc == 2
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.strip() and "error" in x]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_errors_name_file_and_line(tiny, tmp_path, capsys):
    det = tiny / "train" / "SEQ-A" / "det" / "det.txt"
    rows = det.read_text().splitlines()
    rows[2] = "3,-1,abc,1,2,3,0.9"
    det.write_text("\n".join(rows) + "\n")
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--no-progress")
    _one_line_error(rc, err, f"{det}:3")
    rc, out, err = _run(capsys, tmp_path / "nope", "--no-progress")
    _one_line_error(rc, err, "nope")
    rc, out, err = _run(capsys, "score", tiny, tmp_path / "missing")
    _one_line_error(rc, err, "missing")


def test_score_errors(tiny, tmp_path, capsys):
    res = tmp_path / "r"
    res.mkdir()
    (res / "SEQ-A.txt").write_text("1,1,10,10,5,5,1,-1,-1,-1\n1,1,20,20,5,5,1,-1,-1,-1\n")
    rc, out, err = _run(capsys, "score", tiny, res, "--seqs", "SEQ-A")
    _one_line_error(rc, err, f"{res / 'SEQ-A.txt'}:2", "duplicate")
    rc, out, err = _run(capsys, "score", tiny, res, "--seqs", "SEQ-A,SEQ-B")
    _one_line_error(rc, err, "SEQ-B.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, out, err = _run(capsys, "score", tiny, empty)
    _one_line_error(rc, err, "no results file")


def test_score_scores_the_sequences_with_results(tiny, tmp_path, capsys):
    """Without --seqs, `score` takes the sequences that have a results file and names the
    others; the scored one's numbers equal scoring it alone."""
    res = tmp_path / "r"
    res.mkdir()
    gt = (tiny / "train" / "SEQ-A" / "gt" / "gt.txt").read_text().splitlines()
    (res / "SEQ-A.txt").write_text("".join(",".join(r.split(",")[:6]) + ",1,-1,-1,-1\n"
                                           for r in gt[::2]))
    j1, j2 = tmp_path / "1.json", tmp_path / "2.json"
    rc, out, err = _run(capsys, "score", tiny, res, "--json", j1, "--no-progress")
    assert rc == 0, err
    assert "skipped 1 sequence(s) without a results file" in out and "SEQ-B" in out
    doc = _block(json.loads(j1.read_text()))
    assert list(doc["sequences"]) == ["SEQ-A"]
    rc, out, err = _run(capsys, "score", tiny, res, "--seqs", "SEQ-A", "--json", j2, "--no-progress")
    assert rc == 0, err
    assert "skipped" not in out
    _same(doc["combined"], _block(json.loads(j2.read_text()))["combined"])
    assert doc["combined"]["FP"] == 0 and doc["combined"]["FN"] == len(gt) - len(gt[::2])


def test_usage_errors(tiny, capsys):
    rc, out, err = _run(capsys, tiny, "--trackers", "nosuch", "--no-progress")
    _one_line_error(rc, err, "nosuch")
    rc, out, err = _run(capsys, tiny, "--param", "track_thresh=0.6", "--no-progress")
    _one_line_error(rc, err, "TRACKER.NAME=VALUE")
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--param", "sort.bogus=1",
                        "--no-progress", "--no-budget")
    _one_line_error(rc, err, "bogus")
    rc, out, err = _run(capsys, tiny, "--seqs", "SEQ-Z", "--no-progress")
    _one_line_error(rc, err, "SEQ-Z")
    rc, out, err = _run(capsys, tiny, "--frames", "third")
    assert rc == 2


def test_deepsort_needs_embeddings(tiny, capsys):
    rc, out, err = _run(capsys, tiny, "--trackers", "deepsort", "--no-progress")
    _one_line_error(rc, err, "embeddings")


def test_help_documents_everything(capsys):
    rc, out, err = _run(capsys, "--help")
    assert rc == 0
    for opt in ("--trackers", "--param", "--seqs", "--det-file", "--frames", "--embeddings",
                "--min-score", "--out", "--json", "--csv", "--benchmark", "--backend", "--fps",
                "--cpu-share", "--cpu-scale", "--profile", "score", "calibrate", "tune", "--jobs",
                "--renumber", "--kitti-class", "exit status", "frame_rate=30", "2,7,8,12",
                "class 6"):
        assert opt in out, opt
    # one line per registered tracker, generated from its class attributes
    from mottrack.registry import registered_trackers, tracker_class
    for n in registered_trackers():
        c = tracker_class(n)
        g = "none" if c.default_min_score is None else f"{c.default_min_score:g}"
        line = next(x for x in out.splitlines() if x.strip().startswith(f"{n}: min score"))
        assert f"min score {g}," in line
        assert ("by descending score" in line) == (c.feed_order == "score")
        assert ("needs embeddings" in line) == (c.embeddings == "required")
    assert _run(capsys, "score", "--help")[0] == 0
    assert _run(capsys, "calibrate", "--help")[0] == 0


def test_no_arguments_default(capsys):
    """The embedded default: motmetrics' TUD gt + synthetic crowd, simulated detections."""
    rc, out, err = _run(capsys)
    assert rc == 0, err
    assert "SIMULATED" in out and "motmetrics" in out
    for s in ("TUD-Campus", "TUD-Stadtmitte", "SYNTH-Crowd", "ARTPEC-8", "largest count"):
        assert s in out
    assert "sort" in out


def test_module_entry_point(tmp_path):
    """``python -m mottrack.eval`` as a process: exit code and one-line error."""
    p = subprocess.run([sys.executable, "-m", "mottrack.eval", str(tmp_path / "absent")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "absent" in p.stderr


# --------------------------------------------------------------------------- shared data


def test_score_lif_t_official_numbers(tmp_path, capsys):
    root = shared_path("data", "MOT17")
    j = tmp_path / "l.json"
    rc, out, err = _run(capsys, "score", root, root / "trackers" / "Lif_T", "--json", j,
                        "--no-progress")
    assert rc == 0, err
    c = _block(json.loads(j.read_text()))["combined"]
    assert (c["FP"], c["FN"], c["MT"], c["PT"], c["ML"], c["Frag"], c["IDSW"]) == \
        (2655, 107803, 679, 595, 364, 1153, 791)


def test_score_devkit_mot15_both_backends(tmp_path, capsys):
    root = shared_path("data", "MOT15")
    res = root / "trackers" / "devkit_res_MOT15"
    j = tmp_path / "d.json"
    rc, out, err = _run(capsys, "score", root, res, "--json", j, "--no-progress")
    assert rc == 0, err
    doc = _block(json.loads(j.read_text()))
    assert doc["sequences"]["TUD-Campus"]["FP"] == 13 and doc["combined"]["IDSW"] == 222
    rc, out, err = _run(capsys, "score", root, res, "--json", j, "--backend", "motmetrics",
                        "--seqs", "TUD-Campus")
    assert rc == 0, err
    assert "motmetrics" in out
    c = _block(json.loads(j.read_text()))["sequences"]["TUD-Campus"]
    assert round(c["MOTA"], 1) == 52.6 and round(c["IDF1"], 1) == 55.8


def test_half_val_yolox_and_det_dir(tmp_path, capsys):
    root = shared_path("data", "MOT17")
    j = tmp_path / "h.json"
    rc, out, err = _run(capsys, root, "--seqs", "MOT17-05-FRCNN", "--trackers", "sort",
                        "--det-file", root / "dets" / "yolox_x_ablation", "--frames",
                        "second-half", "--json", j, "--no-budget", "--no-progress",
                        "--out", tmp_path / "o")
    assert rc == 0, err
    assert "own frame numbers; score with --frames second-half" in out
    doc = _block(json.loads(j.read_text()))
    assert doc["sequences"]["MOT17-05-FRCNN"]["frames"] == 837 - (837 // 2 + 2) + 1
    assert doc["combined"]["MOTA"] > 50
    # the written results keep the original frame numbers, and score --frames second-half
    # reproduces the numbers exactly
    from mottrack.io.mot import read_results
    kept = read_results(tmp_path / "o" / "sort" / "MOT17-05-FRCNN.txt")
    assert kept.frames.min() >= 837 // 2 + 2
    rc, out, err = _run(capsys, "score", root, tmp_path / "o" / "sort", "--seqs", "MOT17-05-FRCNN",
                        "--frames", "second-half", "--json", tmp_path / "s.json", "--no-progress")
    assert rc == 0, err
    s = _block(json.loads((tmp_path / "s.json").read_text()))["combined"]
    _same(s, doc["combined"])
    # --renumber: the same rows, frames from 1
    rc, out, err = _run(capsys, root, "--seqs", "MOT17-05-FRCNN", "--trackers", "sort",
                        "--det-file", root / "dets" / "yolox_x_ablation", "--frames",
                        "second-half", "--no-budget", "--no-progress", "--out", tmp_path / "r",
                        "--renumber")
    assert rc == 0, err
    assert "frames renumbered from 1" in out
    ren = read_results(tmp_path / "r" / "sort" / "MOT17-05-FRCNN.txt")
    np.testing.assert_array_equal(ren.frames, kept.frames - (837 // 2 + 1))
    np.testing.assert_array_equal(ren.boxes, kept.boxes)


def test_deepsort_on_embedding_files(tmp_path, capsys):
    root = shared_path("data", "MOT17")
    j = tmp_path / "d.json"
    rc, out, err = _run(capsys, root, "--seqs", "MOT17-09-FRCNN", "--trackers", "deepsort",
                        "--embeddings", root / "embeddings" / "deepsort", "--json", j,
                        "--no-budget", "--no-progress")
    assert rc == 0, err
    assert "deepsort: minimum detection score 0.3" in out
    assert _block(json.loads(j.read_text()))["combined"]["IDF1"] > 30


def test_imports_stay_light():
    code = ("import sys, mottrack, mottrack.eval\nfrom mottrack.eval import evaluate, EvalResult\n"
            "print(sorted(m for m in ('matplotlib', 'tqdm', 'pandas', 'motmetrics') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_calibrate_command(tmp_path, capsys):
    f = tmp_path / "cam.json"
    rc, out, err = _run(capsys, "calibrate", "--write-profile", f, "--host-ms", "10")
    assert rc == 0, err
    assert "reference workload" in out and "ms total" in out and "slowdown factor" in out
    assert "HOST time" in out or "direct measurement" in out
    rec = json.loads(f.read_text())
    assert rec["reference_ms"] > 0
    # the written profile is accepted by the main command
    rc, out, err = _run(capsys, "--profile", f, "--trackers", "sort", "--no-scaling",
                        "--no-progress", "-q")
    assert rc == 0, err
    assert "measured" not in err


@pytest.mark.parametrize("row,needle", [("3,-1,10,10,-4,20,0.9", "negative box width"),
                                        ("99,-1,10,10,4,20,0.9", "frame outside"),
                                        ("3,-1,10,10,4,20,nan", "column 7")])
def test_bad_detection_rows_name_line(tiny, capsys, row, needle):
    det = tiny / "train" / "SEQ-B" / "det" / "det.txt"
    rows = det.read_text().splitlines()
    rows[4] = row
    det.write_text("\n".join(rows) + "\n")
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--no-progress")
    _one_line_error(rc, err, f"{det}:5", needle)


def test_score_frame_beyond_seqlength(tiny, tmp_path, capsys):
    res = tmp_path / "r"
    res.mkdir()
    (res / "SEQ-A.txt").write_text("1,1,10,10,5,5,1,-1,-1,-1\n31,1,20,20,5,5,1,-1,-1,-1\n")
    rc, out, err = _run(capsys, "score", tiny, res, "--seqs", "SEQ-A")
    _one_line_error(rc, err, f"{res / 'SEQ-A.txt'}:2", "outside 1..30")


def _same_rows(a, b, atol=0.011):
    """Same rows frame by frame, each box paired with its own counterpart (assignment on the
    largest coordinate difference), and one consistent one-to-one renaming of the ids."""
    from scipy.optimize import linear_sum_assignment
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.frames, b.frames)
    rename = {}
    for f in np.unique(a.frames):
        ia, ib = np.flatnonzero(a.frames == f), np.flatnonzero(b.frames == f)
        d = np.abs(a.boxes[ia][:, None, :] - b.boxes[ib][None, :, :]).max(axis=2)
        r, c = linear_sum_assignment(d)
        assert d[r, c].max() <= atol, (f, d[r, c].max())
        for i, j in zip(a.ids[ia[r]], b.ids[ib[c]]):
            assert rename.setdefault(int(i), int(j)) == int(j), (f, i, j)
    assert len(set(rename.values())) == len(rename)


@pytest.mark.parametrize("tracker,args,ref", [
    ("sort", ["../shared/data/MOT15", "--seqs", "TUD-Campus"], "sort/MOT15/TUD-Campus.txt"),
    ("bytetrack", ["../shared/data/MOT17", "--seqs", "MOT17-05-FRCNN", "--det-file",
                   "../shared/data/MOT17/dets/yolox_x_ablation", "--param",
                   "bytetrack.track_thresh=0.6,bytetrack.match_thresh=0.9,bytetrack.frame_rate=30"],
     "bytetrack/MOT17_yolox_thresh0.6_match0.9/MOT17-05.txt"),
    ("deepsort", ["../shared/data/MOT17", "--seqs", "MOT17-09-FRCNN", "--embeddings",
                  "../shared/data/MOT17/embeddings/deepsort"],
     "deepsort/MOT17_cos0.2_budget100/MOT17-09-FRCNN.txt"),
    ("ocsort", ["../shared/data/MOT15", "--seqs", "TUD-Campus", "--param",
                "ocsort.det_thresh=0.5,ocsort.frame_rate=30", "--min-score", "ocsort=none"],
     "ocsort/MOT15_det0.5/TUD-Campus.txt"),
    ("botsort", ["../shared/data/MOT15", "--seqs", "TUD-Campus", "--param", "botsort.frame_rate=30",
                 "--min-score", "botsort=none"], "botsort/MOT15/TUD-Campus.txt"),
    ("hybridsort", ["../shared/data/MOT15", "--seqs", "TUD-Campus", "--param",
                    "hybridsort.det_thresh=0.5,hybridsort.frame_rate=30", "--min-score", "hybridsort=none"],
     "hybridsort/MOT15_det0.5/TUD-Campus.txt"),
])
def test_written_results_equal_reference_implementations(tmp_path, capsys, tracker, args, ref):
    """End to end, every registered tracker (checked below): the runner feeds the trackers as the reference apps did (file order,
    default min scores, DeepSORT in score order; the references ran at 30 fps, MOT17-05 is a
    14 fps sequence) and --out writes the same boxes."""
    from mottrack.io.mot import read_results
    shared_path("reference")
    args = [str(ROOT / a) if a.startswith("../") else a for a in args]
    rc, out, err = _run(capsys, *args, "--trackers", tracker, "--out", tmp_path,
                        "--no-budget", "--no-progress", "-q")
    assert rc == 0, err
    (res,) = tmp_path.glob(f"{tracker}/*.txt")
    _same_rows(read_results(res), read_results(shared_path("reference", *ref.split("/"))))


def test_the_end_to_end_reference_cases_cover_every_registered_tracker():
    from mottrack.registry import registered_trackers
    cases = next(m for m in test_written_results_equal_reference_implementations.pytestmark
                 if m.name == "parametrize").args[1]
    assert {c[0] for c in cases} == set(registered_trackers())


# --------------------------------------------------------------------------- issue 14 items


def test_frame_rate_from_seqinfo_reaches_every_tracker(tmp_path):
    """MOT17 has 14, 25 and 30 fps sequences; each tracker is built with its sequence's rate
    (ByteTrack's lost-track buffer is int(frame_rate / 30 * track_buffer)), and
    --param NAME.frame_rate overrides it."""
    from mottrack.eval.api import evaluate
    from mottrack.eval.datasets import load_dataset
    from mottrack.registry import create_tracker
    from mottrack.eval.run import frame_inputs
    root = shared_path("data", "MOT17")
    seqs = load_dataset(root, seqs=["MOT17-05-FRCNN", "MOT17-09-FRCNN", "MOT17-13-FRCNN"])
    assert [s.frame_rate for s in seqs] == [14.0, 30.0, 25.0]
    res = evaluate(seqs, trackers=["sort", "bytetrack"])
    for ts in res.trackers.values():
        assert [r.params["frame_rate"] for r in ts.runs.values()] == [14.0, 30.0, 25.0]
        assert [ts.summary(s.name)["frame_rate"] for s in seqs] == [14.0, 30.0, 25.0]
    over = evaluate(seqs[:1], trackers=["bytetrack"], params={"bytetrack": {"frame_rate": 30}})
    assert over.trackers["bytetrack"].runs["MOT17-05-FRCNN"].params["frame_rate"] == 30
    # the output is that of a ByteTrack built at 14 fps, and differs from one at 30 fps
    seq = seqs[0]

    def manual(fps):
        trk = create_tracker("bytetrack", frame_rate=fps)
        return [trk.update(r)[:, :5].copy() for _, r, _ in frame_inputs(seq, None)]

    got = res.trackers["bytetrack"].runs["MOT17-05-FRCNN"].results
    want = np.concatenate(manual(14.0))
    np.testing.assert_array_equal(got.ids, want[:, 4].astype(np.int64))
    at30 = over.trackers["bytetrack"].runs["MOT17-05-FRCNN"].results
    assert len(at30) != len(got) or not np.array_equal(at30.ids, got.ids)


def test_missing_det_file_names_what_is_there(tiny, capsys):
    d = tiny / "train" / "SEQ-A" / "det"
    (d / "det.txt").rename(d / "yolox.txt")
    (d / "frcnn.txt").write_text("1,-1,1,1,5,5,0.9\n")
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--no-progress")
    _one_line_error(rc, err, "det.txt", "frcnn.txt, yolox.txt", "--det-file")
    # and naming one of them works
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--no-progress",
                        "--seqs", "SEQ-A", "--det-file", "yolox.txt")
    assert rc == 0, err


def test_several_det_file_folders(tmp_path, capsys):
    """YOLOX files exist for MOT17-02/04/05/09 only: a second --det-file entry serves the rest."""
    root = shared_path("data", "MOT17")
    yolox = root / "dets" / "yolox_x_ablation"
    j = tmp_path / "m.json"
    rc, out, err = _run(capsys, root, "--seqs", "MOT17-05-FRCNN,MOT17-10-FRCNN", "--trackers",
                        "sort", "--det-file", yolox, "--det-file", "det.txt", "--frames",
                        "second-half", "--no-budget", "--no-progress", "--json", j)
    assert rc == 0, err
    assert "MOT17-05.txt" in out and "det.txt" in out
    from mottrack.eval.datasets import load_dataset
    s05, s10 = load_dataset(root, seqs=["MOT17-05-FRCNN", "MOT17-10-FRCNN"],
                            det_file=[yolox, "det.txt"])
    assert s05.source.endswith("yolox_x_ablation/MOT17-05.txt")
    assert s10.source.endswith("MOT17-10-FRCNN/det/det.txt")
    rc, out, err = _run(capsys, root, "--seqs", "MOT17-10-FRCNN", "--trackers", "sort",
                        "--det-file", yolox, "--no-budget", "--no-progress")
    _one_line_error(rc, err, "MOT17-10-FRCNN", str(yolox))


def test_mot20_class_6_is_a_distractor(tmp_path, capsys):
    """A tracker box on a class-6 (non-motorized vehicle) gt box: removed under MOT20 rules, a
    false positive under MOT17 rules."""
    for bench in ("MOT20", "MOT17"):
        root = tmp_path / bench
        d = write_mot_seq(root, "SEQ-A", 30, 0)
        gt = d / "gt" / "gt.txt"
        gt.write_text(gt.read_text() + "".join(f"{f},9,500,300,60,60,1,6,1\n" for f in range(1, 31)))
        res = tmp_path / f"r{bench}"
        res.mkdir()
        rows = [r.split(",") for r in gt.read_text().splitlines()]
        (res / "SEQ-A.txt").write_text("".join(f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]},1,-1,-1,-1\n"
                                               for r in rows))
        j = tmp_path / f"{bench}.json"
        rc, out, err = _run(capsys, "score", root, res, "--json", j, "--no-progress")
        assert rc == 0, err
        c = _block(json.loads(j.read_text()))["combined"]
        assert c["FN"] == 0
        assert c["FP"] == (0 if bench == "MOT20" else 30), bench


def test_internal_errors_show_a_traceback(tiny, capsys, monkeypatch):
    """A ValueError from a bug (not from the input) is not dressed up as bad input."""
    import mottrack.eval.scoring as scoring

    def broken(seq, results):
        raise ValueError("something inside broke")

    monkeypatch.setattr(scoring, "score_one", broken)
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--no-progress")
    assert rc == 1
    assert "Traceback" in err and "something inside broke" in err
    assert "please report it" in err


def test_bad_tracker_parameter_value_is_input_error(tiny, capsys):
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--param", "sort.max_age=-3",
                        "--no-budget", "--no-progress")
    _one_line_error(rc, err, "--param sort", "max_age")


def test_jobs_give_identical_numbers(tiny, tmp_path, capsys):
    from mottrack.eval.api import available
    names = ",".join(t for t in available() if t in ("sort", "bytetrack"))
    docs = []
    for jobs in ("1", "2"):
        j = tmp_path / f"{jobs}.json"
        rc, out, err = _run(capsys, tiny, "--trackers", names, "--jobs", jobs, "--json", j,
                            "--no-budget", "--out", tmp_path / jobs)
        assert rc == 0, err
        docs.append(json.loads(j.read_text())["trackers"])
    for t in docs[0]:
        for s in ("SEQ-A", "SEQ-B"):
            a, b = docs[0][t]["sequences"][s], docs[1][t]["sequences"][s]
            assert {k: v for k, v in a.items() if k != "FPS"} == \
                {k: v for k, v in b.items() if k != "FPS"}
            assert (tmp_path / "1" / t / f"{s}.txt").read_bytes() == \
                (tmp_path / "2" / t / f"{s}.txt").read_bytes()


def test_bad_profile_file_is_input_error(tiny, tmp_path, capsys):
    f = tmp_path / "p.json"
    f.write_text('{"profiles": [{"name": "cam"}]}')
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--profile", f, "--no-scaling",
                        "--no-progress")
    _one_line_error(rc, err, "--profile", "factor")


def test_camera_motion_option_errors(tiny, tmp_path, capsys):
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--camera-motion", tmp_path / "nope",
                        "--no-budget", "--no-progress")
    _one_line_error(rc, err, "--camera-motion", "nope")
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--camera-motion", tmp_path,
                        "--no-budget", "--no-progress")
    _one_line_error(rc, err, "camera motion", "no warps for sequence")  # sort supports it


def test_score_refuses_result_files_of_no_sequence_and_notes_unscored_ones(tiny, tmp_path, capsys):
    res = tmp_path / "r"
    res.mkdir()
    gt = (tiny / "train" / "SEQ-A" / "gt" / "gt.txt").read_text().splitlines()
    text = "".join(",".join(r.split(",")[:6]) + ",1,-1,-1,-1\n" for r in gt)
    (res / "SEQ-A.txt").write_text(text)
    (res / "SEQ-C.txt").write_text(text)   # a typo or another dataset: was left out of COMBINED unseen
    rc, out, err = _run(capsys, "score", tiny, res, "--no-progress")
    _one_line_error(rc, err, f"1 result file(s) in {res} name no sequence under {tiny}: SEQ-C.txt")
    (res / "SEQ-C.txt").unlink()
    # a sequence that exists without gt (a test split) is not scored, and said so
    d = write_mot_seq(tiny, "SEQ-T", 10, 2)
    (d / "gt" / "gt.txt").unlink()
    (res / "SEQ-T.txt").write_text(text)
    rc, out, err = _run(capsys, "score", tiny, res, "--no-progress")
    assert rc == 0, err
    assert "note: not scored: 1 result file(s) of sequences without gt or outside the split: SEQ-T" in out


def test_score_notes_a_sequence_with_empty_gt(tiny, tmp_path, capsys):
    (tiny / "train" / "SEQ-B" / "gt" / "gt.txt").write_text("")
    res = tmp_path / "r"
    res.mkdir()
    (res / "SEQ-B.txt").write_text("".join(f"{f},1,10,10,40,90,1,-1,-1,-1\n" for f in range(1, 4)))
    j = tmp_path / "s.json"
    rc, out, err = _run(capsys, "score", tiny, res, "--seqs", "SEQ-B", "--json", j, "--no-progress")
    assert rc == 0, err
    assert "note: 1 sequence(s) with no gt boxes (SEQ-B): as in TrackEval" in out
    doc = _block(json.loads(j.read_text()))
    assert doc["sequences"]["SEQ-B"]["MOTA"] == 0.0 and doc["combined"]["MOTA"] == -300.0


def test_unwritable_outputs_fail_before_the_run(tiny, tmp_path, capsys, monkeypatch):
    import mottrack.eval.api as api
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    def must_not_run(*a, **k):
        raise AssertionError("the run started before the outputs were checked")
    monkeypatch.setattr(api, "evaluate", must_not_run)
    for opt in ("--out", "--json", "--csv"):
        rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--no-progress",
                            opt, blocker / "sub" / "x")
        _one_line_error(rc, err, f"{opt}: cannot write to {blocker}")
    rc, out, err = _run(capsys, tiny, "--trackers", "sort", "--no-budget", "--json", tmp_path)
    _one_line_error(rc, err, f"--json: {tmp_path} is a folder")
    res = tmp_path / "r"
    res.mkdir()
    (res / "SEQ-A.txt").write_text("1,1,10,10,5,5,1,-1,-1,-1\n")
    monkeypatch.setattr("mottrack.eval.scoring.score_one", must_not_run)
    rc, out, err = _run(capsys, "score", tiny, res, "--csv", blocker / "x.csv")
    _one_line_error(rc, err, "--csv: cannot write to")
