"""``Detections``: the per-frame input of every tracker, validated once at the boundary."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from ._numba import njit

__all__ = ["Detections", "as_detections", "MAX_COORDINATE", "MIN_BOX_SIDE", "check_frame_size", "check_size_pair"]


# Error codes of the validation kernels (0 = fine).
_OK, _NONFINITE, _X_ORDER, _Y_ORDER, _BAD_CLASS, _TOO_LARGE = 0, 1, 2, 3, 4, 5
#: Not an error: all values are valid but some box has zero width or height.
DEGENERATE = 6
#: Not an error: the input is valid but the tracker's table or workspace has no room for
#: it; a tracker's fused step sets it before changing anything (the base grows, then retries).
NEED_ROOM = 7

#: Largest accepted box coordinate magnitude (pixels or any unit).  Far beyond any image,
#: and small enough that areas, squared areas and Kalman covariances stay finite.
MAX_COORDINATE = 1e15

#: Smallest box width and height a tracker uses (pixels or any unit).  Narrower boxes
#: are ignored like zero-area ones: below it areas (w * h, down to 1e-324) underflow to
#: zero and the Kalman filters divide by zero.
MIN_BOX_SIDE = 1e-6


_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_F32 = np.dtype(np.float32)


@njit
def _check_frame(boxes, scores, bits):
    """Return ``(code, row, col)`` of the first invalid value of (N, 4) ``boxes`` and (N,)
    ``scores`` (col 4: the score), else of float32 embeddings viewed as uint32 ``bits``
    (M, D) (a NaN or inf in row ``row``: code ``_NONFINITE``, col -2); code 0 if all are
    valid.  One kernel checks a whole frame; either part may be empty."""
    for i in range(boxes.shape[0]):
        for k in range(4):
            if not np.isfinite(boxes[i, k]):
                return _NONFINITE, i, k
            if abs(boxes[i, k]) > MAX_COORDINATE:
                return _TOO_LARGE, i, k
        if not np.isfinite(scores[i]):
            return _NONFINITE, i, 4
        if boxes[i, 2] < boxes[i, 0]:
            return _X_ORDER, i, 2
        if boxes[i, 3] < boxes[i, 1]:
            return _Y_ORDER, i, 3
    for i in range(bits.shape[0]):
        bad = 0
        for j in range(bits.shape[1]):
            bad |= (bits[i, j] & 0x7F800000) == 0x7F800000
        if bad:
            return _NONFINITE, i, -2
    return _OK, -1, -1


#: No embeddings to check (:func:`_check_frame`'s third argument).
_NO_BITS = np.zeros((0, 0), np.uint32)
_NO_BOXES = np.zeros((0, 4))
_NO_SCORES = np.zeros(0)
_U32 = np.dtype(np.uint32)


@njit
def count_degenerate(arr):
    """Number of rows of an (N, >=4) x1, y1, x2, y2 array with a side below ``MIN_BOX_SIDE``
    (zero area, or NaN)."""
    c = 0
    for i in range(arr.shape[0]):
        if not (arr[i, 2] - arr[i, 0] >= MIN_BOX_SIDE and arr[i, 3] - arr[i, 1] >= MIN_BOX_SIDE):
            c += 1
    return c


def usable_rows(boxes: np.ndarray) -> np.ndarray:
    """Indices of the rows of (N, 4) boxes whose sides are both >= ``MIN_BOX_SIDE``."""
    return np.flatnonzero((boxes[:, 2] - boxes[:, 0] >= MIN_BOX_SIDE)
                          & (boxes[:, 3] - boxes[:, 1] >= MIN_BOX_SIDE))


@njit
def split_rows(arr, xywh):
    """Split an (N, 4|5|6) float64 array into boxes, scores, class ids, validating every value.

    Returns ``(boxes, scores, class_ids, code, row, col)``; ``code`` is 0 when the
    rows are valid, ``DEGENERATE`` when they are valid but some box has a side below
    ``MIN_BOX_SIDE`` (trackers then take their slower path that ignores those rows), else the
    error found at (row, col).  With ``xywh`` the first four columns are x, y, w, h.
    """
    degenerate = False
    n, k = arr.shape
    boxes = np.empty((n, 4), dtype=np.float64)
    scores = np.ones(n, dtype=np.float64)
    class_ids = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        for j in range(k):
            if not np.isfinite(arr[i, j]):
                return boxes, scores, class_ids, _NONFINITE, i, j
        x1 = arr[i, 0]
        y1 = arr[i, 1]
        if xywh:
            if arr[i, 2] < 0.0:
                return boxes, scores, class_ids, _X_ORDER, i, 2
            if arr[i, 3] < 0.0:
                return boxes, scores, class_ids, _Y_ORDER, i, 3
            x2 = x1 + arr[i, 2]
            y2 = y1 + arr[i, 3]
        else:
            x2 = arr[i, 2]
            y2 = arr[i, 3]
            if x2 < x1:
                return boxes, scores, class_ids, _X_ORDER, i, 2
            if y2 < y1:
                return boxes, scores, class_ids, _Y_ORDER, i, 3
        if abs(x1) > MAX_COORDINATE or abs(x2) > MAX_COORDINATE:
            return boxes, scores, class_ids, _TOO_LARGE, i, 0 if abs(x1) > MAX_COORDINATE else 2
        if abs(y1) > MAX_COORDINATE or abs(y2) > MAX_COORDINATE:
            return boxes, scores, class_ids, _TOO_LARGE, i, 1 if abs(y1) > MAX_COORDINATE else 3
        if not (x2 - x1 >= MIN_BOX_SIDE and y2 - y1 >= MIN_BOX_SIDE):
            degenerate = True
        boxes[i, 0] = x1
        boxes[i, 1] = y1
        boxes[i, 2] = x2
        boxes[i, 3] = y2
        if k > 4:
            scores[i] = arr[i, 4]
        if k > 5:
            c = arr[i, 5]
            if c != np.floor(c) or c < -1.0 or c > 9.0e15:
                return boxes, scores, class_ids, _BAD_CLASS, i, 5
            class_ids[i] = np.int64(c)
    return boxes, scores, class_ids, DEGENERATE if degenerate else _OK, -1, -1


def _raise_for(code: int, row: int, col: int, values: np.ndarray, field: str, xywh: bool = False) -> None:
    if code == _OK or code == DEGENERATE:
        return
    value = values[row, col] if values.ndim == 2 else values[row]
    if code == _NONFINITE:
        raise ValueError(f"{field}: row {row}, column {col} is {value!r}; expected finite numbers")
    if code == _X_ORDER:
        what = "w must be >= 0" if xywh else "x2 must be >= x1"
        raise ValueError(f"{field}: row {row} has {what} (got {values[row].tolist()})")
    if code == _Y_ORDER:
        what = "h must be >= 0" if xywh else "y2 must be >= y1"
        raise ValueError(f"{field}: row {row} has {what} (got {values[row].tolist()})")
    if code == _TOO_LARGE:
        what = "x + w / y + h" if xywh and col >= 2 else f"column {col}"
        raise ValueError(f"{field}: row {row}, {what} is beyond +-{MAX_COORDINATE:g} "
                         f"(got {values[row].tolist()}); expected box coordinates of a real image")
    if code == _BAD_CLASS:
        raise ValueError(f"{field}: row {row}, column 5 (class id) is {value!r}; "
                         "expected a whole number >= -1")
    raise AssertionError(code)  # pragma: no cover


def _asarray(value: Any, field: str) -> np.ndarray:
    """``np.asarray`` with a clear error for ragged nested lists."""
    if type(value) is np.ndarray:
        return value
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{field}: expected a rectangular numeric array (every row the same "
                         f"length); got a ragged or mixed sequence ({exc})") from None


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _real(value: Any, field: str) -> np.ndarray:
    """An owned C-contiguous float64 array of ``value`` (a copy if it would alias the caller's)."""
    arr = _asarray(value, field)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{field}: expected a real numeric array, got dtype {arr.dtype}")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    if out is value or out.base is not None:
        out = out.copy()
    return out


#: Read-only -1 class ids; frames without class ids share slices of it (no allocation).
_NO_CLASS = np.full(4096, -1, np.int64)
_NO_CLASS.setflags(write=False)


def _no_class(n: int) -> np.ndarray:
    return _NO_CLASS[:n] if n <= _NO_CLASS.shape[0] else _freeze(np.full(n, -1, np.int64))


class Detections:
    """The detections of one frame.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        Boxes as x1, y1, x2, y2 in pixels, with ``x2 >= x1`` and ``y2 >= y1``.
    scores : array_like, shape (N,)
        Detector confidences (any finite value; usually 0..1).
    class_ids : array_like of int, shape (N,), optional
        Class of each detection; ``-1`` (the default) means "no class".
    embeddings : array_like, shape (N, D), optional
        Appearance features (DeepSORT).  Float arrays are kept as float32; int8/uint8
        arrays (a re-identification model on the DLPU) need ``embedding_quantization``
        and are dequantised as ``(q - zero_point) * scale``.
    embedding_quantization : (float, int), optional
        ``(scale, zero_point)`` of quantised embeddings.

    Attributes
    ----------
    boxes : ndarray, float64, shape (N, 4), C-contiguous, read-only
    scores : ndarray, float64, shape (N,), read-only
    class_ids : ndarray, int64, shape (N,), read-only
    embeddings : ndarray, float32, shape (N, D), read-only, or None

    Raises
    ------
    TypeError
        A field has a non-numeric dtype.
    ValueError
        A field has the wrong shape or length (also a ragged list), a non-finite
        value, or a box with ``x2 < x1`` / ``y2 < y1``.  The message names the field,
        row and value.

    Notes
    -----
    An empty frame (N = 0) is normal input.  A ``Detections`` cannot change after it was
    validated: the fields are read-only properties over arrays flagged non-writeable;
    boxes, scores and class ids are copies owned by the object (never the caller's
    array).  Float32 C-contiguous embeddings are a read-only *view* of the caller's
    array (no copy); DeepSORT checks their values again when it normalises them, so
    writing into that array later cannot put NaN/inf into a tracker.
    """

    __slots__ = ("_boxes", "_scores", "_class_ids", "_embeddings")

    def __init__(self, boxes: Any, scores: Any, class_ids: Any = None, embeddings: Any = None,
                 *, embedding_quantization: Optional[Tuple[float, int]] = None) -> None:
        if (embedding_quantization is None and class_ids is None and type(boxes) is np.ndarray
                and type(scores) is np.ndarray and boxes.dtype is _F64 and scores.dtype is _F64
                and boxes.ndim == 2 and boxes.shape[1] == 4 and scores.ndim == 1
                and scores.shape[0] == boxes.shape[0]
                and (embeddings is None or (type(embeddings) is np.ndarray and embeddings.dtype is _F32
                                            and embeddings.ndim == 2 and embeddings.shape[1] > 0
                                            and embeddings.shape[0] == boxes.shape[0]
                                            and embeddings.flags.c_contiguous))):
            # The common frame (float64 boxes and scores, float32 embeddings or none): owned
            # C-contiguous copies and every check in one compiled call.
            b = boxes.copy()
            s = scores.copy()
            code, row, col = _check_frame(b, s, _NO_BITS if embeddings is None else embeddings.view(_U32))
            if code == _OK:
                b.setflags(write=False)
                s.setflags(write=False)
                self._boxes = b
                self._scores = s
                self._class_ids = _no_class(b.shape[0])  # read-only already
                if embeddings is None:
                    self._embeddings = None
                else:
                    e = embeddings.view()
                    e.setflags(write=False)
                    self._embeddings = e
                return
            # invalid: the general path below raises the detailed error
        b = _real(boxes, "boxes")
        if b.ndim != 2 or b.shape[1] != 4:
            if b.size == 0 and (b.ndim == 1 or (b.ndim == 2 and b.shape[0] == 0)):
                b = np.empty((0, 4))
            else:
                raise ValueError(f"boxes: expected shape (N, 4) as x1, y1, x2, y2; got {b.shape}")
        n = b.shape[0]
        s = _real(scores, "scores")
        if s.ndim != 1 or s.shape[0] != n:
            raise ValueError(f"scores: expected shape ({n},) to match boxes; got {s.shape}")
        code, row, col = _check_frame(b, s, _NO_BITS)
        if code != _OK:
            if col == 4:
                raise ValueError(f"scores: row {row} is {s[row]!r}; expected finite numbers")
            _raise_for(code, row, col, b, "boxes")
        if class_ids is None:
            c = _no_class(n)
        else:
            c_in = _asarray(class_ids, "class_ids")
            if c_in.dtype.kind == "f":
                if c_in.size and not (np.all(np.isfinite(c_in)) and np.all(c_in == np.floor(c_in))):
                    raise ValueError("class_ids: expected whole numbers; got non-integral values")
            elif c_in.dtype.kind not in "iu":
                raise TypeError(f"class_ids: expected an integer array, got dtype {c_in.dtype}")
            if c_in.size and c_in.dtype.kind in "fu" and c_in.max() > 9.0e15:
                raise ValueError(f"class_ids: expected values <= 9e15; got {c_in.max()!r}")
            c = np.array(c_in, dtype=np.int64, order="C")  # always a copy
            if c.ndim != 1 or c.shape[0] != n:
                raise ValueError(f"class_ids: expected shape ({n},) to match boxes; got {c.shape}")
            if n and c.min() < -1:
                raise ValueError(f"class_ids: expected values >= -1; got {int(c.min())}")
        e = None if embeddings is None else _validate_embeddings(embeddings, n, embedding_quantization)
        self._store(b, s, c, e)

    def _store(self, boxes, scores, class_ids, embeddings) -> None:
        """Keep validated, owned arrays, flagged non-writeable (embeddings already are)."""
        boxes.setflags(write=False)
        scores.setflags(write=False)
        class_ids.setflags(write=False)
        self._boxes = boxes
        self._scores = scores
        self._class_ids = class_ids
        self._embeddings = embeddings

    # ------------------------------------------------------------------ fields (read-only)
    # Each access returns a new read-only view: assigning ``.shape`` / ``.dtype`` to it
    # (numpy allows that even on read-only arrays) cannot change the validated arrays.
    # Trackers read the private fields directly.
    @property
    def boxes(self) -> np.ndarray:
        """(N, 4) float64 x1, y1, x2, y2, pixels (read-only)."""
        return self._boxes.view()

    @property
    def scores(self) -> np.ndarray:
        """(N,) float64 detector scores (read-only)."""
        return self._scores.view()

    @property
    def class_ids(self) -> np.ndarray:
        """(N,) int64 class ids, -1 = none (read-only)."""
        return self._class_ids.view()

    @property
    def embeddings(self) -> Optional[np.ndarray]:
        """(N, D) float32 appearance features, or None (read-only)."""
        e = self._embeddings
        return None if e is None else e.view()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def _from_parts(cls, boxes, scores, class_ids, embeddings=None) -> "Detections":
        """Wrap arrays that are already valid and owned (they are frozen here)."""
        self = cls.__new__(cls)
        self._store(boxes, scores, class_ids, embeddings)
        return self

    @classmethod
    def _validated(cls, boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
                   field: str = "detections") -> "Detections":
        """Owned float64 (N, 4) boxes, (N,) scores and int64 class ids, checked exactly as
        :class:`Detections` checks its input (for adapters that build the arrays)."""
        code, row, col = _check_frame(boxes, scores, _NO_BITS)
        if code != _OK:
            if col == 4:
                raise ValueError(f"{field}: scores row {row} is {float(scores[row])!r}; expected finite numbers")
            _raise_for(code, row, col, boxes, f"{field}: boxes")
        return cls._from_parts(boxes, scores, class_ids, None)

    @classmethod
    def from_array(cls, array: Any, *, xywh: bool = False, embeddings: Any = None,
                   embedding_quantization: Optional[Tuple[float, int]] = None) -> "Detections":
        """Build from an (N, 4), (N, 5) or (N, 6) array.

        Columns are x1, y1, x2, y2 (or x, y, w, h with ``xywh=True``), then an
        optional score (default 1) and an optional class id (default -1).
        """
        arr = _asarray(array, "detections")
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"detections: expected a real numeric array, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[1] not in (4, 5, 6):
            if arr.size == 0 and (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[0] == 0)):
                arr = np.empty((0, 4))
            else:
                raise ValueError("detections: expected shape (N, 4), (N, 5) or (N, 6) as "
                                 f"{'x, y, w, h' if xywh else 'x1, y1, x2, y2'}[, score[, class_id]]; "
                                 f"got {arr.shape}")
        if arr.dtype != np.float64 or not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr, dtype=np.float64)
        boxes, scores, class_ids, code, row, col = split_rows(arr, xywh)
        if code != _OK and code != DEGENERATE:
            _raise_for(code, row, col, arr, "detections", xywh)
        emb = None if embeddings is None else _validate_embeddings(
            embeddings, arr.shape[0], embedding_quantization)
        return cls._from_parts(boxes, scores, class_ids, emb)

    @classmethod
    def from_xywh(cls, array: Any, **kwargs: Any) -> "Detections":
        """Build from MOTChallenge boxes: (N, 4|5|6) as x, y, w, h[, score[, class_id]] in pixels."""
        return cls.from_array(array, xywh=True, **kwargs)

    @classmethod
    def empty(cls, embedding_dim: Optional[int] = None) -> "Detections":
        """An empty frame."""
        emb = None if embedding_dim is None else _freeze(np.empty((0, embedding_dim), np.float32))
        return cls._from_parts(np.empty((0, 4)), np.empty(0), np.empty(0, np.int64), emb)

    # ------------------------------------------------------------------ helpers
    def __len__(self) -> int:
        return self._boxes.shape[0]

    def __repr__(self) -> str:
        emb = "" if self._embeddings is None else f", embedding_dim={self._embeddings.shape[1]}"
        return f"Detections(n={len(self)}{emb})"

    def __getitem__(self, index: Any) -> "Detections":
        """Select rows (boolean mask, integer indices or a slice)."""
        e = self._embeddings
        emb = None if e is None else _freeze(np.array(e[index], dtype=np.float32, order="C"))
        return Detections._from_parts(np.array(self._boxes[index], order="C"),
                                      np.array(self._scores[index], order="C"),
                                      np.array(self._class_ids[index], order="C"), emb)

    @property
    def xywh(self) -> np.ndarray:
        """Boxes as x, y, w, h (N, 4), pixels (a new, writable array)."""
        out = self._boxes.copy()
        out[:, 2:] -= out[:, :2]
        return out

    def to_array(self) -> np.ndarray:
        """(N, 6) float64: x1, y1, x2, y2, score, class_id."""
        return np.column_stack([self._boxes, self._scores, self._class_ids.astype(np.float64)])


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _validate_embeddings(embeddings: Any, n: int, quantization) -> np.ndarray:
    """A read-only float32 (n, D) array of validated embeddings."""
    e = _asarray(embeddings, "embeddings")
    if e.ndim != 2 or e.shape[0] != n:
        raise ValueError(f"embeddings: expected shape ({n}, D) to match boxes; got {e.shape}")
    if e.shape[1] == 0:
        raise ValueError(f"embeddings: expected at least one feature per row (D >= 1); got {e.shape}")
    if e.dtype.kind in "iu":
        if quantization is None:
            raise ValueError("embeddings: integer embeddings need embedding_quantization="
                             "(scale, zero_point)")
        try:
            scale, zero_point = quantization
            scale = float(scale)
            zp = float(zero_point)
        except (TypeError, ValueError, OverflowError):
            raise TypeError("embedding_quantization: expected (scale, zero_point) numbers; "
                            f"got {quantization!r}") from None
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"embedding_quantization: scale must be finite and > 0; got {scale!r}")
        if not np.isfinite(zp) or zp != np.floor(zp) or abs(zp) > 2**31:
            raise ValueError(f"embedding_quantization: zero_point must be a whole number; got {zero_point!r}")
        out = (e.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)
        if not np.isfinite(out).all():
            raise ValueError(f"embedding_quantization: scale {scale!r} puts dequantised values "
                             "beyond float32 range; expected the model's (scale, zero_point)")
        return _freeze(np.ascontiguousarray(out))
    if e.dtype.kind != "f":
        raise TypeError(f"embeddings: expected a float or int8/uint8 array, got dtype {e.dtype}")
    if e.dtype is _F32 and e.flags.c_contiguous:
        row = _check_frame(_NO_BOXES, _NO_SCORES, e.view(_U32))[1]
        out = e.view()
    else:
        if e.dtype != np.float32 and e.dtype != np.float64:
            e = e.astype(np.float64)
        out = np.empty(e.shape, np.float32)
        row = _to_float32_checked(e, out)
    if row >= 0:
        raise ValueError(f"embeddings: row {row} has non-finite values or values beyond float32 "
                         f"range; expected finite numbers (got {e[row][~(np.abs(e[row]) <= 3.4e38)][:3]})")
    return _freeze(out)


