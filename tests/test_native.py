"""The native backend (libmottrack through ctypes) gives the numba trackers' outputs byte for byte.

Every sequence of ../shared/reference/ is replayed, for every tracker the C library has, through
the numba classes and through ``backend="native"``, and every frame's (M, 8) float64 output and
``track_ids()`` must be identical (``np.array_equal``: same bits, no tolerance).  Then real-data
variants (timestamps, camera motion, per_class, output_box="detection", restore-and-continue),
and every kind of bad argument: the same error class as the numba tracker, a message naming the
field, and a tracker that continues exactly as if the call had not happened.

Where the two paths are not bit-identical: DeepSORT's cosine distances (the numba kernel
``_gallery.gallery_max_dot`` is compiled with reassociation and contraction, so its float32 dot
products are summed in an order that depends on the CPU's vector width; C sums in index order).
Those distances only decide matches, never output values; the DeepSORT comparison below is
still exact on the reference sequences (no decision flips), and DEEPSORT_COST_TOL names the
bound on the distance difference that makes that so (float32 rounding of a 128-term sum).

The library is found through $MOTTRACK_NATIVE_LIB or native/build/ of this checkout; when it
is not built these tests skip, except under MOTTRACK_REQUIRE_SHARED=1 (CI builds it first),
where a missing library fails.
"""
from __future__ import annotations

import configparser
import os
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_BUILT = ROOT / "native" / "build" / "libmottrack.so"
if "MOTTRACK_NATIVE_LIB" not in os.environ and _BUILT.is_file():
    os.environ["MOTTRACK_NATIVE_LIB"] = str(_BUILT)  # the installed package has no native/ beside it

import mottrack  # noqa: E402
from mottrack import native  # noqa: E402
from mottrack.detections import Detections  # noqa: E402

from conftest import SHARED, shared_path  # noqa: E402
from reference import frames_of, load_csv  # noqa: E402

#: Bound on |numba - C| of a DeepSORT cosine distance: float32 sums of 128 products of unit
#: vectors in different orders (see the module docstring).
DEEPSORT_COST_TOL = 128 * np.finfo(np.float32).eps


def _library_or_skip() -> list:
    try:
        return native.native_trackers()
    except native.NativeLibraryError as e:
        if os.environ.get("MOTTRACK_REQUIRE_SHARED") == "1":
            pytest.fail(f"MOTTRACK_REQUIRE_SHARED=1 and libmottrack is not built: {e}")
        # Justified: the C library is built by `make -C native` (CI does it before the tests).
        pytest.skip(f"libmottrack not built: {e}")


@pytest.fixture(scope="module")
def c_trackers() -> list:
    return _library_or_skip()


# ------------------------------------------------------------------ reference cases
def _yolox(seq: str) -> np.ndarray:
    return load_csv(shared_path("data", "MOT17", "dets", "yolox_x_ablation", f"{seq}.txt"))


def _mot_det(bench: str, seq: str) -> np.ndarray:
    return load_csv(shared_path("data", bench, "train", seq, "det", "det.txt"))


def _seq_length(seq: str) -> int:
    ini = configparser.ConfigParser()
    ini.read(shared_path("data", "MOT17", "train", f"{seq}-FRCNN", "seqinfo.ini"))
    return int(ini["Sequence"]["seqLength"])


def _plain(det: np.ndarray):
    """Frames 1..max of a det array as the references were fed: (rows, kwargs) per frame."""
    get = frames_of(det)
    return [(get(f), {}) for f in range(1, int(det[:, 0].max()) + 1)]


