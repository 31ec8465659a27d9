"""Frames from a video file, a stream URL (PyAV) or a folder of images, with their times.

Each frame comes as :class:`Frame` ``(index, time, image)``: ``index`` counts decoded frames
from 0, ``time`` is seconds since the first frame, from the container's presentation
timestamps (so a dropped or repeated frame shows as the time that really passed), and
``image`` is ``H x W x 3`` uint8 RGB.  A folder of images (a MOTChallenge ``img1/``) is
read in name order at the frame rate of its ``../seqinfo.ini`` (or ``fps``).
"""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np

__all__ = ["Frame", "VideoSource", "open_source", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_DEFAULT_FPS = 30.0


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    index: int          # 0-based decode order
    time: float         # seconds since the first frame
    image: np.ndarray   # (H, W, 3) uint8 RGB


def _need_av():
    try:
        import av
    except ImportError:
        from ..io.detector import VIDEO_EXTRA_HINT
        raise ImportError(f"reading video needs PyAV: {VIDEO_EXTRA_HINT}") from None
    return av


def _is_url(spec: str) -> bool:
    return "://" in spec


@dataclass
class VideoSource:
    """An opened source; iterate it for :class:`Frame` objects (once).

    Attributes
    ----------
    name : str
        What was opened.
    frame_size : (int, int)
        ``(width, height)``.
    frame_rate : float
        Nominal frames per second (the container's average rate, ``seqinfo.ini``, or ``fps``).
    num_frames : int or None
        Frame count when the container or folder knows it.
    start_time : datetime or None
        Wall-clock time of the first frame when the source says (a container's
        ``creation_time``), else None.
    live : bool
        A stream URL (no end known in advance).
    """

    name: str
    frame_size: Tuple[int, int]
    frame_rate: float
    num_frames: Optional[int]
    start_time: Optional[datetime]
    live: bool
    _container: Any = None
    _files: Optional[List[Path]] = None
    nudged: int = 0      # frames whose timestamp did not increase (moved by 1/frame_rate)

    def __iter__(self) -> Iterator[Frame]:
        if self._files is not None:
            yield from self._iter_files()
        else:
            yield from self._iter_av()

    def _iter_files(self) -> Iterator[Frame]:
        from PIL import Image
        assert self._files is not None
        for i, f in enumerate(self._files):
            with Image.open(f) as img:
                a = np.asarray(img.convert("RGB"))
            if (a.shape[1], a.shape[0]) != self.frame_size:
                raise ValueError(f"{f}: image size {a.shape[1]}x{a.shape[0]} differs from the first "
                                 f"image's {self.frame_size[0]}x{self.frame_size[1]}")
            yield Frame(i, i / self.frame_rate, a)

    def _iter_av(self) -> Iterator[Frame]:
        c = self._container
        stream = c.streams.video[0]
        first: Optional[float] = None
        last: Optional[float] = None
        step = 1.0 / self.frame_rate
        for i, fr in enumerate(c.decode(stream)):
            t_abs = fr.time
            if t_abs is None:
                t = i * step if last is None else last + step
            else:
                if first is None:
                    first = float(t_abs)
                t = float(t_abs) - first
            if last is not None and not t > last:
                t = last + step
                self.nudged += 1
            last = t
            img = fr.to_ndarray(format="rgb24")
            yield Frame(i, t, img)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


def _seqinfo_rate(folder: Path) -> Optional[float]:
    ini = folder.parent / "seqinfo.ini"
    if not ini.is_file():
        return None
    cp = configparser.ConfigParser()
    try:
        cp.read(ini)
        return float(cp["Sequence"]["frameRate"])
    except (KeyError, ValueError, configparser.Error):
        return None


def open_source(spec: Any, *, fps: Optional[float] = None, threads: int = 0) -> VideoSource:
    """Open a video file, a stream URL or an image folder.

    Parameters
    ----------
    spec : str or path
        File, URL (``rtsp://...``, ``http://...``: anything FFmpeg opens) or folder.
    fps : float, optional
        Frame rate for an image folder without ``../seqinfo.ini`` (default 30) or for
        frames without timestamps; overrides the folder's rate.
    threads : int
        Decoder threads (0: FFmpeg's choice).

    Raises
    ------
    ValueError
        Not found, not a video FFmpeg can decode, no video stream, an empty folder.
    ImportError
        PyAV or Pillow missing (the message names the ``[video]`` extra).
    """
    if fps is not None and not (isinstance(fps, (int, float)) and 0 < float(fps) < 1e6):
        raise ValueError(f"fps: expected a number > 0; got {fps!r}")
    name = os.fspath(spec)
    p = Path(name)
    if not _is_url(name) and p.is_dir():
        try:
            from PIL import Image
        except ImportError:
            from ..io.detector import VIDEO_EXTRA_HINT
            raise ImportError(f"reading images needs Pillow: {VIDEO_EXTRA_HINT}") from None
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"SOURCE: no images ({', '.join(IMAGE_SUFFIXES)}) in folder {name}")
        try:
            with Image.open(files[0]) as img:
                size = img.size
        except OSError as exc:
            raise ValueError(f"SOURCE: cannot read {files[0]} ({exc})") from None
        rate = float(fps) if fps is not None else (_seqinfo_rate(p) or _DEFAULT_FPS)
        return VideoSource(name, (int(size[0]), int(size[1])), rate, len(files), None, False, _files=files)
    if not _is_url(name) and not p.exists():
        raise ValueError(f"SOURCE: no such file or folder: {name}")
    av = _need_av()
    try:
        c = av.open(name, timeout=20.0) if _is_url(name) else av.open(name)
    except (av.error.FFmpegError, OSError) as exc:
        raise ValueError(f"SOURCE: cannot open {name} as a video ({' '.join(str(exc).split())})") from None
    if not c.streams.video:
        c.close()
        raise ValueError(f"SOURCE: {name} has no video stream")
    s = c.streams.video[0]
    if threads:
        s.thread_count = int(threads)
        s.thread_type = "SLICE" if threads == 1 else "AUTO"
    else:
        s.thread_type = "AUTO"
    rate = s.average_rate or s.guessed_rate or s.base_rate
    frame_rate = float(fps) if fps is not None else (float(rate) if rate else _DEFAULT_FPS)
    start = None
    ct = c.metadata.get("creation_time")
    if ct:
        try:
            start = datetime.fromisoformat(ct.replace("Z", "+00:00"))
            if start.tzinfo is None:
                start = start.replace(tzinfo=timezone.utc)
        except ValueError:
            start = None
    cc = s.codec_context
    n = int(s.frames) if s.frames else None
    return VideoSource(name, (int(cc.width), int(cc.height)), frame_rate, n, start, _is_url(name),
                       _container=c)


def as_fraction(rate: float) -> Fraction:
    """A frame rate as a small fraction (30000/1001 stays exact)."""
    return Fraction(rate).limit_denominator(1001)
