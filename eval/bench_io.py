#!/usr/bin/env python3
"""Benchmark the DLPU tensor adapters of ``mottrack.io.larod``.

Measures, per call, median and p99 wall time in microseconds of:

* ``yolov5_to_detections`` on the real ARTPEC-8/9 YOLOv5n outputs
  (``../shared/tensors``, uint8 [1, 25200, 85]), quantisation passed in (as an app
  does after reading it once with ``output_quantization``), and with ``model_path``
  (cached per file);
* the baseline: a full dequantisation of the same tensor with numpy
  (``(q.astype(float32) - zero_point) * scale``) - what a naive decoder pays before
  it even starts thresholding;
* ``ssd_to_detections`` on 20-row SSD MobileNet v2 outputs given as a list of
  arrays, a gRPC-style dict and raw Larod buffers;
* the state round trip of a tracker holding 50 confirmed tracks (in memory and through an
  ``.npz`` file), and scoring the MOT17 train set (reading the files included): costs
  the tests used to bound with wall-clock assertions.

Usage: ``python eval/bench_io.py [--shared PATH] [--markdown OUT.md]``
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mottrack.io.larod import SSD_OUTPUT_NAMES, ssd_to_detections, yolov5_to_detections  # noqa: E402
from mottrack.io.tflite import output_quantization  # noqa: E402


def measure(fn, n: int, warmup: int = 20):
    for _ in range(warmup):
        fn()
    ts = np.empty(n)
    clock = time.perf_counter_ns
    for i in range(n):
        t0 = clock()
        fn()
        ts[i] = clock() - t0
    ts /= 1e3
    return float(np.median(ts)), float(np.percentile(ts, 99))


def ssd_tensors(rng):
    boxes = np.zeros((1, 20, 4), np.float32)
    y1x1 = rng.uniform(0, 0.7, (20, 2))
    boxes[0, :, :2] = y1x1
    boxes[0, :, 2:] = y1x1 + rng.uniform(0.05, 0.3, (20, 2))
    classes = rng.choice([0, 2, 17], size=(1, 20)).astype(np.float32)
    scores = np.sort(rng.uniform(0, 1, (1, 20)).astype(np.float32))[:, ::-1].copy()
    count = np.array([20], np.float32)
    return [boxes, classes, scores, count]


def state_rows():
    """Save/restore of each tracker holding 50 confirmed tracks (DeepSORT: 128-d galleries)."""
    import io

    import mottrack
    from mottrack.state import load_state, save_state
    rows = []
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1800, (50, 2))
    emb = rng.normal(size=(50, 128)).astype(np.float32)
    for name in mottrack.available_trackers():
        t = mottrack.create_tracker(name)
        for f in range(10):
            t.update(mottrack.Detections(np.column_stack([xy + f, xy + f + [30, 80]]), np.full(50, 0.9),
                                         embeddings=emb))

        def npz(t=t):
            buf = io.BytesIO()
            save_state(t, buf)
            buf.seek(0)
            return mottrack.Tracker.from_state(load_state(buf))

        rows.append((f"{name}: state round trip, 50 tracks, in memory",
                     *measure(lambda t=t: mottrack.Tracker.from_state(t.state_dict()), 200, warmup=5)))
        rows.append((f"{name}: state round trip, 50 tracks, .npz", *measure(npz, 50, warmup=2)))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    p.add_argument("--markdown", type=Path, default=None, help="also write the table to this file")
    args = p.parse_args()

    rows = []
    for chip in ("8", "9"):
        tensor = np.load(args.shared / "tensors" / f"yolov5n_artpec{chip}_grace_hopper.npy")
        model = args.shared / "models" / f"yolov5n_artpec{chip}.tflite"
        scale, zp = output_quantization(model)
        n_det = len(yolov5_to_detections(tensor, (1920, 1080), quantization=(scale, zp)))
        rows.append((f"YOLOv5 decode, ARTPEC-{chip} ({n_det} dets)",
                     *measure(lambda: yolov5_to_detections(tensor, (1920, 1080), quantization=(scale, zp)), 3000)))
        rows.append((f"YOLOv5 decode, ARTPEC-{chip}, model_path= (cached)",
                     *measure(lambda: yolov5_to_detections(tensor, (1920, 1080), model_path=model), 3000)))
        rows.append((f"YOLOv5 decode, ARTPEC-{chip}, letterbox, persons only",
                     *measure(lambda: yolov5_to_detections(tensor, (1920, 1080), quantization=(scale, zp),
                                                           letterbox=True, classes=[0]), 3000)))
        sc32, zp32 = np.float32(scale), np.float32(zp)
        rows.append((f"baseline: full dequantise float32, ARTPEC-{chip}",
                     *measure(lambda: (tensor.astype(np.float32) - zp32) * sc32, 200, warmup=5)))
    rows.append(("baseline: full dequantise float64, ARTPEC-8",
                 *measure(lambda: (tensor.astype(np.float64) - zp) * scale, 100, warmup=5)))
    rng = np.random.default_rng(0)
    outs = ssd_tensors(rng)
    as_dict = dict(zip(SSD_OUTPUT_NAMES, outs))
    raw = [memoryview(o.tobytes()) for o in outs]
    n_ssd = len(ssd_to_detections(outs, (1920, 1080)))
    rows.append((f"SSD conversion, list of arrays (20 rows, {n_ssd} kept)",
                 *measure(lambda: ssd_to_detections(outs, (1920, 1080)), 50000)))
    rows.append(("SSD conversion, gRPC dict", *measure(lambda: ssd_to_detections(as_dict, (1920, 1080)), 50000)))
    rows.append(("SSD conversion, raw Larod buffers",
                 *measure(lambda: ssd_to_detections(raw, (1920, 1080)), 50000)))
    rows.append(("SSD conversion, persons only",
                 *measure(lambda: ssd_to_detections(outs, (1920, 1080), classes=[0]), 50000)))
    rows += state_rows()
    mot17 = args.shared / "data" / "MOT17"
    if mot17.exists():
        from mottrack.eval.metrics import evaluate_dataset
        rows.append(("score MOT17 train (Lif_T results, files read)",
                     *measure(lambda: evaluate_dataset(mot17, mot17 / "trackers" / "Lif_T", "MOT17", "train"),
                              3, warmup=1)))

    cpu = platform.processor() or platform.machine()
    lines = [f"Machine: {platform.system()} {platform.machine()} {cpu}, {os.cpu_count()} CPUs, "
             f"Python {platform.python_version()}, numpy {np.__version__}", "",
             "| operation | median µs | p99 µs |", "|---|---:|---:|"]
    lines += [f"| {name} | {med:.1f} | {p99:.1f} |" for name, med, p99 in rows]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("# bench_io: DLPU tensor adapters, state, scoring\n\n`python eval/bench_io.py`\n\n" + text + "\n")


if __name__ == "__main__":
    main()
