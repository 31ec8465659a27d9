"""Inputs and outputs: MOTChallenge text formats, Larod/DLPU detector tensors, TFLite
quantisation facts, Axis-style scene metadata and consolidated object tracks (MQTT publishing:
``mottrack.io.mqtt``, extra ``[mqtt]``); frame preprocessing with exact transforms and a
detector running ``.tflite`` models (Pillow and LiteRT load on first use, extra ``[video]``)."""
from .coco import COCO80_NAMES, COCO90_NAMES, COCO90_TO_COCO80, COCO80_TO_COCO90
from .larod import SSD_OUTPUT_NAMES, ssd_to_detections, yolov5_to_detections
from .metadata import JsonLinesWriter, ObjectTrackBuilder, SceneMetadataSerializer, load_schema
from .mot import (MotFormatError, MotSequence, MotTable, SeqInfo, discover_sequences, read_det,
                  read_gt, read_mot, read_results, read_seqinfo, write_results)
from .tflite import TensorInfo, input_quantization, output_quantization, read_tensors
from .preprocess import Transform, crop, fit_transform, letterbox, stretch
from .detector import Detector

__all__ = [
    "ssd_to_detections", "yolov5_to_detections", "SSD_OUTPUT_NAMES",
    "output_quantization", "input_quantization", "read_tensors", "TensorInfo",
    "COCO80_NAMES", "COCO90_NAMES", "COCO90_TO_COCO80", "COCO80_TO_COCO90",
    "SceneMetadataSerializer", "ObjectTrackBuilder", "JsonLinesWriter", "load_schema",
    "MotFormatError", "MotTable", "MotSequence", "SeqInfo", "read_mot", "read_gt", "read_det",
    "read_results", "write_results", "read_seqinfo", "discover_sequences",
    "Transform", "letterbox", "stretch", "crop", "fit_transform", "Detector",
]
