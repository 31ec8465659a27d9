"""Hybrid-SORT: weak cues for motion-only tracking (Yang et al., AAAI 2024).

OC-SORT (observation history, ORU, momentum, OCR) with BYTE's second round and three
weak cues that need no image:

* **TCM**, the track-confidence model: every track also filters its detection score
  with a constant-velocity Kalman filter over (c, c') (:func:`mottrack.kalman.conf_update`).
  The first round penalises a pair by |score - the predicted confidence (clipped to
  [det_thresh, 1])|; the BYTE round by |score - the linear extrapolation of the last two
  scores (clipped to [0.1, det_thresh])|;
* **HMIoU**, height-modulated IoU (:func:`mottrack.geometry.height_overlap` x IoU): the
  similarity of every round (``asso_func``);
* the momentum term from the velocity directions of the four box **corners** (each the
  sum of the unit directions from the observations 1..``delta_t`` frames back), not
  the centre.

Each frame is OC-SORT's frame (:func:`mottrack.trackers._oc_stages.oc_frame`, the same
compiled stages) with Hybrid-SORT's pieces switched in:

1. split the detections: high (score > ``det_thresh``) and, with ``use_byte``, low
   (0.1 < score < ``det_thresh``); both comparisons strict;
2. predict every track (box filter and confidence filter), move it by the camera warp,
   drop tracks whose box is invalid;
3. first round: high detections against the predicted boxes, HMIoU + four-corner
   momentum - TCM (one-to-one pairs above ``iou_threshold`` taken directly, else the
   assignment; pairs with HMIoU below the threshold rejected);
4. BYTE round: low detections against the predicted boxes of the tracks left, HMIoU,
   solved when some pair is above the threshold, then - TCM; accepted at or above it;
5. OCR round: high detections left against the last observations of the tracks left;
6. matched tracks re-run their filters along ORU's virtual trajectory (box and
   confidence) and update; the others freeze their state;
7. every high detection left starts a track;
8. report tracks updated this frame with ``min_hits`` consecutive hits (all during the
   first ``min_hits`` frames); delete tracks not updated for more than ``max_age`` frames.

With the original's parameters the output equals ymzis69/HybridSORT's motion-only
``Hybrid_Sort.update`` frame by frame (boxes to the printed precision, tracks up to the
naming of ids).  The reported box is the track's observation (``output_box="detection"``);
a new track reports its detection's box where the original reports its initial filter
box (below 1e-6 px apart).  The clip bound the original reads from ``args.track_thresh``
is ``det_thresh`` (the original's scripts pass the same value to both).  Differences
outside the reference behaviour are OC-SORT's (:mod:`mottrack.trackers.ocsort`: empty
frames are frames, the bounded sparse path for problems above 2^20 pairs).

Camera motion: as OC-SORT's (the box filter, the frozen filter state, the last
measurement, the last observation and the ring move with the warp); each corner direction
turns by the warp's Jacobian at that corner of the last observation (norm kept).  The
confidence state holds no image coordinates.
"""
from __future__ import annotations

from ..geometry import SIMILARITIES
from ..kalman import CONF_SNAPSHOT, XYSR_DIM
from ..registry import register_tracker
from ..tracks import TrackTable, observation_columns
from ._oc_stages import INT_COLUMNS, float_columns
from .base import check_number
from .ocsort import ObservationCentric, check_bool

__all__ = ["HybridSORT"]

ASSO_ALIASES = {"Height_Modulated_IoU": "hmiou"}
#: Float columns: OC-SORT's with four corner directions, the ring, then the confidence
#: state (see :data:`mottrack.trackers._oc_stages.CONF_PRE`).
FLOAT_COLUMNS = float_columns(tuple(f"velocity_{c}_{a}" for c in ("x1y1", "x1y2", "x2y1", "x2y2")
                                    for a in ("y", "x")))
CONF_COLUMNS = ("confidence_pre", "history_c") + tuple(f"frozen_c{k}" for k in range(CONF_SNAPSHOT))


