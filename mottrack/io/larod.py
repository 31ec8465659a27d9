"""Axis DLPU detector outputs (Larod buffers or ACAP-runtime gRPC arrays) to :class:`Detections`.

Two detectors of the Axis examples are supported:

**SSD MobileNet v2** (TFLite ``TFLite_Detection_PostProcess`` op), four float32
outputs in Larod order:

0. ``TFLite_Detection_PostProcess``: boxes ``[1, N, 4]``, ymin, xmin, ymax, xmax normalised 0..1
1. ``TFLite_Detection_PostProcess:1``: classes ``[1, N]``, COCO-90 id, 0-based, as float
2. ``TFLite_Detection_PostProcess:2``: scores ``[1, N]``, 0..1
3. ``TFLite_Detection_PostProcess:3``: count ``[1]``, number of valid rows (float), <= N

(index = Larod output order; name = the ACAP runtime's gRPC output key.)
N is 20 for the Axis model.  See :func:`ssd_to_detections`.

**YOLOv5 on ARTPEC-8/9**: one quantised output ``[1, 25200, 85]`` (uint8, or int8),
decoded inside the graph: each row is cx, cy, w, h normalised to the model input,
objectness, then 80 class probabilities, all as ``(q - zero_point) * scale``.  Larod
does not report the quantisation; read it from the model with
:func:`mottrack.io.tflite.output_quantization`.  See :func:`yolov5_to_detections`.

Box mapping
-----------
``frame_size`` is always ``(width, height)`` of the frame the tracker works in, in
pixels.  With *stretch* mapping (the default: the frame was resized to the model
input without keeping the aspect ratio) a normalised coordinate ``u`` maps to
``u * width``.  With *letterbox* mapping (YOLOv5 only: the frame was scaled by
``r = min(in_w / width, in_h / height)`` and centred with padding) the inverse of
that transform is applied.  Boxes are clipped to ``[0, width] x [0, height]``.
With ``transform=`` (a :class:`~mottrack.io.preprocess.Transform` from
:func:`~mottrack.io.preprocess.letterbox`, ``stretch`` or ``crop``) both decoders map
boxes back through the transform that was actually applied (its padding and rounding,
or a region of interest) and clip them to its frame window.
"""
from __future__ import annotations

import math
import os
from functools import lru_cache
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .._numba import njit
from ..detections import Detections, check_frame_size, check_size_pair
from ..geometry import nms
from .coco import COCO80_NAMES, COCO90_NAMES
from .preprocess import Transform
from .tflite import input_shape as _tflite_input_shape
from .tflite import output_quantization as _tflite_output_quantization

__all__ = ["ssd_to_detections", "yolov5_to_detections", "SSD_OUTPUT_NAMES",
           "COCO80_NAMES", "COCO90_NAMES"]

#: gRPC (TensorFlow Serving) output names of the SSD postprocess op, in Larod order.
SSD_OUTPUT_NAMES = ("TFLite_Detection_PostProcess", "TFLite_Detection_PostProcess:1",
                    "TFLite_Detection_PostProcess:2", "TFLite_Detection_PostProcess:3")

_SSD_FIELDS = ("boxes", "classes", "scores", "count")
_BUFFER_TYPES = (bytes, bytearray, memoryview)

#: Largest magnitude a quantised YOLOv5 value may dequantise to (the tensor holds
#: normalised coordinates and probabilities).
_MAX_DEQUANTISED = 1e6

# Kernel status codes.
_OK, _BAD_BOX, _BAD_CLASS = 0, 1, 2


