"""Kalman filters: compiled kernels vs filterpy (the reference oracle) and vs the numpy twins."""
from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

from mottrack.kalman import (STD_WEIGHT_POSITION, STD_WEIGHT_VELOCITY, KalmanBoxFilter,
                             KalmanXYAHFilter, xyah_predict_numpy, xyah_update_numpy,
                             xysr_predict_numpy, xysr_update_numpy)


def _random_walk(rng, steps, p_update=0.8):
    box = np.array([100.0, 100.0, 150.0, 220.0])
    for _ in range(steps):
        if rng.random() < p_update:
            box = box + rng.normal(0, 3, 4)
            box[2:] = np.maximum(box[2:], box[:2] + 5)
            yield box.copy()
        else:
            yield None


def _xysr(b):
    w, h = b[2] - b[0], b[3] - b[1]
    return np.array([b[0] + w / 2, b[1] + h / 2, w * h, w / h])


def _xyah(b):
    w, h = b[2] - b[0], b[3] - b[1]
    return np.array([b[0] + w / 2, b[1] + h / 2, w / h, h])


def _close(a, b, tol=1e-9):
    scale = max(1.0, float(np.abs(b).max()))
    return float(np.abs(a - b).max()) / scale <= tol


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sort_filter_matches_filterpy(seed):
    """SORT's filter as abewley/sort sets up filterpy, over 1000 random predict/update steps."""
    rng = np.random.default_rng(seed)
    kf = KalmanFilter(dim_x=7, dim_z=4)
    kf.F = np.eye(7)
    kf.F[0, 4] = kf.F[1, 5] = kf.F[2, 6] = 1
    kf.H = np.eye(4, 7)
    kf.R[2:, 2:] *= 10.0
    kf.P[4:, 4:] *= 1000.0
    kf.P *= 10.0
    kf.Q[-1, -1] *= 0.01
    kf.Q[4:, 4:] *= 0.01
    first = np.array([100.0, 100.0, 150.0, 220.0])
    kf.x[:4, 0] = _xysr(first)
    ours = KalmanBoxFilter()
    ours.initiate(first[None])
    for box in _random_walk(rng, 1000):
        if kf.x[6, 0] + kf.x[2, 0] <= 0:
            kf.x[6] *= 0.0
        kf.predict()
        ours.predict()
        assert _close(ours.mean[0], kf.x[:, 0]) and _close(ours.covariance[0], kf.P)
        if box is not None:
            kf.update(_xysr(box))
            ours.update([0], box[None])
            assert _close(ours.mean[0], kf.x[:, 0]) and _close(ours.covariance[0], kf.P)


@pytest.mark.parametrize("seed", [0, 1])
def test_xyah_filter_matches_filterpy(seed):
    """The DeepSORT/ByteTrack filter as filterpy with height-dependent Q and R each step."""
    rng = np.random.default_rng(seed)
    first = np.array([100.0, 100.0, 150.0, 220.0])
    kf = KalmanFilter(dim_x=8, dim_z=4)
    kf.F = np.eye(8)
    for i in range(4):
        kf.F[i, i + 4] = 1.0
    kf.H = np.eye(4, 8)
    z = _xyah(first)
    kf.x[:4, 0] = z
    h = z[3]
    sp, sv = STD_WEIGHT_POSITION, STD_WEIGHT_VELOCITY
    kf.P = np.diag(np.square([2 * sp * h, 2 * sp * h, 1e-2, 2 * sp * h,
                              10 * sv * h, 10 * sv * h, 1e-5, 10 * sv * h]))
    ours = KalmanXYAHFilter()
    ours.initiate(first[None])
    for box in _random_walk(rng, 1000):
        h = kf.x[3, 0]
        kf.Q = np.diag(np.square([sp * h, sp * h, 1e-2, sp * h, sv * h, sv * h, 1e-5, sv * h]))
        kf.predict()
        ours.predict()
        assert _close(ours.mean[0], kf.x[:, 0]) and _close(ours.covariance[0], kf.P)
        if box is not None:
            h = kf.x[3, 0]
            kf.R = np.diag(np.square([sp * h, sp * h, 1e-1, sp * h]))
            kf.update(_xyah(box))
            ours.update([0], box[None])
            assert _close(ours.mean[0], kf.x[:, 0]) and _close(ours.covariance[0], kf.P)


