"""Start-up benchmark: CPU seconds and peak memory of mottrack's first runs, each in a fresh
process, into an empty kernel cache and into the warm cache that run left behind.

Measures (``--measures``, default all):

* ``import``: ``python -c "import mottrack"`` (warm cache);
* ``tracker``: per registered tracker, a fresh process that imports mottrack and runs the
  tracker's first ``update`` (``mottrack.__main__.warm_tracker(NAME, first_only=True)``),
  into an empty cache, then again with the cache it filled;
* ``decoders``: the Larod decoders and the MOT reader, empty cache;
* ``eval``: ``python -m mottrack.eval`` (the embedded default: every tracker, metrics,
  budget), empty cache, then warm;
* ``compile``: ``python -m mottrack compile --cache-dir EMPTY``;
* ``kernels``: ``eval/profile_kernels.py TARGET`` per tracker, ``decoders`` and ``metrics``,
  each into an empty cache: the compile CPU seconds per kernel (HEAD only; or render JSON
  files it wrote earlier with ``--kernels-from DIR``).

Each command runs under ``/usr/bin/time -v``: CPU = user + system seconds of the whole
process tree, peak RSS = the largest single process of the tree (what ``time`` reports),
wall = elapsed seconds.  Single-process measures are pinned to one core (``taskset -c 1``);
``eval`` and ``compile`` are not, since they compile in parallel processes (their wall time
shows it).  ``--baseline COMMIT`` runs the same measures on that commit (``git archive`` into
a temporary folder) in the same run, interleaved, and reports ratios; ``--wheel FILE`` the
same on a built wheel, unpacked (a release wheel carries its compiled kernels: ``setup.py``).

    python eval/bench_startup.py [--baseline COMMIT] [--wheel FILE] [--measures eval,compile] [--repeats N]
        [--out eval/results/startup.md] [--readme]

``--readme`` rewrites README.md's start-up table (between its ``startup-table`` markers)
and the start-up figures of ``mottrack/eval/data/camera_footprint.json`` from the results.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEASURES = ("import", "tracker", "decoders", "eval", "compile", "kernels")
TIME = "/usr/bin/time"


def _taskset() -> list[str]:
    return ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def timed(cmd: list[str], cwd: Path, env: dict[str, str], pin: bool) -> dict:
    """Run ``cmd`` under ``/usr/bin/time -v``; returns cpu_s, peak_mb, wall_s, rc, stderr tail."""
    full = [TIME, "-v"] + (_taskset() if pin else []) + cmd
    proc = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    err = proc.stderr

    def field(name: str) -> str:
        m = re.search(rf"^\s*{re.escape(name)}: (.+)$", err, re.M)
        return m.group(1).strip() if m else "0"

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")]
    wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    out = {"cpu_s": float(field("User time (seconds)")) + float(field("System time (seconds)")),
           "peak_mb": float(field("Maximum resident set size (kbytes)")) / 1024.0,
           "wall_s": wall_s, "rc": proc.returncode}
    if proc.returncode:
        out["error"] = "\n".join(ln for ln in err.splitlines() if not ln.startswith("\t"))[-2000:]
    return out


def _trackers(src: Path) -> list[str]:
    code = "import json; from mottrack.registry import available_trackers as a; print(json.dumps(list(a())))"
    out = subprocess.run([sys.executable, "-c", code], cwd=src, env=_env(src), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _env(src: Path, cache: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MOTTRACK_CACHE_DIR", "NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "PYTHONPATH",
                        "MOTTRACK_COMPILE_NOTICE")}
    env["PYTHONPATH"] = str(src)
    if cache is not None:
        env["MOTTRACK_CACHE_DIR"] = cache
    return env


def run_measures(label: str, src: Path, measures: list[str], work: Path, log) -> list[dict]:
    """Every measure of ``measures`` on the package in ``src``; rows of dicts."""
    py = sys.executable
    rows: list[dict] = []

    def rec(what: str, cmd_text: str, r: dict, cache: str) -> None:
        row = {"source": label, "what": what, "cache": cache, "command": cmd_text, **r}
        rows.append(row)
        log(f"  [{label}] {what:<34} {cache:<5} {r['cpu_s']:7.1f} s CPU  {r['peak_mb']:6.0f} MB  "
            f"{r['wall_s']:6.1f} s wall" + (f"  FAILED rc={r['rc']}" if r["rc"] else ""))

    if "tracker" in measures:
        for name in _trackers(src):
            cache = tempfile.mkdtemp(prefix=f"cache-{name}-", dir=work)
            code = f"import mottrack.__main__ as m; m.warm_tracker({name!r}, first_only=True)"
            for state in ("empty", "warm"):
                rec(f"{name}: import + first update", f'python -c "{code}"',
                    timed([py, "-c", code], src, _env(src, cache), pin=True), state)
    if "import" in measures:
        cache = tempfile.mkdtemp(prefix="cache-import-", dir=work)
        rec("import mottrack", 'python -c "import mottrack"',
            timed([py, "-c", "import mottrack"], src, _env(src, cache), pin=True), "warm")
    if "decoders" in measures:
        cache = tempfile.mkdtemp(prefix="cache-dec-", dir=work)
        code = "import mottrack.__main__ as m; m.warm_decoders()"
        rec("decoders + MOT reader", f'python -c "{code}"', timed([py, "-c", code], src, _env(src, cache),
                                                                 pin=True), "empty")
    if "eval" in measures:
        cache = tempfile.mkdtemp(prefix="cache-eval-", dir=work)
        for state in ("empty", "warm"):
            rec("python -m mottrack.eval", "python -m mottrack.eval --no-progress",
                timed([py, "-m", "mottrack.eval", "--no-progress"], src, _env(src, cache), pin=False), state)
    if "compile" in measures:
        cache = tempfile.mkdtemp(prefix="cache-compile-", dir=work)
        rec("python -m mottrack compile", "python -m mottrack compile --cache-dir DIR",
            timed([py, "-m", "mottrack", "compile", "--cache-dir", cache], src, _env(src), pin=False), "empty")
    if "kernels" in measures and label.startswith("HEAD"):
        for t in _trackers(src) + ["decoders", "metrics"]:
            cache = tempfile.mkdtemp(prefix=f"cache-k-{t}-", dir=work)
            out = work / f"kernels-{t}.json"
            env = dict(_env(src, cache), MOTTRACK_PROFILE_INSTALLED="1")  # profile `src`, not ROOT
            subprocess.run([py, str(ROOT / "eval" / "profile_kernels.py"), t, "--json", str(out)],
                           cwd=src, env=env, capture_output=True, check=False)
            log(f"  [{label}] kernels of {t}: {'ok' if out.exists() else 'FAILED'}")
            if out.exists():
                KERNEL_DOCS.append(json.loads(out.read_text()))
    return rows


KERNEL_DOCS: list[dict] = []


def kernels_markdown(docs: list[dict], top: int = 12) -> str:
    """Per target: total and compile CPU, peak RSS, and its most expensive kernels."""
    if not docs:
        return ""
    lines = ["", "## Compile CPU per kernel (eval/profile_kernels.py, each target into an empty cache)", "",
             "excl = the kernel's own compile (kernels it calls that compile on their own are listed "
             "separately; numba's implementations it pulls in first, e.g. sorting or array "
             "set-item, are included and shown as 'numba impls'); typing / lowering = numba's type "
             "inference and lowering passes (lowering includes LLVM); +MB = resident memory the "
             "compile added.", "",
             "| target | CPU s | compiling s | peak MB | kernels |", "|---|---:|---:|---:|---:|"]
    for d in docs:
        lines.append(f"| {d['target']} | {d['cpu_s']:.1f} | {d['compile_cpu_s']:.1f} | {d['peak_rss_mb']:.0f} "
                     f"| {len(d['kernels'])} |")
    for d in docs:
        lines += ["", f"### {d['target']}", "",
                  "| kernel | sigs | excl s | typing s | lowering s | numba impls s | +MB |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        rows = sorted(d["kernels"].items(), key=lambda kv: -kv[1]["exclusive_s"])[:top]
        for name, k in rows:
            lines.append(f"| {name.replace('mottrack.', '')} | {k['signatures']} | {k['exclusive_s']:.2f} | "
                         f"{k['typing_s']:.2f} | {k['lowering_s']:.2f} | {k.get('numba_impls_s', 0.0):.2f} | "
                         f"{k['rss_added_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def _archive(commit: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    return dest


def _unpack(wheel: Path, dest: Path) -> Path:
    """The package of ``wheel`` unpacked into ``dest`` (what installing it puts on sys.path)."""
    import zipfile
    with zipfile.ZipFile(wheel) as z:
        z.extractall(dest)
    return dest


def _head() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip() or "?"


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    return s[len(s) // 2] if s else float("nan")


def summarise(rows: list[dict]) -> list[dict]:
    """Median per (what, cache, source) over repeats."""
    keys: dict[tuple, list[dict]] = {}
    for r in rows:
        keys.setdefault((r["what"], r["cache"], r["source"]), []).append(r)
    out = []
    for (what, cache, source), rs in keys.items():
        out.append({"what": what, "cache": cache, "source": source, "command": rs[0]["command"],
                    "cpu_s": _median([r["cpu_s"] for r in rs]), "peak_mb": _median([r["peak_mb"] for r in rs]),
                    "wall_s": _median([r["wall_s"] for r in rs]), "n": len(rs),
                    "failed": sum(1 for r in rs if r["rc"])})
    return out


def to_markdown(summary: list[dict], labels: list[str], note: str) -> str:
    lines = ["# Start-up: CPU and peak memory of first runs (eval/bench_startup.py)", "",
             note, "",
             "| what | cache | " + " | ".join(f"{lb}: CPU s / peak MB / wall s" for lb in labels)
             + (" | CPU ratio | peak ratio |" if len(labels) == 2 else " |"),
             "|---|---|" + "---:|" * len(labels) + ("---:|---:|" if len(labels) == 2 else "")]
    order: list[tuple[str, str]] = []
    for r in summary:
        if (r["what"], r["cache"]) not in order:
            order.append((r["what"], r["cache"]))
    by = {(r["what"], r["cache"], r["source"]): r for r in summary}
    for what, cache in order:
        cells = []
        for lb in labels:
            got = by.get((what, cache, lb))
            cells.append("-" if got is None else f"{got['cpu_s']:.1f} / {got['peak_mb']:.0f} / "
                         f"{got['wall_s']:.1f}" + (" FAILED" if got["failed"] else ""))
        row = f"| {what} | {cache} | " + " | ".join(cells) + " |"
        if len(labels) == 2:
            a, b = by.get((what, cache, labels[0])), by.get((what, cache, labels[1]))
            if a and b and b["cpu_s"] > 0 and b["peak_mb"] > 0:
                row += f" {a['cpu_s'] / b['cpu_s']:.2f} | {a['peak_mb'] / b['peak_mb']:.2f} |"
            else:
                row += " - | - |"
        lines.append(row)
    lines += ["", "Commands (each in a fresh process, `MOTTRACK_CACHE_DIR` a fresh folder for 'empty', the "
              "folder the 'empty' run filled for 'warm'):", ""]
    seen = set()
    for r in summary:
        if r["command"] not in seen:
            seen.add(r["command"])
            lines.append(f"- `{r['command']}`")
    return "\n".join(lines) + "\n"


README_BEGIN = "<!-- startup-table: generated by eval/bench_startup.py --readme -->"
README_END = "<!-- /startup-table -->"


def readme_table(summary: list[dict], labels: list[str]) -> str:
    """README's table: one row per measure, this checkout's figures (kernels compile) and,
    when a wheel was measured (``--wheel``), the release wheel's (kernels bundled)."""
    shown = [lb for lb in labels if lb.startswith(("HEAD", "wheel"))]
    head = {"HEAD": "from source: CPU / peak RSS", "wheel": "release wheel: CPU / peak RSS"}
    lines = [README_BEGIN, "", "| what | kernel cache | " + " | ".join(head[lb.split()[0]] for lb in shown) + " |",
             "|---|---|" + "---:|" * len(shown)]
    by = {(r["what"], r["cache"], r["source"]): r for r in summary}
    order = list(dict.fromkeys((r["what"], r["cache"]) for r in summary if r["source"] in shown))
    for what, cache in order:
        first = next(by[(what, cache, lb)] for lb in shown if (what, cache, lb) in by)
        name = f"`{first['command']}`" if ":" not in what else f"{what.split(':')[0]}: import + first update"
        cells = [f"{by[(what, cache, lb)]['cpu_s']:.1f} s / {by[(what, cache, lb)]['peak_mb']:.0f} MB"
                 if (what, cache, lb) in by else "-" for lb in shown]
        lines.append(f"| {name} | {cache} | " + " | ".join(cells) + " |")
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme(summary: list[dict], labels: list[str]) -> None:
    path = ROOT / "README.md"
    text = path.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"README.md has no {README_BEGIN} ... {README_END} block")
    a = text.index(README_BEGIN)
    b = text.index(README_END) + len(README_END)
    path.write_text(text[:a] + readme_table(summary, labels) + text[b:])


