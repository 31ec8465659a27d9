"""Shared fixtures: the path of ../shared (tests that need it skip when it is absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


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
