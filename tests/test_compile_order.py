"""Compiling targets side by side: trackers that share kernels never compile at the same time."""
from __future__ import annotations

import threading
import time

import pytest

import mottrack  # noqa: F401 - registers the trackers
import mottrack.__main__ as cli
from mottrack.registry import next_compile_target, registered_trackers, shares_kernels


def test_which_trackers_share_kernels():
    names = registered_trackers()
    kin = sorted(tuple(sorted((a, b))) for a in names for b in names if a < b and shares_kernels(a, b))
    # ByteTrack and BoT-SORT run the BYTE stages, OC-SORT and Hybrid-SORT OC-SORT's
    assert kin == [("botsort", "bytetrack"), ("hybridsort", "ocsort")]
    assert shares_kernels("ocsort", "ocsort")
    assert not shares_kernels("sort", "deepsort")
    assert not shares_kernels("metrics", "bytetrack") and not shares_kernels("decoders", "decoders")


@pytest.mark.parametrize("queue, running, want", [
    (["botsort", "hybridsort", "metrics"], ["bytetrack", "ocsort"], 2),
    (["botsort", "hybridsort"], ["bytetrack", "ocsort"], None),
    (["hybridsort", "deepsort"], ["ocsort"], 1),
    (["hybridsort", "deepsort"], [], 0),
    ([], ["sort"], None),
])
def test_next_compile_target(queue, running, want):
    assert next_compile_target(queue, running) == want


def test_compile_never_runs_kin_side_by_side(monkeypatch):
    lock = threading.Lock()
    running: list[str] = []
    seen_together: list[tuple[str, ...]] = []

    def fake_spawn(target, env, first_only=False):
        with lock:
            running.append(target)
            seen_together.append(tuple(sorted(running)))
        time.sleep(0.02)  # long enough for the pool to start another target beside it
        with lock:
            running.remove(target)
        return {"target": target}

    monkeypatch.setattr(cli, "_spawn", fake_spawn)
    stage = ["bytetrack", "botsort", "ocsort", "hybridsort", "deepsort"]
    done = cli._run_stages([["sort", "decoders"], stage], {}, 2, lambda r: None)
    assert sorted(r["target"] for r in done) == sorted(["sort", "decoders"] + stage)
    assert max(len(s) for s in seen_together) == 2  # two at a time were used
    for together in seen_together:
        assert not any(shares_kernels(a, b) for a in together for b in together if a != b), together
