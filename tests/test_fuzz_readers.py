"""Every file reader bounds its time and memory by the input size.

Each check runs in a child process under ``RLIMIT_AS`` (the address space the child already
uses after warm-up plus a fixed budget): a reader whose memory blows up fails the test
through ``MemoryError``, and a segfault or abort fails it through the child's signal, instead
of taking pytest down.  Only the ``.tflite`` linear-time check also has a CPU-time limit
(``SIGXCPU``; marked ``slow_host_sensitive``, see tests/support.py).

The fuzzers (hypothesis) feed random and mutated inputs to the ``.npz`` / JSON state
readers, the ``.tflite`` reader, the MOT text readers and ``seqinfo.ini``; every input
must give a result or a ``ValueError``.  The crafted cases are the blow-ups each reader
had: a small ``.npz`` that expands to hundreds of MB, ``.tflite`` files whose lists name
one tensor thousands of times or share one shape vector, a MOT file of blank lines,
deeply nested JSON.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

from support import fuzz_settings as _fuzz_settings, run_limited  # noqa: E402,F401


# ----------------------------------------------------------------------------- crafted files
def tflite_bytes(n_refs: int, shape_len: int, shared_table: bool) -> bytes:
    """A minimal TFL3 flatbuffer: one subgraph whose output list has ``n_refs`` entries.

    ``shared_table=False``: one tensor, named ``n_refs`` times by the outputs.
    ``shared_table=True``: ``n_refs`` tensor entries that all point at one tensor table
    (one shape vector of ``shape_len`` ints), each named once.
    """
    b = bytearray(b"\0\0\0\0TFL3")

    def u32(v):
        b.extend(struct.pack("<I", v))

    def table(*vtable):
        """A vtable (u16 entries), then the table's soffset to it; returns the table."""
        vt = len(b)
        b.extend(struct.pack(f"<{len(vtable)}H", *vtable))
        while len(b) % 4:
            b.append(0)
        pos = len(b)
        b.extend(struct.pack("<i", pos - vt))
        return pos
    model = table(10, 8, 0, 0, 4)
    sub_ref = len(b)
    u32(0)
    sub_vec = len(b)
    u32(1)
    sg_ref = len(b)
    u32(0)
    sg = table(10, 16, 4, 8, 12)
    t_ref, in_ref, out_ref = len(b), len(b) + 4, len(b) + 8
    b.extend(b"\0" * 12)
    inputs = len(b)
    u32(0)
    outputs = len(b)
    u32(n_refs)
    for i in range(n_refs):
        u32(i if shared_table else 0)
    n_tensors = n_refs if shared_table else 1
    tensors = len(b)
    u32(n_tensors)
    entries = len(b)
    b.extend(b"\0" * 4 * n_tensors)
    tensor = table(6, 8, 4)
    shape_ref = len(b)
    u32(0)
    shape = len(b)
    u32(shape_len)
    b.extend(struct.pack(f"<{shape_len}i", *([1] * shape_len)))
    for pos, target in ((0, model), (sub_ref, sub_vec), (sg_ref, sg), (t_ref, tensors), (in_ref, inputs),
                        (out_ref, outputs), (shape_ref, shape)):
        struct.pack_into("<I", b, pos, target - pos)
    for i in range(n_tensors):
        pos = entries + 4 * i
        struct.pack_into("<I", b, pos, tensor - pos)
    return bytes(b)


def test_crafted_tflite_is_a_valid_flatbuffer():
    """The builder makes files the reader accepts (so the blow-up tests test the reader)."""
    from mottrack.io.tflite import read_tensors
    inputs, outputs = read_tensors(tflite_bytes(3, 4, shared_table=False))
    assert inputs == [] and len(outputs) == 3 and outputs[0].shape == (1, 1, 1, 1)
    inputs, outputs = read_tensors(tflite_bytes(3, 4, shared_table=True))
    assert len(outputs) == 3 and all(o.shape == (1, 1, 1, 1) for o in outputs)


@pytest.mark.slow_host_sensitive  # a child under a CPU-time limit (see tests/support.py)
def test_tflite_repeated_and_shared_tensors_cost_linear_time_and_memory():
    """A 94 KiB file used to take 14 s and 1.1 GB (8000 references x 8000-long shape)."""
    run_limited("""
        from test_fuzz_readers import tflite_bytes
        from mottrack.io.tflite import read_tensors
        repeated = tflite_bytes(12000, 12000, shared_table=False)
        shared = tflite_bytes(12000, 12000, shared_table=True)
        read_tensors(tflite_bytes(3, 4, False))
        LIMIT()
        ins, outs = read_tensors(repeated)
        assert len(outs) == 12000 and len(outs[0].shape) == 12000
        raises_value_error(read_tensors, shared, match="reference more data than the file holds")
    """, mem_mb=200, cpu_s=20)


