"""Tracker state that survives a restart: ``state_dict`` / ``from_state`` and file helpers.

A state is a plain, versioned dict (no pickled code objects)::

    {
        "format": "mottrack.tracker_state",
        "version": 1,
        "tracker": "sort",                    # registry name
        "params": {"max_age": 1, ...},        # constructor parameters
        "frame_count": 120,
        "last_timestamp": 4.0 or None,        # the clock (seconds) of timestamped updates
        "attrs": {                            # every attribute named in ``_state_attrs``
            "tracks": {"__kind__": "TrackTable", "mean": (n, dim), "covariance": (n, dim, dim),
                       "ints": (n, k), "floats": (n, j), "counters": (2,), ...},
            "some_array": ndarray, "some_scalar": 3, ...
        },
    }

Values are numpy arrays, Python ``int`` / ``float`` / ``bool`` / ``str`` / ``None`` and nested
dicts of those.  Only the live rows of a :class:`~mottrack.tracks.TrackTable` are stored.

Restoring constructs the tracker class with the saved parameters (so everything derived
from them, e.g. SORT's ``_params`` vector, is rebuilt by the constructor), then
replaces the state attributes with validated copies of the saved ones, using the
freshly constructed object as the schema: a TrackTable must have the same Kalman
dimension and column names, an array the same dtype and number of dimensions, a
scalar the same type.  A restored tracker continues exactly (byte-identical output)
where the saved one stopped, and shares no array with the state it came from.

Files: :func:`save_state` writes one ``.npz`` (``np.savez``, loadable with
``allow_pickle=False``; nested keys are flattened with ``/`` and the non-array leaves
are kept as one JSON string) or, for a ``.json`` path, a JSON document in which
arrays are ``{"__ndarray__": dtype, "shape": [...], "data": base64}`` (exact bytes).
:func:`load_state` reads either back.

Errors: a state of another format version, of another tracker type, or with missing,
mis-typed or mis-shaped entries raises ``ValueError`` naming the entry.  So does a state
whose *values* the compiled kernels could not run: after the attributes are restored on
the new object, :meth:`Tracker._check_restored` range-checks every integer that indexes,
counts or sizes something and every float that must be finite or a valid covariance
(:func:`check_track_table` for the track tables, each tracker for its own attributes).
A rejected state never reaches a tracker: :func:`load_state_dict` swaps the attributes
in only after the checks passed.

Limits: files are read with their size bounded by ``max_bytes`` (default
:data:`MAX_STATE_BYTES`, 1 GiB): every ``.npz`` member's declared size (zip header) and
array header are checked before it is decompressed, and a JSON document may nest at most
:data:`MAX_JSON_DEPTH` levels.
"""
from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from typing import Any, Dict, Optional, Type, Union

import numpy as np

from .registry import tracker_class, tracker_parameters
from .tracks import (AGE, CLASS, DELETED, DET, HITS, ID, N, NEXT_ID, STATE, STREAK, TSU,
                     TrackTable)

__all__ = ["FORMAT", "FORMAT_VERSION", "state_dict", "load_state_dict", "from_state",
           "save_state", "load_state", "state_to_json", "state_from_json", "check_track_table",
           "MAX_STATE_BYTES", "MAX_JSON_DEPTH"]

#: Default largest state file (and sum of decompressed ``.npz`` members) that
#: :func:`load_state` reads, in bytes.  A DeepSORT state with 1000 live tracks and
#: 100 x 128-d galleries is about 52 MB.
MAX_STATE_BYTES = 1 << 30
#: Deepest nesting of a JSON state (a real one nests 4 levels).
MAX_JSON_DEPTH = 32
#: Largest integer counter in a restored state (ids, hits, ages): far from int64 overflow.
_MAX_COUNT = 2 ** 62

FORMAT = "mottrack.tracker_state"
FORMAT_VERSION = 1

_TABLE_KIND = "TrackTable"
_NPZ_META = "__meta__"
_SEP = "/"

PathOrFile = Union[str, "os.PathLike[str]", io.IOBase]