# ----------------------------------------------------------------------------- helpers
def _unit_interval(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{field}: expected a number in [0, 1]; got {type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{field}: expected a number in [0, 1]; got {value!r}")
    return v


_NO_FILTER = np.zeros(0, dtype=np.bool_)


@lru_cache(maxsize=64)
def _class_mask_cached(classes: Tuple[Any, ...], names: Tuple[Optional[str], ...], field: str) -> np.ndarray:
    ids = []
    for c in classes:
        if isinstance(c, str):
            try:
                ids.append(names.index(c))
            except ValueError:
                raise ValueError(f"{field}: unknown class name {c!r}") from None
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if c < 0:
                raise ValueError(f"{field}: class ids must be >= 0; got {c}")
            ids.append(int(c))
        else:
            raise TypeError(f"{field}: expected class ids (int) or names (str); got {c!r}")
    mask = np.zeros(max(ids) + 1 if ids else 0, dtype=np.bool_)
    mask[ids] = True
    if not ids:  # an explicit empty filter keeps nothing: a mask of one False entry
        mask = np.zeros(1, dtype=np.bool_)
    mask.setflags(write=False)
    return mask


def _class_mask(classes: Optional[Iterable[Any]], names: Tuple[Optional[str], ...]) -> np.ndarray:
    """Boolean lookup table ``mask[class_id]`` (empty = keep all)."""
    if classes is None:
        return _NO_FILTER
    if isinstance(classes, (str, int, np.integer)):
        classes = (classes,)
    key = tuple(int(c) if isinstance(c, np.integer) else c for c in classes)
    return _class_mask_cached(key, names, "classes")


def _as_tensor(value: Any, field: str, expected: str, dtype=np.float32) -> np.ndarray:
    """Float32 C-contiguous array from an ndarray or a raw buffer."""
    if type(value) is np.ndarray and value.dtype == dtype and value.flags.c_contiguous:
        return value  # fast path
    if isinstance(value, _BUFFER_TYPES):
        mv = memoryview(value)
        if mv.nbytes % 4:
            raise ValueError(f"{field}: raw buffer of {mv.nbytes} bytes is not a whole number of "
                             f"float32 values; expected {expected}")
        return np.frombuffer(mv.cast("B"), dtype=np.float32)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{field}: expected a float32 array {expected}; got dtype {arr.dtype}")
    if arr.dtype != dtype or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=dtype)
    return arr


def _ssd_parts(outputs: Any) -> Sequence[Any]:
    if type(outputs) in (list, tuple) and len(outputs) == 4:  # fast path
        return outputs
    if isinstance(outputs, Mapping):
        parts: list = [None] * 4
        for key, value in outputs.items():
            name = str(key)
            base, sep, suffix = name.rpartition(":")
            index = int(suffix) if sep and suffix.isdigit() else 0
            if not 0 <= index <= 3:
                raise ValueError(f"outputs: unexpected key {name!r}; expected {', '.join(SSD_OUTPUT_NAMES)}")
            if parts[index] is not None:
                raise ValueError(f"outputs: two keys map to output {index} ({name!r})")
            parts[index] = value
        missing = [SSD_OUTPUT_NAMES[i] for i in range(4) if parts[i] is None]
        if missing:
            raise ValueError(f"outputs: missing {', '.join(missing)}; expected the four keys "
                             f"{', '.join(SSD_OUTPUT_NAMES)}")
        return parts
    if isinstance(outputs, (np.ndarray, *_BUFFER_TYPES, str)) or not isinstance(outputs, Sequence):
        raise TypeError("outputs: expected a sequence of 4 tensors (boxes, classes, scores, count) "
                        "in Larod order, a dict keyed by the TFLite_Detection_PostProcess[:1|:2|:3] "
                        f"names, or 4 raw buffers; got {type(outputs).__name__}")
    if len(outputs) != 4:
        raise ValueError(f"outputs: expected 4 tensors (boxes, classes, scores, count); got {len(outputs)}")
    return outputs


def _mapping(frame_size: Any, transform: Any) -> Tuple[float, ...]:
    """``(sx, sy, ox, oy, x_lo, y_lo, x_hi, y_hi)``: normalised input coordinates to frame
    pixels (``x = u * sx + ox``) and the clip window, from ``frame_size`` (stretch) or a
    :class:`~mottrack.io.preprocess.Transform`."""
    if transform is None:
        if frame_size is None:
            raise TypeError("frame_size: expected (width, height) of the frame in pixels "
                            "(or transform=)")
        width, height = check_frame_size(frame_size)
        return width, height, 0.0, 0.0, 0.0, 0.0, width, height
    if not isinstance(transform, Transform):
        raise TypeError(f"transform: expected a mottrack.io.preprocess.Transform; got "
                        f"{type(transform).__name__}")
    if frame_size is not None:
        w, h = check_frame_size(frame_size)
        if (w, h) != tuple(float(v) for v in transform.frame_size):
            raise ValueError(f"frame_size: {frame_size!r} differs from the transform's frame_size "
                             f"{transform.frame_size!r}")
    sx, sy, ox, oy = transform.normalized_to_frame()
    x1, y1, x2, y2 = transform.window
    return sx, sy, ox, oy, x1, y1, x2, y2


# ----------------------------------------------------------------------------- SSD
@njit
def _ssd_kernel(boxes, classes, scores, count, thr, class_mask, sx, sy, ox, oy, x_lo, y_lo, x_hi, y_hi):
    """Filter and map the first ``count`` SSD rows.

    boxes (N, 4) float32 ymin, xmin, ymax, xmax normalised; classes, scores (N,) float32.
    Boxes map as ``x_px = x_norm * sx + ox`` (likewise y) and are clipped to
    ``[x_lo, x_hi] x [y_lo, y_hi]``.
    Returns (out_boxes (K, 4) float64 x1, y1, x2, y2 px, out_scores (K,), out_cls (K,) int64,
    status, bad_row).
    """
    out_b = np.empty((count, 4), dtype=np.float64)
    out_s = np.empty(count, dtype=np.float64)
    out_c = np.empty(count, dtype=np.int64)
    k = 0
    nmask = class_mask.shape[0]
    for i in range(count):
        s = scores[i]
        if not (s >= thr):  # also drops NaN scores
            continue
        c = classes[i]
        if not (c >= 0.0 and c == np.floor(c) and c < 2.0 ** 31):
            return out_b[:0], out_s[:0], out_c[:0], _BAD_CLASS, i
        ci = np.int64(c)
        if nmask > 0 and (ci >= nmask or not class_mask[ci]):
            continue
        y1 = np.float64(boxes[i, 0])
        x1 = np.float64(boxes[i, 1])
        y2 = np.float64(boxes[i, 2])
        x2 = np.float64(boxes[i, 3])
        if not (np.isfinite(x1) and np.isfinite(y1) and np.isfinite(x2) and np.isfinite(y2)):
            return out_b[:0], out_s[:0], out_c[:0], _BAD_BOX, i
        if x2 < x1:
            x1, x2 = x2, x1
        if y2 < y1:
            y1, y2 = y2, y1
        out_b[k, 0] = min(max(x1 * sx + ox, x_lo), x_hi)
        out_b[k, 1] = min(max(y1 * sy + oy, y_lo), y_hi)
        out_b[k, 2] = min(max(x2 * sx + ox, x_lo), x_hi)
        out_b[k, 3] = min(max(y2 * sy + oy, y_lo), y_hi)
        out_s[k] = s
        out_c[k] = ci
        k += 1
    return out_b[:k], out_s[:k], out_c[:k], _OK, -1


def ssd_to_detections(outputs: Union[Sequence[Any], Mapping[str, Any]],
                      frame_size: Optional[Tuple[float, float]] = None, *,
                      score_threshold: float = 0.5,
                      classes: Optional[Iterable[Union[int, str]]] = None,
                      transform: Optional["Transform"] = None) -> Detections:
    """Convert the four SSD MobileNet v2 postprocess outputs into :class:`Detections`.

    Parameters
    ----------
    outputs : sequence of 4, or mapping
        ``(boxes, classes, scores, count)`` in Larod order, each an array or a raw
        ``bytes``/``memoryview`` of the mapped Larod output (native float32):

        - boxes: float32 ``[1, N, 4]`` (or ``[N, 4]``; raw: ``16 N`` bytes) as ymin,
          xmin, ymax, xmax normalised to 0..1;
        - classes: float32 ``[1, N]`` (or ``[N]``; raw: ``4 N`` bytes), COCO-90 id,
          0-based, whole numbers (see :data:`COCO90_NAMES`);
        - scores: float32 ``[1, N]`` (or ``[N]``; raw: ``4 N`` bytes);
        - count: float32 ``[1]`` (raw: 4 bytes), the number of valid rows.

        Or a mapping keyed by the ACAP runtime's gRPC names
        ``TFLite_Detection_PostProcess``, ``...:1``, ``...:2``, ``...:3`` (a key's
        ``:k`` suffix gives its index; no suffix is index 0).
    frame_size : (int, int)
        ``(width, height)`` of the frame in pixels.  Without ``transform`` the frame is
        assumed stretched to the model input, so a normalised ``x`` maps to ``x * width``.
        May be omitted when ``transform`` is given (it must match its ``frame_size``).
    score_threshold : float, default 0.5
        Rows with ``score >= score_threshold`` are kept (NaN scores are dropped).
    classes : iterable of int or str, optional
        Keep only these classes: COCO-90 ids (0 = person) or names from
        :data:`COCO90_NAMES` (e.g. ``["person"]``).
    transform : Transform, optional
        How the frame was fitted to the model input (:mod:`mottrack.io.preprocess`):
        boxes map back through it and are clipped to its frame window.

    Returns
    -------
    Detections
        Boxes x1, y1, x2, y2 in frame pixels, clipped to ``[0, width] x [0, height]``
        (or the transform's window);
        scores; ``class_ids`` = the model's COCO-90 ids.  Row order = tensor order.

    Raises
    ------
    TypeError
        ``outputs`` is not a sequence/mapping, or a tensor is not numeric.
    ValueError
        Wrong number of tensors, missing keys, wrong shapes or buffer sizes,
        inconsistent N, a count that is not a whole number in ``[0, N]``, a kept
        row with a non-finite box or a class that is not a whole number >= 0.

    Notes
    -----
    Rows at and past ``count`` are never read.  The count may be N with low-score
    rows; thresholding handles them.
    """
    b_in, c_in, s_in, n_in = _ssd_parts(outputs)
    boxes = _as_tensor(b_in, "boxes", "[1, N, 4] ymin, xmin, ymax, xmax")
    if boxes.ndim == 3 and boxes.shape[0] == 1 and boxes.shape[2] == 4:
        boxes = boxes[0]
    elif boxes.ndim == 1 and boxes.shape[0] % 4 == 0:
        boxes = boxes.reshape(-1, 4)
    elif not (boxes.ndim == 2 and boxes.shape[1] == 4):
        raise ValueError(f"boxes: expected shape [1, N, 4] as ymin, xmin, ymax, xmax; got {list(boxes.shape)}")
    n = boxes.shape[0]
    cls = _as_tensor(c_in, "classes", f"[1, {n}]")
    scores = _as_tensor(s_in, "scores", f"[1, {n}]")
    for arr, field in ((cls, "classes"), (scores, "scores")):
        if arr.size != n or not (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[0] == 1)):
            raise ValueError(f"{field}: expected shape [1, {n}] to match boxes [1, {n}, 4]; "
                             f"got {list(arr.shape)}")
    cls = cls.reshape(n)
    scores = scores.reshape(n)
    cnt = _as_tensor(n_in, "count", "[1]")
    if cnt.size != 1:
        raise ValueError(f"count: expected shape [1] (one float32); got {list(cnt.shape)}")
    c = float(cnt.reshape(1)[0])
    if not (c == c and c >= 0 and c <= n and c == math.floor(c)):
        raise ValueError(f"count: {c!r} is not a whole number in [0, {n}] (the tensors hold {n} rows)")
    sx, sy, ox, oy, x_lo, y_lo, x_hi, y_hi = _mapping(frame_size, transform)
    if isinstance(score_threshold, bool) or not isinstance(score_threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"score_threshold: expected a number; got {type(score_threshold).__name__}")
    try:
        thr = float(score_threshold)
    except OverflowError:
        thr = math.inf if score_threshold > 0 else -math.inf
    if thr != thr:
        raise ValueError(f"score_threshold: expected a number; got {score_threshold!r}")
    mask = _class_mask(classes, COCO90_NAMES)
    out_b, out_s, out_c, status, row = _ssd_kernel(boxes, cls, scores, int(c), thr, mask, sx, sy, ox, oy,
                                                     x_lo, y_lo, x_hi, y_hi)
    if status != _OK:
        if status == _BAD_CLASS:
            raise ValueError(f"classes: row {row} is {float(cls[row])!r}; expected a whole number >= 0")
        raise ValueError(f"boxes: row {row} is {boxes[row].tolist()}; expected finite numbers")
    # the same checks as Tracker.update (e.g. an inf score of a kept row)
    return Detections._validated(out_b, out_s, out_c, "ssd_to_detections")


