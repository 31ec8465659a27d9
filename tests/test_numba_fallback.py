"""Without numba (missing, or failing to import) mottrack imports, warns once and runs the
pure-Python kernels with identical results; it never needs scipy, lap, motmetrics or tqdm
to track.  Each check runs in a subprocess where those imports are blocked
(tests/blocker/sitecustomize.py)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import shared_path

import mottrack
from mottrack.detections import Detections
from mottrack.registry import available_trackers, create_tracker, tracker_class

ROOT = Path(mottrack.__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
NOT_NEEDED = "numba,scipy,lap,motmetrics,tqdm,filterpy,matplotlib,pandas"


def _run(code: str, block: str, *args: str, timeout: float = 900, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CPU_NAME")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS / "blocker"), str(ROOT), str(TESTS)])
    env["MOTTRACK_BLOCK_IMPORTS"] = block
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, *args]
    return subprocess.run(cmd, cwd=cwd, env=env, check=False, capture_output=True, text=True, timeout=timeout)


IMPORT = r"""
import json, sys, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import mottrack, mottrack.trackers, mottrack.io, mottrack.state
    import mottrack._numba as nb
    from mottrack.kalman import xysr_predict
    from mottrack import assign
    import numpy as np
    t = mottrack.SORT(min_hits=1)
    t.update(np.array([[0, 0, 10, 10, 0.9]]))
    out = t.update(np.array([[1, 1, 11, 11, 0.9]]))
    m, ur, uc = assign(np.array([[1.0, 5.0], [5.0, 1.0], [3.0, 3.0]]), 4.0)
print(json.dumps({
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    "blocked_loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(","))),
    "plain_function": xysr_predict.py_func is xysr_predict and type(xysr_predict).__name__ == "function",
    "dispatchers": len(nb.dispatchers()), "track": out[:, :5].tolist(),
    "assign": [m.tolist(), ur.tolist(), uc.tolist()]}))
"""


def test_imports_and_tracks_with_numpy_alone():
    proc = _run(IMPORT, NOT_NEEDED, NOT_NEEDED)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(r["warnings"]) == 1, r["warnings"]
    (w,) = r["warnings"]
    assert w.startswith("RuntimeWarning: mottrack: numba is not usable") and "slower" in w and "identical" in w
    assert r["blocked_loaded"] == [] and r["plain_function"] and r["dispatchers"] == 0
    t = mottrack.SORT(min_hits=1)
    t.update(np.array([[0, 0, 10, 10, 0.9]]))
    assert np.array_equal(np.array(r["track"]), t.update(np.array([[1, 1, 11, 11, 0.9]]))[:, :5])
    # without lap and scipy, assign() solves with the compiled (here: Python) solver; a hand-worked
    # case: rows 0 and 1 take their cost-1 columns, row 2 (cost 3 < 4) is left over
    assert r["assign"] == [[[0, 0], [1, 1]], [2], []]


def test_a_broken_numba_is_reported_not_raised(tmp_path):
    broken = tmp_path / "numba"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('Numba needs NumPy 1.x (simulated)')\n")
    env = {k: v for k, v in os.environ.items() if k != "MOTTRACK_CACHE_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    proc = subprocess.run([sys.executable, "-W", "always", "-c",
                           "import mottrack; print(mottrack.SORT().update(None).shape)"],
                          env=env, check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(0, 8)"
    assert proc.stderr.count("RuntimeWarning") == 1 and "Numba needs NumPy 1.x (simulated)" in proc.stderr


def test_compile_command_says_there_is_nothing_to_compile():
    proc = _run("", "numba", "-m", "mottrack", "compile", "--trackers", "sort")
    assert proc.returncode == 1 and "numba is not usable" in proc.stderr


def test_reference_checks_pass_without_numba():
    shared_path("reference")  # skips when ../shared is absent
    tests = [f"{TESTS / 'test_sort_reference.py'}::test_sort_matches_reference[TUD-Campus]",
             f"{TESTS / 'test_bytetrack_reference.py'}::test_bytetrack_matches_reference[MOT15_thresh0.5-TUD-Campus]",
             f"{TESTS / 'test_deepsort_reference.py'}::test_deepsort_matches_reference[MOT17-05-FRCNN]"]
    # run from the tests directory: the package under test is the one this process imported
    proc = _run("", "numba,lap", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
                "ignore::RuntimeWarning", *tests, cwd=TESTS)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "3 passed" in proc.stdout and "skipped" not in proc.stdout


HASHES = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from test_numba_fallback import tracker_hashes
import mottrack._numba as nb
assert nb.numba is None
print(json.dumps(tracker_hashes(sys.argv[2])))
"""


def tracker_hashes(shared: str, n_frames: int = 80) -> dict:
    """SHA-256 of each registered tracker's outputs (default parameters) on the first
    ``n_frames`` of TUD-Campus, or of MOT17-05 with embeddings for trackers that take them."""
    det = np.loadtxt(os.path.join(shared, "data", "MOT15", "train", "TUD-Campus", "det", "det.txt"),
                     delimiter=",", ndmin=2)
    emb = np.load(os.path.join(shared, "data", "MOT17", "embeddings", "deepsort", "MOT17-05-FRCNN.npy"))
    out = {}
    for name in available_trackers():
        with_emb = getattr(tracker_class(name), "embeddings", "none") in ("optional", "required")
        src = emb if with_emb else det
        tracker = create_tracker(name)
        h = hashlib.sha256()
        for f in range(1, n_frames + 1):
            rows = src[src[:, 0] == f]
            boxes = rows[:, 2:6].copy()
            boxes[:, 2:] += boxes[:, :2]
            dets = Detections(boxes, rows[:, 6], embeddings=rows[:, 7:] if with_emb else None)
            h.update(np.ascontiguousarray(tracker.update(dets)).tobytes())
        out[name] = h.hexdigest()
    return out


def test_outputs_are_identical_without_numba():
    shared = str(shared_path("data"))[:-len("/data")]
    proc = _run(HASHES, "numba,lap,scipy", str(TESTS), shared)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pure = json.loads(proc.stdout.strip().splitlines()[-1])
    assert pure == tracker_hashes(shared)
    assert set(pure) == set(available_trackers())


def test_evaluator_without_its_extra_says_what_to_install():
    proc = _run("", "scipy,motmetrics", "-m", "mottrack.eval", "--no-budget")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ('python -m mottrack.eval needs the evaluator extra: '
                                   'pip install "mottrack[eval]" (missing: scipy, motmetrics)')
