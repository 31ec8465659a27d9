"""Detector simulator: seeded determinism and rates close to the parameters."""
from __future__ import annotations

import numpy as np
import pytest

from mottrack.eval.simulate import DetectorSimulator, synthetic_scene


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene(400, num_objects=80, concurrent=30, seed=3)


def test_scene_is_crowded_and_valid(scene):
    counts = np.bincount(scene.frames)[1:]
    assert counts.mean() > 15
    assert (scene.boxes[:, 2] > 0).all() and (scene.boxes[:, 3] > 0).all()
    # one row per (frame, id)
    key = scene.frames * 10_000 + scene.ids
    assert np.unique(key).size == key.size


def test_seeded_determinism(scene):
    a = DetectorSimulator(seed=7).simulate(scene)
    b = DetectorSimulator(seed=7).simulate(scene)
    c = DetectorSimulator(seed=8).simulate(scene)
    np.testing.assert_array_equal(a.dets.boxes, b.dets.boxes)
    np.testing.assert_array_equal(a.dets.scores, b.dets.scores)
    np.testing.assert_array_equal(a.embeddings, b.embeddings)
    assert len(a.dets) != len(c.dets) or not np.array_equal(a.dets.boxes, c.dets.boxes)
    assert synthetic_scene(50, 10, 5, seed=1).boxes.tolist() == synthetic_scene(50, 10, 5, seed=1).boxes.tolist()


@pytest.mark.parametrize("miss,fp", [(0.1, 2.0), (0.3, 5.0), (0.0, 0.0)])
def test_rates_follow_parameters(scene, miss, fp):
    sim = DetectorSimulator(miss_rate=miss, fp_per_frame=fp, seed=11)
    out = sim.simulate(scene, 400)
    miss_obs = 1 - out.num_true / out.num_candidates
    assert abs(miss_obs - miss) < 0.03
    assert abs(out.num_false / 400 - fp) < max(0.1 * fp, 0.05)


def test_scores_have_a_low_tail_and_embeddings_identify(scene):
    out = DetectorSimulator(low_score_fraction=0.2, seed=2).simulate(scene)
    tp = out.source_ids >= 0
    s = out.dets.scores
    assert 0.15 < np.mean(s[tp] < 0.5) < 0.25
    assert np.median(s[tp]) > 0.8 and np.median(s[~tp]) < 0.3
    assert ((s > 0) & (s <= 1)).all()
    e = out.embeddings
    assert e.shape == (len(out.dets), 128) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    ids = out.source_ids
    i, j = np.flatnonzero(ids == ids[tp][0])[:2]
    k = np.flatnonzero(tp & (ids != ids[i]))[0]
    assert e[i] @ e[j] > 0.8 > 0.3 > e[i] @ e[k]


def test_jitter_keeps_boxes_close(scene):
    out = DetectorSimulator(miss_rate=0, fp_per_frame=0, jitter=0.02, size_jitter=0.02,
                            seed=4).simulate(scene)
    assert out.num_true == out.num_candidates
    assert len(out.dets) == len(scene)
    # detections are frame-sorted
    assert (np.diff(out.dets.frames) >= 0).all()


def test_visibility_raises_misses():
    from mottrack.io.mot import MotTable
    n = 2000
    t = MotTable.from_arrays(np.arange(1, n + 1), np.ones(n, np.int64),
                             np.tile([10.0, 10, 50, 100], (n, 1)), np.ones(n),
                             np.ones(n, np.int64), np.zeros(n))
    out = DetectorSimulator(miss_rate=0.0, occlusion_miss=0.5, fp_per_frame=0, seed=0).simulate(t)
    assert abs(1 - out.num_true / n - 0.5) < 0.05
