"""ARTPEC CPU budget: does a tracker fit on the camera's CPU?

For each tracker the evaluation measures the latency of every ``update()`` call on this
machine.  The estimate for a target is ``host time x factor``, where the factor of each
ARTPEC profile is *data* (``mottrack/eval/data/artpec_profiles.json``, one documented source
per number).  The factors are estimates from published single-core benchmark ratios (a
Cortex-A53 at 1.5 GHz is roughly 8-12x slower than a current x86 server core; we use 10x)
-- replace them with a measurement:

1. on the camera (aarch64): ``python -m mottrack.eval calibrate --write-profile cam.json``
   times a fixed reference workload (there the time *is* the target time);
2. on the host: ``python -m mottrack.eval ... --profile cam.json``: the host runs the same
   workload and the factor is the ratio of the two times.  Or pass ``--cpu-scale F``.

Where the times come from decides what the report may claim (:func:`host_kind`): on an
x86 host the target times are estimates (host time x factor); on an aarch64 camera CPU
(a core named in the profiles, identified from ``/proc/cpuinfo``) they are measured
directly; under emulation (qemu: an aarch64 userland on an x86 CPU) or on any other CPU
the report gives no verdict, because the times say nothing about a camera.

Budget per frame = ``1000 / fps x cpu_share`` ms (defaults 30 fps, 25 % of one core:
8.3 ms).  A tracker PASSes a profile when its estimated **work p99** fits the budget: the
99th percentile over frames of the *median* time of the frames with (about) as many objects
(:func:`work_p99`).  The tracker's work grows with the objects in a frame, so crowded frames
keep their cost; a spike at an object count the other frames with that count do not share is
host noise (the scheduler, another process, the interpreter) and is left out.  The raw p99
and max are shown beside it: on a busy host they are noise, on a camera the late frame they
describe is absorbed by the application.  "Largest count" comes from a quick
scaling run (synthetic scenes with 10 .. 1600 objects per frame): the largest count whose
estimated *median* time fits, interpolated linearly between the last count that fits and
the first that does not (the median, because the p99 of a short run is scheduler noise).
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["Profile", "load_profiles", "latency_stats", "work_p99", "budget_ms", "BudgetRow",
           "budget_report", "format_budget", "scaling_curve", "largest_count",
           "calibrate", "reference_workload", "is_arm_host", "host_kind", "timing_note",
           "camera_footprint", "format_footprint", "DEFAULT_FPS", "DEFAULT_CPU_SHARE",
           "SCALING_COUNTS"]

DEFAULT_FPS = 30.0
DEFAULT_CPU_SHARE = 0.25
SCALING_COUNTS = (10, 25, 50, 100, 200, 400, 800, 1600)
_DATA = Path(__file__).with_name("data") / "artpec_profiles.json"
_FOOTPRINT = Path(__file__).with_name("data") / "camera_footprint.json"
#: Arm "CPU part" numbers (``/proc/cpuinfo``) of the cores in the ARTPEC profiles.
ARM_CORES = {"0xd03": "Cortex-A53", "0xd05": "Cortex-A55"}


@dataclass(frozen=True)
class Profile:
    """A target CPU: per-frame time on it = host time x ``factor``."""

    name: str
    factor: float
    cpu: str = ""
    cores: int = 1
    ghz: float | None = None
    factor_range: tuple | None = None
    source: str = ""
    measured: bool = False


def is_arm_host() -> bool:
    """True when this process runs aarch64 code (natively, or emulated: see :func:`host_kind`)."""
    return platform.machine().lower() in ("aarch64", "arm64")


def host_kind(cpuinfo: str | None = None, machine: str | None = None) -> dict:
    """What the times measured in this process mean.

    Returns ``{"kind", "cpu", "core"}`` with kind ``"x86"`` (a host: target times are
    estimates), ``"camera"`` (aarch64 on a core of the ARTPEC profiles: measured),
    ``"emulated"`` (aarch64 code on a non-Arm CPU, e.g. qemu-user: meaningless for a
    camera) or ``"other"`` (any other CPU: no verdict).  ``cpuinfo`` / ``machine``
    default to ``/proc/cpuinfo`` and ``platform.machine()``.
    """
    machine = (machine if machine is not None else platform.machine()).lower()
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
                cpuinfo = fh.read()
        except OSError:
            cpuinfo = ""
    fields: dict = {}
    for line in cpuinfo.splitlines():
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), []).append(v.strip())
    model = (fields.get("model name") or fields.get("hardware") or [""])[0]
    if machine in ("x86_64", "amd64", "i386", "i686"):
        return {"kind": "x86", "cpu": model or machine, "core": None}
    if machine in ("aarch64", "arm64", "armv8l"):
        if "vendor_id" in fields or any(x in model for x in ("Intel", "AMD", "Xeon", "EPYC")):
            return {"kind": "emulated", "cpu": model or "an x86 CPU", "core": None}
        parts = {p.lower() for p in fields.get("cpu part", [])}
        cores = {ARM_CORES.get(p) for p in parts}
        if parts and None not in cores and len(cores) == 1:
            core = cores.pop()
            return {"kind": "camera", "cpu": core, "core": core}
        return {"kind": "other", "cpu": model or ("Arm CPU part " + ", ".join(sorted(parts)) if parts else machine),
                "core": None}
    return {"kind": "other", "cpu": model or machine, "core": None}


def timing_note(kind: dict | None = None) -> str:
    """One sentence: what per-frame times measured here say about a camera."""
    k = kind or host_kind()
    if k["kind"] == "camera":
        return f"Running on aarch64 {k['core']}: times are measured directly on a camera-class core."
    if k["kind"] == "emulated":
        return (f"Running aarch64 code under emulation (qemu on {k['cpu']}): times measured here say "
                "nothing about a camera, so there is no verdict. Measure on the camera, or on an "
                "x86 host with the estimated factors.")
    if k["kind"] == "other":
        return (f"This CPU ({k['cpu']}) is neither a camera core nor an x86 host the factors are "
                "relative to: no verdict. Measure on the camera (python -m mottrack.eval calibrate).")
    return ("Target times are ESTIMATES: host time x a slowdown factor from published single-core "
            "benchmark ratios (A53 @ 1.5 GHz ~10x a current x86 server core; see "
            "mottrack/eval/data/artpec_profiles.json). Measure yours with "
            "`python -m mottrack.eval calibrate` on the camera.")


def _profile_from(d: Mapping[str, Any], path: str) -> Profile:
    if "factor" not in d:
        raise ValueError(f"{path}: profile {d.get('name', '?')!r} has no 'factor'")
    f = float(d["factor"])
    if not (f > 0 and np.isfinite(f)):
        raise ValueError(f"{path}: profile {d.get('name', '?')!r}: factor must be > 0, got {f}")
    rng = d.get("factor_range")
    return Profile(str(d.get("name", "profile")), f, str(d.get("cpu", "")), int(d.get("cores", 1)),
                   None if d.get("ghz") is None else float(d["ghz"]),
                   None if rng is None else (float(rng[0]), float(rng[1])),
                   str(d.get("source", "")), bool(d.get("measured", False)))


def load_profiles(path: str | os.PathLike | None = None,
                  host_reference_ms: float | None = None) -> list[Profile]:
    """Profiles from the package data file, or from a user file.

    A user file is either the same schema (``{"profiles": [{"name", "factor", ...}]}``,
    or a single profile object), or the output of ``calibrate --write-profile`` holding
    ``reference_ms`` measured on the target: then ``factor = reference_ms /
    host_reference_ms`` (the host's time for the same workload; measured now when not
    given).

    Raises
    ------
    FileNotFoundError, ValueError
    """
    p = Path(path) if path is not None else _DATA
    try:
        with open(p, encoding="utf-8") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if isinstance(doc, dict) and "profiles" in doc:
        items = doc["profiles"]
    elif isinstance(doc, dict):
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        raise ValueError(f"{p}: expected a JSON object or list of profiles")
    out = []
    for d in items:
        if not isinstance(d, dict):
            raise ValueError(f"{p}: every profile must be a JSON object")
        if "factor" not in d and "reference_ms" in d:
            if host_reference_ms is None:
                host_reference_ms = reference_workload()["ms"]
            d = dict(d, factor=float(d["reference_ms"]) / host_reference_ms, measured=True,
                     source=f"measured: target reference workload {float(d['reference_ms']):.1f} ms"
                            f" / this host {host_reference_ms:.1f} ms")
        out.append(_profile_from(d, os.fspath(p)))
    if not out:
        raise ValueError(f"{p}: no profiles")
    return out


def latency_stats(lat_ns: np.ndarray) -> dict:
    """p50 / p99 / max / mean of per-frame latencies, in milliseconds."""
    a = np.asarray(lat_ns, np.float64) * 1e-6
    if a.size == 0:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "mean": float(a.mean())}


def work_p99(lat_ms: np.ndarray, objects: np.ndarray, min_group: int = 5) -> float:
    """The p99 over frames of the median latency of frames with as many objects.

    Frames are sorted by object count and grouped by count, neighbouring counts merged
    until a group holds at least ``min_group`` frames; each frame is given its group's
    median latency, and the 99th percentile of those is returned (same unit as ``lat_ms``).
    A latency spike shared by fewer than half of a group's frames does not move it.
    """
    lat = np.asarray(lat_ms, np.float64)
    obj = np.asarray(objects)
    n = lat.size
    if n == 0:
        return 0.0
    if obj.shape != lat.shape:
        raise ValueError(f"objects: expected one count per frame ({n}); got shape {obj.shape}")
    order = np.argsort(obj, kind="stable")
    counts = obj[order]
    expected = np.empty(n)
    bounds = np.flatnonzero(np.diff(counts)) + 1   # where the object count changes
    groups, start = [], 0
    for b in [int(x) for x in bounds] + [n]:
        if b - start >= min_group or b == n:
            groups.append((start, b))
            start = b
    if len(groups) > 1 and groups[-1][1] - groups[-1][0] < min_group:
        (a, _), (_, z) = groups[-2], groups[-1]
        groups[-2:] = [(a, z)]
    for a, z in groups:
        idx = order[a:z]
        expected[idx] = np.median(lat[idx])
    return float(np.percentile(expected, 99))


def budget_ms(fps: float = DEFAULT_FPS, cpu_share: float = DEFAULT_CPU_SHARE) -> float:
    """Per-frame time budget: ``1000 / fps x cpu_share`` milliseconds."""
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if not 0 < cpu_share <= 1:
        raise ValueError(f"cpu_share must be in (0, 1], got {cpu_share}")
    return 1000.0 / fps * cpu_share


def largest_count(counts: Sequence[float], host_ms: Sequence[float], factor: float,
                  budget: float) -> tuple[float, str]:
    """Largest object count whose estimated time (``host_ms x factor``) fits ``budget``.

    ``counts`` ascending with their measured host times.  Returns ``(count, qualifier)``:
    qualifier ``''`` (interpolated between the last fitting and first failing count),
    ``'>='`` (even the largest measured count fits) or ``'<'`` (not even the smallest fits;
    count = smallest).
    """
    c = np.asarray(counts, np.float64)
    t = np.asarray(host_ms, np.float64) * factor
    if c.size == 0:
        return 0.0, "<"
    fits = t <= budget
    if not fits[0]:
        return float(c[0]), "<"
    if fits.all():
        return float(c[-1]), ">="
    k = int(np.flatnonzero(~fits)[0])  # first failing
    c0, c1, t0, t1 = c[k - 1], c[k], t[k - 1], t[k]
    if t1 <= t0:
        return float(c0), ""
    return float(np.floor(c0 + (budget - t0) * (c1 - c0) / (t1 - t0))), ""


def _scaling_sequence(n_objects: int, frames: int, seed: int, embeddings: bool):
    """A scene with ~n_objects people per frame (simulated detections)."""
    from .datasets import EvalSequence
    from .simulate import DetectorSimulator, synthetic_scene
    w = int(max(1920, 200 * np.sqrt(n_objects) * 1.8))
    h = int(w * 9 / 16)
    gt = synthetic_scene(frames, num_objects=n_objects, concurrent=n_objects,
                         image_size=(w, h), seed=seed)
    sim = DetectorSimulator(fp_per_frame=0.05 * n_objects, image_size=(w, h), seed=seed,
                            embedding_dim=128 if embeddings else 0)
    sd = sim.simulate(gt, frames)
    return EvalSequence(f"SCALE-{n_objects}", gt, sd.dets, frames, 1, 30.0, "MOT15",
                        sd.embeddings, (w, h), True, "scaling")


def scaling_curve(tracker: str, counts: Sequence[int] = SCALING_COUNTS, frames: int = 60,
                  params: Mapping[str, Any] | None = None, seed: int = 0,
                  min_score: float | None | str = "default") -> dict:
    """Measure ``update()`` latency (p50 and p99) against crowd size on synthetic scenes.

    Returns ``{"counts": [...], "objects": [mean dets per frame], "p50_ms": [...],
    "p99_ms": [...]}``.  Each count gets a scene of ``count`` people, all allowed in view at
    once, with simulated detections (``0.05 x count`` false positives per frame).  People
    enter over the clip, so ``objects``, the mean number of detections per frame fed to the
    tracker after the first quarter of the frames (the ramp-up, also left out of the
    latencies), is below ``count`` on short clips.
    """
    from .api import run_tracker
    out: dict[str, list] = {"counts": [], "objects": [], "p50_ms": [], "p99_ms": []}
    from ..registry import tracker_class
    emb = tracker_class(tracker).embeddings == "required"
    for n in counts:
        seq = _scaling_sequence(int(n), frames, seed + int(n), emb)
        run = run_tracker(tracker, seq, params, min_score)
        st = latency_stats(run.latency_ns[frames // 4:])  # skip the ramp-up
        out["counts"].append(int(n))
        out["objects"].append(float(run.num_dets[frames // 4:].mean()))
        out["p50_ms"].append(st["p50"])
        out["p99_ms"].append(st["p99"])
    return out


@dataclass
class BudgetRow:
    tracker: str
    profile: str
    factor: float
    host: dict                 # p50/p99/max/mean ms on this machine
    objects_mean: float
    objects_max: int
    target_p50: float
    target_p99: float
    target_max: float
    budget: float
    passed: bool | None             # None: no verdict (emulated or unknown CPU)
    largest: tuple | None = None   # (count, qualifier)
    factor_range: tuple | None = None
    cores: int = 1
    measured: bool = False
    target_work_p99: float = 0.0   # the verdict's basis: work p99 (see module docs) x factor

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else "PASS" if self.passed else "FAIL"

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["verdict"] = self.verdict
        if self.largest is not None:
            d["largest"] = {"count": self.largest[0], "qualifier": self.largest[1]}
        return d


def budget_report(latencies: Mapping[str, Sequence[np.ndarray]],
                  objects: Mapping[str, Sequence[np.ndarray]],
                  profiles: Sequence[Profile] | None = None, fps: float = DEFAULT_FPS,
                  cpu_share: float = DEFAULT_CPU_SHARE, cpu_scale: float | None = None,
                  scaling: Mapping[str, dict] | None = None) -> list[BudgetRow]:
    """One row per tracker x profile.

    Parameters
    ----------
    latencies : dict
        ``{tracker: [per-frame latency arrays (ns), one per sequence]}``.
    objects : dict
        ``{tracker: [per-frame detection counts]}`` (same shapes).
    profiles : list of Profile, optional
        Default: the ARTPEC table on an x86 host; elsewhere one profile "this
        machine" with factor 1: measured directly on a camera core, no verdict
        (``passed=None``) under emulation or on another CPU (see :func:`host_kind`).
    cpu_scale : float, optional
        Adds (or, alone on an Arm host, replaces) a profile "custom" with this factor.
    scaling : dict, optional
        ``{tracker: scaling_curve(...)}`` for the largest-count column.
    """
    b = budget_ms(fps, cpu_share)
    kind = host_kind()
    verdicts = kind["kind"] in ("x86", "camera")
    if profiles is None:
        if kind["kind"] == "x86":
            profiles = load_profiles()
        else:
            label = {"camera": f"this machine ({kind['core']}, measured directly)",
                     "emulated": "this machine (emulated aarch64: no verdict)"}.get(
                         kind["kind"], f"this machine ({kind['cpu']}: no verdict)")
            profiles = [Profile(label, 1.0, measured=kind["kind"] == "camera")]
    profiles = list(profiles)
    if cpu_scale is not None:
        if not cpu_scale > 0:
            raise ValueError(f"cpu_scale must be > 0, got {cpu_scale}")
        profiles.append(Profile(f"--cpu-scale {cpu_scale:g}", float(cpu_scale),
                                source="user-supplied factor"))
    rows = []
    for tr, lats in latencies.items():
        lat = np.concatenate([np.asarray(x) for x in lats]) if lats else np.zeros(0)
        obj = np.concatenate([np.asarray(x) for x in objects[tr]]) if lats else np.zeros(0)
        st = latency_stats(lat)
        st["work_p99"] = work_p99(lat * 1e-6, obj) if lat.size else 0.0
        for p in profiles:
            largest = None
            if scaling and tr in scaling:
                sc = scaling[tr]
                largest = largest_count(sc["objects"], sc["p50_ms"], p.factor, b)
            rows.append(BudgetRow(tr, p.name, p.factor, st,
                                  float(obj.mean()) if obj.size else 0.0,
                                  int(obj.max()) if obj.size else 0,
                                  st["p50"] * p.factor, st["p99"] * p.factor,
                                  st["max"] * p.factor, b,
                                  (st["work_p99"] * p.factor <= b) if verdicts else None, largest,
                                  p.factor_range, p.cores, p.measured, st["work_p99"] * p.factor))
    return rows


def format_budget(rows: Sequence[BudgetRow], fps: float = DEFAULT_FPS,
                  cpu_share: float = DEFAULT_CPU_SHARE) -> str:
    """Text report of :func:`budget_report` rows."""
    b = budget_ms(fps, cpu_share)
    judged = any(r.passed is not None for r in rows)
    lines = [f"CPU budget: {fps:g} fps x {100 * cpu_share:g}% of one core = {b:.2f} ms per frame"
             + (" (PASS = work p99 within budget: the p99 over frames of the median time of the "
                "frames with as many objects, so crowded frames count and host noise does not; "
                "the raw p99 is shown beside it)." if judged else ".")]
    lines.append(timing_note())
    if any(r.measured for r in rows) and any(not r.measured for r in rows):
        lines.append("factor 'measured' = calibrated on a target; 'estimate' = from the profile table.")
    head = ("tracker", "profile", "factor", "host p50/p99/max ms", "obj/frame",
            "target p50/p99/work-p99 ms", "budget ms", "verdict", "largest count")
    cells = []
    for r in rows:
        rng = f" ({r.factor_range[0]:g}-{r.factor_range[1]:g})" if r.factor_range else ""
        lc = "-"
        if r.largest is not None:
            c, q = r.largest
            lc = f"{q}{int(c)}" if q else f"~{int(c)}"
        basis = " measured" if r.measured else " estimate" if r.factor != 1.0 else ""
        cells.append((r.tracker, r.profile, f"{r.factor:g}{rng}{basis}",
                      f"{r.host['p50']:.3f}/{r.host['p99']:.3f}/{r.host['max']:.3f}",
                      f"{r.objects_mean:.1f} (max {r.objects_max})",
                      f"{r.target_p50:.2f}/{r.target_p99:.2f}/{r.target_work_p99:.2f}", f"{r.budget:.2f}",
                      r.verdict, lc))
    w = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(head)]
    lines.append("  ".join(h.ljust(x) for h, x in zip(head, w)))
    lines.append("  ".join("-" * x for x in w))
    prev = None
    for c in cells:
        if prev is not None and c[0] != prev:
            lines.append("")
        prev = c[0]
        lines.append("  ".join(v.ljust(x) for v, x in zip(c, w)))
    lines.append("largest count = objects per frame whose estimated median per-frame time still "
                 "fits (synthetic scaling run, 10-1600 objects; '>=': the largest measured fits). "
                 "The median, because short scaling runs' p99 is dominated by scheduler noise; "
                 "leave headroom for the p99/p50 ratio seen above.")
    if _FOOTPRINT.exists():
        lines += ["", format_footprint()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- footprint

def camera_footprint(path: str | os.PathLike | None = None) -> list[dict]:
    """Install size, start-up and memory figures (package data, each with its source).

    Each entry: ``what``, ``value``, ``unit``, ``where`` (machine), ``measured`` (False:
    an estimate) and ``source`` (the command that produced it).
    """
    p = Path(path) if path is not None else _FOOTPRINT
    with open(p, encoding="utf-8") as fh:
        doc = json.load(fh)
    items = doc.get("figures") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not all(isinstance(d, dict) and {"what", "value", "unit"} <= set(d)
                                              for d in items):
        raise ValueError(f"{p}: expected {{'figures': [{{'what', 'value', 'unit', ...}}]}}")
    return items


def format_footprint(figures: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Text block of :func:`camera_footprint` figures, plus this process's peak RSS."""
    figs = camera_footprint() if figures is None else figures
    lines = ["Install, start-up and memory (measured unless marked estimate; sources in "
             "mottrack/eval/data/camera_footprint.json):"]
    w = max((len(str(f["what"])) for f in figs), default=10)
    for f in figs:
        basis = "" if f.get("measured", True) else "  [estimate]"
        where = f"  ({f['where']})" if f.get("where") else ""
        lines.append(f"  {str(f['what']).ljust(w)}  {f['value']} {f['unit']}{where}{basis}")
    try:
        import resource
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        lines.append(f"  {'peak RSS of this process so far'.ljust(w)}  {rss:.0f} MB")
    except (ImportError, OSError):  # pragma: no cover - not on Linux
        pass
    return "\n".join(lines)