# --------------------------------------------------------------------------- capture
def _capture(value: Any, where: str) -> Any:
    if isinstance(value, TrackTable):
        n = value.n
        return {
            "__kind__": _TABLE_KIND,
            "dim": int(value.dim),
            "int_columns": ",".join(value.int_columns),
            "float_columns": ",".join(value.float_columns),
            "mean": value.mean[:n].copy(),
            "covariance": value.covariance[:n].copy(),
            "ints": value.ints[:n].copy(),
            "floats": value.floats[:n].copy(),
            "counters": value.counters.copy(),
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{where}: cannot save an array of dtype {value.dtype}")
        return value.copy()
    if isinstance(value, np.generic):
        return np.array(value)  # 0-d array keeps the numpy scalar type
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or _SEP in k:
                raise TypeError(f"{where}: dict keys must be strings without {_SEP!r}; got {k!r}")
            out[k] = _capture(v, f"{where}.{k}")
        return out
    raise TypeError(f"{where}: cannot save a value of type {type(value).__name__} "
                    "(keep tracker state in TrackTables, numpy arrays and scalars)")


def state_dict(tracker: Any) -> Dict[str, Any]:
    """The state of ``tracker`` as a plain dict (copies; see the module docs)."""
    cls = type(tracker)
    exported = tracker._export_state()
    params = {name: _capture(value, f"params.{name}") for name, value in exported["params"].items()}
    attrs = {name: _capture(value, f"attrs.{name}") for name, value in exported["attrs"].items()}
    last = exported["last_timestamp"]
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "tracker": cls.name,
        "params": params,
        "frame_count": int(exported["frame_count"]),
        "last_timestamp": None if last is None else float(last),
        "attrs": attrs,
    }


# --------------------------------------------------------------------------- restore
def _get(state: Dict[str, Any], key: str, where: str) -> Any:
    if not isinstance(state, dict):
        raise ValueError(f"state: {where} must be a dict; got {type(state).__name__}")
    if key not in state:
        raise ValueError(f"state: missing entry {where}.{key}" if where else f"state: missing entry {key!r}")
    return state[key]


def _array(value: Any, where: str, dtype, shape) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise ValueError(f"state: {where} must be a numpy array; got {type(value).__name__}")
    if value.dtype.kind not in "biuf" or not np.can_cast(value.dtype, dtype, "same_kind"):
        raise ValueError(f"state: {where} must have dtype {np.dtype(dtype)}; got {value.dtype}")
    if value.shape != tuple(shape):
        raise ValueError(f"state: {where} must have shape {tuple(shape)}; got {value.shape}")
    arr = np.array(value, dtype=dtype, copy=True, order="C")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"state: {where} contains non-finite values")
    return arr


def _restore_table(table: TrackTable, saved: Any, where: str) -> None:
    if not isinstance(saved, dict) or saved.get("__kind__") != _TABLE_KIND:
        raise ValueError(f"state: {where} must be a saved TrackTable")
    dim = _get(saved, "dim", where)
    if dim != table.dim:
        raise ValueError(f"state: {where}.dim is {dim!r}; this tracker's table has dim {table.dim}")
    for key, cols in (("int_columns", table.int_columns), ("float_columns", table.float_columns)):
        got = _get(saved, key, where)
        if got != ",".join(cols):
            raise ValueError(f"state: {where}.{key} is {got!r}; expected {','.join(cols)!r}")
    counters = _array(_get(saved, "counters", where), f"{where}.counters", np.int64, (2,))
    n = int(counters[N])
    if n < 0:
        raise ValueError(f"state: {where}.counters has a negative track count {n}")
    mean = _array(_get(saved, "mean", where), f"{where}.mean", np.float64, (n, table.dim))
    cov = _array(_get(saved, "covariance", where), f"{where}.covariance", np.float64,
                 (n, table.dim, table.dim))
    ints = _array(_get(saved, "ints", where), f"{where}.ints", np.int64, (n, len(table.int_columns)))
    floats = _array(_get(saved, "floats", where), f"{where}.floats", np.float64,
                    (n, len(table.float_columns)))
    if n and counters[NEXT_ID] <= ints[:, 0].max():
        raise ValueError(f"state: {where}.counters next id {int(counters[NEXT_ID])} is not above "
                         f"the largest live id {int(ints[:, 0].max())}")
    table.counters[:] = 0
    table.reserve(n)
    table.mean[:n] = mean
    table.covariance[:n] = cov
    table.ints[:n] = ints
    table.floats[:n] = floats
    table.counters[:] = counters


