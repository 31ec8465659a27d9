"""Bad input is rejected at the boundary with a message naming the field, or handled as documented.

The table mirrors docs/robustness.md.  Nothing here may reach a compiled kernel: no
numba typing error, no ZeroDivisionError from inside a step, no silent NaN output.
"""
from __future__ import annotations

import numpy as np
import pytest

import mottrack
from mottrack import Detections, KalmanBoxFilter, KalmanXYAHFilter, assign, create_tracker, iou_matrix

TRACKERS = mottrack.available_trackers()
GOOD = np.array([[10.0, 20.0, 50.0, 120.0, 0.9]])
BOX = np.array([[10.0, 20.0, 50.0, 120.0]])


def _ro(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _fresh(name, **kw):
    return create_tracker(name, **kw)


def _needs_embeddings(name):
    return mottrack.tracker_class(name).embeddings == "required"


def _update(name, dets, timestamp=None):
    return _fresh(name).update(dets, timestamp)


def _times(name, *stamps):
    t = _fresh(name)
    for s in stamps:
        t.update(_dets_for(name, GOOD), s)


def _dets_for(name, rows):
    rows = np.asarray(rows, dtype=np.float64)
    if _needs_embeddings(name):
        return Detections.from_array(rows, embeddings=np.ones((rows.shape[0], 8), np.float32))
    return rows


# (label, call, exception, message fragment) ------------------------------------------------
DETECTIONS_CASES = [
    ("boxes NaN", lambda: Detections([[0, 0, np.nan, 1]], [1.0]), ValueError, "boxes: row 0, column 2"),
    ("boxes inf", lambda: Detections([[0, 0, np.inf, 1]], [1.0]), ValueError, "boxes"),
    ("boxes x2 < x1", lambda: Detections([[5, 0, 1, 1]], [1.0]), ValueError, "boxes: row 0 has x2 must be >= x1"),
    ("boxes y2 < y1", lambda: Detections([[0, 5, 1, 1]], [1.0]), ValueError, "y2 must be >= y1"),
    ("boxes huge", lambda: Detections([[0, 0, 1e200, 1]], [1.0]), ValueError, "boxes: row 0, column 2 is beyond"),
    ("boxes bool", lambda: Detections(np.ones((1, 4), bool), [1.0]), TypeError, "boxes: .*dtype bool"),
    ("boxes object", lambda: Detections(np.array([[None] * 4]), [1.0]), TypeError, "boxes: .*object"),
    ("boxes complex", lambda: Detections(np.ones((1, 4), complex), [1.0]), TypeError, "boxes: .*complex"),
    ("boxes strings", lambda: Detections([["1", "2", "3", "4"]], [1.0]), TypeError, "boxes: .*<U1"),
    ("boxes (N, 3)", lambda: Detections(np.ones((2, 3)), [1.0, 1.0]), ValueError, r"boxes: expected shape \(N, 4\)"),
    ("boxes (3, 0)", lambda: Detections(np.ones((3, 0)), [1, 1, 1.0]), ValueError, r"boxes: expected shape"),
    ("boxes 3-D", lambda: Detections(np.ones((1, 1, 4)), [1.0]), ValueError, "boxes"),
    ("scores NaN", lambda: Detections(BOX, [np.nan]), ValueError, "scores: row 0"),
    ("scores length", lambda: Detections(BOX, [1.0, 2.0]), ValueError, r"scores: expected shape \(1,\)"),
    ("scores bool", lambda: Detections(BOX, [True]), TypeError, "scores"),
    ("class_ids strings", lambda: Detections(BOX, [1.0], ["person"]), TypeError, "class_ids"),
    ("class_ids bool", lambda: Detections(BOX, [1.0], [True]), TypeError, "class_ids"),
    ("class_ids 1.5", lambda: Detections(BOX, [1.0], [1.5]), ValueError, "class_ids: expected whole numbers"),
    ("class_ids -2", lambda: Detections(BOX, [1.0], [-2]), ValueError, "class_ids: expected values >= -1"),
    ("class_ids uint64 max", lambda: Detections(BOX, [1.0], np.array([2**64 - 1], np.uint64)), ValueError,
     "class_ids: expected values <= 9e15"),
    ("class_ids 1e300", lambda: Detections(BOX, [1.0], [1e300]), ValueError, "class_ids"),
    ("class_ids length", lambda: Detections(BOX, [1.0], [1, 2]), ValueError, "class_ids"),
    ("embeddings 1-D", lambda: Detections(BOX, [1.0], embeddings=np.ones(8)), ValueError,
     r"embeddings: expected shape \(1, D\)"),
    ("embeddings rows", lambda: Detections(BOX, [1.0], embeddings=np.ones((2, 8))), ValueError, "embeddings"),
    ("embeddings D=0", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 0))), ValueError, "embeddings: .*D >= 1"),
    ("embeddings NaN", lambda: Detections(BOX, [1.0], embeddings=np.full((1, 4), np.nan)), ValueError,
     "embeddings: row 0"),
    ("embeddings beyond float32", lambda: Detections(BOX, [1.0], embeddings=np.full((1, 4), 1e300)), ValueError,
     "embeddings: row 0 .*float32"),
    ("embeddings bool", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 4), bool)), TypeError, "embeddings"),
    ("embeddings complex", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 4), complex)), TypeError,
     "embeddings"),
    ("embeddings strings", lambda: Detections(BOX, [1.0], embeddings=np.array([["a"]])), TypeError, "embeddings"),
    ("int8 embeddings without quantization", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 4), np.int8)),
     ValueError, "embedding_quantization"),
    ("quantization scale 0", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 4), np.int8),
                                                embedding_quantization=(0.0, 0)), ValueError, "scale"),
    ("quantization zero_point NaN", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 4), np.int8),
                                                       embedding_quantization=(0.1, np.nan)), ValueError,
     "zero_point"),
    ("quantization not a pair", lambda: Detections(BOX, [1.0], embeddings=np.ones((1, 4), np.int8),
                                                   embedding_quantization="ab"), TypeError,
     "embedding_quantization"),
    ("from_array NaN", lambda: Detections.from_array([[0, 0, 1, np.nan, 1]]), ValueError, "detections: row 0, column 3"),
    ("from_array (N, 7)", lambda: Detections.from_array(np.ones((1, 7))), ValueError,
     r"detections: expected shape \(N, 4\), \(N, 5\) or \(N, 6\)"),
    ("from_array (5, 0)", lambda: Detections.from_array(np.ones((5, 0))), ValueError, "detections: expected shape"),
    ("from_array bool", lambda: Detections.from_array(np.ones((1, 5), bool)), TypeError, "detections"),
    ("from_array huge", lambda: Detections.from_array([[0, 0, 1, 1e16, 1]]), ValueError, "detections: .*beyond"),
    ("from_array class 2.5", lambda: Detections.from_array([[0, 0, 1, 1, 1, 2.5]]), ValueError, "class id"),
    ("from_xywh negative width", lambda: Detections.from_xywh([[0, 0, -1, 1, 1]]), ValueError,
     "detections: row 0 has w must be >= 0"),
    ("from_xywh negative height", lambda: Detections.from_xywh([[0, 0, 1, -1, 1]]), ValueError, "h must be >= 0"),
    ("from_xywh x + w huge", lambda: Detections.from_xywh([[9e14, 0, 9e14, 1, 1]]), ValueError, "x \\+ w"),
    ("as_detections str", lambda: mottrack.as_detections("boxes"), TypeError, "detections: expected Detections"),
]