@register_tracker("hybridsort")
class HybridSORT(ObservationCentric):
    """Hybrid-SORT (Yang et al. 2024): OC-SORT + BYTE + the weak cues TCM, HMIoU and corner
    momentum; motion only (no appearance).

    Defaults are the original's MOT17 ablation configuration.  Its DanceTrack
    configuration lowers ``iou_threshold`` to 0.15 (dancers overlap and deform: more
    pairs pass, more wrong ones too); its MOT20 one lowers ``det_thresh`` to 0.4 (crowds:
    more weak detections start and keep tracks, at the cost of more false tracks).

    Parameters
    ----------
    det_thresh : float, default 0.6
        Detections with score > ``det_thresh`` are associated first and start tracks; with
        ``use_byte``, those with 0.1 < score < ``det_thresh`` may continue tracks.  Also
        the clip bound of TCM's estimates.  Lower: more tracks and recall, more false
        positives; higher: fewer, surer tracks that break in occlusion.
    max_age : float, default 30
        Frames a track survives without a detection.  Higher bridges longer occlusions
        (ORU fills the gap) but keeps dead tracks that can steal detections.
    min_hits : int, default 3
        Consecutive matched frames before a track is reported (all during the first
        ``min_hits`` frames).  Higher suppresses short false tracks, delays true ones.
    iou_threshold : float, default 0.25
        Minimum similarity (``asso_func``) of an accepted pair in every round.  Lower
        (DanceTrack: 0.15) keeps fast or deforming objects, risks swaps among close ones.
    delta_t : int, default 3
        Frames back the corner directions look (0 to 256): more gives steadier
        directions, slower to follow turns.
    asso_func : {"hmiou", "iou", "giou", "ciou", "diou", "ct_dist"}, default "hmiou"
        Similarity of every round ("Height_Modulated_IoU", the original's name, is
        accepted for "hmiou").  HMIoU discounts pairs of different height span, which
        separates people at different depths; plain IoU does not.
    inertia : float, default 0.05
        Weight of the corner-momentum term in the first round; higher trusts motion
        direction more (nonlinear motion suffers), 0 disables it.
    use_byte : bool, default True
        Associate low-score detections with the tracks left (BYTE) before OCR: keeps
        tracks through partial occlusion, may attach them to false detections.
    tcm_first_step, tcm_byte_step : bool, default True
        Use the confidence term (TCM) in the first / BYTE round.
    tcm_first_step_weight, tcm_byte_step_weight : float, default 1.0
        Its weights: higher separates objects whose scores differ (an occluder and the
        occluded) more strongly, but lets score noise override geometry.
    frame_rate : float, default 30
        Nominal frames per second; only used to convert timestamps to frames.
    per_class : bool, default False
        Only match detections of the track's class.
    output_box : {"detection", "kalman"}, default "detection"
        The box a reported track has: this frame's detection (the original's) or the
        Kalman posterior.
    """

    _hybrid = True

    def __init__(self, det_thresh: float = 0.6, max_age: float = 30, min_hits: int = 3,
                 iou_threshold: float = 0.25, delta_t: int = 3, asso_func: str = "hmiou",
                 inertia: float = 0.05, use_byte: bool = True, tcm_first_step: bool = True,
                 tcm_first_step_weight: float = 1.0, tcm_byte_step: bool = True,
                 tcm_byte_step_weight: float = 1.0, *, frame_rate: float = 30.0,
                 per_class: bool = False, output_box: str = "detection") -> None:
        if isinstance(asso_func, str):
            asso_func = ASSO_ALIASES.get(asso_func, asso_func)
        super().__init__(det_thresh, max_age, min_hits, iou_threshold, delta_t, asso_func, inertia,
                         use_byte, frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.tcm_first_step = check_bool("tcm_first_step", tcm_first_step)
        self.tcm_byte_step = check_bool("tcm_byte_step", tcm_byte_step)
        self.tcm_first_step_weight = check_number("tcm_first_step_weight", tcm_first_step_weight,
                                                  low=-1e6, high=1e6)
        self.tcm_byte_step_weight = check_number("tcm_byte_step_weight", tcm_byte_step_weight,
                                                 low=-1e6, high=1e6)
        self.tracks = TrackTable(XYSR_DIM + 2, INT_COLUMNS,
                                 FLOAT_COLUMNS + observation_columns(self.delta_t) + CONF_COLUMNS)
        self._params = self._frame_params(
            SIMILARITIES.index(self.asso_func),
            self.tcm_first_step_weight if self.tcm_first_step else 0.0,
            self.tcm_byte_step_weight if self.tcm_byte_step else 0.0)
