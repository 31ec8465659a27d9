"""The tracker registry: names, constructor parameters and per-tracker facts.

Each tracker class registers itself with :func:`register_tracker` and declares, as class
attributes, what the evaluator, CLI, budget report and state code need to know about it
(see :class:`mottrack.trackers.base.Tracker`): ``embeddings``, ``default_min_score``,
``feed_order``.  Nothing else in mottrack lists tracker names.

The registry imports no tracker: each tracker module registers itself when imported,
and ``mottrack/__init__.py`` imports :mod:`mottrack.trackers` (so importing any part of
mottrack registers the built-in trackers before a lookup can run).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Optional, Type, TypeVar

__all__ = ["register_tracker", "available_trackers", "registered_trackers", "tracker_class",
           "tracker_parameters", "create_tracker", "shares_kernels", "next_compile_target"]

_REGISTRY: Dict[str, type] = {}

T = TypeVar("T", bound=type)


def register_tracker(name: str) -> Callable[[T], T]:
    """Class decorator: make a tracker available to :func:`create_tracker` under ``name``."""
    def deco(cls: T) -> T:
        key = name.lower()
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"tracker name {name!r} is already registered")
        _REGISTRY[key] = cls
        cls.name = key  # type: ignore[attr-defined]
        return cls
    return deco


def registered_trackers() -> List[str]:
    """Registered tracker names in registration order (the order tables list them in)."""
    return list(_REGISTRY)


def available_trackers() -> List[str]:
    """Registered tracker names, sorted."""
    return sorted(_REGISTRY)


def tracker_class(name: str) -> Type[Any]:
    """The tracker class registered under ``name`` (case-insensitive)."""
    if not isinstance(name, str):
        raise TypeError(f"name: expected a tracker name (str); got {type(name).__name__}")
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise ValueError(f"unknown tracker {name!r}; available: {', '.join(available_trackers())}") from None


def tracker_parameters(name: str) -> Dict[str, Any]:
    """The constructor parameters of a registered tracker and their defaults."""
    cls = tracker_class(name)
    sig = inspect.signature(cls.__init__)
    return {p.name: p.default for p in list(sig.parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def create_tracker(name: str, backend: str = "numba", **params: Any) -> Any:
    """Create a tracker by registry name, e.g. ``create_tracker("sort", max_age=1)``.

    ``backend="native"`` runs the C library instead of the numba kernels (same outputs;
    :class:`mottrack.native.NativeTracker`).

    Raises
    ------
    ValueError
        Unknown tracker name, or a parameter the tracker does not have (the message
        lists the valid ones).
    """
    cls = tracker_class(name)
    valid = tracker_parameters(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"{cls.name}: unknown parameter(s) {', '.join(unknown)}; "
                         f"valid: {', '.join(valid)}")
    return cls(**params, backend=backend)


def shares_kernels(a: str, b: str) -> bool:
    """True when trackers ``a`` and ``b`` are built on a base class that not every tracker has
    (ByteTrack and BoT-SORT on the BYTE stages, OC-SORT and Hybrid-SORT on OC-SORT's): they
    compile the same kernels, so compiling both at once would compile those twice.  False
    for a name that is not a registered tracker (``decoders``, ``metrics``)."""
    ca, cb = _REGISTRY.get(a.lower()), _REGISTRY.get(b.lower())
    if ca is None or cb is None or ca is cb:
        return ca is cb and ca is not None
    everyone = set.intersection(*(set(c.__mro__) for c in _REGISTRY.values()))
    return bool((set(ca.__mro__) & set(cb.__mro__)) - everyone)


def next_compile_target(queue: List[str], running: List[str]) -> Optional[int]:
    """Index in ``queue`` of the first target that shares no kernels with a ``running`` one
    (:func:`shares_kernels`), or None: it waits until they are compiled and cached."""
    for i, t in enumerate(queue):
        if not any(shares_kernels(t, r) for r in running):
            return i
    return None
