"""Where compiled kernels are cached: read-only installs must still cache, edits must not go stale."""
from __future__ import annotations

import os

import mottrack._numba as nb


def test_source_hash_changes_with_the_sources(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(nb, "_PKG_DIR", str(pkg))
    first = nb._source_hash()
    assert nb._source_hash() == first
    (pkg / "a.py").write_text("x = 2\n")
    assert nb._source_hash() != first


def test_read_only_package_caches_in_a_user_directory(tmp_path, monkeypatch):
    pkg = tmp_path / "site-packages" / "mottrack"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(nb, "_PKG_DIR", str(pkg))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("MOTTRACK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    real = nb._writable_dir
    # root can write anywhere, so simulate a read-only package directory
    monkeypatch.setattr(nb, "_writable_dir", lambda p: False if p.startswith(str(pkg)) else real(p))
    chosen = nb.cache_dir()
    assert chosen.startswith(str(tmp_path / "xdg" / "mottrack"))
    assert os.path.basename(chosen) == "numba-" + nb._source_hash()


def test_numba_cache_dir_is_honoured(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTTRACK_CACHE_DIR", raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nc"))
    chosen = nb.cache_dir()
    assert chosen.startswith(str(tmp_path / "nc" / "mottrack"))


def test_mottrack_cache_dir_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nc"))
    monkeypatch.setenv("MOTTRACK_CACHE_DIR", str(tmp_path / "mc"))
    assert nb.cache_dir() == str(tmp_path / "mc" / ("numba-" + nb._source_hash()))


def test_a_compiled_cache_is_preferred_to_an_empty_one(tmp_path, monkeypatch):
    # e.g. an image with a cache baked in under XDG_CACHE_HOME while the package dir is writable
    monkeypatch.delenv("MOTTRACK_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    baked = tmp_path / "xdg" / "mottrack" / ("numba-" + nb._source_hash())
    assert nb.cache_dir() != str(baked)
    baked.mkdir(parents=True)
    (baked / nb.COMPILED_MARKER).write_text("{}")
    assert nb.cache_dir() == str(baked)


def test_mottrack_cache_dir_wins_over_a_compiled_cache_elsewhere(tmp_path, monkeypatch):
    # compile --cache-dir DIR (and a user's explicit folder) must not land in a baked cache
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    baked = tmp_path / "xdg" / "mottrack" / ("numba-" + nb._source_hash())
    baked.mkdir(parents=True)
    (baked / nb.COMPILED_MARKER).write_text("{}")
    monkeypatch.setenv("MOTTRACK_CACHE_DIR", str(tmp_path / "mine"))
    assert nb.cache_dir() == str(tmp_path / "mine" / ("numba-" + nb._source_hash()))


def test_kernels_are_cached():
    from mottrack.geometry import overlap_edges
    assert overlap_edges._cache is not None and type(overlap_edges._cache).__name__ != "NullCache"
