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
        {"type": "TrackEnded", "object_track_id": "3f2a9c1e-12"}
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
"""
from __future__ import annotations

import json
import math
import os
import secrets
from datetime import datetime, timezone
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .coco import COCO80_NAMES

__all__ = ["SceneMetadataSerializer", "JsonLinesWriter", "format_timestamp", "TRACK_COLUMNS"]

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
        self.frame_size = _frame_size(frame_size)
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

    def _end(self, track_id: int, events: List[Dict[str, str]]) -> None:
        entry = self._live.pop(track_id, None)
        if entry is None:
            return
        events.append({"type": "TrackEnded", "object_track_id": entry[0]})
        self._generation[track_id] = self._generation.get(track_id, 0) + 1
        self.tracks_ended += 1

    # ------------------------------------------------------------------ API
    def frame(self, tracks: Any, timestamp: Union[float, datetime], *,
              ended_ids: Iterable[int] = (), frame_size: Optional[Tuple[float, float]] = None) -> Dict[str, Any]:
        """Build the message of one frame.

        Parameters
        ----------
        tracks : ndarray, shape (M, 8)
            Tracker output: x1, y1, x2, y2 (pixels), track_id, score, class_id,
            det_index.  ``M = 0`` is fine; ``(0,)`` or None is read as no tracks.
        timestamp : float or datetime
            Frame time, POSIX seconds (UTC) or an aware datetime.
        ended_ids : iterable of int
            Track ids the tracker deleted at this frame; ended before this frame's
            detections are written (an id both deleted and output is ended *after*).
        frame_size : (int, int), optional
            This frame's ``(width, height)`` if it differs from the constructor's.

        Returns
        -------
        dict
            See the module docstring for the schema.

        Raises
        ------
        ValueError
            ``tracks`` is not (M, 8), holds non-finite boxes or ids, or the
            timestamp is not finite.
        """
        arr = _tracks_array(tracks)
        w, h = self.frame_size if frame_size is None else _frame_size(frame_size)
        ts = timestamp.timestamp() if isinstance(timestamp, datetime) else float(timestamp)
        stamp = format_timestamp(timestamp)
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


def _frame_size(frame_size: Any) -> Tuple[float, float]:
    try:
        w, h = (float(v) for v in frame_size)
    except (TypeError, ValueError):
        raise ValueError(f"frame_size: expected (width, height) in pixels; got {frame_size!r}") from None
    if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
        raise ValueError(f"frame_size: expected (width, height) > 0; got {frame_size!r}")
    return w, h


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
        self._fh: IO[str]
        if hasattr(target, "write"):
            self._fh = target  # type: ignore[assignment]  # any object with write() (and flush())
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