OTHER_CASES = [
    ("create_tracker unknown", lambda: create_tracker("nope"), ValueError, "unknown tracker 'nope'"),
    ("create_tracker name None", lambda: create_tracker(None), TypeError, "name"),
    ("create_tracker unknown param", lambda: create_tracker("sort", foo=1), ValueError, "unknown parameter.*foo"),
    ("SORT max_age NaN", lambda: create_tracker("sort", max_age=float("nan")), ValueError, "max_age"),
    ("SORT max_age -1", lambda: create_tracker("sort", max_age=-1), ValueError, "max_age"),
    ("SORT min_hits 1.5", lambda: create_tracker("sort", min_hits=1.5), ValueError, "min_hits"),
    ("SORT min_hits '3'", lambda: create_tracker("sort", min_hits="3"), TypeError, "min_hits"),
    ("SORT min_hits True", lambda: create_tracker("sort", min_hits=True), TypeError, "min_hits"),
    ("SORT iou_threshold 2", lambda: create_tracker("sort", iou_threshold=2), ValueError, "iou_threshold"),
    ("iou_matrix NaN", lambda: iou_matrix([[0, 0, np.nan, 1]], BOX), ValueError, "a: row 0"),
    ("iou_matrix inverted box", lambda: iou_matrix(BOX, [[5, 0, 1, 1]]), ValueError, "b: row 0 has x2 < x1"),
    ("iou_matrix strings", lambda: iou_matrix(np.array([["a"] * 4]), BOX), TypeError, "a: .*dtype"),
    ("iou_matrix bool", lambda: iou_matrix(np.ones((1, 4), bool), BOX), TypeError, "a: "),
    ("iou_matrix complex", lambda: iou_matrix(BOX, np.ones((1, 4), complex)), TypeError, "b: "),
    ("iou_matrix object", lambda: iou_matrix(np.array([[None] * 4]), BOX), TypeError, "a: "),
    ("iou_matrix (5,)", lambda: iou_matrix(np.ones(5), BOX), ValueError, r"a: expected shape \(N, 4\)"),
    ("assign NaN", lambda: assign([[np.nan]]), ValueError, "cost: contains NaN"),
    ("assign -inf", lambda: assign([[-np.inf, 1.0]], 2.0), ValueError, "cost: contains -inf"),
    ("assign inf without max_cost", lambda: assign([[np.inf]]), ValueError, "cost: inf entries need"),
    ("assign strings", lambda: assign(np.array([["a"]])), TypeError, "cost"),
    ("assign bool", lambda: assign(np.ones((2, 2), bool)), TypeError, "cost"),
    ("assign complex", lambda: assign(np.ones((2, 2), complex)), TypeError, "cost"),
    ("assign 1-D", lambda: assign(np.ones(3)), ValueError, "cost: expected a 2-D"),
    ("assign max_cost str", lambda: assign(np.ones((2, 2)), "x"), TypeError, "max_cost"),
    ("assign max_cost NaN", lambda: assign(np.ones((2, 2)), float("nan")), ValueError, "max_cost"),
    ("assign backend", lambda: assign(np.ones((2, 2)), backend="x"), ValueError, "backend"),
]

