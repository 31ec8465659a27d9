"""Camera warps validated into the tracker's own buffer (``Tracker._warp_buffer``): same
results as a fresh array, across buffer growth, pickling and copies."""
import copy
import pickle

import numpy as np
import pytest

import mottrack
from mottrack.trackers.base import camera_warp


def _frames(n_frames=40, seed=3):
    rng = np.random.default_rng(seed)
    frames = []
    pos = rng.uniform(0, 800, (12, 2))
    for f in range(n_frames):
        pos += rng.normal(0, 2, pos.shape)
        n = 12 if f != 20 else 12 + 90  # one crowded frame: the scratch buffers grow
        p = np.vstack([pos, rng.uniform(0, 800, (n - 12, 2))])
        boxes = np.hstack([p, p + rng.uniform(20, 60, (n, 2))])
        arr = np.ascontiguousarray(np.column_stack([boxes, rng.uniform(0.3, 1.0, n)]))
        c, s = np.cos(rng.normal(0, 2e-3)), np.sin(rng.normal(0, 2e-3))
        warp = np.array([[c, -s, rng.normal(0, 3)], [s, c, rng.normal(0, 3)]])
        if f % 7 == 3:  # a homography now and then
            warp = np.vstack([warp, [1e-6, -2e-6, 1.0]]) * 2.0
        frames.append((arr, warp))
    return frames


def test_camera_warp_into_buffer_equals_fresh_array():
    buf = np.full((3, 3), np.nan)
    for w in (np.array([[1.0, 0.01, 3.0], [-0.01, 1.0, -2.0]]),
              np.array([[2.0, 0.0, 1.0], [0.0, 2.0, 4.0], [1e-4, 0.0, 2.0]])):
        got = camera_warp(w, out=buf)
        assert got is buf
        np.testing.assert_array_equal(got, camera_warp(w))
    # not float64: validated the general way, into a new array, same values
    w = np.array([[1, 0, 3], [0, 1, -2]])
    np.testing.assert_array_equal(camera_warp(w, out=buf), camera_warp(w.astype(float)))
    with pytest.raises(ValueError):
        camera_warp(np.zeros((2, 3)), out=buf)


@pytest.mark.parametrize("name", ["bytetrack", "botsort"])
def test_fast_path_warp_equals_general_path(name):
    """ndarray input (the fused fast path, warp validated into the buffer) against Detections input
    (the general path, the warp as an array), through a frame that grows the buffers."""
    fast, slow = mottrack.create_tracker(name), mottrack.create_tracker(name)
    for arr, warp in _frames():
        a = fast.update(arr, camera_motion=warp)
        b = slow.update(mottrack.Detections(arr[:, :4], arr[:, 4]), camera_motion=warp)
        np.testing.assert_array_equal(a, b)
    assert len(a) > 0


@pytest.mark.parametrize("name", ["bytetrack", "botsort"])
@pytest.mark.parametrize("dup", ["pickle", "deepcopy"])
def test_copied_tracker_warps_like_the_original(name, dup):
    """A pickled or deep-copied tracker holds its own warp buffer: both continue identically
    and neither disturbs the other."""
    frames = _frames()
    t = mottrack.create_tracker(name)
    for arr, warp in frames[:10]:
        t.update(arr, camera_motion=warp)
    u = pickle.loads(pickle.dumps(t)) if dup == "pickle" else copy.deepcopy(t)
    for arr, warp in frames[10:]:
        a = t.update(arr, camera_motion=warp)
        b = u.update(arr, camera_motion=warp)
        np.testing.assert_array_equal(a, b)
    ref = mottrack.create_tracker(name)
    for arr, warp in frames:
        r = ref.update(mottrack.Detections(arr[:, :4], arr[:, 4]), camera_motion=warp)
    np.testing.assert_array_equal(b, r)
