"""A rejected ``update`` changes nothing, on the first frame and on any later one.

For every registered tracker (the list comes from the registry, so a tracker added later
is covered without edits) and every way ``update`` can reject a call (bad shapes and
dtypes, NaN/inf, negative sizes, bad scores and classes, bad timestamps, bad camera
motion, bad embeddings for trackers that take them, oversize frames), the call raises
``TypeError``/``ValueError`` and leaves the tracker exactly as it was:

- its saved state (``state_dict``, serialised to JSON: every array byte) is identical
  before and after, and so is ``dropped_detections``;
- the following valid frames give byte-identical output to a twin tracker that never
  saw the bad call.

Which cases apply to a tracker is read from its registry facts (``embeddings``,
``max_detections``), never from its name.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple

import numpy as np
import pytest

import mottrack
from mottrack import Detections
from mottrack.registry import tracker_class
from mottrack.state import state_to_json

TRACKERS = mottrack.registered_trackers()
FPS = 30.0
DIM = 8          # embedding dimension of the valid stream
OTHER_DIM = 5    # a different one: a rejected first frame must not fix the dimension
PRELUDE = 6      # valid frames before a "later" bad call (tracks confirmed and reported)
AFTER = 4        # valid frames compared with the twin after the bad call


def _boxes(k: int, n: int = 3) -> np.ndarray:
    """(n, 5) rows of n well-separated objects moving right, frame k."""
    i = np.arange(n, dtype=np.float64)
    x = 20.0 + 150.0 * i + 4.0 * k
    y = 40.0 + 30.0 * i + 1.5 * k
    return np.column_stack([x, y, x + 40.0 + 3.0 * i, y + 100.0 + 5.0 * i, 0.95 - 0.05 * i])


def _embeddings(n: int, dim: int = DIM) -> np.ndarray:
    """Distinct unit-ish float32 appearance vectors, one per object."""
    rng = np.random.default_rng(7)
    return (rng.normal(size=(n, dim)) + 3.0 * np.eye(n, dim)).astype(np.float32)


def _takes_embeddings(cls: type) -> bool:
    return cls.embeddings != "none"


def _valid(cls: type, k: int) -> Any:
    """Frame k of the valid stream: Detections with embeddings where the tracker uses
    them, else a plain float64 array (the trackers' one-call fast path)."""
    rows = _boxes(k)
    if _takes_embeddings(cls):
        return Detections.from_array(rows, embeddings=_embeddings(rows.shape[0]))
    return rows


def _stamp(k: int) -> float:
    return 100.0 + k / FPS


class Call(NamedTuple):
    detections: Any
    timestamp: Any
    camera_motion: Any


class Case(NamedTuple):
    label: str
    make: Callable[[type, int, bool], Call]   # (tracker class, frame index, first frame?) -> call
    applies: Callable[[type, bool], bool]     # (tracker class, first frame?) -> whether it applies


def _always(cls: type, first: bool) -> bool:
    return True


def _later(cls: type, first: bool) -> bool:
    return not first


def _with_embeddings(cls: type, first: bool) -> bool:
    return _takes_embeddings(cls)


def _dets(rows: Any) -> Callable[[type, int, bool], Call]:
    """A bad detections argument at the frame's own timestamp."""
    return lambda cls, k, first: Call(rows, _stamp(k), None)


def _row_edit(col: int, value: float, extra: int = 0) -> Callable[[type, int, bool], Call]:
    """Frame k's rows (plus ``extra`` valid ones) with one value replaced (the last row)."""
    def make(cls: type, k: int, first: bool) -> Call:
        rows = _boxes(k, 3 + extra)
        if col >= rows.shape[1]:
            rows = np.column_stack([rows, np.zeros(rows.shape[0])])
        rows[-1, col] = value
        return Call(rows, _stamp(k), None)
    return make


def _time(value: Any) -> Callable[[type, int, bool], Call]:
    return lambda cls, k, first: Call(_valid(cls, k), value, None)


def _time_rel(offset: float) -> Callable[[type, int, bool], Call]:
    """A timestamp ``offset`` seconds after the previous frame's."""
    return lambda cls, k, first: Call(_valid(cls, k), _stamp(k - 1) + offset, None)


def _warp(value: Any) -> Callable[[type, int, bool], Call]:
    return lambda cls, k, first: Call(_valid(cls, k), _stamp(k), value)


def _emb(make_emb: Callable[[int, bool], Any], rows: int = 3) -> Callable[[type, int, bool], Call]:
    """Valid boxes with embeddings ``make_emb(n, first)``."""
    def make(cls: type, k: int, first: bool) -> Call:
        r = _boxes(k, rows)
        return Call(Detections.from_array(r, embeddings=make_emb(r.shape[0], first)), _stamp(k), None)
    return make


def _zero_row(n: int, first: bool) -> np.ndarray:
    e = _embeddings(n, OTHER_DIM if first else DIM)
    e[n - 1] = 0.0
    return e


def _written_after(value: float) -> Callable[[type, int, bool], Call]:
    """Valid float32 embeddings (a view, not a copy) that the caller overwrites with
    ``value`` after the Detections were built."""
    def make(cls: type, k: int, first: bool) -> Call:
        r = _boxes(k)
        e = _embeddings(r.shape[0], OTHER_DIM if first else DIM)
        d = Detections.from_array(r, embeddings=e)
        e[1, 2] = value
        return Call(d, _stamp(k), None)
    return make


def _oversize(cls: type, k: int, first: bool) -> Call:
    n = cls.max_detections + 1
    x = np.arange(n) * 60.0
    rows = np.column_stack([x, np.zeros(n), x + 40.0, np.full(n, 100.0), np.full(n, 0.9)])
    emb = _embeddings(n) if _takes_embeddings(cls) else None
    return Call(Detections.from_array(rows, embeddings=emb) if emb is not None else rows, _stamp(k), None)


CASES: List[Case] = [
    # detections ----------------------------------------------------------------------
    Case("NaN coordinate", _row_edit(2, np.nan), _always),
    Case("inf coordinate", _row_edit(3, np.inf), _always),
    Case("-inf coordinate", _row_edit(0, -np.inf), _always),
    Case("NaN score", _row_edit(4, np.nan), _always),
    Case("inf score", _row_edit(4, np.inf), _always),
    Case("negative width", _row_edit(2, -5.0), _always),
    Case("negative height", _row_edit(3, -5.0), _always),
    Case("coordinate beyond MAX_COORDINATE", _row_edit(2, 2e15), _always),
    Case("coordinate 1e200", _row_edit(3, 1e200), _always),
    Case("class 1.5", _row_edit(5, 1.5), _always),
    Case("class -2", _row_edit(5, -2.0), _always),
    Case("class NaN", _row_edit(5, np.nan), _always),
    Case("class 1e300", _row_edit(5, 1e300), _always),
    Case("NaN in the last of many rows", _row_edit(0, np.nan, extra=200), _always),
    Case("zero-area row then a NaN row", lambda cls, k, first: Call(
        np.vstack([[5.0, 5.0, 5.0, 50.0, 0.9], _boxes(k), [0.0, 0.0, np.nan, 1.0, 0.9]]), _stamp(k), None),
        _always),
    Case("bool array", _dets(np.ones((2, 5), bool)), _always),
    Case("object array", _dets(np.array([[0, 0, 1, 1, "a"]], object)), _always),
    Case("complex array", _dets(np.ones((2, 5), complex)), _always),
    Case("string array", _dets(np.array([["0", "0", "1", "1", "1"]])), _always),
    Case("a string", _dets("0,0,1,1,0.9"), _always),
    Case("a dict", _dets({"boxes": [[0, 0, 1, 1]]}), _always),
    Case("a number", _dets(3.0), _always),
    Case("1-D array", _dets(np.ones(5)), _always),
    Case("3-D array", _dets(np.ones((1, 1, 5))), _always),
    Case("3 columns", _dets(np.ones((2, 3))), _always),
    Case("7 columns", _dets(np.ones((2, 7))), _always),
    Case("ragged list", _dets([[0, 0, 10, 20, 0.9], [1, 2]]), _always),
    Case("more than max_detections", _oversize, _always),
    # timestamps ----------------------------------------------------------------------
    Case("timestamp NaN", _time(float("nan")), _always),
    Case("timestamp inf", _time(float("inf")), _always),
    Case("timestamp -inf", _time(float("-inf")), _always),
    Case("timestamp 10**400", _time(10 ** 400), _always),
    Case("timestamp string", _time("1.0"), _always),
    Case("timestamp bool", _time(True), _always),
    Case("timestamp array", _time(np.array([1.0, 2.0])), _always),
    Case("timestamp complex", _time(1j), _always),
    Case("timestamp backwards", _time_rel(-0.5), _later),
    Case("timestamp repeated", _time_rel(0.0), _later),
    Case("time step beyond MAX_TIME_STEP", _time_rel(1e300), _later),
    # camera motion -------------------------------------------------------------------
    Case("warp shape (2, 2)", _warp(np.eye(2)), _always),
    Case("warp shape (4, 3)", _warp(np.ones((4, 3))), _always),
    Case("warp 1-D", _warp(np.ones(6)), _always),
    Case("warp NaN", _warp(np.array([[1.0, 0, np.nan], [0, 1, 0]])), _always),
    Case("warp inf", _warp(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, np.inf]])), _always),
    Case("warp singular", _warp(np.array([[1.0, 1, 0], [1, 1, 0]])), _always),
    Case("warp H22 = 0", _warp(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 0]])), _always),
    Case("warp zoom 1e200", _warp(np.array([[1e200, 0, 0], [0, 1e200, 0]])), _always),
    Case("warp anisotropic 1e150", _warp(np.array([[1e150, 0, 0], [0, 1e-150, 0]])), _always),
    Case("warp shear 1e300", _warp(np.array([[1.0, 1e300, 0], [0, 1, 0]])), _always),
    Case("warp zoom 1e-5", _warp(np.array([[1e-5, 0, 0], [0, 1e-5, 0], [0, 0, 1]])), _always),
    Case("warp strings", _warp(np.array([["1", "0", "0"], ["0", "1", "0"]])), _always),
    Case("warp bool", _warp(np.ones((2, 3), bool)), _always),
    Case("warp ragged", _warp([[1.0, 0, 0], [0, 1]]), _always),
    Case("warp a string", _warp("identity"), _always),
    # embeddings (trackers that use them) -----------------------------------------------
    Case("all-zero embedding row", _emb(_zero_row), _with_embeddings),
    Case("all-zero embedding row in a large frame", _emb(_zero_row, rows=300), _with_embeddings),
    Case("NaN written into the embeddings after validation", _written_after(np.nan), _with_embeddings),
    Case("inf written into the embeddings after validation", _written_after(np.inf), _with_embeddings),
    Case("embedding dimension changed", _emb(lambda n, first: _embeddings(n, OTHER_DIM)),
         lambda cls, first: _takes_embeddings(cls) and not first),
    Case("no embeddings where they are required", lambda cls, k, first: Call(_boxes(k), _stamp(k), None),
         lambda cls, first: cls.embeddings == "required"),
]


