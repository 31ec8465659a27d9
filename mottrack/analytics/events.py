"""Counting events: a track crossing a line, entering or leaving a zone.

Every event has ``to_dict()`` / ``to_json()`` in the style of the scene-metadata
messages of :mod:`mottrack.io.metadata` (``type``, ``object_track_id``, ISO UTC
``timestamp`` when the frame had one, ``class``)::

    {"type": "LineCrossing", "name": "door", "object_track_id": "7", "direction": "in",
     "frame": 120, "timestamp": "2024-05-01T12:00:04.000000Z", "crossing_frame": 119.4,
     "class": {"id": 0, "type": "person"}}
    {"type": "ZoneExit", "name": "queue", "object_track_id": "7", "frame": 300,
     "dwell_seconds": 6.0, "class": {"id": 0}}

``object_track_id`` is ``"<id_prefix>-<track id>"`` with a prefix (use the serializer's
``id_prefix`` so that both streams name tracks alike), else the decimal track id.

Over MQTT (extra ``[mqtt]``): :func:`publish_events` queues a frame's events as one
message on the QoS 1 queue of a :class:`~mottrack.io.mqtt.MqttPublisher` (never dropped
silently).  Give counting events their own publisher so that they get their own topic
and status::

    counting = MqttPublisher(host, topic_prefix="site1/cam3/counting",
                             object_track_topic="{prefix}/{channel}/events").start()
    publish_events(counting, events, timestamp=t, id_prefix=serializer.id_prefix)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

__all__ = ["LineEvent", "ZoneEvent", "events_message", "publish_events"]

ClassNames = Optional[Union[Sequence[Optional[str]], Mapping[int, str]]]


def _class_block(class_id: int, class_names: ClassNames) -> Dict[str, Any]:
    out: Dict[str, Any] = {"id": int(class_id)}
    if class_names is not None and class_id >= 0:
        try:
            nm = class_names[class_id]  # type: ignore[index]
        except (IndexError, KeyError):
            nm = None
        if nm is not None:
            out["type"] = str(nm)
    return out


def _track_id(track_id: int, id_prefix: Optional[str]) -> str:
    return f"{id_prefix}-{track_id}" if id_prefix else str(track_id)


def _timestamp(time: Optional[float]) -> Dict[str, Any]:
    if time is None:
        return {}
    from ..io.metadata import format_timestamp
    return {"timestamp": format_timestamp(time)}


@dataclass(frozen=True)
class LineEvent:
    """A track's anchor crossed a counting line.

    Attributes
    ----------
    name : str
        The line's name.
    track_id : int
    direction : {'in', 'out'}
        ``in``: to the side where ``cross(end - start, p - start) > 0``.
    frame : int
        Index of the update (0-based) in which the crossing was confirmed.
    time : float or None
        That update's timestamp (seconds), None when it had none.
    class_id : int
        Class of the track's row in that update (-1: none).
    crossing_frame : float or None
        When the anchor met the segment: update index, linearly interpolated between the
        two observations around the meeting (earlier than ``frame`` when the crossing was
        confirmed later, e.g. for a track lost while crossing).
    """

    name: str
    track_id: int
    direction: str
    frame: int
    time: Optional[float]
    class_id: int
    crossing_frame: Optional[float] = None

    def to_dict(self, *, id_prefix: Optional[str] = None, class_names: ClassNames = None) -> Dict[str, Any]:
        """JSON-ready dict (see the module docs)."""
        return {"type": "LineCrossing", "name": self.name,
                "object_track_id": _track_id(self.track_id, id_prefix),
                "direction": self.direction, "frame": self.frame, **_timestamp(self.time),
                **({} if self.crossing_frame is None
                   else {"crossing_frame": round(float(self.crossing_frame), 3)}),
                "class": _class_block(self.class_id, class_names)}

    def to_json(self, **kw: Any) -> str:
        """``json.dumps(self.to_dict(**kw))``."""
        return json.dumps(self.to_dict(**kw), allow_nan=False)


@dataclass(frozen=True)
class ZoneEvent:
    """A track entered or left a zone.

    Attributes
    ----------
    name : str
        The zone's name.
    track_id : int
    kind : {'enter', 'exit'}
    frame : int
        Index of the update (0-based) in which the change was confirmed.
    time : float or None
        That update's timestamp (seconds), None when it had none.
    class_id : int
    dwell : float or None
        For exits: seconds inside (timestamps, else updates / ``frame_rate``); None for enters.
    """

    name: str
    track_id: int
    kind: str
    frame: int
    time: Optional[float]
    class_id: int
    dwell: Optional[float] = None

    def to_dict(self, *, id_prefix: Optional[str] = None, class_names: ClassNames = None) -> Dict[str, Any]:
        """JSON-ready dict (see the module docs)."""
        d: Dict[str, Any] = {"type": "ZoneEnter" if self.kind == "enter" else "ZoneExit",
                             "name": self.name,
                             "object_track_id": _track_id(self.track_id, id_prefix),
                             "frame": self.frame, **_timestamp(self.time)}
        if self.dwell is not None and math.isfinite(self.dwell):
            d["dwell_seconds"] = round(float(self.dwell), 6)
        d["class"] = _class_block(self.class_id, class_names)
        return d

    def to_json(self, **kw: Any) -> str:
        """``json.dumps(self.to_dict(**kw))``."""
        return json.dumps(self.to_dict(**kw), allow_nan=False)


def events_message(events: Iterable[Union[LineEvent, ZoneEvent]], *, timestamp: Optional[float] = None,
                   channel_id: int = 1, id_prefix: Optional[str] = None,
                   class_names: ClassNames = None) -> Dict[str, Any]:
    """One JSON-ready message for a frame's counting events, beside the scene-metadata frames.

    ``{"channel_id": 1, "timestamp": "...Z", "analytics_events": [event dicts]}`` (no
    ``timestamp`` key when ``timestamp`` is None).
    """
    evs: List[Dict[str, Any]] = [e.to_dict(id_prefix=id_prefix, class_names=class_names) for e in events]
    return {"channel_id": int(channel_id), **_timestamp(timestamp), "analytics_events": evs}



def publish_events(publisher: Any, events: Iterable[Union[LineEvent, ZoneEvent]], *,
                   timestamp: Optional[float] = None, channel_id: int = 1,
                   id_prefix: Optional[str] = None, class_names: ClassNames = None) -> bool:
    """Queue one :func:`events_message` on ``publisher``'s QoS 1 queue (nothing when no events).

    Parameters
    ----------
    publisher : MqttPublisher
        Any object with ``publish_object_track(message)``; the message goes to its
        object-track topic (see the module docs for a publisher dedicated to events).
    events : iterable of LineEvent or ZoneEvent
    timestamp, channel_id, id_prefix, class_names
        As for :func:`events_message`.

    Returns
    -------
    bool
        True when a message was queued.
    """
    evs = list(events)
    if not evs:
        return False
    publisher.publish_object_track(events_message(evs, timestamp=timestamp, channel_id=channel_id,
                                                  id_prefix=id_prefix, class_names=class_names))
    return True
