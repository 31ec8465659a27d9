"""Shared fixtures: the path of ../shared (tests that need it skip when it is absent).

Two switches for CI (``.ci/run`` sets both):

- ``MOTTRACK_REQUIRE_SHARED=1``: a *required* skip fails instead, so the reference and MQTT
  tests cannot silently skip.  A skip is required when it is raised by :func:`required_skip`
  (``shared_path``, the ``shared`` fixture, the MQTT broker) or the test carries the
  ``require_shared`` marker (:func:`require_or_skip` adds it to a ``skipif``); other skips
  (optional data not in ../shared, such as real KITTI labels) stay skips.  No message text
  is matched;
- ``MOTTRACK_TEST_INSTALLED=1``: the session stops unless ``mottrack`` is imported from outside
  this source tree (the installed package, not the checkout).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


class RequiredSkip(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A skip that ``MOTTRACK_REQUIRE_SHARED=1`` turns into a failure."""


def required_skip(reason: str) -> NoReturn:
    """Skip the calling test for a missing required resource (see the module docs)."""
    raise RequiredSkip(reason)


def require_or_skip(missing: bool, reason: str) -> Callable[[Any], Any]:
    """``pytest.mark.skipif(missing, reason=reason)`` plus the ``require_shared`` marker."""
    def mark(obj: Any) -> Any:
        return pytest.mark.require_shared(pytest.mark.skipif(missing, reason=reason)(obj))
    return mark


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the calling test when it does not exist."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        # Justified: ../shared (real MOTChallenge data, reference outputs) is not part of the
        # repository; it is present in CI, so these tests run there.
        required_skip(f"shared data not available: {p}")
    return p


@pytest.fixture
def shared() -> Path:
    if not SHARED.exists():
        # Justified: see shared_path above.
        required_skip("../shared is not available")
    return SHARED


def pytest_report_header(config: pytest.Config) -> str:
    import mottrack
    return f"mottrack {mottrack.__version__} from {Path(mottrack.__file__).resolve().parent}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("MOTTRACK_TEST_INSTALLED") == "1":
        import mottrack
        where = Path(mottrack.__file__).resolve()
        if ROOT in where.parents:
            raise pytest.UsageError(f"MOTTRACK_TEST_INSTALLED=1 but mottrack was imported from the "
                                    f"source tree ({where}); run pytest from outside {ROOT}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    required = item.get_closest_marker("require_shared") is not None or (
        call.excinfo is not None and call.excinfo.errisinstance(RequiredSkip))
    if report.skipped and os.environ.get("MOTTRACK_REQUIRE_SHARED") == "1" and required:
        report.outcome = "failed"
        report.longrepr = f"MOTTRACK_REQUIRE_SHARED=1 and the test skipped: {report.longrepr}"
