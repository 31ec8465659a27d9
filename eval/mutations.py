"""Hand-listed mutations of the code under test, and the tests that must catch each one.

Each mutation replaces one exact snippet of a source file (a plausible bug), runs the named
tests in a fresh process, and restores the file.  A mutation is *caught* when the tests fail.
The tests run with ``NUMBA_DISABLE_JIT=1`` (every kernel as its pure-Python twin), so no
compiled cache can hide an edit and no kernel is compiled.

    python eval/mutations.py [--out eval/results/mutations.md] [NAME ...]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (name, file, exact old snippet, replacement, tests, what the bug is)
MUTATIONS = [
    ("cascade-reversed", "mottrack/trackers/deepsort.py",
     "levels[n_conf] = max(lv, 1) * (n + 1) + t",
     "levels[n_conf] = (1000 - max(lv, 1)) * (n + 1) + t",
     ["tests/test_deepsort.py::test_cascade_prefers_the_more_recently_seen_track"],
     "DeepSORT's cascade visits the least recently seen tracks first"),
    ("cascade-flat", "mottrack/trackers/deepsort.py",
     "levels[n_conf] = max(lv, 1) * (n + 1) + t",
     "levels[n_conf] = 1 * (n + 1) + t",
     ["tests/test_deepsort.py::test_cascade_prefers_the_more_recently_seen_track"],
     "DeepSORT matches all confirmed tracks in one assignment (no cascade)"),
    ("deepsort-reports-tentative", "mottrack/trackers/deepsort.py",
     "if ints[t, STATE] == CONFIRMED and floats[t, TSU] <= dt:",
     "if floats[t, TSU] <= dt:",
     ["tests/test_deepsort.py::test_many_objects_random_stream_invariants"],
     "DeepSORT reports tentative tracks"),
    ("deepsort-confirms-early", "mottrack/trackers/deepsort.py",
     "if ints[t, STATE] == TENTATIVE and ints[t, HITS] >= n_init:",
     "if ints[t, STATE] == TENTATIVE and ints[t, HITS] >= n_init - 1:",
     ["tests/test_deepsort.py::test_many_objects_random_stream_invariants"],
     "DeepSORT confirms a track one detection early"),
    ("bytetrack-no-duplicate-removal", "mottrack/trackers/bytetrack.py",
     "if 1.0 - de_v[e] < DUPLICATE_THRESH:",
     "if 1.0 - de_v[e] < -1.0:",
     ["tests/test_bytetrack.py::test_duplicate_removal_drops_the_younger_tracked_track",
      "tests/test_bytetrack.py::test_duplicate_removal_drops_the_younger_lost_track"],
     "ByteTrack never removes duplicates between the tracked and lost pools"),
    ("bytetrack-duplicate-keeps-younger", "mottrack/trackers/bytetrack.py",
     "if time_p > time_q + TIME_EPS:",
     "if time_p < time_q - TIME_EPS:",
     ["tests/test_bytetrack.py::test_duplicate_removal_drops_the_younger_tracked_track",
      "tests/test_bytetrack.py::test_duplicate_removal_drops_the_younger_lost_track"],
     "ByteTrack's duplicate removal drops the track followed for longer"),
    ("budget-factor-inverted", "mottrack/eval/budget.py",
     'factor=float(d["reference_ms"]) / host_reference_ms',
     'factor=host_reference_ms / float(d["reference_ms"])',
     ["tests/test_budget.py::test_calibrate_writes_a_loadable_profile"],
     "a calibration record's factor is host / target instead of target / host"),
    ("mot-import-breaks", "mottrack/io/mot.py",
     "import configparser\n",
     "import configparser\nimport _mottrack_missing_dependency  # noqa\n",
     ["tests/test_fuzz_mot.py"],
     "mottrack.io.mot fails to import (the fuzz tests used to skip then)"),
    ("seqinfo-decode-error", "mottrack/io/mot.py",
     'raise MotFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None',
     "raise",
     ["tests/test_fuzz_mot.py::test_seqinfo"],
     "read_seqinfo lets a UnicodeDecodeError out (no file name)"),
    ("sort-predict-ignores-dt", "mottrack/trackers/sort.py",
     "    xysr_predict(mean, cov, n, dt)\n",
     "    xysr_predict(mean, cov, n, 1.0)\n",
     ["tests/test_sort.py::test_timestamps_drive_age_limits_and_motion"],
     "SORT's Kalman step is one nominal frame whatever the elapsed time (ages still count time)"),
    ("sort-per-class-ignored", "mottrack/trackers/sort.py",
     "per_class = params[3] != 0.0",
     "per_class = False",
     ["tests/test_properties.py::test_output_contract"],
     "SORT with per_class=True matches detections of other classes"),
    ("module-level-cache", "mottrack/geometry.py",
     "__all__ = [",
     "_CACHE = {}\n\n\ndef _remember(key, value):\n    _CACHE[key] = value\n\n\n__all__ = [",
     ["tests/test_concurrency.py::test_no_module_level_mutable_state"],
     "a module-level cache dict (upper-case name) that code writes into"),
    ("load-state-clears-first", "mottrack/state.py",
     "    restored = from_state(state, type(tracker))\n",
     "    tracker.__dict__.pop('frame_count', None)\n    restored = from_state(state, type(tracker))\n",
     ["tests/test_state.py::test_bad_state_is_rejected"],
     "load_state_dict changes the tracker before the state is validated"),
    ("update-no-rollback", "mottrack/trackers/base.py",
     "self.frame_count, self._last_timestamp, self.dropped_detections = frame_count, last, dropped",
     "pass",
     ["tests/test_deepsort.py::test_bad_input_rejected_and_state_kept",
      "tests/test_sort.py::test_bad_detections_leave_state_untouched"],
     "a rejected update() still advances the frame count and clock"),
    ("nms-ignores-class", "mottrack/geometry.py",
     "if suppressed[j] or classes[j] != classes[i]:",
     "if suppressed[j]:",
     ["tests/test_geometry.py::test_nms_hand_worked", "tests/test_larod.py::test_yolo_nms_is_class_aware_and_top_k"],
     "NMS suppresses boxes of other classes"),
]

# What the tests as they were before issue 15 (commit 7248b96) did with each mutation
# (run once by hand with the old test functions); "-" = no old test to compare.
BEFORE = {
    "cascade-reversed": "survived", "cascade-flat": "survived",
    "deepsort-reports-tentative": "caught", "deepsort-confirms-early": "survived",
    "bytetrack-no-duplicate-removal": "survived", "bytetrack-duplicate-keeps-younger": "survived",
    "budget-factor-inverted": "survived (x / x == 1)", "mot-import-breaks": "survived (all skipped)",
    "seqinfo-decode-error": "survived", "sort-predict-ignores-dt": "survived",
    "sort-per-class-ignored": "survived (property test)", "module-level-cache": "survived",
    "load-state-clears-first": "survived", "update-no-rollback": "caught", "nms-ignores-class": "caught",
}


def run(names: list[str], out: Path | None) -> int:
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    rows, bad = [], 0
    chosen = [m for m in MUTATIONS if not names or m[0] in names]
    if not chosen:
        print(f"no mutation named {names}")
        return 2
    tests_all = sorted({t for m in chosen for t in m[4]})
    base = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests_all],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if base.returncode != 0:
        print(base.stdout[-3000:], base.stderr[-2000:])
        print("the tests fail without any mutation; fix them first")
        return 1
    for name, rel, old, new, tests, what in chosen:
        path = ROOT / rel
        src = path.read_text()
        if src.count(old) != 1:
            rows.append((name, rel, what, tests, f"NOT APPLIED: snippet found {src.count(old)} times"))
            bad += 1
            continue
        t0 = time.perf_counter()
        try:
            path.write_text(src.replace(old, new))
            p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                               cwd=ROOT, env=env, capture_output=True, text=True)
        finally:
            path.write_text(src)
        caught = p.returncode in (1, 2)  # failed, or a collection error
        status = "caught" if caught else f"SURVIVED (pytest exit {p.returncode})"
        bad += not caught
        rows.append((name, rel, what, tests, status))
        print(f"{name:32s} {status}  ({time.perf_counter() - t0:.1f} s)")
    text = render(rows)
    if out:
        out.write_text(text)
    else:
        print(text)
    return 1 if bad else 0


def render(rows) -> str:
    lines = ["# Mutations and the tests that catch them", "",
             "Generated by `python eval/mutations.py --out eval/results/mutations.md`: each row is one",
             "plausible bug planted in the code under test (an exact snippet replaced, see",
             "`eval/mutations.py`), the tests run with `NUMBA_DISABLE_JIT=1`, then the file restored.",
             "The last column is what the tests did before issue 15 (the old test functions).",
             "", "| mutation | file | the bug | tests | result | before |", "|---|---|---|---|---|---|"]
    for name, rel, what, tests, status in rows:
        t = "<br>".join(f"`{x.split('::')[-1]}`" for x in tests)
        lines.append(f"| {name} | `{rel}` | {what} | {t} | {status} | {BEFORE.get(name, '-')} |")
    caught = sum(r[4] == "caught" for r in rows)
    lines += ["", f"{caught} of {len(rows)} mutations caught.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="run only these mutations")
    ap.add_argument("--out", type=Path, help="write the markdown table here")
    a = ap.parse_args()
    sys.exit(run(a.names, a.out))
