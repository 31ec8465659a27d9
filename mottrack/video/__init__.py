"""Pixels to tracks on a PC: video sources, annotation, MP4 output and ``python -m mottrack track``.

Needs the ``[video]`` extra (PyAV, Pillow, LiteRT): ``pip install 'mottrack[video]'``.
Nothing here is imported by ``import mottrack``; the detector itself is
:class:`mottrack.io.detector.Detector`.

>>> from mottrack.video import open_source, Annotator, VideoWriter     # doctest: +SKIP
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .draw import Annotator, track_colour
    from .source import Frame, VideoSource, open_source
    from .track import main, run_track
    from .writer import VideoWriter

__all__ = ["open_source", "Frame", "VideoSource", "Annotator", "track_colour", "VideoWriter",
           "main", "run_track"]

_LAZY = {"open_source": "source", "Frame": "source", "VideoSource": "source", "Annotator": "draw",
         "track_colour": "draw", "VideoWriter": "writer", "main": "track", "run_track": "track"}


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'mottrack.video' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
