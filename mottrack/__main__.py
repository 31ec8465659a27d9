"""``python -m mottrack``: compile the kernels into the cache ahead of time, show the cache.

``python -m mottrack compile [--trackers NAME ...] [--cache-dir DIR] [--portable | --host]``
runs every registered tracker (and the detection decoders) on a small synthetic stream
in a fresh process each, so exactly the kernels that run get compiled into the cache;
then checks, in another fresh process per tracker, that nothing is compiled any more
(numba's cache statistics) and reports the first update's time and peak memory.  Where a
release wheel carries kernels for every target asked for (and this CPU runs them), an empty
cache is filled from them instead, so the runs only load; ``--host`` compiles this CPU's
kernels regardless.

``--portable`` compiles for any CPU of this architecture (``_numba.PORTABLE_CPU``: on x86-64
the x86-64-v3 level, AVX2; elsewhere numba's generic CPU) and marks the cache
directory so that mottrack loads those kernels at run time by itself (no numba
settings needed).  ``--cache-dir DIR`` compiles into ``DIR``; set
``MOTTRACK_CACHE_DIR=DIR`` where the cache is used.

``python -m mottrack info`` prints where the cache is and what it holds.

``python -m mottrack track SOURCE --model MODEL.tflite ...`` detects, tracks, counts and
draws on a video (extra ``[video]``; see :mod:`mottrack.video.track`).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

DECODERS = "decoders"
_PREFIX = "MOTTRACK-JSON "


# -- the synthetic streams that exercise every compiled path ----------------------------------
def synthetic_frames(n_frames: int = 24, n_objects: int = 6, seed: int = 0,
                     embedding_dim: int = 32) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Deterministic frames of ``(rows, embeddings)``: rows (N, 6) x1, y1, x2, y2, score,
    class as float64; embeddings (N, D) float32 unit vectors, one identity per object.

    Objects move linearly; scores spread over 0.15..0.95 (low-score stages run), one frame
    is empty, one holds a zero-area box and objects leave and come back.
    """
    rng = np.random.default_rng(seed)
    start = rng.uniform(50, 500, (n_objects, 2))
    vel = rng.uniform(-6, 6, (n_objects, 2))
    size = rng.uniform(30, 90, (n_objects, 2))
    ident = rng.normal(size=(n_objects, embedding_dim)).astype(np.float32)
    for f in range(n_frames):
        if f == n_frames // 2:
            yield np.empty((0, 6)), np.empty((0, embedding_dim), np.float32)
            continue
        keep = [i for i in range(n_objects) if not (i == 1 and n_frames // 3 <= f < n_frames // 3 + 4)]
        xy = start[keep] + f * vel[keep] + rng.normal(0, 1.5, (len(keep), 2))
        wh = size[keep]
        score = 0.15 + 0.8 * ((np.arange(len(keep)) * 0.37 + f * 0.05) % 1.0)
        cls = np.array([i % 2 for i in keep], float)
        rows = np.column_stack([xy, xy + wh, score, cls])
        if f == n_frames // 4:  # a zero-area detection (ignored by the trackers)
            rows = np.vstack([rows, [10.0, 10.0, 10.0, 30.0, 0.9, 0.0]])
        emb = ident[[min(i, n_objects - 1) for i in keep]] + rng.normal(0, 0.05, (len(keep), embedding_dim)).astype(np.float32)
        if rows.shape[0] > emb.shape[0]:
            emb = np.vstack([emb, ident[:1]])
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        yield np.ascontiguousarray(rows), np.ascontiguousarray(emb, dtype=np.float32)


def _warm_runs(cls: type) -> list[dict[str, Any]]:
    """The tracker configurations and inputs to exercise for a tracker class."""
    emb = getattr(cls, "embeddings", "none")
    runs: list[dict[str, Any]] = []
    if emb in ("none", "optional"):
        runs += [{"embeddings": False, "per_class": False}, {"embeddings": False, "per_class": True}]
    if emb in ("optional", "required"):
        runs += [{"embeddings": True, "per_class": False},
                 {"embeddings": True, "per_class": True, "float64": True}]
    runs.append({"embeddings": emb == "required", "per_class": False, "camera_motion": True})
    return runs


def warm_tracker(name: str, first_only: bool = False) -> float:
    """Run tracker ``name`` through the synthetic stream(s); returns the first update's seconds
    (wall clock; its CPU seconds are kept in ``warm_tracker.first_cpu_s``)."""
    from .detections import Detections
    from .registry import create_tracker, tracker_class

    cls = tracker_class(name)
    first: float | None = None
    warp = np.array([[1.0, 0.0, 1.5], [0.0, 1.0, -0.5]])
    for run in _warm_runs(cls):
        tracker = create_tracker(name, per_class=run["per_class"])
        for f, (rows, emb) in enumerate(synthetic_frames()):
            kwargs = {"camera_motion": warp} if run.get("camera_motion") else {}
            if run["embeddings"]:
                e = emb.astype(np.float64) if run.get("float64") and f % 2 else emb
                dets: Any = Detections(rows[:, :4], rows[:, 4], rows[:, 5], embeddings=e)
            elif f % 3 == 1:
                dets = Detections(rows[:, :4], rows[:, 4], rows[:, 5])  # the general path
            else:
                dets = rows  # float64 C-contiguous rows: the fused fast path where there is one
            t0, c0 = time.perf_counter(), time.process_time()
            tracker.update(dets, **kwargs)
            if first is None:
                first = time.perf_counter() - t0
                warm_tracker.first_cpu_s = time.process_time() - c0  # type: ignore[attr-defined]
                if first_only:
                    return first
    return first or 0.0


def warm_decoders() -> None:
    """Run the Larod decoders (SSD; YOLOv5 uint8/int8/float32) and the MOT reader once."""
    import tempfile

    from .io.larod import ssd_to_detections, yolov5_to_detections
    from .io.mot import read_mot

    rng = np.random.default_rng(1)
    n = 10
    ymin, xmin = rng.uniform(0, 0.6, (2, n))
    boxes = np.stack([ymin, xmin, ymin + 0.3, xmin + 0.3], 1)[None].astype(np.float32)
    ssd_to_detections([boxes, np.zeros((1, n), np.float32), rng.uniform(0, 1, (1, n)).astype(np.float32),
                       np.array([n], np.float32)], (640, 480))
    rows = 200
    raw = rng.uniform(0, 1, (1, rows, 85)).astype(np.float32)
    raw[..., :2] *= 0.8
    raw[..., 2:4] *= 0.2
    yolov5_to_detections(raw, (640, 480))
    yolov5_to_detections((raw * 255).astype(np.uint8), (640, 480), quantization=(1 / 255, 0))
    yolov5_to_detections((raw * 255 - 128).astype(np.int8), (640, 480), quantization=(1 / 255, -128))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "det.txt")
        with open(path, "w") as f:
            f.write("1,-1,10.5,20,30,40,0.9,-1,-1,-1\n2,-1,11,21,30,40,0.8,-1,-1,-1\n")
        read_mot(path, "det")


# -- child processes ----------------------------------------------------------------------------
def _peak_rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024.0 * 1024.0) if sys.platform == "darwin" else r / 1024.0