# ----------------------------------------------------------------------------- YOLOv5
@njit
def _yolo_kernel(t, raw_thr, scale, zero_point, score_thr, obj_only, class_mask,
                 iou_thr, max_det, sx, sy, ox, oy, x_lo, y_lo, x_hi, y_hi):
    """Decode a [R, 5 + C] YOLOv5 tensor (raw quantised or float).

    ``raw_thr`` is the objectness threshold in the tensor's own units, so rows are
    rejected from one raw byte; only surviving rows are dequantised.  Boxes map as
    ``x_px = x_norm * sx + ox`` and ``y_px = y_norm * sy + oy``, clipped to
    ``[x_lo, x_hi] x [y_lo, y_hi]``.
    Returns (boxes (K, 4) float64 px, scores (K,), class ids (K,) int64).
    """
    rows = t.shape[0]
    ncls = t.shape[1] - 5
    nmask = class_mask.shape[0]
    cap = 64
    cb = np.empty((cap, 4), dtype=np.float64)
    cs = np.empty(cap, dtype=np.float64)
    cc = np.empty(cap, dtype=np.int64)
    n = 0
    for i in range(rows):
        q_obj = t[i, 4]
        if q_obj < raw_thr:
            continue
        # Best class on raw values (dequantisation is monotonic: scale > 0).
        best = 0
        qbest = t[i, 5]
        for j in range(1, ncls):
            q = t[i, 5 + j]
            if q > qbest:
                qbest = q
                best = j
        if nmask > 0 and (best >= nmask or not class_mask[best]):
            continue
        obj = (np.float64(q_obj) - zero_point) * scale
        if obj_only:
            score = obj
        else:
            score = obj * ((np.float64(qbest) - zero_point) * scale)
        if not (score >= score_thr) or not np.isfinite(score):
            continue  # (a non-finite score comes from a float tensor only)
        if n == cap:
            cap *= 2
            nb = np.empty((cap, 4), dtype=np.float64)
            ns = np.empty(cap, dtype=np.float64)
            nc = np.empty(cap, dtype=np.int64)
            nb[:n] = cb[:n]
            ns[:n] = cs[:n]
            nc[:n] = cc[:n]
            cb, cs, cc = nb, ns, nc
        cx = (np.float64(t[i, 0]) - zero_point) * scale
        cy = (np.float64(t[i, 1]) - zero_point) * scale
        hw = 0.5 * (np.float64(t[i, 2]) - zero_point) * scale
        hh = 0.5 * (np.float64(t[i, 3]) - zero_point) * scale
        if not (np.isfinite(cx) and np.isfinite(cy) and np.isfinite(hw) and np.isfinite(hh)):
            continue  # float tensors only: a row with NaN/inf geometry is dropped
        cb[n, 0] = cx - hw
        cb[n, 1] = cy - hh
        cb[n, 2] = cx + hw
        cb[n, 3] = cy + hh
        cs[n] = score
        cc[n] = best
        n += 1

    keep = nms(cb[:n], cs[:n], cc[:n], iou_thr, max_det)
    k = keep.shape[0]
    out_b = np.empty((k, 4), dtype=np.float64)
    out_s = np.empty(k, dtype=np.float64)
    out_c = np.empty(k, dtype=np.int64)
    for r in range(k):
        i = keep[r]
        x1 = cb[i, 0] * sx + ox
        y1 = cb[i, 1] * sy + oy
        x2 = cb[i, 2] * sx + ox
        y2 = cb[i, 3] * sy + oy
        if x2 < x1:
            x1, x2 = x2, x1
        if y2 < y1:
            y1, y2 = y2, y1
        out_b[r, 0] = min(max(x1, x_lo), x_hi)
        out_b[r, 1] = min(max(y1, y_lo), y_hi)
        out_b[r, 2] = min(max(x2, x_lo), x_hi)
        out_b[r, 3] = min(max(y2, y_lo), y_hi)
        out_s[r] = cs[i]
        out_c[r] = cc[i]
    return out_b, out_s, out_c


