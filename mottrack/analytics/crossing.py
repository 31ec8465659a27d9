"""Compiled step of a line counter: which tracks crossed a directed segment this frame.

For a segment from ``start`` to ``end`` (direction ``d = end - start``) and an anchor point
``p`` the kernel uses the signed distance ``s = cross(d, p - start) / |d|`` (pixels;
positive on the left of ``d`` in image coordinates with y down, i.e. where
``cross(end - start, p - start) > 0``) and the position along the segment
``t = dot(p - start, d) / |d|**2`` (0 at ``start``, 1 at ``end``).

Per track the state is the confirmed side (-1, +1, or 0 while unknown), the last
observation's ``s`` and ``t`` and ``cross_t``, the ``t`` at which the path between two
consecutive observations last met the infinite line (linear interpolation; NaN before
the first such meeting).  A side is confirmed only by an observation more than
``margin`` pixels from the line.  A crossing is counted when a track with a confirmed
side is confirmed on the other side and its last meeting with the line lies on the
closed segment (``0 <= cross_t <= 1``).
"""
from __future__ import annotations

import numpy as np

from .._numba import njit

__all__ = ["line_side_band", "line_step"]


@njit
def line_side_band(s, margin):
    """+1 / -1 when ``s`` is more than ``margin`` past the line on that side, else 0."""
    if s > margin:
        return 1
    if s < -margin:
        return -1
    return 0


@njit
def line_step(px, py, new_ids, old_slot, row, side, prev_s, prev_t, cross_t, last,
              sx, sy, dx, dy, margin, frame):
    """Advance the state of one line by one frame.

    Parameters
    ----------
    px, py : ndarray, shape (m,), float64
        Anchor point of each row of this frame, pixels.
    new_ids, old_slot, row : ndarray, shape (k,), int64
        The join of remembered tracks and this frame's rows (see
        :func:`~mottrack.analytics._join.join_tracks`).
    side : ndarray, shape (n,), int8
        Confirmed side of each remembered track (-1, 0 unknown, +1).
    prev_s, prev_t, cross_t : ndarray, shape (n,), float64
        Last signed distance (pixels), last position along the segment, and position of
        the last meeting with the line (NaN: none yet).
    last : ndarray, shape (n,), int64
        Update index at which each track was last seen.
    sx, sy, dx, dy : float
        Segment start and ``end - start``, pixels.
    margin : float
        Hysteresis distance, pixels (>= 0).
    frame : int
        Index of this update.

    Returns
    -------
    side, prev_s, prev_t, cross_t, last : ndarray, shape (k,)
        The new state, aligned with ``new_ids``.
    ev_row : ndarray, shape (e,), int64
        Row of this frame of every crossing counted, in increasing track-id order.
    ev_dir : ndarray, shape (e,), int8
        +1 for ``in`` (to the positive side), -1 for ``out``.
    """
    k = new_ids.shape[0]
    length = np.sqrt(dx * dx + dy * dy)
    len2 = dx * dx + dy * dy
    n_side = np.empty(k, np.int8)
    n_s = np.empty(k)
    n_t = np.empty(k)
    n_c = np.empty(k)
    n_last = np.empty(k, np.int64)
    ev_row = np.empty(k, np.int64)
    ev_dir = np.empty(k, np.int8)
    e = 0
    for q in range(k):
        o = old_slot[q]
        r = row[q]
        if r < 0:
            n_side[q] = side[o]
            n_s[q] = prev_s[o]
            n_t[q] = prev_t[o]
            n_c[q] = cross_t[o]
            n_last[q] = last[o]
            continue
        ux = px[r] - sx
        uy = py[r] - sy
        s = (dx * uy - dy * ux) / length
        t = (ux * dx + uy * dy) / len2
        b = line_side_band(s, margin)
        if o < 0:
            n_side[q] = b
            n_c[q] = np.nan
        else:
            sd = side[o]
            ps = prev_s[o]
            pt = prev_t[o]
            ct = cross_t[o]
            if (ps < 0.0) != (s < 0.0):
                ct = pt + (t - pt) * (ps / (ps - s))
            if b != 0:
                if sd != 0 and b != sd and ct >= 0.0 and ct <= 1.0:
                    ev_row[e] = r
                    ev_dir[e] = b
                    e += 1
                sd = b
            n_side[q] = sd
            n_c[q] = ct
        n_s[q] = s
        n_t[q] = t
        n_last[q] = frame
    return n_side, n_s, n_t, n_c, n_last, ev_row[:e], ev_dir[:e]