def _params() -> List[Any]:
    out = []
    for name in TRACKERS:
        cls = tracker_class(name)
        for case in CASES:
            for first in (True, False):
                if case.applies(cls, first):
                    out.append(pytest.param(name, case, first,
                                            id=f"{name}-{'first' if first else 'later'}-{case.label}"))
    return out


def _snapshot(tracker: Any) -> Dict[str, Any]:
    return {"state": state_to_json(tracker.state_dict()), "dropped": tracker.dropped_detections}


@pytest.mark.parametrize("name, case, first", _params())
def test_a_rejected_call_changes_nothing(name: str, case: Case, first: bool) -> None:
    cls = tracker_class(name)
    tracker, twin = mottrack.create_tracker(name), mottrack.create_tracker(name)
    k0 = 0 if first else PRELUDE
    for k in range(k0):
        a = tracker.update(_valid(cls, k), _stamp(k))
        b = twin.update(_valid(cls, k), _stamp(k))
        assert a.tobytes() == b.tobytes()
    if not first:
        assert len(a) > 0  # the later case runs with reported tracks
    before = _snapshot(tracker)
    call = case.make(cls, k0, first)
    with pytest.raises((TypeError, ValueError)):
        tracker.update(call.detections, call.timestamp, call.camera_motion)
    assert _snapshot(tracker) == before
    for k in range(k0, k0 + AFTER):
        a = tracker.update(_valid(cls, k), _stamp(k))
        b = twin.update(_valid(cls, k), _stamp(k))
        assert a.tobytes() == b.tobytes(), f"frame {k}: output differs from the twin's"
    assert tracker.frame_count == twin.frame_count


def test_every_tracker_has_cases_on_both_frames() -> None:
    """The table covers each registered tracker on the first and on a later frame."""
    seen = {(p.values[0], p.values[2]) for p in _params()}
    assert seen == {(n, f) for n in TRACKERS for f in (True, False)}
