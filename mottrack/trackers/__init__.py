"""The trackers behind one API; each module registers its tracker on import."""
from ..registry import (available_trackers, create_tracker, register_tracker, registered_trackers,
                        tracker_class, tracker_parameters)
from ..geometry import camera_warp
from .base import OUTPUT_BOXES, OUTPUT_COLUMNS, Tracker
from .sort import SORT  # noqa: I001  (registration order = the order tables list trackers in)
from .bytetrack import ByteTrack
from .deepsort import DeepSORT
from .ocsort import OCSORT
from .botsort import BoTSORT
from .hybridsort import HybridSORT

__all__ = ["Tracker", "SORT", "ByteTrack", "DeepSORT", "OCSORT", "BoTSORT", "HybridSORT", "create_tracker", "register_tracker",
           "available_trackers", "registered_trackers", "tracker_class", "tracker_parameters",
           "camera_warp", "OUTPUT_COLUMNS", "OUTPUT_BOXES"]
