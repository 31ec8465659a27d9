"""Every tracker's compiled step and the very same code run as plain Python/numpy agree
bit for bit (the "pure numpy path" of the standards), on real detections."""
from __future__ import annotations


import numpy as np
import pytest

import mottrack
from conftest import shared_path
from reference import frames_of, load_csv
from support import pure_python


def _mot_frames(n_frames):
    get = frames_of(load_csv(shared_path("data", "MOT15", "train", "TUD-Campus", "det", "det.txt")))
    return [get(f) for f in range(1, n_frames + 1)]


def _run(tracker, frames, make=lambda d: d):
    return [tracker.update(make(d)) for d in frames]


@pytest.mark.parametrize("name,params", [
    ("sort", {}), ("sort", {"max_age": 3, "min_hits": 1}),
    ("bytetrack", {"track_thresh": 0.5, "match_thresh": 0.8}),
    ("bytetrack", {"track_thresh": 0.7, "match_thresh": 0.8}),
    ("ocsort", {"det_thresh": 0.5}),
    ("ocsort", {"det_thresh": 0.8, "use_byte": True, "asso_func": "giou", "delta_t": 1, "min_hits": 1}),
    ("ocsort", {"det_thresh": 0.6, "asso_func": "ct_dist", "output_box": "kalman", "per_class": True}),
    ("hybridsort", {"det_thresh": 0.5}),
    ("hybridsort", {"det_thresh": 0.8, "asso_func": "giou", "delta_t": 1, "min_hits": 1, "tcm_byte_step": False}),
    ("hybridsort", {"det_thresh": 0.6, "asso_func": "iou", "output_box": "kalman", "per_class": True,
                    "tcm_first_step_weight": 0.5}),
])
def test_compiled_equals_pure_python(name, params):
    frames = _mot_frames(40)
    fast = _run(mottrack.create_tracker(name, **params), frames)
    with pure_python():
        slow = _run(mottrack.create_tracker(name, **params), frames)
    assert len(fast) == len(slow) == 40 and sum(map(len, fast)) > 40
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


def test_deepsort_compiled_equals_pure_python():
    data = np.load(shared_path("data", "MOT17", "embeddings", "deepsort", "MOT17-09-FRCNN.npy"))
    frames = []
    for f in range(1, 31):
        d = data[(data[:, 0] == f) & (data[:, 6] >= 0.3)]
        d = d[np.argsort(-d[:, 6], kind="stable")]
        boxes = d[:, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        frames.append(mottrack.Detections(boxes, d[:, 6], embeddings=d[:, 7:]))
    fast = _run(mottrack.DeepSORT(max_cosine_distance=0.2, nn_budget=100), frames)
    with pure_python():
        slow = _run(mottrack.DeepSORT(max_cosine_distance=0.2, nn_budget=100), frames)
    # the compiled nearest-neighbour dot product may reassociate float32 sums (SIMD), so
    # boxes agree to rounding and the tracks exactly
    for a, b in zip(fast, slow):
        assert a.shape == b.shape
        assert np.array_equal(a[:, 4:], b[:, 4:])
        assert np.allclose(a[:, :4], b[:, :4], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["hybridsort"])
def test_camera_motion_compiled_equals_pure_python(name):
    from reference import half_with_warps
    frames = half_with_warps("MOT17-05", 40, 837)

    def run():
        t = mottrack.create_tracker(name)
        return [t.update(d, camera_motion=w) for d, w in frames]
    fast = run()
    with pure_python():
        slow = run()
    assert sum(map(len, fast)) > 40
    for a, b in zip(fast, slow):
        assert a.tobytes() == b.tobytes()
