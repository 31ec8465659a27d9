"""COCO class names in the two numberings Axis example detectors use.

* :data:`COCO80_NAMES` — the 80 contiguous classes of YOLOv5 (and most modern
  detectors): index = class id, ``COCO80_NAMES[0] == "person"``, ``[27] == "tie"``.
* :data:`COCO90_NAMES` — the 90 slots of the original COCO category ids 1..90 as
  emitted 0-based by the TFLite SSD postprocess op (SSD MobileNet v2): index =
  category id - 1.  The ten ids that were never annotated (street sign, hat, shoe,
  ...) are ``None``.
* :data:`COCO90_TO_COCO80` — int64 array (90,) mapping an SSD id to the COCO-80 id,
  ``-1`` for the unused slots.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

__all__ = ["COCO80_NAMES", "COCO90_NAMES", "COCO90_TO_COCO80", "COCO80_TO_COCO90"]

COCO80_NAMES: Tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat",
    "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack",
    "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball",
    "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair",
    "couch", "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
    "toothbrush",
)

# 1-based COCO category ids that exist in the 2014 paper's list but carry no annotations.
_UNUSED_IDS = (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)


def _build_coco90() -> Tuple[Tuple[Optional[str], ...], np.ndarray]:
    names: list[Optional[str]] = []
    to80 = np.full(90, -1, dtype=np.int64)
    k = 0
    for cat_id in range(1, 91):
        if cat_id in _UNUSED_IDS:
            names.append(None)
        else:
            names.append(COCO80_NAMES[k])
            to80[cat_id - 1] = k
            k += 1
    assert k == 80
    return tuple(names), to80


COCO90_NAMES, COCO90_TO_COCO80 = _build_coco90()
COCO90_TO_COCO80.setflags(write=False)
COCO80_TO_COCO90 = np.nonzero(COCO90_TO_COCO80 >= 0)[0].astype(np.int64)
COCO80_TO_COCO90.setflags(write=False)
