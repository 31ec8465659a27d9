"""libmottrack (native/, the C library) beside the numba path: speed, memory, size, start-up.

Measured (a benchmark, never asserted by tests; ratios are what to compare, the machine is
shared and noisy):

- per-frame ``update()`` time of SORT, ByteTrack, BoT-SORT, OC-SORT and Hybrid-SORT in C
  (``native/build/mt_bench``, called from C) and through the package's numba path
  (``tracker.update(array)``), on every MOT15 train sequence (SORT's detections), the MOT17 YOLOX detections with all scores and
  500 synthetic objects (``eval/bench_trackers.py``'s generators); best of ``--repeats``
  interleaved passes per frame, median and p99; the outputs of both are compared byte for byte;
- peak RSS of a C process tracking MOT17-04 (YOLOX, all scores, ByteTrack) with
  ``mt_replay`` beside a Python process doing the same with the package;
- stripped ``libmottrack.so`` size for x86-64, aarch64 and armhf;
- process start to the end of the first ``update()`` (``mt_replay --first``; the Python
  process: ``import mottrack``, create, first update, warm numba cache);
- the same per-frame timings for the aarch64 / armhf builds under qemu-user (EMULATION:
  only the equality of outputs and the relative cost mean anything there).

Everything runs pinned to one core (``taskset -c 1`` semantics via sched_setaffinity).

Usage: ``make -C native && make -C native ARCH=aarch64 && make -C native ARCH=armhf``, then
``python eval/bench_native.py [--quick] [--repeats 3] [--trackers sort,hybridsort] [--out eval/results/native.md]``
(``--trackers``: only those rows of the timing tables are measured and written).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

import mottrack  # noqa: E402
from bench_trackers import mot_frames, synthetic_frames  # noqa: E402

NATIVE = ROOT / "native" / "build"
QEMU = {"aarch64": ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
        "armhf": ["qemu-arm", "-L", "/usr/arm-linux-gnueabihf"]}
STRIP = {"native": "strip", "aarch64": "aarch64-linux-gnu-strip", "armhf": "arm-linux-gnueabihf-strip"}
TRACKERS = [("sort", {}), ("bytetrack", {}), ("botsort", {}), ("ocsort", {}), ("hybridsort", {})]
NOTES = """
## Notes

- Why `-ffp-contract=off`: `make -C native ARCH=aarch64 BUILD=build/aarch64-fma FPFLAGS=-ffp-contract=fast
  build/aarch64-fma/mt_test` then `qemu-aarch64 -L /usr/aarch64-linux-gnu build/aarch64-fma/mt_test build/golden`
  (in native/): with GCC fusing multiply-adds 91 of the 113 golden files differ from the package (SORT 22/23,
  ByteTrack 30/31, BoT-SORT 27/28, decoders 12/30); with the flag every file is identical on all three
  architectures (`make -C native [ARCH=...] test`).
- The synthetic 500-object frames are dominated by the same algorithms in both (the shortest-augmenting-path
  solver and the IoU sweep, by `perf`), so C gains least there; on the real sequences the numba path's per-call
  overhead dominates and C is 2-6x faster.