def test_mot_file_of_blank_lines_costs_memory_linear_in_its_size():
    """30 MB of blank lines used to allocate ~100x that (one 10-column row per line)."""
    run_limited("""
        import os, tempfile
        from mottrack.io.mot import read_gt, read_results
        d = tempfile.mkdtemp()
        p = os.path.join(d, "gt.txt")
        with open(p, "wb") as fh:
            fh.write(b"1,1,1,1,1,1,1,1,1\\n")
        read_gt(p)
        with open(p, "wb") as fh:
            fh.write(b"\\n" * 30_000_000 + b"1,1,2,3,4,5,1,1,1\\n")
        q = os.path.join(d, "short.txt")
        with open(q, "wb") as fh:
            fh.write(b"1\\n" * 10_000_000)
        LIMIT()
        t = read_gt(p)
        assert len(t) == 1 and t.lines[0] == 30_000_001
        raises_value_error(read_results, q, match="short.txt:1")
    """, mem_mb=250)


def _zip_bomb(path, n_bytes):
    """An .npz whose member is ``n_bytes`` of zeros (deflated to ~1/1000)."""
    import zipfile
    import numpy as np
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("tracks.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                                      "shape": (n_bytes // 8,)})
            chunk = bytes(1 << 20)
            left = n_bytes
            while left > 0:
                fh.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)


def test_npz_that_expands_to_gigabytes_is_rejected_before_decompressing():
    run_limited("""
        import io, os, tempfile
        import numpy as np
        import mottrack
        from mottrack.state import load_state, save_state
        from test_fuzz_readers import _zip_bomb
        d = tempfile.mkdtemp()
        bomb = os.path.join(d, "bomb.npz")
        _zip_bomb(bomb, 600 * 2 ** 20)          # 600 MB of zeros in a ~0.6 MB file
        assert os.path.getsize(bomb) < 2 ** 20 * 2
        good = io.BytesIO()
        t = mottrack.create_tracker("sort")
        t.update(np.array([[0, 0, 10, 20, 0.9]]))
        save_state(t, good)
        load_state(io.BytesIO(good.getvalue()))
        LIMIT()
        raises_value_error(load_state, bomb, max_bytes=64 * 2 ** 20, match="max_bytes")
        s = load_state(io.BytesIO(good.getvalue()))
        mottrack.Tracker.from_state(s)
    """, mem_mb=200)


def test_deeply_nested_json_state_is_a_value_error():
    run_limited("""
        from mottrack.state import state_from_json
        for text in ["[" * 100000 + "]" * 100000, '{"a":' * 50000 + "1" + "}" * 50000,
                     "[1, 2]", "3", '"format"', "null"]:
            raises_value_error(state_from_json, text)
    """, mem_mb=200)


# ----------------------------------------------------------------------------- fuzzers
# Run in the child (see the tests below); hypothesis, derandomised.
def fuzz_state_files(n_examples: int = 150) -> None:
    """Mutated bytes of real .npz and JSON states: a state dict or ValueError; a state that
    loads restores (or is rejected) without crashing."""
    import io
    from hypothesis import given, strategies as st
    import mottrack
    from mottrack.state import load_state, save_state
    from test_state import stream
    seeds = []
    for key in ("sort/TUD-Campus", "deepsort/MOT17-09", "bytetrack/TUD-Stadtmitte"):
        name, params, frames = stream(key)
        t = mottrack.create_tracker(name, **params)
        for f in frames[:25]:
            t.update(f)
        for fmt in ("npz", "json"):
            buf = io.BytesIO()
            save_state(t, buf, format=fmt)
            seeds.append((buf.getvalue(), frames[25:28]))

    @_fuzz_settings(n_examples)
    @given(st.data())
    def prop(data):
        raw, frames = data.draw(st.sampled_from(seeds))
        b = bytearray(raw)
        for _ in range(data.draw(st.integers(1, 8))):
            op = data.draw(st.sampled_from(["flip", "byte", "cut", "dup", "zero"]))
            pos = data.draw(st.integers(0, len(b) - 1))
            if op == "flip":
                b[pos] ^= 1 << data.draw(st.integers(0, 7))
            elif op == "byte":
                b[pos] = data.draw(st.integers(0, 255))
            elif op == "cut":
                del b[pos:pos + data.draw(st.integers(1, 64))]
            elif op == "dup":
                b[pos:pos] = b[pos:pos + data.draw(st.integers(1, 64))]
            else:
                b[pos:pos + 8] = bytes(8)
            if not b:
                b = bytearray(b"P")
        try:
            state = load_state(io.BytesIO(bytes(b)))
        except ValueError:
            return
        try:
            t = mottrack.Tracker.from_state(state)
        except ValueError:
            return
        for f in frames:
            t.update(f)
    prop()


