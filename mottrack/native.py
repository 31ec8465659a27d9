"""The native backend: the trackers of libmottrack (``native/``, C11) through ctypes.

``create_tracker(name, backend="native", **params)`` (or ``SORT(..., backend="native")``)
returns a :class:`NativeTracker`: the C library's tracker behind the same ``update()``
contract as the numba classes -- the same parameters and validation errors, the same
(M, 8) float64 output rows in the same order, bit for bit (see native/include/mottrack.h),
``track_ids()``, ``reset()``, and state save/restore as a byte buffer.  It needs no
compiler at run time and no numba in the process beyond what ``import mottrack`` loads.

The library is found at ``$MOTTRACK_NATIVE_LIB`` (a path to ``libmottrack.so``), else at
``native/build/libmottrack.so`` of the source checkout this package was imported from.
``pip install mottrack`` does not build it; build it with ``make -C native``.

States: :meth:`NativeTracker.state_bytes` is the C library's state buffer (a checksummed,
little-endian format that restores on any architecture); it does not interchange with the
numba trackers' ``state_dict()`` (same numbers, different containers).
"""
from __future__ import annotations

import ctypes as C
import inspect
import math
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import numpy.typing as npt

__all__ = ["NativeTracker", "NativeLibraryError", "native_library", "native_trackers", "library_path"]

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)

# mt_status codes (mottrack.h)
MT_OK, MT_ERR_NULL, MT_ERR_ARG, MT_ERR_UNKNOWN_TRACKER, MT_ERR_UNKNOWN_PARAM = 0, 1, 2, 3, 4
MT_ERR_NOMEM, MT_ERR_STATE, MT_ERR_TOO_SMALL, MT_ERR_UNSUPPORTED, MT_ERR_TOO_MANY = 5, 6, 7, 8, 9
MT_PARAM_FLOAT, MT_PARAM_INT, MT_PARAM_BOOL, MT_PARAM_CHOICE = 0, 1, 2, 3
MT_EMB_NONE, MT_EMB_FLOAT32 = 0, 1


class NativeLibraryError(RuntimeError):
    """libmottrack is not built or cannot be loaded (the message says how to build it)."""


class _ParamInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("type", C.c_int), ("default_value", C.c_double),
                ("default_text", C.c_char_p), ("low", C.c_double), ("high", C.c_double),
                ("low_open", C.c_int), ("choices", C.c_char_p)]


class _Param(C.Structure):
    _fields_ = [("name", C.c_char_p), ("value", C.c_double), ("text", C.c_char_p)]


class _Frame(C.Structure):
    _fields_ = [("rows", C.c_void_p), ("n", C.c_size_t), ("cols", C.c_size_t),
                ("embeddings", C.c_void_p), ("embedding_dim", C.c_size_t),
                ("embedding_type", C.c_int), ("embedding_scale", C.c_double),
                ("embedding_zero_point", C.c_double), ("has_timestamp", C.c_int),
                ("timestamp", C.c_double), ("warp", C.c_void_p), ("warp_rows", C.c_int)]


