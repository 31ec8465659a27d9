"""Kernels bundled in a release wheel (``MOTTRACK_BUNDLE_KERNELS=1``, ``setup.py``): which
bundles a process accepts, how they are copied into an empty kernel cache, and that the
copied kernels load without compiling.  (CI builds such a wheel, installs it and checks that
the evaluator's first run compiles nothing and prints what the source install printed.)"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mottrack
import mottrack._numba as nb

ROOT = Path(mottrack.__file__).resolve().parents[1]
PORTABLE_ENV = {"NUMBA_CPU_NAME": nb.PORTABLE_CPU, "NUMBA_CPU_FEATURES": ""}  # what a portable compile sets

KERNEL = r"""
import json, sys, numpy as np
import mottrack._numba as nb
src = nb.bundled_cache(root=sys.argv[1]) if len(sys.argv) > 1 else None
seeded = nb.seed_from_bundle(nb.CACHE_DIR, src) if src else False
from mottrack.detections import count_degenerate
boxes = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 2.0, 5.0], [1.0, 1.0, 0.0, 3.0]])
print(json.dumps({"result": int(count_degenerate(boxes)), "cache": nb.CACHE_DIR, "seeded": seeded,
                  "hits": sum(count_degenerate.stats.cache_hits.values()),
                  "misses": sum(count_degenerate.stats.cache_misses.values())}))
"""


def _record(**changes):
    rec = {"numba": nb._installed_version("numba"), "portable": True, "cpu": nb.PORTABLE_CPU,
           "source_hash": nb.SOURCE_HASH,
           "python": f"{sys.version_info[0]}.{sys.version_info[1]}", "machine": platform.machine(),
           "targets": ["sort"]}
    rec.update(changes)
    return rec


def _bundle(root: Path, record=None, files=("a.nbi", "a.1.nbc", "trackers/b.nbi", "warm/sort")) -> Path:
    path = root / f"numba-{nb.SOURCE_HASH}"
    for rel in files:
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(f"contents of {rel}".encode())
    (path / nb.PORTABLE_MARKER).write_text("generic\n")
    (path / nb.COMPILED_MARKER).write_text(json.dumps(_record() if record is None else record))
    return path


def test_a_bundle_is_accepted_for_these_sources_numba_python_and_machine(tmp_path):
    path = _bundle(tmp_path)
    assert nb.bundled_cache(root=str(tmp_path)) == str(path)


@pytest.mark.parametrize("change", [
    {"numba": "0.1.0"}, {"machine": "pdp11"}, {"python": "2.7"}, {"source_hash": "0" * 16},
    {"portable": False}, {"numba": None}, {"cpu": "pentium4"}, {"cpu": None}])
def test_a_bundle_for_another_numba_python_machine_or_source_is_refused(tmp_path, change):
    _bundle(tmp_path, _record(**change))
    assert nb.bundled_cache(root=str(tmp_path)) is None


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", "null"])
def test_a_garbled_bundle_record_is_refused(tmp_path, text):
    path = _bundle(tmp_path)
    (path / nb.COMPILED_MARKER).write_text(text)
    assert nb.bundled_cache(root=str(tmp_path)) is None


def test_no_bundle_is_none(tmp_path):
    assert nb.bundled_cache(root=str(tmp_path)) is None


def test_seeding_copies_every_file_and_the_markers(tmp_path):
    src = _bundle(tmp_path / "bundle")
    (src / ".lock").write_text("")
    (src / "trackers" / "b.nbi.123.tmp").write_text("half a file")
    dst = tmp_path / "cache" / "numba-x"
    assert nb.seed_from_bundle(str(dst), str(src))
    got = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert got == sorted(["a.nbi", "a.1.nbc", "trackers/b.nbi", "warm/sort", nb.PORTABLE_MARKER,
                          nb.COMPILED_MARKER])
    assert (dst / "trackers" / "b.nbi").read_bytes() == b"contents of trackers/b.nbi"
    assert json.loads((dst / nb.COMPILED_MARKER).read_text())["portable"] is True


def test_a_cache_that_holds_kernels_or_a_record_is_not_seeded(tmp_path):
    src = _bundle(tmp_path / "bundle")
    dst = tmp_path / "cache"
    (dst / "io").mkdir(parents=True)
    (dst / "io" / "mine.nbi").write_bytes(b"this CPU's kernel")
    assert not nb.seed_from_bundle(str(dst), str(src))
    assert not (dst / nb.PORTABLE_MARKER).exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / nb.COMPILED_MARKER).write_text("{}")
    assert not nb.seed_from_bundle(str(other), str(src))
    assert not (other / "a.nbi").exists()
    assert not nb.seed_from_bundle(str(tmp_path / "third"), None)


def test_an_interrupted_copy_leaves_no_compiled_record(tmp_path, monkeypatch):
    src = _bundle(tmp_path / "bundle")
    dst = tmp_path / "cache"
    calls = []
    real = shutil.copyfile

    def failing(a, b, *args, **kw):
        calls.append(a)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(a, b, *args, **kw)

    monkeypatch.setattr(shutil, "copyfile", failing)
    with pytest.warns(RuntimeWarning, match="could not copy the bundled kernels"):
        assert not nb.seed_from_bundle(str(dst), str(src))
    assert not (dst / nb.COMPILED_MARKER).exists()
    assert not (dst / nb.PORTABLE_MARKER).exists()
    assert not [p for p in dst.rglob("*.tmp")]


def _run(code_args, **env_extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES",
                        "MOTTRACK_COMPILE_NOTICE", "MOTTRACK_BUNDLE")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra)
    r = subprocess.run([sys.executable, "-c", KERNEL, *code_args], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


# Justified: numba is a run-time dependency (CI installs it, so this always runs there); the
# suite also works where numba fails to import, and then there is no compiled kernel to bundle.
@pytest.mark.skipif(nb.numba is None, reason="needs numba: the bundle holds numba's compiled kernels")
def test_seeded_portable_kernels_load_without_compiling(tmp_path):
    """A real bundle: a kernel compiled for the portable CPU into one folder, recorded as a
    portable compile; copied into an empty cache, a process on that CPU loads it (no compile)."""
    bundle_root = tmp_path / "bundle"
    built = _run([], MOTTRACK_CACHE_DIR=str(bundle_root), **PORTABLE_ENV)
    assert built["misses"] == 1 and built["result"] == 2
    (Path(built["cache"]) / nb.COMPILED_MARKER).write_text(json.dumps(_record()))
    (Path(built["cache"]) / nb.PORTABLE_MARKER).write_text("generic\n")
    got = _run([str(bundle_root)], MOTTRACK_CACHE_DIR=str(tmp_path / "user"), **PORTABLE_ENV)
    assert got["seeded"] is True and got["cache"].startswith(str(tmp_path / "user"))
    assert (got["result"], got["hits"], got["misses"]) == (2, 1, 0)


PROCESS = r"""
import json, sys
if "numba-first" in sys.argv:
    import numba  # noqa: F401  (before mottrack: the portable CPU can no longer be chosen)
