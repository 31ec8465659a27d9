"""Preprocessing that round-trips: letterbox / stretch / crop transforms, worked by hand, and
the decoders mapping boxes back through them."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.io.larod import ssd_to_detections, yolov5_to_detections
from mottrack.io.preprocess import Transform, crop, fit_transform, letterbox, stretch


def _t(t: Transform):
    return (t.crop_x, t.crop_y, t.crop_w, t.crop_h, t.pad_x, t.pad_y, t.content_w, t.content_h)


# ------------------------------------------------------------------ hand-worked transforms
def test_letterbox_768x576_into_640_pads_80_rows_top_and_bottom():
    t = fit_transform((768, 576), (640, 640))
    assert _t(t) == (0, 0, 768, 576, 0, 80, 640, 480)
    assert t.scale_x == t.scale_y == 640 / 768
    np.testing.assert_allclose(t.to_input([0, 0, 768, 576]), [[0, 80, 640, 560]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(t.to_input([384, 288, 384, 288]), [[320, 320, 320, 320]], atol=1e-12)


def test_letterbox_300x200_rounds_the_content_and_puts_the_odd_pad_row_at_the_bottom():
    # r = 640/300; 200 * r = 426.67 -> 427 rows; pad 213 = 106 top + 107 bottom
    t = fit_transform((300, 200), (640, 640))
    assert _t(t) == (0, 0, 300, 200, 0, 106, 640, 427)
    assert t.scale_y == 427 / 200 and t.scale_x == 640 / 300
    np.testing.assert_allclose(t.to_input([0, 0, 300, 200]), [[0, 106, 640, 533]], atol=1e-12)
    # the point half-way down the frame: 100 * 2.135 + 106 = 319.5 (the unrounded rule says 320)
    assert t.to_input([150, 100, 150, 100])[0, 1] == pytest.approx(319.5, abs=1e-12)


def test_letterbox_full_hd_and_portrait_and_top_left():
    assert _t(fit_transform((1920, 1080), (640, 640))) == (0, 0, 1920, 1080, 0, 140, 640, 360)
    assert _t(fit_transform((480, 640), (640, 640))) == (0, 0, 480, 640, 80, 0, 480, 640)
    assert _t(fit_transform((768, 576), (640, 640), align="top-left")) == (0, 0, 768, 576, 0, 0, 640, 480)
    assert _t(fit_transform((768, 576), (640, 640), mode="stretch")) == (0, 0, 768, 576, 0, 0, 640, 640)


def test_crop_window_into_letterbox_and_stretch():
    t = fit_transform((768, 576), (640, 640), roi=(100, 50, 420, 290))   # 320x240 window, r = 2
    assert _t(t) == (100, 50, 320, 240, 0, 80, 640, 480)
    assert t.window == (100, 50, 420, 290)
    np.testing.assert_allclose(t.to_input([100, 50, 420, 290]), [[0, 80, 640, 560]], atol=1e-12)
    s = fit_transform((768, 576), (640, 640), roi=(100, 50, 420, 290), mode="stretch")
    np.testing.assert_allclose(s.to_input([260, 170, 420, 290]), [[320, 320, 640, 640]], atol=1e-12)


def test_letterbox_pixels_padding_and_content():
    frame = np.zeros((576, 768, 3), np.uint8)
    frame[..., 0] = 200
    frame[..., 2] = 17
    img, t = letterbox(frame, (640, 640))
    assert img.shape == (640, 640, 3) and img.dtype == np.uint8
    assert (img[:80] == 114).all() and (img[560:] == 114).all()
    assert (img[80:560] == [200, 0, 17]).all()       # a uniform frame stays uniform under bilinear


def test_crop_reads_only_the_window():
    frame = np.full((576, 768, 3), 10, np.uint8)
    frame[50:290, 100:420] = 250                     # the window, exactly
    img, t = crop(frame, (100, 50, 420, 290), (640, 640))
    assert (img[80:560] == 250).all()                 # nothing from outside the window bleeds in
    assert (img[:80] == 114).all() and (img[560:] == 114).all()
    img2, _ = crop(frame, (100, 50, 420, 290), (320, 240), mode="stretch")
    assert (img2 == 250).all()


def test_stretch_equals_pillow_bilinear():
    from PIL import Image
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    img, t = stretch(frame, (64, 48))
    ref = np.asarray(Image.fromarray(frame).resize((64, 48), Image.BILINEAR))
    assert np.array_equal(img, ref)
    assert _t(t) == (0, 0, 53, 37, 0, 0, 64, 48)


def test_a_box_drawn_in_the_frame_lands_where_the_transform_says():
    frame = np.zeros((200, 300, 3), np.uint8)
    frame[40:120, 60:180] = 255                      # box (60, 40, 180, 120)
    img, t = letterbox(frame, (640, 640))
    u1, v1, u2, v2 = t.to_input([60, 40, 180, 120])[0]
    rows = np.flatnonzero(img[..., 0].max(axis=1) > 127)
    cols = np.flatnonzero(img[..., 0].max(axis=0) > 127)
    # bright pixels' centres span [u1, u2) within one pixel of the bilinear edge
    assert abs(cols[0] + 0.5 - u1) <= 1 and abs(cols[-1] + 0.5 - u2) <= 1
    assert abs(rows[0] + 0.5 - v1) <= 1 and abs(rows[-1] + 0.5 - v2) <= 1


# ------------------------------------------------------------------ decoders with transform=
def _yolo_row(cx, cy, w, h, obj=0.9, cls=0.9):
    row = np.zeros((1, 1, 85), np.float32)
    row[0, 0, :5] = [cx, cy, w, h, obj]
    row[0, 0, 5] = cls
    return row


def test_yolov5_maps_back_through_the_letterbox_actually_applied():
    t = fit_transform((300, 200), (640, 640))
    out = yolov5_to_detections(_yolo_row(0.5, 0.5, 0.25, 0.25), transform=t)
    # input box (240, 240, 400, 400): x = u * 300/640; y = (v - 106) * 200/427
    np.testing.assert_allclose(out.boxes, [[112.5, 134 * 200 / 427, 187.5, 294 * 200 / 427]], rtol=1e-6)
    old = yolov5_to_detections(_yolo_row(0.5, 0.5, 0.25, 0.25), (300, 200), letterbox=True)
    # the unrounded rule (pad 106.67 rows, scale 2.1333) puts the top at 62.5, 0.26 px off
    assert old.boxes[0, 1] == pytest.approx(62.5, abs=1e-9)
    assert abs(old.boxes[0, 1] - out.boxes[0, 1]) > 0.25


def test_stretch_transform_equals_the_plain_frame_size_mapping_bit_for_bit():
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 256, (1, 400, 85), dtype=np.uint8)
    t = fit_transform((768, 576), (640, 640), mode="stretch")
    a = yolov5_to_detections(raw, (768, 576), quantization=(0.0041905134, 0))
    b = yolov5_to_detections(raw, quantization=(0.0041905134, 0), transform=t)
    assert len(a) > 0 and np.array_equal(a.boxes, b.boxes) and np.array_equal(a.scores, b.scores)


def test_ssd_through_a_crop_is_clipped_to_the_window():
    t = fit_transform((768, 576), (320, 240), roi=(100, 50, 420, 290), mode="stretch")
    boxes = np.array([[[0.25, 0.25, 0.75, 0.75], [-0.1, -0.1, 0.5, 0.5]]], np.float32)
    outs = [boxes, np.zeros((1, 2), np.float32), np.array([[0.9, 0.8]], np.float32), np.array([2], np.float32)]
    d = ssd_to_detections(outs, score_threshold=0.5, transform=t)
    np.testing.assert_allclose(d.boxes, [[180, 110, 340, 230], [100, 50, 260, 170]], rtol=1e-6)


def test_transform_and_letterbox_flag_together_or_mismatched_frame_size_are_rejected():
    t = fit_transform((300, 200), (640, 640))
    with pytest.raises(ValueError, match="letterbox"):
        yolov5_to_detections(_yolo_row(0.5, 0.5, 0.2, 0.2), letterbox=True, transform=t)
    with pytest.raises(ValueError, match="frame_size"):
        yolov5_to_detections(_yolo_row(0.5, 0.5, 0.2, 0.2), (640, 480), transform=t)
    with pytest.raises(TypeError, match="transform"):
        yolov5_to_detections(_yolo_row(0.5, 0.5, 0.2, 0.2), (640, 480), transform=(1, 2))


@pytest.mark.parametrize("call, match", [
    (lambda: fit_transform((768, 576), (640, 640), roi=(0, 0, 800, 100)), "roi"),
    (lambda: fit_transform((768, 576), (640, 640), roi=(10, 10, 10, 20)), "roi"),
    (lambda: fit_transform((768, 576), (640, 640), roi=(0.5, 0, 10, 10)), "roi"),
    (lambda: fit_transform((768, 576), (640, 640), mode="fill"), "mode"),
    (lambda: fit_transform((768, 576), (640, 640), align="middle"), "align"),
    (lambda: fit_transform((0, 576), (640, 640)), "frame_size"),
    (lambda: letterbox(np.zeros((10, 10, 3), np.float32), (64, 64)), "frame"),
    (lambda: letterbox(np.zeros((10, 10), np.uint8), (64, 64)), "frame"),
    (lambda: letterbox(np.zeros((10, 10, 3), np.uint8), (64, 64), pad_value=300), "pad_value"),
])
def test_bad_input_names_the_field(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ------------------------------------------------------------------ property: there and back
@st.composite
def _setups(draw):
    fw, fh = draw(st.integers(16, 4000)), draw(st.integers(16, 4000))
    iw, ih = draw(st.integers(16, 1280)), draw(st.integers(16, 1280))
    mode = draw(st.sampled_from(["letterbox", "stretch"]))
    align = draw(st.sampled_from(["center", "top-left"]))
    roi = None
    if draw(st.booleans()):
        x1, y1 = draw(st.integers(0, fw - 8)), draw(st.integers(0, fh - 8))
        roi = (x1, y1, draw(st.integers(x1 + 8, fw)), draw(st.integers(y1 + 8, fh)))
    t = fit_transform((fw, fh), (iw, ih), mode=mode, roi=roi, align=align)
    x1, y1, x2, y2 = t.window
    fx = draw(st.lists(st.floats(0, 1), min_size=4, max_size=4))
    bx = sorted([x1 + fx[0] * (x2 - x1), x1 + fx[1] * (x2 - x1)])
    by = sorted([y1 + fx[2] * (y2 - y1), y1 + fx[3] * (y2 - y1)])
    return t, np.array([[bx[0], by[0], bx[1], by[1]]])


@settings(max_examples=300, deadline=None)
@given(_setups())
def test_a_box_mapped_to_the_input_and_back_is_unchanged(setup):
    t, box = setup
    tol = 1e-9 * max(t.frame_size)
    np.testing.assert_allclose(t.to_frame(t.to_input(box)), box, rtol=0, atol=tol)
    # and through the decoder, from the normalised tensor the model would output
    u = t.to_input(box)[0] / np.array([t.input_size[0], t.input_size[1]] * 2)
    row = np.zeros((1, 1, 85))
    row[0, 0, :5] = [(u[0] + u[2]) / 2, (u[1] + u[3]) / 2, u[2] - u[0], u[3] - u[1], 1.0]
    row[0, 0, 5] = 1.0
    d = yolov5_to_detections(row, score_threshold=0.5, transform=t)
    np.testing.assert_allclose(d.boxes, box, rtol=0, atol=tol)