_P = C.POINTER
_SIGNATURES = {
    "mt_version": (C.c_char_p, []),
    "mt_status_name": (C.c_char_p, [C.c_int]),
    "mt_tracker_names": (C.c_int, [_P(C.c_char_p), C.c_size_t, _P(C.c_size_t)]),
    "mt_tracker_params": (C.c_int, [C.c_char_p, _P(_P(_ParamInfo)), _P(C.c_size_t), C.c_char_p, C.c_size_t]),
    "mt_tracker_create": (C.c_int, [C.c_char_p, _P(_Param), C.c_size_t, _P(C.c_void_p), C.c_char_p,
                                    C.c_size_t]),
    "mt_tracker_destroy": (None, [C.c_void_p]),
    "mt_tracker_last_error": (C.c_char_p, [C.c_void_p]),
    "mt_tracker_name": (C.c_char_p, [C.c_void_p]),
    "mt_tracker_get_param": (C.c_int, [C.c_void_p, C.c_char_p, _P(C.c_double)]),
    "mt_tracker_set_max_detections": (C.c_int, [C.c_void_p, C.c_int64]),
    "mt_tracker_update": (C.c_int, [C.c_void_p, _P(_Frame), _P(_P(C.c_double)), _P(C.c_size_t)]),
    "mt_tracker_reset": (C.c_int, [C.c_void_p]),
    "mt_tracker_track_ids": (C.c_int, [C.c_void_p, _P(_P(C.c_int64)), _P(C.c_size_t)]),
    "mt_tracker_counters": (C.c_int, [C.c_void_p, _P(C.c_int64), _P(C.c_int64)]),
    "mt_tracker_state_size": (C.c_int, [C.c_void_p, _P(C.c_size_t)]),
    "mt_tracker_save": (C.c_int, [C.c_void_p, C.c_void_p, C.c_size_t, _P(C.c_size_t)]),
    "mt_tracker_restore": (C.c_int, [C.c_void_p, C.c_void_p, C.c_size_t]),
    "mt_tracker_from_state": (C.c_int, [C.c_void_p, C.c_size_t, _P(C.c_void_p), C.c_char_p, C.c_size_t]),
}

_lib: Optional[C.CDLL] = None
_lib_lock = threading.Lock()


def library_path() -> Path:
    """Where libmottrack is looked for: ``$MOTTRACK_NATIVE_LIB``, else the checkout's
    ``native/build/libmottrack.so`` (the path is returned whether or not it exists)."""
    env = os.environ.get("MOTTRACK_NATIVE_LIB")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "native" / "build" / "libmottrack.so"


def native_library() -> C.CDLL:
    """The loaded libmottrack (loaded once per process).

    Raises
    ------
    NativeLibraryError
        The library is not built (or not loadable); the message says how to build it.
    """
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        path = library_path()
        how = ("build it with `make -C native` in the mottrack source checkout, or set "
               "MOTTRACK_NATIVE_LIB=/path/to/libmottrack.so")
        if not path.is_file():
            where = "MOTTRACK_NATIVE_LIB" if os.environ.get("MOTTRACK_NATIVE_LIB") else "the checkout"
            raise NativeLibraryError(f"backend='native': libmottrack not found at {path} ({where}); {how}")
        try:
            lib = C.CDLL(str(path))
        except OSError as e:
            raise NativeLibraryError(f"backend='native': cannot load {path} ({e}); {how}") from None
        for name, (res, args) in _SIGNATURES.items():
            try:
                f = getattr(lib, name)
            except AttributeError:
                raise NativeLibraryError(f"backend='native': {path} has no symbol {name} (an older "
                                         f"build?); {how}") from None
            f.restype = res
            f.argtypes = args
        _lib = lib
        return lib


def native_trackers() -> List[str]:
    """Names of the trackers the loaded library can create (in its registry order)."""
    lib = native_library()
    count = C.c_size_t()
    lib.mt_tracker_names(None, 0, C.byref(count))
    names = (C.c_char_p * count.value)()
    lib.mt_tracker_names(names, count.value, C.byref(count))
    out = []
    for raw in names:
        name = (raw or b"").decode()
        probe = C.c_void_p()
        err = C.create_string_buffer(256)
        if lib.mt_tracker_create(name.encode(), None, 0, C.byref(probe), err, 256) == MT_OK:
            lib.mt_tracker_destroy(probe)
            out.append(name)
    return out


def _param_table(lib: C.CDLL, name: str) -> Dict[str, _ParamInfo]:
    p = _P(_ParamInfo)()
    count = C.c_size_t()
    err = C.create_string_buffer(256)
    rc = lib.mt_tracker_params(name.encode(), C.byref(p), C.byref(count), err, 256)
    if rc != MT_OK:
        raise ValueError(f"backend='native': {err.value.decode()}")
    return {(p[i].name or b"").decode(): p[i] for i in range(count.value)}