def _file_key(model_path: Any) -> Tuple[str, int, int]:
    path = os.fspath(model_path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ValueError(f"model_path: cannot read {path!r} ({exc.strerror or exc})") from None
    return path, st.st_mtime_ns, st.st_size


@lru_cache(maxsize=16)
def _model_facts(key: Tuple[str, int, int]) -> Tuple[Tuple[float, int], Tuple[int, int]]:
    path = key[0]
    quant = _tflite_output_quantization(path)
    shape = _tflite_input_shape(path)
    if len(shape) == 4:  # NHWC
        in_size = (int(shape[2]), int(shape[1]))
    else:
        in_size = (640, 640)
    return quant, in_size


def _raw_threshold(thr: float, scale: float, zero_point: float, dtype: np.dtype) -> float:
    """Smallest raw value q with ``(q - zero_point) * scale >= thr``, as the kernel computes it."""
    info = np.iinfo(dtype)
    q = math.ceil(thr / scale + zero_point)
    q = min(max(q, info.min - 1), info.max + 1)
    while q - 1 >= info.min and (float(q - 1) - zero_point) * scale >= thr:
        q -= 1
    while q <= info.max and (float(q) - zero_point) * scale < thr:
        q += 1
    return float(q)


def _yolo_tensor(output: Any) -> np.ndarray:
    if isinstance(output, _BUFFER_TYPES):
        mv = memoryview(output).cast("B")
        if mv.nbytes == 0 or mv.nbytes % 85:
            raise ValueError(f"output: raw buffer of {mv.nbytes} bytes is not [1, R, 85] uint8 "
                             "(a multiple of 85 bytes); pass an array for other layouts")
        return np.frombuffer(mv, dtype=np.uint8).reshape(-1, 85)
    arr = np.asarray(output)
    if arr.dtype not in (np.uint8, np.int8, np.float32, np.float64):
        raise TypeError(f"output: expected a uint8/int8 (quantised) or float32 tensor [1, R, 5 + C]; "
                        f"got dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or arr.shape[1] < 6:
        raise ValueError(f"output: expected shape [1, R, 5 + C] (e.g. [1, 25200, 85]) as cx, cy, w, h, "
                         f"objectness, C class probabilities; got {list(np.shape(output))}")
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return arr


def yolov5_to_detections(output: Any, frame_size: Optional[Tuple[float, float]] = None, *,
                         quantization: Optional[Tuple[float, int]] = None,
                         model_path: Optional[Union[str, "os.PathLike[str]"]] = None,
                         score_threshold: float = 0.25, iou_threshold: float = 0.45,
                         classes: Optional[Iterable[Union[int, str]]] = None,
                         letterbox: bool = False, max_detections: int = 300,
                         score_mode: str = "obj_x_cls",
                         input_size: Optional[Tuple[int, int]] = None,
                         transform: Optional["Transform"] = None) -> Detections:
    """Decode a YOLOv5 output tensor (as run by Larod on ARTPEC-8/9) into :class:`Detections`.

    Parameters
    ----------
    output : ndarray or buffer
        ``[1, R, 5 + C]`` (or ``[R, 5 + C]``) uint8/int8 quantised, or float32 already
        dequantised; rows are cx, cy, w, h (normalised to the model input),
        objectness, C class probabilities.  A raw ``bytes``/``memoryview`` of the
        Larod output is read as uint8 ``[1, R, 85]``.
    frame_size : (int, int)
        ``(width, height)`` of the frame in pixels (may be omitted with ``transform``).
    quantization : (float, int), optional
        ``(scale, zero_point)``: real value ``= (q - zero_point) * scale``.  Required
        for integer tensors unless ``model_path`` is given.
    model_path : path, optional
        The ``.tflite`` model; output quantisation and input size are read from it
        (cached per file).  An explicit ``quantization`` wins.
    score_threshold : float, default 0.25
        A row is a candidate when ``objectness >= score_threshold`` (tested on the raw
        quantised byte, before anything is dequantised) and kept when its score is
        ``>= score_threshold``.
    iou_threshold : float, default 0.45
        Class-aware greedy NMS: a box is suppressed by a higher-scoring box of the
        same class with IoU ``> iou_threshold``.
    classes : iterable of int or str, optional
        Keep only these COCO-80 ids or names (:data:`COCO80_NAMES`), before NMS.
    letterbox : bool, default False
        False: the frame was stretched to the model input.  True: it was scaled
        keeping its aspect ratio and centred with padding (YOLOv5 ``letterbox``).
    max_detections : int, default 300
        Keep at most this many boxes (the highest scores) after NMS.
    score_mode : {"obj_x_cls", "obj"}
        Score = objectness x best class probability (YOLOv5), or objectness alone.
        The class is the best class in both modes.
    input_size : (int, int), optional
        Model input ``(width, height)`` for letterbox mapping; default from
        ``model_path``, else (640, 640).
    transform : Transform, optional
        How the frame was fitted to the model input (:mod:`mottrack.io.preprocess`:
        letterbox, stretch or crop, with the padding and rounding actually applied):
        boxes map back through it exactly and are clipped to its frame window.  Not
        combined with ``letterbox=True`` (the transform already says how).

    Returns
    -------
    Detections
        Boxes x1, y1, x2, y2 in frame pixels clipped to the frame, scores, COCO-80
        class ids; sorted by descending score.  (Float tensors: rows with a
        non-finite objectness, score or box are dropped.)

    Raises
    ------
    TypeError
        Unsupported dtype.
    ValueError
        Wrong shape or buffer size; integer tensor without quantisation; scale not
        finite and > 0; zero point outside the dtype's range; thresholds outside
        [0, 1]; bad ``score_mode`` or ``max_detections``.
    """
    t = _yolo_tensor(output)
    if transform is not None and letterbox:
        raise ValueError("letterbox: pass either letterbox=True or transform=, not both "
                         "(the transform already holds the letterbox padding)")
    width, height = check_frame_size(frame_size if transform is None or frame_size is not None
                                     else transform.frame_size)
    in_size = None
    if model_path is not None:
        model_quant, in_size = _model_facts(_file_key(model_path))
        if quantization is None:
            quantization = model_quant
    if input_size is not None:
        in_size = input_size
    integer = t.dtype.kind in "iu"
    if quantization is None:
        if integer:
            raise ValueError(f"quantization: a {t.dtype} tensor needs quantization=(scale, zero_point) "
                             "or model_path= to read it from the .tflite file")
        scale, zero_point = 1.0, 0.0
    else:
        try:
            scale, zero_point = quantization
            scale = float(scale)
            zp = float(zero_point)
        except (TypeError, ValueError):
            raise ValueError(f"quantization: expected (scale, zero_point); got {quantization!r}") from None
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"quantization: scale must be finite and > 0; got {scale!r}")
        if integer:
            info = np.iinfo(t.dtype)
            if not (zp == math.floor(zp) and info.min <= zp <= info.max):
                raise ValueError(f"quantization: zero_point must be a whole number in "
                                 f"[{info.min}, {info.max}] for {t.dtype}; got {zero_point!r}")
            span = max(zp - info.min, info.max - zp) * scale
            if not span <= _MAX_DEQUANTISED:
                raise ValueError(f"quantization: scale {scale!r} dequantises {t.dtype} values to up to "
                                 f"{span:.3g}; expected normalised coordinates and probabilities "
                                 f"(|value| <= {_MAX_DEQUANTISED:g})")
        elif not math.isfinite(zp):
            raise ValueError(f"quantization: zero_point must be finite; got {zero_point!r}")
        zero_point = zp
    thr = _unit_interval(score_threshold, "score_threshold")
    iou = _unit_interval(iou_threshold, "iou_threshold")
    if score_mode not in ("obj_x_cls", "obj"):
        raise ValueError(f"score_mode: expected 'obj_x_cls' or 'obj'; got {score_mode!r}")
    if (isinstance(max_detections, bool) or not isinstance(max_detections, (int, np.integer))
            or not 0 <= max_detections <= 2 ** 31):
        raise ValueError(f"max_detections: expected an int in [0, 2**31]; got {max_detections!r}")
    raw_thr = _raw_threshold(thr, scale, zero_point, t.dtype) if integer else thr
    mask = _class_mask(classes, COCO80_NAMES)
    if transform is not None:
        sx, sy, ox, oy, x_lo, y_lo, x_hi, y_hi = _mapping(frame_size, transform)
    elif letterbox:
        in_w, in_h = (640.0, 640.0) if in_size is None else check_size_pair(
            in_size, "input_size", "the model input (width, height)", low=0.5)
        r = min(in_w / width, in_h / height)
        pad_x = (in_w - width * r) / 2.0
        pad_y = (in_h - height * r) / 2.0
        sx, sy = in_w / r, in_h / r
        ox, oy = -pad_x / r, -pad_y / r
        x_lo, y_lo, x_hi, y_hi = 0.0, 0.0, width, height
    else:
        sx, sy, ox, oy = width, height, 0.0, 0.0
        x_lo, y_lo, x_hi, y_hi = 0.0, 0.0, width, height
    b, s, c = _yolo_kernel(t, raw_thr, scale, zero_point, thr, score_mode == "obj", mask,
                           iou, int(max_detections), sx, sy, ox, oy, x_lo, y_lo, x_hi, y_hi)
    # the same checks as Tracker.update
    return Detections._validated(b, s, c, "yolov5_to_detections")
