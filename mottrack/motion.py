"""Camera motion for the trackers' ``camera_motion`` input: warp files and PTZ readings.

A camera warp maps the previous frame's pixel coordinates to this frame's: a 2x3 affine
``[[a00, a01, a02], [a10, a11, a12]]`` (``x' = a00 x + a01 y + a02``, ...) or a 3x3
homography.  Pass one per frame as ``tracker.update(dets, camera_motion=W)``.

* :func:`read_warps` / :func:`read_warp_dir` read the per-frame warp files of
  BoT-SORT's global motion compensation (one line per frame, tab-separated: the frame
  index from 0, then a00 a01 a02 a10 a11 a12), as in MOTChallenge ``GMC-<SEQ>.txt`` files.
* :func:`ptz_warp` computes the exact image warp of a pan-tilt-zoom camera between two
  frames from the pan and tilt angles (degrees) and zoom (horizontal field of view in
  degrees, or focal length in pixels) it reports: a camera that rotates about its
  centre maps every scene point, whatever its depth, through one homography
  ``K1 R1 R0^T K0^-1``.
* :func:`warp_points` and :func:`warp_boxes` apply a warp.
"""
from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any, Dict, Tuple, Union

import numpy as np

from ._validate import check_number
from .geometry import camera_warp

__all__ = ["read_warps", "read_warp_dir", "ptz_warp", "ptz_rotation", "warp_points", "warp_boxes",
           "PTZ_MAX_OFF_AXIS_DEG"]

PathLike = Union[str, "os.PathLike[str]"]


def read_warps(path: PathLike) -> np.ndarray:
    """Read a per-frame warp file; returns (K, 2, 3) float64, row k = line k.

    Each line: ``index a00 a01 a02 a10 a11 a12`` separated by tabs or spaces, indices
    0, 1, 2, ... in order, the warp invertible.  Raises ``ValueError`` naming the file and
    line otherwise (also for a file that is not UTF-8 text).
    """
    warps: list = []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{path}: line {lineno}: not UTF-8 text (expected an index and 6 "
                                 "warp entries)") from None
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) != 7:
                raise ValueError(f"{path}: line {lineno}: expected an index and 6 warp entries; "
                                 f"got {len(tokens)} fields")
            try:
                index = float(tokens[0])
                values = [float(t) for t in tokens[1:]]
            except ValueError:
                raise ValueError(f"{path}: line {lineno}: expected numbers; got {line.strip()!r}") from None
            if index != len(warps):
                raise ValueError(f"{path}: line {lineno}: expected frame index {len(warps)}; got {tokens[0]}")
            if not all(math.isfinite(v) for v in values):
                raise ValueError(f"{path}: line {lineno}: warp entries must be finite")
            a00, a01, _, a10, a11, _ = values
            if not abs(a00 * a11 - a01 * a10) > 1e-12:
                raise ValueError(f"{path}: line {lineno}: the warp is singular (a00*a11 - a01*a10 = "
                                 f"{a00 * a11 - a01 * a10:g}); expected an invertible affine warp")
            warps.append(values)
    return np.array(warps, dtype=np.float64).reshape(-1, 2, 3)


def read_warp_dir(folder: PathLike, names: Any = None, notes: Any = None) -> Dict[str, np.ndarray]:
    """Read the ``<SEQ>.txt`` (or BoT-SORT's ``GMC-<SEQ>.txt``) warp files in ``folder``: {SEQ: (K, 2, 3)}.

    Parameters
    ----------
    folder : path
    names : collection of str, optional
        Only read files whose ``SEQ`` is one of these; the other files are left unread
        and, when ``notes`` is a list, named in one line appended to it.
    notes : list of str, optional
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"camera motion: {folder} is not a directory")
    out = {}
    ignored = []
    for p in sorted(root.iterdir()):
        name = p.stem[4:] if p.stem.startswith("GMC-") else p.stem
        if names is not None and name not in names:
            ignored.append(p.name)
            continue
        if p.suffix != ".txt" or not p.is_file():
            continue
        out[name] = read_warps(p)
    if ignored and notes is not None:
        notes.append(f"camera motion: ignored {len(ignored)} file(s) in {folder} matching no sequence: "
                     f"{', '.join(ignored[:6])}{' ...' if len(ignored) > 6 else ''}")
    return out


def _number(name: str, v: Any) -> float:
    return float(check_number(name, v, finite=True))


def ptz_rotation(pan: float, tilt: float) -> np.ndarray:
    """World-to-camera rotation (3, 3) of a camera panned by ``pan`` degrees (positive:
    to the right) and tilted by ``tilt`` degrees (positive: up).  Camera axes: x right,
    y down, z along the optical axis; world axes: the camera's at pan = tilt = 0."""
    p = math.radians(_number("pan", pan))
    t = math.radians(_number("tilt", tilt))
    cp, sp = math.cos(p), math.sin(p)
    ct, st = math.cos(t), math.sin(t)
    R_pan = np.array([[cp, 0.0, -sp], [0.0, 1.0, 0.0], [sp, 0.0, cp]])
    R_tilt = np.array([[1.0, 0.0, 0.0], [0.0, ct, st], [0.0, -st, ct]])
    return R_tilt @ R_pan