def check_track_table(table: TrackTable, where: str = "tracks") -> None:
    """Raise ``ValueError`` unless ``table``'s live rows are ones the shared kernels can run.

    Checks: the live count within the capacity and the arrays' shapes; ids positive,
    unique and below the next id (itself below 2**62); hit, streak and age counters in
    [0, 2**62); the state code a known one; class id >= -1; det index >= -1; time since
    update >= 0 and every float finite; covariances symmetric with a positive diagonal
    and positive definite (Cholesky); for the (u, v, s, r) filter (dim 7) a positive area
    ``s`` and aspect ratio ``r``.
    """
    n = table.n
    cap = table.mean.shape[0]
    dim = table.dim
    if not 0 <= n <= cap:
        raise ValueError(f"state: {where}.counters track count {n} is outside [0, {cap}]")
    if (table.covariance.shape != (cap, dim, dim) or table.ints.shape != (cap, len(table.int_columns))
            or table.floats.shape != (cap, len(table.float_columns)) or table.mean.shape != (cap, dim)):
        raise ValueError(f"state: {where} arrays have inconsistent shapes")
    nid = table.next_id
    if not 1 <= nid < _MAX_COUNT:
        raise ValueError(f"state: {where}.counters next id {nid} is outside [1, 2**62)")
    if n == 0:
        return
    ints = table.ints[:n]
    floats = table.floats[:n]
    ids = ints[:, ID]
    if ids.min() < 1:
        raise ValueError(f"state: {where}.ints column 'id' holds {int(ids.min())}; ids are >= 1")
    if ids.max() >= nid:
        raise ValueError(f"state: {where}.counters next id {nid} is not above the largest live id "
                         f"{int(ids.max())}")
    if np.unique(ids).shape[0] != n:
        raise ValueError(f"state: {where}.ints column 'id' holds duplicate ids")
    for col in (HITS, STREAK, AGE):
        c = ints[:, col]
        if c.min() < 0 or c.max() >= _MAX_COUNT:
            raise ValueError(f"state: {where}.ints column {table.int_columns[col]!r} holds "
                             f"{int(c.min() if c.min() < 0 else c.max())}; expected [0, 2**62)")
    st = ints[:, STATE]
    if st.min() < 0 or st.max() > DELETED:
        bad = int(st.min() if st.min() < 0 else st.max())
        raise ValueError(f"state: {where}.ints column 'state' holds {bad}; expected 0..{DELETED}")
    for col in (CLASS, DET):
        c = ints[:, col]
        if c.min() < -1 or c.max() >= _MAX_COUNT:
            raise ValueError(f"state: {where}.ints column {table.int_columns[col]!r} holds "
                             f"{int(c.min() if c.min() < -1 else c.max())}; expected -1 or more")
    if not (np.isfinite(floats).all() and np.isfinite(table.mean[:n]).all()
            and np.isfinite(table.covariance[:n]).all()):
        raise ValueError(f"state: {where} holds non-finite values")
    if floats[:, TSU].min() < 0:
        raise ValueError(f"state: {where}.floats column 'time_since_update' is negative")
    if dim == 7 and not ((table.mean[:n, 2] > 0).all() and (table.mean[:n, 3] > 0).all()):
        raise ValueError(f"state: {where}.mean holds a box of non-positive area s or aspect r")
    cov = table.covariance[:n]
    if not np.array_equal(cov, cov.transpose(0, 2, 1)):
        raise ValueError(f"state: {where}.covariance is not symmetric")
    if not (np.diagonal(cov, axis1=1, axis2=2) > 0).all():
        raise ValueError(f"state: {where}.covariance has a non-positive variance")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"state: {where}.covariance is not positive definite") from None


