"""mottrack: fast multi-object tracking for edge cameras.

Detector-agnostic SORT, ByteTrack, DeepSORT, OC-SORT, BoT-SORT and Hybrid-SORT on a shared, numba-compiled core
(batched Kalman filters, IoU, assignment, track lifecycle), plus MOTChallenge I/O and
an evaluator that reproduces the official metrics.
"""
from . import motion
from .assignment import assign
from .detections import Detections, as_detections
from .geometry import iou_matrix
from .kalman import KalmanBoxFilter, KalmanXYAHFilter, KalmanXYWHFilter
from .tracks import TrackTable
from .trackers import (OUTPUT_BOXES, OUTPUT_COLUMNS, SORT, BoTSORT, ByteTrack, DeepSORT, HybridSORT, OCSORT,
                       Tracker,
                       available_trackers, camera_warp, create_tracker, registered_trackers,
                       tracker_class, tracker_parameters)

__all__ = [
    "motion", "Detections", "as_detections", "iou_matrix", "assign", "KalmanBoxFilter", "KalmanXYAHFilter",
    "KalmanXYWHFilter", "TrackTable", "Tracker", "SORT", "ByteTrack", "DeepSORT", "OCSORT", "BoTSORT", "HybridSORT",
    "create_tracker", "available_trackers", "tracker_parameters",
    "registered_trackers", "tracker_class", "camera_warp", "OUTPUT_COLUMNS", "OUTPUT_BOXES",
]
from .analytics import CounterSet, LineCounter, ZoneMonitor  # noqa: E402
__all__ += ["LineCounter", "ZoneMonitor", "CounterSet"]
__version__ = "0.1.0"
