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
  ``$XDG_CACHE_HOME/mottrack`` (or ``~/.cache/mottrack``) and the temp directory;
  ``$MOTTRACK_CACHE_DIR``, when set and writable, always.  Among the others a
  directory that already holds a compiled cache for these sources
  (``python -m mottrack compile``) is preferred to an empty one, so a read-only
  package directory or an image with a baked cache works without configuration.
* **Portable caches.**  ``python -m mottrack compile --portable`` writes a
  ``portable`` marker into the cache directory; when this module finds it, and
  neither numba is imported yet nor ``NUMBA_CPU_NAME`` is set, it sets
  ``NUMBA_CPU_NAME=generic`` before importing numba, so the generic-CPU kernels in
  the cache are the ones loaded (any CPU of the architecture).  This applies to all
  numba code of the process (numba has one CPU target per process).
* **Kernels a release wheel carries.**  A wheel built with ``MOTTRACK_BUNDLE_KERNELS=1``
  (``setup.py``) holds a portable cache of every kernel in ``mottrack/_kernels/``; an empty
  cache directory is seeded from it (:func:`seed_from_bundle`) when it matches these sources,
  numba, Python and machine and this process can still choose the generic CPU, so nothing
  compiles on first use.  ``MOTTRACK_BUNDLE=0`` turns this off.
* **Inlining.**  From its first compile on, a process inlines mottrack's ``inline='always'``
  functions from IR translated once per function, copied with one deep-copy memo
  (:func:`_install_inline_memo`); numba's own inliner re-translates and re-copies per call
  site and block, which made inlining most of a fused step's compile time.
* **No numba.**  When numba is missing or fails to import, :func:`njit` returns the
  Python function itself (with ``py_func`` pointing to it) and one ``RuntimeWarning``
  says so: results are identical, per-frame updates are roughly 100-1000x slower.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
