"""Build hooks: a release wheel can carry compiled kernels.

``MOTTRACK_BUNDLE_KERNELS=1 python -m build --wheel --no-isolation`` (numba, numpy, SciPy and
motmetrics installed in the building environment) compiles every kernel for a generic CPU of
the building machine's architecture into ``mottrack/_kernels/`` of the wheel
(``python -m mottrack compile --portable`` plus the evaluator's metric kernels), and tags the
wheel for that Python and platform.  Installed, its first ``import mottrack`` copies them into
the kernel cache (``mottrack._numba.seed_from_bundle``), so nothing compiles on first use.
Without the variable the wheel is pure Python and kernels compile on first use.
"""
from __future__ import annotations

import os
import subprocess
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

BUNDLE = os.environ.get("MOTTRACK_BUNDLE_KERNELS", "") not in ("", "0")


class BuildWithKernels(build_py):
    """build_py, then (with MOTTRACK_BUNDLE_KERNELS=1) the kernels compiled into the build."""

    def run(self) -> None:
        super().run()
        if not BUNDLE or self.dry_run:
            return
        lib = os.path.abspath(self.build_lib)
        out = os.path.join(lib, "mottrack", "_kernels")
        env = dict(os.environ, PYTHONPATH=lib, PYTHONDONTWRITEBYTECODE="1", MOTTRACK_CACHE_DIR=out)
        env.pop("NUMBA_CPU_NAME", None)
        # every tracker and the decoders, portable; then the evaluator's default run (its
        # metric kernels and warm records) with those kernels
        subprocess.run([sys.executable, "-m", "mottrack", "compile", "--portable", "--cache-dir", out],
                       env=env, cwd=lib, check=True)
        subprocess.run([sys.executable, "-m", "mottrack.eval", "--no-progress"],
                       env=env, cwd=lib, check=True, stdout=subprocess.DEVNULL)
        for root, _dirs, files in os.walk(out):
            for name in files:
                if name == ".lock" or name.endswith(".tmp"):
                    os.remove(os.path.join(root, name))


class KernelsDistribution(Distribution):
    """With bundled kernels the wheel holds machine code: tagged for this Python and platform."""

    def has_ext_modules(self) -> bool:
        return BUNDLE


setup(cmdclass={"build_py": BuildWithKernels}, distclass=KernelsDistribution)
