"""The trackers: SORT, ByteTrack, DeepSORT, behind one API and a registry."""
from .base import (OUTPUT_COLUMNS, Tracker, available_trackers, create_tracker,
                   register_tracker, tracker_parameters)
from .bytetrack import ByteTrack
from .deepsort import DeepSORT
from .sort import SORT

__all__ = ["Tracker", "SORT", "ByteTrack", "DeepSORT", "create_tracker", "register_tracker",
           "available_trackers", "tracker_parameters", "OUTPUT_COLUMNS"]
