"""Where a first run's compile time and memory go, per numba dispatcher.

Runs one target in this process, into the kernel cache named by ``MOTTRACK_CACHE_DIR``
(give it an empty folder to see every compile), with a listener on numba's
``numba:compile`` and ``numba:run_pass`` events:

* per dispatcher (kernel): signatures compiled, CPU seconds inclusive of the kernels it
  pulled in (callees not yet compiled are compiled while the caller is typed) and
  exclusive of them, split into type inference, lowering (LLVM IR, LLVM optimisation and
  machine code) and the rest of numba's passes; plus the CPU seconds of writing it to
  the cache and the resident memory (MB) it added;
* the target's total CPU seconds, the part spent compiling, and the peak RSS.

``python eval/profile_kernels.py TARGET [--json FILE]`` with TARGET a registered tracker
name (the synthetic streams of ``python -m mottrack compile``), ``decoders``,
``metrics`` (score every tracker's results of the embedded default: the evaluator's
metric kernels), ``analytics`` (line counter and zone monitor) or ``eval`` (the whole
``python -m mottrack.eval`` main job, in this process).  ``eval/bench_startup.py
--kernels`` runs every target in a fresh process each and writes the combined list.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

if __name__ == "__main__" and not os.environ.get("MOTTRACK_PROFILE_INSTALLED"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's mottrack


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class KernelProfile:
    """Listener on numba's compile and pass events (CPU time of this process)."""

    def __init__(self) -> None:
        self.stack: list[dict] = []
        self.kernels: dict[str, dict] = defaultdict(lambda: {
            "signatures": 0, "inclusive_s": 0.0, "exclusive_s": 0.0, "typing_s": 0.0,
            "lowering_s": 0.0, "other_s": 0.0, "numba_impls_s": 0.0, "cache_save_s": 0.0, "rss_added_mb": 0.0,
            "passes": {}})

    @staticmethod
    def name_of(dispatcher) -> str:
        f = dispatcher.py_func
        return f"{f.__module__}.{f.__qualname__}"

    def on_start(self, event) -> None:
        frame = {"kind": event.kind, "t": time.process_time(), "child": 0.0, "rss": _rss_mb(),
                 "child_rss": 0.0}
        if event.kind == "numba:compile":
            frame["name"] = self.name_of(event.data["dispatcher"])
            frame["ours"] = frame["name"].startswith("mottrack")
        else:
            frame["name"] = event.data["name"].split(" [", 1)[0]
        self.stack.append(frame)

    def on_end(self, event) -> None:
        fr = self.stack.pop()
        dt = time.process_time() - fr["t"]
        excl = dt - fr["child"]
        if fr["kind"] == "numba:compile" and not fr["ours"]:
            # numba's own implementations (np.empty, sorting, ...) count for the kernel using them
            for parent in reversed(self.stack):
                if parent["kind"] == "numba:compile":
                    if parent["ours"]:
                        self.kernels[parent["name"]]["numba_impls_s"] += dt
                    break
                parent["child"] += dt  # not in the pass times of the kernel
            return
        if fr["kind"] == "numba:compile":
            k = self.kernels[fr["name"]]
            k["signatures"] += 1
            k["inclusive_s"] += dt
            k["exclusive_s"] += excl
            drss = _rss_mb() - fr["rss"]
            k["rss_added_mb"] += drss - fr["child_rss"]
            # the caller (and its passes under way) exclude the callee compiles nested in them
            for parent in reversed(self.stack):
                parent["child"] += dt
                parent["child_rss"] += drss
                if parent["kind"] == "numba:compile" and parent["ours"]:
                    break
        else:
            comp = next((f for f in reversed(self.stack) if f["kind"] == "numba:compile"), None)
            if comp is None or not comp["ours"]:
                return  # a pass of numba's own implementation: in numba_impls_s
            k = self.kernels[comp["name"]]
            name = fr["name"]
            if "lowering" in name:
                k["lowering_s"] += excl
            elif "type_inference" in name:
                k["typing_s"] += excl
            else:
                k["other_s"] += excl
            k["passes"][name] = k["passes"].get(name, 0.0) + excl  # every pass, by name
            if self.stack and self.stack[-1]["kind"] == "numba:run_pass":
                self.stack[-1]["child"] += dt  # a pass run inside a pass (inlining): not twice

    def notify(self, event) -> None:
        if event.is_start:
            self.on_start(event)
        else:
            self.on_end(event)