def _kernel_stats() -> tuple[list[str], list[str]]:
    """(kernels compiled, kernels loaded from the cache) in this process, by qualified name."""
    from ._numba import dispatchers
    compiled, loaded = [], []
    for d in dispatchers():
        name = f"{d.py_func.__module__.replace('mottrack.', '')}.{d.py_func.__qualname__}"
        st = d.stats
        if sum(st.cache_misses.values()):
            compiled.append(name)
        elif sum(st.cache_hits.values()):
            loaded.append(name)
    return compiled, loaded


def _host_cpu() -> str:
    """The CPU numba compiles for in this process (its NUMBA_CPU_NAME, else this CPU's name)."""
    from . import _numba
    if _numba.numba is None:
        return ""
    import llvmlite.binding as ll  # type: ignore[import-untyped]
    from numba.core import config
    return str(config.CPU_NAME or ll.get_host_cpu_name())  # type: ignore[attr-defined]


def _child(target: str, first_only: bool, t0: float) -> None:
    """Run in a fresh process (``t0``: perf_counter before ``import mottrack``): warm
    ``target``, print one JSON line of what happened."""
    from . import _numba
    import_s = time.perf_counter() - t0
    import_cpu_s = time.process_time()
    if target == DECODERS:
        warm_decoders()
        first = None
    else:
        first = warm_tracker(target, first_only=first_only)
    compiled, loaded = _kernel_stats()
    mark_warm(target)
    cpu = _host_cpu()
    print(_PREFIX + json.dumps({
        "target": target, "import_s": import_s, "import_cpu_s": import_cpu_s, "first_update_s": first,
        "first_update_cpu_s": getattr(warm_tracker, "first_cpu_s", None),
        "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time(),
        "peak_rss_mb": _peak_rss_mb(), "compiled": compiled, "loaded": loaded,
        "cache_dir": _numba.CACHE_DIR, "portable": _numba.PORTABLE, "cpu": cpu}), flush=True)


