"""The kernel cache's failure modes (issue 19), each in a child process with its own
``MOTTRACK_CACHE_DIR``: a truncated or garbled cache (power loss on flash) is recompiled
with one warning naming the folder; a portable cache is never filled with this CPU's
kernels; a ``MOTTRACK_CACHE_DIR`` that cannot hold a cache is named in a warning; the
compile notice appears only when something compiles; ``info`` names the package loaded."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mottrack
import mottrack._numba as nb

ROOT = Path(mottrack.__file__).resolve().parents[1]

KERNEL = r"""
import json, sys, numpy as np
{pre}
import mottrack._numba as nb
from mottrack.detections import count_degenerate
boxes = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 2.0, 5.0], [1.0, 1.0, 0.0, 3.0]])
print(json.dumps({{"result": int(count_degenerate(boxes)), "cache": nb.CACHE_DIR, "portable": nb.PORTABLE,
                  "hits": sum(count_degenerate.stats.cache_hits.values()),
                  "misses": sum(count_degenerate.stats.cache_misses.values())}}))
"""


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "MOTTRACK_COMPILE_NOTICE")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _kernel(cache, pre: str = "", **extra) -> tuple[dict, str]:
    proc = subprocess.run([sys.executable, "-c", KERNEL.format(pre=pre)],
                          env=_env(MOTTRACK_CACHE_DIR=str(cache), **extra), cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def _files(cache: Path, suffix: str) -> list[Path]:
    return sorted(p for p in cache.rglob(f"detections.count_degenerate-*{suffix}"))


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])


def _zero(p: Path) -> None:
    p.write_bytes(b"\0" * p.stat().st_size)


def _flip(p: Path) -> None:  # garbage bytes in the middle, length kept
    b = bytearray(p.read_bytes())
    mid = len(b) // 2
    b[mid:mid + 16] = bytes((x ^ 0x5A) for x in b[mid:mid + 16])
    p.write_bytes(bytes(b))


@pytest.mark.parametrize("damage,suffix", [
    (_truncate, ".nbc"), (_zero, ".nbc"), (_flip, ".nbc"), (_truncate, ".nbi"), (_flip, ".nbi"),
], ids=["truncated-data", "zeroed-data", "garbled-data", "truncated-index", "garbled-index"])
def test_a_damaged_cache_is_recompiled_with_a_warning_naming_the_folder(tmp_path, damage, suffix):
    first, err = _kernel(tmp_path)
    assert (first["result"], first["misses"], first["hits"]) == (2, 1, 0) and "damaged" not in err
    (victim,) = _files(tmp_path, suffix)
    damage(victim)

    again, err = _kernel(tmp_path)
    assert again["result"] == 2 and again["misses"] == 1  # recompiled, same answer
    assert err.count("is damaged") == 1 and first["cache"] in err  # one warning naming the folder
    assert victim.name in err or suffix == ".nbc"  # (a data file is named; an index too)
    # the recompiled kernel was written back: the next process loads it silently
    third, err = _kernel(tmp_path)
    assert (third["result"], third["hits"], third["misses"]) == (2, 1, 0) and "damaged" not in err


def test_numba_imported_first_never_writes_host_kernels_into_a_portable_cache(tmp_path):
    portable = tmp_path / ("numba-" + nb.SOURCE_HASH)
    portable.mkdir()
    (portable / nb.PORTABLE_MARKER).write_text("generic\n")
    r, err = _kernel(tmp_path, pre="import numba")
    assert r["result"] == 2 and r["portable"] is False
    assert r["cache"] == str(portable) + "-host"
    assert "numba was imported before mottrack" in err and str(portable) in err
    assert not list(portable.rglob("*.nbi")) and not list(portable.rglob("*.nbc"))  # untouched
    assert _files(Path(r["cache"]), ".nbi")
    # and without numba imported first the same cache is used as portable, silently
    r, err = _kernel(tmp_path)
    assert r["portable"] is True and r["cache"] == str(portable) and "numba was imported" not in err


def test_numba_cpu_name_set_is_also_kept_out_of_a_portable_cache(tmp_path):
    portable = tmp_path / ("numba-" + nb.SOURCE_HASH)
    portable.mkdir()
    (portable / nb.PORTABLE_MARKER).write_text("generic\n")
    r, err = _kernel(tmp_path, NUMBA_CPU_NAME="host")
    assert r["cache"] == str(portable) + "-host" and "NUMBA_CPU_NAME=host" in err
    assert not list(portable.rglob("*.nbi"))


def test_a_cache_dir_naming_a_file_is_named_in_a_warning(tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    proc = subprocess.run([sys.executable, "-c", "import mottrack._numba as nb; print(nb.CACHE_DIR)"],
                          env=_env(MOTTRACK_CACHE_DIR=str(f)), cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"MOTTRACK_CACHE_DIR={f}" in proc.stderr and "names a file" in proc.stderr
    assert not proc.stdout.strip().startswith(str(f))


def test_the_compile_notice_shows_only_when_something_compiles(tmp_path):
    r, err = _kernel(tmp_path, MOTTRACK_COMPILE_NOTICE="1")
    assert r["misses"] == 1
    lines = [ln for ln in err.splitlines() if "compiling kernels on first use" in ln]
    assert len(lines) == 1 and r["cache"] in lines[0]
    r, err = _kernel(tmp_path, MOTTRACK_COMPILE_NOTICE="1")
    assert r["hits"] == 1 and "compiling" not in err


def test_portable_compile_refused_writes_no_marker(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mottrack", "compile", "--portable", "--trackers", "sort",
                           "--no-decoders", "--cache-dir", str(tmp_path)],
                          env=_env(NUMBA_CPU_NAME="skylake"), cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "NUMBA_CPU_NAME=skylake" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.rglob(nb.PORTABLE_MARKER))


def test_info_names_the_package_it_loaded_and_a_shadowed_install(tmp_path):
    site = tmp_path / "site"
    (site / "mottrack").mkdir(parents=True)
    (site / "mottrack" / "__init__.py").write_text("")
    dist = site / "mottrack-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mottrack\nVersion: 0.1.0\n")
    (dist / "RECORD").write_text("mottrack/__init__.py,,\n")
    env = _env(MOTTRACK_CACHE_DIR=str(tmp_path / "c"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(site)])  # the checkout shadows the install
    proc = subprocess.run([sys.executable, "-m", "mottrack", "info"], env=env, cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"package:     {ROOT / 'mottrack'}" in out
    assert f"{site / 'mottrack'} is shadowed" in out
    assert "keyed" in out and nb.SOURCE_HASH in out
    env["PYTHONPATH"] = str(ROOT)  # nothing installed: no shadow line
    proc = subprocess.run([sys.executable, "-m", "mottrack", "info"], env=env, cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=300)
    assert "shadowed" not in proc.stdout
