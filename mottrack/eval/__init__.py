"""Evaluation: MOTChallenge metrics equal to TrackEval's, the ``python -m mottrack.eval``
command, a notebook API and ARTPEC CPU budgets.

>>> from mottrack.eval import evaluate
>>> res = evaluate()            # embedded default (motmetrics' TUD gt + synthetic crowd)
>>> res                          # HTML table in a notebook; res.table() is a list of dicts
>>> res.to_dict()["sort"]["combined"]["HOTA"]

Importing this package is light: the tracker runner, simulator, plots (matplotlib) and
progress bars (tqdm) are loaded on first use.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type checkers see the real names; at run time they load on first use
    from .api import DEFAULT_MIN_SCORE, EvalResult, evaluate, run_tracker, score_sequences
    from .cli import main
    from .datasets import EvalSequence, default_sequences, load_dataset
    from .simulate import DetectorSimulator, synthetic_scene

__all__ = ["evaluate", "EvalResult", "EvalSequence", "load_dataset", "default_sequences",
           "DetectorSimulator", "synthetic_scene", "run_tracker", "score_sequences",
           "DEFAULT_MIN_SCORE", "InputError", "main"]

_LAZY = {
    "evaluate": "api", "EvalResult": "api", "run_tracker": "api", "score_sequences": "api",
    "DEFAULT_MIN_SCORE": "api",
    "EvalSequence": "datasets", "load_dataset": "datasets", "default_sequences": "datasets",
    "DetectorSimulator": "simulate", "synthetic_scene": "simulate",
    "InputError": "errors",
    "main": "cli",
}


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'mottrack.eval' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
