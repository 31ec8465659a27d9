"""DeepSORT: hand-worked cases of the algorithm, per-class, timestamps, input checks."""
from __future__ import annotations

import numpy as np
import pytest

import mottrack.trackers.deepsort as ds
from mottrack.detections import Detections
from mottrack.trackers.base import create_tracker

DIM = 8


def unit(angle_deg: float, dim: int = DIM) -> np.ndarray:
    """A unit vector in the plane of the first two axes (cosine distance = 1 - cos(angle))."""
    v = np.zeros(dim, np.float32)
    v[0] = np.cos(np.radians(angle_deg))
    v[1] = np.sin(np.radians(angle_deg))
    return v


def dets(*objs, classes=None) -> Detections:
    """objs: (x1, y1, x2, y2, embedding) tuples."""
    if not objs:
        return Detections.empty(DIM)
    boxes = np.array([o[:4] for o in objs], float)
    emb = np.stack([o[4] for o in objs])
    return Detections(boxes, np.linspace(0.9, 0.8, len(objs)), class_ids=classes, embeddings=emb)


BOX = (100.0, 100.0, 140.0, 200.0)
FAR = (900.0, 100.0, 940.0, 200.0)


def run(tracker, frames):
    return [tracker.update(f) for f in frames]


def ids(out) -> list:
    return out[:, 4].astype(int).tolist()


def test_registered_and_parameters_keep_original_names():
    t = create_tracker("deepsort", max_cosine_distance=0.3, nn_budget=50, max_iou_distance=0.6,
                       max_age=20, n_init=2)
    assert isinstance(t, ds.DeepSORT)
    assert (t.max_cosine_distance, t.nn_budget, t.max_iou_distance, t.max_age, t.n_init) == (0.3, 50, 0.6, 20, 2)
    assert "tracks" in ds.DeepSORT._state_attrs and "gallery" in ds.DeepSORT._state_attrs
    with pytest.raises(ValueError, match="nn_budget"):
        ds.DeepSORT(nn_budget=None)
    with pytest.raises(ValueError, match="nn_budget"):
        ds.DeepSORT(nn_budget=0)
    with pytest.raises(ValueError, match="max_cosine_distance"):
        ds.DeepSORT(max_cosine_distance=-0.1)
    with pytest.raises(ValueError, match="n_init"):
        ds.DeepSORT(n_init=1.5)


def test_n_init_confirmation_and_output_columns():
    t = ds.DeepSORT()
    e = unit(0)
    outs = run(t, [dets(BOX + (e,))] * 4)
    assert [len(o) for o in outs] == [0, 0, 1, 1]  # confirmed at the third detection
    row = outs[2][0]
    assert row[4] == 1 and row[6] == -1 and row[7] == 0 and row[5] == pytest.approx(0.9)
    np.testing.assert_allclose(row[:4], BOX, atol=1e-6)
    t1 = ds.DeepSORT(n_init=1)
    assert [len(o) for o in run(t1, [dets(BOX + (e,))] * 3)] == [0, 1, 1]  # as the original: never at birth


def test_tentative_track_deleted_on_first_miss():
    t = ds.DeepSORT()
    e = unit(0)
    run(t, [dets(BOX + (e,)), dets(BOX + (e,)), dets()])
    assert t.tracks.n == 0
    outs = run(t, [dets(BOX + (e,))] * 3)
    assert ids(outs[-1]) == [2]  # a new track; ids are never reused


def test_confirmed_track_reported_one_frame_after_a_miss_then_deleted_after_max_age():
    t = ds.DeepSORT(max_age=3)
    e = unit(0)
    run(t, [dets(BOX + (e,))] * 3)
    miss = t.update(dets())
    assert ids(miss) == [1] and miss[0, 7] == -1  # deep_sort_app reports time_since_update <= 1
    assert miss[0, 5] == pytest.approx(0.9)  # score of the last detection
    assert len(t.update(dets())) == 0
    t.update(dets())
    assert t.tracks.n == 1  # 3 frames missed: still alive
    t.update(dets())
    assert t.tracks.n == 0  # 4 > max_age: deleted
    assert t.gallery_count.shape[0] >= 1 and t.free_slots.shape[0] == t.gallery.shape[0]


def test_appearance_reidentifies_after_a_gap_within_max_age():
    e_a, e_b = unit(0), unit(90)
    for emb, same in ((unit(10), True), (e_b, False)):
        t = ds.DeepSORT()
        run(t, [dets(BOX + (e_a,))] * 5)
        run(t, [dets()] * 10)  # occluded for 10 frames (< max_age)
        out = run(t, [dets(BOX + (emb,))] * 3)[-1]
        # same appearance (cosine distance 0.015): the old track; different (1.0): a new one
        assert ids(out) == ([1] if same else [2])


