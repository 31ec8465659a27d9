"""Reference counting and allocations per frame of a tracker's compiled kernels.

numba counts references to every array a compiled function holds: each ``NRT_incref`` /
``NRT_decref`` is a call and an atomic add, a few nanoseconds each, and on a small scene
a frame can make more than a thousand of them; each array a kernel creates is a
``malloc`` and a ``free``.  Neither shows in a profile of the compiled code (no symbols)
but both are counted exactly here:

* ``NRT_incref`` / ``NRT_decref`` calls: numba's own definitions of the two (LLVM IR
  built by ``numba.core.runtime.nrtdynmod``) are extended, before anything compiles,
  with a counter in the module;
* allocations: numba's runtime statistics (``NUMBA_NRT_STATS=1``, set here).

Usage::

    MOTTRACK_CACHE_DIR=$(mktemp -d) python eval/profile_refcounts.py bytetrack --data yolox

Give it an empty (or its own) kernel cache: kernels cached by a normal run hold the
uncounted definitions.  ``--data`` is ``mot15`` (SORT's MOT15 train detections) or
``yolox`` (the MOT17 YOLOX detections, every score); the tracker runs with its defaults
over every sequence twice, and the second pass is counted (the first compiles and warms).
Prints one line: frames, increfs, decrefs and allocations per frame.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MOTTRACK_SHARED", ROOT.parent / "shared"))
COUNTERS = ("mottrack_incref_calls", "mottrack_decref_calls")


def _count_refcount_calls() -> None:
    """Make numba's NRT_incref / NRT_decref bump a counter (call before compiling)."""
    import numba.core.runtime.nrtdynmod as nrtdynmod
    from llvmlite import ir

    def counted(define, fname, gname):
        def define_counted(module, atomic):
            define(module, atomic)
            fn = module.get_global(fname)
            counter = ir.GlobalVariable(module, ir.IntType(64), gname)
            counter.initializer = ir.Constant(ir.IntType(64), 0)
            counter.linkage = "linkonce_odr"
            builder = ir.IRBuilder(fn.blocks[0])
            builder.position_at_start(fn.blocks[0])
            builder.store(builder.add(builder.load(counter), ir.Constant(ir.IntType(64), 1)), counter)
        return define_counted

    nrtdynmod._define_nrt_incref = counted(nrtdynmod._define_nrt_incref, "NRT_incref", COUNTERS[0])
    nrtdynmod._define_nrt_decref = counted(nrtdynmod._define_nrt_decref, "NRT_decref", COUNTERS[1])


def _counts() -> tuple:
    """(increfs, decrefs, allocations) so far."""
    from numba.core.registry import cpu_target
    from numba.core.runtime import rtsys
    engine = cpu_target.target_context.codegen()._engine._ee
    refs = [ctypes.c_int64.from_address(engine.get_global_value_address(g)).value for g in COUNTERS]
    return refs[0], refs[1], rtsys.get_allocation_stats().alloc


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tracker", help="a registered tracker name (sort, bytetrack, ocsort, ...)")
    ap.add_argument("--data", default="yolox", choices=("mot15", "yolox"))
    args = ap.parse_args(argv)
    if not os.environ.get("MOTTRACK_CACHE_DIR"):
        raise SystemExit("profile_refcounts: set MOTTRACK_CACHE_DIR to an empty folder (see the docs)")
    os.environ["NUMBA_NRT_STATS"] = "1"
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "eval"))
    _count_refcount_calls()
    import numpy as np
    import mottrack
    from bench_trackers import mot_frames

    pattern = ("data/MOT15/train", "*/det/det.txt") if args.data == "mot15" else \
        ("data/MOT17/dets/yolox_x_ablation", "*.txt")
    seqs = [mot_frames(p) for p in sorted((SHARED / pattern[0]).glob(pattern[1]))]
    if not seqs:
        raise SystemExit(f"profile_refcounts: no {args.data} detections under {SHARED / pattern[0]}")
    embedding = np.full((1, 128), 128 ** -0.5)
    # Trackers that require embeddings (the registry's fact) get one constant unit vector each.
    needs_embeddings = mottrack.tracker_class(args.tracker).embeddings == "required"

    def run() -> int:
        n = 0
        for frames in seqs:
            tracker = mottrack.create_tracker(args.tracker)
            for boxes, _ in frames:
                if needs_embeddings:
                    tracker.update(mottrack.Detections(boxes[:, :4], boxes[:, 4],
                                                       embeddings=np.repeat(embedding, len(boxes), 0)))
                else:
                    tracker.update(boxes)
                n += 1
        return n

    run()
    before = _counts()
    n = run()
    inc, dec, alloc = (a - b for a, b in zip(_counts(), before))
    print(f"{args.tracker} {args.data}: {n} frames; per frame {inc / n:.1f} increfs, {dec / n:.1f} decrefs, "
          f"{alloc / n:.1f} allocations")


if __name__ == "__main__":
    main()
