"""Validation of zone polygons: simple polygons only (concave allowed).

:func:`validate_polygon` returns the vertices as a (v, 2) float64 array or raises
``ValueError`` saying what is wrong: fewer than three distinct vertices, a non-finite
coordinate, zero area, two vertices at the same place (self-touching), two edges that
cross or touch away from their shared vertex (self-intersecting / self-touching), or an
edge that doubles back along the previous one.  A closing vertex equal to the first one
is accepted and dropped.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..detections import MAX_COORDINATE

__all__ = ["validate_polygon", "polygon_area"]

MAX_VERTICES = 10_000


def polygon_area(poly: np.ndarray) -> float:
    """Signed area (shoelace), square pixels; positive for counter-clockwise in y-up axes."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _orient(ax, ay, bx, by, cx, cy):
    return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))


def _on_segment(ax, ay, bx, by, cx, cy):
    # c collinear with a-b: is it within the bounding box of a-b?
    return (np.minimum(ax, bx) <= cx) & (cx <= np.maximum(ax, bx)) & \
        (np.minimum(ay, by) <= cy) & (cy <= np.maximum(ay, by))


def _segments_meet(p, q, a, b):
    """Do segment p-q and each segment a[i]-b[i] share at least one point?"""
    px, py, qx, qy = p[0], p[1], q[0], q[1]
    ax, ay, bx, by = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    o1 = _orient(px, py, qx, qy, ax, ay)
    o2 = _orient(px, py, qx, qy, bx, by)
    o3 = _orient(ax, ay, bx, by, px, py)
    o4 = _orient(ax, ay, bx, by, qx, qy)
    meet = (o1 != o2) & (o3 != o4) & (o1 != 0) & (o2 != 0) & (o3 != 0) & (o4 != 0)
    meet |= (o1 == 0) & _on_segment(px, py, qx, qy, ax, ay)
    meet |= (o2 == 0) & _on_segment(px, py, qx, qy, bx, by)
    meet |= (o3 == 0) & _on_segment(ax, ay, bx, by, px, py)
    meet |= (o4 == 0) & _on_segment(ax, ay, bx, by, qx, qy)
    return meet


def validate_polygon(polygon: Any, name: str = "polygon") -> np.ndarray:
    """Check that ``polygon`` is a simple polygon; return its vertices.

    Parameters
    ----------
    polygon : array_like, shape (v, 2)
        Vertices ``x, y`` in pixels, in order (either orientation), 3 <= v <= 10000.
    name : str
        Used in error messages.

    Returns
    -------
    ndarray, shape (v, 2), float64, C-contiguous
        The vertices (a repeated closing vertex removed).

    Raises
    ------
    TypeError
        Not numeric.
    ValueError
        Wrong shape, non-finite, degenerate, self-intersecting or self-touching.
    """
    try:
        raw = np.asarray(polygon)
    except Exception as exc:  # ragged lists etc.
        raise ValueError(f"{name}: expected an array of shape (v, 2) of x, y vertices ({exc})") from None
    if raw.dtype == object or raw.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected numeric x, y vertices; got dtype {raw.dtype}")
    if raw.ndim != 2 or raw.shape[1] != 2:
        raise ValueError(f"{name}: expected an array of shape (v, 2) of x, y vertices; got shape {raw.shape}")
    p = np.array(raw, dtype=np.float64)
    if not (np.abs(p) <= MAX_COORDINATE).all():
        raise ValueError(f"{name}: vertices must be finite and within +-{MAX_COORDINATE:g} pixels")
    if p.shape[0] > 1 and (p[0] == p[-1]).all():
        p = p[:-1]
    v = p.shape[0]
    if v < 3:
        raise ValueError(f"{name}: a polygon needs at least 3 distinct vertices; got {v}")
    if v > MAX_VERTICES:
        raise ValueError(f"{name}: at most {MAX_VERTICES} vertices; got {v}")
    nxt = np.roll(p, -1, axis=0)
    same = (p == nxt).all(axis=1)
    if same.any():
        i = int(np.flatnonzero(same)[0])
        raise ValueError(f"{name}: degenerate: vertices {i} and {(i + 1) % v} coincide")
    order = np.lexsort((p[:, 1], p[:, 0]))
    sp = p[order]
    dup = (sp[1:] == sp[:-1]).all(axis=1)
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        i, j = sorted((int(order[k]), int(order[k + 1])))
        raise ValueError(f"{name}: self-touching: vertices {i} and {j} are the same point "
                         f"({p[i, 0]:g}, {p[i, 1]:g})")
    # An edge doubling back along the previous one (a spike of zero width).
    e_in = p - np.roll(p, 1, axis=0)
    e_out = nxt - p
    cr = e_in[:, 0] * e_out[:, 1] - e_in[:, 1] * e_out[:, 0]
    dt = e_in[:, 0] * e_out[:, 0] + e_in[:, 1] * e_out[:, 1]
    spike = (cr == 0) & (dt < 0)
    if spike.any():
        i = int(np.flatnonzero(spike)[0])
        raise ValueError(f"{name}: degenerate (self-touching): the edges at vertex {i} double back "
                         "on each other")
    # Non-adjacent edges must not meet at all.
    for i in range(v - 2):
        js = np.arange(i + 2, v if i > 0 else v - 1)
        if js.size == 0:
            continue
        hit = _segments_meet(p[i], nxt[i], p[js], nxt[js])
        if hit.any():
            j = int(js[np.flatnonzero(hit)[0]])
            raise ValueError(f"{name}: self-intersecting or self-touching: edge {i} "
                             f"(vertices {i}-{(i + 1) % v}) meets edge {j} (vertices {j}-{(j + 1) % v})")
    if abs(polygon_area(p)) <= 1e-12 * max(1.0, float(np.abs(p).max()) ** 2):
        raise ValueError(f"{name}: degenerate: the polygon has zero area")
    return np.ascontiguousarray(p)