def _random_state(rng, filt, t):
    boxes = np.column_stack([rng.uniform(0, 500, (t, 2)), rng.uniform(0, 500, (t, 2))])
    boxes[:, 2:] = boxes[:, :2] + rng.uniform(5, 100, (t, 2))
    filt.initiate(boxes)
    for _ in range(3):
        filt.predict()
        jitter = boxes + rng.normal(0, 2, boxes.shape)
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 1)
        filt.update(np.arange(t), jitter)
    return boxes


@pytest.mark.parametrize("dt", [1.0, 0.5, 2.0, 3.7])
def test_kernels_match_numpy_twins(dt):
    rng = np.random.default_rng(7)
    for filt, predict_np, update_np in ((KalmanBoxFilter(), xysr_predict_numpy, xysr_update_numpy),
                                        (KalmanXYAHFilter(), xyah_predict_numpy, xyah_update_numpy)):
        boxes = _random_state(rng, filt, 20)
        m0, c0 = filt.mean[:20].copy(), filt.covariance[:20].copy()
        filt.predict(dt)
        m1, c1 = predict_np(m0, c0, dt)
        assert np.allclose(filt.mean[:20], m1, rtol=1e-12, atol=1e-9)
        assert np.allclose(filt.covariance[:20], c1, rtol=1e-12, atol=1e-9)
        filt.update(np.arange(20), boxes)
        m2, c2 = update_np(m1, c1, boxes)
        assert np.allclose(filt.mean[:20], m2, rtol=1e-10, atol=1e-8)
        assert np.allclose(filt.covariance[:20], c2, rtol=1e-10, atol=1e-8)


def test_dt_one_is_the_classic_filter_and_dt_composes_for_the_mean():
    rng = np.random.default_rng(3)
    a, b = KalmanXYAHFilter(), KalmanXYAHFilter()
    _random_state(rng, a, 5)
    b.mean[:], b.covariance[:], b.n = a.mean, a.covariance, a.n
    a.predict(2.0)
    b.predict(1.0)
    b.predict(1.0)
    # constant velocity: two unit steps move the mean exactly as one step of 2
    assert np.allclose(a.mean[:5], b.mean[:5], rtol=1e-12)


def test_boxes_roundtrip_and_gating_distance():
    f = KalmanXYAHFilter()
    box = np.array([[10.0, 20.0, 50.0, 120.0]])
    f.initiate(box)
    assert np.allclose(f.boxes(), box)
    d = f.gating_distance(0, np.array([[10.0, 20.0, 50.0, 120.0], [300.0, 20.0, 340.0, 120.0]]))
    assert d[0] == pytest.approx(0.0, abs=1e-12) and d[1] > 9.4877
    s = KalmanBoxFilter()
    s.initiate(box)
    assert np.allclose(s.boxes(), box)


def test_remove_keeps_order():
    f = KalmanBoxFilter()
    boxes = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10.0]])
    f.initiate(boxes)
    f.remove([True, False, True])
    assert f.n == 2 and np.allclose(f.boxes(), boxes[[0, 2]])


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_predict_rejects_bad_dt(bad):
    with pytest.raises(ValueError, match="dt"):
        KalmanBoxFilter().predict(bad)


@pytest.mark.parametrize("model", ["xyah", "xywh", "xysr"])
def test_boxes_of_rows_picks_rows_in_the_given_order(model):
    """``boxes_of_rows`` against each state's box written out by hand, for rows out of
    table order, repeated, and none."""
    from mottrack.kalman import XYAH, XYSR, XYWH, boxes_of_rows
    rng = np.random.default_rng(7)
    mean = np.zeros((6, 8))
    mean[:, 0:2] = rng.uniform(50, 500, (6, 2))      # centre x, y
    w, h = rng.uniform(5, 80, 6), rng.uniform(10, 200, 6)
    code = {"xyah": XYAH, "xywh": XYWH, "xysr": XYSR}[model]
    mean[:, 2:4] = {"xyah": np.c_[w / h, h], "xywh": np.c_[w, h], "xysr": np.c_[w * h, w / h]}[model]
    rows = np.array([4, 0, 4, 2], np.int64)
    out = np.full((4, 4), np.nan)
    boxes_of_rows(code, mean, rows, out)
    x, y = mean[rows, 0], mean[rows, 1]
    want = np.c_[x - w[rows] / 2, y - h[rows] / 2, x + w[rows] / 2, y + h[rows] / 2]
    np.testing.assert_allclose(out, want, rtol=1e-12)
    empty = np.full((2, 4), -1.0)
    boxes_of_rows(code, mean, rows[:0], empty)
    assert (empty == -1.0).all()
