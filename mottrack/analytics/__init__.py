"""Counting on top of tracking: line crossings, zone occupancy, enters, exits and dwell.

>>> from mottrack.analytics import LineCounter, ZoneMonitor
>>> door = LineCounter((0, 540), (1920, 540), min_distance=10, name="door")
>>> queue = ZoneMonitor([(100, 100), (600, 100), (600, 500), (100, 500)], name="queue")
>>> for frame in frames:                            # doctest: +SKIP
...     tracks = tracker.update(detections, timestamp)
...     events = door.update(tracks, timestamp) + queue.update(tracks, timestamp)
>>> door.counts, queue.occupancy                   # doctest: +SKIP

Both take the (M, 8) output of any mottrack tracker.  The per-track geometry runs in
compiled kernels (one pass over the frame's tracks per line or zone; a
:class:`CounterSet` checks each frame once for many lines and zones); events are
:class:`LineEvent` / :class:`ZoneEvent` with ``to_dict()`` / ``to_json()``.
"""
from .events import LineEvent, ZoneEvent, events_message, publish_events
from .group import CounterSet
from .lines import LineCounter
from .polygon import validate_polygon
from .zones import ZoneMonitor
from ._counter import ANCHORS

__all__ = ["LineCounter", "ZoneMonitor", "CounterSet", "LineEvent", "ZoneEvent", "events_message",
           "publish_events", "validate_polygon", "ANCHORS"]
