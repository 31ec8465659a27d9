"""Make the modules named in ``$MOTTRACK_BLOCK_IMPORTS`` (comma-separated) unimportable.

Put this directory first on ``PYTHONPATH`` of a subprocess: Python imports
``sitecustomize`` at start-up, and the finder below then raises ImportError for
those top-level packages, as if they were not installed.
"""
import os
import sys

_BLOCKED = {m.strip() for m in os.environ.get("MOTTRACK_BLOCK_IMPORTS", "").split(",") if m.strip()}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ImportError(f"{name} is blocked for this test (MOTTRACK_BLOCK_IMPORTS)")


if _BLOCKED:
    sys.meta_path.insert(0, _Blocker())
