"""Numba configuration shared by every kernel of mottrack.

All compiled kernels are created with :func:`njit` (``numba.njit(cache=True,
nogil=True)``).  Their on-disk cache is placed by mottrack itself:

* in a directory keyed by a hash of mottrack's own sources and the numba version,
  so that a changed (or upgraded) module never runs stale machine code inlined
  from another module (numba's own cache only checks each function's own file);
* under ``$NUMBA_CACHE_DIR/mottrack`` when that variable is set, else next to the
  package (``mottrack/__pycache__/numba-<hash>``) when the package directory is
  writable, else ``$MOTTRACK_CACHE_DIR``, ``$XDG_CACHE_HOME/mottrack`` or
  ``~/.cache/mottrack``, else the system temp directory.  A read-only package
  directory (a camera container, a system site-packages) therefore still caches.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Optional

import numba

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _source_hash() -> str:
    h = hashlib.sha1(numba.__version__.encode())
    for root, dirs, files in os.walk(_PKG_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, _PKG_DIR).encode())
                with open(path, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:16]


def _writable_dir(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def cache_dir() -> Optional[str]:
    """The directory mottrack's compiled kernels are cached in (None: not cached)."""
    tag = "numba-" + _source_hash()
    candidates = []
    if os.environ.get("NUMBA_CACHE_DIR"):
        candidates.append(os.path.join(os.environ["NUMBA_CACHE_DIR"], "mottrack", tag))
    candidates.append(os.path.join(_PKG_DIR, "__pycache__", tag))
    if os.environ.get("MOTTRACK_CACHE_DIR"):
        candidates.append(os.path.join(os.environ["MOTTRACK_CACHE_DIR"], tag))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates.append(os.path.join(base, "mottrack", tag))
    candidates.append(os.path.join(tempfile.gettempdir(), "mottrack-cache", tag))
    for c in candidates:
        if _writable_dir(c):
            return c
    return None


_DEV_CHECKOUT = os.path.exists(os.path.join(os.path.dirname(_PKG_DIR), ".git"))
if _DEV_CHECKOUT and os.environ.get("MOTTRACK_CACHE_BY_SOURCE") != "1":
    CACHE_DIR = None  # numba's default per-file cache
else:
    CACHE_DIR = cache_dir()


def _install_locator() -> None:
    """Teach numba to cache functions of the mottrack package under CACHE_DIR."""
    try:
        from numba.core.caching import CacheImpl, UserProvidedCacheLocator
    except ImportError:  # pragma: no cover - other numba versions: numba's default locations
        return
    if CACHE_DIR is None:
        return

    class MottrackCacheLocator(UserProvidedCacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            rel = os.path.relpath(os.path.dirname(os.path.abspath(py_file)), _PKG_DIR)
            self._cache_path = os.path.normpath(os.path.join(str(CACHE_DIR), rel))

        @classmethod
        def from_function(cls, py_func, py_file):
            if not (py_func.__module__ or "").startswith("mottrack"):
                return None
            if not os.path.abspath(py_file).startswith(_PKG_DIR):
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:
                return None
            return self

    if not any(getattr(c, "__name__", "") == "MottrackCacheLocator" for c in CacheImpl._locator_classes):
        CacheImpl._locator_classes.insert(0, MottrackCacheLocator)


_install_locator()


def njit(func=None, *, inline: str = "never"):
    """Compile ``func`` with numba (cached, GIL released); ``func.py_func`` stays pure Python.

    ``@njit(inline="always")`` inlines the function into its compiled callers (numba IR
    level): for small stages called with many arrays, whose calls would otherwise cost a
    reference-count update per array argument.

    Do not write recursive kernels: numba's cache cannot reload them in a new process.
    """
    if func is None:
        return lambda f: njit(f, inline=inline)
    return numba.njit(cache=True, nogil=True, inline=inline)(func)


__all__ = ["njit", "numba", "CACHE_DIR"]
