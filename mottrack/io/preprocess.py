"""Fit a frame to a detector's input and keep the exact transform, so boxes map back.

A frame (``H x W x 3`` uint8, RGB) becomes a model input (``h x w x 3``) in one of three ways:

* :func:`stretch`: resized to the input, aspect ratio not kept;
* :func:`letterbox`: scaled to fit keeping its aspect ratio (the content size rounded to
  whole pixels), the rest filled with ``pad_value``; ``align="center"`` splits the padding
  as YOLOv5 does (the odd pixel goes to the bottom/right), ``"top-left"`` puts it all at
  the bottom/right;
* :func:`crop`: a region of interest ``(x1, y1, x2, y2)`` of the frame, then stretched or
  letterboxed.

Each returns ``(image, transform)``: the :class:`Transform` records the frame window that
was used and where its resized content sits in the input, in whole pixels as actually
resized, so the decoders (:func:`~mottrack.io.larod.yolov5_to_detections`,
:func:`~mottrack.io.larod.ssd_to_detections`, ``transform=``) map boxes back with the
padding and rounding that were really applied, whatever the rule.

Resizing is Pillow's ``BILINEAR`` (with its antialiasing when shrinking): on the shared
Axis YOLOv5 models LiteRT then gives the DLPU's output tensors byte for byte.  Pillow is
imported when a frame is resized (extra ``[video]``); building or using a
:class:`Transform` needs numpy only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

import numpy as np

__all__ = ["Transform", "letterbox", "stretch", "crop", "fit_transform", "apply_transform",
           "resize_bilinear"]

_ALIGNS = ("center", "top-left")


def _size(value: Any, field: str) -> Tuple[int, int]:
    """``(width, height)`` as positive ints, or a ValueError/TypeError naming ``field``."""
    try:
        w, h = value
    except (TypeError, ValueError):
        raise TypeError(f"{field}: expected (width, height) as two ints; got {value!r}") from None
    out = []
    for v in (w, h):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{field}: expected (width, height) as two ints; got {value!r}")
        if not 1 <= int(v) <= 65535:
            raise ValueError(f"{field}: expected (width, height) in 1..65535; got {value!r}")
        out.append(int(v))
    return out[0], out[1]


def _check_frame(frame: Any) -> np.ndarray:
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"frame: expected an H x W x 3 uint8 array (RGB); got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise TypeError(f"frame: expected dtype uint8 (H x W x 3 RGB); got {frame.dtype}")
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError(f"frame: expected shape (H, W, 3) (RGB); got {frame.shape}")
    return frame


@dataclass(frozen=True)
class Transform:
    """Where a frame window went in a model input.

    The window ``[crop_x, crop_x + crop_w) x [crop_y, crop_y + crop_h)`` of the frame (pixels)
    was resized to ``content_w x content_h`` input pixels placed with its top-left corner at
    ``(pad_x, pad_y)`` of the ``input_size`` input; the rest of the input is padding.  So a
    frame point maps to the input as ``u = (x - crop_x) * scale_x + pad_x`` with
    ``scale_x = content_w / crop_w`` (likewise ``y``), and back with the inverse.

    Attributes
    ----------
    frame_size : (int, int)
        ``(W, H)`` of the frame, pixels.
    input_size : (int, int)
        ``(w, h)`` of the model input, pixels.
    crop_x, crop_y, crop_w, crop_h : float
        The frame window used, frame pixels (the whole frame unless cropped).
    pad_x, pad_y : float
        Top-left corner of the resized content in the input, input pixels.
    content_w, content_h : float
        Size of the resized content, input pixels.
    """

    frame_size: Tuple[int, int]
    input_size: Tuple[int, int]
    crop_x: float
    crop_y: float
    crop_w: float
    crop_h: float
    pad_x: float
    pad_y: float
    content_w: float
    content_h: float

    def __post_init__(self) -> None:
        _size(self.frame_size, "frame_size")
        _size(self.input_size, "input_size")
        for name in ("crop_x", "crop_y", "crop_w", "crop_h", "pad_x", "pad_y", "content_w", "content_h"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(v)):
                raise ValueError(f"{name}: expected a finite number; got {v!r}")
        for name in ("crop_w", "crop_h", "content_w", "content_h"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name}: expected a number > 0; got {getattr(self, name)!r}")

    @property
    def scale_x(self) -> float:
        """Input pixels per frame pixel, horizontally."""
        return float(self.content_w) / float(self.crop_w)

    @property
    def scale_y(self) -> float:
        """Input pixels per frame pixel, vertically."""
        return float(self.content_h) / float(self.crop_h)

    @property
    def window(self) -> Tuple[float, float, float, float]:
        """The frame window the input shows, ``(x1, y1, x2, y2)`` in frame pixels."""
        return (float(self.crop_x), float(self.crop_y), float(self.crop_x) + float(self.crop_w),
                float(self.crop_y) + float(self.crop_h))

    def normalized_to_frame(self) -> Tuple[float, float, float, float]:
        """``(sx, sy, ox, oy)`` with ``x = u * sx + ox``, ``y = v * sy + oy`` for input
        coordinates ``u, v`` normalised to 0..1 (what the YOLOv5 and SSD tensors hold)."""
        in_w, in_h = self.input_size
        rx = float(self.crop_w) / float(self.content_w)
        ry = float(self.crop_h) / float(self.content_h)
        sx = float(self.crop_w) * (in_w / float(self.content_w))
        sy = float(self.crop_h) * (in_h / float(self.content_h))
        return sx, sy, float(self.crop_x) - float(self.pad_x) * rx, float(self.crop_y) - float(self.pad_y) * ry

    def to_input(self, boxes: Any) -> np.ndarray:
        """Frame boxes ``(N, 4)`` x1, y1, x2, y2 (pixels) -> input pixels (float64, not clipped)."""
        b = _boxes(boxes)
        out = np.empty_like(b)
        out[:, 0::2] = (b[:, 0::2] - float(self.crop_x)) * self.scale_x + float(self.pad_x)
        out[:, 1::2] = (b[:, 1::2] - float(self.crop_y)) * self.scale_y + float(self.pad_y)
        return out

    def to_frame(self, boxes: Any) -> np.ndarray:
        """Input boxes ``(N, 4)`` x1, y1, x2, y2 (input pixels) -> frame pixels (float64, not clipped)."""
        b = _boxes(boxes)
        out = np.empty_like(b)
        out[:, 0::2] = (b[:, 0::2] - float(self.pad_x)) * (float(self.crop_w) / float(self.content_w)) \
            + float(self.crop_x)
        out[:, 1::2] = (b[:, 1::2] - float(self.pad_y)) * (float(self.crop_h) / float(self.content_h)) \
            + float(self.crop_y)
        return out


def _boxes(boxes: Any) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    if b.ndim == 1 and b.shape[0] == 4:
        b = b[None]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (N, 4) as x1, y1, x2, y2; got {np.shape(boxes)}")
    return b


def _roi(roi: Any, frame_size: Tuple[int, int]) -> Tuple[int, int, int, int]:
    W, H = frame_size
    try:
        vals = [v for v in roi]
    except TypeError:
        raise TypeError(f"roi: expected (x1, y1, x2, y2) as ints; got {roi!r}") from None
    if len(vals) != 4 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in vals):
        raise TypeError(f"roi: expected (x1, y1, x2, y2) as four ints (pixels); got {roi!r}")
    x1, y1, x2, y2 = (int(v) for v in vals)
    if not (0 <= x1 < x2 <= W and 0 <= y1 < y2 <= H):
        raise ValueError(f"roi: expected 0 <= x1 < x2 <= {W} and 0 <= y1 < y2 <= {H} "
                         f"(inside the {W}x{H} frame); got {roi!r}")
    return x1, y1, x2, y2


def fit_transform(frame_size: Sequence[int], input_size: Sequence[int], *, mode: str = "letterbox",
                  roi: Optional[Sequence[int]] = None, align: str = "center") -> Transform:
    """The :class:`Transform` that :func:`letterbox`, :func:`stretch` or :func:`crop` apply
    to a frame of ``frame_size`` (computed without touching pixels).

    Parameters
    ----------
    frame_size, input_size : (int, int)
        ``(width, height)`` of the frame and of the model input.
    mode : {"letterbox", "stretch"}
    roi : (int, int, int, int), optional
        Frame window ``x1, y1, x2, y2`` (pixels, ``x2``/``y2`` exclusive); default the frame.
    align : {"center", "top-left"}
        Letterbox padding: split (left/top get ``round(pad / 2 - 0.1)``, as YOLOv5), or all
        at the right/bottom.
    """
    fw, fh = _size(frame_size, "frame_size")
    iw, ih = _size(input_size, "input_size")
    if mode not in ("letterbox", "stretch"):
        raise ValueError(f"mode: expected 'letterbox' or 'stretch'; got {mode!r}")
    if align not in _ALIGNS:
        raise ValueError(f"align: expected 'center' or 'top-left'; got {align!r}")
    x1, y1, x2, y2 = (0, 0, fw, fh) if roi is None else _roi(roi, (fw, fh))
    cw, ch = x2 - x1, y2 - y1
    if mode == "stretch":
        return Transform((fw, fh), (iw, ih), x1, y1, cw, ch, 0, 0, iw, ih)
    r = min(iw / cw, ih / ch)
    nw = min(max(int(round(cw * r)), 1), iw)
    nh = min(max(int(round(ch * r)), 1), ih)
    if align == "center":
        px = int(round((iw - nw) / 2 - 0.1))
        py = int(round((ih - nh) / 2 - 0.1))
    else:
        px = py = 0
    return Transform((fw, fh), (iw, ih), x1, y1, cw, ch, max(px, 0), max(py, 0), nw, nh)


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("resizing frames needs Pillow: pip install 'mottrack[video]'") from None
    return Image


def resize_bilinear(image: np.ndarray, size: Tuple[int, int],
                    box: Optional[Tuple[float, float, float, float]] = None) -> np.ndarray:
    """``image`` (H x W x 3 uint8) resized to ``size = (w, h)`` as Pillow's ``BILINEAR`` does;
    ``box`` (x1, y1, x2, y2) resizes that window of it only."""
    Image = _pillow()
    img = Image.fromarray(_check_frame(image), "RGB")
    w, h = _size(size, "size")
    if box is not None and tuple(box) == (0, 0, image.shape[1], image.shape[0]):
        box = None
    if box is None and (w, h) == (image.shape[1], image.shape[0]):
        return np.ascontiguousarray(image)
    return np.asarray(img.resize((w, h), Image.BILINEAR, box=box))


def apply_transform(frame: np.ndarray, transform: Transform, pad_value: int = 114) -> np.ndarray:
    """The model input (``h x w x 3`` uint8) that ``transform`` describes for ``frame``.

    Raises
    ------
    ValueError
        The frame's size differs from ``transform.frame_size``, the content is not whole
        pixels inside the input, or ``pad_value`` is not in 0..255.
    """
    frame = _check_frame(frame)
    if (frame.shape[1], frame.shape[0]) != tuple(transform.frame_size):
        raise ValueError(f"frame: its size {frame.shape[1]}x{frame.shape[0]} differs from the "
                         f"transform's frame_size {transform.frame_size[0]}x{transform.frame_size[1]}")
    if isinstance(pad_value, bool) or not isinstance(pad_value, (int, np.integer)) or not 0 <= pad_value <= 255:
        raise ValueError(f"pad_value: expected an int in 0..255; got {pad_value!r}")
    iw, ih = transform.input_size
    px, py, cw, ch = (float(v) for v in (transform.pad_x, transform.pad_y, transform.content_w,
                                         transform.content_h))
    if not all(v == int(v) for v in (px, py, cw, ch)) or px + cw > iw or py + ch > ih or px < 0 or py < 0:
        raise ValueError("transform: the content must be whole pixels inside the input "
                         f"(pad {px:g},{py:g}, content {cw:g}x{ch:g}, input {iw}x{ih})")
    x1, y1, x2, y2 = transform.window
    if all(v == int(v) for v in (x1, y1, x2, y2)):  # a crop reads only its window's pixels
        content = resize_bilinear(np.ascontiguousarray(frame[int(y1):int(y2), int(x1):int(x2)]),
                                  (int(cw), int(ch)))
    else:
        content = resize_bilinear(frame, (int(cw), int(ch)), transform.window)
    if (int(cw), int(ch)) == (iw, ih):
        return content
    out = np.full((ih, iw, 3), pad_value, np.uint8)
    out[int(py):int(py) + int(ch), int(px):int(px) + int(cw)] = content
    return out


def letterbox(frame: np.ndarray, input_size: Sequence[int], *, pad_value: int = 114,
              align: str = "center") -> Tuple[np.ndarray, Transform]:
    """Scale ``frame`` to fit ``input_size = (w, h)`` keeping its aspect ratio; pad the rest.

    Returns
    -------
    image : ndarray, shape (h, w, 3), uint8
    transform : Transform
        E.g. a 768x576 frame into 640x640: content 640x480 at (0, 80).
    """
    frame = _check_frame(frame)
    t = fit_transform((frame.shape[1], frame.shape[0]), input_size, mode="letterbox", align=align)
    return apply_transform(frame, t, pad_value), t


def stretch(frame: np.ndarray, input_size: Sequence[int]) -> Tuple[np.ndarray, Transform]:
    """Resize ``frame`` to ``input_size = (w, h)`` without keeping its aspect ratio."""
    frame = _check_frame(frame)
    t = fit_transform((frame.shape[1], frame.shape[0]), input_size, mode="stretch")
    return apply_transform(frame, t), t


def crop(frame: np.ndarray, roi: Sequence[int], input_size: Sequence[int], *, mode: str = "letterbox",
         pad_value: int = 114, align: str = "center") -> Tuple[np.ndarray, Transform]:
    """The window ``roi = (x1, y1, x2, y2)`` of ``frame`` (pixels, ``x2``/``y2`` exclusive),
    letterboxed or stretched to ``input_size``."""
    frame = _check_frame(frame)
    t = fit_transform((frame.shape[1], frame.shape[0]), input_size, mode=mode, roi=roi, align=align)
    return apply_transform(frame, t, pad_value), t