def install() -> KernelProfile:
    """Register a :class:`KernelProfile` on numba's events and time cache writes."""
    from numba.core import caching, event

    prof = KernelProfile()
    lst = type("_L", (event.Listener,), {"on_start": lambda s, e: prof.on_start(e),
                                         "on_end": lambda s, e: prof.on_end(e)})()
    event.register("numba:compile", lst)
    event.register("numba:run_pass", lst)
    orig = caching.Cache.save_overload

    def save_overload(self, sig, data):
        t = time.process_time()
        try:
            return orig(self, sig, data)
        finally:
            f = self._py_func
            prof.kernels[f"{f.__module__}.{f.__qualname__}"]["cache_save_s"] += time.process_time() - t

    caching.Cache.save_overload = save_overload  # type: ignore[method-assign]
    return prof


def run_target(target: str) -> None:
    """Run ``target`` (see the module docstring) in this process."""
    import mottrack.__main__ as m
    from mottrack.registry import available_trackers
    if target == "decoders":
        m.warm_decoders()
    elif target == "metrics":
        from mottrack.eval.datasets import default_sequences
        from mottrack.eval.scoring import score_one
        from mottrack.eval.warm import gt_as_results
        for s in default_sequences(0):  # each gt scored as results: every metric kernel runs
            score_one(s, gt_as_results(s))
    elif target == "analytics":
        _warm_analytics()
    elif target == "eval":
        from mottrack.eval.cli import main
        code = main(["--no-progress", "-q"])
        if code:
            raise SystemExit(code)
    elif target in available_trackers():
        m.warm_tracker(target)
    else:
        raise SystemExit(f"unknown target {target!r}: a tracker name, decoders, metrics, "
                         "analytics or eval")


def _warm_analytics() -> None:
    import numpy as np

    from mottrack.analytics import LineCounter, ZoneMonitor
    lc = LineCounter((0.0, 100.0), (500.0, 100.0))
    zm = ZoneMonitor([(0.0, 0.0), (300.0, 0.0), (300.0, 300.0), (0.0, 300.0)])
    for f in range(20):
        rows = np.array([[10.0 + 5 * f, 50.0 + 5 * f, 40.0 + 5 * f, 90.0 + 5 * f, 1.0, 0.9, 0.0, 0.0],
                         [200.0, 200.0 - 3 * f, 240.0, 260.0 - 3 * f, 2.0, 0.8, 1.0, 1.0]])
        lc.update(rows)
        zm.update(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("target")
    p.add_argument("--json", metavar="FILE", help="write the per-kernel list as JSON")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    import mottrack._numba  # noqa: F401 - the cache locator first
    prof = install()
    c0 = time.process_time()
    run_target(args.target)
    cpu = time.process_time()
    rows = sorted(prof.kernels.items(), key=lambda kv: -kv[1]["exclusive_s"])
    doc = {"target": args.target, "cpu_s": cpu, "run_cpu_s": cpu - c0,
           "compile_cpu_s": sum(k["exclusive_s"] + k["cache_save_s"] for _, k in rows),
           "peak_rss_mb": _peak_mb(), "kernels": dict(rows)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    print(f"{args.target}: {cpu:.1f} s CPU (compiling {doc['compile_cpu_s']:.1f} s), "
          f"peak RSS {doc['peak_rss_mb']:.0f} MB, {len(rows)} kernels compiled")
    print(f"  {'kernel':<46} {'sigs':>4} {'excl s':>7} {'typing':>7} {'lower':>7} {'numba':>7} {'save':>6} {'+MB':>6}")
    for name, k in rows[:args.top]:
        print(f"  {name.replace('mottrack.', ''):<46} {k['signatures']:>4} {k['exclusive_s']:7.2f} "
              f"{k['typing_s']:7.2f} {k['lowering_s']:7.2f} {k['numba_impls_s']:7.2f} "
              f"{k['cache_save_s']:6.2f} {k['rss_added_mb']:6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
