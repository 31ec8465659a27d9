"""MOTChallenge text formats: detections, ground truth, tracker results and ``seqinfo.ini``.

One row per box, comma separated (whitespace separated files are accepted too)::

    det      frame, -1, x, y, w, h, score[, ...]
    gt       frame, id, x, y, w, h, conf, class, visibility   (MOT15: conf, -1, -1, -1)
    results  frame, id, x, y, w, h, score, -1, -1, -1

Boxes are ``x, y, w, h`` in pixels (left, top, width, height); frames are 1-based.

Reading is done by a compiled scanner (about 20x faster than ``np.loadtxt``).  Numbers are
converted exactly as Python's ``float()`` does: short decimals by the exact
Clinger fast path, longer ones by ``float()`` itself, so boxes are bit-identical to what
TrackEval reads.  Handling of unusual input, documented once here:

* an empty file (or one with only blank lines) gives a table with no rows;
* blank lines are skipped, ``\\r\\n`` line ends and a trailing comma are accepted;
* rows are sorted by frame with a *stable* sort, so rows of one frame keep their file
  order (the order matters to the evaluation: it is the order TrackEval uses);
* malformed input raises :class:`MotFormatError` naming the file and the 1-based line:
  an empty field, a non-numeric field, too few columns, a frame or id that is not an
  integer, or a duplicate ``(frame, id)`` pair in ground truth or results.
"""
from __future__ import annotations

import configparser
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .._numba import njit

__all__ = [
    "MotFormatError",
    "MotTable",
    "SeqInfo",
    "MotSequence",
    "read_mot",
    "read_gt",
    "read_det",
    "read_results",
    "read_seqinfo",
    "write_results",
    "discover_sequences",
]

PathLike = str | os.PathLike


