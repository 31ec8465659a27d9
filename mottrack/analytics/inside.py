"""Compiled step of a zone monitor: which tracks are inside a polygon, entered or left it.

Per track the state is the confirmed place (+1 inside, -1 outside, 0 unknown) and the
time it was confirmed inside (NaN when not inside).  A place is confirmed by an
observation whose anchor is more than ``margin`` pixels from the polygon's boundary;
inside the band along the boundary the previous place holds.  A track first seen in
the band is unknown until it leaves the band.  ``enter`` is outside -> inside, ``exit``
inside -> outside; a track first seen inside starts its dwell then without an ``enter``.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit

__all__ = ["point_in_polygon", "zone_step"]


@njit
def point_in_polygon(x, y, poly):
    """Even-odd inside test and distance to the boundary of a simple polygon.

    Parameters
    ----------
    x, y : float
        The point, pixels.
    poly : ndarray, shape (v, 2), float64
        Vertices in order, not closed (the last edge joins the last vertex to the first).

    Returns
    -------
    inside : bool
        True when the point is strictly inside by the even-odd rule (points exactly on
        the boundary may go either way; they are in the band anyway).
    dist : float
        Euclidean distance to the nearest edge, pixels.
    """
    v = poly.shape[0]
    inside = False
    best = np.inf
    j = v - 1
    for i in range(v):
        xi = poly[i, 0]
        yi = poly[i, 1]
        xj = poly[j, 0]
        yj = poly[j, 1]
        if (yi > y) != (yj > y):
            xc = (xj - xi) * (y - yi) / (yj - yi) + xi
            if x < xc:
                inside = not inside
        ex = xj - xi
        ey = yj - yi
        wx = x - xi
        wy = y - yi
        ee = ex * ex + ey * ey
        u = (wx * ex + wy * ey) / ee
        if u < 0.0:
            u = 0.0
        elif u > 1.0:
            u = 1.0
        cx = wx - u * ex
        cy = wy - u * ey
        d2 = cx * cx + cy * cy
        if d2 < best:
            best = d2
        j = i
    return inside, np.sqrt(best)


@njit
def zone_step(px, py, new_ids, old_slot, row, place, since, last, poly, margin, now, frame):
    """Advance the state of one zone by one frame.

    Parameters
    ----------
    px, py : ndarray, shape (m,), float64
        Anchor point of each row of this frame, pixels.
    new_ids, old_slot, row : ndarray, shape (k,), int64
        The join of remembered tracks and this frame's rows.
    place : ndarray, shape (n,), int8
        Confirmed place of each remembered track (+1 inside, -1 outside, 0 unknown).
    since : ndarray, shape (n,), float64
        Time (seconds) the track was confirmed inside; NaN when not inside.
    last : ndarray, shape (n,), int64
        Update index at which each track was last seen.
    poly : ndarray, shape (v, 2), float64
        The polygon.
    margin : float
        Width of the hysteresis band, pixels (>= 0).
    now : float
        Time of this frame, seconds.
    frame : int
        Index of this update.

    Returns
    -------
    place, since, last : ndarray, shape (k,)
        The new state, aligned with ``new_ids``.
    occupied : ndarray, shape (m,), bool
        Rows counted in the zone this frame: confirmed inside, or unknown and inside.
    ev_row : ndarray, shape (e,), int64
        Row of every enter / exit event, in increasing track-id order.
    ev_kind : ndarray, shape (e,), int8
        +1 enter, -1 exit.
    ev_dwell : ndarray, shape (e,), float64
        Seconds spent inside, for exits (NaN for enters).
    """
    k = new_ids.shape[0]
    m = px.shape[0]
    n_place = np.empty(k, np.int8)
    n_since = np.empty(k)
    n_last = np.empty(k, np.int64)
    occupied = np.zeros(m, np.bool_)
    ev_row = np.empty(k, np.int64)
    ev_kind = np.empty(k, np.int8)
    ev_dwell = np.empty(k)
    e = 0
    # Points farther than margin outside the bounding box are outside, past the band.
    x_lo = poly[:, 0].min() - margin
    x_hi = poly[:, 0].max() + margin
    y_lo = poly[:, 1].min() - margin
    y_hi = poly[:, 1].max() + margin
    for q in range(k):
        o = old_slot[q]
        r = row[q]
        if r < 0:
            n_place[q] = place[o]
            n_since[q] = since[o]
            n_last[q] = last[o]
            continue
        x = px[r]
        y = py[r]
        if x < x_lo or x > x_hi or y < y_lo or y > y_hi:
            g_in = False
            b = -1
        else:
            g_in, dist = point_in_polygon(x, y, poly)
            b = 0
            if dist > margin:
                b = 1 if g_in else -1
        pl = 0
        sn = np.nan
        if o >= 0:
            pl = place[o]
            sn = since[o]
        if b != 0 and b != pl:
            if b == 1:
                if pl == -1:
                    ev_row[e] = r
                    ev_kind[e] = 1
                    ev_dwell[e] = np.nan
                    e += 1
                sn = now
            else:
                if pl == 1:
                    ev_row[e] = r
                    ev_kind[e] = -1
                    ev_dwell[e] = now - sn
                    e += 1
                sn = np.nan
            pl = b
        n_place[q] = pl
        n_since[q] = sn
        n_last[q] = frame
        occupied[r] = pl == 1 or (pl == 0 and g_in)
    return n_place, n_since, n_last, occupied, ev_row[:e], ev_kind[:e], ev_dwell[:e]
