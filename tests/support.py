"""Helpers shared by several test modules (one place; test modules never import each other).

* :func:`trackeval_scores` / :func:`assert_matches_trackeval`: the TrackEval package as the
  oracle of the evaluator's metrics (every field it reports, per sequence and combined);
* :func:`write_mot_seq`: a small MOTChallenge sequence folder (gt, det, seqinfo.ini);
* :func:`run_limited`: a check in a child process under ``RLIMIT_AS`` (so a blow-up or a
  crash fails the test instead of taking pytest down), optionally ``RLIMIT_CPU``, and
  :func:`fuzz_settings`.

The fuzzers, the crash-isolation runs and the memory checks bound their work by counts
(examples, frames, threads) and memory only; their timeout is a hang guard (an hour), not a
budget.  A CPU-time limit is a bound on work expressed in seconds, so it depends on the
host's speed: only the three tests that check a cost is not quadratic or cubic carry one
(``test_ocsort.py::test_thousands_of_detections_a_frame_fit_a_cpu_budget``,
``test_bad_input.py::test_deepsort_iou_stage_cost_is_not_quadratic``,
``test_fuzz_readers.py::test_tflite_repeated_and_shared_tensors_cost_linear_time_and_memory``),
and they are marked ``slow_host_sensitive`` (registered in pyproject.toml); slow or emulated
hosts (``eval/arm64_check.sh``) deselect them with ``-m "not slow_host_sensitive"``.  No other
test depends on time.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import types
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import pytest


def _trackeval():
    import trackeval  # the oracle is in the [test] extra: missing means failing, not skipping
    for alias, typ in (("float", float), ("int", int), ("bool", bool)):
        if not hasattr(np, alias):  # numpy 2 removed these aliases; TrackEval may use them
            setattr(np, alias, typ)
    return trackeval


def trackeval_metrics() -> List[Any]:
    """TrackEval's HOTA, CLEAR and Identity metric objects (quiet)."""
    te = _trackeval()
    return [te.metrics.HOTA(), te.metrics.CLEAR({"PRINT_CONFIG": False}),
            te.metrics.Identity({"PRINT_CONFIG": False})]


def trackeval_scores(gt_folder: Path, trackers_folder: Path, tracker: str, benchmark: str,
                     seqs: List[str], combined: bool = False) -> Dict[str, Dict[str, Any]]:
    """TrackEval's MotChallenge2DBox results ``{seq: {field: value}}`` for ``seqs`` of
    ``gt_folder/<SEQ>`` against ``trackers_folder/<tracker>/<SEQ>.txt``; with ``combined``
    also ``"COMBINED"`` (TrackEval's ``combine_sequences`` of every metric)."""
    te = _trackeval()
    cfg = te.datasets.MotChallenge2DBox.get_default_dataset_config()
    cfg.update({
        "GT_FOLDER": str(gt_folder), "TRACKERS_FOLDER": str(trackers_folder),
        "TRACKERS_TO_EVAL": [tracker], "TRACKER_SUB_FOLDER": "", "BENCHMARK": benchmark,
        "SKIP_SPLIT_FOL": True, "SEQ_INFO": {s: None for s in seqs}, "PRINT_CONFIG": False,
        "OUTPUT_FOLDER": None,
    })
    ds = te.datasets.MotChallenge2DBox(cfg)
    metrics = trackeval_metrics()
    per: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for s in seqs:
        data = ds.get_preprocessed_seq_data(ds.get_raw_seq_data(tracker, s), "pedestrian")
        per[s] = {m.get_name(): m.eval_sequence(data) for m in metrics}
    out = {s: {k: v for r in res.values() for k, v in r.items()} for s, res in per.items()}
    if combined:
        comb: Dict[str, Any] = {}
        for m in metrics:
            comb.update(m.combine_sequences({s: per[s][m.get_name()] for s in seqs}))
        out["COMBINED"] = comb
    return out


def assert_matches_trackeval(ours, theirs: Dict[str, Any]) -> None:
    """Every field TrackEval reports for one sequence (or COMBINED) equals ours: HOTA, DetA,
    AssA, DetRe, DetPr, AssRe, AssPr, LocA and OWTA per alpha; IDF1, IDP, IDR and the ID
    counts; MOTA, MOTP and the CLEAR counts."""
    h = ours.hota
    arrays = {"HOTA": h.hota_alpha, "DetA": h.det_a_alpha, "AssA": h.ass_a, "DetRe": h.det_re,
              "DetPr": h.det_pr, "AssRe": h.ass_re, "AssPr": h.ass_pr, "LocA": h.loc_a_alpha,
              "OWTA": h.owta_alpha}
    for k, v in arrays.items():
        np.testing.assert_allclose(v, theirs[k], rtol=0, atol=1e-12, err_msg=k)
    assert h.hota == pytest.approx(np.mean(theirs["HOTA"]), abs=1e-9)
    np.testing.assert_array_equal(h.tp, theirs["HOTA_TP"])
    np.testing.assert_array_equal(h.fn, theirs["HOTA_FN"])
    np.testing.assert_array_equal(h.fp, theirs["HOTA_FP"])
    i = ours.identity
    assert (i.idtp, i.idfn, i.idfp) == (theirs["IDTP"], theirs["IDFN"], theirs["IDFP"])
    for mine, key in ((i.idf1, "IDF1"), (i.idp, "IDP"), (i.idr, "IDR")):
        assert mine == pytest.approx(theirs[key], abs=1e-12), key
    c = ours.clear
    assert c.mota == pytest.approx(theirs["MOTA"], abs=1e-9)
    assert c.motp == pytest.approx(theirs["MOTP"], abs=1e-9)
    assert (c.tp, c.fp, c.fn, c.idsw, c.mt, c.pt, c.ml, c.frag) == (
        theirs["CLR_TP"], theirs["CLR_FP"], theirs["CLR_FN"], theirs["IDSW"], theirs["MT"],
        theirs["PT"], theirs["ML"], theirs["Frag"])