def _embedded(seq: str, min_score=None, by_score=False):
    """Frames of a DeepSORT .npy file as Detections with their 128-d embeddings."""
    arr = np.load(shared_path("data", "MOT17", "embeddings", "deepsort", f"{seq}.npy"))
    if min_score is not None:
        arr = arr[arr[:, 6] >= min_score]
    frame = arr[:, 0].astype(np.int64)
    out = []
    for f in range(1, int(frame.max()) + 1):
        idx = np.flatnonzero(frame == f)
        if by_score:
            idx = idx[np.argsort(-arr[idx, 6], kind="stable")]
        boxes = arr[idx, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        out.append((Detections(boxes, arr[idx, 6], embeddings=arr[idx, 7:]), {}))
    return out


def _cmc(seq: str):
    """Half-val frames of a YOLOX sequence with BoT-SORT's precomputed camera warps."""
    det = _yolox(seq)
    warps = mottrack.motion.read_warps(shared_path("data", "MOT17", "gmc", f"{seq}.txt"))
    get = frames_of(det)
    first = _seq_length(seq) // 2 + 2
    return [(get(f), {"camera_motion": warps[k]}) for k, f in enumerate(range(first, int(det[:, 0].max()) + 1))]


def reference_cases():
    """(reference dir, sequence, tracker, params, frames-maker) for every reference file."""
    cases = []
    ref = SHARED / "reference"
    for bench in ("MOT15", "MOT17"):
        for p in sorted((ref / "sort" / bench).glob("*.txt")):
            cases.append((f"sort/{bench}", p.stem, "sort", dict(max_age=1, min_hits=3, iou_threshold=0.3),
                          lambda b=bench, s=p.stem: _plain(_mot_det(b, s))))
    for d in sorted((ref / "bytetrack").glob("*")):
        thresh = float(d.name.split("thresh")[1].split("_")[0])
        match = float(d.name.split("match")[1])
        for p in sorted(d.glob("*.txt")):
            load = (lambda s=p.stem: _mot_det("MOT15", s)) if d.name.startswith("MOT15") else \
                (lambda s=p.stem: _yolox(s))
            cases.append((f"bytetrack/{d.name}", p.stem, "bytetrack",
                          dict(track_thresh=thresh, match_thresh=match, track_buffer=30, frame_rate=30),
                          lambda ld=load: _plain(ld())))
    for tracker in ("ocsort", "hybridsort"):
        for d, thresh in (("MOT15_det0.5", 0.5), ("MOT17_yolox", 0.6)):
            for p in sorted((ref / tracker / d).glob("*.txt")):
                load = (lambda s=p.stem: _mot_det("MOT15", s)) if d.startswith("MOT15") else \
                    (lambda s=p.stem: _yolox(s))
                cases.append((f"{tracker}/{d}", p.stem, tracker, dict(det_thresh=thresh), lambda ld=load: _plain(ld())))
    for d in ("MOT15", "MOT17_yolox"):
        for p in sorted((ref / "botsort" / d).glob("*.txt")):
            load = (lambda s=p.stem: _mot_det("MOT15", s)) if d == "MOT15" else (lambda s=p.stem: _yolox(s))
            cases.append((f"botsort/{d}", p.stem, "botsort", {}, lambda ld=load: _plain(ld())))
    for p in sorted((ref / "botsort_cmc" / "MOT17_yolox_halfval").glob("*.txt")):
        cases.append(("botsort_cmc/MOT17_yolox_halfval", p.stem, "botsort", {}, lambda s=p.stem: _cmc(s)))
    for p in sorted((ref / "botsort_reid" / "MOT17").glob("*.txt")):
        cases.append(("botsort_reid/MOT17", p.stem, "botsort", {}, lambda s=p.stem: _embedded(s)))
    for p in sorted((ref / "deepsort" / "MOT17_cos0.2_budget100").glob("*.txt")):
        cases.append(("deepsort/MOT17_cos0.2_budget100", p.stem, "deepsort",
                      dict(max_cosine_distance=0.2, nn_budget=100),
                      lambda s=p.stem: _embedded(s, min_score=0.3, by_score=True)))
    return cases


CASES = reference_cases() if (SHARED / "reference").is_dir() else []


def replay(name: str, params: dict, frames, restore_at=None) -> int:
    """Feed the same frames to the numba tracker and the native one; assert identical output
    rows (bytes) and track ids on every frame.  With ``restore_at`` the native tracker is
    saved, rebuilt from its state bytes and continued at that frame.  Returns the rows seen."""
    py = mottrack.create_tracker(name, **params)
    c = mottrack.create_tracker(name, backend="native", **params)
    rows = 0
    for k, (det, kw) in enumerate(frames):
        if restore_at is not None and k == restore_at:
            c = native.NativeTracker.from_bytes(c.state_bytes())
        a = py.update(det, **kw)
        b = c.update(det, **kw)
        assert a.dtype == b.dtype == np.float64 and a.shape == b.shape, f"frame {k}: {a.shape} vs {b.shape}"
        if not np.array_equal(a, b):
            bad = np.argwhere(a != b)[0]
            pytest.fail(f"{name} frame {k}: row {bad[0]} col {bad[1]}: numba {a[bad[0]]!r} C {b[bad[0]]!r}")
        np.testing.assert_array_equal(py.track_ids(), c.track_ids(), err_msg=f"frame {k}: track ids")
        rows += len(a)
    assert c.frame_count == py.frame_count and c.dropped_detections == py.dropped_detections
    return rows


@pytest.mark.parametrize("ref_dir,seq,name,params,frames", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_reference_sequence_byte_for_byte(c_trackers, ref_dir, seq, name, params, frames):
    # every tracker with a reference here is in C: a missing one is a regression, not a skip
    assert name in c_trackers, f"libmottrack has no {name} (C trackers: {', '.join(c_trackers)})"
    assert replay(name, params, frames()) > 0


def test_every_reference_file_is_replayed(c_trackers):
    """The case list covers every reference output of every tracker the C library has."""
    root = shared_path("reference")
    covered = {(d, s) for d, s, *_ in CASES}
    for p in sorted(root.glob("*/*/*.txt")):
        tracker = p.parent.parent.name.split("_")[0]
        if tracker in c_trackers:
            assert (f"{p.parent.parent.name}/{p.parent.name}", p.stem) in covered, p


def test_c_library_has_the_trackers_it_claims(c_trackers):
    """Every tracker the C library creates is a registered Python tracker."""
    assert set(c_trackers) <= set(mottrack.available_trackers())
    assert {"sort", "bytetrack", "botsort", "ocsort", "deepsort", "hybridsort"} <= set(c_trackers)


# ------------------------------------------------------------------ variants on real data
def _mot17_04(n=400):
    det = _yolox("MOT17-04")
    return det[det[:, 0] <= n]


def _trackers_with(c_trackers):
    return [n for n in c_trackers if mottrack.tracker_class(n).embeddings != "required"]


def test_timestamps(c_trackers):
    """Dropped frames and clock jitter on an epoch clock: elapsed-time Kalman steps and ages."""
    rng = np.random.default_rng(7)
    frames = _plain(_mot17_04())
    t = 1.7e9 + np.where(rng.random(len(frames)) < 0.1, 2, 1).cumsum() / 30.0 + rng.uniform(-4e-3, 4e-3, len(frames))
    frames = [(d, {"timestamp": float(t[k])}) for k, (d, _) in enumerate(frames)]
    for name in _trackers_with(c_trackers):
        assert replay(name, {}, frames) > 0


def test_camera_motion(c_trackers):
    """BoT-SORT's real warps of the walking-camera MOT17-05, affine and as homographies."""
    frames = _cmc("MOT17-05")
    homog = [(d, {"camera_motion": np.vstack([kw["camera_motion"], [1e-7 * (k % 3), -2e-7, 1.0]])})
             for k, (d, kw) in enumerate(frames)]
    for name in _trackers_with(c_trackers):
        assert replay(name, {}, frames) > 0
        assert replay(name, {}, homog) > 0


def test_per_class_and_detection_boxes(c_trackers):
    """Class ids in a 6th column with per_class; output_box="detection" with zero-size boxes
    (ignored; det_index maps past them) every fifth frame."""
    frames = _plain(_mot17_04(300))
    cls = [(np.column_stack([d, (np.arange(len(d)) + k) % 3]).astype(np.float64), kw) for k, (d, kw) in enumerate(frames)]
    deg = []
    for k, (d, kw) in enumerate(frames):
        d = d.copy()
        if k % 5 == 0 and len(d) > 2:
            d[1, 2] = d[1, 0]
        deg.append((d, kw))
    for name in _trackers_with(c_trackers):
        assert replay(name, {"per_class": True}, cls) > 0
        assert replay(name, {"output_box": "detection"}, deg) > 0


def test_observation_centric_settings(c_trackers):
    """Hybrid-SORT's other settings (every similarity -- GIoU and the others make every pair a
    first-round candidate --, TCM off, weighted or negative, no directions, no BYTE, its
    original's name for HMIoU, the Kalman box) and OC-SORT's HMIoU, restored half way."""
    frames = _plain(_mot17_04(200))
    settings = [("hybridsort", dict(asso_func="Height_Modulated_IoU")),
                ("hybridsort", dict(asso_func="giou", tcm_first_step=False)),
                ("hybridsort", dict(asso_func="ciou", tcm_byte_step_weight=3.0, delta_t=0)),
                ("hybridsort", dict(asso_func="diou", use_byte=False, output_box="kalman")),
                ("hybridsort", dict(asso_func="ct_dist", det_thresh=0.5)),
                ("hybridsort", dict(asso_func="iou", inertia=0.0, tcm_first_step_weight=-1.0, per_class=True)),
                ("ocsort", dict(asso_func="hmiou", use_byte=True))]
    for name, params in settings:
        assert replay(name, params, frames, restore_at=100) > 0, (name, params)


def test_restore_and_continue(c_trackers):
    """A native state saved mid-sequence restores into a new tracker that continues exactly."""
    frames = _plain(_mot17_04(300))
    for name in _trackers_with(c_trackers):
        assert replay(name, {}, frames, restore_at=150) > 0
    if "deepsort" in c_trackers:
        assert replay("deepsort", {}, _embedded("MOT17-09-FRCNN", 0.3, True)[:200], restore_at=97) > 0


# ------------------------------------------------------------------ bad input
GOOD = np.array([[10.0, 10.0, 50.0, 90.0, 0.9], [100.0, 20.0, 140.0, 120.0, 0.8]])

BAD_UPDATES = [
    ("nan", dict(detections=np.array([[0.0, 0.0, np.nan, 1.0, 0.9]]))),
    ("inf score", dict(detections=np.array([[0.0, 0.0, 1.0, 1.0, np.inf]]))),
    ("negative size", dict(detections=np.array([[10.0, 10.0, 5.0, 20.0, 0.9]]))),
    ("negative height", dict(detections=np.array([[10.0, 10.0, 20.0, 5.0, 0.9]]))),
    ("too large", dict(detections=np.array([[0.0, 0.0, 1e16, 1.0, 0.9]]))),
    ("wrong columns", dict(detections=np.zeros((2, 3)))),
    ("seven columns", dict(detections=np.zeros((2, 7)))),
    ("ragged", dict(detections=[[0, 0, 1, 1, 0.5], [0, 0, 1]])),
    ("strings", dict(detections=np.array([["a", "b", "c", "d", "e"]]))),
    ("bad class", dict(detections=np.array([[0.0, 0.0, 1.0, 1.0, 0.9, 1.5]]))),
    ("class below -1", dict(detections=np.array([[0.0, 0.0, 1.0, 1.0, 0.9, -2.0]]))),
    ("object", dict(detections=object())),
    ("oversize frame", dict(detections=np.tile(GOOD, (3000, 1)))),
    ("timestamp nan", dict(detections=GOOD, timestamp=float("nan"))),
    ("timestamp str", dict(detections=GOOD, timestamp="1.0")),
    ("timestamp backwards", dict(detections=GOOD, timestamp=-5.0)),
    ("timestamp huge step", dict(detections=GOOD, timestamp=1e300)),
    ("warp shape", dict(detections=GOOD, camera_motion=np.eye(2))),
    ("warp nan", dict(detections=GOOD, camera_motion=np.array([[1, 0, np.nan], [0, 1, 0.0]]))),
    ("warp singular", dict(detections=GOOD, camera_motion=np.zeros((2, 3)))),
    ("warp text", dict(detections=GOOD, camera_motion="identity")),
]


@pytest.mark.parametrize("what,kwargs", BAD_UPDATES, ids=[w for w, _ in BAD_UPDATES])
def test_bad_update_same_error_and_nothing_changes(c_trackers, what, kwargs):
    for name in _trackers_with(c_trackers):
        py = mottrack.create_tracker(name)
        c = mottrack.create_tracker(name, backend="native")
        for k in range(3):  # some tracks and a clock first
            py.update(GOOD + k, timestamp=k / 30)
            c.update(GOOD + k, timestamp=k / 30)
        py.max_detections = c.max_detections = 4000
        before = c.state_bytes()
        with pytest.raises((TypeError, ValueError)) as ep:
            py.update(**kwargs)
        with pytest.raises(ep.type) as ec:
            c.update(**kwargs)
        msg = str(ec.value)
        assert msg and msg.split(":")[0] == str(ep.value).split(":")[0], (name, what, msg, str(ep.value))
        assert c.state_bytes() == before, (name, what)
        np.testing.assert_array_equal(py.update(GOOD + 3, timestamp=0.1), c.update(GOOD + 3, timestamp=0.1))


def test_bad_parameters_same_errors(c_trackers):
    bad = [("sort", dict(max_age=-1)), ("sort", dict(iou_threshold=float("nan"))), ("sort", dict(min_hits=1.5)),
           ("sort", dict(output_box="corner")), ("sort", dict(frame_rate=0)), ("sort", dict(per_class="yes")),
           ("bytetrack", dict(track_thresh="high")), ("ocsort", dict(asso_func="l2")),
           ("ocsort", dict(delta_t=1000)), ("botsort", dict(match_thresh=2.0)), ("sort", dict(bogus=1)),
           ("hybridsort", dict(asso_func="Height Modulated IoU")), ("hybridsort", dict(tcm_byte_step="no")),
           ("hybridsort", dict(tcm_first_step_weight=2e6)), ("hybridsort", dict(delta_t=-1))]
    for name, params in bad:
        if name not in c_trackers:
            continue
        with pytest.raises((TypeError, ValueError)) as ep:
            mottrack.create_tracker(name, **params)
        with pytest.raises(ep.type, match=str(ep.value).split(":")[0]):
            mottrack.create_tracker(name, backend="native", **params)
    with pytest.raises(ValueError, match="backend"):
        mottrack.create_tracker("sort", backend="cuda")


def test_tampered_state_buffers_are_rejected(c_trackers):
    """Flipped bytes, truncation, a state of another tracker: ValueError, tracker unchanged."""
    rng = np.random.default_rng(5)
    frames = _plain(_mot17_04(60))
    for name in _trackers_with(c_trackers):
        c = mottrack.create_tracker(name, backend="native")
        for d, _ in frames[:40]:
            c.update(d)
        good = c.state_bytes()
        other = next(n for n in _trackers_with(c_trackers) if n != name)
        foreign = mottrack.create_tracker(other, backend="native").state_bytes()
        bad = [good[:-1], good[:10], b"", good + b"\0", foreign, bytes(len(good))]
        for _ in range(30):
            b = bytearray(good)
            b[int(rng.integers(len(b)))] ^= 1 << int(rng.integers(8))
            bad.append(bytes(b))
        for b in bad:
            with pytest.raises(ValueError, match="state"):
                c.restore_bytes(b)
            assert c.state_bytes() == good
            if b is foreign:  # a valid state of another tracker type
                assert native.NativeTracker.from_bytes(b).name == other
                continue
            with pytest.raises(ValueError, match="state"):
                native.NativeTracker.from_bytes(b)
        with pytest.raises(TypeError, match="state"):
            c.restore_bytes("not bytes")  # type: ignore[arg-type]
        # and it continues exactly as an untouched copy does
        twin = native.NativeTracker.from_bytes(good)
        for d, _ in frames[40:]:
            np.testing.assert_array_equal(c.update(d), twin.update(d))


def test_classes_take_backend_and_missing_library_is_explained(c_trackers, monkeypatch):
    t = mottrack.SORT(2, 2, backend="native")
    assert isinstance(t, native.NativeTracker) and t.params["max_age"] == 2 and t.params["min_hits"] == 2
    assert isinstance(mottrack.SORT(2), mottrack.SORT)  # numba stays the default
    with pytest.raises(TypeError):
        mottrack.SORT(1, 2, 0.3, 4, backend="native")  # too many positional arguments, as without backend
    monkeypatch.setattr(native, "_lib", None)
    monkeypatch.setenv("MOTTRACK_NATIVE_LIB", "/nonexistent/libmottrack.so")
    with pytest.raises(native.NativeLibraryError, match="make -C native"):
        mottrack.create_tracker("sort", backend="native")


def test_one_instance_shared_between_threads(c_trackers):
    """Concurrent updates run one after another: the outputs are those of some serial order."""
    c = mottrack.create_tracker("sort", backend="native")
    errors = []

    def work():
        try:
            for k in range(200):
                out = c.update(GOOD + (k % 5))
                assert out.shape[1] == 8
        except Exception as e:  # pragma: no cover
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and c.frame_count == 800


def test_deepsort_bad_embeddings_same_error_and_nothing_changes(c_trackers):
    assert "deepsort" in c_trackers, "libmottrack has no deepsort"
    frames = _embedded("MOT17-09-FRCNN", 0.3, True)
    py = mottrack.create_tracker("deepsort")
    c = mottrack.create_tracker("deepsort", backend="native")
    for d, _ in frames[:30]:
        np.testing.assert_array_equal(py.update(d), c.update(d))
    d = frames[30][0]
    e = np.array(d.embeddings)
    zero = e.copy()
    zero[1] = 0.0
    bad = [d.boxes.copy(),                                             # no embeddings
           Detections(d.boxes, d.scores, embeddings=zero),             # a zero-length row
           Detections(d.boxes, d.scores, embeddings=e[:, :64])]        # another dimension
    for det in bad:
        before = c.state_bytes()
        with pytest.raises(ValueError) as ep:
            py.update(det)
        with pytest.raises(ValueError) as ec:
            c.update(det)
        assert str(ec.value).split(":")[0].split()[0] == str(ep.value).split(":")[0].split()[0]
        assert c.state_bytes() == before
    for d, _ in frames[30:60]:  # and both continue identically
        np.testing.assert_array_equal(py.update(d), c.update(d))


def test_deepsort_cost_order_difference_is_within_the_named_tolerance():
    """The one place the C port is not bit-identical by construction: numba's reassociated
    float32 gallery dot products against C's index-order sums, on real 128-d embeddings."""
    from mottrack.trackers._gallery import gallery_max_dot, normalize_rows
    arr = np.load(shared_path("data", "MOT17", "embeddings", "deepsort", "MOT17-09-FRCNN.npy"))
    emb = np.ascontiguousarray(arr[:140, 7:], dtype=np.float32)
    feats = np.empty_like(emb)
    assert normalize_rows(emb, feats) == -1
    gallery = feats[None, :100].copy()
    count = np.array([100], np.int64)
    worst = 0.0
    for row in range(100, 140):
        best = np.float32(-np.inf)
        for v in range(100):  # C: one float32 accumulator, k = 0, 1, 2, ...
            acc = np.float32(0.0)
            for k in range(feats.shape[1]):
                acc = np.float32(acc + np.float32(gallery[0, v, k] * feats[row, k]))
            best = max(best, acc)
        worst = max(worst, abs(float(gallery_max_dot(gallery, count, 0, feats, row)) - float(best)))
    assert worst <= DEEPSORT_COST_TOL
