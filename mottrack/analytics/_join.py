"""Compiled join of a frame's track ids with the per-track state of a counter.

Counters keep their per-track state in arrays sorted by track id.  Each frame,
:func:`join_tracks` merges those ids with the ids reported this frame and decides which
remembered tracks are kept: a track is forgotten once it has been absent for more than
``forget_after`` consecutive updates.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit

__all__ = ["join_tracks"]


@njit
def join_tracks(old_ids, old_last, ids, order, frame, forget_after):
    """Merge the remembered tracks with this frame's rows.

    Parameters
    ----------
    old_ids : ndarray, shape (n,), int64
        Remembered track ids, strictly increasing.
    old_last : ndarray, shape (n,), int64
        Update index at which each remembered track was last seen.
    ids : ndarray, shape (m,), int64
        Track id of each row of this frame (distinct).
    order : ndarray, shape (m,), int64
        Rows of this frame sorted by ``ids``.
    frame : int
        Index of this update.
    forget_after : int
        A track absent for more than this many updates is dropped.

    Returns
    -------
    new_ids : ndarray, shape (k,), int64
        Track ids of the new state, strictly increasing.
    old_slot : ndarray, shape (k,), int64
        Index into the old state of each new entry, -1 for a track first seen now.
    row : ndarray, shape (k,), int64
        Row of this frame of each new entry, -1 for a track not seen now.
    """
    n = old_ids.shape[0]
    m = order.shape[0]
    cap = n + m
    new_ids = np.empty(cap, np.int64)
    old_slot = np.empty(cap, np.int64)
    row = np.empty(cap, np.int64)
    i = 0
    j = 0
    k = 0
    while i < n or j < m:
        if j >= m or (i < n and old_ids[i] < ids[order[j]]):
            if frame - old_last[i] <= forget_after:
                new_ids[k] = old_ids[i]
                old_slot[k] = i
                row[k] = -1
                k += 1
            i += 1
        elif i >= n or ids[order[j]] < old_ids[i]:
            new_ids[k] = ids[order[j]]
            old_slot[k] = -1
            row[k] = order[j]
            k += 1
            j += 1
        else:
            new_ids[k] = old_ids[i]
            old_slot[k] = i
            row[k] = order[j]
            k += 1
            i += 1
            j += 1
    return new_ids[:k], old_slot[:k], row[:k]
