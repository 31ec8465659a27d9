"""Counting tracks that cross a directed line segment.

Rules (see :mod:`mottrack.analytics.crossing` for the compiled step):

* Direction: a track crossing from the side where ``cross(end - start, p - start) < 0``
  to the side where it is ``> 0`` counts ``in``, the reverse ``out`` (``p`` is the
  track's anchor point).  In image coordinates (y down), for a line drawn left to right
  ``in`` is downwards.
* Hysteresis: a side is confirmed only when the anchor is more than ``min_distance``
  pixels from the line, so a track jittering on the line counts nothing, and a crossing
  counts once, when the track is confirmed on the other side.
* Lost while crossing: the state of a track survives ``forget_after`` updates without
  it, so a track lost on one side and re-found on the other under the same id counts
  once (the crossing point is interpolated between the two observations; the event's
  ``crossing_frame`` says when, its ``frame`` when the crossing was confirmed).
* Born on the line: a track first seen within ``min_distance`` of the line has no side
  until it leaves that band; leaving it counts nothing.  It counts only after it has
  been confirmed on one side and then on the other.
* End caps: only crossings through the segment count.  The anchor's path (straight
  between consecutive observations) must have met the closed segment from ``start`` to
  ``end`` (end points included) since the track was last confirmed on a side; a track
  walking round an end of the segment changes side without counting.  The band of ``min_distance`` extends along
  the whole infinite line, so a track must also be confirmed away from the line beyond
  the caps before it can count again.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Optional

import numpy as np

from ._counter import FramePoints, TrackCounter, check_point
from .crossing import line_step
from .events import LineEvent

__all__ = ["LineCounter", "MIN_LINE_LENGTH"]

#: Shortest segment a :class:`LineCounter` accepts, pixels (shorter ones are degenerate:
#: the position along them divides by the squared length).
MIN_LINE_LENGTH = 1e-3


class LineCounter(TrackCounter):
    """Count tracks crossing the segment ``start`` -> ``end``, per direction and class.

    Parameters
    ----------
    start, end : (float, float)
        Segment end points ``(x, y)`` in pixels, at least :data:`MIN_LINE_LENGTH`
        (0.001 pixel) apart.
    anchor : str
        Point of the box that must cross: ``bottom_center`` (default, the feet of a
        person), ``center``, ``top_center``, ``top_left``, ``top_right``,
        ``bottom_left``, ``bottom_right``, ``center_left``, ``center_right``.
    min_distance : float
        Hysteresis, pixels (>= 0): a side counts only more than this far from the line.
    classes : iterable of int, optional
        Count only rows of these class ids (None: every class).
    forget_after : int
        A track absent for more than this many updates is forgotten (>= 0).  The
        default 150 is at least five times the default deletion age of every mottrack
        tracker (at most 30 frames), so no live track is forgotten.
    frame_rate : float
        Frames per second, for the clock of updates without timestamps.
    name : str
        Name written in events.

    Examples
    --------
    >>> import numpy as np
    >>> lc = LineCounter((0, 100), (200, 100), min_distance=5)
    >>> lc.update(np.array([[10., 40., 30., 90., 1, 0.9, 0, 0]]))
    []
    >>> [e.direction for e in lc.update(np.array([[10., 60., 30., 110., 1, 0.9, 0, 0]]))]
    ['in']
    >>> lc.counts
    {0: (1, 0)}
    """

    _FORMAT = "mottrack.line_counter_state"
    _FIELDS = (("side", np.int8), ("prev_s", np.float64), ("prev_t", np.float64),
               ("hit_at", np.float64))

    def __init__(self, start: Any, end: Any, *, anchor: str = "bottom_center",
                 min_distance: float = 10.0, classes: Optional[Iterable[int]] = None,
                 forget_after: int = 150, frame_rate: float = 30.0, name: str = "line") -> None:
        self.start = check_point("start", start)
        self.end = check_point("end", end)
        length = math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])
        if not length >= MIN_LINE_LENGTH:
            raise ValueError(f"end: must be at least {MIN_LINE_LENGTH:g} pixel from start; got start "
                             f"{self.start}, end {self.end} ({length:g} pixel apart)")
        super().__init__(anchor=anchor, min_distance=min_distance, classes=classes,
                         forget_after=forget_after, frame_rate=frame_rate, name=name)

    def _describe(self) -> str:
        return f"{self.start}, {self.end}"

    def _params(self) -> Dict[str, Any]:
        return {"start": list(self.start), "end": list(self.end), "anchor": self.anchor,
                "min_distance": self.min_distance,
                "classes": None if self.classes is None else list(self.classes),
                "forget_after": self.forget_after, "frame_rate": self.frame_rate, "name": self.name}

    @property
    def in_count(self) -> int:
        """Crossings ``in`` over all classes."""
        return self.totals[0]

    @property
    def out_count(self) -> int:
        """Crossings ``out`` over all classes."""
        return self.totals[1]

    def _apply(self, pts: FramePoints, now: float, timestamp: Optional[float]) -> List[LineEvent]:
        px, py, ids, cls = pts.px, pts.py, pts.ids, pts.cls
        new_ids, old_slot, row = self._join(ids, pts.order)
        st = self._state
        sx, sy = self.start
        side, ps, pt, hit_at, last, ev_row, ev_dir, ev_at = line_step(
            px, py, new_ids, old_slot, row, st["side"], st["prev_s"], st["prev_t"], st["hit_at"],
            self._last, sx, sy, self.end[0] - sx, self.end[1] - sy, self.min_distance, self.frame)
        frame = self.frame
        self._commit(new_ids, last, {"side": side, "prev_s": ps, "prev_t": pt, "hit_at": hit_at}, now)
        events = []
        t_out = None if timestamp is None else now
        for r, d, at in zip(ev_row.tolist(), ev_dir.tolist(), ev_at.tolist()):
            c = int(cls[r])
            self._count(c, 0 if d > 0 else 1)
            events.append(LineEvent(self.name, int(ids[r]), "in" if d > 0 else "out", frame, t_out,
                                    c, at))
        return events

    def _check_fields(self, fields: Dict[str, np.ndarray], frame: int, now: Optional[float]) -> None:
        side = fields["side"]
        if side.size and not np.isin(side, (-1, 0, 1)).all():
            raise ValueError("state['side']: expected values -1, 0 or 1")
        for f in ("prev_s", "prev_t"):
            if not np.isfinite(fields[f]).all():
                raise ValueError(f"state[{f!r}]: expected finite values")
        hit = fields["hit_at"]
        hit = hit[~np.isnan(hit)]
        if hit.size and not ((hit >= 0).all() and (hit <= frame).all()):
            raise ValueError("state['hit_at']: expected update indices in 0 .. state['frame'] or NaN")
