"""``python -m mottrack.eval``: see :mod:`mottrack.eval.cli` (``--help``)."""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    from .cli import main as _main
    return _main(argv)


if __name__ == "__main__":
    sys.exit(main())
