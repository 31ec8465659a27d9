"""What every tracker shares: the per-frame API, the output contract, timestamps, the registry.

Output contract
---------------
``Tracker.update(detections, timestamp=None)`` returns one float64 array of shape
(M, 8), one row per track reported this frame, with columns

====  ===========  ==================================================================
 0-3  x1,y1,x2,y2  the track's box after this frame's update, pixels
 4    track_id     integer id, unique within the tracker, never reused (starts at 1)
 5    score        score of the detection the track was last updated with
 6    class_id     class of that detection (-1 when detections carry no class)
 7    det_index    row of this frame's detections that updated the track, or -1 if
                   none did (the box is then the track's prediction)
====  ===========  ==================================================================

Rows are in the order of the tracker's track list (creation order).  Columns 4, 6
and 7 hold whole numbers; ``out[:, 4].astype(np.int64)`` is exact up to 2**53.
"""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Dict, List, Optional, Type

import numpy as np

from ..detections import DEGENERATE, Detections, as_detections, count_degenerate

__all__ = ["Tracker", "create_tracker", "register_tracker", "available_trackers", "OUTPUT_COLUMNS"]

_F64 = np.dtype(np.float64)

OUTPUT_COLUMNS = ("x1", "y1", "x2", "y2", "track_id", "score", "class_id", "det_index")

_REGISTRY: Dict[str, Type["Tracker"]] = {}


def register_tracker(name: str) -> Callable[[Type["Tracker"]], Type["Tracker"]]:
    """Class decorator: make a tracker available to :func:`create_tracker` under ``name``."""
    def deco(cls: Type["Tracker"]) -> Type["Tracker"]:
        key = name.lower()
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"tracker name {name!r} is already registered")
        _REGISTRY[key] = cls
        cls.name = key
        return cls
    return deco


def available_trackers() -> List[str]:
    """Registered tracker names, sorted."""
    return sorted(_REGISTRY)


