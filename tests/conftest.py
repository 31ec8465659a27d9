"""Shared fixtures: the path of ../shared (tests that need it skip when it is absent).

Two switches for CI (``.ci/run`` sets both):

- ``MOTTRACK_REQUIRE_SHARED=1``: a test skipped because ../shared (or a file in it) or the
  mosquitto broker is missing fails instead, so the reference and MQTT tests cannot silently
  skip;
- ``MOTTRACK_TEST_INSTALLED=1``: the session stops unless ``mottrack`` is imported from outside
  this source tree (the installed package, not the checkout).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the calling test when it does not exist."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        # Justified: ../shared (real MOTChallenge data, reference outputs) is not part of the
        # repository; it is present in CI, so these tests run there.
        pytest.skip(f"shared data not available: {p}")
    return p


@pytest.fixture
def shared() -> Path:
    if not SHARED.exists():
        # Justified: see shared_path above.
        pytest.skip("../shared is not available")
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
    if (report.skipped and os.environ.get("MOTTRACK_REQUIRE_SHARED") == "1"
            and any(w in str(report.longrepr) for w in ("shared", "mosquitto"))):
        report.outcome = "failed"
        report.longrepr = f"MOTTRACK_REQUIRE_SHARED=1 and the test skipped: {report.longrepr}"