def update_footprint(summary: list[dict], labels: list[str]) -> None:
    label = labels[0]
    path = ROOT / "mottrack" / "eval" / "data" / "camera_footprint.json"
    doc = json.loads(path.read_text())
    by = {(r["what"], r["cache"]): r for r in summary if r["source"] == label}
    ev, ev2 = by.get(("python -m mottrack.eval", "empty")), by.get(("python -m mottrack.eval", "warm"))
    if ev is not None:
        for f in doc["figures"]:
            if f["what"].startswith("first python -m mottrack.eval"):
                f["value"] = round(ev["cpu_s"])
                f["unit"] = f"s CPU, {ev['peak_mb']:.0f} MB peak RSS"
                f["source"] = ("eval/bench_startup.py (/usr/bin/time -v python -m mottrack.eval with an empty "
                               "MOTTRACK_CACHE_DIR)" + (f"; the next run: {ev2['cpu_s']:.1f} s CPU, "
                                                         f"{ev2['peak_mb']:.0f} MB" if ev2 else ""))
    comp = by.get(("python -m mottrack compile", "empty"))
    if comp is not None:
        for f in doc["figures"]:
            if f["what"].startswith("compile SORT, ByteTrack, DeepSORT") or f["what"].startswith("compile every tracker and the decoders (empty"):
                f["what"] = "compile every tracker and the decoders (empty cache)"
                f["value"] = round(comp["cpu_s"])
                f["unit"] = f"s CPU ({comp['wall_s']:.0f} s wall, parallel processes), {comp['peak_mb']:.0f} MB peak RSS"
                f["source"] = "eval/bench_startup.py (/usr/bin/time -v python -m mottrack compile --cache-dir EMPTY_DIR)"
    wheel = next((lb for lb in labels if lb.startswith("wheel")), None)
    wev = next((r for r in summary if r["source"] == wheel and r["what"] == "python -m mottrack.eval"
                and r["cache"] == "empty"), None)
    if wev is not None:
        what = "first python -m mottrack.eval, release wheel (empty cache)"
        fig = next((f for f in doc["figures"] if f["what"] == what), None)
        if fig is None:
            at = next((i + 1 for i, f in enumerate(doc["figures"])
                       if f["what"].startswith("first python -m mottrack.eval")), len(doc["figures"]))
            fig = {"what": what, "where": platform.machine().replace("x86_64", "x86-64"), "measured": True}
            doc["figures"].insert(at, fig)
        fig["value"] = round(wev["cpu_s"], 1)
        fig["unit"] = f"s CPU, {wev['peak_mb']:.0f} MB peak RSS (kernels bundled in the wheel, 0 compiled)"
        fig["source"] = ("eval/bench_startup.py --wheel (a MOTTRACK_BUNDLE_KERNELS=1 wheel, /usr/bin/time -v "
                         "python -m mottrack.eval with an empty MOTTRACK_CACHE_DIR)")
    imp = by.get(("import mottrack", "warm"))
    if imp is not None:
        for f in doc["figures"]:
            if f["what"].startswith("import mottrack"):
                f["value"] = round(imp["cpu_s"], 2)
                f["source"] = "eval/bench_startup.py (/usr/bin/time -v python -c 'import mottrack', whole process)"
    path.write_text(json.dumps(doc, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", metavar="COMMIT", help="also measure this commit (git archive) for ratios")
    p.add_argument("--wheel", metavar="FILE",
                   help="also measure this wheel (unpacked; e.g. a release wheel with bundled kernels, "
                        "built by MOTTRACK_BUNDLE_KERNELS=1 python -m build --wheel --no-isolation)")
    p.add_argument("--measures", default=",".join(MEASURES), help=f"comma-separated subset of {MEASURES}")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "eval" / "results" / "startup.md"))
    p.add_argument("--json", help="also write every raw row as JSON")
    p.add_argument("--notes", metavar="FILE", help="append this Markdown file (findings) to --out")
    p.add_argument("--rows", nargs="+", metavar="FILE",
                   help="measure nothing: render the raw rows of earlier --json files (merged)")
    p.add_argument("--kernels-from", metavar="DIR",
                   help="append the per-kernel tables of eval/profile_kernels.py JSON files in DIR")
    p.add_argument("--readme", action="store_true",
                   help="rewrite README's start-up table and camera_footprint.json from this run")
    args = p.parse_args(argv)
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        p.error(f"--measures: unknown {bad}; choose from {MEASURES}")
    if not Path(TIME).exists():
        p.error(f"{TIME} is needed (apt-get install time)")
    head = _head()
    rows: list[dict] = []
    if args.rows:
        for f in args.rows:
            rows += json.loads(Path(f).read_text())
        labels = list(dict.fromkeys(r["source"] for r in sorted(rows, key=lambda r: not r["source"].startswith("HEAD"))))
        return _report(args, rows, labels)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        # a snapshot of this checkout's package, so that editing it meanwhile changes nothing here
        snap = work / "head"
        shutil.copytree(ROOT / "mottrack", snap / "mottrack", ignore=shutil.ignore_patterns("__pycache__"))
        sources = [(f"HEAD {head}", snap)]
        if args.baseline:
            sources.append((f"{args.baseline}", _archive(args.baseline, work / "baseline")))
        if args.wheel:
            sources.append((f"wheel {Path(args.wheel).name.split('-')[1]}", _unpack(Path(args.wheel), work / "wheel")))
        for rep in range(args.repeats):
            for label, src in (sources if rep % 2 == 0 else sources[::-1]):  # interleaved
                print(f"repeat {rep + 1}/{args.repeats}: {label}", file=sys.stderr, flush=True)
                rows += run_measures(label, src, measures, work, lambda s: print(s, file=sys.stderr, flush=True))
                if args.json:  # after every source: a run cut short keeps what it measured
                    Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return _report(args, rows, [lb for lb, _ in sources])


def _report(args, rows: list[dict], labels: list[str]) -> int:
    summary = summarise(rows)
    note = (f"Machine: {platform.machine()}, {os.cpu_count()} CPUs ({platform.processor() or platform.node()}), "
            f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            f"medians of the repeats, sources interleaved. CPU = user + system seconds of the process "
            "tree (/usr/bin/time -v), peak = its largest single process. The machine is shared with other jobs: "
            "CPU seconds count, wall seconds vary with the load.")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if args.kernels_from:
        KERNEL_DOCS.extend(json.loads(p.read_text()) for p in sorted(Path(args.kernels_from).glob("*.json")))
    notes = "\n" + Path(args.notes).read_text() if args.notes else ""
    Path(args.out).write_text(to_markdown(summary, labels, note) + notes + kernels_markdown(KERNEL_DOCS))
    print(Path(args.out).read_text())
    if args.readme:
        update_readme(summary, labels)
        update_footprint(summary, labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