for F in (KalmanBoxFilter, KalmanXYAHFilter):
    n = F.__name__
    OTHER_CASES += [
        (f"{n} initiate NaN", lambda F=F: F().initiate([[0, 0, np.nan, 1]]), ValueError, "boxes: expected finite"),
        (f"{n} initiate zero area", lambda F=F: F().initiate([[0, 0, 0, 1]]), ValueError, "boxes: .*x2 > x1"),
        (f"{n} initiate bool", lambda F=F: F().initiate(np.ones((1, 4), bool)), TypeError, "boxes: .*bool"),
        (f"{n} initiate complex", lambda F=F: F().initiate(np.ones((1, 4), complex)), TypeError, "boxes"),
        (f"{n} initiate strings", lambda F=F: F().initiate(np.array([["a"] * 4])), TypeError, "boxes"),
        (f"{n} initiate 1-D", lambda F=F: F().initiate(np.ones(4)), ValueError, r"boxes: expected shape"),
        (f"{n} predict NaN", lambda F=F: F().predict(float("nan")), ValueError, "dt: expected a finite"),
        (f"{n} predict inf", lambda F=F: F().predict(float("inf")), ValueError, "dt: expected a finite"),
        (f"{n} predict 0", lambda F=F: F().predict(0.0), ValueError, "dt"),
        (f"{n} predict str", lambda F=F: F().predict("1"), TypeError, "dt"),
        (f"{n} predict array", lambda F=F: F().predict(np.array([1.0, 2.0])), TypeError, "dt"),
        (f"{n} capacity -1", lambda F=F: F(-1), ValueError, "capacity"),
        (f"{n} capacity 1.5", lambda F=F: F(1.5), ValueError, "capacity"),
        (f"{n} update float rows", lambda F=F: _kf(F).update([0.5], BOX), TypeError, "rows: expected integer"),
        (f"{n} update bool rows", lambda F=F: _kf(F).update([True], BOX), TypeError, "rows"),
        (f"{n} update row out of range", lambda F=F: _kf(F).update([5], BOX), ValueError, r"rows: expected indices"),
        (f"{n} remove int mask", lambda F=F: _kf(F).remove([1]), TypeError, "keep"),
        (f"{n} remove wrong length", lambda F=F: _kf(F).remove([True, False, True]), ValueError, "keep"),
    ]
OTHER_CASES += [
    ("gating row float", lambda: _kf(KalmanXYAHFilter).gating_distance(0.5, BOX), TypeError, "row"),
    ("gating row str", lambda: _kf(KalmanXYAHFilter).gating_distance("0", BOX), TypeError, "row"),
    ("gating row out of range", lambda: _kf(KalmanXYAHFilter).gating_distance(3, BOX), ValueError, "row"),
    ("gating boxes NaN", lambda: _kf(KalmanXYAHFilter).gating_distance(0, [[0, 0, np.nan, 1]]), ValueError, "boxes"),
]


def _kf(F):
    f = F()
    f.initiate(BOX)
    return f


@pytest.mark.parametrize("label,call,exc,match", DETECTIONS_CASES + OTHER_CASES,
                         ids=[c[0] for c in DETECTIONS_CASES + OTHER_CASES])