def _intrinsics(zoom: float, mode: str, width: float, cx: float, cy: float, which: str) -> np.ndarray:
    z = _number(which, zoom)
    if mode == "hfov":
        if not 0.0 < z < 180.0:
            raise ValueError(f"{which}: a horizontal field of view in (0, 180) degrees; got {z!r}")
        f = (width / 2.0) / math.tan(math.radians(z) / 2.0)
    elif mode == "focal":
        if not z > 0.0:
            raise ValueError(f"{which}: a focal length in pixels > 0; got {z!r}")
        f = z
    else:
        raise ValueError(f"zoom: expected 'hfov' or 'focal'; got {mode!r}")
    return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])


#: Largest angle (degrees) between the current view axis and a corner of the previous frame
#: that :func:`ptz_warp` accepts: at 90 degrees the corner maps to infinity, beyond it to
#: behind the camera, and no image warp relates the two frames.
PTZ_MAX_OFF_AXIS_DEG = 89.9


def ptz_warp(previous: Tuple[float, float, float], current: Tuple[float, float, float], *,
             frame_size: Any = None, zoom: str = "hfov", principal_point: Any = None,
             image_size: Any = None) -> np.ndarray:
    """The image warp (3, 3 homography) of a PTZ camera from the previous frame to this one.

    Parameters
    ----------
    previous, current : (pan, tilt, zoom)
        The camera's readings at the two frames: pan and tilt in degrees (pan positive
        to the right, tilt positive up, as e.g. Axis VAPIX reports them) and zoom as
        selected by ``zoom``.
    frame_size : (width, height)
        Frame size in pixels (required).
    zoom : {"hfov", "focal"}
        The third reading is the horizontal field of view in degrees, or the focal
        length in pixels.
    principal_point : (cx, cy), optional
        Defaults to the frame centre ``(width / 2, height / 2)``.
    image_size : (width, height), optional
        Deprecated alias of ``frame_size`` (a ``DeprecationWarning``).

    Returns
    -------
    ndarray (3, 3) float64
        ``H`` with ``H[2, 2] == 1`` mapping pixel (x, y, 1) of the previous frame to this
        frame's (up to scale): pass it as ``camera_motion``.

    Raises
    ------
    ValueError
        A bad reading or size, or the camera turned so far that a corner of the previous
        frame lies :data:`PTZ_MAX_OFF_AXIS_DEG` (89.9) degrees or more off the current
        view axis (no warp relates the frames: track without ``camera_motion`` there).
    """
    if image_size is not None:
        if frame_size is not None:
            raise TypeError("ptz_warp: pass frame_size only (image_size is its deprecated alias)")
        warnings.warn("ptz_warp: image_size= is deprecated; pass frame_size=", DeprecationWarning, stacklevel=2)
        frame_size = image_size
    if frame_size is None:
        raise TypeError("ptz_warp: frame_size=(width, height) is required")
    try:
        (p0, t0, z0), (p1, t1, z1) = previous, current
        width, height = frame_size
    except (TypeError, ValueError):
        raise TypeError("ptz_warp: previous and current are (pan, tilt, zoom); frame_size is "
                        "(width, height)") from None
    width = _number("frame_size", width)
    height = _number("frame_size", height)
    if not (width > 0 and height > 0):
        raise ValueError(f"frame_size: expected positive (width, height); got {frame_size!r}")
    cx, cy = (width / 2.0, height / 2.0) if principal_point is None else (
        _number("principal_point", principal_point[0]), _number("principal_point", principal_point[1]))
    K0 = _intrinsics(z0, zoom, width, cx, cy, "previous zoom")
    K1 = _intrinsics(z1, zoom, width, cx, cy, "current zoom")
    R = ptz_rotation(p1, t1) @ ptz_rotation(p0, t0).T
    # The previous frame's corners as rays in the current camera: each must be in front of it.
    corners = np.array([[0.0, 0.0, 1.0], [width, 0.0, 1.0], [0.0, height, 1.0], [width, height, 1.0]])
    rays = corners @ np.linalg.inv(K0).T @ R.T
    cos_off = rays[:, 2] / np.linalg.norm(rays, axis=1)
    k = int(np.argmin(cos_off))
    if not cos_off[k] > math.cos(math.radians(PTZ_MAX_OFF_AXIS_DEG)):
        off = math.degrees(math.acos(max(-1.0, min(1.0, float(cos_off[k])))))
        raise ValueError(f"ptz_warp: the camera turned too far between the readings {tuple(previous)} and "
                         f"{tuple(current)}: corner ({corners[k, 0]:g}, {corners[k, 1]:g}) of the previous frame "
                         f"is {off:.1f} degrees off the current view axis (at most {PTZ_MAX_OFF_AXIS_DEG:g}); "
                         "no image warp relates the two frames")
    H = K1 @ R @ np.linalg.inv(K0)
    return H / H[2, 2]


def warp_points(points: Any, warp: Any) -> np.ndarray:
    """Map points (N, 2) through a 2x3 or 3x3 warp; returns (N, 2) float64."""
    H = camera_warp(warp)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    q = p @ H[:2, :2].T + H[:2, 2]
    d = p @ H[2, :2] + H[2, 2]
    return q / d[:, None]


def warp_boxes(boxes: Any, warp: Any) -> np.ndarray:
    """Map boxes (N, 4) x1, y1, x2, y2 through a warp: the axis-aligned box around the
    four warped corners (exact for translations and scalings); returns (N, 4)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], axis=1)
    w = warp_points(corners.reshape(-1, 2), warp).reshape(-1, 4, 2)
    return np.concatenate([w.min(axis=1), w.max(axis=1)], axis=1)
