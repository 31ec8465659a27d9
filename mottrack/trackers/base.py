"""What every tracker shares: the per-frame API, the output contract, timestamps, camera
motion, thread and fork safety, the state hooks.  (The registry is :mod:`mottrack.registry`.)

Output contract
---------------
``Tracker.update(detections, timestamp=None, camera_motion=None)`` returns one float64
array of shape (M, 8), one row per track reported this frame, with columns

====  ===========  ==================================================================
 0-3  x1,y1,x2,y2  the track's box after this frame's update, pixels (in this frame's
                   coordinates when ``camera_motion`` moved the tracks)
 4    track_id     integer id, unique within the tracker, never reused (starts at 1)
 5    score        score of the detection the track was last updated with
 6    class_id     class of that detection (-1 when detections carry no class)
 7    det_index    row of this frame's detections that updated the track, or -1 if
                   none did (the box is then the track's prediction)
====  ===========  ==================================================================

Rows are in the order of the tracker's track list, which is its original's: creation
order for SORT, OC-SORT and DeepSORT; for ByteTrack and BoT-SORT the originals' list
of tracked tracks (a re-found lost track moves behind the tracks that stayed tracked).
Columns 4, 6 and 7 hold whole numbers; ``out[:, 4].astype(np.int64)`` is exact up to 2**53.

Kernel convention
-----------------
Every tracker hands its compiled kernels the same three things the same way:

* ``params`` -- a float64 vector built once in ``__init__``, one slot per parameter,
  the slots named by module-level integer constants ``P_<NAME>`` (flags 0.0 / 1.0);
  kernels read ``params[P_MAX_AGE]``, never a bare index;
* the workspace -- scratch arrays created once (and regrown when a frame needs
  more), each passed as its own argument (numba unboxes a tuple argument several
  times slower than the arrays in it); a kernel names their parts: a namedtuple of
  views, one per purpose, or of offsets where inlined stages take the views they use
  (:func:`mottrack.trackers._byte_stages.carve_workspace`: numba counts a reference per
  array of a tuple each time the tuple is passed to an inlined stage);
* ``warp`` -- the (3, 3) camera warp from :func:`~mottrack.geometry.camera_warp`, or
  :data:`~mottrack.geometry.NO_WARP` for a static camera
  (:func:`~mottrack.geometry.has_warp` tells which).  ``_step`` and ``_step_rows``
  receive it in the same form.
"""
from __future__ import annotations

import math
import os
import threading
import weakref
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

import numpy as np
import numpy.typing as npt

from .. import state as _state
from .._numba import njit
from ..detections import DEGENERATE, NEED_ROOM, Detections, as_detections, count_degenerate, usable_rows
from ..geometry import NO_WARP, camera_warp
from .._validate import check_number, short_repr as _short
from ..tracks import TrackTable
from ..registry import available_trackers, create_tracker, register_tracker, tracker_parameters

__all__ = ["Tracker", "create_tracker", "register_tracker", "available_trackers", "OUTPUT_COLUMNS",
           "OUTPUT_BOXES", "MAX_TIME_STEP", "MAX_DETECTIONS", "MIN_FRAME_RATE", "MAX_FRAME_RATE"]

#: Largest time step between two ``update`` calls, in nominal frames (a million years
#: at 30 fps).  A longer one (e.g. a clock jump of 1e308 s) is rejected (``ValueError``,
#: tracker and clock unchanged).  Keeps every ``dt``-scaled Kalman term (up to dt^4)
#: finite for coordinates up to ``MAX_COORDINATE``.
MAX_TIME_STEP = 1e15

#: ``frame_rate``'s range (frames per second).  Beyond it ``1 / frame_rate`` (the clock's
#: step for a frame without a timestamp) or ``elapsed * frame_rate`` overflows or
#: underflows: with 5e-324 the clock became inf and the tracker's own state did not load.
MIN_FRAME_RATE, MAX_FRAME_RATE = 1e-6, 1e6