from ._numba import WARM_DIR, is_warm, mark_warm  # noqa: E402,F401  (the cache's record of compiled targets)


def _spawn(target: str, env: dict[str, str], first_only: bool = False) -> dict[str, Any]:
    code = ("import time; t0 = time.perf_counter(); import mottrack.__main__ as m; "
            f"m._child({target!r}, {first_only!r}, t0)")
    cmd = [sys.executable, "-c", code]
    proc = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(_PREFIX):
            return json.loads(line[len(_PREFIX):])
    raise RuntimeError(f"compiling {target} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")


def _names(items: list[str], width: int = 96) -> str:
    out, line = [], "      "
    for it in items:
        if len(line) + len(it) + 2 > width:
            out.append(line.rstrip())
            line = "      "
        line += it + ", "
    out.append(line.rstrip(", "))
    return "\n".join(out)


# -- commands -------------------------------------------------------------------------------------
def _run_stages(stages: list[list[str]], env: dict[str, str], jobs: int, report) -> list[dict[str, Any]]:
    """Run every target of each stage in its own fresh process, ``jobs`` at a time, never two
    that share kernels at once (:func:`~mottrack.registry.next_compile_target`); a stage
    starts when the one before it is done.  ``report(result)`` is called as each finishes."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    from .registry import next_compile_target
    results: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for stage in stages:
            queue = list(stage)
            running: dict[Future, str] = {}
            while queue or running:
                while queue and len(running) < max(1, jobs):
                    i = next_compile_target(queue, list(running.values()))
                    if i is None:
                        break
                    target = queue.pop(i)
                    running[pool.submit(_spawn, target, env)] = target
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    del running[fut]
                    r = fut.result()
                    results.append(r)
                    report(r)
    return results


def compile_stages(names: list[str], decoders: bool = True) -> list[list[str]]:
    """The order ``compile`` runs its targets in: the first tracker (it compiles the shared core:
    geometry, Kalman filters, track table, assignment) beside the decoders, which share
    nothing with it; then the other trackers side by side, loading the shared kernels."""
    if not names:
        return [[DECODERS]] if decoders else []
    return [names[:1] + ([DECODERS] if decoders else []), names[1:]] if len(names) > 1 else \
        [names + ([DECODERS] if decoders else [])]


def compile_cache(trackers: list[str] | None = None, cache_dir: str | None = None,
                  portable: bool = False, decoders: bool = True, verify: bool = True,
                  out=sys.stdout, jobs: int | None = None, host: bool = False) -> dict[str, Any]:
    """Compile the kernels of ``trackers`` (default: all registered) and the decoders into the cache.

    Each target compiles in a fresh process (its memory is returned when it exits), ``jobs``
    of them at a time (default: every CPU this process may use), in the order of
    :func:`compile_stages`.

    Where a release wheel's kernels (:func:`mottrack._numba.bundled_cache`) hold every target
    and this CPU can run them, an empty cache is filled from them instead of compiling (and
    a cache already filled so is kept): the fresh processes then load every kernel.
    ``host=True`` compiles for this CPU regardless; ``portable=True`` for the portable CPU.

    Returns a summary dict (``cache_dir``, per-target results, ``verify`` results, ``seconds``
    wall clock, ``cpu_s`` of the child processes).
    Raises ValueError for an unknown tracker or an unusable cache directory, RuntimeError
    when numba is not available or a fresh process still compiled something.
    """
    from . import _numba
    from .registry import available_trackers, registered_trackers, tracker_class

    if _numba.numba is None:
        raise RuntimeError(f"numba is not usable ({_numba.NUMBA_ERROR}): nothing to compile")
    if portable and host:
        raise ValueError("--portable and --host exclude each other")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise ValueError(f"jobs: expected a whole number >= 1; got {jobs!r}")
    from .eval.jobs import default_jobs
    jobs = jobs or default_jobs()
    names = available_trackers() if not trackers else [tracker_class(t).name for t in trackers]
    order = list(registered_trackers())  # registration order: SORT, the smallest, compiles the core first
    names = sorted(dict.fromkeys(names), key=lambda n: order.index(n) if n in order else len(order))
    env = dict(os.environ)
    if cache_dir is not None:
        env["MOTTRACK_CACHE_DIR"] = os.path.abspath(cache_dir)
    if portable and env.get("NUMBA_CPU_NAME", _numba.PORTABLE_CPU).lower() != _numba.PORTABLE_CPU:
        raise ValueError(f"--portable: NUMBA_CPU_NAME={env['NUMBA_CPU_NAME']} is set; unset it")
    if portable and _numba.portable_cpu_problem():
        raise ValueError(f"--portable: kernels for {_numba.PORTABLE_CPU} cannot be compiled and checked "
                         f"here: {_numba.portable_cpu_problem()}")
    old = os.environ.get("MOTTRACK_CACHE_DIR")
    try:
        if cache_dir is not None:
            os.environ["MOTTRACK_CACHE_DIR"] = env["MOTTRACK_CACHE_DIR"]
        target = _numba.cache_dir()
    finally:
        if cache_dir is not None:
            if old is None:
                os.environ.pop("MOTTRACK_CACHE_DIR", None)
            else:
                os.environ["MOTTRACK_CACHE_DIR"] = old
    if target is None or (cache_dir is not None and not target.startswith(env["MOTTRACK_CACHE_DIR"])):
        raise ValueError(f"cache-dir: {cache_dir or 'no candidate directory'} is not writable")
    marker = os.path.join(target, _numba.PORTABLE_MARKER)
    done = os.path.join(target, _numba.COMPILED_MARKER)
    seeded = None if portable or host else _from_bundle(target, compile_stages(names, decoders), env)
    if seeded is not None:
        print(f"mottrack compile: {seeded} (the release wheel's kernels, {_numba.PORTABLE_CPU} CPU; "
              "--host compiles for this CPU instead)", file=out, flush=True)
        portable = True
    elif not portable:  # this CPU's kernels: never the (portable) kernels a release wheel carries
        env = _numba.host_cpu_env(env)
        env["MOTTRACK_BUNDLE"] = "0"
    had_marker = os.path.exists(marker)
    if portable:  # the child processes see it and compile for the portable CPU
        with open(marker, "w") as f:
            f.write(f"kernels in this directory are compiled for the {_numba.PORTABLE_CPU} CPU "
                    f"(NUMBA_CPU_NAME={_numba.PORTABLE_CPU})\n")
    elif had_marker:
        os.remove(marker)
    try:
        return _compile_into(target, names, env, portable, decoders, verify, out, jobs, cache_dir, done)
    except BaseException:
        if portable and not had_marker and os.path.exists(marker):
            os.remove(marker)  # a failed portable compile leaves no portable claim behind
        raise


def _from_bundle(target: str, stages: list[list[str]], env: dict[str, str]) -> str | None:
    """Fill the cache folder ``target`` from the release wheel's kernels when they hold every
    target of ``stages`` and a fresh process with ``env`` can use them; returns what was done
    (None: nothing, compile instead)."""
    from . import _numba

    def targets_of(folder: str) -> set[str]:
        targets = (_numba.compiled_record(folder) or {}).get("targets")
        return {str(t) for t in targets} if isinstance(targets, list) else set()

    bundle = _numba.bundled_cache()
    wanted = {t for st in stages for t in st}
    if bundle is None or _numba.portable_env_problem(env) is not None or not wanted <= targets_of(bundle):
        return None
    if os.path.exists(os.path.join(target, _numba.PORTABLE_MARKER)) and \
            _numba.bundled_cache(os.path.dirname(target)) == target and wanted <= targets_of(target):
        return "the cache holds them already"
    if _numba.seed_from_bundle(target, bundle):
        return "copied them into the cache"
    return None


def _compile_into(target: str, names: list[str], env: dict[str, str], portable: bool, decoders: bool,
                  verify: bool, out, jobs: int, cache_dir: str | None, done: str) -> dict[str, Any]:
    from . import _numba

    stages = compile_stages(names, decoders)
    targets = [t for st in stages for t in st]
    print(f"mottrack compile: numba {_numba.numba.__version__}, "
          f"{f'portable ({_numba.PORTABLE_CPU} CPU)' if portable else 'this CPU only'}, {len(targets)} targets in "
          f"fresh processes, {jobs} at a time\n  cache: {target}", file=out, flush=True)
    t_all = time.perf_counter()

    def report(r: dict[str, Any]) -> None:
        if r["cache_dir"] != target:
            raise RuntimeError(f"{r['target']}: the child process cached in {r['cache_dir']}, expected {target}")
        print(f"  {r['target']:<10} compiled {len(r['compiled']):>2} kernels, loaded {len(r['loaded']):>2}   "
              f"{r['wall_s']:6.1f} s ({r['cpu_s']:.1f} s CPU)   peak RSS {r['peak_rss_mb']:.0f} MB   "
              f"[cpu {r['cpu']}]", file=out, flush=True)
        if r["compiled"]:
            print(_names(r["compiled"]), file=out, flush=True)

    results = _run_stages(stages, env, jobs, report)
    total = time.perf_counter() - t_all
    cpu = sum(r["cpu_s"] for r in results)
    print(f"  compiled in {total:.1f} s wall clock ({cpu:.1f} s CPU in {len(results)} processes, "
          f"{jobs} at a time); largest peak RSS {max(r['peak_rss_mb'] for r in results):.0f} MB",
          file=out, flush=True)
    checks: list[dict[str, Any]] = []
    if verify:
        print("  fresh process per tracker (import + first update, then the whole stream):", file=out)

        def report_check(r: dict[str, Any]) -> None:
            checks.append(r)
            print(f"  {r['target']:<10} import {r['import_s'] * 1e3:5.0f} ms ({r['import_cpu_s'] * 1e3:.0f} ms CPU "
                  f"incl. start-up), first update {r['first_update_s'] * 1e3:6.1f} ms "
                  f"({r['first_update_cpu_s'] * 1e3:.0f} ms CPU), peak RSS {r['peak_rss_mb']:.0f} MB; "
                  f"cache: {len(r['loaded'])} loaded, {len(r['compiled'])} compiled", file=out, flush=True)

        _run_stages([names], env, jobs, report_check)
        bad = [r["target"] for r in checks if r["compiled"]]
        if bad:
            raise RuntimeError(f"a fresh process still compiled kernels for {', '.join(bad)}; "
                               "the cache is not being loaded")
    with open(done, "w") as f:
        json.dump({"numba": _numba.numba.__version__, "portable": portable,
                   "cpu": _numba.PORTABLE_CPU if portable else _host_cpu(), "source_hash": _numba.SOURCE_HASH,
                   "python": f"{sys.version_info[0]}.{sys.version_info[1]}", "machine": platform.machine(),
                   "targets": targets, "compiled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                  f, indent=1)
    if cache_dir is not None:
        print(f"  use it with: MOTTRACK_CACHE_DIR={env['MOTTRACK_CACHE_DIR']}", file=out)
    return {"cache_dir": target, "results": results, "verify": checks, "seconds": total, "cpu_s": cpu}


def _installed_copy() -> str | None:
    """The folder of an installed mottrack distribution that is not the package loaded (the
    first on ``sys.path``; another install that the loaded copy shadows)."""
    from . import _numba
    try:
        from importlib.metadata import distributions
        dists = list(distributions(name="mottrack"))
    except ImportError:
        return None
    for dist in dists:
        try:
            init = os.path.abspath(str(dist.locate_file("mottrack/__init__.py")))
        except Exception:  # noqa: BLE001 - odd distributions (editable finders)
            continue
        pkg = os.path.dirname(init)
        if os.path.exists(init) and os.path.realpath(pkg) != os.path.realpath(_numba._PKG_DIR):
            return pkg
    return None


def info(out=sys.stdout) -> None:
    """Print which package was loaded, its cache directory, whether it is portable and which
    numba is used."""
    from . import _numba
    print(f"package:     {_numba._PKG_DIR}", file=out)
    other = _installed_copy()
    if other:
        print(f"             (an installed mottrack in {other} is shadowed by it: the current folder "
              "comes first on sys.path; run elsewhere to use the installed one)", file=out)
    print(f"numba:       {_numba.numba.__version__ if _numba.numba else 'not usable: ' + str(_numba.NUMBA_ERROR)}",
          file=out)
    print(f"cache:       {_numba.CACHE_DIR}", file=out)
    print(f"source hash: {_numba.SOURCE_HASH} (of the sources in {_numba._PKG_DIR}: the cache is keyed "
          "to them, another copy of mottrack has its own)", file=out)
    print(f"portable:    {_numba.PORTABLE}", file=out)
    bundle = _numba.bundled_cache()
    print(f"bundled:     {'yes, ' + bundle if bundle else 'no'}"
          f"{' (copied into the cache by this process)' if _numba.SEEDED else ''}", file=out)
    done = os.path.join(_numba.CACHE_DIR or "", _numba.COMPILED_MARKER)
    text = "no (kernels compile on first use)"
    if os.path.exists(done):
        with open(done, encoding="utf-8") as f:
            text = f.read().strip()
    print(f"compiled:    {text}", file=out)


def _track(argv: list[str]) -> int:
    """``python -m mottrack track ...`` (its own parser: :mod:`mottrack.video.track`)."""
    from .video.track import main as track_main
    return track_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["track"]:
        return _track(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m mottrack", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compile", help="compile the kernels of the trackers and decoders into the cache")
    p.add_argument("--trackers", nargs="+", metavar="NAME",
                   help="registered tracker names (default: all); comma-separated also works")
    p.add_argument("--cache-dir", metavar="DIR", help="cache directory (then set MOTTRACK_CACHE_DIR=DIR at run time)")
    p.add_argument("--portable", action="store_true",
                   help="compile for any CPU of this architecture (x86-64: any x86-64-v3 CPU, AVX2; "
                        "loaded automatically at run time)")
    p.add_argument("--host", action="store_true",
                   help="compile for this CPU even where the release wheel carries portable kernels")
    p.add_argument("--no-decoders", action="store_true", help="skip the Larod decoders and the MOT reader")
    p.add_argument("--no-verify", action="store_true", help="skip the fresh-process check")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="processes compiling at the same time (default: one per CPU)")
    sub.add_parser("info", help="show the cache directory and what it holds")
    sub.add_parser("track", help="detect, track and draw on a video (python -m mottrack track --help)")
    args = parser.parse_args(argv)
    if args.command == "info":
        info()
        return 0
    trackers = None
    if args.trackers:
        trackers = [t.strip() for item in args.trackers for t in item.split(",") if t.strip()]
    try:
        compile_cache(trackers, args.cache_dir, args.portable, decoders=not args.no_decoders,
                      verify=not args.no_verify, jobs=args.jobs, host=args.host)
    except ValueError as exc:  # a bad argument: exit 2, as argparse's own errors
        print(f"python -m mottrack compile: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # the compilation itself failed
        print(f"python -m mottrack compile: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
