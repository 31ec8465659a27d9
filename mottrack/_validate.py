"""The one validator of user-passed numbers (:func:`check_number`), shared by every layer."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["check_number", "short_repr"]

_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def short_repr(value: Any) -> str:
    """``repr(value)``, shortened to about 40 characters for an error message."""
    r = repr(value)
    return r if len(r) <= 40 else f"{r[:20]}...({len(r)} characters)"


def check_number(name: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
                 low_open: bool = False, integer: bool = False, finite: bool = False) -> Any:
    """Validate a number a user passed; returns it as ``int`` (``integer``) or ``float``.

    The one rule set of mottrack's parameters (trackers, counters, camera motion, MQTT):

    * not a number (a string, None, a bool, an array) -> ``TypeError``;
    * NaN, a value outside ``[low, high]`` (``(low, high]`` with ``low_open``), a float
      beyond float range (``10**400``), with ``integer`` a fraction or a value outside
      int64 -> ``ValueError``;
    * ``+inf`` is accepted only for a parameter without an upper bound (``high`` inf,
      e.g. a ``max_age`` that never expires) and not with ``finite=True``.

    Messages name the field and the expected form, e.g. ``"max_age: expected a value in
    [0, inf]; got -1"``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number; got {type(value).__name__}")
    if integer:
        if isinstance(value, (float, np.floating)):
            f = float(value)
            if not (math.isfinite(f) and f == math.floor(f)):
                raise ValueError(f"{name}: expected a whole number; got {value!r}")
            v: Any = int(f)
        else:
            v = int(value)
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise ValueError(f"{name}: expected a whole number within int64; got {short_repr(value)}")
    else:
        try:
            v = float(value)
        except OverflowError:
            raise ValueError(f"{name}: expected a finite number; got {short_repr(value)} "
                             "(beyond float range)") from None
        if not math.isfinite(v) and (finite or not (high == math.inf and v == math.inf)):
            raise ValueError(f"{name}: expected a finite number; got {value!r}")
    if v < low or (low_open and v == low) or v > high:
        lo = "(" if low_open else "["
        raise ValueError(f"{name}: expected a value in {lo}{low}, {high}]; got {short_repr(value)}")
    return v