def _restore_value(current: Any, saved: Any, where: str) -> Any:
    """A validated, owned copy of ``saved`` shaped like the freshly constructed ``current``."""
    if isinstance(current, np.ndarray):
        if not isinstance(saved, np.ndarray):
            raise ValueError(f"state: {where} must be a numpy array; got {type(saved).__name__}")
        if saved.ndim != current.ndim:
            raise ValueError(f"state: {where} must have {current.ndim} dimension(s); got shape {saved.shape}")
        if current.ndim > 1 and saved.shape[1:] != current.shape[1:] and 0 not in current.shape:
            raise ValueError(f"state: {where} must have shape (*, {', '.join(map(str, current.shape[1:]))}); "
                             f"got {saved.shape}")
        if saved.dtype.kind not in "biuf" or not np.can_cast(saved.dtype, current.dtype, "same_kind"):
            raise ValueError(f"state: {where} must have dtype {current.dtype}; got {saved.dtype}")
        arr = np.array(saved, dtype=current.dtype, copy=True, order="C")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError(f"state: {where} contains non-finite values")
        return arr
    if isinstance(current, np.generic):
        if not isinstance(saved, np.ndarray) or saved.shape != ():
            raise ValueError(f"state: {where} must be a 0-d array; got {type(saved).__name__}")
        return saved.astype(current.dtype)[()]
    if isinstance(current, dict):
        if not isinstance(saved, dict):
            raise ValueError(f"state: {where} must be a dict; got {type(saved).__name__}")
        # Dict-valued state may legitimately change keys; restore each leaf by its own type.
        return {k: _restore_free(v, f"{where}.{k}") for k, v in saved.items()}
    if current is None or saved is None:
        return _restore_free(saved, where)
    if isinstance(current, bool) or isinstance(saved, bool):
        if not (isinstance(current, bool) and isinstance(saved, bool)):
            raise ValueError(f"state: {where} must be a bool; got {saved!r}")
        return saved
    if isinstance(current, (int, float)):
        if isinstance(saved, np.ndarray) and saved.shape == ():
            saved = saved.item()
        if not isinstance(saved, (int, float)) or (isinstance(current, int) and not isinstance(saved, int)):
            raise ValueError(f"state: {where} must be {type(current).__name__}; got {saved!r}")
        if isinstance(current, int) and not -_MAX_COUNT <= saved <= _MAX_COUNT:
            raise ValueError(f"state: {where} is {saved!r}; expected a whole number within +-2**62")
        if isinstance(current, float) and not np.isfinite(saved):
            raise ValueError(f"state: {where} is {saved!r}; expected a finite number")
        return type(current)(saved)
    if isinstance(current, str):
        if not isinstance(saved, str):
            raise ValueError(f"state: {where} must be a str; got {saved!r}")
        return saved
    raise ValueError(f"state: {where}: cannot restore into a {type(current).__name__}")


def _restore_free(saved: Any, where: str) -> Any:
    if isinstance(saved, np.ndarray):
        return np.array(saved, copy=True, order="C")
    if isinstance(saved, dict):
        return {k: _restore_free(v, f"{where}.{k}") for k, v in saved.items()}
    if saved is None or isinstance(saved, (bool, int, float, str)):
        return saved
    raise ValueError(f"state: {where}: unsupported value of type {type(saved).__name__}")


def _check_header(state: Any) -> str:
    if not isinstance(state, dict):
        raise TypeError(f"state: expected a dict from state_dict(); got {type(state).__name__}")
    fmt = state.get("format")
    if fmt != FORMAT:
        raise ValueError(f"state: not a mottrack tracker state (format {fmt!r}, expected {FORMAT!r})")
    version = state.get("version")
    if isinstance(version, np.ndarray):
        version = version.item()
    if version != FORMAT_VERSION:
        raise ValueError(f"state: format version {version!r} is not supported; this mottrack "
                         f"reads version {FORMAT_VERSION}")
    name = _get(state, "tracker", "")
    if not isinstance(name, str):
        raise ValueError(f"state: 'tracker' must be a tracker name; got {name!r}")
    return name


