"""Detections: constructors, validation at the boundary, empty frames."""
from __future__ import annotations

import numpy as np
import pytest

from mottrack import Detections, as_detections


def test_constructors_agree():
    xyxy = np.array([[10, 20, 40, 80, 0.9, 2], [0, 0, 5, 5, 0.4, 0]], float)
    a = Detections.from_array(xyxy)
    b = Detections(xyxy[:, :4], xyxy[:, 4], xyxy[:, 5].astype(int))
    xywh = xyxy.copy()
    xywh[:, 2:4] -= xywh[:, 0:2]
    c = Detections.from_xywh(xywh)
    for d in (a, b, c):
        assert d.boxes.dtype == np.float64 and d.boxes.flags.c_contiguous
        assert np.array_equal(d.boxes, xyxy[:, :4])
        assert np.array_equal(d.scores, xyxy[:, 4])
        assert np.array_equal(d.class_ids, [2, 0])
    assert np.allclose(a.xywh, xywh[:, :4])
    assert np.array_equal(a.to_array(), xyxy)


def test_defaults_for_four_and_five_columns():
    d4 = Detections.from_array([[0, 0, 1, 1]])
    assert d4.scores.tolist() == [1.0] and d4.class_ids.tolist() == [-1]
    d5 = Detections.from_array(np.array([[0, 0, 1, 1, 0.3]], np.float32))
    assert d5.scores.dtype == np.float64 and d5.scores[0] == pytest.approx(0.3)


@pytest.mark.parametrize("empty", [np.empty((0, 5)), np.empty((0, 6)), np.empty(0), [], None])
def test_empty_frames_are_normal(empty):
    d = as_detections(empty)
    assert len(d) == 0 and d.boxes.shape == (0, 4)


def test_read_only_and_non_contiguous_inputs_work():
    arr = np.array([[1, 2, 3, 4, 0.5, 9, 9, 9]] * 3, float)[:, [0, 1, 2, 3, 4]]
    arr.flags.writeable = False
    d = Detections.from_array(arr[::2])
    assert len(d) == 2 and d.boxes.flags.c_contiguous


@pytest.mark.parametrize("arr,exc,match", [
    (np.array([[0, 0, 1, 1, np.nan]]), ValueError, "row 0, column 4"),
    (np.array([[0, 0, np.inf, 1, 0.5]]), ValueError, "expected finite"),
    (np.array([[5, 0, 1, 1, 0.5]]), ValueError, "x2 must be >= x1"),
    (np.array([[0, 5, 1, 1, 0.5]]), ValueError, "y2 must be >= y1"),
    (np.array([[0, 0, 1, 1, 0.5, 1.5]]), ValueError, "class id"),
    (np.zeros((3, 7)), ValueError, r"\(N, 4\), \(N, 5\) or \(N, 6\)"),
    (np.zeros(5), ValueError, "expected shape"),
    (np.array([["a", "b", "c", "d"]]), TypeError, "dtype"),
    (np.array([[True, True, True, True]]), TypeError, "dtype"),
])
def test_bad_arrays_name_the_problem(arr, exc, match):
    with pytest.raises(exc, match=match):
        Detections.from_array(arr)


def test_bad_fields_are_named():
    with pytest.raises(ValueError, match="scores: expected shape"):
        Detections(np.zeros((2, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="class_ids: expected shape"):
        Detections(np.zeros((2, 4)), np.zeros(2), class_ids=[1])
    with pytest.raises(ValueError, match="boxes: expected shape"):
        Detections(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="scores: row 1"):
        Detections(np.zeros((2, 4)), [0.1, np.nan])
    with pytest.raises(ValueError, match="embeddings: expected shape"):
        Detections(np.zeros((2, 4)), np.zeros(2), embeddings=np.zeros((3, 8)))
    with pytest.raises(ValueError, match="embedding_quantization"):
        Detections(np.zeros((1, 4)), np.zeros(1), embeddings=np.zeros((1, 8), np.int8))
    with pytest.raises(TypeError, match="detections"):
        as_detections("boxes")


def test_quantised_embeddings_are_dequantised():
    q = np.array([[0, 10, 255]], np.uint8)
    d = Detections(np.zeros((1, 4)), [1.0], embeddings=q, embedding_quantization=(0.5, 10))
    assert d.embeddings.dtype == np.float32
    assert d.embeddings.tolist() == [[-5.0, 0.0, 122.5]]


def test_indexing_selects_rows():
    d = Detections.from_array(np.array([[0, 0, 1, 1, 0.1], [0, 0, 2, 2, 0.9]]))
    hi = d[d.scores > 0.5]
    assert len(hi) == 1 and hi.boxes[0, 2] == 2


def _outcome(build):
    """(boxes, scores, class ids, embeddings) of a built Detections, or the error raised."""
    try:
        d = build()
    except (ValueError, TypeError) as exc:
        return type(exc), str(exc)
    e = d.embeddings
    return (d.boxes.tolist(), d.scores.tolist(), d.class_ids.tolist(),
            None if e is None else (e.dtype.str, e.tolist()), d.boxes.flags.writeable,
            None if e is None else e.flags.writeable)


@pytest.mark.parametrize("seed", range(40))
def test_float_arrays_take_the_same_checks_as_any_other_input(seed):
    """The common frame (float64 boxes and scores, float32 embeddings) has its own quick
    constructor path; its result or error equals that of the same values given as lists
    (embeddings: as float64, which takes the general path too)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 5))
    arr = np.column_stack([rng.uniform(0, 50, (n, 2)), rng.uniform(50, 100, (n, 2)), rng.uniform(0, 1, n)])
    emb = rng.normal(size=(n, 3)).astype(np.float32) if seed % 3 else None
    if n:  # one defect per case (or none)
        kind = seed % 8
        r = int(rng.integers(0, n))
        if kind == 1:
            arr[r, int(rng.integers(0, 4))] = np.nan
        elif kind == 2:
            arr[r, 4] = np.inf
        elif kind == 3:
            arr[r, 2] = arr[r, 0] - 1.0
        elif kind == 4:
            arr[r, 1] = 2e15
        elif kind == 5 and emb is not None:
            emb[r, int(rng.integers(0, 3))] = np.nan
    fast = _outcome(lambda: Detections(arr[:, :4], arr[:, 4], embeddings=emb))
    slow = _outcome(lambda: Detections(arr[:, :4].tolist(), arr[:, 4].tolist(),
                                       embeddings=None if emb is None else emb.astype(np.float64)))
    if isinstance(slow[0], type) and "embeddings" not in slow[1]:
        assert fast == slow
    elif isinstance(slow[0], type):  # the values quoted in the message keep their dtype
        assert fast[0] is slow[0] and fast[1].split("(got")[0] == slow[1].split("(got")[0]
    else:
        assert fast[:3] == slow[:3] and fast[4] is False
        assert (fast[3] is None) == (slow[3] is None)
        if emb is not None:
            assert fast[3] == ("<f4", emb.tolist()) and fast[5] is False
    arr_before = arr.copy()
    if not isinstance(fast[0], type):  # owned copies: writing the input later changes nothing
        d = Detections(arr[:, :4], arr[:, 4])
        arr[:] = -1.0
        assert np.array_equal(d.boxes, arr_before[:, :4]) and np.array_equal(d.scores, arr_before[:, 4])