def test_bad_input_is_rejected(label, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# tracker.update: the same table for every registered tracker -------------------------------
UPDATE_CASES = [
    ("NaN coordinate", np.array([[0, 0, np.nan, 10, 0.9]]), ValueError, "detections: row 0, column 2"),
    ("inf coordinate", np.array([[0, 0, 10, np.inf, 0.9]]), ValueError, "detections: row 0, column 3"),
    ("NaN score", np.array([[0, 0, 10, 10, np.nan]]), ValueError, "detections: row 0, column 4"),
    ("negative width", np.array([[10, 0, 0, 10, 0.9]]), ValueError, "x2 must be >= x1"),
    ("negative height", np.array([[0, 10, 10, 0, 0.9]]), ValueError, "y2 must be >= y1"),
    ("huge coordinate", np.array([[0, 0, 1e200, 1e200, 0.9]]), ValueError, "beyond"),
    ("bool array", np.ones((1, 5), bool), TypeError, "detections: .*bool"),
    ("object array", np.array([[0, 0, 1, 1, "a"]], object), TypeError, "detections: .*object"),
    ("complex array", np.ones((1, 5), complex), TypeError, "detections: .*complex"),
    ("string array", np.array([["0", "0", "1", "1", "1"]]), TypeError, "detections: .*<U1"),
    ("a string", "0,0,1,1", TypeError, "detections: expected Detections"),
    ("a dict", {"boxes": BOX}, TypeError, "detections: expected Detections"),
    ("1-D array", np.ones(5), ValueError, "detections: expected shape"),
    ("3-D array", np.ones((1, 1, 5)), ValueError, "detections: expected shape"),
    ("7 columns", np.ones((1, 7)), ValueError, "detections: expected shape"),
    ("class 1.5", np.array([[0, 0, 1, 1, 1, 1.5]]), ValueError, "class id"),
    ("class -2", np.array([[0, 0, 1, 1, 1, -2]]), ValueError, "class id"),
]


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("label,dets,exc,match", UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES])
def test_bad_detections_leave_the_tracker_untouched(name, label, dets, exc, match):
    t = _fresh(name)
    t.update(_dets_for(name, GOOD), 1.0)
    before = t.state_dict()
    with pytest.raises(exc, match=match):
        t.update(dets, 2.0)
    after = t.state_dict()
    assert after["frame_count"] == before["frame_count"] == 1
    assert after["last_timestamp"] == 1.0
    # the whole state (track table, galleries, counters), not just the table
    from mottrack.state import state_to_json
    assert state_to_json(after) == state_to_json(before)
    assert t.dropped_detections == 0
    # and it keeps working
    assert np.isfinite(t.update(_dets_for(name, GOOD), 2.0)).all()


TIMESTAMP_CASES = [
    ("backwards", (1.0, 0.5), ValueError, "timestamp: must increase"),
    ("repeated", (1.0, 1.0), ValueError, "timestamp: must increase"),
    ("NaN first", (float("nan"),), ValueError, "timestamp: expected a finite"),
    ("NaN later", (1.0, float("nan")), ValueError, "timestamp: expected a finite"),
    ("inf", (1.0, float("inf")), ValueError, "timestamp: expected a finite"),
    ("string", ("1.0",), TypeError, "timestamp: expected seconds"),
    ("bool", (True,), TypeError, "timestamp"),
    ("array", (np.array([1.0, 2.0]),), TypeError, "timestamp"),
    ("complex", (1j,), TypeError, "timestamp"),
]


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("label,stamps,exc,match", TIMESTAMP_CASES, ids=[c[0] for c in TIMESTAMP_CASES])
def test_bad_timestamps(name, label, stamps, exc, match):
    with pytest.raises(exc, match=match):
        _times(name, *stamps)


@pytest.mark.parametrize("name", TRACKERS)
def test_constructor_common_params(name):
    with pytest.raises(ValueError, match="frame_rate"):
        create_tracker(name, frame_rate=0)
    with pytest.raises(ValueError, match="frame_rate"):
        create_tracker(name, frame_rate=float("inf"))
    for rate in (5e-324, 9.9e-7, 1.0000001e6, 1e300):  # 5e-324 made the clock inf
        with pytest.raises(ValueError, match=r"frame_rate: expected a value in \[1e-06, 1000000.0\]"):
            create_tracker(name, frame_rate=rate)
    with pytest.raises(TypeError, match="frame_rate"):
        create_tracker(name, frame_rate="30")
    with pytest.raises(TypeError, match="per_class"):
        create_tracker(name, per_class="no")


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("rate", [1e-6, 1e6])
def test_the_clock_stays_finite_at_the_frame_rate_bounds(name, rate):
    """At frame_rate 5e-324 a frame without timestamp after a timestamped one advanced the
    clock by 1 / frame_rate = inf, and the tracker's own state no longer loaded."""
    t = create_tracker(name, frame_rate=rate)
    t.update(_dets_for(name, GOOD), timestamp=1.7e308)
    for _ in range(3):
        t.update(_dets_for(name, GOOD))
    restored = mottrack.Tracker.from_state(t.state_dict())
    assert restored.update(_dets_for(name, GOOD)).tobytes() == t.update(_dets_for(name, GOOD)).tobytes()