def tracker_parameters(name: str) -> Dict[str, Any]:
    """The constructor parameters of a registered tracker and their defaults."""
    cls = _lookup(name)
    sig = inspect.signature(cls.__init__)
    return {p.name: p.default for p in list(sig.parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _lookup(name: str) -> Type["Tracker"]:
    if not isinstance(name, str):
        raise TypeError(f"name: expected a tracker name (str); got {type(name).__name__}")
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise ValueError(f"unknown tracker {name!r}; available: {', '.join(available_trackers())}") from None


def create_tracker(name: str, **params: Any) -> "Tracker":
    """Create a tracker by registry name, e.g. ``create_tracker("sort", max_age=1)``.

    Raises
    ------
    ValueError
        Unknown tracker name, or a parameter the tracker does not have (the message
        lists the valid ones).
    """
    cls = _lookup(name)
    valid = tracker_parameters(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"{cls.name}: unknown parameter(s) {', '.join(unknown)}; "
                         f"valid: {', '.join(valid)}")
    return cls(**params)


def check_number(name: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
                 low_open: bool = False, integer: bool = False) -> Any:
    """Validate a constructor parameter; returns it as int/float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number; got {type(value).__name__}")
    if integer and float(value) != int(value):
        raise ValueError(f"{name}: expected a whole number; got {value!r}")
    v = int(value) if integer else float(value)
    if not math.isfinite(v) and not (high == math.inf and v == math.inf):
        raise ValueError(f"{name}: expected a finite number; got {value!r}")
    if v < low or (low_open and v == low) or v > high:
        lo = "(" if low_open else "["
        raise ValueError(f"{name}: expected a value in {lo}{low}, {high}]; got {value!r}")
    return v


class Tracker:
    """Base class of all trackers: one constructor convention, one ``update``.

    Parameters
    ----------
    frame_rate : float
        Nominal frames per second the parameters are expressed in.  Only used with
        timestamps: the elapsed time between two ``update`` calls is converted to
        ``dt = elapsed_seconds * frame_rate`` frames for the motion model and for
        every age limit.  Without timestamps each call is exactly one frame.
    per_class : bool
        If true, a track only ever matches detections of its own class.
    """

    name: str = "tracker"

    def __init__(self, *, frame_rate: float = 30.0, per_class: bool = False) -> None:
        self.frame_rate = check_number("frame_rate", frame_rate, low=0.0, low_open=True)
        if not math.isfinite(self.frame_rate):
            raise ValueError(f"frame_rate: expected a finite number > 0; got {frame_rate!r}")
        if not isinstance(per_class, (bool, np.bool_)) and per_class not in (0, 1):
            raise TypeError(f"per_class: expected a bool; got {per_class!r}")
        self.per_class = bool(per_class)
        #: Detections without positive area (x2 <= x1 or y2 <= y1) ignored so far (see ``update``).
        self.dropped_detections = 0
        self.frame_count = 0
        self._last_timestamp: Optional[float] = None
        self._err = np.zeros(1, np.int64)

    #: Trackers that implement ``_step_rows`` take plain float64 arrays in one compiled call.
    _rows_fast_path = False

    # -- the per-frame API ---------------------------------------------------------------
    def update(self, detections: Any, timestamp: Optional[float] = None) -> np.ndarray:
        """Advance the tracker by one frame.

        Parameters
        ----------
        detections : Detections or array_like (N, 5) / (N, 6) or None
            This frame's detections; arrays are x1, y1, x2, y2, score[, class_id] in
            pixels.  An empty array or ``None`` is an empty frame.
        timestamp : float, optional
            Capture time of the frame in seconds (any epoch, strictly increasing).
            The elapsed time since the previous frame drives the Kalman step and the
            age limits; frames without a timestamp count as one nominal frame.

        Returns
        -------
        ndarray, float64, shape (M, 8)
            x1, y1, x2, y2, track_id, score, class_id, det_index (see the module docs).

        Notes
        -----
        Detections without positive area (``x2 == x1`` or ``y2 == y1``; the Kalman
        filters divide by width and height) are ignored: they neither update nor start
        a track, ``det_index`` still refers to rows of the caller's detections, and
        ``self.dropped_detections`` counts them.  Invalid input (see ``Detections``)
        raises before the tracker state changes.
        """
        frame_count, last = self.frame_count, self._last_timestamp
        dt = 1.0 if timestamp is None and last is None else self._time_step(timestamp)
        self.frame_count = frame_count + 1
        if (self._rows_fast_path and type(detections) is np.ndarray and detections.dtype is _F64
                and detections.ndim == 2 and 5 <= detections.shape[1] <= 6
                and detections.flags.c_contiguous):
            # Fast path: validation, conversion and the whole step in one compiled call.
            err = self._err
            out = self._step_rows(detections, dt, err)
            code = err[0]
            if code == 0:
                return out
            if code != DEGENERATE:  # invalid input: nothing changed, raise the detailed error
                self.frame_count, self._last_timestamp = frame_count, last
                Detections.from_array(detections)
                raise AssertionError("unreachable")  # pragma: no cover
            # valid, but with zero-area boxes: the general path below ignores those rows
        try:
            dets = detections if type(detections) is Detections else as_detections(detections)
        except Exception:
            self.frame_count, self._last_timestamp = frame_count, last
            raise
        if count_degenerate(dets.boxes):
            b = dets.boxes
            rows = np.flatnonzero((b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1]))
            self.dropped_detections += b.shape[0] - rows.shape[0]
            out = self._step(dets[rows], dt)
            used = out[:, 7] >= 0
            out[used, 7] = rows[out[used, 7].astype(np.int64)]
            return out
        return self._step(dets, dt)

    def __call__(self, detections: Any, timestamp: Optional[float] = None) -> np.ndarray:
        return self.update(detections, timestamp)

    def _time_step(self, timestamp: Optional[float]) -> float:
        last = self._last_timestamp
        if timestamp is None:
            # A frame without a timestamp after timestamped ones: one nominal frame.
            self._last_timestamp = last + 1.0 / self.frame_rate
            return 1.0
        if isinstance(timestamp, (bool, np.bool_)) or not isinstance(timestamp, (int, float, np.integer, np.floating)):
            raise TypeError(f"timestamp: expected seconds as a float; got {type(timestamp).__name__}")
        t = float(timestamp)
        if not math.isfinite(t):
            raise ValueError(f"timestamp: expected a finite number of seconds; got {timestamp!r}")
        if last is None:
            self._last_timestamp = t
            return 1.0
        if t <= last:
            raise ValueError(f"timestamp: must increase from frame to frame; got {t!r} after {last!r}")
        self._last_timestamp = t
        dt = (t - last) * self.frame_rate
        # Steady clocks give whole frames up to rounding; snap those so that timestamps
        # exactly 1 / frame_rate apart reproduce the frame-based filters bit for bit.
        # The tolerance covers epoch clocks: at t ~ 1.7e9 s a float64 second count has a
        # resolution of 2.4e-7 s, i.e. up to ~1e-5 frames of rounding at 30 fps.
        whole = round(dt)
        return float(whole) if whole >= 1 and abs(dt - whole) < 1e-4 else dt

    def track_ids(self) -> np.ndarray:
        """Ids (int64, creation order) of every track the tracker holds, in any state
        (tentative, confirmed, lost).  Ids are never reused, so an id that leaves this set
        has ended for good: what a "track ended" event (scene metadata) reports."""
        return self.tracks.column("id").copy()

    def reset(self) -> None:
        """Forget all tracks and restart ids at 1 and the clock."""
        self.frame_count = 0
        self._last_timestamp = None
        self._reset()

    # -- state that survives a restart (see mottrack.state) -------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """The tracker's full state as a versioned dict of arrays and scalars (copies)."""
        from ..state import state_dict
        return state_dict(self)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Replace this tracker's state (and parameters) with a saved ``state``."""
        from ..state import load_state_dict
        load_state_dict(self, state)

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> "Tracker":
        """A tracker restored from ``state``; on a subclass, other tracker types are rejected."""
        from ..state import from_state
        return from_state(state, cls)

    # -- to implement ----------------------------------------------------------------------
    def _step(self, detections: Detections, dt: float) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _reset(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={getattr(self, k)!r}" for k in tracker_parameters(self.name)
                           if hasattr(self, k))
        return f"{type(self).__name__}({params})"