import numpy as np
import mottrack._numba as nb
from mottrack.detections import count_degenerate
boxes = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 2.0, 5.0], [1.0, 1.0, 0.0, 3.0]])
print(json.dumps({"result": int(count_degenerate(boxes)), "seeded": nb.SEEDED, "portable": nb.PORTABLE,
                  "hits": sum(count_degenerate.stats.cache_hits.values()),
                  "misses": sum(count_degenerate.stats.cache_misses.values())}))
"""


# Justified: numba is a run-time dependency (CI installs it, so this always runs there); the
# suite also works where numba fails to import, and then there is no compiled kernel to bundle.
@pytest.mark.skipif(nb.numba is None, reason="needs numba: the bundle holds numba's compiled kernels")
def test_import_seeds_an_empty_cache_unless_told_not_to_or_numba_came_first(tmp_path):
    """The package's own bundle folder (mottrack/_kernels), with one real portable kernel in
    it: a fresh process seeds its empty cache and loads the kernel; ``MOTTRACK_BUNDLE=0`` or
    importing numba first leaves the cache alone (the kernel compiles for this CPU)."""
    root = Path(nb.BUNDLE_ROOT)
    if root.exists():  # a release wheel's own bundle is left as it is
        pytest.fail(f"{root} exists: run the tests against an install without bundled kernels")
    try:
        built = _run([], MOTTRACK_CACHE_DIR=str(root), **PORTABLE_ENV)
        assert built["misses"] == 1
        (Path(built["cache"]) / nb.COMPILED_MARKER).write_text(json.dumps(_record()))
        (Path(built["cache"]) / nb.PORTABLE_MARKER).write_text("generic\n")

        def run(cache, *args, **env):
            e = {k: v for k, v in os.environ.items()
                 if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES",
                              "MOTTRACK_BUNDLE")}
            e.update(PYTHONPATH=str(ROOT), MOTTRACK_CACHE_DIR=str(tmp_path / cache), **env)
            r = subprocess.run([sys.executable, "-c", PROCESS, *args], env=e, capture_output=True, text=True,
                               timeout=600)
            assert r.returncode == 0, r.stderr
            return json.loads(r.stdout.strip().splitlines()[-1])

        got = run("a")
        assert (got["seeded"], got["portable"], got["hits"], got["misses"]) == (True, True, 1, 0)
        got = run("b", MOTTRACK_BUNDLE="0")
        assert (got["seeded"], got["portable"], got["misses"]) == (False, False, 1)
        got = run("c", "numba-first")
        assert (got["seeded"], got["portable"], got["misses"]) == (False, False, 1)
        assert got["result"] == 2
    finally:
        shutil.rmtree(root, ignore_errors=True)



def test_a_cpu_lacking_a_feature_of_the_portable_cpu_is_named(monkeypatch):
    monkeypatch.setitem(nb._PORTABLE_FEATURES, nb.PORTABLE_CPU, ("sse2", "no-such-feature"))
    problem = nb.portable_cpu_problem()
    assert problem is not None and "no-such-feature" in problem and nb.PORTABLE_CPU in problem
    monkeypatch.setitem(nb._PORTABLE_FEATURES, nb.PORTABLE_CPU, ())
    assert nb.portable_cpu_problem() is None


# ----------------------------------------------------------------- 'compile' with a bundle
def _compile_setup(tmp_path, monkeypatch, targets=("sort", "decoders")):
    from mottrack import __main__ as cli
    monkeypatch.setitem(nb._PORTABLE_FEATURES, nb.PORTABLE_CPU, ())  # any CPU runs them here
    root = tmp_path / "wheel"
    _bundle(root, _record(targets=list(targets)))
    monkeypatch.setattr(nb, "BUNDLE_ROOT", str(root))
    target = tmp_path / "cache" / f"numba-{nb.SOURCE_HASH}"
    target.mkdir(parents=True)
    return cli, str(target)


def test_compile_fills_an_empty_cache_from_the_bundle_then_keeps_it(tmp_path, monkeypatch):
    cli, target = _compile_setup(tmp_path, monkeypatch)
    stages = cli.compile_stages(["sort"], True)
    assert cli._from_bundle(target, stages, {}) == "copied them into the cache"
    assert (Path(target) / "trackers" / "b.nbi").read_bytes() == b"contents of trackers/b.nbi"
    assert json.loads((Path(target) / nb.COMPILED_MARKER).read_text())["portable"] is True
    assert cli._from_bundle(target, stages, {}) == "the cache holds them already"


def test_compile_does_not_take_a_bundle_it_cannot_use(tmp_path, monkeypatch):
    cli, target = _compile_setup(tmp_path, monkeypatch)
    # a target the bundle lacks
    assert cli._from_bundle(target, cli.compile_stages(["bytetrack"], True), {}) is None
    # a child process told to compile for another CPU
    stages = cli.compile_stages(["sort"], True)
    assert cli._from_bundle(target, stages, {"NUMBA_CPU_NAME": "skylake"}) is None
    assert cli._from_bundle(target, stages, {"NUMBA_CPU_FEATURES": "+avx512f"}) is None
    # a cache holding this CPU's kernels and their record
    (Path(target) / "x.nbi").write_bytes(b"host kernel")
    (Path(target) / nb.COMPILED_MARKER).write_text(json.dumps(_record(portable=False, cpu="znver3")))
    assert cli._from_bundle(target, stages, {}) is None
    assert not (Path(target) / nb.PORTABLE_MARKER).exists()
    # no bundle at all
    monkeypatch.setattr(nb, "BUNDLE_ROOT", str(tmp_path / "none"))
    assert cli._from_bundle(str(tmp_path / "empty"), stages, {}) is None


def test_host_compiles_undo_the_portable_cpu_this_process_chose(monkeypatch):
    monkeypatch.setattr(nb, "USER_CPU_ENV", {"NUMBA_CPU_NAME": None, "NUMBA_CPU_FEATURES": None})
    env = nb.host_cpu_env({"NUMBA_CPU_NAME": nb.PORTABLE_CPU, "NUMBA_CPU_FEATURES": "", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}
    monkeypatch.setattr(nb, "USER_CPU_ENV", {"NUMBA_CPU_NAME": "skylake", "NUMBA_CPU_FEATURES": None})
    assert nb.host_cpu_env({"NUMBA_CPU_NAME": nb.PORTABLE_CPU})["NUMBA_CPU_NAME"] == "skylake"


def test_compile_refuses_portable_and_host_together():
    from mottrack import __main__ as cli
    with pytest.raises(ValueError, match="--portable and --host"):
        cli.compile_cache(["sort"], portable=True, host=True, verify=False)
