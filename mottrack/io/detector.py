"""Run a detector on frames: fit the frame to the model input, infer, decode to :class:`Detections`.

:class:`Detector` does what an Axis camera app does around Larod, on a PC:

1. **preprocess**: letterbox or stretch the frame (optionally a region of interest) to the
   model input with Pillow's bilinear resize (:mod:`mottrack.io.preprocess`) and quantise
   it as the model's input tensor says;
2. **infer**: a ``.tflite`` model runs in LiteRT (``ai-edge-litert``, extra ``[video]``) on
   the CPU; with the shared Axis YOLOv5 models its outputs equal the DLPU's byte for byte.
   Any other runtime (ONNX Runtime, OpenVINO, a gRPC client of the ACAP runtime) is a
   callable ``model(tensor) -> outputs``;
3. **decode**: YOLOv5 (one ``[1, R, 5 + C]`` output) or SSD (four outputs) through
   :func:`~mottrack.io.larod.yolov5_to_detections` / :func:`~mottrack.io.larod.ssd_to_detections`
   with the exact :class:`~mottrack.io.preprocess.Transform`, so boxes land on the frame.

Input quantisation: a pixel ``p`` (0..255) is the real value
``lo + p / 255 * (hi - lo)`` for ``pixel_range = (lo, hi)`` (default 0..1, YOLOv5's
convention); an integer input tensor holds ``round(real / scale + zero_point)`` with the
model's ``(scale, zero_point)``, a float input the real value.  (The Axis YOLOv5 models:
uint8 with scale 1/255 and zero point 0, so the bytes are the pixels.)
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..detections import Detections
from .coco import COCO80_NAMES, COCO90_NAMES
from .larod import ssd_to_detections, yolov5_to_detections
from .tflite import read_tensors
from .preprocess import Transform, _roi, _size, apply_transform, fit_transform

__all__ = ["Detector", "LiteRTModel", "VIDEO_EXTRA_HINT"]

#: What to install for LiteRT, PyAV and Pillow.
VIDEO_EXTRA_HINT = "pip install 'mottrack[video]'"

_DECODERS = ("auto", "yolov5", "ssd")


class LiteRTModel:
    """A ``.tflite`` model in LiteRT's CPU interpreter: ``model(tensor) -> [outputs]``.

    Parameters
    ----------
    path : path
        The ``.tflite`` file.
    threads : int, default 1
        CPU threads of the interpreter.

    Attributes
    ----------
    input_shape : tuple of int
        ``(1, h, w, 3)``.
    input_dtype : numpy dtype
    input_quantization, output_quantization : list of (float, int) or None
        Per input / output tensor, ``(scale, zero_point)`` as stored in the model, or None
        when not quantised.

    Raises
    ------
    ImportError
        ``ai-edge-litert`` is not installed (the message names the ``[video]`` extra).
    ValueError
        The file cannot be read or is not a model LiteRT loads.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise ImportError(f"running a .tflite model needs LiteRT (ai-edge-litert): {VIDEO_EXTRA_HINT}") from None
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
            raise ValueError(f"threads: expected an int >= 1; got {threads!r}")
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise ValueError(f"model: file not found: {self.path}")
        read_tensors(self.path)  # a clear ValueError for a file that is not a .tflite model
        try:
            self._it = Interpreter(model_path=self.path, num_threads=int(threads))
            self._it.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"model: LiteRT cannot load {self.path}: {' '.join(str(exc).split())}") from None
        inp = self._it.get_input_details()
        if len(inp) != 1:
            raise ValueError(f"model: expected one input tensor; {self.path} has {len(inp)}")
        self._in = inp[0]["index"]
        self.input_shape = tuple(int(v) for v in inp[0]["shape"])
        self.input_dtype = np.dtype(inp[0]["dtype"])
        self._out = [d["index"] for d in self._it.get_output_details()]
        self.input_quantization = [_quant(d) for d in inp]
        self.output_quantization = [_quant(d) for d in self._it.get_output_details()]

    def __call__(self, tensor: np.ndarray) -> List[np.ndarray]:
        self._it.set_tensor(self._in, tensor)
        self._it.invoke()
        return [self._it.get_tensor(i) for i in self._out]


def _quant(detail: dict) -> Optional[Tuple[float, int]]:
    scale, zp = detail.get("quantization", (0.0, 0))
    return (float(scale), int(zp)) if scale else None


def _pixel_lut(dtype: np.dtype, quant: Optional[Tuple[float, int]], pixel_range: Tuple[float, float]) -> Optional[np.ndarray]:
    """256-entry table pixel -> input tensor value; None when it is the identity on uint8."""
    lo, hi = pixel_range
    real = lo + np.arange(256, dtype=np.float64) / 255.0 * (hi - lo)
    if dtype.kind == "f":
        return real.astype(dtype)
    if quant is None:
        raise ValueError(f"model input: a {dtype} input without quantisation parameters; "
                         "pass input_quantization=(scale, zero_point)")
    scale, zp = quant
    info = np.iinfo(dtype)
    q = np.clip(np.round(real / scale + zp), info.min, info.max).astype(dtype)
    if dtype == np.uint8 and np.array_equal(q, np.arange(256)):
        return None
    return q


