"""BoT-SORT: robust associations multi-pedestrian tracking (Aharon, Orfaig and Bobrovsky, 2022).

ByteTrack's two-round association with three changes:

* the Kalman state is (x, y, w, h) and its velocities, with process and measurement
  noise proportional to the width (x, w) and height (y, h) of the box, so the box
  width is tracked instead of an aspect ratio;
* **camera-motion compensation**: given the warp from the previous frame's pixels to
  this frame's (``camera_motion``), every track's mean and covariance are moved
  through it after the prediction, before the first association:
  ``mean <- kron(I4, R) mean + (t, 0...)``, ``P <- R8 P R8^T`` with ``R``, ``t`` the
  linear part and translation of the affine warp (for a homography, its Jacobian
  at the track centre, the centre mapped exactly);
* optional **appearance**: when the detections carry embeddings each track keeps an
  exponentially smoothed (weight 0.9 on the past), unit-length feature; the cost of a
  pair in the first association and for unconfirmed tracks is the smaller of the
  (score-fused) IoU cost and the halved cosine distance, the latter counted only when
  it is at most ``appearance_thresh`` and 1 - IoU is at most ``proximity_thresh``.

Each frame:

1. detections scoring above ``track_high_thresh`` are *high*, those between
   ``track_low_thresh`` (0.1) and it *low* (strict comparisons);
2. predict the tracked and lost tracks (lost ones at constant size), then the camera
   warp on every track;
3. first association: high detections against tracked and lost tracks, cost as above,
   pairs cheaper than ``match_thresh``; matched lost tracks are re-found;
4. second association: low detections against the tracked tracks left, 1 - IoU
   below 0.5, no appearance; the rest become lost;
5. tracks born last frame against the high detections left (cost as in 3, below 0.7):
   confirmed, or deleted;
6. a new track for each high detection left scoring at least ``new_track_thresh``;
7. lost tracks older than ``int(frame_rate / 30 * track_buffer)`` frames are removed,
   tracked/lost duplicates (1 - IoU < 0.15) lose the younger track.

Every tracked track is reported, including the unconfirmed ones born this or last
frame (the original returns its not yet activated tracks too).  With the defaults the
output equals the original (NirAharon/BoT-SORT, ``BoTSORT``) frame by frame, with and
without its precomputed camera motion and ReID features.

The stages are those of ByteTrack (:mod:`mottrack.trackers._byte_stages`); the track
table holds the pools in the original's list order and the smoothed features sit in
``features``, one row per table row.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit
from ..detections import NEED_ROOM, Detections, split_rows
from ..kalman import XYWH, XYWH_DIM
from ..registry import register_tracker
from ..tracks import TrackTable
from . import _byte_stages as bs
from .base import Tracker, check_number

__all__ = ["BoTSORT"]

_NO_FEATURES = np.empty((0, 0), np.float32)  # a frame without embeddings


@njit  # a kernel of its own: the evaluator runs it with embeddings (Detections) and, scaling, on rows
def _botsort_step(mean, cov, ints, floats, counters, feats, boxes, scores, classes, emb, dt, frame_count,
                  params, fwork, iwork, warp, err):
    """One BoT-SORT frame over the track table; returns the (M, 8) output rows, or an
    empty (0, 8) with nothing changed when an embedding has zero length
    (``err[1]`` then holds its row, -1 otherwise).  ``emb`` (N, D), or (0, 0) without
    appearance; ``warp`` (3, 3) or ``NO_WARP``."""
    nd = boxes.shape[0]
    dfeat = np.empty((nd if emb.shape[1] > 0 else 1, emb.shape[1]))
    if emb.shape[1] > 0:
        bad = bs.normalize_features(emb, dfeat)
        err[1] = bad
        if bad >= 0:
            return np.empty((0, 8))
    return bs.byte_frame(XYWH, mean, cov, ints, floats, counters, feats, boxes, scores, classes, dfeat,
                         dt, frame_count, params, fwork, iwork, warp)


@njit
def _botsort_step_rows(mean, cov, ints, floats, counters, feats, rows, dt, frame_count, params, fwork, iwork,
                       warp, err):
    """:func:`_botsort_step` on an (N, 5|6) array (no embeddings), validated first (error
    code into ``err``)."""
    boxes, scores, classes, code, r, c = split_rows(rows, False)
    if code == 0 and not (bs.has_room(mean, iwork, counters, boxes.shape[0])
                          and feats.shape[0] >= mean.shape[0]):
        code = NEED_ROOM  # nothing changed: the caller grows the tables and steps again
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    return _botsort_step(mean, cov, ints, floats, counters, feats, boxes, scores, classes,
                         np.empty((0, 0), np.float32), dt, frame_count, params, fwork, iwork, warp, err)


@register_tracker("botsort")
class BoTSORT(bs.ByteWork, Tracker):
    """BoT-SORT (Aharon et al. 2022): ByteTrack with an (x, y, w, h) Kalman filter,
    camera-motion compensation and an optional appearance cost.

    Parameters
    ----------
    track_high_thresh : float, default 0.6
        Detections scoring above it take part in the first association and may start
        tracks; those between ``track_low_thresh`` and it only continue tracked
        tracks (second association).  Higher trusts fewer detections: fewer false
        tracks, more fragmented real ones.
    track_low_thresh : float, default 0.1
        Detections scoring at or below it are ignored.
    new_track_thresh : float, default 0.7
        Minimum score of a high detection left unmatched to start a track.  Higher
        starts fewer tracks from false positives but picks real objects up later.
    track_buffer : float, default 30
        How long a lost track is kept for re-identification, in frames at 30 fps
        (``int(frame_rate / 30 * track_buffer)`` frames).
    match_thresh : float in (0, 1], default 0.8
        Cost limit of the first association.  Higher keeps tracks through larger
        jumps at the risk of wrong matches in crowds.
    proximity_thresh : float, default 0.5
        An appearance match needs 1 - IoU <= this (the boxes must overlap enough).
    appearance_thresh : float, default 0.25
        An appearance match needs a halved cosine distance <= this.  Higher lets
        appearance bridge more motion error but swaps look-alikes more often.
    fuse_score : bool, default True
        IoU costs of the first association and of unconfirmed tracks are
        ``1 - IoU * score`` (the original's setting for all but MOT20).
    frame_rate : float, default 30
        Frames per second of the stream: scales ``track_buffer`` and converts
        timestamps to frames.
    per_class : bool, default False
        A track matches detections, and is a duplicate of tracks, of its own class only.
    output_box : {"kalman", "detection"}, default "kalman"
        A matched track reports its Kalman box (BoT-SORT's choice) or, with
        ``"detection"``, the box of the detection that updated it this frame.

    Notes
    -----
    Appearance is used on every frame whose detections carry embeddings
    (``Detections.embeddings``, float or int8/uint8 with their quantisation), all of
    one dimension; a track holds a feature from the first embedded detection that
    updates it.  ``camera_motion`` (``update``) is the 2x3 affine or 3x3 homography
    from the previous frame's pixels to this frame's, e.g. from
    :mod:`mottrack.motion`.  With timestamps the Kalman step uses the elapsed time and
    the lost-track limit counts time, in frames at ``frame_rate``.
    """

    embeddings = "optional"
    _state_attrs = ("tracks", "features", "embedding_dim")
    #: Smoothed unit appearance features, one row per track-table row (D = 0 before any).
    features: np.ndarray

    def __init__(self, track_high_thresh: float = 0.6, track_low_thresh: float = 0.1,
                 new_track_thresh: float = 0.7, track_buffer: float = 30, match_thresh: float = 0.8,
                 proximity_thresh: float = 0.5, appearance_thresh: float = 0.25, *,
                 fuse_score: bool = True, frame_rate: float = 30, per_class: bool = False,
                 output_box: str = "kalman") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.track_high_thresh = check_number("track_high_thresh", track_high_thresh, low=0.0, high=1.0)
        self.track_low_thresh = check_number("track_low_thresh", track_low_thresh, low=0.0, high=1.0)
        if self.track_low_thresh != bs.LOW_SCORE:
            raise ValueError(f"track_low_thresh: only {bs.LOW_SCORE} (the original's, shared with "
                             f"ByteTrack's stages) is supported; got {track_low_thresh!r}")
        self.new_track_thresh = check_number("new_track_thresh", new_track_thresh, low=0.0, high=1.0)
        self.track_buffer = check_number("track_buffer", track_buffer, low=0.0, high=1e9)
        self.match_thresh = check_number("match_thresh", match_thresh, low=0.0, high=1.0, low_open=True)
        self.proximity_thresh = check_number("proximity_thresh", proximity_thresh, low=0.0, high=1.0)
        self.appearance_thresh = check_number("appearance_thresh", appearance_thresh, low=0.0, high=1.0)
        if not isinstance(fuse_score, (bool, np.bool_)):
            raise TypeError(f"fuse_score: expected a bool; got {type(fuse_score).__name__}")
        self.fuse_score = bool(fuse_score)
        #: Frames a lost track is kept (the original's ``max_time_lost``).
        self.max_time_lost = int(self.frame_rate / 30.0 * self.track_buffer)
        self._work_for = -1
        self._err = np.array([0, -1], np.int64)  # the fast path's error code; a zero-length embedding's row
        self._reset()
        self._make_work(64)

    # -- scratch and storage ------------------------------------------------------------
    def _kernel_params(self):
        return (self.track_high_thresh, self.match_thresh, float(self.max_time_lost),
                self.new_track_thresh, float(self.fuse_score), float(self.per_class),
                self.proximity_thresh, self.appearance_thresh, 1.0)

    def _prepare(self, n_det: int) -> None:
        super()._prepare(n_det)
        rows = self.tracks.mean.shape[0]
        if self.features.shape[0] < rows:  # a feature row per table row
            f = np.zeros((rows, self.features.shape[1]))
            f[: self.features.shape[0]] = self.features
            self.features = f

    def _reset(self) -> None:
        self.tracks = TrackTable(XYWH_DIM, extra_int=("removed", "has_feature"),
                                 extra_float=("tracked_time",))
        #: Smoothed unit-length appearance feature of each table row (rows, D), float64.
        self.features = np.zeros((self.tracks.capacity, 0))
        #: Dimension of the embeddings (0 until the first frame that carries them).
        self.embedding_dim = 0

    def _embeddings(self, dets: Detections) -> np.ndarray:
        emb = dets.embeddings
        if emb is None or dets.boxes.shape[0] == 0:
            return _NO_FEATURES
        dim = emb.shape[1]
        if self.embedding_dim == 0:
            self.embedding_dim = dim
            self.features = np.zeros((self.tracks.capacity, dim))
        elif dim != self.embedding_dim:
            raise ValueError(f"embeddings: dimension changed from {self.embedding_dim} to {dim}; "
                             "a tracker takes embeddings of one model")
        return emb.copy()  # writable, as the fast path's (0, 0): one kernel signature (Tracker._kernel_inputs)

    # -- the frame ------------------------------------------------------------------------
    def _step(self, dets: Detections, dt: float, warp: np.ndarray) -> np.ndarray:
        dim0, feats0 = self.embedding_dim, self.features
        emb = self._embeddings(dets)
        boxes, scores, classes = self._kernel_inputs(dets)
        self._prepare(boxes.shape[0])
        tr = self.tracks
        out = _botsort_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self.features,
                            boxes, scores, classes, emb, dt, self.frame_count, self._params, self._fwork,
                            self._iwork, warp, self._err)
        if self._err[1] >= 0:  # rejected before any state changed
            row = int(self._err[1])
            self._err[1] = -1
            self.embedding_dim, self.features = dim0, feats0
            raise ValueError(f"embeddings: row {row} has zero length; cannot normalise it")
        return out

    _rows_fast_path = True
    _rows_fast_path_warp = True

    def _step_rows(self, rows: np.ndarray, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        return _botsort_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self.features,
                                  rows, dt, self.frame_count, self._params, self._fwork, self._iwork, warp,
                                  self._err)

    def _make_room(self, n_det: int) -> None:
        self._prepare(n_det)

    def _check_restored(self) -> None:
        super()._check_restored()
        tr = self.tracks
        f = self.features
        if f.ndim != 2 or f.shape[1] != self.embedding_dim:
            raise ValueError(f"state: attrs.features must have shape (rows, embedding_dim="
                             f"{self.embedding_dim}); got {f.shape}")
        if self.embedding_dim < 0:
            raise ValueError(f"state: attrs.embedding_dim must be >= 0; got {self.embedding_dim}")
        if f.shape[0] < tr.n:
            raise ValueError(f"state: attrs.features has {f.shape[0]} rows for {tr.n} tracks")
        if not np.isfinite(f[: tr.n]).all():
            raise ValueError("state: attrs.features must be finite")
        has = tr.ints[: tr.n, bs.HAS_FEAT]
        if ((has != 0) & (has != 1)).any() or (self.embedding_dim == 0 and has.any()):
            raise ValueError("state: attrs.tracks column has_feature must be 0 or 1 (0 without embeddings)")
        self.features = np.ascontiguousarray(f, dtype=np.float64)
        self._prepare(0)
