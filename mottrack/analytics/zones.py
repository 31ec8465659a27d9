"""Occupancy, enter / exit events and dwell time of tracks in a polygonal zone.

Rules (see :mod:`mottrack.analytics.inside` for the compiled step):

* A track's anchor point is inside or outside the polygon (even-odd rule; polygons must be
  simple, concave allowed, see :func:`~mottrack.analytics.polygon.validate_polygon`).
* Hysteresis: the place (inside / outside) changes only when the anchor is more than
  ``min_distance`` pixels from the polygon's boundary, on the other side; within that
  band along the edge the previous place holds, so jitter on the edge makes no events.
* ``enter`` is confirmed outside -> confirmed inside, ``exit`` the reverse, each once.
  A track first seen inside is in the zone from then on but made no ``enter``; a track
  first seen in the band has no place until it leaves the band.
* Lost tracks keep their place for ``forget_after`` updates, so a track lost inside and
  re-found inside makes no event, and one lost inside and re-found outside exits once.
* Occupancy (per update): rows reported in this update whose place is inside, or whose
  place is unknown and whose anchor is inside.
* Dwell: from the update the track was confirmed inside to the one it was confirmed
  outside, in seconds of the clock (timestamps, else updates / ``frame_rate``); reported
  on the exit event and, for tracks inside now, by :meth:`ZoneMonitor.dwell`.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

import numpy as np

from ._counter import MAX_TIME, FramePoints, TrackCounter
from .events import ZoneEvent
from .inside import zone_step
from .polygon import validate_polygon

__all__ = ["ZoneMonitor"]


class ZoneMonitor(TrackCounter):
    """Watch a polygonal zone: occupancy, enters, exits and dwell, per class.

    Parameters
    ----------
    polygon : array_like, shape (v, 2)
        Vertices ``x, y`` in pixels of a simple polygon (concave allowed; self-intersecting,
        self-touching and degenerate polygons raise ValueError).
    anchor : str
        Point of the box tested: ``bottom_center`` (default), ``center``, ... (see
        :class:`~mottrack.analytics.LineCounter`).
    min_distance : float
        Width of the hysteresis band along the edge, pixels (>= 0).
    classes : iterable of int, optional
        Watch only rows of these class ids (None: every class).
    forget_after : int
        A track absent for more than this many updates is forgotten (>= 0).
    frame_rate : float
        Frames per second, for the clock of updates without timestamps.
    name : str
        Name written in events.

    Attributes
    ----------
    occupancy : dict
        ``{class_id: tracks in the zone}`` after the last update.
    inside : ndarray, shape (M,), bool
        For each row of the last update's ``tracks``: counted in the zone (False for
        ignored rows).
    """

    _FORMAT = "mottrack.zone_monitor_state"
    _FIELDS = (("place", np.int8), ("since", np.float64))

    def __init__(self, polygon: Any, *, anchor: str = "bottom_center", min_distance: float = 10.0,
                 classes: Optional[Iterable[int]] = None, forget_after: int = 150,
                 frame_rate: float = 30.0, name: str = "zone") -> None:
        self.polygon = validate_polygon(polygon, "polygon")
        self.polygon.setflags(write=False)
        super().__init__(anchor=anchor, min_distance=min_distance, classes=classes,
                         forget_after=forget_after, frame_rate=frame_rate, name=name)

    def _describe(self) -> str:
        return f"{self.polygon.shape[0]} vertices"

    def _clear(self) -> None:
        super()._clear()
        self.occupancy: Dict[int, int] = {}
        self.inside = np.zeros(0, bool)

    def _params(self) -> Dict[str, Any]:
        return {"polygon": self.polygon.tolist(), "anchor": self.anchor,
                "min_distance": self.min_distance,
                "classes": None if self.classes is None else list(self.classes),
                "forget_after": self.forget_after, "frame_rate": self.frame_rate, "name": self.name}

    @property
    def total_occupancy(self) -> int:
        """Tracks in the zone after the last update, all classes."""
        return sum(self.occupancy.values())

    def dwell(self) -> Dict[int, float]:
        """``{track_id: seconds inside so far}`` for remembered tracks confirmed inside."""
        since = self._state["since"]
        live = np.flatnonzero(self._state["place"] == 1)
        now = 0.0 if self._now is None else self._now
        return {int(self._ids[i]): float(now - since[i]) for i in live.tolist()}

    def _apply(self, pts: FramePoints, now: float, timestamp: Optional[float]) -> List[ZoneEvent]:
        px, py, ids, cls = pts.px, pts.py, pts.ids, pts.cls
        new_ids, old_slot, row = self._join(ids, pts.order)
        st = self._state
        place, since, last, occ, ev_row, ev_kind, ev_dwell = zone_step(
            px, py, new_ids, old_slot, row, st["place"], st["since"], self._last, self.polygon,
            self.min_distance, now, self.frame)
        frame = self.frame
        self._commit(new_ids, last, {"place": place, "since": since}, now)
        self._set_occupancy(occ, cls, pts.kept, pts.n_rows)
        events = []
        t_out = None if timestamp is None else now
        for r, k, dw in zip(ev_row.tolist(), ev_kind.tolist(), ev_dwell.tolist()):
            c = int(cls[r])
            self._count(c, 0 if k > 0 else 1)
            events.append(ZoneEvent(self.name, int(ids[r]), "enter" if k > 0 else "exit", frame,
                                    t_out, c, None if k > 0 else float(dw)))
        return events

    def _set_occupancy(self, occ: np.ndarray, cls: np.ndarray, kept: Optional[np.ndarray],
                       n_rows: int) -> None:
        if kept is None:
            self.inside = occ
        else:
            self.inside = np.zeros(n_rows, bool)
            self.inside[kept] = occ
        c_in = cls[occ]
        if c_in.size == 0:
            self.occupancy = {}
        elif (c_in == c_in[0]).all():
            self.occupancy = {int(c_in[0]): int(c_in.size)}
        else:
            occ_cls, n = np.unique(c_in, return_counts=True)
            self.occupancy = {int(c): int(k) for c, k in zip(occ_cls.tolist(), n.tolist())}

    def _check_fields(self, fields: Dict[str, np.ndarray], frame: int, now: Optional[float]) -> None:
        place = fields["place"]
        if place.size and not np.isin(place, (-1, 0, 1)).all():
            raise ValueError("state['place']: expected values -1, 0 or 1")
        since = fields["since"]
        inside = place == 1
        if not np.isnan(since[~inside]).all():
            raise ValueError("state['since']: expected a finite time for tracks inside and NaN "
                             "for the others")
        s_in = since[inside]
        hi = -MAX_TIME if now is None else now
        bad = ~((s_in >= -MAX_TIME) & (s_in <= hi))
        if bad.any():
            raise ValueError(f"state['since']: expected for tracks inside a time (seconds) in -2**53 .. "
                             f"state['time'] ({now!r}); got {float(s_in[bad][0])!r}")

    def _load(self, state: Dict[str, Any]) -> None:
        super()._load(state)
        self.occupancy = {}
        self.inside = np.zeros(0, bool)
