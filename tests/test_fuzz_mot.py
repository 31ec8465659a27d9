"""Fuzz the MOTChallenge text readers: random bytes and mutated real files give a table or a
clean ``ValueError`` (``MotFormatError`` naming the file), never anything else."""
from __future__ import annotations

import os
import re
import tempfile

import numpy as np
import pytest

from conftest import SHARED, require_or_skip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mottrack.io.mot as mot

READERS = {"read_gt": mot.read_gt, "read_det": mot.read_det, "read_results": mot.read_results}
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _sample(rel, n_lines=30):
    p = SHARED / rel
    if not p.exists():
        return None
    with open(p, "rb") as fh:
        return b"".join(fh.readlines()[:n_lines])


SAMPLES = [s for s in (
    _sample("data/MOT15/train/TUD-Campus/gt/gt.txt"),
    _sample("data/MOT15/train/TUD-Campus/det/det.txt"),
    _sample("data/MOT17/train/MOT17-09-FRCNN/gt/gt.txt"),
    _sample("reference/sort/MOT15/TUD-Campus.txt"),
    _sample("data/MOT17/dets/yolox_x_ablation/MOT17-09.txt"),
) if s]
SEQINFO = _sample("data/MOT15/train/TUD-Campus/seqinfo.ini", 100)


def _check(reader, data: bytes, suffix=".txt"):
    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            table = reader(path)
        except mot.MotFormatError as exc:  # the one error bad content may give
            assert os.path.basename(path) in str(exc), f"error does not name the file: {exc}"
            return None
        return table
    finally:
        os.unlink(path)


def _check_table(table):
    if table is None:
        return
    frames = np.asarray(table.frames)
    assert frames.ndim == 1
    if frames.size:
        assert np.all(np.diff(frames) >= 0), "rows not sorted by frame"


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(reader, data):
    _check_table(_check(READERS[reader], data))


_printable = st.sampled_from(list(b"0123456789,.-+eE \t\r\nnaifNAIF#;x") + [0, 255, 0xC3])


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["replace", "delete", "insert", "dup_line", "swap_lines", "truncate",
                                   "drop_field"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "replace" and data:
            data[pos] = draw(_printable)
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 20))]
        elif op == "insert":
            data[pos:pos] = bytes(draw(st.lists(_printable, min_size=1, max_size=8)))
        elif op in ("dup_line", "swap_lines", "drop_field"):
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(j, lines[i])
            elif op == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                fields = lines[i].split(b",")
                del fields[draw(st.integers(0, len(fields) - 1))]
                lines[i] = b",".join(fields)
            data = bytearray(b"\n".join(lines))
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


# Justified: the seeds are real files from ../shared (CI has it; MOTTRACK_REQUIRE_SHARED fails the skip).
@require_or_skip(not SAMPLES, "../shared data not available")
@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(data=mutated())
def test_mutated_real_files(reader, data):
    _check_table(_check(READERS[reader], data))


# Justified: as above, the seed is a real seqinfo.ini from ../shared.
@require_or_skip(SEQINFO is None, "../shared seqinfo.ini not available")
@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.one_of(st.binary(max_size=300), st.builds(
    lambda cut, junk: SEQINFO[:cut] + junk + SEQINFO[cut:],
    st.integers(0, len(SEQINFO or b"")), st.binary(max_size=20))))
def test_seqinfo(data):
    _check(mot.read_seqinfo, data, suffix=".ini")


def test_known_malformed_cases_name_file_and_line():
    cases = [b"1,1,2,3\n", b"1,1,a,3,4,5,1,1,1\n", b"1,1,,3,4,5,1,1,1\n",
             b"1.5,1,2,3,4,5,1,1,1\n", b"1,1,2,3,4,5,1,1,1\n1,1,2,3,4,5,1,1,1\n"]
    for data in cases:
        fd, path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            with pytest.raises(mot.MotFormatError) as info:
                READERS["read_gt"](path)
            msg = str(info.value)
            assert re.search(re.escape(os.path.basename(path)) + r"(:\d+| line \d+)", msg), msg
        finally:
            os.unlink(path)
    assert _check(READERS["read_gt"], b"") is not None  # empty file: an empty table
