"""MOTTRACK_REQUIRE_SHARED=1 fails required skips (raised by required_skip or marked
require_shared) and leaves optional ones alone, whatever their message says."""
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# The test file this one runs: its unconditional skip and its constant require_or_skip markers
# are the cases under test (required vs optional skips), not skipped tests of this suite.
BODY = '''
import pytest
from conftest import require_or_skip, required_skip

def test_required_by_call():
    required_skip("missing something")

@require_or_skip(True, "missing something else")
def test_required_by_marker():
    pass

def test_optional_even_if_it_names_shared_and_mosquitto():
    pytest.skip("real KITTI labels are not in ../shared; mosquitto is irrelevant here")

@require_or_skip(False, "present")
def test_present():
    pass
'''


def _run(tmp_path, require):
    (tmp_path / "test_case.py").write_text(BODY)
    env = dict(os.environ, PYTHONPATH=str(TESTS), MOTTRACK_REQUIRE_SHARED="1" if require else "0")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                        "-rA", str(tmp_path / "test_case.py")], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    return r.stdout


def test_required_skips_fail_only_when_required(tmp_path):
    out = _run(tmp_path, True)
    assert "FAILED test_case.py::test_required_by_call - MOTTRACK_REQUIRE_SHARED=1" in out, out
    # a skipif marker skips in setup: the failure is reported as a setup error
    assert "ERROR test_case.py::test_required_by_marker - MOTTRACK_REQUIRE_SHARED=1" in out, out
    assert "SKIPPED [1] test_case.py:13: real KITTI labels" in out and "PASSED test_case.py::test_present" in out
    out = _run(tmp_path, False)
    assert "1 passed, 3 skipped" in out, out
