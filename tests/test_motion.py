"""mottrack.motion: warp files and the PTZ warp, against scenes projected through a known
moving camera (an independent pinhole model built from look-at vectors)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack import motion
from conftest import shared_path

W, H = 1920.0, 1080.0


def camera(pan, tilt, hfov):
    """Independent camera model: rotation rows = right, down, forward unit vectors of a
    camera looking at (pan right, tilt up), intrinsics from the field of view."""
    p, t = math.radians(pan), math.radians(tilt)
    fwd = np.array([math.sin(p) * math.cos(t), -math.sin(t), math.cos(p) * math.cos(t)])
    right = np.cross([0.0, 1.0, 0.0], fwd)  # world "down" is +y
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    f = (W / 2) / math.tan(math.radians(hfov) / 2)
    return np.array([right, down, fwd]), f


def project(points, pan, tilt, hfov):
    R, f = camera(pan, tilt, hfov)
    c = points @ R.T
    return np.column_stack([f * c[:, 0] / c[:, 2] + W / 2, f * c[:, 1] / c[:, 2] + H / 2]), c[:, 2]


def scene(rng, n=200, pan=0.0, tilt=0.0):
    """Points at depths 3..80 m in front of a camera at (pan, tilt)."""
    R, _ = camera(pan, tilt, 60.0)
    d = np.column_stack([rng.uniform(-0.5, 0.5, n), rng.uniform(-0.3, 0.3, n), np.ones(n)])
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return (d @ R) * rng.uniform(3, 80, (n, 1))


@pytest.mark.parametrize("prev,cur", [
    ((0, 0, 60), (0, 0, 60)),            # still: identity
    ((0, 0, 60), (2.0, 0, 60)),          # pan right
    ((10, -5, 60), (10, -3.5, 60)),      # tilt up
    ((30, 20, 60), (30, 20, 45)),        # zoom in
    ((-40, 10, 50), (-37.5, 11, 52)),    # all three
])
def test_ptz_warp_maps_projected_points_exactly(prev, cur):
    rng = np.random.default_rng(0)
    pts = scene(rng, pan=prev[0], tilt=prev[1])
    a, za = project(pts, *prev)
    b, zb = project(pts, *cur)
    vis = (za > 0) & (zb > 0)
    Hw = motion.ptz_warp(prev, cur, frame_size=(W, H))
    assert Hw.shape == (3, 3) and Hw[2, 2] == 1.0
    got = motion.warp_points(a[vis], Hw)
    assert np.abs(got - b[vis]).max() < 1e-6  # depth does not matter for a rotating camera
    if prev == cur:
        np.testing.assert_allclose(Hw, np.eye(3), atol=1e-12)


def test_ptz_warp_focal_length_mode_and_signs():
    f = (W / 2) / math.tan(math.radians(60) / 2)
    a = motion.ptz_warp((5, 2, 60), (6, 3, 55), frame_size=(W, H))
    f1 = (W / 2) / math.tan(math.radians(55) / 2)
    b = motion.ptz_warp((5, 2, f), (6, 3, f1), frame_size=(W, H), zoom="focal")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    # pan right: the scene moves left; tilt up: the scene moves down
    centre = [[W / 2, H / 2]]
    assert motion.warp_points(centre, motion.ptz_warp((0, 0, 60), (1, 0, 60), frame_size=(W, H)))[0, 0] < W / 2
    assert motion.warp_points(centre, motion.ptz_warp((0, 0, 60), (0, 1, 60), frame_size=(W, H)))[0, 1] > H / 2
    # one degree of pan at the centre moves f * tan(1 deg) pixels
    x = motion.warp_points(centre, motion.ptz_warp((0, 0, 60), (1, 0, 60), frame_size=(W, H)))[0, 0]
    assert x == pytest.approx(W / 2 - f * math.tan(math.radians(1)), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(-170, 170), st.floats(-60, 60), st.floats(20, 90),
       st.floats(-3, 3), st.floats(-3, 3), st.floats(-5, 5))
def test_ptz_boxes_land_where_the_warp_says(pan, tilt, hfov, dpan, dtilt, dfov):
    """A person-sized box 10 m away, seen from two camera poses: the warped corners of
    its image in the first frame are its image in the second, to sub-pixel error."""
    rng = np.random.default_rng(1)
    R, _ = camera(pan, tilt, hfov)
    centre = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.1, 0.1), 1.0]) @ R * 10.0
    corners = centre + np.array([[-0.3, -0.9, 0], [0.3, -0.9, 0], [-0.3, 0.9, 0], [0.3, 0.9, 0]]) @ R
    prev, cur = (pan, tilt, hfov), (pan + dpan, tilt + dtilt, hfov + dfov)
    a, _ = project(corners, *prev)
    b, _ = project(corners, *cur)
    Hw = motion.ptz_warp(prev, cur, frame_size=(W, H))
    assert np.abs(motion.warp_points(a, Hw) - b).max() < 1e-3
    box0 = np.r_[a.min(0), a.max(0)]
    box1 = np.r_[b.min(0), b.max(0)]
    # the axis-aligned box around the warped corners: sub-pixel for camera moves of a few degrees
    assert np.abs(motion.warp_boxes(box0[None], Hw)[0] - box1).max() < 1.0


def test_ptz_warp_rejects_bad_readings():
    with pytest.raises(ValueError, match="field of view"):
        motion.ptz_warp((0, 0, 0), (0, 0, 60), frame_size=(W, H))
    with pytest.raises(ValueError, match="focal"):
        motion.ptz_warp((0, 0, -5), (0, 0, 60), frame_size=(W, H), zoom="focal")
    with pytest.raises(ValueError, match="pan"):
        motion.ptz_warp((np.nan, 0, 60), (0, 0, 60), frame_size=(W, H))
    with pytest.raises(TypeError, match="pan"):
        motion.ptz_warp(("left", 0, 60), (0, 0, 60), frame_size=(W, H))
    with pytest.raises(TypeError):
        motion.ptz_warp((0, 0), (0, 0, 60), frame_size=(W, H))
    with pytest.raises(ValueError, match="frame_size"):
        motion.ptz_warp((0, 0, 60), (0, 0, 60), frame_size=(0, H))
    with pytest.raises(ValueError, match="zoom"):
        motion.ptz_warp((0, 0, 60), (0, 0, 60), frame_size=(W, H), zoom="mm")


def test_read_warps_shared_file():
    w = motion.read_warps(shared_path("data", "MOT17", "gmc", "MOT17-05.txt"))
    assert w.shape == (418, 2, 3) and w.dtype == np.float64
    np.testing.assert_array_equal(w[0], [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(w[1], [[1.007393, -0.004749, -9.719147], [0.004749, 1.007393, -1.884171]])
    d = motion.read_warp_dir(shared_path("data", "MOT17", "gmc"))
    assert sorted(d) == ["MOT17-02", "MOT17-04", "MOT17-05", "MOT17-09"]
    np.testing.assert_array_equal(d["MOT17-05"], w)


@pytest.mark.parametrize("text,match", [
    ("0\t1\t0\t0\t0\t1\n", "6 warp entries"),
    ("0\t1\t0\t0\t0\t1\t0\n2\t1\t0\t0\t0\t1\t0\n", "expected frame index 1"),
    ("0\t1\t0\tx\t0\t1\t0\n", "expected numbers"),
    ("0\t1\t0\tnan\t0\t1\t0\n", "finite"),
])
def test_read_warps_rejects_bad_files(tmp_path, text, match):
    p = tmp_path / "SEQ.txt"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        motion.read_warps(p)


def test_read_warp_dir_accepts_gmc_prefix(tmp_path):
    (tmp_path / "GMC-SEQ-1.txt").write_text("0 1 0 2 0 1 3\n1 1 0 0 0 1 0\n")
    d = motion.read_warp_dir(tmp_path)
    np.testing.assert_array_equal(d["SEQ-1"][0], [[1, 0, 2], [0, 1, 3]])
    with pytest.raises(ValueError, match="not a directory"):
        motion.read_warp_dir(tmp_path / "missing")


def test_warp_boxes_affine():
    b = motion.warp_boxes([[10, 20, 30, 60]], [[2, 0, 5], [0, 0.5, -1]])
    np.testing.assert_allclose(b, [[25, 9, 65, 29]])


@pytest.mark.parametrize("prev,cur", [
    ((0, 0, 90), (45, 0, 90)),     # the previous frame's left edge is now 90 deg off the view axis
    ((0, 0, 90), (60, 0, 90)),     # ... and beyond: behind the camera
    ((0, 0, 60), (0, 75, 60)),     # tilt far beyond the field of view
    ((0, 0, 90), (180, 0, 90)),
])
def test_ptz_warp_refuses_a_turn_that_takes_the_previous_frame_out_of_view(prev, cur):
    with pytest.raises(ValueError, match=r"ptz_warp: .*corner .* of the previous frame .* view axis"):
        motion.ptz_warp(prev, cur, frame_size=(W, H))


def test_ptz_warp_near_the_limit_stays_exact_and_finite():
    # 44 degrees of pan with a 90-degree field of view: the left edge is 89 deg off axis, still
    # in front of the camera; the warp maps projected points exactly.
    rng = np.random.default_rng(3)
    pts = scene(rng, pan=0.0, tilt=0.0)
    a, za = project(pts, 0, 0, 90)
    b, zb = project(pts, 44, 0, 90)
    Hw = motion.ptz_warp((0, 0, 90), (44, 0, 90), frame_size=(W, H))
    assert np.isfinite(Hw).all() and np.abs(Hw).max() < 1e6
    vis = (za > 0) & (zb > 0)
    np.testing.assert_allclose(motion.warp_points(a[vis], Hw), b[vis], rtol=1e-9, atol=1e-6)


def test_ptz_warp_frame_size_and_its_deprecated_alias_image_size():
    a = motion.ptz_warp((0, 0, 60), (1.5, -1, 58), frame_size=(W, H))
    with pytest.warns(DeprecationWarning, match="image_size.*frame_size"):
        b = motion.ptz_warp((0, 0, 60), (1.5, -1, 58), image_size=(W, H))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="frame_size"):
        motion.ptz_warp((0, 0, 60), (1.5, -1, 58), frame_size=(W, H), image_size=(W, H))
    with pytest.raises(TypeError, match="frame_size"):
        motion.ptz_warp((0, 0, 60), (1.5, -1, 58))
    with pytest.raises(ValueError, match="frame_size"):
        motion.ptz_warp((0, 0, 60), (0, 0, 60), frame_size=(0, H))
