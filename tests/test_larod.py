"""Larod / ACAP-runtime detector outputs to Detections: SSD MobileNet v2 and YOLOv5."""
from pathlib import Path

import numpy as np
import pytest

from conftest import require_or_skip  # noqa: E402

from mottrack.io.coco import COCO80_NAMES, COCO90_NAMES, COCO90_TO_COCO80
from mottrack.io.larod import SSD_OUTPUT_NAMES, ssd_to_detections, yolov5_to_detections
from mottrack.io.tflite import output_quantization

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
needs_fixtures = require_or_skip(
    not (SHARED / "tensors" / "yolov5n_artpec8_grace_hopper.npy").exists()
    or not (SHARED / "models" / "yolov5n_artpec8.tflite").exists(),
    "../shared tensors/models absent")


# ----------------------------------------------------------------------------- SSD
def ssd_outputs(rows, n=20, count=None):
    """Build Larod-order SSD tensors from rows (ymin, xmin, ymax, xmax, class, score)."""
    boxes = np.zeros((1, n, 4), np.float32)
    classes = np.zeros((1, n), np.float32)
    scores = np.zeros((1, n), np.float32)
    for i, (y1, x1, y2, x2, c, s) in enumerate(rows):
        boxes[0, i] = (y1, x1, y2, x2)
        classes[0, i] = c
        scores[0, i] = s
    cnt = np.array([len(rows) if count is None else count], np.float32)
    return [boxes, classes, scores, cnt]


ROWS = [(0.1, 0.2, 0.5, 0.6, 0, 0.9),      # person
        (-0.1, 0.5, 0.9, 1.2, 2, 0.7),     # car, sticks out top and right: clipped
        (0.3, 0.3, 0.4, 0.4, 0, 0.3),      # below threshold
        (0.2, 0.2, 0.3, 0.3, 31, 0.5)]     # tie (COCO-90 id 31), exactly at threshold


def test_ssd_maps_clips_and_thresholds():
    d = ssd_to_detections(ssd_outputs(ROWS), (640, 480))
    assert len(d) == 3
    np.testing.assert_allclose(d.boxes[0], [0.2 * 640, 0.1 * 480, 0.6 * 640, 0.5 * 480], rtol=1e-6)
    np.testing.assert_allclose(d.boxes[1], [0.5 * 640, 0.0, 640.0, 0.9 * 480], rtol=1e-6)
    np.testing.assert_allclose(d.scores, [0.9, 0.7, 0.5], rtol=1e-6)
    assert d.class_ids.tolist() == [0, 2, 31]
    assert d.boxes.dtype == np.float64 and d.class_ids.dtype == np.int64
    assert COCO90_NAMES[31] == "tie" and COCO90_TO_COCO80[31] == 27


def test_ssd_input_forms_agree():
    outs = ssd_outputs(ROWS)
    ref = ssd_to_detections(outs, (640, 480))
    as_dict = ssd_to_detections(dict(zip(SSD_OUTPUT_NAMES, outs)), (640, 480))
    as_tuple = ssd_to_detections(tuple(outs), (640, 480))
    as_bytes = ssd_to_detections([o.tobytes() for o in outs], (640, 480))
    as_mv = ssd_to_detections([memoryview(bytearray(o.tobytes())) for o in outs], (640, 480))
    squeezed = ssd_to_detections([outs[0][0], outs[1][0], outs[2][0], outs[3]], (640, 480))
    as_f64 = ssd_to_detections([o.astype(np.float64) for o in outs], (640, 480))
    for d in (as_dict, as_tuple, as_bytes, as_mv, squeezed, as_f64):
        np.testing.assert_array_equal(d.boxes, ref.boxes)
        np.testing.assert_array_equal(d.scores, ref.scores)
        np.testing.assert_array_equal(d.class_ids, ref.class_ids)


def test_ssd_class_filter_by_id_and_name():
    outs = ssd_outputs(ROWS)
    persons = ssd_to_detections(outs, (640, 480), classes=[0])
    assert persons.class_ids.tolist() == [0]
    by_name = ssd_to_detections(outs, (640, 480), classes=["person", "tie"])
    assert by_name.class_ids.tolist() == [0, 31]
    assert len(ssd_to_detections(outs, (640, 480), classes=[])) == 0
    with pytest.raises(ValueError, match="unknown class name"):
        ssd_to_detections(outs, (640, 480), classes=["unicorn"])


