"""Numba set-up shared by mottrack's compiled kernels.

Kernels are created with :func:`njit` (``numba.njit(cache=True, nogil=True)``, extra
numba options passed through).  This module decides, once per process:

* **Where kernels are cached.**  In ``<root>/numba-<hash>``, where ``<hash>`` is a
  SHA-1 of every ``.py`` file of the package (names and contents) and of the Python
  version.  Numba's own cache only checks each function's own file, so a kernel
  inlined from another module (a Kalman step inside SORT's fused update) would
  otherwise run stale machine code after that module changes; keying the directory
  by all sources makes that impossible in a checkout, an editable install and a
  wheel alike.  Inside the directory numba's per-file freshness stamp is replaced by
  the same hash, so copying or reinstalling unchanged sources (new mtimes) keeps the
  cache valid.  ``<root>`` is the first usable of ``$MOTTRACK_CACHE_DIR``,
  ``$NUMBA_CACHE_DIR/mottrack``, the package's ``__pycache__``,
  ``$XDG_CACHE_HOME/mottrack`` (or ``~/.cache/mottrack``) and the temp directory.  A
  directory that already holds a compiled cache for these sources
  (``python -m mottrack compile``) is preferred to an empty one, so a read-only
  package directory or an image with a baked cache works without configuration.
* **Portable caches.**  ``python -m mottrack compile --portable`` writes a
  ``portable`` marker into the cache directory; when this module finds it, and
  neither numba is imported yet nor ``NUMBA_CPU_NAME`` is set, it sets
  ``NUMBA_CPU_NAME=generic`` before importing numba, so the generic-CPU kernels in
  the cache are the ones loaded (any CPU of the architecture).  This applies to all
  numba code of the process (numba has one CPU target per process).
* **No numba.**  When numba is missing or fails to import, :func:`njit` returns the
  Python function itself (with ``py_func`` pointing to it) and one ``RuntimeWarning``
  says so: results are identical, per-frame updates are roughly 100-1000x slower.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
PORTABLE_MARKER = "portable"
COMPILED_MARKER = "compiled"  # written by ``python -m mottrack compile`` when it is done


def _source_hash() -> str:
    """SHA-1 (16 hex digits) of the package's ``.py`` files and the Python version."""
    h = hashlib.sha1(f"py{sys.version_info[0]}.{sys.version_info[1]}".encode())
    for root, dirs, files in os.walk(_PKG_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, _PKG_DIR).replace(os.sep, "/").encode())
                h.update(b"\0")
                with open(path, "rb") as f:
                    h.update(f.read())
                h.update(b"\0")
    return h.hexdigest()[:16]


