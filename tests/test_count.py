"""Counting accuracy (``python -m mottrack.eval count``): known cases, gt = zero error on real data."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mottrack.eval.count import (CountGeometry, combine_counts, count_sequence, default_geometry,
                                 load_geometry, main)
from mottrack.eval.datasets import EvalSequence, load_dataset
from mottrack.eval.metrics import clear_metrics, preprocess_sequence
from mottrack.eval.metrics.clear import clear_matches
from mottrack.io.mot import MotTable

LINE = CountGeometry(lines=({"name": "door", "start": (0.0, 100.0), "end": (400.0, 100.0),
                             "min_distance": 5.0, "anchor": "bottom_center"},))


def table(tracks):
    """MotTable from {id: [(frame, x_bottom_centre, y_bottom), ...]} with 20x60 boxes."""
    f, i, b = [], [], []
    for tid, pts in tracks.items():
        for fr, x, y in pts:
            f.append(fr)
            i.append(tid)
            b.append((x - 10, y - 60, 20, 60))
    return MotTable.from_arrays(np.array(f), np.array(i), np.array(b, float), np.ones(len(f)))


def walk(x, y0, y1, f0, n):
    """n frames from y0 to y1 at fixed x, starting at frame f0."""
    return [(f0 + k, x, y0 + (y1 - y0) * k / (n - 1)) for k in range(n)]


def seq_of(gt, n_frames=30):
    dets = MotTable.from_arrays(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)))
    return EvalSequence("SYN", gt, dets, n_frames, 1, 10.0, "MOT15", None, (400, 200))


def test_known_counts_precision_recall():
    gt = table({1: walk(50, 60, 140, 1, 20),       # crosses down (in) near frame 10
                2: walk(150, 60, 140, 1, 20),      # crosses down
                3: walk(300, 140, 60, 5, 20)})     # crosses up (out)
    trk = table({10: walk(50, 60, 140, 1, 20),                       # = object 1: a match
                 20: walk(150, 60, 140, 1, 20)[:8],                  # object 2, lost before the line
                 21: walk(150, 60, 140, 1, 20)[12:],                 # re-born after it: no crossing
                 30: walk(300, 140, 60, 5, 20),                      # = object 3, out: a match
                 40: walk(380, 60, 140, 1, 20)})                     # no object there: false crossing
    sc, = count_sequence(seq_of(gt), trk, LINE, tolerance=3)
    assert (sc.gt_in, sc.gt_out, sc.trk_in, sc.trk_out) == (2, 1, 2, 1)
    assert (sc.err_in, sc.err_out, sc.abs_err) == (0, 0, 0)   # the count is right by luck...
    assert sc.tp == 2                                           # ...but one crossing is false
    assert sc.precision == pytest.approx(2 / 3) and sc.recall == pytest.approx(2 / 3)


def test_crossing_matched_only_to_its_own_gt_object_and_direction_and_time():
    gt = table({1: walk(50, 60, 140, 1, 20)})
    # same place and time but the track is shifted far away from object 1: not CLEAR-matched
    far = table({5: [(f, x + 200, y) for f, x, y in walk(50, 60, 140, 1, 20)]})
    sc, = count_sequence(seq_of(gt), far, LINE, tolerance=3)
    assert (sc.trk_in, sc.tp) == (1, 0)
    # the right object, but the crossing happens 8 frames late: outside a tolerance of 3
    late = table({5: [(f, 50, 60) for f in range(1, 9)] + walk(50, 60, 140, 9, 20)})
    sc, = count_sequence(seq_of(gt), late, LINE, tolerance=3)
    assert sc.trk_in == 1 and sc.tp == 0
    sc, = count_sequence(seq_of(gt), late, LINE, tolerance=10)
    assert sc.tp == 1


def test_combined_absolute_error_does_not_cancel():
    gt = table({1: walk(50, 60, 140, 1, 20)})
    none = table({})
    double = table({7: walk(50, 60, 140, 1, 20), 8: walk(60, 60, 140, 1, 20)})
    a = count_sequence(seq_of(gt), none, LINE)
    b = count_sequence(seq_of(gt), double, LINE)
    comb = combine_counts({"A": a, "B": b})
    assert comb["door"].err_in == 0 and comb["door"].abs_err == 2
    assert comb["all lines"].abs_err == 2 and list(comb) == ["door", "all lines"]


def test_default_geometry():
    g = default_geometry(640, 480)
    assert [n for _, n in g.names] == ["horizontal", "vertical", "centre"]
    assert g.lines[0]["start"] == (0.0, 240.0) and g.lines[1]["end"] == (320.0, 480.0)
    assert g.zones[0]["polygon"][0] == (160.0, 120.0)
    assert g.lines[0]["min_distance"] == 8.0


def test_geometry_file(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"lines": [{"name": "a", "start": [0, 1], "end": [5, 1]}],
                             "zones": [{"polygon": [[0, 0], [4, 0], [0, 4]], "min_distance": 2}]}))
    g = load_geometry(p)
    assert g.names == [("line", "a"), ("zone", "zone0")] and g.zones[0]["min_distance"] == 2
    for doc, match in [({"lines": [{"start": [0, 0], "end": [0, 0]}]}, r"lines\[0\].*at least 0.001 pixel from start"),
                       ({"zones": [{"polygon": [[0, 0], [4, 4], [4, 0], [0, 4]]}]}, r"zones\[0\].*self-"),
                       ({"lines": [{"start": [0, 0]}]}, "missing 'end'"),
                       ({"lines": [{"start": [0, 0], "end": [1, 1], "colour": 1}]}, "colour"),
                       ({"line": []}, "unknown key"), ({}, "no lines")]:
        p.write_text(json.dumps(doc))
        with pytest.raises(ValueError, match=match):
            load_geometry(p)
    p.write_text("{")
    with pytest.raises(ValueError, match="JSON"):
        load_geometry(p)


def _gt_as_results(seq):
    """The scored gt rows of a sequence as a tracker-results table."""
    g = seq.gt
    keep = np.trunc(g.scores) != 0
    if seq.benchmark != "MOT15":
        keep &= g.classes == 1
    s = g.select(keep)
    return MotTable.from_arrays(s.frames, s.ids, s.boxes, np.ones(len(s)))


@pytest.mark.parametrize("bench, name, frames", [
    ("MOT17", "MOT17-09-FRCNN", "second-half"),
    ("MOT17", "MOT17-04-FRCNN", "second-half"),
    ("MOT15", "PETS09-S2L1", "all"),
    ("MOT15", "TUD-Stadtmitte", "all"),
    ("MOT15", "ETH-Sunnyday", "all"),
])
def test_ground_truth_through_the_counter_has_zero_error(shared, bench, name, frames):
    seq, = load_dataset(shared / "data" / bench, seqs=[name], frames=frames, with_dets=False)
    scores = count_sequence(seq, _gt_as_results(seq), None)
    assert sum(s.gt_total for s in scores) > 3  # there is something to count
    for s in scores:
        assert (s.err_in, s.err_out, s.abs_err) == (0, 0, 0), s
        assert s.tp == s.gt_total
        if s.gt_total:
            assert s.precision == 1.0 and s.recall == 1.0
        if s.kind == "zone":
            assert s.occ_mae == 0.0


def test_clear_matches_agree_with_clear_metrics(shared):
    seq, = load_dataset(shared / "data" / "MOT15", seqs=["TUD-Campus"], with_dets=False)
    from mottrack.io.mot import read_results
    res = read_results(shared / "reference" / "sort" / "MOT15" / "TUD-Campus.txt")
    prep = preprocess_sequence(seq.gt, res, "MOT15", seq.num_frames, seq.name)
    m = clear_matches(prep)
    c = clear_metrics(prep)
    assert m.shape == (prep.num_gt_dets,)
    assert int((m >= 0).sum()) == c.tp and c.tp > 0
    # a matched tracker row is in the same frame as its gt row, and is used once
    used = m[m >= 0]
    assert np.unique(used).size == used.size
    frame_of_gt = np.repeat(np.arange(prep.num_frames), np.diff(prep.gt_off))
    frame_of_tr = np.repeat(np.arange(prep.num_frames), np.diff(prep.tr_off))
    assert (frame_of_gt[m >= 0] == frame_of_tr[used]).all()
    # identity switches recomputed from the matches equal CLEAR's
    gid = prep.gt_ids[m >= 0]
    tid = prep.tr_ids[used]
    last: dict = {}
    sw = 0
    for g, t in zip(gid.tolist(), tid.tolist()):
        if g in last and last[g] != t:
            sw += 1
        last[g] = t
    assert sw == c.idsw


def test_cli_results_folder_and_json(shared, tmp_path, capsys):
    out = tmp_path / "c.json"
    code = main([str(shared / "data" / "MOT15"), "--seqs", "TUD-Campus,PETS09-S2L1",
                 "--results", str(shared / "reference" / "sort" / "MOT15"), "--json", str(out),
                 "--per-sequence"])
    assert code == 0
    text = capsys.readouterr().out
    assert "line:horizontal" in text and "COMBINED" in text and "PETS09-S2L1" in text
    doc = json.loads(out.read_text())
    comb = doc["trackers"]["MOT15"]["combined"]
    assert set(comb) == {"horizontal", "vertical", "centre", "all lines", "all zones"}
    assert comb["all lines"]["gt_in"] + comb["all lines"]["gt_out"] > 0
    assert doc["geometry"]["TUD-Campus"]["source"] == "default"


def test_cli_errors(tmp_path, capsys, shared):
    bad = tmp_path / "g.json"
    bad.write_text(json.dumps({"zones": [{"name": "z", "polygon": [[0, 0], [9, 9], [9, 0], [0, 9]]}]}))
    code = main([str(shared / "data" / "MOT15"), "--seqs", "TUD-Campus", "--results",
                 str(shared / "reference" / "sort" / "MOT15"), "--geometry", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "g.json: zones[0]" in err and "self-" in err
    assert main(["--results", str(tmp_path)]) == 2
    assert main(["--tolerance", "x"]) == 2
    assert main(["--tolerance", "-1", "--trackers", "sort"]) == 2
    assert "tolerance" in capsys.readouterr().err
    assert main(["/nonexistent/data"]) == 2
    assert main(["--trackers", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert main([str(shared / "data" / "MOT15"), "--seqs", "TUD-Campus", "--trackers", "sort",
                 "--camera-motion", str(bad)]) == 2
    assert "--camera-motion: not a directory" in capsys.readouterr().err


def test_cli_accepts_no_progress_and_checks_json_before_counting(capsys, shared, tmp_path, monkeypatch):
    args = [str(shared / "data" / "MOT15"), "--seqs", "TUD-Campus", "--results",
            str(shared / "reference" / "sort" / "MOT15"), "-q", "--no-progress"]
    assert main(args) == 0 and "all zones" in capsys.readouterr().out
    import mottrack.eval.count as count

    def must_not_run(*a, **k):
        raise AssertionError("counting started")
    monkeypatch.setattr(count, "count_sequence", must_not_run)
    (tmp_path / "f").write_text("")
    assert main(args + ["--json", str(tmp_path / "f" / "c.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--json: cannot write to {tmp_path / 'f'}" in err


def test_cli_dispatch_from_the_eval_command(capsys, shared):
    from mottrack.eval.cli import main as eval_main
    code = eval_main(["count", str(shared / "data" / "MOT15"), "--seqs", "TUD-Campus", "--results",
                      str(shared / "reference" / "sort" / "MOT15"), "-q"])
    assert code == 0 and "all zones" in capsys.readouterr().out


def test_cli_runs_on_the_embedded_default(capsys, tmp_path):
    out = tmp_path / "d.json"
    assert main(["--trackers", "sort", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "default" in text and "line:horizontal" in text and "zone:centre" in text
    doc = json.loads(out.read_text())
    assert set(doc["geometry"]) == {"TUD-Campus", "TUD-Stadtmitte", "SYNTH-Crowd"}
    assert doc["geometry"]["SYNTH-Crowd"]["lines"][0]["end"] == [1920.0, 540.0]
    comb = doc["trackers"]["sort"]["combined"]
    assert comb["all lines"]["gt_in"] + comb["all lines"]["gt_out"] > 0


def test_cli_min_score_per_tracker(capsys):
    assert main(["--trackers", "sort", "--min-score", "sort=0.9", "-q"]) == 0
    assert "all lines" in capsys.readouterr().out
    assert main(["--min-score", "sort=x"]) == 2