def fuzz_json_states(n_examples: int = 200) -> None:
    """Arbitrary JSON values (nested lists/objects, numbers, strings): ValueError only."""
    from hypothesis import given, strategies as st
    from mottrack.state import state_from_json
    import json
    values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                          | st.text(max_size=8),
                          lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                          max_leaves=30)
    header = st.fixed_dictionaries({"format": st.just("mottrack.tracker_state"), "version": st.just(1),
                                    "tracker": st.sampled_from(["sort", "deepsort", "x"]),
                                    "params": values, "frame_count": values, "last_timestamp": values,
                                    "attrs": values})

    @_fuzz_settings(n_examples)
    @given(st.one_of(values, header))
    def prop(v):
        try:
            state = state_from_json(json.dumps(v))
        except ValueError:
            return
        import mottrack
        try:
            mottrack.Tracker.from_state(state)
        except ValueError:
            pass
    prop()


def fuzz_tflite(n_examples: int = 200) -> None:
    """Mutations of crafted and real model prefixes: tensor lists or ValueError."""
    from hypothesis import given, strategies as st
    from mottrack.io.tflite import read_tensors
    seeds = [tflite_bytes(3, 4, False), tflite_bytes(5, 3, True)]
    real = ROOT.parent / "shared" / "models" / "yolov5n_artpec8.tflite"
    if real.exists():
        seeds.append(real.read_bytes())

    @_fuzz_settings(n_examples)
    @given(st.data())
    def prop(data):
        b = bytearray(data.draw(st.sampled_from(seeds)))
        for _ in range(data.draw(st.integers(1, 6))):
            pos = data.draw(st.integers(0, min(len(b), 4096) - 1))
            op = data.draw(st.sampled_from(["byte", "word", "cut"]))
            if op == "byte":
                b[pos] = data.draw(st.integers(0, 255))
            elif op == "word" and pos + 4 <= len(b):
                b[pos:pos + 4] = struct.pack("<I", data.draw(st.sampled_from(
                    [0, 1, 4, 8, 0x7FFFFFFF, 0xFFFFFFFF, len(b), len(b) // 2])))
            else:
                del b[pos:]
            if len(b) < 1:
                b = bytearray(b"\0")
        try:
            read_tensors(bytes(b))
        except ValueError:
            pass
    prop()


def fuzz_mot_text(n_examples: int = 200) -> None:
    """Random lines of numbers, blanks, separators, huge exponents: a table or MotFormatError."""
    import tempfile
    from hypothesis import given, strategies as st
    from mottrack.io.mot import MotFormatError, read_det, read_gt, read_results, read_seqinfo
    tok = st.sampled_from(["1", "-1", "0.5", "1e400", "-1e400", "1e-400", "nan", "inf", "", " ",
                           "12345678901234567890", "3.14159265358979323846", "7"])
    line = st.lists(tok, max_size=12).map(lambda ts: ",".join(ts))
    text = st.lists(st.one_of(line, st.just(""), st.just("   ")), max_size=40).map("\n".join)
    ini = st.lists(st.sampled_from(["[Sequence]", "name=a%b", "frameRate=%(x)s", "frameRate=nan",
                                    "frameRate=25", "seqLength=10", "seqLength=1e9", "imWidth=640",
                                    "imHeight=480", "imWidth=-1", "seqLength=99999999999999", "%%",
                                    "[Other]", "x", "="]), max_size=10).map("\n".join)
    d = tempfile.mkdtemp()
    p = os.path.join(d, "f.txt")

    @_fuzz_settings(n_examples)
    @given(text, ini)
    def prop(t, i):
        with open(p, "w") as fh:
            fh.write(t)
        for reader in (read_gt, read_det, read_results):
            try:
                table = reader(p)
            except MotFormatError as exc:
                assert "f.txt" in str(exc)
                continue
            import numpy as np
            assert np.isfinite(table.boxes).all()
        with open(p, "w") as fh:
            fh.write(i)
        try:
            read_seqinfo(p)
        except MotFormatError as exc:
            assert "f.txt" in str(exc)
    prop()


@pytest.mark.parametrize("fuzzer, mem_mb", [
    ("fuzz_state_files", 600), ("fuzz_json_states", 300), ("fuzz_tflite", 300), ("fuzz_mot_text", 300)])
def test_reader_fuzzers_under_resource_limits(fuzzer, mem_mb):
    """Also the crash-proof run: a segfault or abort in any reader fails here with its signal."""
    import hypothesis  # noqa: F401  (test extra: missing means failing, not skipping)
    if fuzzer == "fuzz_state_files" and not (ROOT.parent / "shared").exists():
        # Justified: the state fuzzer mutates states of real sequences from ../shared.
        from conftest import required_skip
        required_skip("../shared is not available")
    run_limited(f"""
        import test_fuzz_readers as m
        import hypothesis
        import mottrack, mottrack.io.tflite, mottrack.io.mot, mottrack.state
        LIMIT()
        m.{fuzzer}()
    """, mem_mb=mem_mb)
