"""What line counters and zone monitors share: input checks, anchors, clock, memory, state.

Tracker output rows are ``x1, y1, x2, y2, track_id, score, class_id, det_index`` (the
(M, 8) float64 array of every mottrack tracker; at least the first five columns are
needed, a missing class column means class -1).  Rows with a negative track id (tracks a
tracker has not confirmed, which some libraries report under a shared id -1) and rows of
a class not in ``classes`` are ignored.

Per-track state lives in arrays sorted by track id.  A track absent from the output for
more than ``forget_after`` consecutive updates is forgotten, so memory is bounded by the
tracks seen in the last ``forget_after`` updates.  mottrack's trackers never reuse an id,
so a forgotten id does not come back; if one does (another tracker), it starts afresh as
a track first seen there.

Clock: an update's time is its ``timestamp`` (seconds) when given, else the previous
time plus ``1 / frame_rate`` (the first update without a timestamp is at time 0).
Timestamps must not decrease and lie within ``+-MAX_TIME`` (2**53 s, so POSIX seconds,
milliseconds and microseconds all fit); a restored state's update count and counts must
not exceed ``MAX_COUNT`` (2**53).

Threads: ``update``, ``reset``, ``state_dict`` and ``load_state_dict`` hold the counter's
lock, so calls from several threads run one after the other (as for the trackers);
``copy.deepcopy`` and ``pickle`` give a copy with its own lock.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

import numpy as np

from ..detections import MAX_COORDINATE
from ._join import join_tracks
from .frame_rows import ROWS_BAD_CLASS, ROWS_BAD_ID, ROWS_NONFINITE, ROWS_OK, ROWS_UNSORTED, frame_rows

__all__ = ["ANCHORS", "TrackCounter", "FramePoints", "frame_points", "MAX_TIME", "MAX_COUNT"]

#: Largest magnitude of a time (seconds) a counter accepts, from ``update`` or a state.
MAX_TIME = float(2 ** 53)
#: Largest update count and count a restored state may hold.
MAX_COUNT = 2 ** 53

#: Anchor name -> (fraction of width, fraction of height) from the box's top-left corner.
ANCHORS: Dict[str, Tuple[float, float]] = {
    "bottom_center": (0.5, 1.0), "center": (0.5, 0.5), "top_center": (0.5, 0.0),
    "top_left": (0.0, 0.0), "top_right": (1.0, 0.0), "bottom_left": (0.0, 1.0),
    "bottom_right": (1.0, 1.0), "center_left": (0.0, 0.5), "center_right": (1.0, 0.5),
}

_STATE_VERSION = 1
_NO_CLASSES = np.zeros(0, np.int64)
_ROW_ERRORS = {
    ROWS_NONFINITE: "tracks: row {}: box coordinates must be finite and within +-1e15 pixels, "
                    "and the track id finite",
    ROWS_BAD_ID: "tracks: row {}: track_id (column 4) must be a whole number within +-2**53",
    ROWS_BAD_CLASS: "tracks: row {}: class_id (column 6) must be a whole number within +-2**53",
}


def _number(name: str, value: Any, low: float = 0.0, integer: bool = False,
            open_low: bool = False) -> Any:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number; got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or v < low or (open_low and v == low):
        rel = ">" if open_low else ">="
        raise ValueError(f"{name}: expected a finite number {rel} {low:g}; got {value!r}")
    if integer:
        if v != int(v):
            raise ValueError(f"{name}: expected a whole number; got {value!r}")
        return int(v)
    return v


def check_point(name: str, value: Any) -> Tuple[float, float]:
    """``(x, y)`` as floats, or a ValueError/TypeError naming ``name``."""
    try:
        a = np.asarray(value)
    except Exception:
        raise ValueError(f"{name}: expected a point (x, y)") from None
    if a.dtype == object or a.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected a point (x, y) of numbers; got {value!r}")
    if a.shape != (2,):
        raise ValueError(f"{name}: expected a point (x, y); got shape {a.shape}")
    a = a.astype(np.float64)
    if not (np.abs(a) <= MAX_COORDINATE).all():
        raise ValueError(f"{name}: coordinates must be finite and within +-{MAX_COORDINATE:g} "
                         f"pixels; got {value!r}")
    return float(a[0]), float(a[1])


class FramePoints(NamedTuple):
    """One frame reduced to what a counter needs (the rows it uses)."""

    px: np.ndarray      # (n,) anchor x, pixels
    py: np.ndarray      # (n,) anchor y, pixels
    ids: np.ndarray     # (n,) int64 track ids
    cls: np.ndarray     # (n,) int64 class ids
    order: np.ndarray   # (n,) rows sorted by id
    kept: Optional[np.ndarray]  # index of each used row in the frame, None when all are used
    n_rows: int         # rows in the frame


def frame_points(tracks: Any, fx: float, fy: float, class_arr: Optional[np.ndarray]) -> FramePoints:
    """Validate one frame of tracker output and reduce it to anchor points (see module docs).

    Raises
    ------
    TypeError, ValueError
        Not a numeric (M, >= 5) array, a non-finite box or id, a fractional id or class, or
        an id twice in the frame.
    """
    a = tracks
    if not isinstance(a, np.ndarray):
        try:
            a = np.asarray(a)
        except Exception:
            raise ValueError("tracks: expected an (M, 8) array of tracker output") from None
    if a.dtype == object or a.dtype.kind not in "iuf":
        raise TypeError(f"tracks: expected a numeric (M, 8) array; got dtype {a.dtype}")
    if a.ndim == 1 and a.shape[0] == 0:
        a = a.reshape(0, 8)
    if a.ndim != 2 or a.shape[1] < 5:
        raise ValueError(f"tracks: expected an (M, 8) array (x1, y1, x2, y2, track_id, score, "
                         f"class_id, det_index); got shape {a.shape}")
    a = np.ascontiguousarray(a, np.float64)
    cl = class_arr if class_arr is not None else _NO_CLASSES
    status, bad, px, py, ids, cls, order, kept = frame_rows(a, fx, fy, cl, class_arr is not None,
                                                            MAX_COORDINATE)
    if status == ROWS_UNSORTED:
        order = np.argsort(ids, kind="stable")
        s = ids[order]
        dup = s[1:] == s[:-1]
        if dup.any():
            raise ValueError(f"tracks: track id {int(s[1:][dup][0])} appears more than once "
                             "in one frame")
    elif status != ROWS_OK:
        raise ValueError(_ROW_ERRORS[status].format(bad))
    return FramePoints(px, py, ids, cls, order, None if kept.shape[0] == a.shape[0] else kept,
                       int(a.shape[0]))


class TrackCounter:
    """Base of :class:`~mottrack.analytics.LineCounter` and :class:`~mottrack.analytics.ZoneMonitor`.

    Subclasses define ``_FORMAT`` (state format name), ``_FIELDS`` (per-track state
    arrays: ``(name, dtype)``), ``_params()`` (constructor arguments as plain values),
    ``_check_fields(state)`` and ``_step(px, py, cls, ids, order, now)``.
    """

    _FORMAT = ""
    _FIELDS: Tuple[Tuple[str, Any], ...] = ()
    _COUNT_NAMES: Tuple[str, str] = ("", "")

    def __init__(self, *, anchor: str, min_distance: float, classes: Optional[Iterable[int]],
                 forget_after: int, frame_rate: float, name: str) -> None:
        if not isinstance(anchor, str) or anchor not in ANCHORS:
            raise ValueError(f"anchor: expected one of {', '.join(ANCHORS)}; got {anchor!r}")
        self.anchor = anchor
        self._fx, self._fy = ANCHORS[anchor]
        self.min_distance = _number("min_distance", min_distance)
        if classes is None:
            self.classes: Optional[Tuple[int, ...]] = None
        else:
            if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
                raise TypeError(f"classes: expected an iterable of class ids or None; got {classes!r}")
            cl = [_number("classes", c, low=-1.0, integer=True) for c in classes]
            self.classes = tuple(sorted(set(cl)))
        self._class_arr = None if self.classes is None else np.array(self.classes, np.int64)
        self.forget_after = _number("forget_after", forget_after, integer=True)
        self.frame_rate = _number("frame_rate", frame_rate, open_low=True)
        if not isinstance(name, str):
            raise TypeError(f"name: expected a str; got {type(name).__name__}")
        self.name = name
        self._lock = threading.Lock()
        self._clear()

    def _describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self._describe()}, anchor={self.anchor!r}, "
                f"min_distance={self.min_distance:g}, name={self.name!r}, counts={self.counts})")

    def __getstate__(self) -> Dict[str, Any]:  # copy / pickle: the copy gets its own lock
        d = self.__dict__.copy()
        d.pop("_lock", None)
        return d

    def __setstate__(self, d: Dict[str, Any]) -> None:
        self.__dict__.update(d)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget every track, every count and the clock."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self.frame = 0                       # updates done so far
        self._now: Optional[float] = None    # time of the last update, seconds
        self._ids = np.zeros(0, np.int64)
        self._last = np.zeros(0, np.int64)
        self._state = {f: np.zeros(0, dt) for f, dt in self._FIELDS}
        self._counts: Dict[int, List[int]] = {}

    @property
    def counts(self) -> Dict[int, Tuple[int, int]]:
        """``{class_id: (a, b)}`` totals since the last reset (``(in, out)`` for lines,
        ``(enters, exits)`` for zones), classes in increasing order."""
        return {c: (v[0], v[1]) for c, v in sorted(self._counts.items())}

    @property
    def totals(self) -> Tuple[int, int]:
        """The counts summed over classes."""
        a = sum(v[0] for v in self._counts.values())
        b = sum(v[1] for v in self._counts.values())
        return a, b

    @property
    def num_tracks(self) -> int:
        """Tracks currently remembered."""
        return int(self._ids.shape[0])

    def _count(self, class_id: int, which: int) -> None:
        self._counts.setdefault(class_id, [0, 0])[which] += 1

    # ------------------------------------------------------------------ input
    @property
    def _points_key(self) -> Tuple[Any, ...]:
        """Counters with equal keys reduce a frame to the same points."""
        return (self._fx, self._fy, self.classes)

    def _points(self, tracks: Any) -> "FramePoints":
        return frame_points(tracks, self._fx, self._fy, self._class_arr)

    def update(self, tracks: Any, timestamp: Optional[float] = None) -> list:
        """Feed one frame of tracker output; return the events counted in it.

        Parameters
        ----------
        tracks : ndarray, shape (M, 8), float64
            ``x1, y1, x2, y2, track_id, score, class_id, det_index`` (pixels), as returned
            by a tracker's ``update``.  Call once per frame, also when M is 0.
        timestamp : float, optional
            Time of the frame, seconds (non-decreasing).

        Returns
        -------
        list of LineEvent (line counters) or ZoneEvent (zone monitors)
            In increasing track-id order.

        Raises
        ------
        TypeError, ValueError
            Bad rows or timestamp (see the module docs); the counter is then unchanged.
        """
        with self._lock:
            pts = self._points(tracks)
            now = self._clock(timestamp)
            return self._apply(pts, now, timestamp)

    def _apply(self, pts: "FramePoints", now: float, timestamp: Optional[float]) -> list:  # pragma: no cover
        raise NotImplementedError

    def _clock(self, timestamp: Optional[float]) -> float:
        if timestamp is None:
            return 0.0 if self._now is None else self._now + 1.0 / self.frame_rate
        if isinstance(timestamp, (bool, np.bool_)) or not isinstance(
                timestamp, (int, float, np.integer, np.floating)):
            raise TypeError(f"timestamp: expected seconds as a float; got {type(timestamp).__name__}")
        t = float(timestamp)
        if not abs(t) <= MAX_TIME:
            raise ValueError(f"timestamp: expected a finite number of seconds within +-2**53; got {timestamp!r}")
        if self._now is not None and t < self._now:
            raise ValueError(f"timestamp: {t!r} is before the previous update's time {self._now!r}")
        return t

    def _join(self, ids: np.ndarray, order: np.ndarray):
        return join_tracks(self._ids, self._last, ids, order, self.frame, self.forget_after)

    def _commit(self, new_ids: np.ndarray, last: np.ndarray, fields: Dict[str, np.ndarray],
                now: float) -> None:
        self._ids, self._last, self._state = new_ids, last, fields
        self._now = now
        self.frame += 1

    # ------------------------------------------------------------------ save / restore
    def _params(self) -> Dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def state_dict(self) -> Dict[str, Any]:
        """Everything needed to continue exactly: plain values and numpy arrays.

        ``{"format", "version", "params", "frame", "time", "ids", "last", <fields>,
        "count_classes", "counts"}``; arrays are copies.
        """
        with self._lock:
            cc = np.array(sorted(self._counts), np.int64)
            cn = np.array([self._counts[c] for c in cc.tolist()], np.int64).reshape(-1, 2)
            st: Dict[str, Any] = {"format": self._FORMAT, "version": _STATE_VERSION,
                                  "params": self._params(), "frame": int(self.frame),
                                  "time": self._now, "ids": self._ids.copy(),
                                  "last": self._last.copy()}
            for f, _ in self._FIELDS:
                st[f] = self._state[f].copy()
            st["count_classes"] = cc
            st["counts"] = cn
            return st

    @classmethod
    def from_state(cls, state: Dict[str, Any]):
        """A new object continuing from ``state`` (from :meth:`state_dict`)."""
        if not isinstance(state, dict):
            raise ValueError(f"state: expected a dict from state_dict(); got {type(state).__name__}")
        params = state.get("params")
        if not isinstance(params, dict):
            raise ValueError("state['params']: missing or not a dict")
        try:
            obj = cls(**params)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"state['params']: {exc}") from None
        obj.load_state_dict(state)
        return obj

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Replace this object's tracks, counts and clock by validated copies of ``state``.

        The state must have been saved by the same class with the same parameters.  Any
        inconsistency raises ValueError naming the entry; the object is then unchanged.
        """
        with self._lock:
            self._load(state)

    def _load(self, state: Dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise ValueError(f"state: expected a dict from state_dict(); got {type(state).__name__}")
        if state.get("format") != self._FORMAT:
            raise ValueError(f"state['format']: expected {self._FORMAT!r}; got {state.get('format')!r}")
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"state['version']: expected {_STATE_VERSION}; got {state.get('version')!r}")
        if state.get("params") != self._params():
            raise ValueError("state['params']: saved with other parameters than this object's "
                             "(use from_state to build an object from the state)")
        frame = state.get("frame")
        if isinstance(frame, (bool, np.bool_)) or not isinstance(frame, (int, np.integer)) \
                or not 0 <= frame <= MAX_COUNT:
            raise ValueError(f"state['frame']: expected an int in 0 .. 2**53; got {frame!r}")
        frame = int(frame)
        now = state.get("time")
        if now is not None:
            if isinstance(now, (bool, np.bool_)) or not isinstance(now, (int, float, np.integer, np.floating)) \
                    or not abs(float(now)) <= MAX_TIME:
                raise ValueError(f"state['time']: expected seconds within +-2**53 or None; got {now!r}")
            now = float(now)
        if (now is None) != (frame == 0):
            raise ValueError("state['time']: must be None exactly when state['frame'] is 0")
        ids = self._array(state, "ids", np.int64, 1)
        n = ids.shape[0]
        if n and (ids[0] < 0 or (np.diff(ids) <= 0).any()):
            raise ValueError("state['ids']: expected strictly increasing ids >= 0")
        last = self._array(state, "last", np.int64, 1, n)
        if n and (last.min() < 0 or last.max() >= frame):
            raise ValueError("state['last']: expected update indices in 0 .. frame - 1")
        fields = {f: self._array(state, f, dt, 1, n) for f, dt in self._FIELDS}
        self._check_fields(fields, frame, now)
        cc = self._array(state, "count_classes", np.int64, 1)
        cn = self._array(state, "counts", np.int64, 2)
        if cn.shape != (cc.shape[0], 2):
            raise ValueError(f"state['counts']: expected shape ({cc.shape[0]}, 2); got {cn.shape}")
        if cn.size and (cn.min() < 0 or cn.max() > MAX_COUNT):
            raise ValueError("state['counts']: counts must be in 0 .. 2**53")
        if cc.size and (np.diff(cc) <= 0).any():
            raise ValueError("state['count_classes']: expected strictly increasing class ids")
        self.frame, self._now = frame, now
        self._ids, self._last, self._state = ids, last, fields
        self._counts = {int(c): [int(x), int(y)] for c, (x, y) in zip(cc.tolist(), cn.tolist())}

    @staticmethod
    def _array(state: Dict[str, Any], key: str, dtype: Any, ndim: int,
               length: Optional[int] = None) -> np.ndarray:
        if key not in state:
            raise ValueError(f"state[{key!r}]: missing")
        v = state[key]
        if not isinstance(v, np.ndarray) or v.dtype != np.dtype(dtype) or v.ndim != ndim:
            got = f"{v.dtype} array of {v.ndim} dims" if isinstance(v, np.ndarray) else type(v).__name__
            raise ValueError(f"state[{key!r}]: expected a {ndim}-D {np.dtype(dtype)} array; got {got}")
        if length is not None and v.shape[0] != length:
            raise ValueError(f"state[{key!r}]: expected {length} entries (one per track id); got {v.shape[0]}")
        return np.array(v, copy=True, order="C")

    def _check_fields(self, fields: Dict[str, np.ndarray], frame: int,
                      now: Optional[float]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
