"""Check the built wheel and sdist: every file of the package is in both (modules, py.typed,
package data), and nothing else is (no tests, benchmarks, results or MOTChallenge data).

Usage: python .ci/check_dist.py DIST_DIR   (run from the repository root, a git checkout)
"""
from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

MAX_BYTES = 2_000_000  # the package is code plus a few small data files


def main(dist: Path) -> int:
    tracked = set(subprocess.run(["git", "ls-files", "mottrack"], capture_output=True, text=True,
                                 check=True).stdout.split())
    if "mottrack/py.typed" not in tracked or not any(p.startswith("mottrack/eval/data/") for p in tracked):
        return fail("git ls-files mottrack lacks py.typed or eval/data: run from the repository root")
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return fail(f"expected one wheel and one sdist in {dist}; found {wheels + sdists}")
    problems = []
    with zipfile.ZipFile(wheels[0]) as z:
        names = {n for n in z.namelist() if not n.endswith("/")}
    meta = {n for n in names if ".dist-info/" in n}
    problems += check("wheel", wheels[0], names - meta, tracked)
    with tarfile.open(sdists[0]) as t:
        top = t.getnames()[0].split("/")[0]
        names = {m.name[len(top) + 1:] for m in t.getmembers() if m.isfile()}
    project = {"PKG-INFO", "README.md", "CHANGELOG.md", "pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in",
               "LICENSE"}
    extra = {n for n in names if n in project or n.startswith("mottrack.egg-info/")}
    problems += check("sdist", sdists[0], names - extra, tracked)
    for p in problems:
        print(f"check_dist: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_dist: {wheels[0].name} and {sdists[0].name} hold the {len(tracked)} package files "
          f"(py.typed and mottrack/eval/data included) and nothing else")
    return 0


def check(kind: str, path: Path, names: set, tracked: set) -> list:
    out = []
    missing = sorted(tracked - names)
    if missing:
        out.append(f"{kind} {path.name} lacks {missing}")
    unexpected = sorted(names - tracked)
    if unexpected:
        out.append(f"{kind} {path.name} holds files that are not package files: {unexpected[:20]}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        out.append(f"{kind} {path.name} is {size} bytes (> {MAX_BYTES}): data got in?")
    return out


def fail(msg: str) -> int:
    print(f"check_dist: {msg}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
