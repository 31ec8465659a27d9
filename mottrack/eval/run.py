"""Run one tracker over one sequence, frame by frame, and time every ``update()``.

What the runner needs to know about a tracker comes from its class attributes (see
:mod:`mottrack.registry`), never from its name:

* ``default_min_score``: detections below it are dropped before ``update()`` (None: none
  dropped); ``min_score`` overrides it;
* ``feed_order``: ``"file"`` keeps each frame's detections in file order, ``"score"`` sorts
  them by descending score (stable);
* ``embeddings``: ``"required"`` trackers get :class:`~mottrack.detections.Detections` with
  the sequence's embeddings (an error without them), ``"optional"`` ones get them when the
  sequence has them, ``"none"`` ones get plain ``(n, 5)`` rows;
* the sequence's per-frame camera warps (when it has them) are passed as ``camera_motion``
  (every tracker accepts them).

Every tracker gets the sequence's own frame rate (``seqinfo.ini``'s ``frameRate``) as its
``frame_rate`` parameter unless ``params`` sets one.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..io.mot import MotTable
from .datasets import EvalSequence

if TYPE_CHECKING:
    from ..trackers.base import Tracker

__all__ = ["TrackerRun", "run_tracker", "warm_up", "resolve_min_score", "available", "tracker_class",
           "needs_embeddings", "frame_inputs", "DEFAULT_MIN_SCORE", "tracker_params"]


def tracker_class(name: str) -> type[Tracker]:
    """The registered class of tracker ``name`` (``ValueError`` naming the available ones)."""
    from .. import registry
    return registry.tracker_class(name)


def available() -> list[str]:
    """Registered tracker names, in registration order (the order tables list them in)."""
    from .. import registry
    return list(registry.registered_trackers())


class _DefaultMinScore(Mapping):
    """``{tracker: default_min_score}`` read live from the registered classes."""

    def __getitem__(self, name: str) -> float | None:
        if name not in available():
            raise KeyError(name)
        return tracker_class(name).default_min_score

    def __iter__(self) -> Iterator[str]:
        return iter(available())

    def __len__(self) -> int:
        return len(available())

    def __repr__(self) -> str:
        return repr(dict(self))


#: Default minimum detection score per tracker (None = all detections), from the classes.
DEFAULT_MIN_SCORE: Mapping[str, float | None] = _DefaultMinScore()


def resolve_min_score(min_score: Any, name: str) -> float | None:
    """The minimum score for tracker ``name``: ``'default'``, a number/None for all
    trackers, or a ``{tracker: score}`` dict (trackers not in it get their default)."""
    if isinstance(min_score, Mapping):
        return min_score[name] if name in min_score else tracker_class(name).default_min_score
    if isinstance(min_score, str):
        if min_score != "default":
            raise ValueError(f"min_score must be a number, None, 'default' or a dict; got {min_score!r}")
        return tracker_class(name).default_min_score
    return None if min_score is None else float(min_score)


def needs_embeddings(name: str) -> bool:
    """True when tracker ``name`` cannot run without appearance embeddings."""
    return tracker_class(name).embeddings == "required"


def tracker_params(name: str, seq: EvalSequence, params: Mapping[str, Any] | None) -> dict:
    """Constructor parameters for ``name`` on ``seq``: ``params`` plus the sequence's
    frame rate as ``frame_rate`` (unless ``params`` sets it)."""
    out = dict(params or {})
    out.setdefault("frame_rate", float(seq.frame_rate))
    return out


# --------------------------------------------------------------------------- inputs


def frame_inputs(seq: EvalSequence, min_score: float | None, by_score: bool = False,
                 with_embeddings: bool = True) -> list[tuple[int, np.ndarray, np.ndarray | None]]:
    """Per tracked frame ``(frame, rows, embeddings)``: ``rows`` (n, 5) float64
    x1, y1, x2, y2, score (C-contiguous), embeddings (n, D) or None.

    Rows scoring below ``min_score`` are dropped; the rest keep file order, or with
    ``by_score`` descending score order (stable sort).
    """
    d = seq.dets
    keep = np.ones(len(d), bool) if min_score is None else d.scores >= min_score
    b = d.boxes
    rows = np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3], d.scores])
    emb = seq.embeddings if with_embeddings else None
    off = d.frame_offsets(seq.num_frames)
    out = []
    for f in seq.frames:
        a, z = int(off[f - 1]), int(off[f])
        k = np.flatnonzero(keep[a:z])
        if by_score and k.size > 1:
            k = k[np.argsort(-d.scores[a:z][k], kind="stable")]
        r = np.ascontiguousarray(rows[a:z][k])
        e = None if emb is None else np.ascontiguousarray(emb[a:z][k])
        out.append((f, r, e))
    return out


def _make_input(r: np.ndarray, e: np.ndarray | None):
    if e is not None:
        from ..detections import Detections
        return Detections(r[:, :4], r[:, 4], None, e)
    return r


# --------------------------------------------------------------------------- running


@dataclass(eq=False)
class TrackerRun:
    """One tracker on one sequence: its output and how long ``update()`` took."""

    tracker: str
    sequence: str
    results: MotTable
    latency_ns: np.ndarray          # per frame
    num_dets: np.ndarray            # detections fed per frame (after min_score)
    num_out: np.ndarray             # rows returned per frame
    min_score: float | None = None
    params: dict = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.latency_ns.shape[0])

    @property
    def total_seconds(self) -> float:
        return float(self.latency_ns.sum()) * 1e-9

    @property
    def fps(self) -> float:
        t = self.total_seconds
        return self.frames / t if t > 0 else float("inf")


_WARM: set = set()


def _results_table(outs: list[np.ndarray]) -> MotTable:
    a = np.concatenate(outs) if outs else np.zeros((0, 7))
    boxes = np.column_stack([a[:, 1], a[:, 2], a[:, 3] - a[:, 1], a[:, 4] - a[:, 2]])
    return MotTable.from_arrays(a[:, 0].astype(np.int64), a[:, 5].astype(np.int64), boxes, a[:, 6])


def _warm_up(name: str, params: Mapping[str, Any], inputs, seq: EvalSequence, use_emb: bool) -> None:
    """Run a throw-away tracker over the first frames of ``inputs`` (and an empty frame), with
    the sequence's camera warps when it has them, so that its kernels are compiled."""
    from ..registry import create_tracker
    w = create_tracker(name, **params)
    warps = seq.camera_motion
    for i, (_, r, e) in enumerate(inputs[:8]):
        if warps is None:
            w.update(_make_input(r, e))
        else:
            w.update(_make_input(r, e), camera_motion=warps[i])
    e0 = None if seq.embeddings is None or not use_emb else \
        np.zeros((0, seq.embeddings.shape[1]), np.float32)
    w.update(_make_input(np.zeros((0, 5)), e0))


