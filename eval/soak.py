"""Soak benchmark: one tracker instance, a synthetic stream of a million frames.

A seeded simulator keeps about ``--objects`` objects in view; each lives a random
number of frames (exponential, mean ``--lifetime``), moves at constant velocity with
jitter, is missed by the detector now and then, and the detector adds false
positives.  Objects leave and new ones enter all the time, so the tracker creates
and deletes tracks (and DeepSORT gallery slots) for the whole run.

Every ``--interval`` frames it prints resident memory (``/proc/self/statm``), the
per-frame latency percentiles of ``update`` over that interval, live tracks and the
largest track id so far; at the end it checks that memory and latency stayed flat
and that track ids only ever increased (int64, never reused).

    PYTHONPATH=. python eval/soak.py --tracker sort --frames 1000000
    PYTHONPATH=. python eval/soak.py --tracker deepsort --frames 200000 --markdown out.md
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

import mottrack
from mottrack import Detections

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * PAGE / 2**20
    except OSError:  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Simulator:
    """Objects entering and leaving a 1920x1080 view; yields (N, 5) detections (+ embeddings)."""

    W, H = 1920.0, 1080.0

    def __init__(self, seed: int, objects: int, lifetime: float, emb_dim: int = 0,
                 miss: float = 0.1, false_pos: float = 0.5) -> None:
        self.rng = np.random.default_rng(seed)
        self.target = objects
        self.lifetime = lifetime
        self.emb_dim = emb_dim
        self.miss = miss
        self.false_pos = false_pos
        cap = objects * 4
        self.pos = np.zeros((cap, 2))
        self.vel = np.zeros((cap, 2))
        self.size = np.zeros((cap, 2))
        self.death = np.zeros(cap, np.int64)
        self.alive = np.zeros(cap, bool)
        self.emb = np.zeros((cap, max(emb_dim, 1)), np.float32)
        self.frame = 0
        for _ in range(objects):
            self._spawn()

    def _spawn(self) -> None:
        free = np.flatnonzero(~self.alive)
        if not free.size:
            return
        i = free[0]
        r = self.rng
        self.size[i] = (r.uniform(30, 90), r.uniform(80, 240))
        self.pos[i] = (r.uniform(0, self.W - self.size[i, 0]), r.uniform(0, self.H - self.size[i, 1]))
        self.vel[i] = r.normal(0, 3.0, 2)
        self.death[i] = self.frame + 1 + int(r.exponential(self.lifetime))
        self.alive[i] = True
        if self.emb_dim:
            e = r.normal(size=self.emb_dim).astype(np.float32)
            self.emb[i] = e / np.linalg.norm(e)

    def step(self):
        r = self.rng
        self.frame += 1
        gone = self.alive & ((self.death <= self.frame) | (self.pos[:, 0] < -100) | (self.pos[:, 0] > self.W)
                             | (self.pos[:, 1] < -200) | (self.pos[:, 1] > self.H))
        self.alive[gone] = False
        n_alive = int(self.alive.sum())
        for _ in range(max(0, self.target - n_alive)):
            if r.random() < 0.2:  # objects enter gradually
                self._spawn()
        idx = np.flatnonzero(self.alive)
        self.pos[idx] += self.vel[idx] + r.normal(0, 0.5, (idx.size, 2))
        seen = idx[r.random(idx.size) >= self.miss]
        k = seen.size
        jitter = r.normal(0, 2.0, (k, 4))
        boxes = np.empty((k, 4))
        boxes[:, :2] = self.pos[seen] + jitter[:, :2]
        boxes[:, 2:] = self.pos[seen] + self.size[seen] + jitter[:, 2:]
        scores = r.uniform(0.3, 1.0, k)
        n_fp = r.poisson(self.false_pos)
        if n_fp:
            xy = r.uniform(0, [self.W - 60, self.H - 150], (n_fp, 2))
            fp = np.column_stack([xy, xy + r.uniform([20, 40], [60, 150], (n_fp, 2))])
            boxes = np.vstack([boxes, fp])
            scores = np.concatenate([scores, r.uniform(0.1, 0.7, n_fp)])
        rows = np.ascontiguousarray(np.column_stack([boxes, scores]))
        if not self.emb_dim:
            return rows, None
        emb = np.vstack([self.emb[seen], r.normal(size=(n_fp, self.emb_dim)).astype(np.float32)])
        emb += r.normal(0, 0.05, emb.shape).astype(np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        return rows, emb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracker", default="sort", choices=mottrack.available_trackers())
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--interval", type=int, default=100_000)
    ap.add_argument("--objects", type=int, default=15)
    ap.add_argument("--lifetime", type=float, default=300.0, help="mean frames an object stays")
    ap.add_argument("--emb-dim", type=int, default=64, help="embedding size for DeepSORT")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", help="append the table to this file")
    args = ap.parse_args(argv)

    needs_emb = args.tracker == "deepsort"
    sim = Simulator(args.seed, args.objects, args.lifetime, args.emb_dim if needs_emb else 0)
    tracker = mottrack.create_tracker(args.tracker)
    lat = np.empty(args.interval, np.int64)
    rows_out = []
    max_id = 0
    n_out = 0
    ids_ok = True
    header = ("| frames | RSS MB | p50 us | p90 us | p99 us | p99.9 us | max us | live tracks | "
              "max track id | dets/frame |")
    print(f"soak: {args.tracker}, {args.frames} frames, ~{args.objects} objects, "
          f"mean lifetime {args.lifetime:g} frames, seed {args.seed}")
    print(header)
    print("|" + "---|" * 10)
    n_dets = 0
    t_start = time.perf_counter()
    # warm-up compile outside the measurement
    mottrack.create_tracker(args.tracker).update(
        Detections(np.array([[0, 0, 10, 10.0]]), [0.9], embeddings=np.ones((1, args.emb_dim), np.float32))
        if needs_emb else np.array([[0, 0, 10, 10, 0.9]]))
    perf = time.perf_counter_ns
    for f in range(1, args.frames + 1):
        rows, emb = sim.step()
        n_dets += rows.shape[0]
        det = Detections(rows[:, :4], rows[:, 4], embeddings=emb) if needs_emb else rows
        t0 = perf()
        out = tracker.update(det)
        lat[(f - 1) % args.interval] = perf() - t0
        if out.shape[0]:
            ids = out[:, 4]
            hi = ids.max()
            if hi > max_id:
                # ids are handed out in increasing order: anything above the old max is new
                new = ids[ids > max_id]
                if new.size != np.unique(new).size:
                    ids_ok = False
                max_id = int(hi)
            if np.unique(ids).size != ids.size or not np.isfinite(out).all():
                ids_ok = False
            n_out += out.shape[0]
        if f % args.interval == 0 or f == args.frames:
            k = (f - 1) % args.interval + 1
            us = lat[:k] / 1e3
            p = np.percentile(us, [50, 90, 99, 99.9])
            row = (f, rss_mb(), *p, us.max(), len(tracker.tracks), max_id, n_dets / f)
            rows_out.append(row)
            print(f"| {row[0]} | {row[1]:.1f} | {row[2]:.1f} | {row[3]:.1f} | {row[4]:.1f} | {row[5]:.1f} | "
                  f"{row[6]:.0f} | {row[7]} | {row[8]} | {row[9]:.1f} |", flush=True)
    wall = time.perf_counter() - t_start
    counters = tracker.tracks.counters
    rss = np.array([r[1] for r in rows_out])
    p50 = np.array([r[2] for r in rows_out])
    p99 = np.array([r[4] for r in rows_out])
    # flat: memory after the first interval grows < 5 MB; p50/p99 of the last interval within
    # 1.5x of the median interval (CPU noise on a shared machine aside)
    mem_growth = float(rss[-1] - rss[0]) if len(rss) > 1 else 0.0
    flat_mem = mem_growth < 5.0
    flat_lat = p50[-1] < 1.5 * np.median(p50) and p99[-1] < 2.0 * np.median(p99)
    summary = [
        f"wall time {wall:.0f} s for {args.frames} frames ({wall / args.frames * 1e6:.1f} us/frame incl. simulator)",
        f"RSS first/last interval: {rss[0]:.1f} / {rss[-1]:.1f} MB (growth {mem_growth:+.1f} MB) -> "
        f"{'flat' if flat_mem else 'GROWING'}",
        f"p50 latency first/median/last interval: {p50[0]:.1f} / {np.median(p50):.1f} / {p50[-1]:.1f} us; "
        f"p99 {p99[0]:.1f} / {np.median(p99):.1f} / {p99[-1]:.1f} us -> {'flat' if flat_lat else 'NOT FLAT'}",
        f"track ids: {max_id} handed out, id counter dtype {counters.dtype}, next id {int(counters[1])}; "
        f"unique per frame, finite outputs and strictly increasing new ids: {'yes' if ids_ok else 'NO'}",
        f"table capacity at the end: {tracker.tracks.capacity} rows",
    ]
    for s in summary:
        print(s)
    if args.markdown:
        with open(args.markdown, "a") as fh:
            fh.write(f"\n## {args.tracker}: {args.frames} frames, ~{args.objects} objects, "
                     f"mean lifetime {args.lifetime:g} frames, seed {args.seed}\n\n")
            fh.write(header + "\n|" + "---|" * 10 + "\n")
            for row in rows_out:
                fh.write(f"| {row[0]} | {row[1]:.1f} | {row[2]:.1f} | {row[3]:.1f} | {row[4]:.1f} | "
                         f"{row[5]:.1f} | {row[6]:.0f} | {row[7]} | {row[8]} | {row[9]:.1f} |\n")
            fh.write("\n" + "\n".join(f"- {s}" for s in summary) + "\n")
    return 0 if (flat_mem and ids_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
