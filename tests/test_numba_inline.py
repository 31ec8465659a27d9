"""Inlining mottrack functions (``inline='always'``): translated once per process, copied per call site.

The kernels here are built in a module named ``mottrack._inline_probe`` (the memo serves
mottrack's functions only), compiled without a cache, and checked against the same Python.
"""
from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

import mottrack._numba  # noqa: F401 - installs the inliner patch on the first compile
from numba.core.inline_closurecall import InlineWorker  # numba is a run-time dependency: no skip

PROBE = '''
import numpy as np
from numba import njit

@njit(inline="always")
def scale(v, k):
    t = v * k          # a local of the same name in every inlined copy
    return t + 1.0

@njit(inline="always")
def twice(v, k):
    a = scale(v, k)    # two call sites of scale inside one inlined function
    b = scale(a, k + 1.0)
    return a + b

@njit(inline="always")
def fill(out, start, k):
    for j in range(out.shape[0]):
        if j % 2 == 0:
            out[j] = scale(start + j, k)
        else:
            out[j] = -scale(start - j, k)
    return out.sum()

@njit
def kernel(x, k):
    out = np.empty(5)
    s = fill(out, x, k)
    t = twice(x, k) + twice(x + 1.0, -k) + scale(s, 0.5)
    return out, s, t
'''


def _probe_module(name: str = "mottrack._inline_probe") -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(compile(PROBE, f"<{name}>", "exec"), mod.__dict__)
    return mod


def _python(mod, x, k):
    out = np.empty(5)
    s = mod.fill.py_func(out, x, k)
    t = mod.twice.py_func(x, k) + mod.twice.py_func(x + 1.0, -k) + mod.scale.py_func(s, 0.5)
    return out, s, t


def test_the_memo_is_installed_by_the_first_compile():
    _probe_module("mottrack._inline_probe_first").kernel(1.0, 1.0)
    assert getattr(InlineWorker.inline_function, "_mottrack_memo", False)


def test_importing_mottrack_leaves_numbas_inliner_unloaded():
    # a process that loads every kernel from the cache never pays for numba's inliner modules
    code = "import sys, mottrack; print('numba.core.inline_closurecall' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("x, k", [(0.0, 1.0), (2.5, -3.0), (-7.25, 0.125)])
def test_inlined_copies_compute_what_python_does(x, k):
    mod = _probe_module()
    out, s, t = mod.kernel(x, k)
    want_out, want_s, want_t = _python(mod, x, k)
    np.testing.assert_array_equal(out, want_out)
    assert s == want_s and t == want_t


def test_inlined_copies_by_hand():
    out, s, t = _probe_module().kernel(0.0, 1.0)
    # fill: even j -> j + 1; odd j -> -(-j + 1) = j - 1
    np.testing.assert_array_equal(out, [1.0, 0.0, 3.0, 2.0, 5.0])
    assert s == 11.0
    # twice(0, 1) = 1 + 3; twice(1, -1) = 0 + 1; scale(11, 0.5) = 6.5
    assert t == 11.5

@pytest.fixture
def translated(monkeypatch):
    """The names of the functions numba's inliner translates (runs its untyped pipeline on)."""
    names: list[str] = []
    real = InlineWorker.run_untyped_passes

    def counting(self, func, enable_ssa=False):
        names.append(func.__name__)
        return real(self, func, enable_ssa)

    monkeypatch.setattr(InlineWorker, "run_untyped_passes", counting)
    return names


def test_each_function_is_translated_once_per_process(translated):
    mod = _probe_module("mottrack._inline_probe_count")
    mod.kernel(1.0, 2.0)
    # scale has five call sites (two in fill, two in twice, one in kernel): one translation
    assert sorted(translated) == ["fill", "scale", "twice"]


def test_functions_outside_mottrack_keep_numbas_inliner(translated):
    mod = _probe_module("not_mottrack_probe")
    out, s, t = mod.kernel(1.0, 2.0)
    want_out, want_s, want_t = _python(mod, 1.0, 2.0)
    np.testing.assert_array_equal(out, want_out)
    assert (s, t) == (want_s, want_t)
    assert translated.count("scale") > 1  # numba translates at every call site
