"""DanceTrack and SportsMOT layouts: detection, splits, test sequences without gt, rules."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mottrack.eval.cli import main
from mottrack.eval.datasets import guess_benchmark, load_dataset
from mottrack.eval.scoring import score_one
from mottrack.io.mot import read_results
from support import assert_matches_trackeval, trackeval_scores


def _seq(d: Path, name: str, rng, n_frames=50, with_gt=True, results: Path | None = None):
    s = d / name
    s.mkdir(parents=True)
    (s / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nimDir=img1\nframeRate=20\n"
                                   f"seqLength={n_frames}\nimWidth=1280\nimHeight=720\nimExt=.jpg\n")
    if not with_gt:
        return
    (s / "gt").mkdir()
    gt, res = [], []
    for oid in range(0, 6):  # ids from 0, as DanceTrack / SportsMOT number them
        x, y, vx = rng.uniform(50, 1000), rng.uniform(50, 500), rng.uniform(-5, 5)
        for f in range(1, n_frames + 1):
            if rng.random() < 0.05:
                continue
            bx = (x + vx * f, y, 60.0, 150.0)
            gt.append(f"{f},{oid},{bx[0]:.1f},{bx[1]:.1f},{bx[2]:.1f},{bx[3]:.1f},1,1,1")
            if rng.random() < 0.9:
                tid = oid if f < n_frames // 2 or oid % 2 else oid + 10
                j = rng.normal(0, 8, 2)
                res.append(f"{f},{tid},{bx[0] + j[0]:.2f},{bx[1] + j[1]:.2f},60,150,1,-1,-1,-1")
        res.append(f"{n_frames // 3},{90 + oid},5,5,50,50,1,-1,-1,-1")
    (s / "gt" / "gt.txt").write_text("\n".join(gt) + "\n")
    if results is not None:
        results.mkdir(parents=True, exist_ok=True)
        (results / f"{name}.txt").write_text("\n".join(res) + "\n")


@pytest.fixture(params=[("dancetrack", "dancetrack{:04d}", "DANCETRACK"),
                        ("sportsmot_publish/dataset", "v_{:04d}", "SPORTSMOT")])
def layout(tmp_path, request):
    top, pattern, bench = request.param
    rng = np.random.default_rng(7)
    root = tmp_path / top
    res = tmp_path / "trackers" / "trk"
    for split, k0, gt in (("train", 1, True), ("val", 4, True), ("test", 7, False)):
        for k in range(k0, k0 + 2):
            _seq(root / split, pattern.format(k), rng, with_gt=gt,
                 results=res if split == "val" else None)
    return root, res, bench


def test_layout_detected_and_test_split_skipped(layout):
    root, res, bench = layout
    assert guess_benchmark(root) == bench
    notes: list = []
    seqs = load_dataset(root, notes=notes, with_dets=False)
    assert len(seqs) == 4 and all(s.benchmark == bench and s.frame_rate == 20 for s in seqs)
    assert len(notes) == 1 and "in test/" in notes[0] and "without gt" in notes[0]
    assert [s.name for s in load_dataset(root, split="val", with_dets=False)] == \
        sorted(p.name for p in (root / "val").iterdir())


def test_trackeval_parity(layout, capsys, tmp_path):
    """Scored with MOT15-style rules; equal to TrackEval's MotChallenge2DBox run with the
    benchmark's name (every gt box is class 1, conf 1, so its class filter changes nothing)."""
    root, res, bench = layout
    seqs = load_dataset(root, split="val", with_dets=False)
    names = [s.name for s in seqs]
    theirs = trackeval_scores(root / "val", res.parent, res.name,
                               "DanceTrack" if bench == "DANCETRACK" else "SportsMOT", names)
    for s in seqs:
        assert_matches_trackeval(score_one(s, read_results(res / f"{s.name}.txt")), theirs[s.name])
    j = tmp_path / "s.json"
    assert main(["score", str(root), str(res), "--split", "val", "--json", str(j),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"benchmark rules {bench}" in out
    assert set(json.loads(j.read_text())["trackers"]["trk"]["sequences"]) == set(names)


def test_eval_on_layout_names_skipped_test_sequences(layout, capsys, tmp_path):
    root, res, bench = layout
    dets = tmp_path / "dets"
    dets.mkdir()
    for s in load_dataset(root, with_dets=False):
        g = s.gt
        dets.joinpath(f"{s.name}.txt").write_text("".join(
            f"{f},-1,{b[0]},{b[1]},{b[2]},{b[3]},0.9\n" for f, b in zip(g.frames.tolist(), g.boxes.tolist())))
    rc = main([str(root), "--det-file", str(dets), "--trackers", "sort", "--no-budget",
               "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "note: skipped 2 sequence(s) without gt/gt.txt in test/" in out
    assert "20 fps" in out