def test_gating_rejects_a_far_detection_despite_identical_appearance():
    t = ds.DeepSORT()
    e = unit(0)
    run(t, [dets(BOX + (e,))] * 5)
    out = t.update(dets(FAR + (e,)))
    assert ids(out) == [1] and out[0, 7] == -1  # the track was not updated by the far box
    assert t.tracks.n == 2  # the far detection started its own track


def test_cascade_prefers_the_more_recently_seen_track():
    # Two confirmed tracks 6 px apart, both inside the gate of the final detection and both
    # within max_cosine_distance of it.  Track 2 was missed for 2 frames and its appearance is
    # the closer one (cosine distance 0 against 0.015): a single global assignment would give it
    # the detection.  The cascade visits track 1 (seen in the previous frame) first, so track 1
    # takes it.
    t = ds.DeepSORT()
    near = (106.0, 100.0, 146.0, 200.0)
    run(t, [dets(BOX + (unit(0),), near + (unit(10),))] * 3)   # both confirmed
    run(t, [dets(BOX + (unit(0),))] * 2)                       # track 2 missed twice
    out = t.update(dets((103.0, 100.0, 143.0, 200.0, unit(10))))
    assert ids(out) == [1] and out[0, 7] == 0
    # Control: the same final detection without the recent competitor goes to track 2.
    t = ds.DeepSORT()
    run(t, [dets(BOX + (unit(0),), near + (unit(10),))] * 3)
    run(t, [dets()] * 2)                                       # both missed twice
    out = t.update(dets((103.0, 100.0, 143.0, 200.0, unit(10))))
    assert ids(out) == [2] and out[0, 7] == 0


def test_nn_budget_forgets_old_appearances():
    # e(0) three frames, then e(30), e(60): each within 0.2 of the previous one.  After a gap,
    # e(0) again is 0.5 away from e(60): only a gallery that still holds e(0) re-identifies it.
    seq = [unit(0)] * 3 + [unit(30), unit(60)]
    for budget, same in ((1, False), (100, True)):
        t = ds.DeepSORT(nn_budget=budget)
        run(t, [dets(BOX + (e,)) for e in seq])
        run(t, [dets()] * 2)
        out = run(t, [dets(BOX + (unit(0),))] * 3)[-1]
        assert ids(out) == ([1] if same else [2])
        assert t.gallery_count.max() <= budget


def test_iou_stage_matches_a_track_seen_last_frame_with_changed_appearance():
    t = ds.DeepSORT()
    run(t, [dets(BOX + (unit(0),))] * 4)
    out = t.update(dets(BOX + (unit(90),)))  # appearance fails, IoU (time_since_update 1) holds
    assert ids(out) == [1] and out[0, 7] == 0


def test_per_class():
    e = unit(0)
    frames = [dets(BOX + (e,), classes=[0])] * 3 + [dets(BOX + (e,), classes=[1])]
    shared = run(ds.DeepSORT(), frames)[-1]
    assert ids(shared) == [1] and shared[0, 6] == 1 and shared[0, 7] == 0
    split = run(ds.DeepSORT(per_class=True), frames)[-1]
    assert ids(split) == [1] and split[0, 7] == -1 and split[0, 6] == 0  # track 1 missed


def test_timestamps_drive_the_kalman_step_and_max_age():
    e = unit(0)
    step = 10.0

    def moving(k):
        return dets((BOX[0] + step * k, BOX[1], BOX[2] + step * k, BOX[3], e))

    a, b = ds.DeepSORT(frame_rate=10), ds.DeepSORT(frame_rate=10)
    for k in range(6):
        a.update(moving(k), timestamp=k / 10)
        b.update(moving(k), timestamp=k / 10)
    # a skips 3 frames' worth of time: its prediction moves 4 steps, b's one step
    pa = a.update(dets(), timestamp=0.9)
    pb = b.update(dets(), timestamp=0.6)
    velocity = a.tracks.mean[0, 4]  # px per frame, the same in both (estimated, about step)
    assert velocity == b.tracks.mean[0, 4] and velocity > step / 2
    assert pa[0, 0] - pb[0, 0] == pytest.approx(3 * velocity, rel=1e-9)
    # max_age counts time: 31 frames of time without detections deletes the track in 2 calls
    c = ds.DeepSORT(frame_rate=10)
    for k in range(3):
        c.update(dets(BOX + (e,)), timestamp=k / 10)
    c.update(dets(), timestamp=1.0)
    assert c.tracks.n == 1
    c.update(dets(), timestamp=3.3)
    assert c.tracks.n == 0


