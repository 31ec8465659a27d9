"""ByteTrack: multi-object tracking by associating every detection box (Zhang et al., ECCV 2022).

Tracking-by-detection usually throws low-score detections away, and with them the
occluded objects they belong to.  BYTE keeps them, but only to continue tracks that
already exist.  Each frame:

1. split the detections by score: *high* (score > ``track_thresh``) and *low*
   (0.1 < score < ``track_thresh``);
2. predict every tracked and every lost track with its (x, y, a, h) Kalman filter
   (a lost track's height velocity is set to zero: it coasts at constant size); with
   ``camera_motion``, move every track (tracked, unconfirmed, lost) through the warp:
   the centre exactly, its velocity by the warp's linear part at the centre, the
   height by the warp's vertical scale and the aspect ratio by the ratio of its
   horizontal and vertical scales; the covariance keeps its per-component blocks
   (:func:`~mottrack.kalman.xyah_warp_rows`);
3. **first association**: high detections against all tracked and lost tracks, with
   cost 1 - IoU, or 1 - IoU * score when ``fuse_score`` is on; the assignment with the
   least total cost among pairs cheaper than ``match_thresh``.  A matched lost track is
   re-found and keeps its id;
4. **second association**: low detections against the tracked tracks left unmatched,
   cost 1 - IoU (no score), pairs cheaper than 0.5.  Tracked tracks still unmatched
   become lost;
5. tracks born last frame (unconfirmed) are matched to the remaining high detections
   (cost as in step 3, pairs cheaper than 0.7) and confirmed, or deleted;
6. each remaining high detection with score >= ``track_thresh + 0.1`` starts a track,
   confirmed at once on the very first frame and otherwise unconfirmed until it is
   matched the next frame;
7. lost tracks not updated for more than ``int(frame_rate / 30 * track_buffer)``
   frames are removed; a tracked and a lost track whose boxes overlap with IoU > 0.85
   are duplicates: the one followed for the shorter time is dropped.

The confirmed tracked tracks are reported.  With ``track_thresh``, ``match_thresh``,
``track_buffer=30, frame_rate=30`` the output equals the original implementation
(ifzhang/ByteTrack, ``BYTETracker``) frame by frame, including its bookkeeping quirks:
unconfirmed tracks are not predicted before their one chance to be matched, a lost
track that times out still sits in the lost pool (and can be re-found) during the
following frame, and a track re-found that way is dropped as soon as it is lost again.

All state is one :class:`~mottrack.tracks.TrackTable` whose rows are the tracked pool
(in the original's list order) followed by the lost pool; a frame is one compiled call
composed of the stages in :mod:`mottrack.trackers._byte_stages`, which BoT-SORT shares.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit
from ..detections import NEED_ROOM, Detections, split_rows
from ..kalman import XYAH, XYAH_DIM
from ..registry import register_tracker
from ..tracks import TrackTable
from . import _byte_stages as bs
from .base import Tracker, check_number

__all__ = ["ByteTrack"]


@njit(inline="always")  # inlined in the rows kernel; called from Python it is a kernel of its own
def _bytetrack_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, params,
                    fwork, iwork, warp):
    """One ByteTrack frame (the shared BYTE stages with the (x, y, a, h) filter, no
    appearance, confirmed tracks reported); returns the (M, 8) output rows."""
    none = fwork[:0].reshape((1, 0))  # no appearance features (an empty view, no allocation)
    return bs.byte_frame(XYAH, mean, cov, ints, floats, counters, none, boxes, scores, classes, none, dt,
                         frame_count, params, fwork, iwork, warp)


@njit
def _bytetrack_step_rows(mean, cov, ints, floats, counters, rows, dt, frame_count, params, fwork, iwork, warp,
                         err):
    """:func:`_bytetrack_step` on an (N, 5|6) array, validated first (error code, or
    ``NEED_ROOM`` when the tables are too small, into ``err``)."""
    boxes, scores, classes, code, r, c = split_rows(rows, False)
    if code == 0 and not bs.has_room(mean, iwork, counters, boxes.shape[0]):
        code = NEED_ROOM  # nothing changed: the caller grows the tables and steps again
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    return _bytetrack_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count,
                           params, fwork, iwork, warp)


@register_tracker("bytetrack")
class ByteTrack(bs.ByteWork, Tracker):
    """ByteTrack (Zhang et al. 2022): two-stage IoU association that also uses low-score boxes.

    Parameters
    ----------
    track_thresh : float, default 0.5
        Detections scoring above it are *high* (matched first, may start tracks once
        they reach ``track_thresh + 0.1``); those between 0.1 and it are *low* (only
        continue tracked tracks).  Raising it starts fewer tracks from false positives
        and leans more on the conservative second stage, but starts real objects later
        and loses more of the weakly detected; lowering it does the opposite.
    match_thresh : float in (0, 1], default 0.8
        Cost limit of the first association (cost 1 - IoU, times the score when
        ``fuse_score``): a pair matches only if its cost is below it.  Raising it
        keeps tracks through larger jumps and poorer detections at the risk of
        wrong matches and identity switches in crowds; lowering it does the reverse
        (more fragmented tracks, new ids after fast motion).
    track_buffer : float, default 30
        How long a lost track is kept for re-identification, in frames at 30 fps:
        the limit is ``int(frame_rate / 30 * track_buffer)`` frames.  Longer bridges
        longer occlusions but lets stale tracks grab newcomers (and costs time per
        frame); shorter gives new ids after shorter gaps.
    frame_rate : float, default 30
        Frames per second of the stream: scales ``track_buffer`` and converts
        timestamps to frames.
    fuse_score : bool, default True
        First-stage and unconfirmed-track costs are 1 - IoU * score (the original's
        default, off for its MOT20 setting).  Favours confident detections when two
        compete for a track; turning it off makes matching purely geometric.
    per_class : bool, default False
        Only match detections of the track's class (and only treat tracks of the
        same class as duplicates).
    output_box : {"kalman", "detection"}, default "kalman"
        Which box a matched track reports: its Kalman state (the original's) or the
        detection that updated it this frame.

    Notes
    -----
    Detections with zero height are ignored (they have no aspect ratio).  With
    timestamps the Kalman step uses the elapsed time and the lost-track limit and
    track durations count time, in frames at ``frame_rate``.
    """

    _state_attrs = ("tracks",)

    def __init__(self, track_thresh: float = 0.5, match_thresh: float = 0.8, track_buffer: float = 30,
                 *, frame_rate: float = 30, fuse_score: bool = True, per_class: bool = False,
                 output_box: str = "kalman") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.track_thresh = check_number("track_thresh", track_thresh, low=0.0, high=1.0)
        self.match_thresh = check_number("match_thresh", match_thresh, low=0.0, high=1.0, low_open=True)
        self.track_buffer = check_number("track_buffer", track_buffer, low=0.0, high=1e9)
        if not isinstance(fuse_score, (bool, np.bool_)):
            raise TypeError(f"fuse_score: expected a bool; got {type(fuse_score).__name__}")
        self.fuse_score = bool(fuse_score)
        #: Minimum score of a detection that starts a track (the original's ``det_thresh``).
        self.det_thresh = self.track_thresh + 0.1
        #: Frames a lost track is kept (the original's ``max_time_lost``).
        self.max_time_lost = int(self.frame_rate / 30.0 * self.track_buffer)
        self.tracks = TrackTable(XYAH_DIM, extra_int=("removed",), extra_float=("tracked_time",))
        # Kernel parameters and workspace (bs.ByteWork).  Not state: rebuilt on demand.
        self._work_for = -1
        self._make_work(64)

    def _kernel_params(self):
        return (self.track_thresh, self.match_thresh, float(self.max_time_lost), self.det_thresh,
                float(self.fuse_score), float(self.per_class), 0.0, 0.0, 0.0)

    def _step(self, dets: Detections, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        boxes, scores, classes = self._kernel_inputs(dets)
        self._prepare(boxes.shape[0])
        return _bytetrack_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, boxes, scores,
                               classes, dt, self.frame_count, self._params, self._fwork, self._iwork, warp)

    _rows_fast_path = True
    _rows_fast_path_warp = True

    def _step_rows(self, rows: np.ndarray, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        return _bytetrack_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, rows, dt,
                                    self.frame_count, self._params, self._fwork, self._iwork, warp, self._err)

    def _make_room(self, n_det: int) -> None:
        self._prepare(n_det)

    def _reset(self) -> None:
        self.tracks.reset()
