"""The fused one-call step grows the track table and workspace itself when a frame does
not fit (the kernel reports ``NEED_ROOM`` before changing anything; ``update`` grows the
tables and steps again): the output equals that of the general path, which grows them
before its step."""
from __future__ import annotations

import numpy as np
import pytest

import mottrack


def _frames(counts, seed=0):
    """Frames of objects on a jittered grid (object k keeps its cell), with ``counts[f]``
    of them visible in frame f and scores spread over the low and high bands."""
    rng = np.random.default_rng(seed)
    most = max(counts)
    cols = int(np.ceil(np.sqrt(most)))
    cell = np.array([(k % cols, k // cols) for k in range(most)], float) * 60.0
    frames = []
    for f, n in enumerate(counts):
        xy = cell[:n] + f * 1.5 + rng.normal(0, 0.5, (n, 2))
        boxes = np.column_stack([xy, xy + [30.0, 50.0]])
        scores = rng.uniform(0.05, 1.0, n)
        frames.append(np.ascontiguousarray(np.column_stack([boxes, scores])))
    return frames


@pytest.mark.parametrize("name", ["sort", "bytetrack", "botsort"])
def test_frames_beyond_the_tables_grow_them_and_match_the_general_path(name):
    counts = [1, 3, 3, 200, 210, 5, 0, 600, 590, 50, 700]
    fast = mottrack.create_tracker(name)
    general = mottrack.create_tracker(name)
    rows0 = fast.tracks.mean.shape[0]
    for rows in _frames(counts):
        a = fast.update(rows)
        b = general.update(mottrack.Detections(rows[:, :4], rows[:, 4]))
        assert np.array_equal(a, b)
        assert fast.frame_count == general.frame_count
        assert np.array_equal(fast.track_ids(), general.track_ids())
    assert fast.tracks.mean.shape[0] > rows0  # the fused step did have to grow the table
    assert len(a) > 0 and fast._err[0] == 0