- Not measured here: the ctypes backend and the deploy app, the peers of `eval/bench_trackers.py`,
  DeepSORT (it needs embeddings, which `mt_bench`'s sequence files do not carry).
"""


def build_dir(arch):
    return NATIVE if arch == "native" else NATIVE / arch


def write_seqs(path: Path, seqs) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<I", len(seqs)))
        for frames in seqs:
            f.write(struct.pack("<I", len(frames)))
            for arr in frames:
                f.write(struct.pack("<I", arr.shape[0]) + np.ascontiguousarray(arr, dtype="<f8").tobytes())


def c_pass(arch, tracker, seq_file, tmp, repeats=1):
    """One mt_bench process: per-frame ns (best of `repeats` inside) and the output bytes."""
    times, outs = tmp / "times.bin", tmp / "out.bin"
    env = dict(os.environ, MT_BENCH_TIMES=str(times), MT_BENCH_OUT=str(outs))
    cmd = ([] if arch == "native" else QEMU[arch]) + [str(build_dir(arch) / "mt_bench"), tracker, str(seq_file),
                                                      str(repeats)]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return np.fromfile(times, dtype="<i8"), outs.read_bytes()


def numba_pass(tracker, seqs):
    ns, outs = [], []
    for frames in seqs:
        t = mottrack.create_tracker(tracker)
        for arr in frames:
            t0 = time.perf_counter_ns()
            out = t.update(arr)
            ns.append(time.perf_counter_ns() - t0)
            outs.append(out.tobytes())
    return np.array(ns, np.int64), b"".join(outs)


def stats(ns):
    return np.median(ns) / 1e3, np.percentile(ns, 99) / 1e3


def peak_rss_python(det_path):
    code = ("import sys, numpy as np; sys.path.insert(0, %r); import mottrack\n"
            "from bench_trackers import mot_frames\n"
            "frames = mot_frames(__import__('pathlib').Path(%r))\n"
            "t = mottrack.create_tracker('bytetrack')\n"
            "for arr, _ in frames: t.update(arr)\n"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
            ) % (str(ROOT / "eval"), str(det_path))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                              env=env).stdout.split()[-1])


def first_update_ms(cmd, parse):
    t0 = time.time_ns()
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return (parse(p) - t0) / 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "eval" / "results" / "native.md"))
    ap.add_argument("--trackers", default=",".join(t for t, _ in TRACKERS),
                    help="comma-separated subset of the timed trackers")
    a = ap.parse_args(argv)
    trackers = [(t, p) for t, p in TRACKERS if t in a.trackers.split(",")]
    try:
        os.sched_setaffinity(0, {1})
    except (AttributeError, OSError):
        pass
    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    mot15 = sorted((SHARED / "data" / "MOT15" / "train").glob("*/det/det.txt"))
    yolox = sorted((SHARED / "data" / "MOT17" / "dets" / "yolox_x_ablation").glob("*.txt"))
    datasets = {
        "MOT15 (11 seqs, SORT's dets)": [[arr for arr, _ in mot_frames(p)] for p in (mot15[:3] if a.quick else mot15)],
        "MOT17 YOLOX all scores (4 seqs)": [[arr for arr, _ in mot_frames(p)] for p in (yolox[:1] if a.quick else yolox)],
        "synthetic 500 objects": [[arr for arr, _ in synthetic_frames(500, 60 if a.quick else 150, seed=500)]],
    }
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    emit("# libmottrack (C) beside the numba path")
    emit()
    emit(f"`python eval/bench_native.py{' --quick' if a.quick else ''} --repeats {a.repeats}` at commit {head}, "
         f"{platform.machine()}, {platform.python_version()}, numba {__import__('numba').__version__}, "
         f"one core (affinity {{1}}), on a shared 2-core machine (other jobs running): ratios matter more than "
         "absolute numbers.  A frame's time is its best over the interleaved passes (C process, numba pass, "
         "repeated); median and p99 over all frames.  'same output' = the C output rows equal the numba "
         "rows byte for byte over the whole data set.")
    emit()
    emit("## Per-frame update() time, x86-64")
    emit()
    emit("| tracker | data | frames | C median us | C p99 us | numba median us | numba p99 us | numba / C (median) | same output |")
    emit("|---|---|---|---|---|---|---|---|---|")
    tmp = Path(tempfile.mkdtemp(prefix="bench_native_"))
    qemu_files = []
    try:
        for dname, seqs in datasets.items():
            seq_file = tmp / f"{len(qemu_files)}.seqs"
            write_seqs(seq_file, seqs)
            qemu_files.append((dname, seq_file, seqs))
            for tracker, _ in trackers:
                numba_pass(tracker, [seqs[0][:5]])  # compile / load the cache outside the timing
                c_best = n_best = None
                c_out = n_out = b""
                for _ in range(a.repeats):
                    c_ns, c_out = c_pass("native", tracker, seq_file, tmp)
                    n_ns, n_out = numba_pass(tracker, seqs)
                    c_best = c_ns if c_best is None else np.minimum(c_best, c_ns)
                    n_best = n_ns if n_best is None else np.minimum(n_best, n_ns)
                cm, cp = stats(c_best)
                nm, npct = stats(n_best)
                emit(f"| {tracker} | {dname} | {len(c_best)} | {cm:.1f} | {cp:.1f} | {nm:.1f} | {npct:.1f} | "
                     f"{nm / cm:.1f}x | {'yes' if c_out == n_out else 'NO'} |")
        emit()
        emit("## Memory, size, start-up")
        emit()
        det04 = SHARED / "data" / "MOT17" / "dets" / "yolox_x_ablation" / "MOT17-04.txt"
        p = subprocess.run([str(NATIVE / "mt_replay"), "bytetrack", str(det04), "--quiet"], check=True,
                           capture_output=True, text=True)
        c_rss = int(p.stderr.split("maxrss_kb=")[1].split()[0])
        py_rss = peak_rss_python(det04)
        emit(f"- peak RSS (VmHWM) tracking MOT17-04 (YOLOX, all scores, ByteTrack, 1050 frames): C process "
             f"(`mt_replay`, static) **{c_rss / 1024:.1f} MB**; Python process with the package "
             f"{py_rss / 1024:.0f} MB, warm numba cache (goal: C under 10 MB).")
        sizes = []
        for arch in ("native", "aarch64", "armhf"):
            so = build_dir(arch) / "libmottrack.so"
            if so.exists() and shutil.which(STRIP[arch]):
                dst = tmp / f"lib-{arch}.so"
                shutil.copy(so, dst)
                subprocess.run([STRIP[arch], "--strip-unneeded", str(dst)], check=True)
                sizes.append(f"{'x86-64' if arch == 'native' else arch} {dst.stat().st_size / 1024:.0f} KB")
        emit(f"- stripped `libmottrack.so` (SORT, ByteTrack, BoT-SORT, OC-SORT, DeepSORT, Hybrid-SORT, "
             f"decoders): {', '.join(sizes)} (goal under 300 KB).")
        det = SHARED / "data" / "MOT15" / "train" / "TUD-Campus" / "det" / "det.txt"

        def parse_c(proc):
            return int(proc.stderr.split("first_update_realtime_ns=")[1].split()[0])

        c_ms = [first_update_ms([str(NATIVE / "mt_replay"), "sort", str(det), "--quiet", "--first"], parse_c)
                for _ in range(21)]
        code = ("import time, numpy as np, mottrack\nt = mottrack.create_tracker('sort')\n"
                "t.update(np.array([[0., 0., 10., 10., 0.9]]))\nprint(time.time_ns())")
        env = dict(os.environ, PYTHONPATH=str(ROOT))

        def py_first():
            t0 = time.time_ns()
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
            return (int(out.stdout.split()[-1]) - t0) / 1e6

        py_first()  # the numba cache is warm from here on
        py_ms = [py_first() for _ in range(3)]
        emit(f"- process start to the end of the first update (SORT): C `mt_replay` median **{np.median(c_ms):.2f} ms** "
             f"(min {min(c_ms):.2f}, 21 runs; includes fork/exec from Python and reading the det file); Python "
             f"process with the package (warm numba cache) median {np.median(py_ms):.0f} ms (goal: C under 10 ms).")
        emit()
        emit("## aarch64 and armhf under qemu-user (EMULATION: not the camera's speed)")
        emit()
        emit("Same binaries as the camera would run (Debian cross compilers, -O2 -ffp-contract=off), run by "
             "qemu-user on this x86-64 machine; one pass. The outputs are compared with the x86-64 C outputs.")
        emit()
        emit("| arch | tracker | data | frames | median us (emulated) | p99 us (emulated) | same output as x86-64 |")
        emit("|---|---|---|---|---|---|---|")
        for arch in ("aarch64", "armhf"):
            if not (build_dir(arch) / "mt_bench").exists() or not shutil.which(QEMU[arch][0]):
                emit(f"| {arch} | - | not built or qemu missing | | | | |")
                continue
            for dname, seq_file, _seqs in qemu_files[:2]:
                for tracker, _ in trackers:
                    _, x86 = c_pass("native", tracker, seq_file, tmp)
                    ns, out = c_pass(arch, tracker, seq_file, tmp)
                    m, p99 = stats(ns)
                    emit(f"| {arch} | {tracker} | {dname} | {len(ns)} | {m:.1f} | {p99:.1f} | "
                         f"{'yes' if out == x86 else 'NO'} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for line in NOTES.splitlines():
        emit(line)
    Path(a.out).write_text("\n".join(lines) + "\n")
    print(f"written {a.out}")


if __name__ == "__main__":
    main()