def warm_up(name: str, seq: EvalSequence, params: Mapping[str, Any] | None = None,
            min_score: float | None | str = "default") -> None:
    """Compile what :func:`run_tracker` will run for ``name`` on ``seq`` (its warm-up alone)."""
    cls = tracker_class(name)
    params = tracker_params(name, seq, dict(params or {}))
    use_emb = cls.embeddings != "none" and seq.embeddings is not None
    inputs = frame_inputs(seq, resolve_min_score(min_score, name), by_score=cls.feed_order == "score",
                          with_embeddings=use_emb)
    _warm_up(name, params, inputs, seq, use_emb)


def run_tracker(name: str, seq: EvalSequence, params: Mapping[str, Any] | None = None,
                min_score: float | None | str = "default", progress=None,
                warmup: bool = True) -> TrackerRun:
    """Track one sequence frame by frame and time every ``update()``.

    Parameters
    ----------
    name : str
        Registered tracker name.
    seq : EvalSequence
    params : dict, optional
        Constructor parameters; ``frame_rate`` defaults to ``seq.frame_rate``.
    min_score : float, None or 'default'
        Detections with a lower score are dropped before ``update()``; ``'default'``
        uses the class's ``default_min_score``.
    progress : tqdm-like, optional
        ``update(1)`` is called per frame.
    warmup : bool
        Run the tracker once on a few frames first so that compilation is not timed.
    """
    from ..registry import create_tracker
    cls = tracker_class(name)
    user_params = dict(params or {})
    params = tracker_params(name, seq, user_params)
    min_score = resolve_min_score(min_score, name)
    mode = cls.embeddings
    if mode == "required" and seq.embeddings is None:
        raise ValueError(f"{name} needs appearance embeddings but sequence {seq.name} has none "
                         f"(pass --embeddings DIR with {seq.name}.npy)")
    use_emb = mode != "none" and seq.embeddings is not None
    inputs = frame_inputs(seq, min_score, by_score=cls.feed_order == "score",
                          with_embeddings=use_emb)
    warps = seq.camera_motion
    if warmup and name not in _WARM:
        _warm_up(name, params, inputs, seq, use_emb)
        _WARM.add(name)
    trk = create_tracker(name, **params)
    n = len(inputs)
    lat = np.empty(n, np.int64)
    nd = np.empty(n, np.int64)
    no = np.empty(n, np.int64)
    outs = []
    clock = time.perf_counter_ns
    for i, (f, r, e) in enumerate(inputs):
        x = _make_input(r, e)
        if warps is None:
            t0 = clock()
            o = trk.update(x)
        else:
            cm = warps[i]
            t0 = clock()
            o = trk.update(x, camera_motion=cm)
        lat[i] = clock() - t0
        nd[i] = r.shape[0]
        no[i] = o.shape[0]
        if o.shape[0]:
            outs.append(np.column_stack([np.full(o.shape[0], f, np.float64), o[:, :6]]))
        if progress is not None:
            progress.update(1)
    return TrackerRun(name, seq.name, _results_table(outs), lat, nd, no, min_score, params)