def write_mot_seq(root: Path, name: str, n_frames: int = 30, seed: int = 0, classes: bool = True):
    """``root/train/<name>``: three objects moving for ``n_frames`` frames, their gt, and
    detections with jitter and ~10 % misses (seeded)."""
    rng = np.random.default_rng(seed)
    d = root / "train" / name
    (d / "gt").mkdir(parents=True)
    (d / "det").mkdir()
    (d / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\n"
                                   f"seqLength={n_frames}\nimWidth=640\nimHeight=480\nimExt=.jpg\n")
    gt, det = [], []
    for oid, (x0, y0, vx) in enumerate([(50, 100, 3), (300, 120, -2), (400, 200, 1)], 1):
        for f in range(1, n_frames + 1):
            x = x0 + vx * f
            gt.append(f"{f},{oid},{x},{y0},40,90,1,1,1" if classes else f"{f},{oid},{x},{y0},40,90,1,-1,-1,-1")
            if rng.random() > 0.1:
                det.append(f"{f},-1,{x + rng.normal(0, 1):.2f},{y0 + rng.normal(0, 1):.2f},40,90,"
                           f"{rng.uniform(0.6, 1):.3f}")
    (d / "gt" / "gt.txt").write_text("\n".join(gt) + "\n")
    (d / "det" / "det.txt").write_text("\n".join(det) + "\n")
    return d


TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

_PRELUDE = """
import resource, sys
sys.path[:0] = [{root!r}, {tests!r}]

def _vm_bytes():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0

def raises_value_error(fn, *args, match="", **kwargs):
    try:
        fn(*args, **kwargs)
    except ValueError as exc:
        assert match in str(exc), exc
        return
    raise AssertionError(f"{{fn.__name__}} accepted the input")

def limit(mem_mb, cpu_s):
    if cpu_s is not None:
        used = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime
        resource.setrlimit(resource.RLIMIT_CPU, (int(used) + cpu_s, int(used) + cpu_s + 5))
    cap = _vm_bytes() + mem_mb * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
"""


def run_limited(body: str, *, mem_mb: int = 300, cpu_s: Optional[int] = None, timeout: float = 3600) -> str:
    """Run ``body`` in a fresh interpreter; it must call ``LIMIT()`` after its warm-up: from
    there on it may use ``mem_mb`` more address space and, with ``cpu_s`` (only in tests
    marked ``slow_host_sensitive``), that many CPU seconds.  ``timeout`` only catches a hang.
    Fails on a non-zero exit and names a signal (segfault, abort, SIGXCPU)."""
    code = _PRELUDE.format(root=str(ROOT), tests=str(TESTS)) + textwrap.dedent(body).replace(
        "LIMIT()", f"limit({mem_mb}, {cpu_s})")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                       cwd=str(ROOT), env=dict(os.environ, PYTHONHASHSEED="0"))
    if r.returncode < 0:
        sig = signal.Signals(-r.returncode).name
        why = " (CPU time limit: the work is not bounded by the input)" if sig == "SIGXCPU" else ""
        pytest.fail(f"child killed by {sig}{why}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    assert r.returncode == 0, f"child failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
    return r.stdout


def fuzz_settings(n):
    """Hypothesis settings of the fuzzers: ``n`` examples, derandomised, no deadline."""
    from hypothesis import HealthCheck, settings
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


class pure_python:
    """Swap every compiled function in every loaded mottrack module for its Python original.

    The originals look their callees up in module globals, which then hold the originals
    too, so the whole step runs uncompiled."""

    def __enter__(self):
        self.saved = []
        for m in [m for k, m in list(sys.modules.items()) if k == "mottrack" or k.startswith("mottrack.")]:
            for name, obj in list(vars(m).items()):
                if hasattr(obj, "py_func") and isinstance(obj.py_func, types.FunctionType):
                    self.saved.append((m, name, obj))
                    setattr(m, name, obj.py_func)
        return self

    def __exit__(self, *exc):
        for m, name, obj in self.saved:
            setattr(m, name, obj)


def expected_path_indices(n, max_path):
    """Closed form of the documented decimation rule (an oracle independent of the builder)."""
    s = 1
    while -(-n // s) >= max_path:
        s *= 2
    idx = list(range(0, n, s))
    return idx if idx[-1] == n - 1 else idx + [n - 1]