def name_of(cls: Type[Any]) -> str:
    """The registry name of a tracker class (``"tracker"`` for the base class)."""
    return str(getattr(cls, "name", "tracker"))


def from_state(state: Dict[str, Any], cls: Optional[Type[Any]] = None) -> Any:
    """Build a tracker from ``state``.

    With ``cls`` the base :class:`~mottrack.Tracker` (or None) the class is looked up by
    the saved name; with a concrete tracker class a state of another tracker type is
    rejected.
    """
    name = _check_header(state)
    try:
        target = tracker_class(name)
    except ValueError as exc:
        raise ValueError(f"state: {exc}") from None
    if cls is not None and name_of(cls) != "tracker" and not issubclass(target, cls):
        raise ValueError(f"state: saved by tracker {name!r} ({target.__name__}); "
                         f"cannot restore it as {cls.__name__} ({getattr(cls, 'name', '?')!r})")
    params = _get(state, "params", "")
    if not isinstance(params, dict):
        raise ValueError("state: 'params' must be a dict of constructor parameters")
    params = {k: (v.item() if isinstance(v, np.ndarray) and v.shape == () else v) for k, v in params.items()}
    unknown = sorted(set(params) - set(tracker_parameters(name)))
    if unknown:
        raise ValueError(f"state: params has unknown parameter(s) of {name!r}: {', '.join(unknown)}")
    try:
        tracker = target(**params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"state: params rejected by {target.__name__}: {exc}") from None
    frame_count = _get(state, "frame_count", "")
    if isinstance(frame_count, np.ndarray) and frame_count.shape == ():
        frame_count = frame_count.item()
    if (isinstance(frame_count, bool) or not isinstance(frame_count, (int, np.integer))
            or not 0 <= frame_count < _MAX_COUNT):
        raise ValueError(f"state: frame_count must be a whole number in [0, 2**62); got {frame_count!r}")
    last = _get(state, "last_timestamp", "")
    if isinstance(last, np.ndarray) and last.shape == ():
        last = last.item()
    if last is not None:
        if isinstance(last, bool) or not isinstance(last, (int, float)) or not np.isfinite(last):
            raise ValueError(f"state: last_timestamp must be a finite number or None; got {last!r}")
        last = float(last)
    attrs = _get(state, "attrs", "")
    if not isinstance(attrs, dict):
        raise ValueError("state: 'attrs' must be a dict")
    expected = tuple(getattr(target, "_state_attrs", ()))
    extra = sorted(set(attrs) - set(expected))
    if extra:
        raise ValueError(f"state: attrs has entries {target.__name__} does not keep: {', '.join(extra)}")
    current = tracker._export_state()["attrs"]  # the fresh tracker's: the schema
    restored = {}
    for attr in expected:
        saved = _get(attrs, attr, "attrs")
        if isinstance(current[attr], TrackTable):
            _restore_table(current[attr], saved, f"attrs.{attr}")
            restored[attr] = current[attr]
        else:
            restored[attr] = _restore_value(current[attr], saved, f"attrs.{attr}")
    tracker._adopt_state(int(frame_count), last, restored)  # checks them (_check_restored)
    return tracker


def load_state_dict(tracker: Any, state: Dict[str, Any]) -> None:
    """Replace ``tracker``'s state (and constructor parameters) with ``state``, in place."""
    restored = from_state(state, type(tracker))
    if type(restored) is not type(tracker):
        raise ValueError(f"state: saved by {type(restored).__name__}; cannot load into "
                         f"{type(tracker).__name__}")
    tracker._take_over(restored)


# --------------------------------------------------------------------------- files
def _flatten(d: Dict[str, Any], prefix: str, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]) -> None:
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            meta[key] = {}  # keeps empty dicts
            _flatten(v, key + _SEP, arrays, meta)
        elif isinstance(v, np.ndarray):
            arrays[key] = v
        else:
            meta[key] = v


