"""Annotate frames: track boxes with ids, counting lines and zones with live counts, a header.

Drawing uses Pillow's ``ImageDraw`` only (no OpenCV).  Colours are fixed per track id (hues
spaced by the golden ratio), so a track keeps its colour and neighbours differ.
"""
from __future__ import annotations

import colorsys
from typing import Any, Optional, Sequence, Tuple

import numpy as np

__all__ = ["Annotator", "track_colour"]


def track_colour(track_id: int) -> Tuple[int, int, int]:
    """RGB colour of a track id (deterministic)."""
    h = (int(track_id) * 0.6180339887498949) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def _font(size: int):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


class Annotator:
    """Draw tracker output and counters onto frames.

    Parameters
    ----------
    class_names : sequence of str, optional
        Names of class ids, shown beside the id when several classes are tracked.
    font_size : int
    thickness : int
        Box and line width, pixels.
    """

    def __init__(self, class_names: Optional[Sequence[Optional[str]]] = None, font_size: int = 14,
                 thickness: int = 2) -> None:
        self.class_names = class_names
        self.font = _font(font_size)
        self.thickness = int(thickness)
        self._classes_seen: set = set()

    def _label(self, tid: int, cls: int) -> str:
        if len(self._classes_seen) > 1 and self.class_names is not None and 0 <= cls < len(self.class_names):
            return f"{tid} {self.class_names[cls]}"
        return str(tid)

    def draw(self, image: np.ndarray, tracks: np.ndarray, counters: Sequence[Any] = (),
             header: str = "") -> Any:
        """A PIL image of ``image`` (H x W x 3 uint8) with ``tracks`` ((M, 8) tracker output),
        the ``counters`` (LineCounter / ZoneMonitor) and ``header`` drawn on it."""
        from PIL import Image, ImageDraw
        img = Image.fromarray(image, "RGB")
        d = ImageDraw.Draw(img)
        t = self.thickness
        for c in counters:
            if hasattr(c, "polygon"):
                pts = [tuple(map(float, p)) for p in c.polygon]
                d.line(pts + [pts[0]], fill=(255, 200, 0), width=t)
                occ = sum(c.occupancy.values())
                tin, tout = c.totals
                text = f"{c.name}: {occ} inside  in {tin}  out {tout}"
                anchor = pts[0]
            else:
                d.line([c.start, c.end], fill=(0, 255, 255), width=t + 1)
                tin, tout = c.totals
                text = f"{c.name}: in {tin}  out {tout}"
                anchor = c.start
            x, y = anchor
            self._text(d, (max(x, 0.0), max(y - 18, 0.0)), text, (0, 0, 0), (255, 255, 255))
        rows = np.asarray(tracks)
        for x1, y1, x2, y2, tid, _score, cls, _det in rows.tolist():
            if cls >= 0:
                self._classes_seen.add(int(cls))
            col = track_colour(int(tid))
            d.rectangle([x1, y1, x2, y2], outline=col, width=t)
            self._text(d, (x1, max(y1 - 16, 0.0)), self._label(int(tid), int(cls)), col, (0, 0, 0))
        if header:
            self._text(d, (4.0, 4.0), header, (0, 0, 0), (255, 255, 255))
        return img

    def _text(self, d: Any, xy: Tuple[float, float], text: str, bg: Tuple[int, int, int],
              fg: Tuple[int, int, int]) -> None:
        box = d.textbbox(xy, text, font=self.font)
        d.rectangle([box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1], fill=bg)
        d.text(xy, text, fill=fg, font=self.font)


def header_text(index: int, time_s: float, n_tracks: int) -> str:
    """``frame 12  1.20 s  5 tracks``."""
    return f"frame {index + 1}  {time_s:.2f} s  {n_tracks} tracks"
