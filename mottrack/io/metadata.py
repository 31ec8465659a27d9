"""Tracker output to JSON shaped like AXIS Scene Metadata frame messages.

The serializer turns the per-frame output of a mottrack tracker — an (M, 8)
float64 array with columns ``x1, y1, x2, y2, track_id, score, class_id,
det_index`` (pixels) — into one JSON object per frame that follows the shape of
the *Frame* data type of the AXIS Analytics Data Format (topic
``axis.scene.frame_v1``): detections with a globally unique track id and a
normalised box, plus ``TrackEnded`` events.

Schema (one object per frame; one line per object in JSON Lines)
----------------------------------------------------------------
::

    {
      "channel_id": 1,                               # int, the video source
      "timestamp": "2024-05-01T12:00:00.040000Z",    # UTC, microseconds
      "detections": [                                # one per track output this frame
        {
          "object_track_id": "3f2a9c1e-17",          # str: "<session prefix>-<track id>[-<generation>]"
          "bounding_box": {                          # normalised to the frame, 0..1
            "left": 0.1234, "top": 0.2, "right": 0.31, "bottom": 0.9
          },
          "class": {"type": "person", "score": 0.87} # omitted when class_id == -1;
                                                     # "score" omitted when not finite
        }
      ],
      "track_events": [                              # present only when non-empty
        {"type": "TrackEnded", "object_track_id": "3f2a9c1e-12"},
        {"type": "Rename", "from_id": "3f2a9c1e-4", "to_id": "3f2a9c1e-9"}
      ]
    }

``detections`` is always present (possibly empty).  The class ``score`` is the
score column of the tracker output (the matched detection's confidence).  Boxes
are clipped to 0..1 and rounded to ``precision`` decimals.

Track ids
---------
The tracker's integer id ``k`` becomes ``"<prefix>-<k>"``.  The prefix defaults
to 8 random hex digits chosen per serializer, so ids from two runs of an app do
not collide.  If a track id appears again after its track was declared ended, it
gets a new string id ``"<prefix>-<k>-<g>"`` (g = 2, 3, ...): an ended
``object_track_id`` never receives further detections.

When is a track ended?
----------------------
* Explicitly: pass the tracker's deleted ids as ``ended_ids=`` to
  :meth:`SceneMetadataSerializer.frame` (exact, preferred when available).
* Inferred: with ``end_after_frames=N`` a track unseen in the output for N
  consecutive frames is ended (choose N > the tracker's ``max_age``, since a live
  track can be missing from the output while it coasts); with
  ``end_after_seconds=T`` one unseen for more than T seconds of frame time is
  ended (robust to frame-rate changes).  Either may be combined with explicit ids.
* :meth:`SceneMetadataSerializer.close` ends every live track (app shutdown).

Each ``TrackEnded`` event is reported in the frame at which the track was ended.

Rename events
-------------
``Rename {from_id, to_id}`` says that two object tracks are the same object (a positive
re-identification); neither track's content changes.  A tracker that re-finds a lost
track under its *old* id needs none.  None of mottrack's trackers re-identifies under a
new id today (SORT, ByteTrack and DeepSORT all keep the old id), so none emits one; an app
or a re-identification stage that links two tracker ids passes ``renamed=[(old, new)]``
to :meth:`SceneMetadataSerializer.frame`.

Consolidated object tracks
--------------------------
:class:`ObjectTrackBuilder` turns the stream of frame messages into one *ObjectTrack*
message per track when it ends (topic ``axis.scene.object_track_v1``); see its docstring
and ``docs/metadata.md``.  JSON Schemas of both message types ship with the package:
:func:`load_schema`.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import time
from datetime import datetime, timezone
from importlib import resources
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..detections import check_frame_size
from .coco import COCO80_NAMES

__all__ = ["SceneMetadataSerializer", "ObjectTrackBuilder", "JsonLinesWriter", "format_timestamp",
           "parse_timestamp", "load_schema", "TRACK_COLUMNS"]

#: Column order of tracker output rows.
TRACK_COLUMNS = ("x1", "y1", "x2", "y2", "track_id", "score", "class_id", "det_index")


def format_timestamp(timestamp: Union[float, int, datetime]) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` for a POSIX time in seconds (or an aware datetime)."""
    if isinstance(timestamp, datetime):
        dt = timestamp.astimezone(timezone.utc) if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)
    else:
        t = float(timestamp)
        if not math.isfinite(t):
            raise ValueError(f"timestamp: expected a finite number of seconds; got {timestamp!r}")
        # Split integer seconds and microseconds exactly so rounding never yields 1e6 us.
        us_total = round(t * 1e6)
        dt = datetime.fromtimestamp(us_total // 1_000_000, tz=timezone.utc).replace(
            microsecond=us_total % 1_000_000)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(stamp: str) -> float:
    """POSIX seconds of a ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` string (the inverse of :func:`format_timestamp`)."""
    try:
        dt = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        raise ValueError(f"timestamp: expected 'YYYY-MM-DDTHH:MM:SS.ffffffZ'; got {stamp!r}") from None
    return dt.replace(tzinfo=timezone.utc).timestamp()