# documented handling (no error) --------------------------------------------------------------
@pytest.mark.parametrize("name", TRACKERS)
def test_zero_area_detections_are_ignored_and_counted(name):
    t = _fresh(name)
    good = np.array([[0, 0, 40, 100, 0.9], [200, 200, 240, 300, 0.9]])
    rows = np.array([[5, 5, 5, 50, 0.9], good[0], [7, 7, 30, 7, 0.95], good[1], [9, 9, 9, 9, 0.9]])
    ref = _fresh(name)
    for f in range(6):
        out = t.update(_dets_for(name, rows + f))
        exp = ref.update(_dets_for(name, good + f))
        # the same tracks as without the degenerate rows; det_index in the caller's numbering
        assert np.array_equal(out[:, :7], exp[:, :7])
        remap = np.array([1, 3])
        assert np.array_equal(out[:, 7], np.where(exp[:, 7] >= 0, remap[exp[:, 7].astype(int)], -1))
    assert t.dropped_detections == 18
    assert ref.dropped_detections == 0
    # through the Detections path too (no fast path)
    d = Detections(rows[:, :4] + 10, rows[:, 4],
                   embeddings=np.ones((5, 8), np.float32) if _needs_embeddings(name) else None)
    assert np.isfinite(t.update(d)).all()
    assert t.dropped_detections == 21


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("layout", ["fortran", "strided", "readonly", "float32", "int64", "list", "(N,4)"])
def test_unusual_layouts_work(name, layout):
    base = np.array([[10, 20, 50, 120, 0.9], [300, 200, 340, 330, 0.8], [600, 20, 650, 140, 0.7]])
    conv = {
        "fortran": np.asfortranarray(base),
        "strided": np.repeat(base, 2, axis=0)[::2],
        "readonly": _ro(base),
        "float32": base.astype(np.float32),
        "int64": base.astype(np.int64),
        "list": base.tolist(),
        "(N,4)": base[:, :4].copy(),
    }[layout]
    if _needs_embeddings(name):
        emb = np.ones((3, 8), np.float32)
        emb.flags.writeable = False
        arr = np.asarray(conv)
        if arr.shape[1] == 4:
            arr = np.column_stack([arr, np.ones(3)])
        a = Detections.from_array(arr, embeddings=emb[:, ::1] if layout != "strided" else np.ones((3, 16))[:, ::2])
        b = Detections.from_array(np.asarray(arr, dtype=np.float64).copy(), embeddings=np.ones((3, 8)))
    else:
        a = conv
        b = np.asarray(conv, dtype=np.float64).copy()
    t1, t2 = _fresh(name), _fresh(name)
    for _ in range(4):
        o1, o2 = t1.update(a), t2.update(b)
        assert o1.tobytes() == o2.tobytes()


@pytest.mark.parametrize("name", TRACKERS)
def test_empty_frames_in_every_spelling(name):
    t = _fresh(name)
    t.update(_dets_for(name, GOOD))
    spellings = [None, [], np.empty((0, 5)), np.empty((0,)), np.empty((0, 6)), np.empty((0, 4)),
                 Detections.empty(), Detections.empty(8)]
    for s in spellings:
        out = t.update(s)
        assert out.shape[1] == 8 and out.dtype == np.float64 and np.isfinite(out).all()


@pytest.mark.parametrize("name", TRACKERS)
def test_huge_time_gap_and_large_coordinates_stay_finite(name):
    t = _fresh(name)
    big = np.array([[1e14, 1e14, 1e14 + 5e13, 1e14 + 9e13, 0.9], [0, 0, 1e-3, 1e-3, 0.9]])
    for k in range(5):
        assert np.isfinite(t.update(_dets_for(name, big + k), float(k))).all()
    assert np.isfinite(t.update(_dets_for(name, big), 1e12)).all()  # a gap of 3e13 frames
    assert np.isfinite(t.update(_dets_for(name, big), 1e12 + 1 / 30)).all()


def test_deepsort_embedding_errors():
    t = _fresh("deepsort")
    with pytest.raises(ValueError, match="embeddings"):
        t.update(GOOD)  # no embeddings
    t.update(Detections.from_array(GOOD, embeddings=np.ones((1, 8))))
    with pytest.raises(ValueError, match="embeddings: dimension changed from 8 to 4"):
        t.update(Detections.from_array(GOOD, embeddings=np.ones((1, 4))))
    with pytest.raises(ValueError, match="embeddings"):
        t.update(Detections.from_array(GOOD, embeddings=np.zeros((1, 8))))  # zero-length descriptor
    assert np.isfinite(t.update(Detections.from_array(GOOD, embeddings=np.ones((1, 8))))).all()


# =========================================================================== issue 13
# Values that passed validation but broke the arithmetic, objects changed after
# validation, decoders, unclear errors.  Each case failed (crash, wrong error, corrupt
# tracker) before the fix it names.

