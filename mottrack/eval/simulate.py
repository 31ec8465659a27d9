"""A seeded detector simulator and a synthetic crowded scene.

The evaluator's no-argument default and the CPU-budget scaling runs need detections for
which the truth is known, without shipping images or a detector.  :class:`DetectorSimulator`
turns ground-truth boxes into what a real person detector produces:

* **misses**: each visible gt box is dropped with probability ``miss_rate`` (raised for
  partly occluded boxes when the gt carries a visibility column, up to
  ``miss_rate + occlusion_miss`` at visibility 0);
* **box jitter**: centre noise ``jitter`` x box width/height (Gaussian sigma) and
  log-normal size noise ``size_jitter``;
* **false positives**: a Poisson number per frame with mean ``fp_per_frame``, boxes with
  the sizes of real objects placed uniformly in the image;
* **scores**: true positives mostly high (Beta(``tp_score_a``, ``tp_score_b``)), but a
  fraction ``low_score_fraction`` falls in the low band 0.1-0.5 (occluded or blurred people,
  the band ByteTrack's second association recovers); false positives mostly low
  (Beta(``fp_score_a``, ``fp_score_b``)) -- the shape of YOLOX-style score histograms,
  where most detections below 0.3 are clutter;
* **identity embeddings** (``embedding_dim`` > 0): every gt id gets a random unit vector;
  a detection's embedding is that vector plus Gaussian noise of norm ~``embedding_noise``,
  renormalised (cosine distance between two sightings of one person ~ noise**2, between
  two people ~1); false positives get random unit vectors.  This is what DeepSORT's
  appearance metric sees from a re-identification network.

Everything is driven by one ``numpy.random.Generator`` seeded from ``seed``: the same
inputs and seed give bit-identical detections.

:func:`synthetic_scene` makes ground truth for a crowded scene: people walking across a
1920x1080 view at roughly constant velocity with perspective (smaller near the top),
entering and leaving, crossing each other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.mot import MotTable

__all__ = ["DetectorSimulator", "SimulatedDetections", "synthetic_scene"]


@dataclass(frozen=True)
class SimulatedDetections:
    """Output of :meth:`DetectorSimulator.simulate`.

    Attributes
    ----------
    dets : MotTable
        Detections (``ids`` = -1, boxes x, y, w, h, ``scores``), sorted by frame.
    embeddings : ndarray (n, D) float32 or None
        Appearance embeddings aligned with the rows of ``dets``.
    source_ids : ndarray (n,) int64
        The gt id each detection came from (-1 for false positives); for tests.
    num_candidates : int
        Number of gt boxes that could have been detected (conf != 0).
    """

    dets: MotTable
    embeddings: np.ndarray | None
    source_ids: np.ndarray
    num_candidates: int

    @property
    def num_true(self) -> int:
        return int(np.count_nonzero(self.source_ids >= 0))

    @property
    def num_false(self) -> int:
        return int(np.count_nonzero(self.source_ids < 0))


@dataclass(frozen=True)
class DetectorSimulator:
    """Seeded simulation of a person detector from ground truth.

    Parameters
    ----------
    miss_rate : float
        Fraction of (fully visible) gt boxes not detected.  Misses come in bursts of
        mean length ``burst`` frames per object (a two-state Markov chain whose
        stationary miss probability is ``miss_rate``).
    occlusion_miss : float
        Extra miss probability at visibility 0 (linear in 1 - visibility); ignored when
        the gt has no visibility column.
    jitter : float
        Sigma of the box-centre noise as a fraction of the box width / height.
    size_jitter : float
        Sigma of the log-normal noise on width and height.
    fp_per_frame : float
        Mean number of false positives per frame (Poisson).
    low_score_fraction : float
        Fraction of true positives whose score falls in the low band [0.1, 0.5) (also
        in bursts of mean length ``burst``).
    tp_score_a, tp_score_b : float
        Beta parameters of the other true-positive scores (mapped to [0.5, 1]).
    fp_score_a, fp_score_b : float
        Beta parameters of false-positive scores (on [0.01, 1]).
    embedding_dim : int
        Dimension of the identity embeddings; 0 for none.
    embedding_noise : float
        Norm of the noise added to an identity's unit vector.
    image_size : (int, int)
        Width and height used to place false positives.
    burst : float
        Mean length in frames of a run of misses / low scores (1 = independent frames).
    seed : int
        Seed of the random generator.
    """

    miss_rate: float = 0.1
    occlusion_miss: float = 0.4
    jitter: float = 0.05
    size_jitter: float = 0.05
    fp_per_frame: float = 2.0
    low_score_fraction: float = 0.15
    tp_score_a: float = 6.0
    tp_score_b: float = 1.5
    fp_score_a: float = 1.2
    fp_score_b: float = 5.0
    embedding_dim: int = 128
    embedding_noise: float = 0.35
    burst: float = 3.0
    image_size: tuple = (1920, 1080)
    seed: int = 0

    def simulate(self, gt: MotTable, num_frames: int | None = None,
                 only_class: int | None = None) -> SimulatedDetections:
        """Simulate detections for every frame ``1 .. num_frames`` of ``gt``.

        Parameters
        ----------
        gt : MotTable
            Ground truth; rows with conf 0 (and, with ``only_class``, other classes) are
            never detected.
        num_frames : int, optional
            Number of frames (default: last gt frame).
        only_class : int, optional
            Only gt rows of this class are detectable (1 for MOT17 pedestrians).
        """
        rng = np.random.default_rng(self.seed)
        if num_frames is None:
            num_frames = int(gt.frames[-1]) if len(gt) else 0
        cand = np.trunc(gt.scores) != 0
        if only_class is not None:
            cand &= gt.classes == only_class
        g = gt.select(cand)
        n = len(g)
        vis = g.visibility
        # misses and low scores come in bursts (occlusions last several frames)
        missed = _bursty(rng, g.ids, float(self.miss_rate), float(self.burst))
        has_vis = vis >= 0
        if has_vis.any() and self.occlusion_miss > 0:
            p_occ = self.occlusion_miss * (1.0 - np.clip(vis, 0.0, 1.0))
            missed |= has_vis & (rng.random(n) < p_occ)
        low_all = _bursty(rng, g.ids, float(self.low_score_fraction), float(self.burst))
        keep = ~missed
        boxes = g.boxes[keep].copy()
        ids = g.ids[keep]
        frames = g.frames[keep]
        m = boxes.shape[0]
        w, h = boxes[:, 2].copy(), boxes[:, 3].copy()
        cx = boxes[:, 0] + w / 2 + rng.normal(0.0, self.jitter, m) * w
        cy = boxes[:, 1] + h / 2 + rng.normal(0.0, self.jitter, m) * h
        w = w * np.exp(rng.normal(0.0, self.size_jitter, m))
        h = h * np.exp(rng.normal(0.0, self.size_jitter, m))
        tp_boxes = np.column_stack([cx - w / 2, cy - h / 2, w, h])
        low = low_all[keep]
        tp_scores = np.where(low, rng.uniform(0.1, 0.5, m),
                             0.5 + 0.5 * rng.beta(self.tp_score_a, self.tp_score_b, m))

        # false positives
        n_fp = rng.poisson(self.fp_per_frame, num_frames) if num_frames else np.zeros(0, int)
        fp_frames = np.repeat(np.arange(1, num_frames + 1), n_fp)
        k = fp_frames.shape[0]
        if n:
            pick = rng.integers(0, n, k)
            fw, fh = g.boxes[pick, 2].copy(), g.boxes[pick, 3].copy()
        else:
            fw, fh = np.full(k, 50.0), np.full(k, 120.0)
        W, H = self.image_size
        fx = rng.uniform(0.0, 1.0, k) * np.maximum(W - fw, 1.0)
        fy = rng.uniform(0.0, 1.0, k) * np.maximum(H - fh, 1.0)
        fp_boxes = np.column_stack([fx, fy, fw, fh])
        fp_scores = 0.01 + 0.99 * rng.beta(self.fp_score_a, self.fp_score_b, k)

        all_frames = np.concatenate([frames, fp_frames]).astype(np.int64)
        all_boxes = np.concatenate([tp_boxes, fp_boxes]).reshape(-1, 4)
        all_scores = np.round(np.concatenate([tp_scores, fp_scores]), 5)
        src = np.concatenate([ids, np.full(k, -1, np.int64)])
        # shuffle within each frame: a detector has no notion of identity order
        order = np.lexsort((rng.random(all_frames.shape), all_frames))
        all_frames, all_boxes = all_frames[order], np.round(all_boxes[order], 2)
        all_scores, src = all_scores[order], src[order]

        emb = None
        if self.embedding_dim > 0:
            d = int(self.embedding_dim)
            uid = np.unique(g.ids) if n else np.zeros(0, np.int64)
            proto = rng.normal(size=(uid.shape[0], d))
            proto /= np.linalg.norm(proto, axis=1, keepdims=True)
            emb = np.empty((src.shape[0], d))
            tp = src >= 0
            emb[tp] = proto[np.searchsorted(uid, src[tp])]
            emb[tp] += rng.normal(size=(int(tp.sum()), d)) * (self.embedding_noise / np.sqrt(d))
            emb[~tp] = rng.normal(size=(int((~tp).sum()), d))
            emb /= np.linalg.norm(emb, axis=1, keepdims=True)
            emb = emb.astype(np.float32)
        dets = MotTable.from_arrays(all_frames, np.full(all_frames.shape[0], -1, np.int64),
                                    all_boxes, all_scores)
        return SimulatedDetections(dets, emb, src, n)


def _bursty(rng: np.random.Generator, ids: np.ndarray, rate: float, burst: float) -> np.ndarray:
    """Per-row flags from a two-state Markov chain per id (rows frame-sorted).

    Stationary P(flag) = ``rate``; mean run length of flagged frames = ``burst``.
    """
    n = ids.shape[0]
    if n == 0 or rate <= 0:
        return np.zeros(n, bool)
    if rate >= 1:
        return np.ones(n, bool)
    p_out = 1.0 / max(burst, 1.0)
    p_in = min(1.0, rate * p_out / (1.0 - rate))
    u = rng.random(ids.shape)
    order = np.argsort(ids, kind="stable")  # per id, in frame order
    sid = ids[order]
    flags = np.zeros(n, bool)
    prev_id = None
    state = False
    for k in range(n):
        i = sid[k]
        if i != prev_id:
            state = u[order[k]] < rate  # stationary start
            prev_id = i
        else:
            state = (u[order[k]] >= p_out) if state else (u[order[k]] < p_in)
        flags[order[k]] = state
    return flags


def synthetic_scene(num_frames: int = 300, num_objects: int = 60, concurrent: int = 25,
                    image_size: tuple = (1920, 1080), seed: int = 0) -> MotTable:
    """Ground truth of a crowded synthetic scene (MOT15-style: conf 1, no classes).

    People enter at random times and walk with a constant velocity plus a slow random
    drift, with perspective scaling (height 60 px at the top of the image, 300 px at the
    bottom); they leave when they walk out of view or their lifetime ends.  About
    ``concurrent`` people are visible at a time; crossings and overlaps are frequent.

    Parameters
    ----------
    num_frames : int
        Frames ``1 .. num_frames``.
    num_objects : int
        Total number of people.
    concurrent : int
        Target mean number of people in view (sets the lifetimes).
    image_size : (int, int)
        Width, height in pixels.
    seed : int
        Random seed.
    """
    rng = np.random.default_rng(seed)
    W, H = image_size
    life = max(10, int(round(concurrent * num_frames / max(num_objects, 1))))
    rows = []
    for oid in range(1, num_objects + 1):
        start = int(rng.integers(1, max(2, num_frames - 10)))
        length = int(np.clip(rng.normal(life, life / 4), 10, num_frames))
        x = rng.uniform(0.05, 0.95) * W
        y = rng.uniform(0.35, 0.95) * H  # feet position
        speed = rng.uniform(1.0, 6.0)
        ang = rng.uniform(0, 2 * np.pi)
        vx, vy = speed * np.cos(ang), 0.4 * speed * np.sin(ang)
        aspect = rng.uniform(0.35, 0.45)
        for f in range(start, min(num_frames, start + length - 1) + 1):
            scale = 60.0 + 240.0 * (y / H)
            h = scale
            w = aspect * h
            if not (-w < x - w / 2 < W and 0 < y < H + h / 2):
                break
            rows.append((f, oid, x - w / 2, y - h, w, h))
            vx += rng.normal(0, 0.1)
            vy += rng.normal(0, 0.05)
            x += vx
            y += vy
    arr = np.array(rows, dtype=np.float64).reshape(-1, 6)
    arr[:, 2:6] = np.round(arr[:, 2:6], 2)
    n = arr.shape[0]
    return MotTable.from_arrays(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64),
                                arr[:, 2:6], np.ones(n), np.full(n, -1, np.int64),
                                np.full(n, -1.0))