def _raise(lib: C.CDLL, rc: int, message: str) -> None:
    name = lib.mt_status_name(rc).decode()
    if rc in (MT_ERR_ARG, MT_ERR_TOO_MANY, MT_ERR_STATE, MT_ERR_UNKNOWN_TRACKER, MT_ERR_UNKNOWN_PARAM,
              MT_ERR_UNSUPPORTED):
        raise ValueError(message)
    if rc == MT_ERR_NOMEM:
        raise MemoryError(message)
    raise RuntimeError(f"libmottrack: {name}: {message}")  # NULL / TOO_SMALL: a bug of this module


class NativeTracker:
    """A tracker of the C library with the numba trackers' ``update`` contract.

    Parameters
    ----------
    name : str
        Registry name (``mottrack.available_trackers()``).
    **params
        The Python class's constructor parameters (same names, defaults, validation and
        errors: they are checked by the Python class first).

    Notes
    -----
    ``update``, ``reset``, ``track_ids`` and the state methods hold an instance lock, so
    one instance may be shared between threads (calls run one after another).
    """

    def __init__(self, name: str, **params: Any) -> None:
        from .registry import tracker_class, tracker_parameters
        cls = tracker_class(name)
        # the Python class validates (same errors, same derived values) ...
        py = cls(**params)
        self.name: str = cls.name
        self.embeddings: str = cls.embeddings
        self._class_name = cls.__name__
        #: The constructor parameters (defaults, then the given ones).
        self.params: Dict[str, Any] = dict(tracker_parameters(self.name))
        self.params.update(params)
        lib = native_library()
        self._lib = lib
        # ... and the C library gets the validated values by name
        table = _param_table(lib, self.name)
        unknown = sorted(set(self.params) - set(table))
        if unknown:
            raise ValueError(f"backend='native': the C {self.name} has no parameter(s) {', '.join(unknown)}")
        keep = []  # the encoded strings must outlive the call
        arr = (_Param * max(len(params), 1))()
        for i, (k, v) in enumerate(params.items()):
            kb = k.encode()
            keep.append(kb)
            if table[k].type == MT_PARAM_CHOICE:
                tb = str(v).encode()
                keep.append(tb)
                arr[i] = _Param(kb, 0.0, tb)
            else:
                arr[i] = _Param(kb, float(v), None)
        handle = C.c_void_p()
        err = C.create_string_buffer(256)
        rc = lib.mt_tracker_create(self.name.encode(), arr, len(params), C.byref(handle), err, 256)
        if rc != MT_OK:
            _raise(lib, rc, f"backend='native': {err.value.decode()}")
        self._h = handle
        self._lock = threading.Lock()
        self._frame = _Frame()
        self._out = _P(C.c_double)()
        self._n = C.c_size_t()
        self._warp = np.empty((3, 3))
        self._max_detections = int(py.max_detections)

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Free the C tracker now (also done when the object is collected)."""
        h = getattr(self, "_h", None)
        if h is not None and h.value:
            self._lib.mt_tracker_destroy(h)
            self._h = C.c_void_p()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover  (interpreter shutdown)
            pass

    def _handle(self) -> C.c_void_p:
        if not self._h.value:
            raise ValueError(f"{self!r} is closed")
        return self._h

    def _error(self) -> str:
        msg = self._lib.mt_tracker_last_error(self._h)
        return msg.decode() if msg else ""

    # -- the per-frame API -----------------------------------------------------------------
    def update(self, detections: Any, timestamp: Optional[float] = None,
               camera_motion: Any = None) -> npt.NDArray[np.float64]:
        """Advance the tracker by one frame: :meth:`mottrack.Tracker.update`'s contract
        (arguments, (M, 8) output, errors, an unchanged tracker after a rejected call)."""
        with self._lock:
            return self._update(detections, timestamp, camera_motion)

    __call__ = update

    def _update(self, detections: Any, timestamp: Optional[float], camera_motion: Any) -> np.ndarray:
        from .detections import Detections, as_detections
        from .geometry import camera_warp
        f = self._frame
        h = self._handle()
        f.warp = None
        f.warp_rows = 0
        if camera_motion is not None:
            w = camera_warp(camera_motion, self._warp)
            f.warp = w.ctypes.data
            f.warp_rows = 3
        f.has_timestamp = 0
        f.timestamp = 0.0
        if timestamp is not None:
            if isinstance(timestamp, (bool, np.bool_)) or not isinstance(
                    timestamp, (int, float, np.integer, np.floating)):
                raise TypeError(f"timestamp: expected seconds as a float; got {type(timestamp).__name__}")
            try:
                t = float(timestamp)
            except OverflowError:
                raise ValueError("timestamp: expected a finite number of seconds; got a value beyond "
                                 "float range") from None
            if not math.isfinite(t):
                raise ValueError(f"timestamp: expected a finite number of seconds; got {timestamp!r}")
            f.has_timestamp = 1
            f.timestamp = t
        emb = None
        d = detections
        fast = (type(d) is np.ndarray and d.dtype is _F64 and d.ndim == 2 and 5 <= d.shape[1] <= 6
                and d.flags.c_contiguous and self.embeddings != "required")
        if fast:
            rows = d
        else:
            dets = d if type(d) is Detections else as_detections(d)
            rows = np.ascontiguousarray(dets.to_array()).reshape(-1, 6)
            emb = dets._embeddings
            if emb is not None and emb.shape[0] == rows.shape[0] and rows.shape[0] > 0:
                emb = np.ascontiguousarray(emb, dtype=_F32)
            elif emb is not None:
                emb = None
            if emb is None and self.embeddings == "required" and rows.shape[0] > 0:
                raise ValueError(f"{self._class_name} needs appearance embeddings: pass "
                                 f"Detections(..., embeddings=(N, D)) for every non-empty frame (got "
                                 f"{rows.shape[0]} detections without embeddings)")
        f.rows = rows.ctypes.data if rows.shape[0] else None
        f.n = rows.shape[0]
        f.cols = rows.shape[1]
        if emb is not None:
            f.embeddings = emb.ctypes.data
            f.embedding_dim = emb.shape[1]
            f.embedding_type = MT_EMB_FLOAT32
        else:
            f.embeddings = None
            f.embedding_dim = 0
            f.embedding_type = MT_EMB_NONE
        rc = self._lib.mt_tracker_update(h, C.byref(f), C.byref(self._out), C.byref(self._n))
        if rc != MT_OK:
            msg = self._error()
            if fast and rc == MT_ERR_ARG:
                Detections.from_array(d)  # the package's own error when the rows are the problem
            _raise(self._lib, rc, msg)
        n = self._n.value
        if n == 0:
            return np.empty((0, 8))
        return np.ctypeslib.as_array(self._out, shape=(n, 8)).copy()

    # -- tracks, counters, reset -------------------------------------------------------------
    def track_ids(self) -> np.ndarray:
        """Ids (int64, track-list order) of every track the tracker holds (any state)."""
        with self._lock:
            p = _P(C.c_int64)()
            n = C.c_size_t()
            rc = self._lib.mt_tracker_track_ids(self._handle(), C.byref(p), C.byref(n))
            if rc != MT_OK:
                _raise(self._lib, rc, self._error())
            if n.value == 0:
                return np.empty(0, np.int64)
            return np.ctypeslib.as_array(p, shape=(n.value,)).copy()

    def _counters(self) -> tuple:
        fc, dr = C.c_int64(), C.c_int64()
        self._lib.mt_tracker_counters(self._handle(), C.byref(fc), C.byref(dr))
        return fc.value, dr.value

    @property
    def frame_count(self) -> int:
        """Frames processed (``Tracker.frame_count``)."""
        return int(self._counters()[0])

    @property
    def dropped_detections(self) -> int:
        """Detections ignored for a side below ``MIN_BOX_SIDE`` (``Tracker.dropped_detections``)."""
        return int(self._counters()[1])

    @property
    def max_detections(self) -> int:
        """Most detections one ``update`` accepts (``Tracker.max_detections``)."""
        return self._max_detections

    @max_detections.setter
    def max_detections(self, value: int) -> None:
        from ._validate import check_number
        v = int(check_number("max_detections", value, low=0, integer=True))
        with self._lock:
            rc = self._lib.mt_tracker_set_max_detections(self._handle(), v)
            if rc != MT_OK:
                _raise(self._lib, rc, self._error())
            self._max_detections = v

    def reset(self) -> None:
        """Forget all tracks and restart ids at 1 and the clock."""
        with self._lock:
            rc = self._lib.mt_tracker_reset(self._handle())
            if rc != MT_OK:
                _raise(self._lib, rc, self._error())

    # -- state ---------------------------------------------------------------------------------
    def state_bytes(self) -> bytes:
        """The C library's state buffer (``mt_tracker_save``): restores exactly with
        :meth:`restore_bytes` or :meth:`from_bytes`, on any architecture."""
        with self._lock:
            h = self._handle()
            size = C.c_size_t()
            rc = self._lib.mt_tracker_state_size(h, C.byref(size))
            if rc != MT_OK:
                _raise(self._lib, rc, self._error())
            buf = C.create_string_buffer(size.value)
            written = C.c_size_t()
            rc = self._lib.mt_tracker_save(h, buf, size.value, C.byref(written))
            if rc != MT_OK:
                _raise(self._lib, rc, self._error())
            return buf.raw[:written.value]

    def restore_bytes(self, state: bytes) -> None:
        """Replace this tracker's state (parameters included) with a saved one of the same
        tracker type.  Raises ``ValueError`` for a malformed, tampered or foreign buffer
        (the tracker is then unchanged); ``TypeError`` for a non-bytes argument."""
        buf = _as_bytes(state)
        with self._lock:
            rc = self._lib.mt_tracker_restore(self._handle(), buf, len(buf))
            if rc != MT_OK:
                _raise(self._lib, rc, f"state: {self._error()}")
            self._refresh_from_c()

    def _refresh_from_c(self) -> None:
        """Parameters as the C tracker holds them (after a restore)."""
        table = _param_table(self._lib, self.name)
        v = C.c_double()
        for k in list(self.params) + ["max_detections"]:
            if k not in table or self._lib.mt_tracker_get_param(self._h, k.encode(), C.byref(v)) != MT_OK:
                continue
            info = table[k]
            if k == "max_detections":
                self._max_detections = int(v.value)
            elif info.type == MT_PARAM_CHOICE:
                self.params[k] = info.choices.decode().split("|")[int(v.value)]
            elif info.type == MT_PARAM_BOOL:
                self.params[k] = bool(v.value)
            elif info.type == MT_PARAM_INT:
                self.params[k] = int(v.value)
            else:
                self.params[k] = float(v.value)

    @classmethod
    def from_bytes(cls, state: bytes) -> "NativeTracker":
        """A tracker restored from :meth:`state_bytes` (of any tracker type)."""
        buf = _as_bytes(state)
        lib = native_library()
        h = C.c_void_p()
        err = C.create_string_buffer(256)
        rc = lib.mt_tracker_from_state(buf, len(buf), C.byref(h), err, 256)
        if rc != MT_OK:
            _raise(lib, rc, f"state: {err.value.decode()}")
        tracker_name = lib.mt_tracker_name(h).decode()
        self = cls(tracker_name)  # Python-side facts of the class, then adopt the restored handle
        lib.mt_tracker_destroy(self._h)
        self._h = h
        self._refresh_from_c()
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"NativeTracker({self.name!r}, {params})"


def _as_bytes(state: Any) -> bytes:
    if isinstance(state, (bytes, bytearray, memoryview)):
        return bytes(state)
    if isinstance(state, np.ndarray) and state.dtype == np.uint8 and state.ndim == 1:
        return state.tobytes()
    raise TypeError(f"state: expected bytes (from NativeTracker.state_bytes); got {type(state).__name__}")


def create_native(cls: type, *args: Any, **kwargs: Any) -> NativeTracker:
    """``cls(*args, **kwargs)`` on the C library (the ``backend="native"`` of the classes)."""
    bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)  # type: ignore[misc]
    params = dict(bound.arguments)
    params.pop(next(iter(params)))  # self
    return NativeTracker(cls.name, **params)  # type: ignore[attr-defined]