def test_ssd_never_reads_past_count():
    rows = ROWS + [(np.nan, 0, 1, 1, 0, 0.99), (0, 0, 1, 1, 0.5, 0.99)]  # garbage after count
    d = ssd_to_detections(ssd_outputs(rows, count=len(ROWS)), (640, 480))
    assert len(d) == 3
    with pytest.raises(ValueError, match="boxes: row 4"):
        ssd_to_detections(ssd_outputs(rows), (640, 480))
    # Count 20 with low-score padding rows is normal.
    full = ssd_to_detections(ssd_outputs(ROWS, count=20), (640, 480))
    assert len(full) == 3
    assert len(ssd_to_detections(ssd_outputs([], count=0), (640, 480))) == 0


@pytest.mark.parametrize("count, msg", [(21, r"not a whole number in \[0, 20\]"),
                                        (-1, "not a whole number"), (2.5, "not a whole number"),
                                        (np.nan, "not a whole number")])
def test_ssd_bad_count(count, msg):
    with pytest.raises(ValueError, match=msg):
        ssd_to_detections(ssd_outputs(ROWS, count=count), (640, 480))


def test_ssd_bad_inputs():
    outs = ssd_outputs(ROWS)
    with pytest.raises(ValueError, match="expected 4 tensors"):
        ssd_to_detections(outs[:3], (640, 480))
    with pytest.raises(TypeError, match="sequence of 4 tensors"):
        ssd_to_detections(outs[0], (640, 480))
    with pytest.raises(ValueError, match="missing TFLite_Detection_PostProcess:3"):
        ssd_to_detections(dict(zip(SSD_OUTPUT_NAMES[:3], outs)), (640, 480))
    with pytest.raises(ValueError, match=r"boxes: expected shape \[1, N, 4\]"):
        ssd_to_detections([np.zeros((1, 20, 3), np.float32)] + outs[1:], (640, 480))
    with pytest.raises(ValueError, match=r"scores: expected shape \[1, 20\]"):
        ssd_to_detections(outs[:2] + [np.zeros((1, 19), np.float32), outs[3]], (640, 480))
    with pytest.raises(ValueError, match=r"count: expected shape \[1\]"):
        ssd_to_detections(outs[:3] + [np.zeros(2, np.float32)], (640, 480))
    with pytest.raises(ValueError, match="not a whole number of float32"):
        ssd_to_detections([outs[0].tobytes()[:-1]] + outs[1:], (640, 480))
    with pytest.raises(TypeError, match="classes: expected a float32"):
        ssd_to_detections([outs[0], np.array(["a"] * 20), outs[2], outs[3]], (640, 480))
    bad_cls = [o.copy() for o in outs]
    bad_cls[1][0, 1] = 2.5
    with pytest.raises(ValueError, match="classes: row 1"):
        ssd_to_detections(bad_cls, (640, 480))
    with pytest.raises(ValueError, match="frame_size"):
        ssd_to_detections(outs, (0, 480))
    with pytest.raises(ValueError, match="frame_size"):
        ssd_to_detections(outs, 640)