#: Default ``Tracker.max_detections``: most detections per ``update``.
MAX_DETECTIONS = 5000

_get_ident = threading.get_ident

_F64 = np.dtype(np.float64)

OUTPUT_COLUMNS = ("x1", "y1", "x2", "y2", "track_id", "score", "class_id", "det_index")
#: Values of every tracker's ``output_box`` parameter.
OUTPUT_BOXES = ("kalman", "detection")

_T = TypeVar("_T", bound="Tracker")

#: Every live tracker, so that a forked child can reset their locks (see ``_after_fork``).
_LIVE: "weakref.WeakSet[Tracker]" = weakref.WeakSet()


def _after_fork() -> None:
    """In a forked child: each tracker gets a fresh, free lock.  A thread of the parent
    may have held one at the fork; it does not exist in the child, so the copied lock
    would never be released and the child's first ``update`` would wait for ever."""
    for t in list(_LIVE):
        t._lock = threading.Lock()
        t._owner = None


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork)


@njit
def _detection_boxes(out, boxes):
    """``output_box="detection"``: rows updated by a detection (column 7 >= 0) take its box."""
    for i in range(out.shape[0]):
        d = np.int64(out[i, 7])
        if d >= 0:
            for k in range(4):
                out[i, k] = boxes[d, k]


class _Backends(type):
    """``TrackerClass(..., backend="native")``: the C library's tracker (:mod:`mottrack.native`)."""

    def __call__(cls, *args: Any, backend: str = "numba", **kwargs: Any) -> Any:
        if backend == "numba":
            return super().__call__(*args, **kwargs)
        if backend == "native":
            from ..native import create_native
            return create_native(cls, *args, **kwargs)
        raise ValueError(f"backend: expected 'numba' or 'native'; got {backend!r}")