def _n_tracks(t):
    return len(t.tracks)


@pytest.mark.parametrize("name", TRACKERS)
def test_boxes_below_min_side_are_ignored_like_zero_area(name):
    """Sides of 1e-170 passed the finite/positive checks, their area underflowed to 0:
    SORT raised ZeroDivisionError on every later call, the others started a track a frame."""
    t = _fresh(name)
    tiny = np.array([[10.0, 20.0, 10.0 + 1e-170, 20.0 + 1e-170, 0.9],
                     [5.0, 5.0, 5.0 + 1e-7, 9.0, 0.9]])  # also one side < MIN_BOX_SIDE
    for _ in range(4):
        out = t.update(_dets_for(name, tiny))
        assert out.shape == (0, 8)
    assert _n_tracks(t) == 0 and t.dropped_detections == 8
    mixed = np.vstack([tiny, GOOD])
    out = t.update(_dets_for(name, mixed))
    assert _n_tracks(t) == 1 and t.dropped_detections == 10
    assert np.isin(out[:, 7], [-1, 2]).all()  # det_index refers to the caller's rows


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("stamp, match", [(1e308, "MAX_TIME_STEP"), (10 ** 400, "beyond float range"),
                                          (-10 ** 400, "beyond float range")])
def test_time_step_beyond_the_domain_is_rejected_and_the_clock_kept(name, stamp, match):
    """A jump of 1e308 s raised OverflowError and left the clock advanced."""
    t = _fresh(name)
    t.update(_dets_for(name, GOOD), 0.0)
    before = t.state_dict()
    with pytest.raises(ValueError, match=match):
        t.update(_dets_for(name, GOOD), stamp)
    assert t.frame_count == 1 and t._last_timestamp == 0.0
    after = t.state_dict()
    assert after["last_timestamp"] == before["last_timestamp"]
    assert t.update(_dets_for(name, GOOD), 1 / 30).shape[1] == 8


@pytest.mark.parametrize("name", TRACKERS)
def test_parameters_beyond_int64_float_range_or_nan_are_clear_value_errors(name):
    """10**400 raised OverflowError, NaN for an integer parameter 'cannot convert float NaN',
    integers beyond int64 were accepted and failed inside numba."""
    params = mottrack.tracker_parameters(name)
    ints = [k for k, v in params.items() if isinstance(v, int) and not isinstance(v, bool)]
    floats = [k for k, v in params.items() if isinstance(v, float)]
    assert ints or floats
    from mottrack.trackers.base import check_number
    for k in ints + floats:
        for bad in (10 ** 400, -10 ** 400):
            with pytest.raises(ValueError, match=k):
                create_tracker(name, **{k: bad})
    whole = []  # parameters that must be whole numbers
    for k in ints:
        try:
            create_tracker(name, **{k: params[k] + 0.5})
        except ValueError as exc:
            if "whole number" in str(exc):
                whole.append(k)
    assert whole or set(ints) <= {"track_buffer", "frame_rate"}  # these may be fractional
    for k in whole:
        for bad in (float("nan"), float("inf"), 2 ** 63, -(2 ** 63) - 1):
            with pytest.raises(ValueError, match=k):
                create_tracker(name, **{k: bad})
    with pytest.raises(ValueError, match="n: expected a whole number"):
        check_number("n", float("nan"), integer=True)
    with pytest.raises(ValueError, match="within int64"):
        check_number("n", 2 ** 63, integer=True)
    assert check_number("n", 2 ** 63 - 1, integer=True) == 2 ** 63 - 1


def test_detections_cannot_change_after_validation():
    """Replacing d.scores by a shorter array made compiled code read out of bounds."""
    boxes = np.array([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 15.0, 30.0]])
    scores = np.array([0.9, 0.8])
    d = Detections(boxes, scores)
    for field in ("boxes", "scores", "class_ids", "embeddings"):
        with pytest.raises(AttributeError):
            setattr(d, field, np.zeros(1))
    with pytest.raises(ValueError, match="read-only"):
        d.boxes[0, 0] = np.nan
    with pytest.raises(ValueError, match="read-only"):
        d.scores[:] = np.inf
    boxes[0, 2] = np.nan  # the caller's arrays are not the validated ones
    scores[1] = np.inf
    assert np.isfinite(d.boxes).all() and np.isfinite(d.scores).all()
    e = np.ones((2, 8), np.float32)
    de = Detections(boxes[1:], scores[:1], embeddings=e[:1])
    with pytest.raises(ValueError, match="read-only"):
        de.embeddings[0, 0] = 0.0
    for name in TRACKERS:
        t = _fresh(name)
        d2 = Detections(np.array([[0.0, 0.0, 10.0, 20.0], [50.0, 5.0, 65.0, 30.0]]), [0.9, 0.8],
                        embeddings=np.ones((2, 8), np.float32) if _needs_embeddings(name) else None)
        v = d2.scores
        v.shape = (2, 1)  # numpy allows this even on a read-only array: only the view changes
        d2.boxes.dtype = np.float32
        assert d2.scores.shape == (2,) and d2.boxes.dtype == np.float64
        ref = _fresh(name).update(Detections(d2.boxes, d2.scores, embeddings=d2.embeddings))
        assert t.update(d2).tobytes() == ref.tobytes()


