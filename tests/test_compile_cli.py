"""``python -m mottrack compile``: a fresh process with the compiled cache compiles nothing
(numba's cache statistics), a portable cache is found and used without numba settings,
importing mottrack compiles nothing, and bad arguments give a one-line error."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mottrack
import mottrack._numba as nb
from mottrack.__main__ import synthetic_frames

ROOT = Path(mottrack.__file__).resolve().parents[1]


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _sort_hash() -> str:
    h = hashlib.sha256()
    t = mottrack.SORT(min_hits=1)
    for rows, _ in synthetic_frames():
        h.update(np.ascontiguousarray(t.update(rows)).tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def portable_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    proc = subprocess.run([sys.executable, "-m", "mottrack", "compile", "--trackers", "sort",
                           "--cache-dir", str(cache), "--portable", "--no-decoders"],
                          env=_env(), cwd=ROOT, check=False, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr
    return cache, proc.stdout


def test_compile_reports_what_where_how_long_and_memory(portable_cache):
    cache, out = portable_cache
    (tag_dir,) = [p for p in cache.iterdir() if p.name.startswith("numba-")]
    assert f"cache: {tag_dir}" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("sort") and "compiled" in ln)
    n_compiled = int(line.split("compiled")[1].split()[0])
    assert n_compiled > 5 and "peak RSS" in line and " s (" in line
    assert "kalman.xysr_predict" in out and "trackers.sort._sort_step_rows" in out  # names what it compiled
    # the verification it ran itself: a fresh process loaded everything
    check = next(ln for ln in out.splitlines() if ln.strip().startswith("sort") and "first update" in ln)
    assert check.rstrip().endswith(" 0 compiled") and "loaded" in check
    assert (tag_dir / "portable").exists() and json.loads((tag_dir / "compiled").read_text())["portable"]
    assert f"MOTTRACK_CACHE_DIR={cache}" in out


FRESH = r"""
import json, hashlib
import numpy as np
import mottrack, mottrack._numba as nb
import mottrack.io.larod, mottrack.io.mot, mottrack.io.metadata, mottrack.state
import mottrack.eval.metrics.hota, mottrack.eval.metrics.clear, mottrack.eval.metrics.identity
from numba.core import config
imported = {d.py_func.__qualname__: len(d.signatures) for d in nb.dispatchers()}
from mottrack.__main__ import synthetic_frames
h = hashlib.sha256()
t = mottrack.SORT(min_hits=1)
for rows, _ in synthetic_frames():
    h.update(np.ascontiguousarray(t.update(rows)).tobytes())
hits = sum(sum(d.stats.cache_hits.values()) for d in nb.dispatchers())
misses = sum(sum(d.stats.cache_misses.values()) for d in nb.dispatchers())
print(json.dumps({"portable": nb.PORTABLE, "cpu": config.CPU_NAME, "cache": nb.CACHE_DIR, "hits": hits,
                  "misses": misses, "imported": imported, "sha": h.hexdigest()}))
"""


def test_a_fresh_process_loads_the_portable_cache_and_compiles_nothing(portable_cache):
    cache, _ = portable_cache
    proc = subprocess.run([sys.executable, "-c", FRESH], env=_env(MOTTRACK_CACHE_DIR=str(cache)),
                          check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["cache"].startswith(str(cache))
    assert r["portable"] is True and r["cpu"] == nb.PORTABLE_CPU  # found the marker, no numba settings given
    assert r["misses"] == 0 and r["hits"] > 0
    # import compiled (or loaded) nothing: no kernel of the package and its io/state/metrics
    # modules had a signature yet
    assert len(r["imported"]) > 40 and not any(r["imported"].values())
    # portable-CPU kernels compute exactly what this process's kernels compute
    assert r["sha"] == _sort_hash()


EMPTY = r"""
import json, numpy as np
import mottrack._numba as nb
from mottrack.detections import count_degenerate
count_degenerate(np.zeros((1, 4)))
print(json.dumps({"portable": nb.PORTABLE,
                  "hits": sum(sum(d.stats.cache_hits.values()) for d in nb.dispatchers()),
                  "misses": sum(sum(d.stats.cache_misses.values()) for d in nb.dispatchers())}))
"""


def test_the_statistics_do_count_compiles(tmp_path):
    # what the test above relies on: in an empty cache the first call of a kernel is a miss,
    # and in the next process a hit
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", EMPTY], env=_env(MOTTRACK_CACHE_DIR=str(tmp_path)),
                              check=False, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert [(r["misses"], r["hits"]) for r in runs] == [(1, 0), (0, 1)]
    assert runs[0]["portable"] is False


@pytest.mark.parametrize("args,needle", [
    (["--trackers", "nosuchtracker"], "unknown tracker 'nosuchtracker'"),
    (["--cache-dir", "{file}"], "cache-dir"),
    (["--jobs", "0"], "jobs: expected a whole number >= 1"),
    (["--portable", "--host"], "--portable and --host exclude each other"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, args, needle):
    f = tmp_path / "a-file"
    f.write_text("x")
    args = [a.replace("{file}", str(f / "sub")) for a in args]
    proc = subprocess.run([sys.executable, "-m", "mottrack", "compile", *args], env=_env(), cwd=ROOT,
                          check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
