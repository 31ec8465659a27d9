"""``python -m mottrack.eval tune``: ranges, objectives, grid/TPE studies, storage, resume."""
from __future__ import annotations

import csv
import json

import optuna  # (the [test] extra pulls in [tune]: missing means failing)
import pytest

from mottrack.eval.api import evaluate  # noqa: E402
from mottrack.eval.cli import main  # noqa: E402
from mottrack.eval.datasets import load_dataset  # noqa: E402
from mottrack.eval.tune import (ParamRange, TuneSetup, objective_value, parse_objective,  # noqa: E402
                                parse_range, run_study, run_trial, trial_rows)
from support import write_mot_seq  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("d") / "MOT17"
    write_mot_seq(root, "SEQ-A", 40, 0)
    write_mot_seq(root, "SEQ-B", 30, 1)
    return root


def test_parse_range():
    assert parse_range("track_thresh=0.4:0.8") == ParamRange("track_thresh", "float", 0.4, 0.8)
    assert parse_range("track_buffer=10:60:int") == ParamRange("track_buffer", "int", 10, 60)
    r = parse_range("max_age=1:5:2")
    assert r.kind == "int" and r.grid() == [1, 3, 5]
    assert parse_range("iou_threshold=0.2:0.4:0.1").grid() == [0.2, 0.3, 0.4]
    assert parse_range("lr=0.001:1:log").log
    assert parse_range("fuse_score=true,false").choices == (True, False)
    for bad in ("x", "x=0.8:0.4", "x=a:b", "x=0:1:0", "x=0:1:log", "x=0.5:3:int", "x="):
        with pytest.raises(ValueError, match="x|range"):
            parse_range(bad)
    with pytest.raises(ValueError, match="grid"):
        parse_range("x=0:1").grid()


def test_objective():
    assert parse_objective("hota") == {"HOTA": 1.0}
    w = parse_objective("HOTA=0.5,IDF1=0.3,MOTA=0.2")
    assert objective_value({"HOTA": 60, "IDF1": 70, "MOTA": 80}, w) == pytest.approx(67.0)
    assert objective_value({"HOTA": None, "IDF1": 50}, {"HOTA": 1, "IDF1": 1}) == 25
    for bad in ("AssA", "HOTA=0", ""):
        with pytest.raises(ValueError):
            parse_objective(bad)


def test_grid_study_finds_the_best_value_and_resumes(tiny, tmp_path):
    seqs = load_dataset(tiny)
    setup = TuneSetup("sort", seqs, [parse_range("max_age=0,1,3,8")], {"IDF1": 1.0}, {"min_hits": 1})
    study = run_study(setup, out_dir=tmp_path, trials=2, sampler="grid")
    assert len(trial_rows(study)) == 2
    study = run_study(setup, out_dir=tmp_path, trials=10, sampler="grid")  # resumes, grid of 4
    rows = trial_rows(study)
    assert sorted(r["param:max_age"] for r in rows) == [0, 1, 3, 8]
    # each trial's value is the IDF1 that evaluate() reports for those parameters
    for r in rows:
        res = evaluate(seqs, trackers=["sort"], params={"sort": {"min_hits": 1,
                                                                 "max_age": r["param:max_age"]}})
        assert r["value"] == res.trackers["sort"].summary(None)["IDF1"]
    best = max(rows, key=lambda r: r["value"])
    assert study.best_trial.params["max_age"] == best["param:max_age"]


def test_parallel_journal_storage_counts_trials(tiny, tmp_path):
    seqs = load_dataset(tiny)
    setup = TuneSetup("bytetrack", seqs, [parse_range("track_thresh=0.3:0.9"),
                                          parse_range("track_buffer=5:40:int")],
                      parse_objective("HOTA=0.5,MOTA=0.5"), {})
    study = run_study(setup, out_dir=tmp_path, trials=6, sampler="tpe", jobs=2,
                      storage=f"journal:{tmp_path / 'j.log'}")
    rows = trial_rows(study)
    assert len(rows) == 6
    r = rows[0]
    summ = run_trial(setup, {"track_thresh": r["param:track_thresh"],
                             "track_buffer": r["param:track_buffer"]})
    assert r["value"] == objective_value(summ, setup.weights)