def _unflatten(arrays: Dict[str, Any], meta: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key in sorted(list(meta) + list(arrays), key=lambda s: s.count(_SEP)):
        value = arrays[key] if key in arrays else meta[key]
        parts = key.split(_SEP)
        if len(parts) > MAX_JSON_DEPTH:
            raise ValueError(f"state file: entry {key[:60]!r}... nests deeper than {MAX_JSON_DEPTH} levels")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ValueError(f"state file: entry {key!r} conflicts with a non-dict entry")
        if isinstance(value, dict) and parts[-1] in node:
            continue
        node[parts[-1]] = value
    return out


def _as_state(obj: Any) -> Dict[str, Any]:
    return obj.state_dict() if hasattr(obj, "state_dict") else obj


def _array_to_json(a: np.ndarray) -> Dict[str, Any]:
    a = np.ascontiguousarray(a)
    dt = a.dtype.newbyteorder("<") if a.dtype.byteorder not in "|<" else a.dtype
    return {"__ndarray__": dt.str, "shape": list(a.shape),
            "data": base64.b64encode(a.astype(dt).tobytes()).decode("ascii")}


def _encode_json(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return _array_to_json(v)
    if isinstance(v, dict):
        return {k: _encode_json(x) for k, x in v.items()}
    return v


def _decode_json(v: Any, depth: int = 0) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"state JSON: nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(v, dict):
        if "__ndarray__" in v:
            try:
                dt = np.dtype(v["__ndarray__"])
                if dt.kind not in "biuf":
                    raise ValueError(f"unsupported dtype {dt}")
                raw = base64.b64decode(v["data"], validate=True)
                shape = v["shape"]
                if not (isinstance(shape, list) and len(shape) <= 8
                        and all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k for k in shape)):
                    raise ValueError(f"shape must be a list of at most 8 sizes >= 0; got {str(shape)[:60]}")
                return np.frombuffer(raw, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"state JSON: invalid array entry: {exc}") from None
        return {k: _decode_json(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode_json(x, depth + 1) for x in v]
    return v


def _json_loads(text: Union[str, bytes], what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{what}: nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limit
        raise ValueError(f"{what}: not valid JSON: {str(exc)[:200]}") from None


def state_to_json(state_or_tracker: Any) -> str:
    """The state as a JSON string (arrays as exact base64 bytes)."""
    return json.dumps(_encode_json(_as_state(state_or_tracker)), allow_nan=False)


def state_from_json(text: Union[str, bytes]) -> Dict[str, Any]:
    """Parse :func:`state_to_json` output back into a state dict.

    Raises ``ValueError`` for invalid JSON, a document that is not a JSON object,
    nesting deeper than :data:`MAX_JSON_DEPTH`, or a malformed array entry."""
    data = _json_loads(text, "state JSON")
    if not isinstance(data, dict):
        raise ValueError(f"state JSON: expected an object (a saved tracker state); got a "
                         f"{type(data).__name__}")
    state = _decode_json(data)
    _check_header(state)
    return state


def save_state(state_or_tracker: Any, path: PathOrFile, *, format: Optional[str] = None) -> None:
    """Write a tracker's state (or a state dict) to ``path``.

    ``format`` is ``"npz"`` (default) or ``"json"``; with a path ending in ``.json``
    JSON is the default.  ``path`` may be a binary file object (e.g. ``io.BytesIO``).
    """
    state = _as_state(state_or_tracker)
    _check_header(state)
    if format is None:
        format = "json" if isinstance(path, (str, os.PathLike)) and os.fspath(path).endswith(".json") else "npz"
    if format == "json":
        text = state_to_json(state).encode("utf-8")
        if isinstance(path, (str, os.PathLike)):
            with open(path, "wb") as fh:
                fh.write(text)
        else:
            path.write(text)
        return
    if format != "npz":
        raise ValueError(f"format: expected 'npz' or 'json'; got {format!r}")
    arrays: Dict[str, np.ndarray] = {}
    meta: Dict[str, Any] = {}
    _flatten(state, "", arrays, meta)
    if _NPZ_META in arrays:
        raise ValueError(f"state: key {_NPZ_META!r} is reserved")
    # (numpy's stub matches **arrays against savez's keyword parameters)
    np.savez(path, **{_NPZ_META: np.array(json.dumps(meta, allow_nan=False))}, **arrays)  # type: ignore[arg-type]


def _read_bounded(path: PathOrFile, max_bytes: int) -> bytes:
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    else:
        data = path.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise TypeError(f"path: expected a binary file object; read {type(data).__name__}")
    if len(data) > max_bytes:
        raise ValueError(f"state file: larger than max_bytes = {max_bytes} bytes")
    return data


def _npz_arrays(data: bytes, max_bytes: int) -> Dict[str, np.ndarray]:
    """The arrays of an ``.npz`` held in ``data``, reading at most ``max_bytes`` decompressed
    bytes: each member's declared size (zip header) and its ``.npy`` header (dtype, shape)
    are checked before anything is allocated."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ValueError(f"state file: not a readable .npz: {exc}") from None
    budget = max_bytes
    arrays: Dict[str, np.ndarray] = {}
    with zf:
        for info in infos:
            name = info.filename
            if not name.endswith(".npy"):
                raise ValueError(f"state file: unexpected member {name[:60]!r} in the .npz")
            size = info.file_size
            if size > budget:
                raise ValueError(f"state file: member {name[:60]!r} declares {size} bytes; the "
                                 f"state may hold at most max_bytes = {max_bytes} bytes")
            budget -= size
            try:
                with zf.open(info) as fh:
                    raw = fh.read(size + 1)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError,
                    RuntimeError) as exc:
                raise ValueError(f"state file: member {name[:60]!r} is corrupt: {exc}") from None
            if len(raw) != size:
                raise ValueError(f"state file: member {name[:60]!r} holds {len(raw)} bytes, "
                                 f"its header says {size}")
            arrays[name[:-4]] = _npy_array(raw, name)
    return arrays


def _npy_array(raw: bytes, name: str) -> np.ndarray:
    """Parse one ``.npy`` member; the data must be exactly what its header declares."""
    fh = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=10000)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=10000)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, TypeError, KeyError, EOFError, OverflowError) as exc:
        raise ValueError(f"state file: member {name[:60]!r} has an invalid .npy header: {exc}") from None
    if dtype.hasobject or dtype.kind not in "biufU":
        raise ValueError(f"state file: member {name[:60]!r} has unsupported dtype {dtype}")
    count = 1
    for k in shape:
        count *= int(k)
    offset = fh.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise ValueError(f"state file: member {name[:60]!r} declares shape {shape} of {dtype} "
                         f"({count * dtype.itemsize} bytes) but holds {len(raw) - offset}")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape, order="F" if fortran else "C")


def load_state(path: PathOrFile, *, max_bytes: int = MAX_STATE_BYTES) -> Dict[str, Any]:
    """Read a state written by :func:`save_state` (npz or JSON, detected from the content).

    Reads at most ``max_bytes`` (default :data:`MAX_STATE_BYTES`) from the file and, for
    an ``.npz``, at most ``max_bytes`` decompressed; larger, corrupt or foreign files
    raise ``ValueError`` before anything large is allocated."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes: expected a whole number of bytes >= 1; got {max_bytes!r}")
    data = _read_bounded(path, max_bytes)
    if data[:2] != b"PK":
        return state_from_json(data)
    arrays = _npz_arrays(data, max_bytes)
    if _NPZ_META not in arrays:
        raise ValueError("state file: missing the metadata entry; not written by save_state")
    meta_arr = arrays.pop(_NPZ_META)
    if meta_arr.dtype.kind != "U" or meta_arr.shape != ():
        raise ValueError("state file: the metadata entry is not a JSON string")
    meta = _json_loads(str(meta_arr), "state file metadata")
    if not isinstance(meta, dict):
        raise ValueError("state file: the metadata entry is not a JSON object")
    for k, v in arrays.items():
        if v.dtype.kind not in "biuf":
            raise ValueError(f"state file: entry {k[:60]!r} has unsupported dtype {v.dtype}")
    _decode_json(meta)  # depth check
    state = _unflatten(arrays, meta)
    _check_header(state)
    return state
