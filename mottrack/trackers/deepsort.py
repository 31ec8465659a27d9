"""DeepSORT: Simple Online and Realtime Tracking with a Deep Association Metric
(Wojke, Bewley and Paulus, ICIP 2017).

SORT's constant-velocity Kalman filter, now over the box centre, aspect ratio and
height ``(x, y, a, h)``, combined with an appearance descriptor per detection (an
embedding from a re-identification network).  Each track keeps a gallery of the
unit-length descriptors of its last ``nn_budget`` detections.  Each frame:

1. **Predict** every track one step ahead with its Kalman filter.  With
   ``camera_motion``, then move each track through the warp: the centre exactly, its
   velocity by the warp's linear part at the centre, the height by the warp's
   vertical scale and the aspect ratio by the ratio of its horizontal and vertical
   scales; the covariance keeps its per-component blocks
   (:func:`~mottrack.kalman.xyah_warp_rows`).  A track the warp carries beyond the
   coordinate domain (a box beyond ``+-MAX_COORDINATE``, or a non-finite state) can
   never meet a detection again and is deleted.
2. **Matching cascade** (confirmed tracks).  Tracks are visited in order of the
   time since they were last seen: first those seen in the previous frame, then
   those missed once, and so on up to ``max_age``, so that a recently seen track
   gets first choice among the detections.  At each level the cost of a
   track/detection pair is the smallest cosine distance between the detection's
   descriptor and the track's gallery; pairs outside the 95 % confidence region
   of the track's predicted measurement (squared Mahalanobis distance above the
   chi-square quantile for 4 degrees of freedom, 9.4877) are forbidden, and so are
   pairs with cosine distance above ``max_cosine_distance``.  The assignment of
   minimum total cost is taken among the detections still free.
3. **IoU matching** of what remains: tentative tracks and confirmed tracks that
   were seen in the previous frame but found no appearance match are matched to
   the remaining detections with cost ``1 - IoU`` (rejected above
   ``max_iou_distance``).  This catches sudden appearance changes (partial
   occlusion) and gives new tracks, whose galleries are still thin, a motion-only
   association.
4. **Update** matched tracks (Kalman correction, the descriptor joins the gallery);
   a tentative track becomes confirmed after ``n_init`` detections.  An unmatched
   tentative track is deleted at once; a confirmed one is deleted when it has not
   been seen for more than ``max_age`` frames.  Each unmatched detection starts a
   tentative track.
5. **Report** confirmed tracks updated in this frame, or seen in the previous one
   (exactly what the original's ``deep_sort_app.py`` writes).

Each step is a compiled stage of :mod:`mottrack.trackers._deepsort_stages`, composed
by its ``deepsort_frame``.

With the defaults and ``max_cosine_distance=0.2, nn_budget=100`` the output
equals the original implementation (nwojke/deep_sort) frame by frame.  Ties in the
cost matrices (equal costs to the last bit) may be resolved differently.

Time
----
With timestamps, the Kalman step uses the real elapsed time ``dt`` (in nominal
frames) and ``max_age`` and the cascade order count time, not calls.  "Seen in the
previous frame" (steps 3 and 5) means updated in the previous ``update`` call,
whatever the elapsed time.  Without timestamps every call is one frame, exactly
the original.

Appearance
----------
Embeddings come with the detections (``Detections.embeddings``, float, or
int8/uint8 dequantised by :class:`~mottrack.Detections`); the tracker normalises
them to unit length.  Every non-empty frame must carry embeddings of one fixed
dimension.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..detections import Detections, count_degenerate
from ..kalman import XYAH_DIM
from ..registry import register_tracker
from ..tracks import N, TrackTable
from . import _deepsort_stages as st
from ._deepsort_stages import CHI2INV95_4DOF, SLOT
from ._gallery import grow_gallery, normalize_rows
from .base import Tracker, check_number

__all__ = ["DeepSORT", "CHI2INV95_4DOF"]


@register_tracker("deepsort")
class DeepSORT(Tracker):
    """DeepSORT (Wojke et al. 2017): Kalman motion, appearance galleries, a matching cascade.

    Every non-empty frame needs appearance embeddings (``Detections.embeddings``).

    Parameters
    ----------
    max_cosine_distance : float, default 0.2
        Largest cosine distance (``1 - cos``, in [0, 2]) between a detection's
        descriptor and the nearest descriptor of a track's gallery for an appearance
        match.  Higher values re-identify objects across larger changes of pose or
        light, but let similar-looking objects swap identities; lower values avoid
        swaps but fall back to IoU (or new tracks, i.e. identity switches) more often.
    nn_budget : int, default 100
        Descriptors kept per track (the most recent ones).  More makes the metric
        robust to temporary appearance changes, at ``nn_budget * D * 4`` bytes per
        track and proportionally more time per candidate pair; fewer is faster and
        adapts quicker, but forgets how an object looked before an occlusion.
    max_iou_distance : float, default 0.7
        Largest ``1 - IoU`` for the motion-only matching of new tracks and of tracks
        seen in the previous frame.  Higher values keep tracks of fast or jittery
        objects, but can attach a track to a neighbouring object.
    max_age : float, default 30
        Frames (time, with timestamps) a confirmed track survives without a detection,
        and the depth of the matching cascade.  Longer bridges longer occlusions (the
        appearance metric and the gate then re-identify the object), but keeps dead
        tracks around with growing, less selective gates.
    n_init : int, default 3
        Detections before a new track is confirmed (reported and matched by
        appearance).  A tentative track missing a single frame is deleted.  Higher
        values suppress tracks from spurious detections but report real objects later.
    frame_rate : float, default 30
        Nominal frames per second; converts timestamps to frames.
    per_class : bool, default False
        Only match detections of the track's class.
    output_box : {"kalman", "detection"}, default "kalman"
        Which box a matched track reports: its Kalman state (the original's) or the
        detection that updated it this frame.
    """

    embeddings = "required"
    #: deep_sort_app's ``min_confidence`` on MOTChallenge.
    default_min_score = 0.3
    #: deep_sort_app hands detections over in descending score order (its NMS sorts them).
    feed_order = "score"

    _state_attrs = ("tracks", "gallery", "gallery_count", "gallery_head", "free_slots", "embedding_dim")

    def __init__(self, max_cosine_distance: float = 0.2, nn_budget: int = 100,
                 max_iou_distance: float = 0.7, max_age: float = 30, n_init: int = 3, *,
                 frame_rate: float = 30.0, per_class: bool = False, output_box: str = "kalman") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.max_cosine_distance = check_number("max_cosine_distance", max_cosine_distance, low=0.0, high=2.0)
        if nn_budget is None:
            raise ValueError("nn_budget: expected a whole number >= 1 (an unbounded gallery is not supported)")
        self.nn_budget = check_number("nn_budget", nn_budget, low=1, integer=True)
        self.max_iou_distance = check_number("max_iou_distance", max_iou_distance, low=0.0, high=1.0)
        self.max_age = check_number("max_age", max_age, low=0)
        self.n_init = check_number("n_init", n_init, low=0, integer=True)
        params = np.zeros(st.N_PARAMS)
        params[st.P_MAX_COS] = self.max_cosine_distance
        params[st.P_MAX_IOU] = self.max_iou_distance
        params[st.P_MAX_AGE] = self.max_age
        params[st.P_N_INIT] = self.n_init
        params[st.P_PER_CLASS] = float(self.per_class)
        self._params = params
        self._err = np.zeros(2, np.int64)
        self._pending = np.empty(64, np.int64)  # scratch: matches when galleries must grow
        self._reset()

    def _reset(self) -> None:
        self.tracks = TrackTable(XYAH_DIM, extra_int=("gallery_slot",))
        #: dimension of the embeddings (0 until the first frame that carries them)
        self.embedding_dim = 0
        self._alloc_gallery(0, 0)

    def _check_restored(self) -> None:
        """Base checks, then the galleries: shapes agree with the budget and embedding
        dimension, every live track owns a distinct slot in range, the free list holds
        exactly the other slots, fill counts and ring positions within the budget."""
        super()._check_restored()
        g, cnt, head, free = self.gallery, self.gallery_count, self.gallery_head, self.free_slots
        cap, n, dim = g.shape[0], self.tracks.n, self.embedding_dim
        if not 0 <= dim <= 1 << 20:
            raise ValueError(f"state: attrs.embedding_dim is {dim}; expected 0 .. 2**20")
        if g.shape[1:] != (self.nn_budget, dim):
            raise ValueError(f"state: attrs.gallery has shape {g.shape}; expected (slots, nn_budget "
                             f"{self.nn_budget}, embedding_dim {dim})")
        for arr, what in ((cnt, "gallery_count"), (head, "gallery_head"), (free, "free_slots")):
            if arr.shape != (cap,):
                raise ValueError(f"state: attrs.{what} has shape {arr.shape}; expected ({cap},) "
                                 "(one entry per gallery slot)")
        if n > cap or (dim == 0 and n > 0):
            raise ValueError(f"state: {n} live tracks but {cap} gallery slots of dimension {dim}")
        if cap and (cnt.min() < 0 or cnt.max() > self.nn_budget or head.min() < 0
                    or head.max() >= self.nn_budget):
            raise ValueError("state: attrs.gallery_count / gallery_head outside [0, nn_budget]")
        slots = np.concatenate([self.tracks.ints[:n, SLOT], free[:cap - n]])
        if slots.shape[0] and (slots.min() < 0 or slots.max() >= cap
                               or np.unique(slots).shape[0] != cap):
            raise ValueError(f"state: attrs.tracks gallery_slot column and attrs.free_slots must "
                             f"together hold each slot 0..{cap - 1} once")

    def _alloc_gallery(self, capacity: int, dim: int) -> None:
        self.gallery = np.zeros((capacity, self.nn_budget, dim), np.float32)
        self.gallery_count = np.zeros(capacity, np.int64)
        self.gallery_head = np.zeros(capacity, np.int64)
        self.free_slots = np.arange(capacity, dtype=np.int64)[::-1].copy()

    def _check_embeddings(self, dets: Detections) -> np.ndarray:
        """This frame's embeddings (N, D) float32; changes nothing (the first frame's
        dimension and gallery are committed by :meth:`_step` once the call is accepted)."""
        emb = dets._embeddings
        n = dets._boxes.shape[0]
        if emb is None:
            if n == 0:
                return np.empty((0, max(self.embedding_dim, 1)), np.float32)
            raise ValueError("DeepSORT needs appearance embeddings: pass Detections(..., embeddings=(N, D)) "
                             f"for every non-empty frame (got {n} detections without embeddings)")
        dim = emb.shape[1]
        if dim < 1:
            raise ValueError("embeddings: expected D >= 1 columns; got 0")
        if self.embedding_dim != 0 and dim != self.embedding_dim:
            raise ValueError(f"embeddings: dimension changed from {self.embedding_dim} to {dim}; "
                             "a tracker takes embeddings of one model")
        return emb

    #: ``_step`` leaves frames with degenerate boxes to the base (its kernel checks them).
    _step_checks_degenerate = True

    def _step(self, dets: Detections, dt: float, warp: np.ndarray) -> Optional[np.ndarray]:
        emb = dets._embeddings
        boxes = dets._boxes
        n_det = boxes.shape[0]
        if emb is None or emb.shape[1] != self.embedding_dim:  # else every check passes
            if emb is None and n_det and count_degenerate(boxes):
                return None  # the base drops those rows first (all of them may go)
            emb = self._check_embeddings(dets)
        first = self.embedding_dim == 0 and emb.shape[0] > 0
        if first:  # the first frame with embeddings: its dimension and gallery, kept if accepted
            kept = (self.gallery, self.gallery_count, self.gallery_head, self.free_slots)
            self._alloc_gallery(16, emb.shape[1])
        tr = self.tracks
        if tr.counters[N] + n_det > tr.mean.shape[0]:
            tr.reserve(n_det)
        err = self._err
        if self._pending.shape[0] < n_det:
            self._pending = np.empty(2 * n_det, np.int64)
        out = st.deepsort_frame(
            tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self.gallery, self.gallery_count,
            self.gallery_head, self.free_slots, boxes, dets._scores, dets._class_ids, emb, dt,
            self._params, warp, err, self._pending)
        if err[0] != 0:
            code, value = int(err[0]), int(err[1])
            err[0] = 0
            if code == st.E_EMBEDDING or code == st.E_DEGENERATE:
                if first:
                    self.gallery, self.gallery_count, self.gallery_head, self.free_slots = kept
                if code == st.E_DEGENERATE:
                    return None
                raise ValueError(f"embeddings: row {value} has zero length (all zeros, or it holds "
                                 "NaN/inf); expected a non-zero, finite appearance vector")
            # More new tracks than free gallery slots: grow (by at least a quarter), then finish.
            n = int(tr.counters[N])
            cap = self.gallery.shape[0]
            (self.gallery, self.gallery_count, self.gallery_head,
             self.free_slots) = grow_gallery(self.gallery, self.gallery_count, self.gallery_head,
                                             self.free_slots, n, max(n + value, cap + cap // 4 + 8))
            feats = np.empty(emb.shape, np.float32)
            normalize_rows(emb, feats)
            gal = st.Gallery(self.gallery, self.gallery_count, self.gallery_head, self.free_slots)
            out = st.finish_frame(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, gal,
                                  dets._boxes, dets._scores, dets._class_ids, feats, self._pending[:n_det], dt)
        if first:
            self.embedding_dim = emb.shape[1]
        return out
