"""Many lines and zones fed from one frame of tracker output.

:class:`CounterSet` checks a frame and reduces it to anchor points once per distinct
anchor and class filter, then advances every counter with those points: for many lines
and zones over hundreds of tracks the per-frame work is one compiled pass per counter
plus one shared validation.
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from ._counter import TrackCounter
from .events import LineEvent, ZoneEvent

__all__ = ["CounterSet"]


class CounterSet:
    """A group of :class:`LineCounter` / :class:`ZoneMonitor` updated together.

    Parameters
    ----------
    counters : iterable of LineCounter or ZoneMonitor
        Distinct names required (they key :attr:`counts`).

    Examples
    --------
    >>> cs = CounterSet([LineCounter((0, 540), (1920, 540), name="door"),
    ...                  ZoneMonitor([(0, 0), (960, 0), (960, 540), (0, 540)], name="corner")])
    >>> events = cs.update(tracks, timestamp)          # doctest: +SKIP
    >>> cs["door"].counts, cs.counts                    # doctest: +SKIP
    """

    def __init__(self, counters: Iterable[TrackCounter]) -> None:
        cs = list(counters)
        for i, c in enumerate(cs):
            if not isinstance(c, TrackCounter):
                raise TypeError(f"counters[{i}]: expected a LineCounter or ZoneMonitor; "
                                f"got {type(c).__name__}")
        if len({id(c) for c in cs}) != len(cs):
            raise ValueError("counters: the same counter object is listed twice")
        names = [c.name for c in cs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"counters: names must be distinct; repeated: {', '.join(dup)}")
        self.counters: List[TrackCounter] = cs

    def __len__(self) -> int:
        return len(self.counters)

    def __iter__(self) -> Iterator[TrackCounter]:
        return iter(self.counters)

    def __getitem__(self, name: str) -> TrackCounter:
        for c in self.counters:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def counts(self) -> Dict[str, Dict[int, tuple]]:
        """``{counter name: counter.counts}``."""
        return {c.name: c.counts for c in self.counters}

    def reset(self) -> None:
        """Reset every counter."""
        for c in self.counters:
            c.reset()

    def update(self, tracks: Any, timestamp: Optional[float] = None) -> List[Union[LineEvent, ZoneEvent]]:
        """Feed one frame to every counter; return all their events (counter order).

        The frame and the timestamp are checked against every counter before any counter
        changes, so a rejected frame leaves all of them as they were.
        """
        with ExitStack() as stack:
            for c in sorted(self.counters, key=id):  # one global order: no deadlock between sets
                stack.enter_context(c._lock)
            points: Dict[tuple, Any] = {}
            for c in self.counters:
                key = c._points_key
                if key not in points:
                    points[key] = c._points(tracks)
            nows = [c._clock(timestamp) for c in self.counters]
            out: List[Union[LineEvent, ZoneEvent]] = []
            for c, now in zip(self.counters, nows):
                out += c._apply(points[c._points_key], now, timestamp)
            return out