def load_schema(name: str) -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) shipped for a message type.

    Parameters
    ----------
    name : {"frame_v1", "object_track_v1"}
        ``frame_v1``: :class:`SceneMetadataSerializer` messages; ``object_track_v1``:
        :class:`ObjectTrackBuilder` messages.
    """
    if name not in ("frame_v1", "object_track_v1"):
        raise ValueError(f"name: expected 'frame_v1' or 'object_track_v1'; got {name!r}")
    text = resources.files(__package__).joinpath("schemas").joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


class SceneMetadataSerializer:
    """Stateful converter of per-frame tracker output to Axis-style frame messages.

    Parameters
    ----------
    frame_size : (int, int)
        ``(width, height)`` of the frame in pixels, used to normalise boxes; can be
        overridden per frame.
    class_names : sequence of str or mapping, optional
        ``class_names[class_id]`` is written as ``class.type``; defaults to
        :data:`COCO80_NAMES` (YOLOv5).  Use :data:`COCO90_NAMES` for SSD MobileNet.
        Ids without a name are written as their decimal string.
    channel_id : int, default 1
        Written to every message.
    id_prefix : str, optional
        Prefix of the string track ids; default 8 random hex digits.
    end_after_frames : int, optional
        End a track unseen for this many consecutive frames (see module docs).
    end_after_seconds : float, optional
        End a track unseen for more than this many seconds of frame time.
    precision : int, default 4
        Decimals of the normalised box coordinates and of scores.

    Examples
    --------
    >>> ser = SceneMetadataSerializer((640, 480), id_prefix="cam", end_after_frames=3)
    >>> msg = ser.frame(np.array([[64., 48., 128., 240., 7, 0.9, 0, 2]]), 1714564800.0)
    >>> msg["detections"][0]["object_track_id"], msg["detections"][0]["bounding_box"]["left"]
    ('cam-7', 0.1)
    """

    def __init__(self, frame_size: Tuple[float, float], *,
                 class_names: Optional[Union[Sequence[Optional[str]], Mapping[int, str]]] = COCO80_NAMES,
                 channel_id: int = 1, id_prefix: Optional[str] = None,
                 end_after_frames: Optional[int] = None, end_after_seconds: Optional[float] = None,
                 precision: int = 4) -> None:
        self.frame_size = check_frame_size(frame_size)
        self.class_names = class_names
        self.channel_id = int(channel_id)
        self.id_prefix = secrets.token_hex(4) if id_prefix is None else str(id_prefix)
        if end_after_frames is not None and (isinstance(end_after_frames, bool) or int(end_after_frames) < 1):
            raise ValueError(f"end_after_frames: expected an int >= 1 or None; got {end_after_frames!r}")
        if end_after_seconds is not None and not float(end_after_seconds) > 0:
            raise ValueError(f"end_after_seconds: expected a number > 0 or None; got {end_after_seconds!r}")
        self.end_after_frames = None if end_after_frames is None else int(end_after_frames)
        self.end_after_seconds = None if end_after_seconds is None else float(end_after_seconds)
        self.precision = int(precision)
        # live track id -> [string id, last frame index seen, last time seen]
        self._live: Dict[int, List[Any]] = {}
        self._generation: Dict[int, int] = {}  # track id -> times it was ended
        self._frame_index = -1
        self._last_time: Optional[float] = None
        self.frames_written = 0
        self.tracks_ended = 0

    # ------------------------------------------------------------------ helpers
    @property
    def live_ids(self) -> Dict[int, str]:
        """Tracks not yet ended: tracker id -> string id."""
        return {k: v[0] for k, v in self._live.items()}

    def _string_id(self, track_id: int) -> str:
        g = self._generation.get(track_id, 0)
        return f"{self.id_prefix}-{track_id}" if g == 0 else f"{self.id_prefix}-{track_id}-{g + 1}"

    def _class_name(self, class_id: int) -> str:
        names = self.class_names
        if names is not None:
            try:
                name = names[class_id]
            except (IndexError, KeyError, TypeError):
                name = None
            if name is not None:
                return str(name)
        return str(class_id)

    def _check_renames(self, renamed: Iterable[Tuple[int, int]], arr: np.ndarray) -> List[Tuple[str, str]]:
        """Validate ``renamed`` pairs; returns the (from, to) string ids per pair."""
        pairs = list(renamed)
        if not pairs:
            return []
        out_ids = set(arr[:, 4].astype(np.int64).tolist())
        result = []
        for pair in pairs:
            try:
                old, new = (int(v) for v in pair)
            except (TypeError, ValueError):
                raise ValueError(f"renamed: expected (old_id, new_id) pairs of ints; got {pair!r}") from None
            if old in self._live:
                old_sid = self._live[old][0]
            elif old in self._generation:
                g = self._generation[old] - 1  # the generation that ended last
                old_sid = f"{self.id_prefix}-{old}" if g == 0 else f"{self.id_prefix}-{old}-{g + 1}"
            else:
                raise ValueError(f"renamed: old id {old} was never output by this serializer")
            if new not in self._live and new not in out_ids:
                raise ValueError(f"renamed: new id {new} is neither live nor in this frame's tracks")
            if new == old:
                raise ValueError(f"renamed: old and new id are both {old}")
            new_sid = self._live[new][0] if new in self._live else self._string_id(new)
            result.append((old_sid, new_sid))
        return result

    def _end(self, track_id: int, events: List[Dict[str, str]]) -> None:
        entry = self._live.pop(track_id, None)
        if entry is None:
            return
        events.append({"type": "TrackEnded", "object_track_id": entry[0]})
        self._generation[track_id] = self._generation.get(track_id, 0) + 1
        self.tracks_ended += 1

    # ------------------------------------------------------------------ API
    def frame(self, tracks: Any, timestamp: Optional[Union[float, datetime]] = None, *,
              ended_ids: Iterable[int] = (), frame_size: Optional[Tuple[float, float]] = None,
              renamed: Iterable[Tuple[int, int]] = ()) -> Dict[str, Any]:
        """Build the message of one frame.

        Parameters
        ----------
        tracks : ndarray, shape (M, 8)
            Tracker output: x1, y1, x2, y2 (pixels), track_id, score, class_id,
            det_index.  ``M = 0`` is fine; ``(0,)`` or None is read as no tracks.
        timestamp : float or datetime, optional
            Frame time, POSIX seconds (UTC) or an aware datetime.  When omitted, the
            system clock's current time (``time.time()``) is used: right for a live
            camera; pass the frame's own time for reproducible output.
        ended_ids : iterable of int
            Track ids the tracker deleted at this frame; ended before this frame's
            detections are written (an id both deleted and output is ended *after*).
        frame_size : (int, int), optional
            This frame's ``(width, height)`` if it differs from the constructor's.
        renamed : iterable of (int, int)
            ``(old_id, new_id)`` tracker-id pairs re-identified as one object: each
            writes ``{"type": "Rename", "from_id": ..., "to_id": ...}``.  ``old_id``
            must be live or ended before; ``new_id`` live or output in this frame.

        Returns
        -------
        dict
            See the module docstring for the schema.

        Raises
        ------
        ValueError
            ``tracks`` is not (M, 8), holds non-finite boxes or ids, the
            timestamp is not finite, or a ``renamed`` pair names an unknown id.
            The serializer is unchanged after a rejected call.
        """
        arr = _tracks_array(tracks)
        if timestamp is None:
            timestamp = time.time()
        w, h = self.frame_size if frame_size is None else check_frame_size(frame_size)
        ts = timestamp.timestamp() if isinstance(timestamp, datetime) else float(timestamp)
        stamp = format_timestamp(timestamp)
        renames = self._check_renames(renamed, arr)
        self._frame_index += 1
        self._last_time = ts
        fi = self._frame_index
        p = self.precision
        events: List[Dict[str, str]] = []
        out_ids = set()
        detections = []
        rows = arr.tolist()
        for row in rows:
            out_ids.add(int(row[4]))
        explicit = [int(t) for t in ended_ids]
        for tid in explicit:
            if tid not in out_ids:
                self._end(tid, events)
        for x1, y1, x2, y2, tid_f, score, cls_f, _det in rows:
            tid = int(tid_f)
            entry = self._live.get(tid)
            if entry is None:
                entry = [self._string_id(tid), fi, ts]
                self._live[tid] = entry
            else:
                entry[1] = fi
                entry[2] = ts
            det: Dict[str, Any] = {
                "object_track_id": entry[0],
                "bounding_box": {
                    "left": round(min(max(x1 / w, 0.0), 1.0), p),
                    "top": round(min(max(y1 / h, 0.0), 1.0), p),
                    "right": round(min(max(x2 / w, 0.0), 1.0), p),
                    "bottom": round(min(max(y2 / h, 0.0), 1.0), p),
                },
            }
            if cls_f == cls_f and cls_f >= 0:
                cls: Dict[str, Any] = {"type": self._class_name(int(cls_f))}
                if math.isfinite(score):
                    cls["score"] = round(score, p)
                det["class"] = cls
            detections.append(det)
        for old_sid, new_sid in renames:
            events.append({"type": "Rename", "from_id": old_sid, "to_id": new_sid})
        for tid in explicit:
            if tid in out_ids:
                self._end(tid, events)
        if self.end_after_frames is not None or self.end_after_seconds is not None:
            stale = []
            for tid, (_sid, last_fi, last_ts) in self._live.items():
                if tid in out_ids:
                    continue
                if self.end_after_frames is not None and fi - last_fi >= self.end_after_frames:
                    stale.append(tid)
                elif self.end_after_seconds is not None and ts - last_ts > self.end_after_seconds:
                    stale.append(tid)
            for tid in stale:
                self._end(tid, events)
        msg: Dict[str, Any] = {"channel_id": self.channel_id, "timestamp": stamp, "detections": detections}
        if events:
            msg["track_events"] = events
        self.frames_written += 1
        return msg

    def close(self, timestamp: Optional[Union[float, datetime]] = None) -> Dict[str, Any]:
        """End every live track; returns a message with no detections and the events.

        ``timestamp`` defaults to the last frame's time.
        """
        if timestamp is None:
            timestamp = self._last_time if self._last_time is not None else 0.0
        events: List[Dict[str, str]] = []
        for tid in list(self._live):
            self._end(tid, events)
        msg: Dict[str, Any] = {"channel_id": self.channel_id, "timestamp": format_timestamp(timestamp),
                               "detections": []}
        if events:
            msg["track_events"] = events
        return msg


def _tracks_array(tracks: Any) -> np.ndarray:
    if tracks is None:
        return np.empty((0, 8))
    arr = np.asarray(tracks)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"tracks: expected a numeric (M, 8) array; got dtype {arr.dtype}")
    if arr.size == 0 and arr.ndim <= 2:
        return np.empty((0, 8))
    if arr.ndim != 2 or arr.shape[1] != 8:
        raise ValueError("tracks: expected shape (M, 8) as x1, y1, x2, y2, track_id, score, class_id, "
                         f"det_index; got {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr[:, :5]).all():
        row = int(np.nonzero(~np.isfinite(arr[:, :5]).all(axis=1))[0][0])
        raise ValueError(f"tracks: row {row} has a non-finite box or track id: {arr[row].tolist()}")
    return arr


class _LiveTrack:
    """Bounded running summary of one object track (see :class:`ObjectTrackBuilder`)."""

    __slots__ = ("first_stamp", "first_t", "last_stamp", "last_t", "cx", "cy", "count", "stride",
                 "kept", "tail", "vmin", "vmax", "classes")

    def __init__(self, stamp: str, t: float) -> None:
        self.first_stamp = stamp
        self.first_t = t
        self.last_stamp = stamp
        self.last_t = t
        self.cx = self.cy = 0.0
        self.count = 0       # observations so far
        self.stride = 1      # path keeps observations whose index is a multiple of this
        self.kept: List[Tuple[int, str, Dict[str, float]]] = []
        self.tail: Optional[Tuple[int, str, Dict[str, float]]] = None
        self.vmin = math.inf
        self.vmax = -math.inf
        self.classes: Dict[str, List[float]] = {}  # type -> [observations, score sum, scored]


class ObjectTrackBuilder:
    """Consolidate frame messages into one ObjectTrack message per track when it ends.

    Fed every frame message of a :class:`SceneMetadataSerializer` (same ids, same
    normalised boxes), it keeps a bounded summary of each live track and returns a
    consolidated message (shape of the AXIS *ObjectTrack* v1 type, topic
    ``axis.scene.object_track_v1``) when the frame's ``track_events`` end it::

        {
          "id": "3f2a9c1e-7", "channel_id": 1,
          "start_time": "2024-05-01T12:00:00.040000Z",   # first observation
          "end_time": "2024-05-01T12:00:03.240000Z",     # last observation
          "duration": 3.2,                                # seconds, end - start
          "classes": [{"type": "person", "score": 0.81}], # most observed first
          "path": [{"timestamp": "...", "bounding_box": {"left": .., "top": .., "right": .., "bottom": ..}}],
          "minimum_speed": 0.0123, "maximum_speed": 0.4567  # image widths per second
        }

    Path decimation (bounded, deterministic)
        Observation ``k`` (0-based, in arrival order) is kept while ``k`` is a multiple of
        the stride ``s`` (initially 1).  When ``max_path`` observations are kept, ``s``
        doubles and the kept observations that are not multiples of the new ``s`` are
        dropped.  The path is the kept observations plus the last observation, so it
        holds at most ``max_path`` samples, always the first and the last, evenly
        spaced in observation count: ``s`` is the smallest power of two with
        ``ceil(n / s) < max_path`` for ``n`` observations.

    Speed
        Between consecutive observations of a track, the box centre's displacement
        divided by the time between them, with vertical displacement converted to
        image widths (times height / width): **image widths per second**, not m/s (no
        calibration).  ``minimum_speed`` and ``maximum_speed`` are the extremes of
        these per-step speeds; both are omitted for a track seen once.  The boxes are the
        frame messages' (rounded to 4 decimals), so a step's speed is exact to ~1e-4 / dt.

    Classes
        One entry per class type observed, ``score`` the mean class score over the
        observations with that type (rounded to ``precision``; omitted when no score was
        given), ordered by number of observations, then by type.

    Memory per live track is ``O(max_path + number of class types)`` whatever its length.

    Parameters
    ----------
    frame_size : (int, int)
        ``(width, height)`` in pixels: only the aspect ratio is used (speeds).
    channel_id : int, optional
        Written to every message; default: the ``channel_id`` of the frame messages.
    max_path : int, default 64
        Largest number of path samples per track (>= 2).
    precision : int, default 4
        Decimals of class scores; speeds and durations keep 6.

    Examples
    --------
    >>> ser = SceneMetadataSerializer((640, 480), id_prefix="cam")
    >>> builder = ObjectTrackBuilder((640, 480))
    >>> builder.update(ser.frame(np.array([[0., 0., 64., 48., 1, 0.9, 0, 0]]), 100.0), 100.0)
    []
    >>> builder.update(ser.frame(np.array([[64., 0., 128., 48., 1, 0.9, 0, 0]]), 100.5), 100.5)
    []
    >>> [t["maximum_speed"] for t in builder.update(ser.close(), 100.5)]
    [0.2]
    """

    def __init__(self, frame_size: Tuple[float, float], *, channel_id: Optional[int] = None,
                 max_path: int = 64, precision: int = 4) -> None:
        w, h = check_frame_size(frame_size)
        if isinstance(max_path, bool) or not isinstance(max_path, (int, np.integer)) or max_path < 2:
            raise ValueError(f"max_path: expected an int >= 2; got {max_path!r}")
        self.aspect = h / w
        self.channel_id = None if channel_id is None else int(channel_id)
        self.max_path = int(max_path)
        self.precision = int(precision)
        self._live: Dict[str, _LiveTrack] = {}
        self.tracks_built = 0

    @property
    def live_count(self) -> int:
        """Number of tracks observed and not yet ended."""
        return len(self._live)

    def update(self, message: Mapping[str, Any], timestamp: Optional[float] = None) -> List[Dict[str, Any]]:
        """Add one frame message; returns the ObjectTrack messages of the tracks it ends.

        Parameters
        ----------
        message : dict
            A frame message (:class:`SceneMetadataSerializer` output, frame v1 shape).
        timestamp : float, optional
            The frame time in POSIX seconds (the one given to the serializer); parsed
            from ``message["timestamp"]`` when omitted.

        Returns
        -------
        list of dict
            One message per track ended by this frame's ``TrackEnded`` events, in event
            order.  Rename events do not merge tracks (each stays its own object track).
        """
        try:
            stamp = message["timestamp"]
            detections = message["detections"]
        except (KeyError, TypeError):
            raise ValueError("message: expected a frame message with 'timestamp' and 'detections'") from None
        t = parse_timestamp(stamp) if timestamp is None else float(timestamp)
        if not math.isfinite(t):
            raise ValueError(f"timestamp: expected a finite number of seconds; got {timestamp!r}")
        channel = self.channel_id if self.channel_id is not None else int(message.get("channel_id", 1))
        for det in detections:
            self._observe(det, stamp, t)
        done = []
        for event in message.get("track_events", ()):
            if event.get("type") == "TrackEnded":
                live = self._live.pop(event["object_track_id"], None)
                if live is not None:
                    done.append(self._message(event["object_track_id"], live, channel))
        return done

    def close(self, channel_id: Optional[int] = None) -> List[Dict[str, Any]]:
        """End every live track; returns their messages in order of first observation."""
        channel = channel_id if channel_id is not None else (self.channel_id if self.channel_id is not None else 1)
        done = [self._message(sid, live, channel) for sid, live in self._live.items()]
        self._live.clear()
        return done

    # ------------------------------------------------------------------ internals
    def _observe(self, det: Mapping[str, Any], stamp: str, t: float) -> None:
        sid = det["object_track_id"]
        box = det["bounding_box"]
        cx = 0.5 * (box["left"] + box["right"])
        cy = 0.5 * (box["top"] + box["bottom"])
        live = self._live.get(sid)
        if live is None:
            live = self._live[sid] = _LiveTrack(stamp, t)
        elif t > live.last_t:
            dx = cx - live.cx
            dy = (cy - live.cy) * self.aspect
            v = math.sqrt(dx * dx + dy * dy) / (t - live.last_t)
            if v < live.vmin:
                live.vmin = v
            if v > live.vmax:
                live.vmax = v
        live.cx, live.cy = cx, cy
        live.last_t, live.last_stamp = t, stamp
        k = live.count
        live.count = k + 1
        sample = (k, stamp, box)
        live.tail = sample
        if k % live.stride == 0:
            live.kept.append(sample)
            if len(live.kept) >= self.max_path:
                live.stride *= 2
                live.kept = [e for e in live.kept if e[0] % live.stride == 0]
        cls = det.get("class")
        if cls is not None:
            entry = live.classes.get(cls["type"])
            if entry is None:
                entry = live.classes[cls["type"]] = [0, 0.0, 0]
            entry[0] += 1
            score = cls.get("score")
            if score is not None:
                entry[1] += score
                entry[2] += 1

    def _message(self, sid: str, live: _LiveTrack, channel: int) -> Dict[str, Any]:
        path = list(live.kept)
        if live.tail is not None and (not path or path[-1][0] != live.tail[0]):
            path.append(live.tail)
        classes = []
        for ctype, (_n, total, scored) in sorted(live.classes.items(), key=lambda kv: (-kv[1][0], kv[0])):
            c: Dict[str, Any] = {"type": ctype}
            if scored:
                c["score"] = round(total / scored, self.precision)
            classes.append(c)
        msg: Dict[str, Any] = {
            "id": sid, "channel_id": channel,
            "start_time": live.first_stamp, "end_time": live.last_stamp,
            "duration": round(live.last_t - live.first_t, 6),
            "classes": classes,
            "path": [{"timestamp": stamp, "bounding_box": dict(box)} for _k, stamp, box in path],
        }
        if live.vmax >= 0:
            msg["minimum_speed"] = round(live.vmin, 6)
            msg["maximum_speed"] = round(live.vmax, 6)
        self.tracks_built += 1
        return msg


class JsonLinesWriter:
    """Write one JSON object per line (JSON Lines) to a file or stream.

    Parameters
    ----------
    target : path or text stream
        A path (opened for writing, or appending with ``append=True``) or an open
        text stream such as ``sys.stdout`` (not closed by :meth:`close`).
    flush : bool, default True
        Flush after every line, so a consumer tailing the stream sees each frame
        at once.
    append : bool, default False
        Append to an existing file instead of truncating it.

    Examples
    --------
    >>> buf = io.StringIO()
    >>> with JsonLinesWriter(buf) as out:
    ...     out.write({"a": 1})
    >>> buf.getvalue()
    '{"a":1}\\n'
    """

    def __init__(self, target: Union[str, "os.PathLike[str]", IO[str]], *, flush: bool = True,
                 append: bool = False) -> None:
        if hasattr(target, "write"):
            self._fh: IO[str] = target  # type: ignore[assignment]
            self._owned = False
        else:
            self._fh = open(os.fspath(target), "a" if append else "w", encoding="utf-8")
            self._owned = True
        self._flush = bool(flush)
        self.lines_written = 0

    def write(self, message: Mapping[str, Any]) -> None:
        """Serialise ``message`` compactly (no NaN allowed) and write it as one line."""
        self._fh.write(json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n")
        if self._flush:
            self._fh.flush()
        self.lines_written += 1

    def close(self) -> None:
        if self._owned and not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> "JsonLinesWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