import time
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

    ``$MOTTRACK_CACHE_DIR`` when set and writable (the user's explicit choice); else the first
    candidate that already holds a complete compiled cache and is writable, else the first
    writable candidate.  (Numba needs to write to its cache directory.)
    """
    cands = cache_candidates()
    if os.environ.get("MOTTRACK_CACHE_DIR") and _writable_dir(cands[0]):
        return cands[0]
    for c in cands:
        if os.path.exists(os.path.join(c, COMPILED_MARKER)) and os.access(c, os.W_OK):
            return c
    for c in cands:
        if _writable_dir(c):
            return c
    return None


def _env_dir_problem() -> str | None:
    """Why ``$MOTTRACK_CACHE_DIR`` cannot hold the cache (None: it can, or it is not set)."""
    root = os.environ.get("MOTTRACK_CACHE_DIR")
    if not root:
        return None
    if os.path.exists(root) and not os.path.isdir(root):
        return "it names a file, not a folder"
    if not _writable_dir(os.path.join(root, "numba-" + _source_hash())):
        return "it cannot be created or written"
    return None


SOURCE_HASH = _source_hash()
CACHE_DIR = cache_dir()
if os.environ.get("MOTTRACK_CACHE_DIR") and (CACHE_DIR is None or not CACHE_DIR.startswith(
        os.path.join(os.environ["MOTTRACK_CACHE_DIR"], ""))):
    _why = _env_dir_problem()
    if _why:
        warnings.warn(f"mottrack: MOTTRACK_CACHE_DIR={os.environ['MOTTRACK_CACHE_DIR']} is not usable "
                      f"({_why}); kernels are cached in {CACHE_DIR or 'no folder (compiled in memory)'} "
                      "instead", RuntimeWarning, stacklevel=2)
BUNDLE_ROOT = os.path.join(_PKG_DIR, "_kernels")  # a release wheel's compiled kernels

#: The CPU that portable kernels (``compile --portable``, a release wheel's) are compiled for:
#: on x86-64 the x86-64-v3 level (AVX2, FMA, BMI2: Intel Haswell, AMD Zen and later; kernels
#: for the baseline x86-64 ran OC-SORT 1.3-1.5x slower per frame, x86-64-v3 ones as fast as
#: this CPU's own), elsewhere (aarch64, armv7) numba's generic CPU of the architecture.
PORTABLE_CPU = "x86-64-v3" if platform.machine().lower() in ("x86_64", "amd64") else "generic"
_PORTABLE_FEATURES = {"x86-64-v3": ("avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave",
                                    "cx16", "popcnt", "sse4.1", "sse4.2", "ssse3", "sahf")}


def portable_cpu_problem() -> str | None:
    """Why this CPU cannot run :data:`PORTABLE_CPU` kernels (None: it can)."""
    need = _PORTABLE_FEATURES.get(PORTABLE_CPU, ())
    if not need:
        return None
    try:
        import llvmlite.binding as ll  # type: ignore[import-untyped]  # (not numba: it stays unconfigured)
        feats = ll.get_host_cpu_features()
    except Exception as exc:  # noqa: BLE001 - no llvmlite, or it cannot read the CPU
        return f"this CPU's features cannot be read ({type(exc).__name__})"
    missing = [f for f in need if not feats.get(f, False)]
    return f"this CPU lacks {', '.join(missing)} of {PORTABLE_CPU}" if missing else None


def _installed_version(dist: str) -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version(dist)
        except PackageNotFoundError:
            return None
    except ImportError:  # pragma: no cover - Python without importlib.metadata
        return None


def compiled_record(folder: str) -> dict | None:
    """The ``compiled`` record that ``python -m mottrack compile`` wrote into the cache
    ``folder`` (None: none, or not a JSON object)."""
    try:
        with open(os.path.join(folder, COMPILED_MARKER), encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def bundled_cache(root: str | None = None) -> str | None:
    """The folder of kernels bundled with this installation for these sources (else None).

    A release wheel built with ``MOTTRACK_BUNDLE_KERNELS=1`` (``setup.py``) holds a portable
    cache (generic CPU) of every target in ``mottrack/_kernels/numba-<source hash>``
    (``root``: another folder of that layout).  It is usable when its ``compiled`` record names
    these sources, a portable compile, this numba, this Python and this machine.
    """
    path = os.path.join(BUNDLE_ROOT if root is None else root, "numba-" + SOURCE_HASH)
    record = compiled_record(path)
    want = {"portable": True, "cpu": PORTABLE_CPU, "source_hash": SOURCE_HASH, "machine": platform.machine(),
            "python": f"{sys.version_info[0]}.{sys.version_info[1]}", "numba": _installed_version("numba")}
    if record is None or any(record.get(k) != v for k, v in want.items()):
        return None
    return path


def _portable_ignored() -> str | None:
    """Why this process cannot use portable kernels (None: it can): numba imported already
    (with another CPU), ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES`` set otherwise, or a CPU
    that cannot run them."""
    if "numba" in sys.modules:
        cfg = sys.modules.get("numba.core.config")
        if str(getattr(cfg, "CPU_NAME", None) or "").lower() != PORTABLE_CPU or \
                (getattr(cfg, "CPU_FEATURES", None) or "") != "":
            return "numba was imported before mottrack"
        return None
    return portable_env_problem(dict(os.environ))


#: ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES`` as the user set them (None: unset), before
#: :func:`_choose_portable_cpu` set them for this process.
USER_CPU_ENV: dict[str, str | None] = {k: os.environ.get(k) for k in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")}


def _choose_portable_cpu() -> None:
    """Make numba (not imported yet) compile and load :data:`PORTABLE_CPU` kernels."""
    if "numba" not in sys.modules:
        os.environ["NUMBA_CPU_NAME"] = PORTABLE_CPU
        os.environ["NUMBA_CPU_FEATURES"] = ""


def host_cpu_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child process that compiles for this CPU: the numba CPU settings put
    back as the user had them (this process may have chosen the portable CPU)."""
    env = dict(env)
    for k, v in USER_CPU_ENV.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def portable_env_problem(env: dict[str, str]) -> str | None:
    """Why a fresh process with environment ``env`` could not use portable kernels (None: it can)."""
    cpu = env.get("NUMBA_CPU_NAME", PORTABLE_CPU)
    if cpu.lower() != PORTABLE_CPU:
        return f"NUMBA_CPU_NAME={cpu} is set"
    if env.get("NUMBA_CPU_FEATURES", ""):
        return f"NUMBA_CPU_FEATURES={env['NUMBA_CPU_FEATURES']} is set"
    return portable_cpu_problem()


def _holds_kernels(folder: str) -> bool:
    for _root, _dirs, files in os.walk(folder):
        if any(f.endswith(".nbi") for f in files):
            return True
    return False


def seed_from_bundle(folder: str | None, src: str | None) -> bool:
    """Copy the bundled kernels in ``src`` (:func:`bundled_cache`) into the cache ``folder``
    when that holds no kernels and no ``compiled`` record yet; True when it did.

    Files are copied one by one through a temporary name (processes seeding at once, or an
    interrupted copy, leave whole files only); the ``portable`` and ``compiled`` markers come
    last, so a folder with a ``compiled`` record holds every file.
    """
    if folder is None or src is None or os.path.exists(os.path.join(folder, COMPILED_MARKER)) \
            or _holds_kernels(folder):
        return False
    import shutil
    last = [os.path.join(".", m) for m in (PORTABLE_MARKER, COMPILED_MARKER)]
    files = []
    for root, dirs, names in os.walk(src):
        dirs.sort()
        rel = os.path.relpath(root, src)
        files += [os.path.join(rel, n) for n in sorted(names)
                  if n != ".lock" and not n.endswith(".tmp") and os.path.join(rel, n) not in last]
    try:
        for rel in files + [m for m in last if os.path.exists(os.path.join(src, m))]:
            dst = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            tmp = f"{dst}.{os.getpid()}.tmp"
            shutil.copyfile(os.path.join(src, rel), tmp)
            os.replace(tmp, dst)
    except OSError as exc:
        warnings.warn(f"mottrack: could not copy the bundled kernels into {folder} ({exc}); "
                      "kernels compile on first use", RuntimeWarning, stacklevel=2)
        return False
    return True


# a release wheel's kernels into an empty cache (read before numba is imported: they are portable)
# (``MOTTRACK_BUNDLE=0``: never; ``python -m mottrack compile`` without --portable sets it)
SEEDED = CACHE_DIR is not None and os.environ.get("MOTTRACK_BUNDLE", "1") != "0" \
    and not os.path.exists(os.path.join(CACHE_DIR, COMPILED_MARKER)) \
    and os.path.exists(os.path.join(BUNDLE_ROOT, "numba-" + SOURCE_HASH)) \
    and _portable_ignored() is None and seed_from_bundle(CACHE_DIR, bundled_cache())
PORTABLE = False
_PORTABLE_IGNORED: str | None = None  # why a portable cache found cannot be used by this process
if CACHE_DIR is not None and os.path.exists(os.path.join(CACHE_DIR, PORTABLE_MARKER)):
    _PORTABLE_IGNORED = _portable_ignored()
    if _PORTABLE_IGNORED is None:
        _choose_portable_cpu()
    PORTABLE = _PORTABLE_IGNORED is None
    if _PORTABLE_IGNORED is not None:
        # Never write this CPU's kernels into a portable cache: use a sibling folder.
        _portable_dir = CACHE_DIR
        _host = CACHE_DIR + "-host"
        CACHE_DIR = _host if _writable_dir(_host) else None
        warnings.warn(f"mottrack: the kernel cache {_portable_dir} is portable ({PORTABLE_CPU} CPU), but "
                      f"{_PORTABLE_IGNORED}, so this process compiles for this CPU; its kernels are "
                      f"cached in {CACHE_DIR or 'no folder (compiled in memory)'} instead (import "
                      "mottrack before numba, and leave NUMBA_CPU_NAME unset, to use the portable "
                      "kernels)", RuntimeWarning, stacklevel=2)

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


# -- a cache that survives damage (power loss on flash: truncated or garbled files) ----------
_TRAILER = b"MTCK"  # every file mottrack's kernels are cached in ends with this and a digest
_DAMAGE_WARNED = False


class CacheDamaged(Exception):
    """A file of the kernel cache is truncated or garbled (its digest does not match)."""


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _checked(data: bytes, path: str) -> bytes:
    """``data`` without its trailer, after checking the digest (CacheDamaged if it fails)."""
    n = len(_TRAILER) + 16
    if len(data) < n or data[-n:-16] != _TRAILER or _digest(data[:-n]) != data[-16:]:
        raise CacheDamaged(f"{os.path.basename(path)} is truncated or garbled")
    return data[:-n]


def _warn_damaged(cache_path: str, exc: BaseException) -> None:
    global _DAMAGE_WARNED
    if not _DAMAGE_WARNED:
        _DAMAGE_WARNED = True
        where = os.path.relpath(cache_path, str(CACHE_DIR))
        where = "" if where == "." else f"{where}/"
        warnings.warn(f"mottrack: the kernel cache in {CACHE_DIR} is damaged ({where}"
                      f"{type(exc).__name__}: {exc}), e.g. by a power loss while it was written; "
                      "recompiling the affected kernels into it (delete the folder to start afresh)",
                      RuntimeWarning, stacklevel=2)


def _make_cache_classes():
    """numba cache classes that check a digest on every file and lock writers of a folder."""
    import pickle
    from contextlib import contextmanager

    from numba.core.caching import FunctionCache, IndexDataCacheFile

    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock (one process per cache there)
        fcntl = None  # type: ignore[assignment]

    class CheckedCacheFile(IndexDataCacheFile):
        """Index and data files ending in a digest; saves serialised across processes."""

        def _dump(self, obj):
            data = super()._dump(obj)
            return data + _TRAILER + _digest(data)

        def _load_index(self):
            try:
                with open(self._index_path, "rb") as f:
                    raw = f.read()
            except FileNotFoundError:
                return {}
            import io
            buf = io.BytesIO(raw)
            try:
                version = pickle.load(buf)
            except Exception as exc:  # noqa: BLE001 - truncated or garbled
                raise CacheDamaged(f"{self._index_name}: {type(exc).__name__}: {exc}") from None
            if version != self._version:
                return {}
            stamp, overloads = pickle.loads(_checked(buf.read(), self._index_path))
            return overloads if stamp == self._source_stamp else {}

        def _load_data(self, name):
            path = self._data_path(name)
            with open(path, "rb") as f:
                return pickle.loads(_checked(f.read(), path))

        @contextmanager
        def _locked(self):
            try:
                lk = open(os.path.join(self._cache_path, ".lock"), "a") if fcntl is not None else None
            except OSError:  # a folder we may not write to: nothing to serialise
                lk = None
            if lk is None:
                yield
                return
            with lk:
                fcntl.flock(lk, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lk, fcntl.LOCK_UN)

        def save(self, key, data):
            # processes compiling in parallel (``python -m mottrack compile``) must not
            # interleave reading and rewriting one index
            with self._locked():
                try:
                    super().save(key, data)
                except CacheDamaged:
                    self._discard()
                    super().save(key, data)

        def _discard(self):
            """Remove this function's index (its data files are then overwritten)."""
            try:
                os.remove(self._index_path)
            except OSError:
                pass

    class CheckedFunctionCache(FunctionCache):
        """numba's function cache on :class:`CheckedCacheFile`; a damaged entry is recompiled."""

        @classmethod
        def adopt(cls, cache: FunctionCache) -> "CheckedFunctionCache":
            """Turn numba's cache object of a dispatcher into this kind (no file system work)."""
            cache.__class__ = cls
            cache._cache_file = CheckedCacheFile(cache_path=cache._cache_path,
                                                 filename_base=cache._impl.filename_base,
                                                 source_stamp=cache._impl.locator.get_source_stamp())
            return cache  # type: ignore[return-value]

        def _load_overload(self, sig, target_context):
            try:
                return super()._load_overload(sig, target_context)
            except Exception as exc:  # noqa: BLE001 - any failure to load is a damaged cache
                _warn_damaged(self._cache_path, exc)
                cf: Any = self._cache_file
                with cf._locked():
                    cf._discard()
                return None

    return CheckedFunctionCache


_CHECKED_CACHE: Any = None
if numba is not None:
    _install_locator()
    try:
        _CHECKED_CACHE = _make_cache_classes()
    except ImportError:  # pragma: no cover - other numba versions: numba's own cache files
        _CHECKED_CACHE = None


# -- one line on stderr when this process starts compiling ------------------------------------
_NOTICE_SHOWN = False


def _compile_notice_wanted() -> bool:
    flag = os.environ.get("MOTTRACK_COMPILE_NOTICE", "")
    if flag:
        return flag not in ("0", "no", "off", "false")
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _install_compile_notice() -> None:
    """Print one line on stderr when the first mottrack kernel of this process is compiled
    (never with a warm cache): on a terminal, or with ``MOTTRACK_COMPILE_NOTICE=1``."""
    from numba.core import event

    class Notice(event.Listener):
        def on_start(self, ev):
            global _NOTICE_SHOWN
            if _NOTICE_SHOWN:
                return
            fn = getattr(ev.data.get("dispatcher"), "py_func", None)
            if not (getattr(fn, "__module__", "") or "").startswith("mottrack"):
                return
            _NOTICE_SHOWN = True
            if _compile_notice_wanted():
                print(f"mottrack: compiling kernels on first use (cached in {CACHE_DIR}; later runs "
                      "load them; 'python -m mottrack compile' does it ahead of time) ...",
                      file=sys.stderr, flush=True)

        def on_end(self, ev):
            pass

    event.register("numba:compile", Notice())


def _install_inline_memo() -> None:
    """Make numba's ``inline='always'`` inlining of mottrack functions linear in their size.

    Numba inlines such a function at each call site by running its whole untyped pipeline
    (bytecode to IR, including the inlining of its own inline callees) and copying the IR
    into the caller block by block -- each block's copy copying the function's whole
    variable scope again, twice per call site.  A fused tracker step inlines its frame,
    which inlines its stages, which inline their helpers, so this took most of a step's
    compile time (ByteTrack's: 19 s of 31 s; 313 blocks times 4592 variables for its frame
    alone).  For mottrack's functions (a numba without these internals keeps its own
    behaviour):

    * the untyped IR of each function is made once per process (it does not depend on the
      call site) and handed to numba's own ``inline_ir``, which copies it before changing
      anything, under a fresh function identity so every inlined copy gets its own names;
    * while ``inline_ir`` copies it, the copies of all its blocks share one deep-copy memo,
      so the scope is copied once per copy rather than once per block.

    The inlined IR is numba's, so the machine code is the same.
    """
    try:
        import copy

        from numba.core import inline_closurecall
        from numba.core.bytecode import FunctionIdentity
        from numba.core.inline_closurecall import InlineWorker
    except ImportError:  # pragma: no cover - other numba versions: numba's own inliner
        return
    original = InlineWorker.inline_function
    if getattr(original, "_mottrack_memo", False) or not hasattr(InlineWorker, "run_untyped_passes") \
            or getattr(inline_closurecall, "copy", None) is not copy:
        return
    memo: dict = {}

    class OneMemoCopy:
        """The ``copy`` module as numba's inliner sees it: every deepcopy of one inlining shares a memo."""

        def __init__(self) -> None:
            self.memo: dict = {}

        def deepcopy(self, x, memo=None):
            return copy.deepcopy(x, self.memo if memo is None else memo)

        def __getattr__(self, name):
            return getattr(copy, name)

    def inline_function(self, caller_ir, block, i, function, arg_typs=None):
        if not (getattr(function, "__module__", "") or "").startswith("mottrack") or self.flags is None:
            return original(self, caller_ir, block, i, function, arg_typs=arg_typs)
        key = (function, type(self.targetctx), bool(getattr(self.flags, "auto_parallel", False)))
        cached = memo.get(key)
        if cached is None:
            cached = memo[key] = self.run_untyped_passes(function)
        else:
            self.flags.enable_ssa = False  # what run_untyped_passes does to the caller's flags
        callee_ir = cached.copy()
        callee_ir.func_id = FunctionIdentity.from_function(function)  # a fresh unique name
        inline_closurecall.copy = OneMemoCopy()  # type: ignore[assignment]
        try:
            return self.inline_ir(caller_ir, block, i, callee_ir, function.__code__.co_freevars,
                                  arg_typs=arg_typs)
        finally:
            inline_closurecall.copy = copy

    inline_function._mottrack_memo = True  # type: ignore[attr-defined]
    InlineWorker.inline_function = inline_function  # type: ignore[method-assign]


def _install_inline_memo_on_first_compile() -> None:
    """Install :func:`_install_inline_memo` when this process first compiles anything (its
    numba internals cost an import that a process loading every kernel from the cache never
    needs)."""
    from numba.core import event

    class Installer(event.Listener):
        done = False

        def on_start(self, ev):
            if not self.done:  # (unregistering while numba iterates its listeners would skip one)
                self.done = True
                _install_inline_memo()

        def on_end(self, ev):
            pass

    event.register("numba:compile", Installer())


if numba is not None:
    _install_compile_notice()
    _install_inline_memo_on_first_compile()


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
        d = numba.njit(cache=True, nogil=True, **options)(f)
        impl = getattr(d._cache, "_impl", None)
        if _CHECKED_CACHE is not None and type(getattr(impl, "locator", None)).__name__ == \
                "MottrackCacheLocator":
            _CHECKED_CACHE.adopt(d._cache)
        return d

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


WARM_DIR = "warm"  # <cache>/warm/<target>: that target's kernels are in the cache


def mark_warm(target: str) -> None:
    """Record in the cache folder that ``target``'s kernels are compiled into it."""
    if CACHE_DIR is None or numba is None:
        return
    try:
        os.makedirs(os.path.join(CACHE_DIR, WARM_DIR), exist_ok=True)
        with open(os.path.join(CACHE_DIR, WARM_DIR, target), "w") as f:
            f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    except OSError:
        pass


def is_warm(target: str) -> bool:
    """True when ``target``'s kernels were compiled into this process's cache folder."""
    return CACHE_DIR is not None and os.path.exists(os.path.join(CACHE_DIR, WARM_DIR, target))


__all__ = [
    "WARM_DIR",
    "is_warm",
    "mark_warm",
    "CACHE_DIR",
    "NUMBA_ERROR",
    "PORTABLE",
    "PORTABLE_CPU",
    "portable_cpu_problem",
    "SEEDED",
    "BUNDLE_ROOT",
    "bundled_cache",
    "seed_from_bundle",
    "SOURCE_HASH",
    "cache_candidates",
    "cache_dir",
    "dispatchers",
    "njit",
    "numba",
]
