"""Numba configuration shared by every kernel of mottrack.

All compiled kernels are created with :func:`njit`, which is ``numba.njit`` with
``cache=True`` and ``nogil=True``.  The on-disk cache must work when the package
directory is read-only (a camera container, a system site-packages): if
``NUMBA_CACHE_DIR`` is not set and the package directory is not writable, a
per-user cache directory is chosen before numba compiles anything.
"""
from __future__ import annotations

import os
import tempfile


def _choose_cache_dir() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    pkg_dir = os.path.dirname(os.path.abspath(__file__))
    if os.access(pkg_dir, os.W_OK):
        return  # numba caches next to the sources (__pycache__)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.path.join(base, "mottrack", "numba"),
                      os.path.join(tempfile.gettempdir(), "mottrack-numba")):
        try:
            os.makedirs(candidate, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            os.environ["NUMBA_CACHE_DIR"] = candidate
            return


_choose_cache_dir()

import numba  # noqa: E402  (after the cache dir is chosen)

if os.environ.get("NUMBA_CACHE_DIR") and not numba.config.CACHE_DIR:
    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]


def njit(func):
    """Compile ``func`` with numba (cached, GIL released); ``func.py_func`` stays pure Python."""
    return numba.njit(cache=True, nogil=True)(func)


__all__ = ["njit", "numba"]
