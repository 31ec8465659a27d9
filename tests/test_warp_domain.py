"""Camera warps that carry tracks out of the coordinate domain: every tracker holds.

A warp is valid input however far it translates the image (``camera_warp`` checks that it
is finite and invertible, scales by at most ``MAX_WARP_SCALE`` = 1e4 either way, and, for a
homography, has perspective terms of at most 1 and a translation within the domain; beyond
those it is rejected), but detections live within ``+-MAX_COORDINATE``
(docs/robustness.md, the numeric domain).  After any accepted warp, every registered
tracker reports only finite boxes within the domain, keeps tracking the objects that
appear afterwards, and (for translations) saves a state that restores.  DeepSORT used to
report the predicted box of a track it had just seen, 1e16 pixels away.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import mottrack
from mottrack import Detections, Tracker
from mottrack.detections import MAX_COORDINATE
from mottrack.registry import tracker_class

TRACKERS = mottrack.registered_trackers()


def _frame(cls: type, k: int) -> Any:
    i = np.arange(3, dtype=np.float64)
    x = 20.0 + 150.0 * i + 4.0 * k
    y = 40.0 + 30.0 * i + 1.5 * k
    rows = np.column_stack([x, y, x + 40.0, y + 100.0, np.full(3, 0.9)])
    if cls.embeddings == "none":
        return rows
    emb = (np.random.default_rng(3).normal(size=(3, 8)) + 3.0 * np.eye(3, 8)).astype(np.float32)
    return Detections.from_array(rows, embeddings=emb)


def _in_domain(out: np.ndarray) -> bool:
    return bool(np.isfinite(out).all() and (np.abs(out[:, :4]) <= MAX_COORDINATE).all())


TRANSLATIONS = {
    "x by 1e16": np.array([[1.0, 0.0, 1e16], [0.0, 1.0, 0.0]]),
    "y by -1e16": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -1e16]]),
    "x by 1e300": np.array([[1.0, 0.0, 1e300], [0.0, 1.0, 0.0]]),
    "just beyond": np.array([[1.0, 0.0, MAX_COORDINATE], [0.0, 1.0, 0.0]]),
}
ZOOMS = {  # within the bounds of camera_warp
    "zoom 1e4 (MAX_WARP_SCALE)": np.array([[1e4, 0.0, 0.0], [0.0, 1e4, 0.0]]),
    "zoom 1e-4": np.array([[1e-4, 0.0, 0.0], [0.0, 1e-4, 0.0]]),
    "anisotropic 1e3 / 1e-3": np.array([[1e3, 0.0, 0.0], [0.0, 1e-3, 0.0]]),
    "homography to the horizon": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0 / 70.0, 0.0, 1.0]]),
}
#: Warps beyond them: a 1e200 zoom left ByteTrack and BoT-SORT (Python and C) with inf
#: covariances, so their own saved state no longer loaded; a homography's huge perspective
#: terms or translation (with perspective) did the same through its Jacobian.
BEYOND = {
    "zoom 1e200": (np.array([[1e200, 0.0, 0.0], [0.0, 1e200, 0.0]]), "the warp scales by 1e+200 to 1e+200"),
    "zoom 1e10": (np.array([[1e10, 0.0, 0.0], [0.0, 1e10, 0.0]]), "the warp scales by 1e+10 to 1e+10"),
    "anisotropic 1e150": (np.array([[1e150, 0.0, 0.0], [0.0, 1e-150, 0.0]]), "the warp scales by 1e-150 to 1e+150"),
    "zoom 1e-5": (np.array([[1e-5, 0.0, 0.0], [0.0, 1e-5, 0.0]]), "the warp scales by 1e-05 to 1e-05"),
    "shear 1e300": (np.array([[1.0, 1e300, 0.0], [0.0, 1.0, 0.0]]), "the warp scales by 0 to 1e+300"),
    "perspective 1e300": (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1e300, 1.0]]), "a homography needs"),
    "perspective 1.5": (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.5, 0.0, 1.0]]), "a homography needs"),
    "translation 1e300 with perspective": (
        np.array([[1.0, 0.0, 4.7], [0.0, 1.0, 1e300], [-3e-8, 7e-9, 1.0]]), "a homography needs"),
}


def _run(name: str, warp: np.ndarray, times: int = 1) -> Tracker:
    cls = tracker_class(name)
    t = mottrack.create_tracker(name)
    for k in range(6):
        t.update(_frame(cls, k))
    for k in range(6, 6 + times):
        out = t.update(_frame(cls, k), camera_motion=warp)
        assert _in_domain(out), f"{name}: output beyond the coordinate domain after the warp:\n{out}"
    for k in range(6 + times, 12 + times):  # the objects seen after the warp are tracked
        out = t.update(_frame(cls, k))
        assert _in_domain(out)
    assert len(out) == 3
    return t


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("label", list(TRANSLATIONS))
def test_a_translation_beyond_the_domain_is_held(name: str, label: str) -> None:
    t = _run(name, TRANSLATIONS[label])
    restored = Tracker.from_state(t.state_dict())  # a finite state within what loads
    cls = tracker_class(name)
    assert restored.update(_frame(cls, 20)).tobytes() == t.update(_frame(cls, 20)).tobytes()


@pytest.mark.parametrize("name", TRACKERS)
def test_repeated_translations_walking_out_of_the_domain_are_held(name: str) -> None:
    _run(name, np.array([[1.0, 0.0, 3e14], [0.0, 1.0, 0.0]]), times=8)


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("label", list(ZOOMS))
def test_a_large_zoom_keeps_the_output_in_the_domain_and_the_state_loads(name: str, label: str) -> None:
    t = _run(name, ZOOMS[label])
    restored = Tracker.from_state(t.state_dict())
    cls = tracker_class(name)
    assert restored.update(_frame(cls, 20)).tobytes() == t.update(_frame(cls, 20)).tobytes()


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("label", list(BEYOND))
def test_a_warp_beyond_the_bounds_is_rejected_and_changes_nothing(name: str, label: str) -> None:
    """(libmottrack applies the same bounds: native/tests/test_main.c, test_domain_bounds.)"""
    warp, message = BEYOND[label]
    cls = tracker_class(name)
    t = mottrack.create_tracker(name)
    twin = mottrack.create_tracker(name)
    for k in range(6):
        t.update(_frame(cls, k))
        twin.update(_frame(cls, k))
    with pytest.raises(ValueError, match="^" + re.escape(f"camera_motion: {message}")):
        t.update(_frame(cls, 6), camera_motion=warp)
    for k in range(6, 9):
        assert t.update(_frame(cls, k)).tobytes() == twin.update(_frame(cls, k)).tobytes()


def test_the_warp_bounds_are_the_documented_constants() -> None:
    from mottrack import geometry
    assert geometry.MAX_WARP_SCALE == 1e4 and geometry._MAX_COORDINATE == MAX_COORDINATE
