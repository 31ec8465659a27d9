"""Write annotated frames as H.264 in MP4 (PyAV), keeping the source's frame times."""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, Optional, Tuple

__all__ = ["VideoWriter", "ENCODERS"]

#: Encoders tried in order (PyAV's wheels ship libx264; FFmpeg builds without it have mpeg4).
ENCODERS = ("libx264", "libopenh264", "mpeg4")
_TIME_BASE = Fraction(1, 90000)


class VideoWriter:
    """An MP4 file that frames are appended to; each frame's presentation time is the
    source frame's time, so the video plays at the source's real pace.

    Odd widths/heights are cropped by one pixel (4:2:0 chroma needs even sizes).
    ``close()`` finishes the file (also after Ctrl-C: the file stays playable).
    """

    def __init__(self, path: Any, frame_size: Tuple[int, int], frame_rate: float, *,
                 crf: int = 23, preset: str = "veryfast", threads: int = 0) -> None:
        try:
            import av
        except ImportError:
            from ..io.detector import VIDEO_EXTRA_HINT
            raise ImportError(f"writing video needs PyAV: {VIDEO_EXTRA_HINT}") from None
        self.path = os.fspath(path)
        w, h = frame_size
        self.size = (w - w % 2, h - h % 2)
        try:
            self._c = av.open(self.path, "w")
        except (av.error.FFmpegError, OSError) as exc:
            raise ValueError(f"--out: cannot write {self.path} ({' '.join(str(exc).split())})") from None
        rate = Fraction(frame_rate).limit_denominator(1001)
        stream: Any = None
        for name in ENCODERS:
            try:
                av.codec.Codec(name, "w")
            except Exception:
                continue
            opts = {"crf": str(crf), "preset": preset} if name == "libx264" else {}
            stream = self._c.add_stream(name, rate=rate, options=opts)
            self.codec = name
            break
        if stream is None:
            self._c.close()
            raise ValueError(f"--out: this FFmpeg has none of the encoders {', '.join(ENCODERS)}")
        stream.width, stream.height = self.size
        stream.pix_fmt = "yuv420p"
        stream.time_base = _TIME_BASE
        stream.codec_context.time_base = _TIME_BASE   # else the encoder rounds times to 1 / rate
        if threads:
            stream.thread_count = int(threads)
        self._stream = stream
        self._last_pts: Optional[int] = None
        self.frames = 0

    def write(self, image: Any, time_s: float) -> None:
        """Append one frame (a PIL image or H x W x 3 uint8 array) shown at ``time_s`` seconds."""
        import av
        from PIL import Image
        if not isinstance(image, Image.Image):
            image = Image.fromarray(image, "RGB")
        if image.size != self.size:
            image = image.crop((0, 0, self.size[0], self.size[1]))
        frame = av.VideoFrame.from_image(image)
        pts = int(round(time_s / _TIME_BASE))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = _TIME_BASE
        for packet in self._stream.encode(frame):
            self._c.mux(packet)
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and finish the file (idempotent)."""
        if self._c is None:
            return
        try:
            for packet in self._stream.encode(None):
                self._c.mux(packet)
        finally:
            self._c.close()
            self._c = None  # type: ignore[assignment]