def test_bad_input_rejected_and_state_kept():
    t = ds.DeepSORT()
    t.update(dets(BOX + (unit(0),)))
    with pytest.raises(ValueError, match="embeddings"):
        t.update(Detections(np.array([BOX]), np.array([0.9])))  # no embeddings
    with pytest.raises(ValueError, match="embeddings"):
        t.update(np.array([BOX + (0.9,)]))  # plain arrays carry none
    with pytest.raises(ValueError, match="dimension changed from 8 to 4"):
        t.update(Detections(np.array([BOX]), np.array([0.9]), embeddings=np.ones((1, 4))))
    with pytest.raises(ValueError, match="zero length"):
        t.update(Detections(np.array([BOX]), np.array([0.9]), embeddings=np.zeros((1, DIM))))
    assert t.frame_count == 1 and t.tracks.n == 1
    assert len(t.update(None)) == 0 and len(t.update(np.empty((0, 5)))) == 0  # empty frames are fine
    assert t.frame_count == 3
    t.reset()
    assert t.tracks.n == 0 and t.embedding_dim == 0
    t.update(Detections(np.array([BOX]), np.array([0.9]), embeddings=np.ones((1, 4))))


def test_zero_height_detections_are_ignored():
    t = ds.DeepSORT()
    flat = (300.0, 300.0, 340.0, 300.0)
    outs = run(t, [dets(BOX + (unit(0),), flat + (unit(0),))] * 4)
    assert ids(outs[-1]) == [1] and outs[-1][0, 7] == 0
    assert t.tracks.n == 1


def test_embeddings_are_normalised_by_the_tracker():
    a, b = ds.DeepSORT(), ds.DeepSORT()
    rng = np.random.default_rng(1)
    e = rng.normal(size=(3, DIM)).astype(np.float32)
    boxes = np.array([BOX, FAR, (500.0, 500.0, 560.0, 640.0)])
    for k in range(6):
        oa = a.update(Detections(boxes + k, np.ones(3) * 0.9, embeddings=e))
        ob = b.update(Detections(boxes + k, np.ones(3) * 0.9, embeddings=e * 37.0))
        np.testing.assert_array_equal(oa, ob)


def test_galleries_of_deleted_tracks_are_reused():
    t = ds.DeepSORT(max_age=2)
    rng = np.random.default_rng(0)
    for k in range(200):
        # 5 objects, each living 10 frames, at fresh places with fresh appearances
        objs = []
        for i in range(5):
            life = (k + 2 * i) // 10
            x = 100.0 * i + 7.0 * life % 50
            e = np.random.default_rng(life * 10 + i).normal(size=DIM).astype(np.float32)
            objs.append((x, 50.0 * (life % 7), x + 30, 50.0 * (life % 7) + 80, e))
        t.update(dets(*objs))
    assert t.tracks.next_id > 50  # many tracks were born and deleted
    assert t.gallery.shape[0] <= 64  # slots bounded by the live tracks, not the total
    live = t.tracks.ints[: t.tracks.n, ds.SLOT]
    assert len(set(live.tolist())) == len(live)
    free = t.free_slots[: t.gallery.shape[0] - t.tracks.n]
    assert not set(free.tolist()) & set(live.tolist())
    del rng


def test_many_objects_random_stream_invariants():
    rng = np.random.default_rng(3)
    t = ds.DeepSORT()
    held = [set(), set()]  # ids the tracker held after each of the last two frames
    ended = set()
    for _ in range(60):
        n = rng.integers(0, 40)
        xy = rng.uniform(0, 1000, (n, 2))
        boxes = np.column_stack([xy, xy + rng.uniform(10, 80, (n, 2))])
        emb = rng.normal(size=(n, 16)).astype(np.float32)
        d = Detections(boxes, rng.uniform(0.3, 1, n), embeddings=emb) if n else None
        out = t.update(d)
        assert np.isfinite(out).all()
        assert len(set(ids(out))) == len(out)
        now = set(t.track_ids().tolist())
        assert set(ids(out)) <= now
        # Only confirmed tracks are reported: n_init = 3 hits in a row, so a reported track
        # was already held after each of the two previous frames.
        assert set(ids(out)) <= held[-1] & held[-2]
        assert not now & ended  # ids are never reused
        for r in out:
            if r[7] >= 0:
                np.testing.assert_allclose(r[:4], boxes[int(r[7])], atol=50)
        ended |= held[-1] - now
        held = [held[-1], now]
    assert len(ended) > 20
