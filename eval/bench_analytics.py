"""Counting: cost per frame and counting accuracy of mottrack.analytics beside supervision.

    python eval/bench_analytics.py speed [--frames 200]
    python eval/bench_analytics.py accuracy [--datasets mot17,mot15] [--trackers sort,bytetrack]

``speed``: a synthetic scene of N tracks (1920x1080, random walks with births and deaths,
rows by increasing id as mottrack's trackers output them)
fed per frame to one mottrack CounterSet of L LineCounters + Z ZoneMonitors (default
``forget_after``), and the same tracks to L
supervision LineZones + Z PolygonZones (one ``sv.Detections`` built per frame, counted in
supervision's time).  Best of 3 runs; ratios come from one run of this script.

``accuracy``: every available tracker on MOT17 half-val (YOLOX-X dets of the ByteTrack
ablation, frames N//2+2..N) and MOT15 (train, the SORT paper's dets), plus MOT17-05/09 FRCNN with DeepSORT's embeddings (so
that DeepSORT runs too), counted with the
default lines and zone of ``python -m mottrack.eval count`` by mottrack's counter, by
ablated versions of it (no hysteresis, no memory of lost tracks, neither = naive) and by
supervision's LineZone / PolygonZone fed the same tracks.  Each counter's gt count is
the gt trajectories through that same counter.  Needs ../shared.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"


# --------------------------------------------------------------------------- supervision adapters

class _Ev:
    __slots__ = ("track_id", "direction", "kind")

    def __init__(self, tid, direction=None, kind=None):
        self.track_id, self.direction, self.kind = tid, direction, kind


def _sv_detections(rows):
    import supervision as sv
    return sv.Detections(xyxy=np.ascontiguousarray(rows[:, :4]), tracker_id=rows[:, 4].astype(int),
                         class_id=np.zeros(rows.shape[0], int))


class SvLine:
    """supervision LineZone behind the counter interface of mottrack.eval.count.

    supervision's ``in`` is towards the side where cross(end - start, p - start) < 0, i.e.
    mottrack's ``out``; events are reported in mottrack's convention.
    """

    def __init__(self, start, end, anchors="corners"):
        import supervision as sv
        pos = sv.Position
        trig = ([pos.TOP_LEFT, pos.TOP_RIGHT, pos.BOTTOM_LEFT, pos.BOTTOM_RIGHT]
                if anchors == "corners" else [pos.BOTTOM_CENTER])
        self.zone = sv.LineZone(sv.Point(*start), sv.Point(*end), triggering_anchors=trig)

    def update(self, rows, det=None):
        det = _sv_detections(rows) if det is None else det
        c_in, c_out = self.zone.trigger(det)
        tid = rows[:, 4].astype(int)
        return [_Ev(int(t), "out") for t in tid[c_in]] + [_Ev(int(t), "in") for t in tid[c_out]]


class SvZone:
    """supervision PolygonZone (bottom centre); enter / exit = changes of its per-frame mask
    for a track id (PolygonZone itself has no events); occupancy = its ``current_count``."""

    def __init__(self, polygon):
        import supervision as sv
        self.zone = sv.PolygonZone(np.round(np.asarray(polygon)).astype(int))
        self.prev = {}
        self.occupancy = {}
        self.total_occupancy = 0

    def update(self, rows, det=None):
        det = _sv_detections(rows) if det is None else det
        mask = self.zone.trigger(det)
        self.total_occupancy = int(self.zone.current_count)
        out = []
        cur = {}
        for t, m in zip(rows[:, 4].astype(int).tolist(), mask.tolist()):
            if t < 0:
                continue
            cur[t] = m
            if t in self.prev and self.prev[t] != m:
                out.append(_Ev(t, kind="enter" if m else "exit"))
        self.prev = cur
        return out


# --------------------------------------------------------------------------- speed

def _scene(n_tracks, n_frames, seed=0, w=1920, h=1080):
    rng = np.random.default_rng(seed)
    pos = rng.uniform([0, 0], [w, h], (n_tracks, 2))
    vel = rng.normal(0, 4, (n_tracks, 2))
    ids = np.arange(1, n_tracks + 1)
    nxt = n_tracks + 1
    frames = []
    for _ in range(n_frames):
        pos += vel + rng.normal(0, 1.5, pos.shape)
        dead = (rng.random(n_tracks) < 0.01) | (pos[:, 0] < 0) | (pos[:, 0] > w) | \
            (pos[:, 1] < 0) | (pos[:, 1] > h)
        k = int(dead.sum())
        if k:
            ids[dead] = np.arange(nxt, nxt + k)
            nxt += k
            pos[dead] = rng.uniform([0, 0], [w, h], (k, 2))
        bw = 40.0
        bh = 100.0
        rows = np.column_stack([pos[:, 0] - bw / 2, pos[:, 1] - bh, pos[:, 0] + bw / 2, pos[:, 1],
                                ids, np.full(n_tracks, 0.9), np.zeros(n_tracks),
                                np.arange(n_tracks)]).astype(np.float64)
        frames.append(rows[np.argsort(rows[:, 4])])  # by increasing id, as trackers list tracks
    return frames


def _geometry(n_lines, n_zones, seed=1, w=1920, h=1080):
    rng = np.random.default_rng(seed)
    lines = [(tuple(rng.uniform([0, 0], [w, h])), tuple(rng.uniform([0, 0], [w, h])))
             for _ in range(n_lines)]
    zones = []
    for _ in range(n_zones):
        c = rng.uniform([200, 200], [w - 200, h - 200])
        ang = np.sort(rng.uniform(0, 2 * np.pi, 8))
        r = rng.uniform(80, 200, 8)
        zones.append(np.column_stack([c[0] + r * np.cos(ang), c[1] + r * np.sin(ang)]).round())
    return lines, zones


def _time_best(fn, frames, repeats=3):
    best = np.inf
    for _ in range(repeats):
        fresh = fn()
        t0 = time.perf_counter()
        for f in frames:
            fresh(f)
        best = min(best, time.perf_counter() - t0)
    return best / len(frames) * 1e6


def speed(args):
    from mottrack.analytics import CounterSet, LineCounter, ZoneMonitor
    rows_out = []
    cases = [(50, 1, 0), (50, 0, 1), (300, 1, 0), (300, 0, 1), (300, 8, 0), (300, 0, 8),
             (300, 8, 8), (1000, 8, 8)]
    for n, nl, nz in cases:
        frames = _scene(n, args.frames)
        lines, zones = _geometry(nl, nz)

        def mt():
            cs = CounterSet([LineCounter(a, b, min_distance=10, name=f"l{i}")
                             for i, (a, b) in enumerate(lines)]
                            + [ZoneMonitor(z, min_distance=10, name=f"z{i}")
                               for i, z in enumerate(zones)])
            return cs.update

        def svc(anchors):
            def make():
                cs = [SvLine(a, b, anchors) for a, b in lines] + [SvZone(z) for z in zones]

                def step(f):
                    det = _sv_detections(f)
                    for c in cs:
                        c.zone.trigger(det)
                return step
            return make

        mt()(frames[0])  # compile
        t_mt = _time_best(mt, frames)
        t_sv = _time_best(svc("bottom"), frames)
        t_sv4 = _time_best(svc("corners"), frames) if nl else float("nan")
        rows_out.append((n, nl, nz, t_mt, t_sv, t_sv4))
        print(f"tracks {n:5d} lines {nl} zones {nz}: mottrack {t_mt:8.1f} us/frame  "
              f"supervision {t_sv:8.1f} (x{t_sv / t_mt:5.1f})"
              + (f"  sv 4-corner lines {t_sv4:8.1f} (x{t_sv4 / t_mt:5.1f})" if nl else ""),
              flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n| tracks | lines | zones | mottrack us/frame | supervision us/frame (bottom-centre) | ratio | supervision, LineZone default 4 corners | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, nl, nz, a, b, c in rows_out:
        tail = f"{c:.1f} | {c / a:.1f}x" if nl else "- | -"
        print(f"| {n} | {nl} | {nz} | {a:.1f} | {b:.1f} | {b / a:.1f}x | {tail} |")
    print(f"\npeak RSS of the process: {rss:.0f} MiB")


# --------------------------------------------------------------------------- accuracy

def _datasets(names):
    from mottrack.eval.datasets import load_dataset
    out = {}
    if "mot17" in names:
        seqs = [f"MOT17-{k}-FRCNN" for k in ("02", "04", "05", "09")]
        out["MOT17 half-val (YOLOX)"] = load_dataset(
            SHARED / "data" / "MOT17", seqs=seqs, frames="second-half",
            det_file=SHARED / "data" / "MOT17" / "dets" / "yolox_x_ablation")
    if "mot15" in names:
        out["MOT15 train"] = load_dataset(SHARED / "data" / "MOT15")
    if "mot17emb" in names:
        out["MOT17-05/09 FRCNN with DeepSORT embeddings (all frames)"] = load_dataset(
            SHARED / "data" / "MOT17", seqs=["MOT17-05-FRCNN", "MOT17-09-FRCNN"],
            embeddings=SHARED / "data" / "MOT17" / "embeddings" / "deepsort")
    return out


def _variants():
    def mt(md=None, fa=None):
        return lambda g, s: g.counters(frame_rate=s.frame_rate, min_distance=md, forget_after=fa)

    def sv(anchors):
        return lambda g, s: [SvLine(ln["start"], ln["end"], anchors) for ln in g.lines] + \
            [SvZone(z["polygon"]) for z in g.zones]
    return {
        "mottrack": mt(),
        "no hysteresis": mt(md=0.0),
        "no lost-track memory": mt(fa=0),
        "naive (neither)": mt(md=0.0, fa=0),
        "supervision (4 corners)": sv("corners"),
        "supervision (bottom centre)": sv("bottom"),
    }


def accuracy(args):
    from mottrack.eval import api
    from mottrack.eval.count import combine_counts, count_sequence
    from mottrack.registry import tracker_class
    names = [d.strip().lower() for d in args.datasets.split(",")]
    data = _datasets(names)
    variants = _variants()
    trackers = args.trackers.split(",") if args.trackers else api.available()
    print(f"tolerance {args.tolerance} frames; default lines/zone of 'python -m mottrack.eval count'")
    for dname, seqs in data.items():
        print(f"\n### {dname}: {len(seqs)} sequences, {sum(s.num_eval_frames for s in seqs)} frames\n")
        print("| tracker | counter | lines gt | lines tracker | lines abs err | rel. abs err | "
              "precision | recall | zone enters+exits gt | zone abs err | zone occupancy MAE |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for tname in trackers:
            if getattr(tracker_class(tname), "embeddings", "none") == "required" and \
                    any(s.embeddings is None for s in seqs):
                print(f"| {tname} | (needs appearance embeddings; none for these detections) "
                      "| | | | | | | | | |")
                continue
            t0 = time.perf_counter()
            res = {s.name: api.run_tracker(tname, s, None, "default", warmup=False).results
                   for s in seqs}
            t_track = time.perf_counter() - t0
            for vname, make in variants.items():
                per = {s.name: count_sequence(s, res[s.name], None, tolerance=args.tolerance,
                                              make_counters=make) for s in seqs}
                comb = combine_counts(per)
                ln, zn = comb["all lines"], comb["all zones"]
                rel = ln.abs_err / ln.gt_total if ln.gt_total else float("nan")
                print(f"| {tname} | {vname} | {ln.gt_total} | {ln.trk_in + ln.trk_out} | "
                      f"{ln.abs_err} | {100 * rel:.1f} % | {_pct(ln.precision)} | "
                      f"{_pct(ln.recall)} | {zn.gt_total} | {zn.abs_err} | {zn.occ_mae:.3f} |",
                      flush=True)
            print(f"<!-- {tname}: tracking {t_track:.1f} s -->", flush=True)


def _pct(v):
    return "-" if v is None else f"{100 * v:.1f} %"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--frames", type=int, default=200)
    a = sub.add_parser("accuracy")
    a.add_argument("--datasets", default="mot17,mot15,mot17emb")
    a.add_argument("--trackers", default=None)
    a.add_argument("--tolerance", type=int, default=10)
    args = p.parse_args(argv)
    if args.cmd == "speed":
        speed(args)
    else:
        accuracy(args)


if __name__ == "__main__":
    main()
