"""Compiled step of a line counter: which tracks crossed a directed segment this frame.

For a segment from ``start`` to ``end`` (direction ``d = end - start``) and an anchor point
``p`` the kernel uses the signed distance ``s = cross(d, p - start) / |d|`` (pixels;
positive where ``cross(end - start, p - start) > 0``: in image coordinates, y down, that
is the right-hand side looking along ``d``, e.g. below a segment drawn left to right) and
the position along the segment
``t = dot(p - start, d) / |d|**2`` (0 at ``start``, 1 at ``end``).

Per track the state is the confirmed side (-1, +1, or 0 while unknown), the last
observation's ``s`` and ``t``, and ``hit_at``: the update index (fractional, linearly
interpolated) at which the anchor's path last met the segment since the last observation
that confirmed a side (NaN: it did not).  The path between two consecutive
observations is straight; where ``s`` changes sign it meets the infinite line at the
linearly interpolated ``t`` (computed from the negative-side observation towards the
other, so the same pair gives the same ``t`` in either time order), and it meets the
segment when ``0 <= t <= 1`` (end caps included).  A side is confirmed only by an
observation more than ``margin`` pixels from the line.  A crossing is counted when a
track with a confirmed side is confirmed on the other side and ``hit_at`` is set; every
confirming observation clears it.  The crossing's ``hit_at`` says when the anchor crossed,
which for a track lost while crossing is earlier than the update that confirms it.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit

__all__ = ["line_side_band", "meeting_point", "line_step"]


@njit
def line_side_band(s, margin):
    """+1 / -1 when ``s`` is more than ``margin`` past the line on that side, else 0."""
    if s > margin:
        return 1
    if s < -margin:
        return -1
    return 0


@njit
def meeting_point(s_neg, t_neg, s_pos, t_pos):
    """``t`` where the straight path from an observation with ``s_neg < 0`` to one with
    ``s_pos >= 0`` meets the line (``s = 0``)."""
    return t_neg + (t_pos - t_neg) * (s_neg / (s_neg - s_pos))


@njit
def line_step(px, py, new_ids, old_slot, row, side, prev_s, prev_t, hit_at, last,
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
    prev_s, prev_t : ndarray, shape (n,), float64
        Last signed distance (pixels) and last position along the segment.
    hit_at : ndarray, shape (n,), float64
        When the path last met the segment since the last confirming observation (update
        index, fractional), NaN if it did not.
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
    side, prev_s, prev_t, hit_at, last : ndarray, shape (k,)
        The new state, aligned with ``new_ids``.
    ev_row : ndarray, shape (e,), int64
        Row of this frame of every crossing counted, in increasing track-id order.
    ev_dir : ndarray, shape (e,), int8
        +1 for ``in`` (to the positive side), -1 for ``out``.
    ev_at : ndarray, shape (e,), float64
        When the anchor met the segment, update index (fractional).
    """
    k = new_ids.shape[0]
    length = np.sqrt(dx * dx + dy * dy)
    len2 = dx * dx + dy * dy
    n_side = np.empty(k, np.int8)
    n_s = np.empty(k)
    n_t = np.empty(k)
    n_h = np.empty(k)
    n_last = np.empty(k, np.int64)
    ev_row = np.empty(k, np.int64)
    ev_dir = np.empty(k, np.int8)
    ev_at = np.empty(k)
    e = 0
    for q in range(k):
        o = old_slot[q]
        r = row[q]
        if r < 0:
            n_side[q] = side[o]
            n_s[q] = prev_s[o]
            n_t[q] = prev_t[o]
            n_h[q] = hit_at[o]
            n_last[q] = last[o]
            continue
        ux = px[r] - sx
        uy = py[r] - sy
        s = (dx * uy - dy * ux) / length
        t = (ux * dx + uy * dy) / len2
        b = line_side_band(s, margin)
        if o < 0:
            n_side[q] = b
            n_h[q] = np.nan
        else:
            sd = side[o]
            h = hit_at[o]
            ps = prev_s[o]
            if (ps < 0.0) != (s < 0.0):
                pf = float(last[o])
                if ps < 0.0:
                    ct = meeting_point(ps, prev_t[o], s, t)
                    mf = meeting_point(ps, pf, s, float(frame))
                else:
                    ct = meeting_point(s, t, ps, prev_t[o])
                    mf = meeting_point(s, float(frame), ps, pf)
                if ct >= 0.0 and ct <= 1.0:
                    h = mf
            if b != 0:
                if sd != 0 and b != sd and not np.isnan(h):
                    ev_row[e] = r
                    ev_dir[e] = b
                    ev_at[e] = h
                    e += 1
                sd = b
                h = np.nan
            n_side[q] = sd
            n_h[q] = h
        n_s[q] = s
        n_t[q] = t
        n_last[q] = frame
    return n_side, n_s, n_t, n_h, n_last, ev_row[:e], ev_dir[:e], ev_at[:e]