# --------------------------------------------------------------------------- calibrate

#: The fixed reference workload: SORT on a seeded synthetic scene (never change these
#: numbers: calibration files record times of exactly this workload).
REFERENCE: dict[str, Any] = {"tracker": "sort", "objects": 40, "frames": 300, "seed": 12345, "repeats": 5}


def reference_workload(repeats: int | None = None) -> dict:
    """Time the fixed reference workload; returns ``{"ms": best total, "per_frame_ms", ...}``.

    Compilation and the first run are excluded (warm-up); the best of ``repeats`` runs is
    reported (the least disturbed by other processes).
    """
    from .api import run_tracker
    from .datasets import EvalSequence
    from .simulate import DetectorSimulator, synthetic_scene
    r = REFERENCE
    gt = synthetic_scene(r["frames"], num_objects=2 * r["objects"], concurrent=r["objects"],
                         seed=r["seed"])
    sd = DetectorSimulator(seed=r["seed"], embedding_dim=0).simulate(gt, r["frames"])
    seq = EvalSequence("REFERENCE", gt, sd.dets, r["frames"], 1, 30.0, "MOT15", None,
                       (1920, 1080), True, "reference workload")
    run_tracker(r["tracker"], seq, None, None)  # warm-up (and compile)
    best: float | None = None
    for _ in range(int(repeats or r["repeats"])):
        run = run_tracker(r["tracker"], seq, None, None)
        t = run.total_seconds * 1e3
        best = t if best is None else min(best, t)
    if best is None:
        raise ValueError(f"repeats: expected a whole number >= 1; got {repeats!r}")
    return {"ms": best, "per_frame_ms": best / r["frames"], "frames": r["frames"],
            "detections": len(sd.dets), "workload": dict(r)}


def machine_info() -> dict:
    """CPU model, cores, architecture and versions (for reports)."""
    from .._numba import numba
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu or platform.machine(), "machine": platform.machine(),
            "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__ if numba is not None else "not usable",
            "platform": platform.platform(), "host_kind": host_kind()["kind"]}


def calibrate(write_profile: str | os.PathLike | None = None, name: str | None = None) -> dict:
    """Run the reference workload, return (and optionally write) a calibration record."""
    res = reference_workload()
    info = machine_info()
    kind = host_kind()
    rec = {"name": name or ("this camera" if kind["kind"] == "camera" else f"host {info['cpu']}"),
           "reference_ms": round(res["ms"], 3), "per_frame_ms": res["per_frame_ms"],
           "measured_on": info, "direct": kind["kind"] == "camera", "host_kind": kind["kind"],
           "workload": res["workload"],
           "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if write_profile is not None:
        p = Path(write_profile)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(rec, indent=2) + "\n")
    return rec