@njit
def _to_float32_checked(e, out):
    """Copy float (N, D) ``e`` into float32 ``out``; first row not finite in float32, else -1."""
    for i in range(e.shape[0]):
        for j in range(e.shape[1]):
            v = e[i, j]
            if not abs(v) <= _FLOAT32_MAX:
                return i
            out[i, j] = v
    return -1


def as_detections(value: Any) -> Detections:
    """Return ``value`` as :class:`Detections` (arrays go through :meth:`Detections.from_array`).

    ``None`` is an empty frame.
    """
    if isinstance(value, Detections):
        return value
    if value is None:
        return Detections.empty()
    if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
        return Detections.from_array(value)
    raise TypeError("detections: expected Detections or an (N, 5)/(N, 6) array "
                    f"x1, y1, x2, y2, score[, class_id]; got {type(value).__name__}")


def check_size_pair(value: Any, field: str, what: str, low: float = 0.0) -> Tuple[float, float]:
    """A (width, height) pair in pixels as two floats in (low, MAX_COORDINATE]; else ValueError naming ``field``."""
    try:
        w, h = value
        w = float(w)
        h = float(h)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{field}: expected {what} in pixels; got {value!r}") from None
    if not (math.isfinite(w) and math.isfinite(h) and low < w <= MAX_COORDINATE and low < h <= MAX_COORDINATE):
        raise ValueError(f"{field}: expected {what} > {low:g} and <= {MAX_COORDINATE:g} pixels; got {value!r}")
    return w, h


def check_frame_size(frame_size: Any) -> Tuple[float, float]:
    """A frame size ``(width, height)`` in pixels, validated (the one parser of frame sizes)."""
    return check_size_pair(frame_size, "frame_size", "(width, height)")
