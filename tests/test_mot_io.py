"""MOTChallenge text readers / writer, seqinfo and dataset discovery."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import require_or_skip  # noqa: E402

from mottrack.io.mot import (MotFormatError, MotTable, discover_sequences, read_det, read_gt,
                             read_results, read_seqinfo, write_results)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA = SHARED / "data"
needs_shared = require_or_skip(not SHARED.exists(), "../shared is not available")


def _write(tmp_path, text, name="f.txt"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_results_round_trip(tmp_path):
    rows = np.array([[2, 7, 10.25, 20.5, 30.0, 40.75, 0.9],
                     [1, 3, 1.0, 2.0, 3.0, 4.0, 1.0],
                     [1, 4, 5.5, 6.5, 7.5, 8.5, 0.25]])
    p = tmp_path / "out" / "SEQ.txt"
    write_results(p, rows)
    assert p.read_text().splitlines()[0] == "2,7,10.25,20.50,30.00,40.75,0.9,-1,-1,-1"
    t = read_results(p)
    # stable sort by frame: frame-1 rows keep file order (ids 3 then 4)
    np.testing.assert_array_equal(t.frames, [1, 1, 2])
    np.testing.assert_array_equal(t.ids, [3, 4, 7])
    np.testing.assert_array_equal(t.boxes, rows[[1, 2, 0], 2:6])
    np.testing.assert_array_equal(t.scores, [1.0, 0.25, 0.9])
    np.testing.assert_array_equal(t.lines, [2, 3, 1])
    write_results(tmp_path / "again.txt", t)
    assert (tmp_path / "again.txt").read_text().splitlines()[1] == "1,4,5.50,6.50,7.50,8.50,0.25,-1,-1,-1"


def test_numbers_parse_exactly_like_python_float(tmp_path):
    toks = ["102.37999725341795", "547.8400268554689", "1e-3", "-0.5", "+7", "250.60003662109372",
            "3.0000000000000004", "1E2"]
    p = _write(tmp_path, "1,1," + ",".join(toks) + "\n")
    t = read_det(p)  # a det file: a negative height parses (results and gt refuse it)
    assert t.boxes[0].tolist() == [float(x) for x in toks[:4]]
    assert t.scores[0] == float(toks[4])


def test_whitespace_crlf_blank_lines_trailing_comma(tmp_path):
    p = _write(tmp_path, "\n1 2 3 4 5 6 0.5\r\n\n  2, 2, 3, 4, 5, 6, 0.5,\r\n")
    t = read_results(p)
    np.testing.assert_array_equal(t.frames, [1, 2])
    np.testing.assert_array_equal(t.lines, [2, 4])


def test_empty_file_has_no_rows(tmp_path):
    t = read_gt(_write(tmp_path, ""))
    assert len(t) == 0 and t.boxes.shape == (0, 4)
    assert t.frame_offsets(3).tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("text,line,msg", [
    ("1,1,1,1,1,1,1\n1,2,1,x,1,1,1\n", 2, "non-numeric"),
    ("1,1,1,1,1,1,1\n\n1,2,1,,1,1,1\n", 3, "empty field"),
    ("1,1,1,1,1\n", 1, "at least 7 columns"),
    ("1.5,1,1,1,1,1,1\n", 1, "frame must be a whole number within"),
    ("1,1,1,1,1,1,1\n2,1,1,1,1,1,1\n1,1,5,5,1,1,1\n", 3, "duplicate id 1 in frame 1"),
    ("1,1,1,1,1,1,1\n2,1,10,10,-5,20,1\n", 2, "negative box width -5.0"),
    ("1,1,1,1,1,1,1\n1,2,10,10,5,-0.5,1\n", 2, "negative box height -0.5"),
    ("1,1,1,1,1,1,1\n1,10000000000000000,1,1,1,1,1\n", 2, r"id must be a whole number within \+-2\*\*53"),
    ("1,1,1,1,1,1,1\n1,99999999999999999999,1,1,1,1,1\n", 2, r"id must be a whole number within"),
])
def test_malformed_gt_names_file_and_line(tmp_path, text, line, msg):
    p = _write(tmp_path, text, "gt.txt")
    with pytest.raises(MotFormatError, match=msg) as ei:
        read_gt(p)
    assert ei.value.line == line and ei.value.path == str(p)
    assert f"{p}:{line}:" in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_detections_allow_repeated_minus_one_ids(tmp_path):
    t = read_det(_write(tmp_path, "1,-1,1,2,3,4,0.9\n1,-1,5,6,7,8,0.8\n"))
    np.testing.assert_array_equal(t.ids, [-1, -1])
    np.testing.assert_array_equal(t.scores, [0.9, 0.8])


def test_frame_offsets_and_iteration():
    t = MotTable.from_arrays([3, 1, 1, 3], [1, 1, 2, 2], np.zeros((4, 4)))
    off = t.frame_offsets()
    assert off.tolist() == [0, 2, 2, 4]
    assert [(f, s.start, s.stop) for f, s in t.iter_frames()] == [(1, 0, 2), (3, 2, 4)]
    np.testing.assert_array_equal(t.ids[off[2]:off[3]], [1, 2])


def test_seqinfo(tmp_path):
    p = _write(tmp_path, "[Sequence]\nname=S\nimDir=img1\nframeRate=14\nseqLength=9\n"
                         "imWidth=640\nimHeight=480\nimExt=.jpg\n", "seqinfo.ini")
    info = read_seqinfo(p)
    assert (info.name, info.frame_rate, info.seq_length, info.im_width, info.im_height) == (
        "S", 14.0, 9, 640, 480)
    bad = _write(tmp_path, "[Sequence]\nname=S\nframeRate=x\n", "bad.ini")
    with pytest.raises(MotFormatError, match="frameRate"):
        read_seqinfo(bad)
    latin1 = tmp_path / "latin1.ini"
    latin1.write_bytes("[Sequence]\nname=Caf\xe9\n".encode("latin-1"))
    with pytest.raises(MotFormatError, match="not UTF-8") as ei:
        read_seqinfo(latin1)
    assert str(latin1) in str(ei.value)


def test_discover_layouts(tmp_path):
    for split, seq in (("train", "A"), ("train", "B"), ("test", "C")):
        (tmp_path / split / seq / "gt").mkdir(parents=True)
        (tmp_path / split / seq / "gt" / "gt.txt").write_text("")
    assert [(s.split, s.name) for s in discover_sequences(tmp_path)] == [
        ("test", "C"), ("train", "A"), ("train", "B")]
    assert [s.name for s in discover_sequences(tmp_path, "train")] == ["A", "B"]
    assert [s.name for s in discover_sequences(tmp_path / "train")] == ["A", "B"]
    with pytest.raises(FileNotFoundError):
        discover_sequences(tmp_path, "train", names=["Z"])


@needs_shared
def test_shared_dataset_discovery_and_read():
    seqs = discover_sequences(DATA / "MOT15", "train")
    assert len(seqs) == 11
    tud = next(s for s in seqs if s.name == "TUD-Campus")
    assert tud.seqinfo().seq_length == 71 and tud.seqinfo().frame_rate == 25
    gt = tud.gt()
    raw = np.array([[float(v) for v in ln.split(",")] for ln in
                    tud.gt_path.read_text().splitlines() if ln.strip()])
    order = np.argsort(raw[:, 0], kind="stable")
    np.testing.assert_array_equal(gt.boxes, raw[order, 2:6])
    np.testing.assert_array_equal(gt.ids, raw[order, 1].astype(int))
    assert len(discover_sequences(DATA / "MOT17", "train")) == 21


@pytest.mark.parametrize("text, line, msg", [
    ("1,1,10,10,-5,20,1,-1,-1,-1\n", 1, "negative box width"),
    ("1,1,10,10,5,20,1,-1,-1,-1\n2,1,10,10,5,-20,1,-1,-1,-1\n", 2, "negative box height"),
])
def test_results_with_negative_boxes_name_file_and_line(tmp_path, text, line, msg):
    # det files already refused these (eval.datasets.check_detections); gt and results scored them
    p = _write(tmp_path, text, "MOT17-02.txt")
    with pytest.raises(MotFormatError, match=msg) as ei:
        read_results(p)
    assert ei.value.line == line and f"{p}:{line}:" in str(ei.value)


@pytest.mark.parametrize("key", ["imWidth", "imHeight"])
def test_seqinfo_zero_image_size_names_file_and_field(tmp_path, key):
    text = "[Sequence]\nname=S\nframeRate=14\nseqLength=9\nimWidth=640\nimHeight=480\n"
    p = _write(tmp_path, text.replace(f"{key}=" + ("640" if key == "imWidth" else "480"), f"{key}=0"),
               "seqinfo.ini")
    with pytest.raises(MotFormatError, match=rf"seqinfo.ini: {key}='0' is outside \[1, 1e\+09\]"):
        read_seqinfo(p)
