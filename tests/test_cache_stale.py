"""Compiled kernels are never stale: editing a kernel that other modules inline (the shared
Kalman predict step) changes what a tracker computes in the next process, in a checkout-like
copy of the package, even when the edit keeps the file's size and modification time."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mottrack

PKG = Path(mottrack.__file__).resolve().parent
BLOCKER = Path(__file__).resolve().parent / "blocker"

RUN_SORT = r"""
import hashlib, json
import numpy as np
import mottrack, mottrack._numba as nb
from mottrack.__main__ import synthetic_frames, _kernel_stats
h = hashlib.sha256()
t = mottrack.SORT(min_hits=1)
for rows, _ in synthetic_frames():
    h.update(np.ascontiguousarray(t.update(rows)).tobytes())
compiled, loaded = _kernel_stats()
print(json.dumps({"sha": h.hexdigest(), "file": mottrack.__file__, "cache": nb.CACHE_DIR,
                  "compiled": len(compiled), "numba": nb.numba is not None}))
"""


def _run(src: Path, numba: bool = True) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "PYTHONPATH")}
    env["PYTHONPATH"] = str(src) if numba else os.pathsep.join([str(BLOCKER), str(src)])
    if not numba:
        env["MOTTRACK_BLOCK_IMPORTS"] = "numba"
    out = subprocess.run([sys.executable, "-c", RUN_SORT], cwd=src, env=env, check=False, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["file"].startswith(str(src)) and res["numba"] == numba
    return res


def test_editing_an_inlined_kernel_recompiles(tmp_path):
    src = tmp_path / "checkout"
    shutil.copytree(PKG, src / "mottrack", ignore=shutil.ignore_patterns("__pycache__"))
    (src / ".git").mkdir()  # a git checkout: the setting where kernels used to go stale
    kalman = src / "mottrack" / "kalman.py"

    before = _run(src)
    assert before["compiled"] > 0 and before["cache"].startswith(str(src / "mottrack" / "__pycache__"))
    assert _run(src, numba=False)["sha"] == before["sha"]

    # Same size, same mtime: predict positions backwards.  The edited function lives in
    # kalman.py; SORT's compiled step (in trackers/sort.py) inlines it.
    text = kalman.read_text()
    old = "    mean[t, k] += dt * mean[t, v]\n"
    assert text.count(old) == 1
    st = kalman.stat()
    kalman.write_text(text.replace(old, "    mean[t, k] -= dt * mean[t, v]\n"))
    os.utime(kalman, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert kalman.stat().st_size == st.st_size

    after = _run(src)
    assert after["sha"] != before["sha"]
    assert after["cache"] != before["cache"] and after["compiled"] > 0
    # and it is the edited code that ran: the pure-Python kernels of the edited copy agree
    assert _run(src, numba=False)["sha"] == after["sha"]


def test_cache_is_keyed_by_the_sources_in_this_checkout():
    import mottrack._numba as nb
    assert nb.CACHE_DIR is not None
    assert os.path.basename(nb.CACHE_DIR) == "numba-" + nb.SOURCE_HASH == "numba-" + nb._source_hash()
