"""mottrack: fast multi-object tracking for edge cameras."""
from .detections import Detections, as_detections

__all__ = ["Detections", "as_detections"]
__version__ = "0.1.0"
