"""``python -m mottrack.eval``: see :mod:`mottrack.eval.cli` (``--help``)."""
from __future__ import annotations

import sys

#: What the evaluator needs beyond ``pip install mottrack`` (the ``[eval]`` extra).
EVAL_REQUIRES = ("scipy", "motmetrics", "tqdm")


def main(argv=None) -> int:
    import importlib.util

    def absent(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except ImportError:
            return True
    missing = [m for m in EVAL_REQUIRES if absent(m)]
    if missing:
        print(f"python -m mottrack.eval needs the evaluator extra: pip install \"mottrack[eval]\" "
              f"(missing: {', '.join(missing)})", file=sys.stderr)
        return 2
    from .cli import main as _main
    return _main(argv)


if __name__ == "__main__":
    sys.exit(main())