class Tracker(metaclass=_Backends):
    """Base class of all trackers: one constructor convention, one ``update``.

    Parameters
    ----------
    frame_rate : float
        Nominal frames per second the parameters are expressed in, within
        [``MIN_FRAME_RATE``, ``MAX_FRAME_RATE``] = [1e-6, 1e6].  Only used with
        timestamps: the elapsed time between two ``update`` calls is converted to
        ``dt = elapsed_seconds * frame_rate`` frames for the motion model and for
        every age limit.  Without timestamps each call is exactly one frame.
    per_class : bool
        If true, a track only ever matches detections of its own class.
    """

    name: str = "tracker"

    # -- facts the evaluator, CLI, budget report and state code read from the class -------
    #: Appearance embeddings: ``"none"`` (not used), ``"optional"`` (used when the
    #: detections carry them) or ``"required"``.
    embeddings: str = "none"
    #: The evaluator's default minimum detection score for this tracker (None: keep all).
    default_min_score: Optional[float] = None
    #: How the evaluator orders each frame's detections: ``"file"`` order or by
    #: ``"score"`` (descending, stable), whichever the original's own app used.
    feed_order: str = "file"

    def __init__(self, *, frame_rate: float = 30.0, per_class: bool = False,
                 output_box: str = "kalman") -> None:
        self.frame_rate = check_number("frame_rate", frame_rate, low=MIN_FRAME_RATE, high=MAX_FRAME_RATE)
        if not isinstance(per_class, (bool, np.bool_)) and per_class not in (0, 1):
            raise TypeError(f"per_class: expected a bool; got {per_class!r}")
        self.per_class = bool(per_class)
        if not isinstance(output_box, str) or output_box not in OUTPUT_BOXES:
            raise ValueError(f"output_box: expected one of {', '.join(map(repr, OUTPUT_BOXES))}; "
                             f"got {output_box!r}")
        self.output_box = output_box
        #: Detections with a side below ``MIN_BOX_SIDE`` ignored so far (see ``update``).
        self.dropped_detections = 0
        self.frame_count = 0
        self._last_timestamp: Optional[float] = None
        self._err = np.zeros(1, np.int64)  # the fast path's error code (detections.split_rows)
        self._warp_buffer = np.empty((3, 3))  # camera warps are validated into it
        self._lock = threading.Lock()
        self._owner: Optional[int] = None
        _LIVE.add(self)

    #: Trackers that implement ``_step_rows`` take plain float64 arrays in one compiled call.
    _rows_fast_path = False
    #: Whether ``_step_rows`` applies ``output_box`` itself (else the base does, after it).
    _rows_output_box = False
    #: Whether ``_step_rows`` also takes frames with a camera warp (else those take ``_step``).
    _rows_fast_path_warp = False
    #: Whether ``_step`` itself checks for boxes with a side below ``MIN_BOX_SIDE`` and then
    #: returns None with nothing changed (else the base counts them before calling it).
    _step_checks_degenerate = False
    #: The track table every tracker keeps (set by its ``_reset``).
    tracks: TrackTable

    #: Most detections one ``update`` accepts (``ValueError`` beyond, tracker unchanged).
    #: Scattered scenes cost O((T + N) log N) per frame; N mutually overlapping boxes make
    #: the association itself dense: O(N^2) memory and up to O(N^3) time (SORT: 2000 such
    #: boxes take ~1-3 s a frame).  Set it on an instance to accept more.
    max_detections: int = MAX_DETECTIONS

    # -- the per-frame API ---------------------------------------------------------------
    def update(self, detections: Any, timestamp: Optional[float] = None,
               camera_motion: Any = None) -> npt.NDArray[np.float64]:
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
        camera_motion : array_like (2, 3) or (3, 3), optional
            How the camera moved since the previous frame: the affine warp or homography
            mapping the previous frame's pixel coordinates to this frame's.  Applied to
            every track after the motion prediction (see each tracker's docstring for how);
            ``None`` is a static camera.  Checked by :func:`~mottrack.geometry.camera_warp`.

        Returns
        -------
        ndarray, float64, shape (M, 8)
            x1, y1, x2, y2, track_id, score, class_id, det_index (see the module docs).

        Notes
        -----
        Detections narrower or lower than ``MIN_BOX_SIDE`` (1e-6; zero-area boxes
        included: the Kalman filters divide by width and height) are ignored: they
        neither update nor start a track, ``det_index`` still refers to rows of the
        caller's detections, and ``self.dropped_detections`` counts them.  Invalid input
        (see ``Detections``; a time step above ``MAX_TIME_STEP`` frames) raises before
        the tracker state changes.

        One instance may be shared between threads: ``update``, ``reset``,
        ``state_dict`` and ``load_state_dict`` hold the instance's lock, so concurrent
        calls run one after another (in some order).
        """
        lock = self._lock
        if not lock.acquire(False):
            self._wait(lock)
        self._owner = _get_ident()
        # Rejected input (here, or in a tracker's step before its kernel mutates anything)
        # leaves the tracker as it was, clock and counters included.
        frame_count, last, dropped = self.frame_count, self._last_timestamp, self.dropped_detections
        try:
            warp = NO_WARP
            if camera_motion is not None:
                warp = camera_warp(camera_motion, self._warp_buffer)
            dt = 1.0 if timestamp is None and last is None else self._time_step(timestamp)
            self.frame_count = frame_count + 1
            d = detections
            if (type(d) is np.ndarray and self._rows_fast_path and d.dtype is _F64 and d.ndim == 2
                    and 5 <= d.shape[1] <= 6 and d.shape[0] <= self.max_detections and d.flags.c_contiguous
                    and (warp is NO_WARP or self._rows_fast_path_warp)):
                # The common input: validation, conversion and the whole step in one compiled call.
                out = self._step_rows(d, dt, warp)
                # A kernel that rejects its input returns no rows: only then is the code read.
                code = 0 if out.shape[0] else self._err[0]
                if code == NEED_ROOM:  # valid, but the table or workspace is too small: grow, retry
                    self._make_room(d.shape[0])
                    out = self._step_rows(d, dt, warp)
                    code = 0 if out.shape[0] else self._err[0]
                if code == 0:
                    if self.output_box == "detection" and not self._rows_output_box:
                        _detection_boxes(out, d)
                    return out
                if code != DEGENERATE:  # invalid input: nothing changed, raise the detailed error
                    Detections.from_array(d)
                    raise AssertionError("unreachable")  # pragma: no cover
                # valid, but with zero-area boxes: the general path below ignores those rows
            return self._step_detections(d, dt, warp)
        except BaseException:
            self.frame_count, self._last_timestamp, self.dropped_detections = frame_count, last, dropped
            raise
        finally:
            self._owner = None
            lock.release()

    def _wait(self, lock: Any) -> None:
        """Block until ``lock`` is free; a call from inside a call of the same thread raises."""
        if self._owner == _get_ident():
            raise RuntimeError(f"{type(self).__name__}: update/reset/state_dict called from inside "
                               "itself (re-entrant use of one tracker)")
        lock.acquire()

    def _step_detections(self, detections: Any, dt: float, warp: np.ndarray) -> npt.NDArray[np.float64]:
        """:meth:`update` for any input once the clock has advanced: convert, drop
        degenerate boxes, step, report."""
        dets = detections if type(detections) is Detections else as_detections(detections)
        if dets._boxes.shape[0] > self.max_detections:
            raise ValueError(f"detections: {len(dets)} rows; {type(self).__name__} takes at most "
                             f"max_detections = {self.max_detections} per frame")
        out: Optional[npt.NDArray[np.float64]]
        if self._step_checks_degenerate:
            out = self._step(dets, dt, warp)
            if out is None:
                out = self._step_usable(dets, dt, warp)
        elif count_degenerate(dets._boxes):
            out = self._step_usable(dets, dt, warp)
        else:
            out = self._step(dets, dt, warp)
            assert out is not None  # only trackers with _step_checks_degenerate return None
        if self.output_box == "detection":
            _detection_boxes(out, dets._boxes)
        return out

    def _step_usable(self, dets: Detections, dt: float, warp: np.ndarray) -> npt.NDArray[np.float64]:
        """:meth:`_step` on the rows of ``dets`` whose sides are >= ``MIN_BOX_SIDE`` (the others
        are counted in ``dropped_detections``); ``det_index`` refers to the rows of ``dets``."""
        b = dets._boxes
        rows = usable_rows(b)
        self.dropped_detections += b.shape[0] - rows.shape[0]
        out = self._step(dets[rows], dt, warp)
        assert out is not None  # no degenerate rows are left
        used = out[:, 7] >= 0
        out[used, 7] = rows[out[used, 7].astype(np.int64)]
        return out

    def __call__(self, detections: Any, timestamp: Optional[float] = None,
                 camera_motion: Any = None) -> npt.NDArray[np.float64]:
        return self.update(detections, timestamp, camera_motion)

    def _time_step(self, timestamp: Optional[float]) -> float:
        """The step in frames to ``timestamp``; sets the clock only when the step is valid."""
        last = self._last_timestamp
        if timestamp is None:
            # A frame without a timestamp after timestamped ones: one nominal frame.
            self._last_timestamp = last + 1.0 / self.frame_rate
            return 1.0
        if isinstance(timestamp, (bool, np.bool_)) or not isinstance(timestamp, (int, float, np.integer, np.floating)):
            raise TypeError(f"timestamp: expected seconds as a float; got {type(timestamp).__name__}")
        try:
            t = float(timestamp)
        except OverflowError:
            raise ValueError(f"timestamp: expected a finite number of seconds; got {_short(timestamp)} "
                             "(beyond float range)") from None
        if not math.isfinite(t):
            raise ValueError(f"timestamp: expected a finite number of seconds; got {timestamp!r}")
        if last is None:
            self._last_timestamp = t
            return 1.0
        if t <= last:
            raise ValueError(f"timestamp: must increase from frame to frame; got {t!r} after {last!r}")
        dt = (t - last) * self.frame_rate
        if not dt <= MAX_TIME_STEP:
            raise ValueError(f"timestamp: {t!r} is {t - last:.6g} s ({dt:.6g} frames) after the previous "
                             f"frame; expected at most MAX_TIME_STEP = {MAX_TIME_STEP:g} frames (call "
                             "reset() after a long outage)")
        self._last_timestamp = t
        # Steady clocks give whole frames up to rounding; snap those so that timestamps
        # exactly 1 / frame_rate apart reproduce the frame-based filters bit for bit.
        # The tolerance covers epoch clocks: at t ~ 1.7e9 s a float64 second count has a
        # resolution of 2.4e-7 s, i.e. up to ~1e-5 frames of rounding at 30 fps.
        whole = round(dt)
        return float(whole) if whole >= 1 and abs(dt - whole) < 1e-4 else dt

    def track_ids(self) -> np.ndarray:
        """Ids (int64, track-list order) of every track the tracker holds, in any state
        (tentative, confirmed, lost).  Ids are never reused, so an id that leaves this set
        has ended for good: what a "track ended" event (scene metadata) reports."""
        return self.tracks.column("id").copy()

    def reset(self) -> None:
        """Forget all tracks and restart ids at 1 and the clock."""
        with self._locked():
            self.frame_count = 0
            self._last_timestamp = None
            self._reset()

    # -- sharing one instance between threads ---------------------------------------------
    def _locked(self) -> "_Held":
        return _Held(self)

    def __getstate__(self) -> Dict[str, Any]:
        d = self.__dict__.copy()
        d.pop("_lock", None)
        d["_owner"] = None
        return d

    def __setstate__(self, d: Dict[str, Any]) -> None:
        self.__dict__.update(d)
        self._lock = threading.Lock()
        _LIVE.add(self)

    # -- state that survives a restart (see mottrack.state) -------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """The tracker's full state as a versioned dict of arrays and scalars (copies)."""
        with self._locked():
            return _state.state_dict(self)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Replace this tracker's state (and parameters) with a saved ``state``; a rejected
        state (``ValueError``) leaves the tracker unchanged."""
        with self._locked():
            _state.load_state_dict(self, state)

    @classmethod
    def from_state(cls: Type[_T], state: Dict[str, Any]) -> _T:
        """A tracker restored from ``state``; on a subclass, other tracker types are rejected."""
        return _state.from_state(state, cls)  # type: ignore[no-any-return]

    def _export_state(self) -> Dict[str, Any]:
        """What :mod:`mottrack.state` saves (live objects; it copies them): ``params`` (the
        constructor parameters, stored as attributes of the same names), ``frame_count``,
        ``last_timestamp`` and ``attrs`` (every attribute named in ``_state_attrs``).
        Subclasses that keep their state elsewhere override it."""
        params = {}
        for name in tracker_parameters(self.name):
            if not hasattr(self, name):
                raise TypeError(f"{type(self).__name__}: constructor parameter {name!r} is not stored "
                                "as an attribute of the same name, so the state cannot record it")
            params[name] = getattr(self, name)
        return {"params": params, "frame_count": self.frame_count,
                "last_timestamp": self._last_timestamp,
                "attrs": {a: getattr(self, a) for a in getattr(type(self), "_state_attrs", ())}}

    def _adopt_state(self, frame_count: int, last_timestamp: Optional[float],
                     attrs: Dict[str, Any]) -> None:
        """Take a restored state (validated copies, see :mod:`mottrack.state`) on a freshly
        constructed tracker, then check it (:meth:`_check_restored`, which raises
        ``ValueError``).  Subclasses that keep their state elsewhere override it."""
        for name, value in attrs.items():
            setattr(self, name, value)
        self.frame_count = frame_count
        self._last_timestamp = last_timestamp
        self._check_restored()

    def _take_over(self, other: "Tracker") -> None:
        """Become ``other`` (a tracker of the same class restored by :mod:`mottrack.state`)
        in place: parameters, state and scratch; this instance keeps its lock."""
        keep: Dict[str, Any] = {k: self.__dict__[k] for k in ("_lock", "_owner") if k in self.__dict__}
        self.__dict__.clear()
        self.__dict__.update(other.__dict__)
        self.__dict__.update(keep)

    def _check_restored(self) -> None:
        """Check a restored state before it is used (called by :mod:`mottrack.state` on the
        new object); raise ``ValueError`` naming the entry if the kernels could not run it.
        Subclasses extend this for their own attributes (calling ``super()``).

        Here: the frame counter and every :class:`~mottrack.tracks.TrackTable` in
        ``_state_attrs`` (see :func:`mottrack.state.check_track_table`)."""
        if not 0 <= self.frame_count < 2 ** 62:
            raise ValueError(f"state: frame_count {self.frame_count} is outside [0, 2**62)")
        for attr in getattr(type(self), "_state_attrs", ()):
            value = getattr(self, attr)
            if isinstance(value, _state.TrackTable):
                _state.check_track_table(value, f"attrs.{attr}")

    # -- to implement ----------------------------------------------------------------------
    @staticmethod
    def _kernel_inputs(dets: Detections) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``dets``' boxes, scores and class ids as writable arrays, the types the fast
        path's kernels see: so each kernel is compiled for one signature (a read-only
        array is another numba type, and a second signature doubles the compile time)."""
        return dets._boxes.copy(), dets._scores.copy(), dets._class_ids.copy()

    def _step(self, detections: Detections, dt: float,
              warp: np.ndarray) -> Optional[np.ndarray]:  # pragma: no cover
        """One frame: ``dt`` frames since the last, ``warp`` the (3, 3) camera warp or
        :data:`~mottrack.geometry.NO_WARP`.  With ``_step_checks_degenerate``: None, with
        nothing changed, when a box has a side below ``MIN_BOX_SIDE``."""
        raise NotImplementedError

    def _reset(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _step_rows(self, rows: np.ndarray, dt: float, warp: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The fused fast path (only where ``_rows_fast_path``): validate, convert and step
        a C-contiguous float64 (N, 5|6) array in one compiled call, writing the
        :func:`~mottrack.detections.split_rows` error code into ``self._err[0]`` (0: done;
        otherwise nothing changed and no rows are returned: ``update`` reads the code only
        after an empty result).  Code :data:`~mottrack.detections.NEED_ROOM`: the input is
        valid but the tables have no room for it; ``update`` calls :meth:`_make_room` and
        steps again."""
        raise NotImplementedError

    def _make_room(self, n_det: int) -> None:  # pragma: no cover
        """Grow the tables so that a frame of ``n_det`` detections fits (after a fused step
        returned :data:`~mottrack.detections.NEED_ROOM`)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={getattr(self, k)!r}" for k in tracker_parameters(self.name)
                           if hasattr(self, k))
        return f"{type(self).__name__}({params})"


class _Held:
    """``with tracker._locked():`` -- the instance lock, with the re-entrance check."""

    __slots__ = ("t",)

    def __init__(self, tracker: Tracker) -> None:
        self.t = tracker

    def __enter__(self) -> None:
        t = self.t
        if not t._lock.acquire(False):
            t._wait(t._lock)
        t._owner = _get_ident()

    def __exit__(self, *exc: Any) -> None:
        self.t._owner = None
        self.t._lock.release()