def _writable_dir(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def cache_candidates(tag: str | None = None) -> list[str]:
    """The cache directories mottrack considers, most preferred first."""
    tag = tag or "numba-" + _source_hash()
    out = []
    if os.environ.get("MOTTRACK_CACHE_DIR"):
        out.append(os.path.join(os.environ["MOTTRACK_CACHE_DIR"], tag))
    if os.environ.get("NUMBA_CACHE_DIR"):
        out.append(os.path.join(os.environ["NUMBA_CACHE_DIR"], "mottrack", tag))
    out.append(os.path.join(_PKG_DIR, "__pycache__", tag))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    out.append(os.path.join(base, "mottrack", tag))
    out.append(os.path.join(tempfile.gettempdir(), "mottrack-cache", tag))
    return out


def cache_dir() -> str | None:
    """The directory mottrack's kernels are cached in (None: none is usable).

    The first candidate that already holds a complete compiled cache and is writable,
    else the first writable candidate.  (Numba needs to write to its cache directory.)
    """
    cands = cache_candidates()
    for c in cands:
        if os.path.exists(os.path.join(c, COMPILED_MARKER)) and os.access(c, os.W_OK):
            return c
    for c in cands:
        if _writable_dir(c):
            return c
    return None


SOURCE_HASH = _source_hash()
CACHE_DIR = cache_dir()
PORTABLE = False
if CACHE_DIR is not None and os.path.exists(os.path.join(CACHE_DIR, PORTABLE_MARKER)):
    if "numba" not in sys.modules and not os.environ.get("NUMBA_CPU_NAME"):
        os.environ["NUMBA_CPU_NAME"] = "generic"
    PORTABLE = os.environ.get("NUMBA_CPU_NAME", "").lower() == "generic"

try:
    import numba
except Exception as _exc:  # noqa: BLE001 - missing, or broken (e.g. an incompatible NumPy)
    numba = None  # type: ignore[assignment]
    NUMBA_ERROR: str | None = f"{type(_exc).__name__}: {_exc}"
    warnings.warn(
        f"mottrack: numba is not usable ({NUMBA_ERROR}); running the pure-Python kernels. "
        "Results are identical, but updates are roughly 100-1000x slower (at 8 objects per "
        "frame on an x86 core: SORT ~0.3 ms instead of ~4 us, DeepSORT ~15 ms instead of ~15 us). "
        "Install numba (pip install numba) for the compiled kernels.",
        RuntimeWarning, stacklevel=2)
else:
    NUMBA_ERROR = None


def _install_locator() -> None:
    """Teach numba to cache the package's functions under CACHE_DIR, stamped by SOURCE_HASH."""
    try:
        from numba.core.caching import CacheImpl, UserProvidedCacheLocator
    except ImportError:  # pragma: no cover - other numba versions: numba's default locations
        return

    class MottrackCacheLocator(UserProvidedCacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            rel = os.path.relpath(os.path.dirname(os.path.abspath(py_file)), _PKG_DIR)
            self._cache_path = os.path.normpath(os.path.join(str(CACHE_DIR), rel))

        def get_source_stamp(self):
            return SOURCE_HASH

        @classmethod
        def from_function(cls, py_func, py_file):
            if CACHE_DIR is None or not (py_func.__module__ or "").startswith("mottrack"):
                return None
            if not os.path.abspath(py_file).startswith(_PKG_DIR + os.sep):
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:
                return None
            return self

    CacheImpl._locator_classes = [c for c in CacheImpl._locator_classes
                                  if getattr(c, "__name__", "") != "MottrackCacheLocator"]
    CacheImpl._locator_classes.insert(0, MottrackCacheLocator)


if numba is not None:
    _install_locator()


def njit(func: Callable | None = None, **options: Any):
    """Compile ``func`` with numba (cached, GIL released); ``func.py_func`` stays pure Python.

    Use as ``@njit`` or ``@njit(fastmath=...)`` (options go to ``numba.njit``).  Without
    numba the function itself is returned, with ``py_func`` set to itself.
    Do not write recursive kernels: numba's cache cannot reload them in a new process.
    """
    def wrap(f: Callable):
        if numba is None:
            f.py_func = f  # type: ignore[attr-defined]
            return f
        return numba.njit(cache=True, nogil=True, **options)(f)

    return wrap if func is None else wrap(func)


def dispatchers() -> list:
    """Every compiled kernel of the loaded mottrack modules (numba dispatchers), sorted by name."""
    if numba is None:
        return []
    from numba.core.registry import CPUDispatcher
    seen = {}
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == "mottrack" or name.startswith("mottrack.")):
            continue
        for value in list(vars(mod).values()):
            if isinstance(value, CPUDispatcher) and (value.py_func.__module__ or "").startswith("mottrack"):
                seen[id(value)] = value
    return sorted(seen.values(), key=lambda d: (d.py_func.__module__, d.py_func.__qualname__))


__all__ = [
    "CACHE_DIR",
    "NUMBA_ERROR",
    "PORTABLE",
    "SOURCE_HASH",
    "cache_candidates",
    "cache_dir",
    "dispatchers",
    "njit",
    "numba",
]
