"""The per-tracker facts of the registry, ``output_box`` and the camera-motion boundary."""
import numpy as np
import pytest

import mottrack
from mottrack.registry import registered_trackers, tracker_class

TRACKERS = registered_trackers()


def test_registry_facts_are_declared_on_the_classes():
    for name in TRACKERS:
        cls = tracker_class(name)
        assert cls.embeddings in ("none", "optional", "required")
        assert cls.feed_order in ("file", "score")
        assert cls.default_min_score is None or 0.0 <= cls.default_min_score <= 1.0
        assert "output_box" in mottrack.tracker_parameters(name)
    # the facts the evaluator relied on when it still listed names
    assert tracker_class("deepsort").embeddings == "required"
    assert tracker_class("deepsort").feed_order == "score"
    assert tracker_class("sort").default_min_score == 0.5
    assert tracker_class("bytetrack").default_min_score is None


def test_registry_finds_the_trackers_it_does_not_import():
    import mottrack.registry as reg
    assert reg.tracker_class("SORT") is mottrack.SORT


def _stream(n_frames=12, seed=0):
    rng = np.random.default_rng(seed)
    base = np.array([[10, 10, 50, 90], [200, 40, 260, 160], [400, 300, 440, 380]], float)
    for f in range(n_frames):
        b = base + f * np.array([3, 1, 3, 1]) + rng.normal(0, 0.5, base.shape)
        yield np.column_stack([b, np.full(3, 0.9)])


def _embed(rows):
    e = np.zeros((rows.shape[0], 8), np.float32)
    e[np.arange(rows.shape[0]), np.arange(rows.shape[0])] = 1.0
    return mottrack.Detections(rows[:, :4], rows[:, 4], None, e)


@pytest.mark.parametrize("name", TRACKERS)
def test_output_box_detection_reports_the_matching_detection(name):
    cls = tracker_class(name)
    a = mottrack.create_tracker(name, output_box="kalman")
    b = mottrack.create_tracker(name, output_box="detection")
    for rows in _stream():
        x = _embed(rows) if cls.embeddings != "none" else rows
        oa, ob = a.update(x), b.update(x)
        np.testing.assert_array_equal(oa[:, 4:], ob[:, 4:])  # same tracks, ids, det rows
        used = ob[:, 7] >= 0
        np.testing.assert_array_equal(ob[used, :4], rows[ob[used, 7].astype(int), :4])
        np.testing.assert_array_equal(ob[~used, :4], oa[~used, :4])
    assert used.any() and not np.array_equal(oa[used, :4], ob[used, :4])


@pytest.mark.parametrize("bad, err", [
    (np.zeros((2, 2)), ValueError), (np.eye(4), ValueError), ([[1, 0, np.nan], [0, 1, 0]], ValueError),
    ([[1, 0, 0], [0, 0, 0]], ValueError), ([[1, 0, 0], [0, 1, 0], [0, 0, 0]], ValueError),
    ("identity", TypeError), ([[1, 0], [0, 1, 0]], TypeError),
])
def test_camera_warp_rejects_bad_warps(bad, err):
    with pytest.raises(err, match="camera_motion"):
        mottrack.camera_warp(bad)


def test_camera_warp_promotes_affine_and_normalises_homography():
    np.testing.assert_array_equal(mottrack.camera_warp([[1, 0, 5], [0, 1, -2]]),
                                  [[1, 0, 5], [0, 1, -2], [0, 0, 1]])
    np.testing.assert_allclose(mottrack.camera_warp(2 * np.eye(3)), np.eye(3))
