"""A user's script against mottrack's public API; CI type-checks it with ``mypy --strict``.

It is never run by pytest (its name does not start with ``test_``); it only has to type check,
so that the annotations users see through ``py.typed`` stay usable.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

import mottrack
from mottrack.eval import EvalResult, evaluate
from mottrack.io import SceneMetadataSerializer, read_det, ssd_to_detections, yolov5_to_detections
from mottrack.state import load_state, save_state

if TYPE_CHECKING:  # the checks below: the public names carry real types, not Any
    from typing_extensions import assert_type


def track(frames: list[npt.NDArray[np.float64]]) -> list[npt.NDArray[np.float64]]:
    tracker: mottrack.Tracker = mottrack.create_tracker("bytetrack", track_thresh=0.6)
    out: list[npt.NDArray[np.float64]] = []
    for i, rows in enumerate(frames):
        tracks = tracker.update(rows, timestamp=i / 30.0)
        assert_type(tracks, npt.NDArray[np.float64])
        out.append(tracks)
    ids: npt.NDArray[np.int64] = tracker.track_ids()
    assert ids.ndim == 1
    return out


def classes() -> None:
    sort = mottrack.SORT(max_age=1, min_hits=3, iou_threshold=0.3)
    byte = mottrack.ByteTrack(track_thresh=0.5, match_thresh=0.8, track_buffer=30, frame_rate=30)
    deep = mottrack.DeepSORT(max_cosine_distance=0.2, nn_budget=100)
    dets = mottrack.Detections(np.zeros((1, 4)), np.ones(1), embeddings=np.ones((1, 8)))
    n: int = len(dets)
    assert n == 1
    for t in (sort, byte):
        t.update(mottrack.Detections.from_xywh(np.ones((1, 5))))
    deep.update(dets)
    assert_type(sort, mottrack.SORT)
    assert_type(mottrack.Detections.from_array(np.ones((1, 5))), mottrack.Detections)
    names: list[str] = mottrack.available_trackers()
    cls: type[mottrack.Tracker] = mottrack.tracker_class(names[0])
    if cls.embeddings == "none":
        cls(output_box="detection").update(np.zeros((0, 5)), camera_motion=np.eye(3))
    gate: float | None = cls.default_min_score
    assert gate is None or gate >= 0
    params = mottrack.tracker_parameters(names[0])
    assert isinstance(params, dict)
    iou: npt.NDArray[np.float64] = mottrack.iou_matrix(np.zeros((1, 4)), np.zeros((2, 4)))
    assert iou.shape == (1, 2)


def state(tracker: mottrack.Tracker, folder: Path) -> mottrack.Tracker:
    save_state(tracker, folder / "state.npz")
    buf = io.BytesIO()
    save_state(tracker.state_dict(), buf, format="npz")
    restored = mottrack.Tracker.from_state(load_state(folder / "state.npz"))
    restored.load_state_dict(tracker.state_dict())
    return restored


def camera(outputs: list[npt.NDArray[np.float32]], raw: npt.NDArray[np.uint8]) -> None:
    dets = ssd_to_detections(outputs, frame_size=(1920, 1080), score_threshold=0.5,
                             classes=["person"])
    dets2 = yolov5_to_detections(raw, (1920, 1080), score_threshold=0.4)
    assert_type(dets, mottrack.Detections)
    assert_type(dets2, mottrack.Detections)
    tracker = mottrack.SORT()
    serializer = SceneMetadataSerializer(frame_size=(1920, 1080))
    for d in (dets, dets2):
        msg = serializer.frame(tracker.update(d), timestamp=0.0)
        assert isinstance(msg, dict)


def evaluation(folder: Path) -> float:
    det = read_det(folder / "det" / "det.txt")
    assert det.frames.ndim == 1
    res = evaluate(trackers="sort")
    assert_type(res, EvalResult)
    table = res.to_dict()
    hota = table["sort"]["combined"]["HOTA"]
    return float(hota)
