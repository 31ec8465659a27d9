"""The evaluator's first run into an empty kernel cache compiles in child processes first,
says so in one line on stderr, and prints exactly the numbers of the next (warm) run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mottrack

ROOT = Path(mottrack.__file__).resolve().parents[1]


def _eval(cache: Path, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "MOTTRACK_COMPILE_NOTICE")}
    env.update(PYTHONPATH=str(ROOT), MOTTRACK_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "mottrack.eval", "--trackers", "sort", "--no-budget",
                           "--no-progress", "-q", "--json", str(out)],
                          env=env, cwd=ROOT, check=False, capture_output=True, text=True, timeout=1800)


def _metrics(path: Path) -> dict:
    doc = json.loads(path.read_text())
    return {n: {s: {k: v for k, v in m.items() if k != "FPS"} for s, m in t["sequences"].items()}
            for n, t in doc["trackers"].items()}


def test_first_run_compiles_in_children_then_runs_warm(tmp_path):
    first = _eval(tmp_path / "cache", tmp_path / "a.json")
    assert first.returncode == 0, first.stderr
    notes = [ln for ln in first.stderr.splitlines() if "first run with this kernel cache" in ln]
    assert len(notes) == 1 and "sort" in notes[0] and "metrics" in notes[0]
    (tag,) = (tmp_path / "cache").iterdir()
    assert sorted(p.name for p in (tag / "warm").iterdir()) == ["eval-metrics", "eval-sort-e0c0"]

    second = _eval(tmp_path / "cache", tmp_path / "b.json")
    assert second.returncode == 0, second.stderr
    assert "first run" not in second.stderr and "compiling" not in second.stderr
    assert _metrics(tmp_path / "a.json") == _metrics(tmp_path / "b.json")
    assert _metrics(tmp_path / "a.json")["sort"]  # it did score something