class MotFormatError(ValueError):
    """A MOTChallenge file could not be parsed.

    Attributes
    ----------
    path : str or None
        The offending file.
    line : int or None
        1-based line number of the offending row, when known.
    """

    def __init__(self, message: str, path: PathLike | None = None, line: int | None = None):
        self.path = None if path is None else os.fspath(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path + (f":{line}" if line is not None else "") + ": "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(where + message)


# --------------------------------------------------------------------------- scanner

_POW10 = np.array([10.0 ** k for k in range(23)])  # exact doubles 1e0 .. 1e22
_TWO53 = 2 ** 53

_ERR_NONE = 0
_ERR_EMPTY_FIELD = 1
_ERR_NOT_NUMBER = 2
_ERR_SHORT = 3


@njit
def _scan(buf, width, pow10, min_cols):
    """Parse a MOT text buffer into a (rows, width) float64 matrix.

    Returns ``values, ncols, line_no, n_rows, fb (k, 4) [row, col, start, end], n_fb,
    err_code, err_line, err_col``.  Tokens that the exact fast path cannot convert are
    listed in ``fb`` for conversion with Python's ``float``.  A row with fewer than
    ``min_cols`` fields stops the scan (``_ERR_SHORT``, its field count in ``err_col``).

    Memory is bounded by the input size: rows are the non-blank lines, and each kept row
    has at least ``min_cols`` fields, so at most ``n // (2 * min_cols - 1) + 1`` of them.
    """
    n = buf.shape[0]
    n_lines = 0
    blank = True
    for k in range(n):
        c = buf[k]
        if c == 10:
            if not blank:
                n_lines += 1
            blank = True
        elif not (c == 32 or c == 9 or c == 13):
            blank = False
    if not blank:
        n_lines += 1
    n_lines = min(n_lines, n // max(2 * min_cols - 1, 1) + 1)
    values = np.full((n_lines, width), np.nan)
    ncols = np.zeros(n_lines, np.int64)
    line_no = np.zeros(n_lines, np.int64)
    fb = np.empty((16, 4), np.int64)
    n_fb = 0
    n_rows = 0
    pos = 0
    line = 0
    while pos < n:
        line += 1
        # skip leading blanks of the line
        while pos < n and (buf[pos] == 32 or buf[pos] == 9 or buf[pos] == 13):
            pos += 1
        if pos >= n:
            break
        if buf[pos] == 10:
            pos += 1
            continue
        col = 0
        row = n_rows
        while True:
            # at the start of a field
            c = buf[pos] if pos < n else 10
            if c == 44:  # ',' -> empty field
                return values, ncols, line_no, n_rows, fb, n_fb, _ERR_EMPTY_FIELD, line, col
            start = pos
            neg = False
            if c == 43 or c == 45:
                neg = c == 45
                pos += 1
            mant = 0
            nsig = 0
            ndig = 0
            frac = 0
            while pos < n and 48 <= buf[pos] <= 57:
                d = np.int64(buf[pos]) - 48
                ndig += 1
                if nsig > 0 or d != 0:
                    nsig += 1
                    if nsig <= 18:
                        mant = mant * 10 + d
                pos += 1
            if pos < n and buf[pos] == 46:  # '.'
                pos += 1
                while pos < n and 48 <= buf[pos] <= 57:
                    d = np.int64(buf[pos]) - 48
                    ndig += 1
                    if nsig > 0 or d != 0:
                        nsig += 1
                        if nsig <= 18:
                            mant = mant * 10 + d
                    if nsig <= 18:
                        frac += 1
                    pos += 1
            exp = 0
            ok = ndig > 0
            if ok and pos < n and (buf[pos] == 101 or buf[pos] == 69):  # e / E
                pos += 1
                eneg = False
                if pos < n and (buf[pos] == 43 or buf[pos] == 45):
                    eneg = buf[pos] == 45
                    pos += 1
                nexp = 0
                while pos < n and 48 <= buf[pos] <= 57:
                    if exp < 100000:
                        exp = exp * 10 + (np.int64(buf[pos]) - 48)
                    nexp += 1
                    pos += 1
                if nexp == 0:
                    ok = False
                if eneg:
                    exp = -exp
            # the token must end at a separator
            if pos < n:
                c = buf[pos]
                if not (c == 44 or c == 32 or c == 9 or c == 13 or c == 10):
                    ok = False
            if not ok:
                return values, ncols, line_no, n_rows, fb, n_fb, _ERR_NOT_NUMBER, line, col
            if col < width:
                e10 = exp - frac
                fast = nsig <= 18  # longer mantissas go to the exact fallback
                if fast:
                    if mant == 0:
                        v = 0.0
                    elif mant <= 9007199254740992 and -22 <= e10 <= 22:
                        if e10 >= 0:
                            v = float(mant) * pow10[e10]
                        else:
                            v = float(mant) / pow10[-e10]
                    else:
                        fast = False
                if fast:
                    values[row, col] = -v if neg else v
                else:
                    if n_fb == fb.shape[0]:
                        nfb = np.empty((2 * fb.shape[0], 4), np.int64)
                        nfb[:n_fb] = fb
                        fb = nfb
                    fb[n_fb, 0] = row
                    fb[n_fb, 1] = col
                    fb[n_fb, 2] = start
                    fb[n_fb, 3] = pos
                    n_fb += 1
            col += 1
            # separator: blanks, at most one comma, blanks
            while pos < n and (buf[pos] == 32 or buf[pos] == 9 or buf[pos] == 13):
                pos += 1
            if pos < n and buf[pos] == 44:
                pos += 1
                while pos < n and (buf[pos] == 32 or buf[pos] == 9 or buf[pos] == 13):
                    pos += 1
            if pos >= n or buf[pos] == 10:
                pos += 1  # end of line (a trailing comma is allowed)
                break
            if buf[pos] == 44:
                return values, ncols, line_no, n_rows, fb, n_fb, _ERR_EMPTY_FIELD, line, col
        if col < min_cols:
            return values, ncols, line_no, n_rows, fb, n_fb, _ERR_SHORT, line, col
        ncols[row] = col
        line_no[row] = line
        n_rows += 1
    return values, ncols, line_no, n_rows, fb, n_fb, _ERR_NONE, 0, 0


def _parse_matrix(data: bytes, path: PathLike | None, width: int,
                  min_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``data`` into ``(values (n, width), line_no (n,))``; missing cells are NaN."""
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.size == 0:
        return np.empty((0, width)), np.empty(0, np.int64)
    values, ncols, line_no, n_rows, fb, n_fb, err, err_line, err_col = _scan(buf, width, _POW10, min_cols)
    if err == _ERR_EMPTY_FIELD:
        raise MotFormatError(f"empty field in column {err_col + 1}", path, int(err_line))
    if err == _ERR_NOT_NUMBER:
        raise MotFormatError(f"non-numeric value in column {err_col + 1}", path, int(err_line))
    if err == _ERR_SHORT:
        raise MotFormatError(f"expected at least {min_cols} columns, found {err_col}",
                             path, int(err_line))
    values = values[:n_rows]
    line_no = line_no[:n_rows]
    for k in range(n_fb):
        r, c, s, e = fb[k]
        v = float(data[s:e])
        if not math.isfinite(v):  # e.g. 1e400: the fast path never gives inf
            raise MotFormatError(f"column {c + 1} is {data[s:e].decode('ascii', 'replace')!r}, "
                                 "beyond float range; expected finite numbers", path, int(line_no[r]))
        values[r, c] = v
    return values, line_no


# --------------------------------------------------------------------------- tables

@dataclass(frozen=True, eq=False)
class MotTable:
    """Rows of one MOTChallenge file, sorted by frame (stable: file order within a frame).

    Attributes
    ----------
    frames : ndarray, shape (n,), int64
        1-based frame numbers, non-decreasing.
    ids : ndarray, shape (n,), int64
        Object / track ids (``-1`` for detections).
    boxes : ndarray, shape (n, 4), float64
        ``x, y, w, h`` in pixels.
    scores : ndarray, shape (n,), float64
        Column 7: detection / track score, or the gt ``conf`` flag (0 = ignore).
        1.0 when a results file has only six columns.
    classes : ndarray, shape (n,), int64
        Column 8 truncated to an integer (gt class: 1 pedestrian, 2 person on vehicle,
        ...), ``-1`` if absent.  MOT15 gt stores world coordinates in columns 8-10, so
        this column means nothing there.
    visibility : ndarray, shape (n,), float64
        Column 9 (gt visibility ratio in [0, 1]), ``-1`` if absent.
    lines : ndarray, shape (n,), int64
        1-based source line of each row (``0`` for rows not read from a file).
    path : str or None
        Source file.
    """

    frames: np.ndarray
    ids: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    visibility: np.ndarray
    lines: np.ndarray
    path: str | None = None
    _offsets: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @classmethod
    def from_arrays(cls, frames, ids, boxes, scores=None, classes=None, visibility=None,
                    path: PathLike | None = None) -> "MotTable":
        """Build a table from arrays (any row order; rows are stably sorted by frame).

        Parameters
        ----------
        frames, ids : array_like, shape (n,)
            Integer frame numbers and ids.
        boxes : array_like, shape (n, 4)
            ``x, y, w, h`` boxes in pixels.
        scores, classes, visibility : array_like, shape (n,), optional
            Defaults 1.0, -1 and -1.
        """
        frames = np.asarray(frames, dtype=np.int64).reshape(-1)
        n = frames.shape[0]
        ids = np.asarray(ids, dtype=np.int64).reshape(n)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(n, 4)
        scores = np.ones(n) if scores is None else np.asarray(scores, np.float64).reshape(n)
        classes = (np.full(n, -1, np.int64) if classes is None
                   else np.asarray(classes, np.int64).reshape(n))
        visibility = (np.full(n, -1.0) if visibility is None
                      else np.asarray(visibility, np.float64).reshape(n))
        lines = np.zeros(n, np.int64)
        if n and np.any(frames[1:] < frames[:-1]):
            order = np.argsort(frames, kind="stable")
            frames, ids, boxes = frames[order], ids[order], boxes[order]
            scores, classes, visibility = scores[order], classes[order], visibility[order]
        return cls(frames, ids, np.ascontiguousarray(boxes), scores, classes, visibility, lines,
                   None if path is None else os.fspath(path))

    def frame_offsets(self, num_frames: int | None = None) -> np.ndarray:
        """Slice offsets of frames ``1 .. num_frames``.

        Parameters
        ----------
        num_frames : int, optional
            Number of frames; default the largest frame number (0 for an empty table).

        Returns
        -------
        ndarray, shape (num_frames + 1,), int64
            Rows of frame ``f`` (1-based) are ``off[f - 1]:off[f]``; rows with frames
            outside ``1 .. num_frames`` are in no slice.
        """
        if num_frames is None:
            num_frames = int(self.frames[-1]) if len(self) else 0
        key = int(num_frames)
        off = self._offsets.get(key)
        if off is None:
            off = np.searchsorted(self.frames, np.arange(1, key + 2), side="left").astype(np.int64)
            self._offsets[key] = off
        return off

    def iter_frames(self) -> Iterator[tuple[int, slice]]:
        """Yield ``(frame, slice)`` for every frame that has rows, in increasing order."""
        if not len(self):
            return
        starts = np.flatnonzero(np.r_[True, self.frames[1:] != self.frames[:-1]])
        stops = np.r_[starts[1:], len(self)]
        for a, b in zip(starts.tolist(), stops.tolist()):
            yield int(self.frames[a]), slice(a, b)

    def select(self, mask_or_index) -> "MotTable":
        """Rows selected by a boolean mask or an index array (order kept)."""
        k = mask_or_index
        return MotTable(self.frames[k], self.ids[k], self.boxes[k], self.scores[k],
                        self.classes[k], self.visibility[k], self.lines[k], self.path)

    def to_array(self) -> np.ndarray:
        """Rows as an (n, 10) float64 array in MOTChallenge column order."""
        return np.column_stack([self.frames, self.ids, self.boxes, self.scores, self.classes,
                                self.visibility, np.full(len(self), -1.0)]).astype(np.float64)[:, :10]


def _integral(col: np.ndarray, what: str, lines: np.ndarray, path) -> np.ndarray:
    bad = ~(np.abs(col) <= _TWO53) | (col != np.trunc(col))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise MotFormatError(f"{what} must be a whole number within +-2**53, got {col[r]!r}", path,
                             int(lines[r]))
    return col.astype(np.int64)


def read_mot(path: PathLike, kind: str = "results") -> MotTable:
    """Read a MOTChallenge text file.

    Parameters
    ----------
    path : str or PathLike
        The file.
    kind : {'results', 'gt', 'det'}
        Sets the required columns (results 6, gt 7, det 7) and the checks: ``gt`` and
        ``results`` may not repeat a ``(frame, id)`` pair, and their boxes must be finite
        with width and height >= 0 (detection boxes are checked by their users).

    Returns
    -------
    MotTable

    Raises
    ------
    MotFormatError
        Malformed content, with the file and line number.
    FileNotFoundError
        If the file does not exist.
    """
    if kind not in ("results", "gt", "det"):
        raise ValueError(f"kind must be 'results', 'gt' or 'det', got {kind!r}")
    path = os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    min_cols = 6 if kind == "results" else 7
    values, lines = _parse_matrix(data, path, 10, min_cols)
    n = values.shape[0]
    frames = _integral(values[:, 0], "frame", lines, path)
    if kind == "det":
        ids = np.where(np.isfinite(values[:, 1]), values[:, 1], -1).astype(np.int64)
    else:
        ids = _integral(values[:, 1], "id", lines, path)
    boxes = np.ascontiguousarray(values[:, 2:6])
    if kind != "det" and n:
        bad = ~np.isfinite(boxes).all(axis=1)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise MotFormatError(f"non-finite box {boxes[r].tolist()}", path, int(lines[r]))
        for col, what in ((2, "width"), (3, "height")):
            neg = boxes[:, col] < 0
            if neg.any():
                r = int(np.flatnonzero(neg)[0])
                raise MotFormatError(f"negative box {what} {float(boxes[r, col])!r} (expected x, y, w, h with "
                                     "w, h >= 0)", path, int(lines[r]))
    scores = np.where(np.isnan(values[:, 6]), 1.0, values[:, 6])
    # column 8 is truncated like TrackEval does (MOT15 gt stores world coordinates there)
    cls_col = values[:, 7]
    classes = np.where(np.isfinite(cls_col), np.trunc(cls_col), -1).astype(np.int64)
    visibility = np.where(np.isnan(values[:, 8]), -1.0, values[:, 8])
    if n and np.any(frames[1:] < frames[:-1]):
        order = np.argsort(frames, kind="stable")
        frames, ids, boxes, scores = frames[order], ids[order], boxes[order], scores[order]
        classes, visibility, lines = classes[order], visibility[order], lines[order]
    if kind != "det" and n > 1:
        order = np.lexsort((lines, ids, frames))
        f, i = frames[order], ids[order]
        dup = np.flatnonzero((f[1:] == f[:-1]) & (i[1:] == i[:-1]))
        if dup.size:
            rows = order[dup + 1]
            r = int(rows[np.argmin(lines[rows])])
            raise MotFormatError(f"duplicate id {ids[r]} in frame {frames[r]}", path, int(lines[r]))
    return MotTable(frames, ids, np.ascontiguousarray(boxes), scores, classes, visibility,
                    lines, path)


def read_gt(path: PathLike) -> MotTable:
    """Read a ground-truth file (``frame,id,x,y,w,h,conf,class,visibility``); see :func:`read_mot`."""
    return read_mot(path, "gt")


def read_det(path: PathLike) -> MotTable:
    """Read a detection file (``frame,-1,x,y,w,h,score[,...]``); see :func:`read_mot`."""
    return read_mot(path, "det")


def read_results(path: PathLike) -> MotTable:
    """Read a tracker results file (``frame,id,x,y,w,h,score,-1,-1,-1``); see :func:`read_mot`."""
    return read_mot(path, "results")


def write_results(path: PathLike, rows, box_precision: int | None = 2) -> None:
    """Write tracker results in MOTChallenge format ``frame,id,x,y,w,h,score,-1,-1,-1``.

    Parameters
    ----------
    path : str or PathLike
        Output file (parent directories are created).
    rows : MotTable or array_like, shape (n, 6) or (n, >=7)
        ``frame, id, x, y, w, h[, score]``; a missing score is written as 1.
    box_precision : int or None
        Decimals for the box coordinates (pixels); 2 as in the MOTChallenge files.  None
        writes the shortest decimals that read back to the same float64 values.
    """
    if isinstance(rows, MotTable):
        frames, ids, boxes, scores = rows.frames, rows.ids, rows.boxes, rows.scores
    else:
        arr = np.asarray(rows, dtype=np.float64)
        if arr.size == 0:
            arr = arr.reshape(0, 7)
        if arr.ndim != 2 or arr.shape[1] < 6:
            raise ValueError(f"rows must have shape (n, 6) or (n, >=7), got {arr.shape}")
        frames, ids, boxes = arr[:, 0], arr[:, 1], arr[:, 2:6]
        scores = arr[:, 6] if arr.shape[1] > 6 else np.ones(arr.shape[0])
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    bf = "%r" if box_precision is None else f"%.{int(box_precision)}f"
    fmt = f"%d,%d,{bf},{bf},{bf},{bf},%.6g,-1,-1,-1\n"
    n = len(frames)
    with open(p, "w", encoding="ascii", newline="\n") as fh:
        if n:
            cols = (np.asarray(frames, np.int64), np.asarray(ids, np.int64),
                    boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], np.asarray(scores, float))
            fh.write("".join(fmt % t for t in zip(*(c.tolist() for c in cols))))


# --------------------------------------------------------------------------- seqinfo / layout

@dataclass(frozen=True)
class SeqInfo:
    """Contents of a ``seqinfo.ini``.

    Attributes
    ----------
    name : str
        Sequence name.
    frame_rate : float
        Frames per second.
    seq_length : int
        Number of frames (frames are ``1 .. seq_length``).
    im_width, im_height : int
        Image size in pixels.
    im_dir, im_ext : str
        Image folder and extension (may be empty).
    """

    name: str
    frame_rate: float
    seq_length: int
    im_width: int
    im_height: int
    im_dir: str = ""
    im_ext: str = ""


#: Largest ``seqinfo.ini`` read (bytes); real ones are ~150 bytes.
MAX_SEQINFO_BYTES = 1 << 20
#: Largest ``seqLength`` accepted (frames); per-frame tables are sized by it.
MAX_SEQ_LENGTH = 100_000_000


def read_seqinfo(path: PathLike) -> SeqInfo:
    """Read a ``seqinfo.ini`` (section ``[Sequence]``).

    ``%`` is an ordinary character (no interpolation).  ``frameRate`` must be a finite
    number in [1e-6, 1e6], ``seqLength`` a whole number in [0, ``MAX_SEQ_LENGTH``],
    ``imWidth`` / ``imHeight`` whole numbers in [1, 1e9].

    Raises
    ------
    MotFormatError
        Missing section or key, a non-numeric or out-of-range value, a file that is not
        UTF-8 or larger than ``MAX_SEQINFO_BYTES``.
    """
    path = os.fspath(path)
    cp = configparser.ConfigParser(interpolation=None)  # '%' is an ordinary character
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SEQINFO_BYTES + 1)
        if len(raw) > MAX_SEQINFO_BYTES:
            raise MotFormatError(f"larger than {MAX_SEQINFO_BYTES} bytes; not a seqinfo.ini", path)
        cp.read_string(raw.decode("utf-8"), source=path)
    except UnicodeDecodeError as exc:
        raise MotFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    except configparser.Error as exc:
        raise MotFormatError(f"invalid ini file: {str(exc)[:200]}", path) from None
    if not cp.has_section("Sequence"):
        raise MotFormatError("missing [Sequence] section", path)
    sec = cp["Sequence"]

    def get(key: str, conv, low, high):
        if key.lower() not in sec:
            raise MotFormatError(f"missing key {key!r}", path)
        raw = sec[key.lower()].strip()
        try:
            v = conv(raw)
        except (ValueError, OverflowError):
            raise MotFormatError(f"{key}={raw[:40]!r} is not a number", path) from None
        if not (math.isfinite(v) and low <= v <= high):
            raise MotFormatError(f"{key}={raw[:40]!r} is outside [{low:g}, {high:g}]", path)
        return v

    return SeqInfo(
        name=sec.get("name", Path(path).parent.name).strip(),
        frame_rate=get("frameRate", float, 1e-6, 1e6),
        seq_length=get("seqLength", int, 0, MAX_SEQ_LENGTH),
        im_width=get("imWidth", int, 1, 1e9),
        im_height=get("imHeight", int, 1, 1e9),
        im_dir=sec.get("imdir", "").strip(),
        im_ext=sec.get("imext", "").strip(),
    )


@dataclass(frozen=True)
class MotSequence:
    """One sequence folder ``<SEQ>/{gt/gt.txt, det/det.txt, seqinfo.ini}``.

    Attributes
    ----------
    name : str
        Folder name (e.g. ``MOT17-02-FRCNN``).
    path : Path
        The folder.
    split : str or None
        The split folder it was found in (``train``/``test``), if any.
    """

    name: str
    path: Path
    split: str | None = None

    @property
    def gt_path(self) -> Path:
        return self.path / "gt" / "gt.txt"

    @property
    def det_path(self) -> Path:
        return self.path / "det" / "det.txt"

    @property
    def seqinfo_path(self) -> Path:
        return self.path / "seqinfo.ini"

    @property
    def has_gt(self) -> bool:
        return self.gt_path.is_file()

    def seqinfo(self) -> SeqInfo | None:
        """The parsed ``seqinfo.ini``, or None when the file is absent."""
        return read_seqinfo(self.seqinfo_path) if self.seqinfo_path.is_file() else None

    @property
    def num_frames(self) -> int | None:
        info = self.seqinfo()
        return None if info is None else info.seq_length

    def gt(self) -> MotTable:
        return read_gt(self.gt_path)

    def det(self, path: PathLike | None = None) -> MotTable:
        """Detections from ``det/det.txt`` or another file."""
        return read_det(self.det_path if path is None else path)


def _is_sequence_dir(p: Path) -> bool:
    return p.is_dir() and ((p / "seqinfo.ini").is_file() or (p / "gt" / "gt.txt").is_file()
                           or (p / "det" / "det.txt").is_file())


def discover_sequences(root: PathLike, split: str | None = None,
                       names: Sequence[str] | None = None) -> list[MotSequence]:
    """List the sequences of a dataset in MOTChallenge layout.

    Accepts ``<root>/<split>/<SEQ>/...``, ``<root>/<SEQ>/...`` or a sequence folder itself.

    Parameters
    ----------
    root : str or PathLike
        Dataset root.
    split : str, optional
        Only this split folder (e.g. ``'train'``); default all splits found.
    names : sequence of str, optional
        Keep only these sequence names (error if one is missing).

    Returns
    -------
    list of MotSequence
        Sorted by split then name.

    Raises
    ------
    FileNotFoundError
        If ``root`` (or the split) does not exist, or a requested name is not found.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset root not found: {root}")
    found: list[MotSequence] = []
    if _is_sequence_dir(root) and split is None:
        found.append(MotSequence(root.name, root, None))
    else:
        if split is not None:
            if not (root / split).is_dir():
                raise FileNotFoundError(f"split folder not found: {root / split}")
            tops = [root / split]
        else:
            tops = [root]
        for top in tops:
            for child in sorted(top.iterdir()):
                if _is_sequence_dir(child):
                    found.append(MotSequence(child.name, child, split))
                elif child.is_dir() and split is None:
                    for sub in sorted(child.iterdir()):
                        if _is_sequence_dir(sub):
                            found.append(MotSequence(sub.name, sub, child.name))
    if names is not None:
        by_name = {s.name: s for s in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise FileNotFoundError(f"sequences not found under {root}: {', '.join(missing)}")
        found = [by_name[n] for n in names]
    return found