def test_cli(tiny, tmp_path, capsys):
    rf = tmp_path / "ranges.json"
    rf.write_text(json.dumps({"iou_threshold": "0.1:0.5:0.2"}))
    out = tmp_path / "o"
    rc = main(["tune", str(tiny), "--tracker", "sort", "--range", "max_age=1,2", "--ranges-file",
               str(rf), "--sampler", "grid", "--trials", "20", "--objective", "MOTA",
               "--out", str(out), "--param", "min_hits=1"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "best trial" in text and "6 finished trials" in text
    best = json.loads((out / "best_params.json").read_text())
    with open(out / "trials.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert best["value"] == max(float(r["value"]) for r in rows)
    assert (out / "tune_params.png").stat().st_size > 1000
    rc = main(["tune", str(tiny), "--tracker", "sort", "--range", "max_age=0:5", "--sampler", "grid",
               "--out", str(out)])
    assert rc == 2 and "grid search needs a step" in capsys.readouterr().err
    rc = main(["tune", str(tiny), "--tracker", "sort", "--range", "bogus=1,2", "--out", str(out)])
    assert rc == 2 and "bogus" in capsys.readouterr().err


def _one_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err and "bug" not in err and err.count("\n") == 1, err
    return err


def test_cli_errors_blame_the_right_option_before_the_run(tiny, tmp_path, capsys, monkeypatch):
    import mottrack.eval.tune as tune

    def must_not_run(*a, **k):
        raise AssertionError("the study started")
    monkeypatch.setattr(tune, "run_study", must_not_run)
    base = ["tune", str(tiny), "--tracker", "sort", "--no-progress", "--out", str(tmp_path / "o")]
    assert main(base + ["--range", "bogus=0:1"]) == 2
    err = _one_line(capsys)
    assert "--range bogus" in err and "--param" not in err
    assert main(base + ["--range", "max_age=1,2", "--param", "bogus=1"]) == 2
    assert "--param" in _one_line(capsys)
    assert main(base + ["--range", "max_age=1,2", "--storage", str(tmp_path / "missing" / "t.db")]) == 2
    assert f"--storage {tmp_path / 'missing' / 't.db'}: folder {tmp_path / 'missing'} does not exist" in \
        _one_line(capsys)
    assert main(base + ["--range", "max_age=1,2", "--storage", f"journal:{tmp_path / 'nope' / 'j.log'}"]) == 2
    assert "does not exist" in _one_line(capsys)
    blocker = tmp_path / "f"
    blocker.write_text("")
    assert main(base[:-1] + [str(blocker / "o"), "--range", "max_age=1,2"]) == 2
    assert f"--out: cannot write to {blocker / 'o'}" in _one_line(capsys)


def test_resume_after_an_interrupted_run(tiny, tmp_path):
    """A trial left RUNNING by a killed worker does not count: resuming reaches the total."""
    import socket
    import subprocess
    import sys

    from mottrack.eval.tune import make_storage

    seqs = load_dataset(tiny)
    setup = TuneSetup("sort", seqs, [parse_range("max_age=0:6:int")], {"HOTA": 1.0}, {})
    study = run_study(setup, out_dir=tmp_path, trials=2, sampler="random", study_name="s")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    st = optuna.load_study(study_name="s", storage=make_storage(None, tmp_path))
    zombie = st.ask()
    zombie.set_user_attr("worker", f"{socket.gethostname()}:{dead}")
    study = run_study(setup, out_dir=tmp_path, trials=4, sampler="random", study_name="s")
    states = [t.state.name for t in study.get_trials()]
    assert states.count("COMPLETE") == 4 and states.count("FAIL") == 1 and "RUNNING" not in states