def test_deepsort_rechecks_embeddings_the_caller_changed():
    """Float32 embeddings are a read-only view of the caller's array: a NaN written into
    that array later is caught when DeepSORT normalises the rows (tracker unchanged)."""
    e = np.ones((1, 8), np.float32)
    d = Detections(BOX, [0.9], embeddings=e)
    e[0, 3] = np.nan
    t = _fresh("deepsort")
    with pytest.raises(ValueError, match="embeddings: row 0"):
        t.update(d)
    assert t.frame_count == 0 and _n_tracks(t) == 0


@pytest.mark.parametrize("call, match", [
    (lambda: create_tracker("sort").update([[0, 0, 10, 20, 0.9], [1, 2]]), "detections: .*ragged"),
    (lambda: Detections([[0, 0, 10, 20], [0, 0, 1]], [0.9, 0.8]), "boxes: .*ragged"),
    (lambda: Detections([[0, 0, 10, 20]], [[0.9], 0.8]), "scores: .*ragged"),
    (lambda: Detections([[0, 0, 10, 20]], [0.9], [[1], 2]), "class_ids: .*ragged"),
    (lambda: Detections([[0, 0, 10, 20]], [0.9], embeddings=[[1.0, 2.0], [3.0]]), "embeddings: .*ragged"),
])
def test_ragged_lists_name_the_field(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("scale", [1e20, 1e-25, 3e38 / 16])
def test_deepsort_extreme_but_valid_embeddings_are_normalised(scale):
    """Sums of squares overflowing/underflowing float32 were reported as 'zero length'."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 16)).astype(np.float32)
    boxes = np.array([[0, 0, 10, 20], [50, 0, 60, 20], [100, 0, 110, 20]], np.float64)
    a, b = _fresh("deepsort", n_init=1), _fresh("deepsort", n_init=1)
    for k in range(4):
        oa = a.update(Detections(boxes + k, np.full(3, 0.9), embeddings=base))
        ob = b.update(Detections(boxes + k, np.full(3, 0.9), embeddings=(base * np.float32(scale))))
        np.testing.assert_allclose(oa, ob, rtol=1e-6)
    with pytest.raises(ValueError, match="zero length"):
        b.update(Detections(boxes, np.full(3, 0.9), embeddings=np.zeros((3, 16), np.float32)))


@pytest.mark.parametrize("name", TRACKERS)
def test_more_than_max_detections_is_a_clear_error(name):
    t = _fresh(name)
    n = t.max_detections + 1
    rows = np.column_stack([np.arange(n) * 20.0, np.zeros(n), np.arange(n) * 20.0 + 10, np.full(n, 20.0),
                            np.full(n, 0.9)])
    with pytest.raises(ValueError, match="max_detections"):
        t.update(_dets_for(name, rows))
    assert t.frame_count == 0
    t.max_detections = n
    assert t.update(_dets_for(name, rows)).shape[1] == 8


def test_ssd_decoder_validates_like_update():
    """An inf score went into Detections (and the tracker, and a state that cannot load)."""
    from mottrack.io.larod import ssd_to_detections
    from test_larod import ssd_outputs
    outs = ssd_outputs([(0.1, 0.2, 0.5, 0.6, 0, np.inf)])
    with pytest.raises(ValueError, match="ssd_to_detections: scores row 0 is inf"):
        ssd_to_detections(outs, (640, 480))
    for size in [(1e300, 480), (640, float("nan")), (10 ** 400, 1), ("a", 1)]:
        with pytest.raises(ValueError, match="frame_size"):
            ssd_to_detections(ssd_outputs([(0.1, 0.2, 0.5, 0.6, 0, 0.9)]), size)
    with pytest.raises(ValueError, match="score_threshold"):
        ssd_to_detections(ssd_outputs([(0.1, 0.2, 0.5, 0.6, 0, 0.9)]), (640, 480), score_threshold=np.nan)
    d = ssd_to_detections(ssd_outputs([(0.1, 0.2, 0.5, 0.6, 0, 0.9)]), (640, 480))
    with pytest.raises(ValueError, match="read-only"):
        d.scores[0] = np.inf


def test_yolov5_decoder_rejects_absurd_quantisation_and_letterbox_sizes():
    from mottrack.io.larod import yolov5_to_detections
    t = np.zeros((1, 4, 85), np.uint8)
    t[0, 0, :4] = (100, 100, 20, 20)
    t[0, 0, 4] = 250
    t[0, 0, 5] = 250
    ok = yolov5_to_detections(t, (640, 480), quantization=(1 / 255, 0))
    assert len(ok) == 1 and np.isfinite(ok.boxes).all()
    with pytest.raises(ValueError, match="quantization: scale .* dequantises"):
        yolov5_to_detections(t, (640, 480), quantization=(1e300, 0))
    for size in [(1e-300, 1), (0, 640), (np.inf, 640), (10 ** 400, 640)]:
        with pytest.raises(ValueError, match="input_size"):
            yolov5_to_detections(t, (640, 480), quantization=(1 / 255, 0), letterbox=True, input_size=size)
    with pytest.raises(ValueError, match="max_detections"):
        yolov5_to_detections(t, (640, 480), quantization=(1 / 255, 0), max_detections=2 ** 70)
    f = np.zeros((1, 3, 85), np.float32)
    f[0, :, :4] = (0.5, 0.5, 0.1, 0.1)
    f[0, :, 4] = (0.9, 3e38, 0.9)
    f[0, :, 5] = (0.9, 3e38, np.inf)  # overflowing / inf scores: those rows are dropped
    d = yolov5_to_detections(f, (640, 480))
    assert len(d) == 1 and np.isfinite(d.scores).all() and np.isfinite(d.boxes).all()


def test_mot_files_with_values_beyond_float_range_name_file_and_line(tmp_path):
    from mottrack.io.mot import MotFormatError, read_gt, read_results, read_seqinfo
    p = tmp_path / "gt.txt"
    p.write_text("1,1,10,20,30,40,1,1,1\n2,1,1e400,20,30,40,1,1,1\n")
    with pytest.raises(MotFormatError, match=r"gt.txt:2: column 3 is '1e400'"):
        read_gt(p)
    q = tmp_path / "res.txt"
    q.write_text("1,1,10,20,-1e999,40,1,-1,-1,-1\n")
    with pytest.raises(MotFormatError, match="res.txt:1"):
        read_results(q)
    s = tmp_path / "seqinfo.ini"
    s.write_text("[Sequence]\nname=100%_real\nframeRate=25\nseqLength=3\nimWidth=640\nimHeight=480\n")
    assert read_seqinfo(s).name == "100%_real"  # '%' used to raise InterpolationSyntaxError
    for bad in ("frameRate=nan", "frameRate=inf", "seqLength=-3", "seqLength=10000000000000",
                "imWidth=%(x)s"):
        key = bad.split("=")[0]
        text = "[Sequence]\nframeRate=25\nseqLength=3\nimWidth=640\nimHeight=480\n".replace(
            f"{key}=" + {"frameRate": "25", "seqLength": "3", "imWidth": "640"}[key], bad)
        s.write_text(text)
        with pytest.raises(MotFormatError, match=f"seqinfo.ini: {key}"):
            read_seqinfo(s)


@pytest.mark.parametrize("argv, match", [(["--min-score", "nan"], "finite"), (["--fps", "inf"], "finite"),
                                         (["--min-score", "sort=inf"], "finite")])
def test_cli_rejects_non_finite_options_without_traceback(argv, match, capsys):
    from mottrack.eval.cli import main
    code = main(["nowhere"] + argv)
    err = capsys.readouterr().err
    assert code == 2 and match in err and "Traceback" not in err


def test_state_json_that_is_not_an_object_is_a_value_error():
    from mottrack.state import state_from_json
    for text in ("[]", "1", '"x"', "null", "[" * 5000 + "]" * 5000):
        with pytest.raises(ValueError, match="state JSON"):
            state_from_json(text)


@pytest.mark.slow_host_sensitive  # a child under a CPU-time limit (see tests/support.py)
def test_deepsort_iou_stage_cost_is_not_quadratic():
    """5000 scattered detections a frame (all new, tentative tracks): the IoU stage compared
    every track with every detection, 2.8 s a frame; the sparse sweep makes it ~10 ms.  Ten
    such frames must fit in 5 s of CPU (a resource limit in a child, not a timing)."""
    from support import run_limited
    run_limited("""
        import numpy as np, mottrack
        rng = np.random.default_rng(0)
        def frame(n):
            xy = rng.uniform(0, 1900, (n, 2)) * [1, 0.55]
            b = np.column_stack([xy, xy + rng.uniform(4, 12, (n, 2))])
            return mottrack.Detections(b, np.full(n, 0.9), embeddings=rng.normal(size=(n, 16)))
        mottrack.create_tracker("deepsort").update(frame(50))
        frames = [frame(5000) for _ in range(10)]
        t = mottrack.create_tracker("deepsort")
        LIMIT()
        for f in frames:
            t.update(f)
        assert len(t.tracks) > 1000
    """, mem_mb=500, cpu_s=5)
