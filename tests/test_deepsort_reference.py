"""DeepSORT reproduces the original implementation (nwojke/deep_sort @ f08cf1d) on the two
shared MOT17 sequences with real 128-d embeddings; 8-bit quantised embeddings."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from reference import compare_tracks, load_csv, run_on_frames

import mottrack.trackers.deepsort as ds
from mottrack.detections import Detections

SEQS = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]


def load_npy(seq: str) -> np.ndarray:
    arr = np.load(shared_path("data", "MOT17", "embeddings", "deepsort", f"{seq}.npy"))
    return arr[arr[:, 6] >= 0.3]  # deep_sort_app's min_confidence


def frames_of(arr: np.ndarray, embeddings=None, quantization=None):
    """frame -> Detections, rows in descending score order (the app's NMS with overlap 1.0)."""
    frame = arr[:, 0].astype(np.int64)
    emb = arr[:, 7:] if embeddings is None else embeddings
    cache = {}
    for f in np.unique(frame):
        idx = np.flatnonzero(frame == f)
        idx = idx[np.argsort(-arr[idx, 6], kind="stable")]
        boxes = arr[idx, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        cache[int(f)] = Detections(boxes, arr[idx, 6], embeddings=emb[idx],
                                   embedding_quantization=quantization)
    empty = Detections.empty(emb.shape[1])
    return lambda f: cache.get(f, empty)


def run(arr, **kw):
    tracker = ds.DeepSORT(max_cosine_distance=0.2, nn_budget=100)
    return run_on_frames(tracker, frames_of(arr, **kw), int(arr[:, 0].max()))


@pytest.mark.parametrize("seq", SEQS)
def test_deepsort_matches_reference(seq):
    arr = load_npy(seq)
    ref = load_csv(shared_path("reference", "deepsort", "MOT17_cos0.2_budget100", f"{seq}.txt"))
    compare_tracks(run(arr), ref, box_tol=0.01)


def quantize(e: np.ndarray, kind: str):
    if kind == "int8":
        scale = float(np.abs(e).max() / 127)
        return np.clip(np.round(e / scale), -128, 127).astype(np.int8), (scale, 0)
    lo, hi = float(e.min()), float(e.max())
    scale = (hi - lo) / 255
    zp = int(round(-lo / scale))
    return np.clip(np.round(e / scale) + zp, 0, 255).astype(np.uint8), (scale, zp)


@pytest.mark.parametrize("kind", ["int8", "uint8"])
def test_quantised_embeddings(kind):
    """8-bit per-tensor quantisation (step ~0.003 on unit 128-d vectors) moves cosine
    distances by ~1e-3.  On MOT17-05 no decision flips: the tracks equal the float run
    (on MOT17-09 two output rows differ out of ~2960: a pair at the 0.2 threshold)."""
    arr = load_npy("MOT17-05-FRCNN")
    q, quant = quantize(arr[:, 7:], kind)
    ours = run(arr, embeddings=q, quantization=quant)
    compare_tracks(ours, run(arr), box_tol=1e-9)
    # and exactly what the tracker gives for the dequantised floats
    deq = (q.astype(np.float32) - np.float32(quant[1])) * np.float32(quant[0])
    np.testing.assert_array_equal(ours, run(arr, embeddings=deq))


def test_timestamps_at_the_frame_rate_equal_no_timestamps():
    """Timestamps exactly one nominal frame apart (1/32 s at 32 fps is exact in binary)
    give the very same output as no timestamps; camera clocks (1/30 s steps on an epoch
    of 1.7e9 s, resolution 2.4e-7 s) the same tracks with boxes equal to 1e-3 px."""
    arr = load_npy("MOT17-09-FRCNN")
    frames = frames_of(arr)
    n = int(arr[:, 0].max())
    plain, exact = ds.DeepSORT(frame_rate=32), ds.DeepSORT(frame_rate=32)
    clock = ds.DeepSORT(frame_rate=30)
    t0 = 1700000000.123
    for f in range(1, n + 1):
        a = plain.update(frames(f))
        np.testing.assert_array_equal(a, exact.update(frames(f), timestamp=100.0 + f / 32))
        c = clock.update(frames(f), timestamp=t0 + f / 30)
        np.testing.assert_array_equal(a[:, 4:], c[:, 4:])
        np.testing.assert_allclose(a[:, :4], c[:, :4], rtol=0, atol=1e-3)


def test_state_round_trip_continues_identically(tmp_path):
    from mottrack.state import load_state, save_state
    arr = load_npy("MOT17-09-FRCNN")
    frames = frames_of(arr)
    n = int(arr[:, 0].max())
    a = ds.DeepSORT()
    for f in range(1, n // 2):
        a.update(frames(f))
    save_state(a.state_dict(), tmp_path / "ds.npz")
    b = ds.DeepSORT.from_state(load_state(tmp_path / "ds.npz"))
    assert b.gallery is not a.gallery and b.embedding_dim == 128
    for f in range(n // 2, n + 1):
        np.testing.assert_array_equal(a.update(frames(f)), b.update(frames(f)))