# ----------------------------------------------------------------------------- YOLOv5 reference
def nms_reference(boxes, scores, classes, iou_thr):
    """Plain numpy class-aware greedy NMS; returns kept indices in descending score order."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    alive = np.ones(len(scores), bool)
    for i in order:
        if not alive[i]:
            continue
        keep.append(i)
        x1 = np.maximum(boxes[i, 0], boxes[:, 0])
        y1 = np.maximum(boxes[i, 1], boxes[:, 1])
        x2 = np.minimum(boxes[i, 2], boxes[:, 2])
        y2 = np.minimum(boxes[i, 3], boxes[:, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        iou = inter / (area[i] + area - inter)
        alive &= ~((iou > iou_thr) & (classes == classes[i]))
        alive[i] = False
    return np.array(keep, dtype=np.int64)


def decode_reference(q, scale, zp, frame_size, score_thr=0.25, iou_thr=0.45, max_det=300, obj_only=False):
    """Full-dequantise reference decode with stretch mapping."""
    f = (q.reshape(-1, q.shape[-1]).astype(np.float64) - zp) * scale
    cand = f[:, 4] >= score_thr
    f = f[cand]
    cls = f[:, 5:].argmax(axis=1)
    score = f[:, 4] if obj_only else f[:, 4] * f[np.arange(len(f)), 5 + cls]
    ok = score >= score_thr
    f, cls, score = f[ok], cls[ok], score[ok]
    boxes = np.column_stack([f[:, 0] - f[:, 2] / 2, f[:, 1] - f[:, 3] / 2,
                             f[:, 0] + f[:, 2] / 2, f[:, 1] + f[:, 3] / 2])
    keep = nms_reference(boxes, score, cls, iou_thr)[:max_det]
    w, h = frame_size
    out = boxes[keep] * [w, h, w, h]
    out = np.clip(out, 0, [w, h, w, h])
    return out, score[keep], cls[keep]


def random_yolo_tensor(rng, rows=2000, ncls=80, dtype=np.uint8, zp=0, n_objects=60):
    """Quantised tensor with clustered overlapping boxes (so NMS has work) and mostly empty rows."""
    info = np.iinfo(dtype)
    q = np.full((1, rows, 5 + ncls), zp, dtype=np.int64)
    q += rng.integers(0, 6, size=q.shape)  # low-level noise everywhere
    idx = rng.choice(rows, n_objects, replace=False)
    centres = rng.uniform(0.2, 0.8, size=(6, 2))
    for k, i in enumerate(idx):
        c = centres[k % 6] + rng.normal(0, 0.03, 2)
        wh = rng.uniform(0.05, 0.3, 2)
        q[0, i, 0:2] = zp + np.round(c / 0.004)
        q[0, i, 2:4] = zp + np.round(wh / 0.004)
        q[0, i, 4] = zp + rng.integers(40, 240)
        q[0, i, 5 + rng.integers(0, 3)] = zp + rng.integers(150, 240)
    return np.clip(q, info.min, info.max).astype(dtype)


@pytest.mark.parametrize("dtype, zp", [(np.uint8, 0), (np.uint8, 3), (np.int8, -128), (np.int8, 0)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_yolo_decode_matches_full_dequantise_reference(dtype, zp, seed):
    rng = np.random.default_rng(seed)
    scale = 0.004 if dtype == np.uint8 else 0.0042
    q = random_yolo_tensor(rng, dtype=dtype, zp=zp)
    if dtype == np.int8 and zp == 0:  # int8 zero-point 0 only spans half the range; rescale
        scale = 0.008
    for thr, iou in [(0.25, 0.45), (0.1, 0.3), (0.5, 0.7)]:
        d = yolov5_to_detections(q, (1280, 720), quantization=(scale, zp), score_threshold=thr,
                                 iou_threshold=iou)
        rb, rs, rc = decode_reference(q, scale, zp, (1280, 720), thr, iou)
        assert len(d) == len(rb) > 0
        np.testing.assert_allclose(d.boxes, rb, rtol=0, atol=1e-9)
        np.testing.assert_allclose(d.scores, rs, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(d.class_ids, rc)
        assert np.all(np.diff(d.scores) <= 0)


def test_yolo_nms_is_class_aware_and_top_k():
    # Two identical boxes of different classes survive; same class: one survives.
    f = np.zeros((4, 85), np.float32)
    f[:, :4] = [0.5, 0.5, 0.2, 0.2]
    f[:, 4] = [0.9, 0.8, 0.7, 0.6]
    f[0, 5] = f[1, 5] = 1.0   # person, person
    f[2, 6] = f[3, 6] = 1.0   # bicycle, bicycle
    d = yolov5_to_detections(f, (100, 100))
    assert d.class_ids.tolist() == [0, 1]
    np.testing.assert_allclose(d.scores, [0.9, 0.7], rtol=1e-6)
    d = yolov5_to_detections(f, (100, 100), iou_threshold=1.0)  # nothing suppressed
    assert len(d) == 4
    d = yolov5_to_detections(f, (100, 100), iou_threshold=1.0, max_detections=3)
    np.testing.assert_allclose(d.scores, [0.9, 0.8, 0.7], rtol=1e-6)
    assert len(yolov5_to_detections(f, (100, 100), max_detections=0)) == 0
    assert yolov5_to_detections(f, (100, 100), classes=["bicycle"]).class_ids.tolist() == [1]


def test_yolo_score_modes_and_raw_threshold_boundary():
    # scale 0.01: objectness q = 25 dequantises to exactly the threshold 0.25 -> kept.
    q = np.zeros((1, 3, 85), np.uint8)
    q[0, :, :4] = [50, 50, 20, 20]
    q[0, :, 4] = [25, 24, 60]
    q[0, :, 5] = [100, 100, 30]  # cls prob 1.0, 1.0, 0.3
    d = yolov5_to_detections(q, (100, 100), quantization=(0.01, 0), iou_threshold=1.0)
    np.testing.assert_allclose(sorted(d.scores), [0.25], rtol=1e-12)  # row 2: 0.6*0.3 < 0.25
    d = yolov5_to_detections(q, (100, 100), quantization=(0.01, 0), iou_threshold=1.0, score_mode="obj")
    np.testing.assert_allclose(d.scores, [0.6, 0.25], rtol=1e-12)
    with pytest.raises(ValueError, match="score_mode"):
        yolov5_to_detections(q, (100, 100), quantization=(0.01, 0), score_mode="cls")


def test_yolo_float_rows_with_nan_are_dropped():
    f = np.zeros((3, 85), np.float32)
    f[:, :4] = [0.5, 0.5, 0.2, 0.2]
    f[:, 4] = [0.9, np.nan, 0.8]
    f[:, 5] = 1.0
    f[2, 0] = np.inf
    d = yolov5_to_detections(f, (100, 100))
    np.testing.assert_allclose(d.boxes, [[40, 40, 60, 60]], atol=1e-4)


def test_yolo_letterbox_mapping():
    f = np.zeros((1, 1, 85), np.float32)
    f[0, 0, :5] = [0.5, 0.5, 0.5, 0.25, 0.9]
    f[0, 0, 5] = 1.0
    # 1280x720 into 640x640: r = 0.5, content 640x360, vertical padding 140.
    d = yolov5_to_detections(f, (1280, 720), letterbox=True)
    np.testing.assert_allclose(d.boxes[0], [320, 200, 960, 520], atol=1e-4)
    s = yolov5_to_detections(f, (1280, 720))
    np.testing.assert_allclose(s.boxes[0], [320, 270, 960, 450], atol=1e-4)
    # Portrait 720x1280 into 320x320: r = 0.25, content 180x320, horizontal padding 70;
    # input pixels x 80..240, y 120..200 -> frame x (80-70)/0.25 = 40 .. 680, y 480 .. 800.
    d = yolov5_to_detections(f, (720, 1280), letterbox=True, input_size=(320, 320))
    np.testing.assert_allclose(d.boxes[0], [40, 480, 680, 800], atol=1e-4)


def test_yolo_raw_buffer_is_uint8_rows_of_85():
    rng = np.random.default_rng(5)
    q = random_yolo_tensor(rng, rows=500)
    a = yolov5_to_detections(q, (640, 480), quantization=(0.004, 0))
    b = yolov5_to_detections(q.tobytes(), (640, 480), quantization=(0.004, 0))
    np.testing.assert_array_equal(a.boxes, b.boxes)
    with pytest.raises(ValueError, match="multiple of 85 bytes"):
        yolov5_to_detections(q.tobytes()[:-1], (640, 480), quantization=(0.004, 0))


def test_yolo_bad_inputs():
    q = np.zeros((1, 10, 85), np.uint8)
    with pytest.raises(ValueError, match="needs quantization"):
        yolov5_to_detections(q, (640, 480))
    with pytest.raises(ValueError, match="scale must be finite and > 0"):
        yolov5_to_detections(q, (640, 480), quantization=(0.0, 0))
    with pytest.raises(ValueError, match=r"zero_point must be a whole number in \[0, 255\]"):
        yolov5_to_detections(q, (640, 480), quantization=(0.01, -3))
    with pytest.raises(ValueError, match=r"zero_point must be a whole number in \[-128, 127\]"):
        yolov5_to_detections(q.astype(np.int8), (640, 480), quantization=(0.01, 200))
    with pytest.raises(ValueError, match=r"expected shape \[1, R, 5 \+ C\]"):
        yolov5_to_detections(np.zeros((2, 10, 85), np.uint8), (640, 480), quantization=(0.01, 0))
    with pytest.raises(ValueError, match=r"expected shape \[1, R, 5 \+ C\]"):
        yolov5_to_detections(np.zeros((1, 10, 5), np.uint8), (640, 480), quantization=(0.01, 0))
    with pytest.raises(TypeError, match="uint8/int8"):
        yolov5_to_detections(np.zeros((1, 10, 85), np.int32), (640, 480), quantization=(0.01, 0))
    with pytest.raises(ValueError, match="score_threshold"):
        yolov5_to_detections(q, (640, 480), quantization=(0.01, 0), score_threshold=1.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        yolov5_to_detections(q, (640, 480), quantization=(0.01, 0), iou_threshold=-0.1)
    with pytest.raises(ValueError, match="max_detections"):
        yolov5_to_detections(q, (640, 480), quantization=(0.01, 0), max_detections=-1)
    with pytest.raises(ValueError, match="model_path"):
        yolov5_to_detections(q, (640, 480), model_path="/nonexistent/model.tflite")
    assert len(yolov5_to_detections(q, (640, 480), quantization=(0.01, 0))) == 0


# ----------------------------------------------------------------------------- real fixtures
@needs_fixtures
@pytest.mark.parametrize("chip", ["8", "9"])
def test_real_yolov5_fixture_finds_grace_hopper_and_her_tie(chip):
    tensor = np.load(SHARED / "tensors" / f"yolov5n_artpec{chip}_grace_hopper.npy")
    model = SHARED / "models" / f"yolov5n_artpec{chip}.tflite"
    assert tensor.shape == (1, 25200, 85) and tensor.dtype == np.uint8
    W = H = 300  # the bmp is 300x300, stretched to 640x640 for the model
    d = yolov5_to_detections(tensor, (W, H), model_path=model)
    same = yolov5_to_detections(tensor, (W, H), quantization=output_quantization(model))
    np.testing.assert_array_equal(d.boxes, same.boxes)
    names = [COCO80_NAMES[c] for c in d.class_ids]
    assert names.count("person") == 1 and names.count("tie") >= 1
    person = d.boxes[d.class_ids == 0][0] / [W, H, W, H]
    centre = (person[:2] + person[2:]) / 2
    size = person[2:] - person[:2]
    # Fixture facts: centre near (0.52, 0.58), size near 0.94 x 0.87 (the box is clipped at
    # the bottom edge; ARTPEC-9's best box is a little taller and higher than ARTPEC-8's).
    np.testing.assert_allclose(centre, [0.52, 0.58], atol=0.06)
    np.testing.assert_allclose(size, [0.94, 0.87], atol=0.08)
    tie = d.boxes[d.class_ids == 27][0] / [W, H, W, H]
    tie_centre = (tie[:2] + tie[2:]) / 2
    np.testing.assert_allclose(tie_centre, [0.50, 0.82], atol=0.07)
    assert (tie[2:] - tie[:2]).max() < 0.25
    # The tie lies inside the person box.
    assert person[0] <= tie[0] and tie[2] <= person[2] and person[1] <= tie[1] and tie[3] <= person[3]
    # Against the full-dequantise reference.
    scale, zp = output_quantization(model)
    rb, rs, rc = decode_reference(tensor, scale, zp, (W, H))
    np.testing.assert_allclose(d.boxes, rb, atol=1e-9)
    np.testing.assert_array_equal(d.class_ids, rc)
    persons_only = yolov5_to_detections(tensor, (W, H), model_path=model, classes=["person"])
    assert persons_only.class_ids.tolist() == [0]


@needs_fixtures
def test_artpec9_zero_point_matters():
    tensor = np.load(SHARED / "tensors" / "yolov5n_artpec9_grace_hopper.npy")
    right = yolov5_to_detections(tensor, (300, 300), model_path=SHARED / "models" / "yolov5n_artpec9.tflite")
    wrong = yolov5_to_detections(tensor, (300, 300), quantization=(0.0042463848, 0))
    assert not np.allclose(right.scores[0], wrong.scores[0])