class Detector:
    """Frame (``H x W x 3`` uint8 RGB) -> :class:`Detections` in frame pixels.

    Parameters
    ----------
    model : path or callable
        A ``.tflite`` file, run with LiteRT (:class:`LiteRTModel`), or a callable taking the
        input tensor ``(1, h, w, 3)`` and returning the output tensor(s): one
        ``[1, R, 5 + C]`` YOLOv5 array, or the four SSD tensors (list or dict, see
        :func:`~mottrack.io.larod.ssd_to_detections`).
    decoder : {"auto", "yolov5", "ssd"}
        ``auto``: four outputs are SSD, one is YOLOv5.
    fit : {"letterbox", "stretch"}
        How the frame (or ``roi``) is fitted to the input.
    roi : (int, int, int, int), optional
        Frame window ``x1, y1, x2, y2`` (pixels) the model looks at; boxes are clipped to it.
    input_size : (int, int), optional
        ``(w, h)`` of the input; read from a ``.tflite`` model, required with a callable.
    input_dtype : str, optional
        Input tensor dtype for a callable (default ``"uint8"``).
    input_quantization, output_quantization : (float, int), optional
        ``(scale, zero_point)``; read from a ``.tflite`` model, give them for a callable
        with quantised tensors (YOLOv5 output).
    pixel_range : (float, float)
        Real input value of pixel 0 and pixel 255 (see module docs).
    score_threshold : float, default 0.1
        Detections scoring below are dropped (0.1: the bottom of ByteTrack's low band;
        each tracker's own score gate applies after).
    iou_threshold : float, default 0.45
        YOLOv5 NMS.
    classes : iterable of int or str, optional
        Keep only these class ids or names (COCO-80 for YOLOv5, COCO-90 for SSD).
    threads : int, default 1
        LiteRT interpreter threads.
    pad_value : int, default 114
        Letterbox padding grey.
    align : {"center", "top-left"}
        Where letterbox padding goes (see :func:`~mottrack.io.preprocess.fit_transform`).
    max_detections : int, default 300

    Examples
    --------
    >>> det = Detector("yolov5n_artpec8.tflite", classes=["person"])   # doctest: +SKIP
    >>> dets = det(frame)                                              # doctest: +SKIP
    >>> tensor, transform = det.preprocess(frame)                      # the stages apart
    >>> dets = det.decode(det.infer(tensor), transform)                # doctest: +SKIP
    """

    def __init__(self, model: Union[str, "os.PathLike[str]", Callable[[np.ndarray], Any]], *,
                 decoder: str = "auto", fit: str = "letterbox", roi: Optional[Sequence[int]] = None,
                 input_size: Optional[Tuple[int, int]] = None, input_dtype: Optional[str] = None,
                 input_quantization: Optional[Tuple[float, int]] = None,
                 output_quantization: Optional[Tuple[float, int]] = None,
                 pixel_range: Tuple[float, float] = (0.0, 1.0), score_threshold: float = 0.1,
                 iou_threshold: float = 0.45, classes: Optional[Iterable[Union[int, str]]] = None,
                 threads: int = 1, pad_value: int = 114, align: str = "center",
                 max_detections: int = 300) -> None:
        if decoder not in _DECODERS:
            raise ValueError(f"decoder: expected one of {', '.join(_DECODERS)}; got {decoder!r}")
        if fit not in ("letterbox", "stretch"):
            raise ValueError(f"fit: expected 'letterbox' or 'stretch'; got {fit!r}")
        if isinstance(pad_value, bool) or not isinstance(pad_value, (int, np.integer)) or not 0 <= pad_value <= 255:
            raise ValueError(f"pad_value: expected an int in 0..255; got {pad_value!r}")
        try:
            lo, hi = (float(v) for v in pixel_range)
        except (TypeError, ValueError):
            raise ValueError(f"pixel_range: expected (low, high) numbers; got {pixel_range!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ValueError(f"pixel_range: expected finite (low, high) with high > low; got {pixel_range!r}")
        for name, v in (("score_threshold", score_threshold), ("iou_threshold", iou_threshold)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{name}: expected a number in [0, 1]; got {v!r}")
        self.runtime: Callable[[np.ndarray], Any]
        if callable(model):
            if input_size is None:
                raise ValueError("input_size: required with a callable model: (width, height) of its input")
            self.runtime = model
            self.model_path: Optional[str] = None
            dtype = np.dtype(input_dtype or "uint8")
            in_q = input_quantization
            out_q = output_quantization
            if dtype.kind in "iu" and in_q is None:
                in_q = (1.0 / 255.0, 0) if dtype == np.uint8 else (1.0 / 255.0, -128)
        elif isinstance(model, (str, os.PathLike)):
            rt = LiteRTModel(model, threads)
            self.runtime = rt
            self.model_path = rt.path
            shape = rt.input_shape
            if len(shape) != 4 or shape[0] != 1 or shape[3] != 3:
                raise ValueError(f"model: expected an input of shape (1, h, w, 3); {rt.path} has {shape}")
            if input_size is None:
                input_size = (shape[2], shape[1])
            elif tuple(input_size) != (shape[2], shape[1]):
                raise ValueError(f"input_size: {input_size!r} differs from the model's input "
                                 f"{shape[2]}x{shape[1]}")
            dtype = rt.input_dtype
            in_q = input_quantization or rt.input_quantization[0]
            outs = rt.output_quantization
            out_q = output_quantization or (outs[0] if len(outs) == 1 else None)
            if decoder == "auto" and len(outs) in (1, 4):
                decoder = "ssd" if len(outs) == 4 else "yolov5"
        else:
            raise TypeError(f"model: expected a .tflite path or a callable; got {type(model).__name__}")
        self.input_size = _size(input_size, "input_size")
        self.input_dtype = dtype
        self.input_quantization = in_q
        self.output_quantization = out_q
        self._lut = _pixel_lut(dtype, in_q, (lo, hi))
        self.decoder = decoder
        self.fit = fit
        if roi is not None:  # the frame size comes with the first frame; check the form now
            _roi(roi, (65535, 65535))
        self.roi = None if roi is None else tuple(int(v) for v in roi)
        self.align = align
        self.pad_value = int(pad_value)
        self.score_threshold = float(score_threshold)
        self.iou_threshold = float(iou_threshold)
        self.classes = None if classes is None else tuple(classes)
        self.max_detections = int(max_detections)
        self._transform: Optional[Transform] = None

    @property
    def class_names(self) -> Tuple[Optional[str], ...]:
        """Names of the decoder's class ids: COCO-90 for SSD, COCO-80 otherwise."""
        return COCO90_NAMES if self.decoder == "ssd" else COCO80_NAMES

    def transform_for(self, frame_size: Tuple[int, int]) -> Transform:
        """The :class:`Transform` applied to frames of ``frame_size`` (cached per size)."""
        t = self._transform
        if t is None or tuple(t.frame_size) != tuple(frame_size):
            t = fit_transform(frame_size, self.input_size, mode=self.fit, roi=self.roi, align=self.align)
            self._transform = t
        return t

    def preprocess(self, frame: np.ndarray) -> Tuple[np.ndarray, Transform]:
        """``(tensor (1, h, w, 3) of the input dtype, transform)`` for one frame."""
        if not isinstance(frame, np.ndarray) or frame.ndim != 3:
            raise ValueError(f"frame: expected an H x W x 3 uint8 array (RGB); got "
                             f"{getattr(frame, 'shape', type(frame).__name__)}")
        t = self.transform_for((frame.shape[1], frame.shape[0]))
        img = apply_transform(frame, t, self.pad_value)
        if self._lut is not None:
            img = self._lut[img]
        return img[None], t

    def infer(self, tensor: np.ndarray) -> Any:
        """The runtime's raw output(s) for an input tensor."""
        return self.runtime(tensor)

    def decode(self, outputs: Any, transform: Transform) -> Detections:
        """Detections in frame pixels from the raw output(s) of :meth:`infer`."""
        kind = self.decoder
        if isinstance(outputs, dict):
            parts: Any = outputs
            n = len(outputs)
        elif isinstance(outputs, (list, tuple)):
            parts = list(outputs)
            n = len(parts)
        else:
            parts = [outputs]
            n = 1
        if kind == "auto":
            kind = "ssd" if n == 4 else "yolov5"
            if n not in (1, 4):
                raise ValueError(f"outputs: {n} tensors; expected 1 (YOLOv5) or 4 (SSD)")
            self.decoder = kind
        if kind == "ssd":
            return ssd_to_detections(parts, score_threshold=self.score_threshold,
                                     classes=self.classes, transform=transform)
        out = parts[0] if not isinstance(parts, dict) else next(iter(parts.values()))
        return yolov5_to_detections(out, quantization=self.output_quantization,
                                    score_threshold=self.score_threshold, iou_threshold=self.iou_threshold,
                                    classes=self.classes, max_detections=self.max_detections,
                                    transform=transform)

    def __call__(self, frame: np.ndarray) -> Detections:
        tensor, t = self.preprocess(frame)
        return self.decode(self.infer(tensor), t)

    def describe(self) -> str:
        """One line: model, input, quantisation, fit."""
        src = str(self.model_path or getattr(self.runtime, "__name__", type(self.runtime).__name__))
        q = "" if self.input_quantization is None else \
            f" (scale {self.input_quantization[0]:.6g}, zero point {self.input_quantization[1]})"
        return (f"{os.path.basename(src)}: input {self.input_size[0]}x{self.input_size[1]} "
                f"{self.input_dtype}{q}, {self.fit}{'' if self.roi is None else f' of roi {self.roi}'}, "
                f"decoder {self.decoder}, score >= {self.score_threshold:g}")
