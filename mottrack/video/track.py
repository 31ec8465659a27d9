"""``python -m mottrack track SOURCE --model MODEL.tflite``: detect, track, count, draw, write.

The chain of an Axis camera app, on a PC, on real video:

    decode (PyAV) -> preprocess (letterbox, Pillow bilinear) -> inference (LiteRT)
    -> postprocess (the Larod decoders) -> track (any registered tracker)
    -> count (lines and zones) -> draw -> encode (H.264 MP4)

Frame times come from the container's timestamps, so a dropped or repeated frame reaches
the tracker as the time that really passed.  Outputs (each optional):

* ``--out FILE.mp4``: the annotated video, frame times kept;
* ``--mot-out FILE.txt``: MOTChallenge results ``frame,id,x,y,w,h,score,-1,-1,-1`` (frame =
  decoded frame number from 1), which ``python -m mottrack.eval score`` scores as is;
* ``--metadata FILE.jsonl``: AXIS scene-metadata frame messages (``frame_v1`` schema), times
  from ``--start-time`` (default the container's creation time, else 1970-01-01T00:00:00Z for
  files and the wall clock for streams) plus the frame time;
* ``--object-tracks FILE.jsonl``: one consolidated ObjectTrack message per ended track;
* ``--frames-out DIR``: the annotated frames as JPEG files;
* ``--json FILE``: the run's summary (per-stage times, counts, scores).

Every file is written frame by frame and closed properly on Ctrl-C (exit 130), so what was
processed so far stays valid.  Bad input: exit 2 and one line on stderr.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, TextIO

import numpy as np

__all__ = ["main", "build_parser", "STAGES", "StageClock", "run_track", "tracker_input"]

PROG = "python -m mottrack track"
STAGES = ("decode", "preprocess", "inference", "postprocess", "track", "draw", "encode")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class CliError(Exception):
    """Bad input: reported as one line, exit code 2."""


@dataclass
class StageClock:
    """Accumulated wall and CPU (process) nanoseconds per stage."""

    wall_ns: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    cpu_ns: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    frames: int = 0

    def __post_init__(self) -> None:
        self._stage: Optional[str] = None
        self._w = self._c = 0

    def start(self, stage: str) -> None:
        self._stage = stage
        self._w, self._c = time.perf_counter_ns(), time.process_time_ns()

    def stop(self) -> None:
        w, c = time.perf_counter_ns(), time.process_time_ns()
        if self._stage is not None:
            self.wall_ns[self._stage] += w - self._w
            self.cpu_ns[self._stage] += c - self._c
        self._stage = None

    def switch(self, stage: str) -> None:
        self.stop()
        self.start(stage)

    def per_frame_ms(self, cpu: bool = False) -> Dict[str, float]:
        src = self.cpu_ns if cpu else self.wall_ns
        n = max(self.frames, 1)
        return {k: v / n / 1e6 for k, v in src.items() if v}

    def line(self, cpu: bool = False) -> str:
        return "  ".join(f"{k} {v:.1f}" for k, v in self.per_frame_ms(cpu).items())


def _number(v: str) -> Any:
    low = v.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def parse_params(items: Optional[Sequence[str]]) -> Dict[str, Any]:
    """``["NAME=VALUE", ...]`` -> dict (numbers, true/false, none parsed)."""
    out: Dict[str, Any] = {}
    for it in items or ():
        name, sep, value = it.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CliError(f"--param: expected NAME=VALUE; got {it!r}")
        out[name.split(".", 1)[-1]] = _number(value)
    return out


def _classes(v: Optional[str]) -> Optional[List[Any]]:
    if v is None:
        return None
    out: List[Any] = []
    for x in v.split(","):
        x = x.strip()
        if x:
            out.append(int(x) if x.isdigit() else x)
    return out


def _roi(v: Optional[str]):
    if v is None:
        return None
    try:
        vals = [int(x) for x in v.split(",")]
    except ValueError:
        raise CliError(f"--roi: expected x1,y1,x2,y2 as integers (pixels); got {v!r}") from None
    if len(vals) != 4:
        raise CliError(f"--roi: expected x1,y1,x2,y2 as integers (pixels); got {v!r}")
    return tuple(vals)


def _start_time(v: Optional[str]) -> Optional[datetime]:
    if v is None:
        return None
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"--start-time: expected an ISO 8601 time such as 2024-05-01T12:00:00Z; got {v!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, description="Detect, track, count and draw on a video file, stream or image folder.",
        epilog="Example: python -m mottrack track vtest.avi --model yolov5n_artpec8.tflite "
               "--classes person --out annotated.mp4 --mot-out PETS09-S2L1.txt")
    p.add_argument("source", metavar="SOURCE", help="video file, stream URL, or image folder (MOTChallenge img1/)")
    g = p.add_argument_group("detector")
    g.add_argument("--model", metavar="MODEL.tflite", help="the detector (LiteRT); YOLOv5 or SSD outputs")
    g.add_argument("--det-file", metavar="DET.txt",
                   help="MOTChallenge detections (frame,-1,x,y,w,h,score) instead of a model")
    g.add_argument("--classes", metavar="A,B", help="keep these class names or ids (e.g. person)")
    g.add_argument("--score-threshold", type=float, default=0.1, metavar="S",
                   help="detector score threshold (default 0.1: ByteTrack's low band)")
    g.add_argument("--iou-threshold", type=float, default=0.45, metavar="T", help="YOLOv5 NMS IoU")
    g.add_argument("--fit", choices=("letterbox", "stretch"), default="letterbox",
                   help="how frames fit the model input (default letterbox)")
    g.add_argument("--roi", metavar="X1,Y1,X2,Y2", help="run the detector on this frame window only")
    g.add_argument("--threads", type=int, default=1, metavar="N", help="LiteRT threads (default 1)")
    g = p.add_argument_group("tracker")
    g.add_argument("--tracker", default="bytetrack", metavar="NAME", help="a registered tracker (default bytetrack)")
    g.add_argument("--param", action="append", metavar="NAME=VALUE", help="tracker parameter (repeatable)")
    g.add_argument("--min-score", metavar="S",
                   help="drop detections below S before the tracker ('none' = keep all; default: "
                        "the tracker's own gate)")
    g.add_argument("--geometry", metavar="LINES.json",
                   help='counting lines and zones: {"lines": [{"name", "start": [x, y], "end": [x, y]}], '
                        '"zones": [{"name", "polygon": [[x, y], ...]}]}')
    g = p.add_argument_group("source")
    g.add_argument("--fps", type=float, metavar="F", help="frame rate of an image folder without seqinfo.ini")
    g.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    g.add_argument("--start-time", metavar="ISO8601", help="wall-clock time of the first frame (metadata)")
    g = p.add_argument_group("outputs")
    g.add_argument("--out", metavar="FILE.mp4", help="annotated video (H.264)")
    g.add_argument("--mot-out", metavar="FILE.txt", help="MOTChallenge results file")
    g.add_argument("--metadata", metavar="FILE.jsonl", help="scene-metadata frame messages (JSON Lines)")
    g.add_argument("--object-tracks", metavar="FILE.jsonl", help="consolidated object tracks (JSON Lines)")
    g.add_argument("--frames-out", metavar="DIR", help="annotated frames as JPEG files")
    g.add_argument("--json", metavar="FILE", help="run summary as JSON")
    g.add_argument("--gt", metavar="SEQ_DIR",
                   help="score against this MOTChallenge sequence's gt (needs the [eval] extra)")
    g.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    g.add_argument("-q", "--quiet", action="store_true", help="print only the result lines")
    return p


def _check_args(args: argparse.Namespace) -> None:
    if args.model is None and args.det_file is None:
        raise CliError("pass --model MODEL.tflite (or --det-file DET.txt to skip the model)")
    if args.model is not None and args.det_file is not None:
        raise CliError("pass --model or --det-file, not both")
    for name in ("model", "det_file", "geometry", "gt"):
        v = getattr(args, name)
        if v is not None and not Path(v).exists():
            raise CliError(f"--{name.replace('_', '-')}: not found: {v}")
    if not 0.0 <= args.score_threshold <= 1.0:
        raise CliError(f"--score-threshold: expected a number in [0, 1]; got {args.score_threshold}")
    if not 0.0 <= args.iou_threshold <= 1.0:
        raise CliError(f"--iou-threshold: expected a number in [0, 1]; got {args.iou_threshold}")
    if args.threads < 1:
        raise CliError(f"--threads: expected an int >= 1; got {args.threads}")
    if args.max_frames is not None and args.max_frames < 1:
        raise CliError(f"--max-frames: expected an int >= 1; got {args.max_frames}")
    if args.fps is not None and not args.fps > 0:
        raise CliError(f"--fps: expected a number > 0; got {args.fps}")


class _Progress:
    def __init__(self, stream: TextIO, total: Optional[int], enabled: bool) -> None:
        self.stream = stream
        self.total = total
        self.enabled = enabled
        self.tty = enabled and getattr(stream, "isatty", lambda: False)()
        self.t0 = time.perf_counter()
        self.next = self.t0 + (0.5 if self.tty else 10.0)

    def update(self, n: int, clock: StageClock, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now < self.next and not force:
            return
        self.next = now + (0.5 if self.tty else 10.0)
        fps = n / max(now - self.t0, 1e-9)
        of = f"/{self.total}" if self.total else ""
        stages = "  ".join(f"{k} {1e3 / v:.0f}" for k, v in clock.per_frame_ms().items() if v > 0)
        line = f"frame {n}{of}  {fps:.1f} fps  | fps per stage: {stages}"
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(100))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def tracker_input(dets: Any, min_score: Optional[float], by_score: bool) -> Any:
    """What the evaluator's runner feeds a tracker: detections scoring at least ``min_score``
    (None: all), sorted by descending score (stable) when ``by_score`` (the class's
    ``feed_order == "score"``), else in decoder order."""
    if min_score is not None and len(dets):
        keep = np.flatnonzero(dets.scores >= min_score)
        if keep.size != len(dets):
            dets = dets[keep]
    if by_score and len(dets) > 1:
        dets = dets[np.argsort(-dets.scores, kind="stable")]
    return dets


def _load_dets(path: str):
    from ..io.mot import read_det
    d = read_det(path)
    off = d.frame_offsets()
    return d, off


def _id_prefix(name: str, start: datetime) -> str:
    return hashlib.sha1(f"{os.path.basename(name)}|{start.isoformat()}".encode()).hexdigest()[:8]


def _score(gt_path: str, table: Any, num_frames: int) -> Dict[str, Any]:
    try:
        from ..eval.datasets import load_dataset
        from ..eval.scoring import score_one
    except ImportError as exc:
        raise CliError(f"--gt needs the [eval] extra ({exc}): pip install 'mottrack[eval]'") from None
    seqs = load_dataset(gt_path, with_dets=False)
    if len(seqs) != 1:
        raise CliError(f"--gt: expected one sequence folder; {gt_path} holds {len(seqs)}")
    seq = seqs[0]
    if num_frames > seq.num_frames:
        raise CliError(f"--gt: the source has more frames ({num_frames}) than {seq.name} "
                       f"({seq.num_frames}); is it the right sequence?")
    m = score_one(seq, table).summary()
    return {"sequence": seq.name, **{k: (float(v) if isinstance(v, (float, np.floating)) else v)
                                     for k, v in m.items()}}


def run_track(args: argparse.Namespace, out: Optional[TextIO] = None, err: Optional[TextIO] = None,
              stop: Optional[Dict[str, bool]] = None) -> Dict[str, Any]:
    """Run the command for parsed ``args``; returns the summary dict (see ``--json``).

    ``out`` / ``err`` default to the ``sys.stdout`` / ``sys.stderr`` of the call (so a
    redirection in force at the call is honoured).

    ``stop["stop"]`` set to True (e.g. by a SIGINT handler) ends the run after the current
    frame; outputs are then finished normally and the summary says ``interrupted``.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    _check_args(args)
    from ..io.metadata import JsonLinesWriter, ObjectTrackBuilder, SceneMetadataSerializer
    from ..io.mot import MotTable
    from ..registry import create_tracker, tracker_class
    from .source import open_source

    stop = stop if stop is not None else {"stop": False}
    try:
        cls = tracker_class(args.tracker)
    except (TypeError, ValueError) as exc:
        raise CliError(f"--tracker: {exc}") from None
    if cls.embeddings == "required":
        raise CliError(f"--tracker {cls.name}: needs appearance embeddings, which this command does "
                       "not compute; choose a motion-only tracker")
    params = parse_params(args.param)
    if args.min_score is None:
        min_score = cls.default_min_score
    elif args.min_score.lower() == "none":
        min_score = None
    else:
        try:
            min_score = float(args.min_score)
        except ValueError:
            raise CliError(f"--min-score: expected a number or 'none'; got {args.min_score!r}") from None
    start_override = _start_time(args.start_time)
    classes = _classes(args.classes)
    roi = _roi(args.roi)

    geometry = None
    if args.geometry:
        from ..eval.count import load_geometry
        try:
            geometry = load_geometry(args.geometry)
        except ValueError as exc:
            raise CliError(f"--geometry: {exc}") from None
    try:  # every parameter checked before anything is opened
        create_tracker(cls.name, **params)
    except (TypeError, ValueError) as exc:
        raise CliError(f"--param: {exc}") from None

    detector = None
    det_table = det_off = None
    if args.model is not None:
        from ..io.detector import Detector
        try:
            detector = Detector(args.model, fit=args.fit, roi=roi, classes=classes,
                                score_threshold=args.score_threshold, iou_threshold=args.iou_threshold,
                                threads=args.threads)
        except (TypeError, ValueError) as exc:
            raise CliError(f"--model: {exc}") from None
    else:
        det_table, det_off = _load_dets(args.det_file)

    try:
        source = open_source(args.source, fps=args.fps, threads=1 if args.threads == 1 else 0)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    fw, fh = source.frame_size
    try:
        tracker = create_tracker(cls.name, **{"frame_rate": source.frame_rate, **params})
    except (TypeError, ValueError) as exc:
        source.close()
        raise CliError(f"--param: {exc}") from None
    counters: List[Any] = [] if geometry is None else geometry.counters(frame_rate=source.frame_rate)
    start = start_override or source.start_time or (datetime.now(timezone.utc) if source.live else _EPOCH)
    t_start = start.timestamp()
    class_names = detector.class_names if detector is not None else None
    from ..io.coco import COCO80_NAMES
    names = class_names or COCO80_NAMES

    n_total = source.num_frames
    if args.max_frames is not None and n_total is not None:
        n_total = min(n_total, args.max_frames)
    if not args.quiet:
        what = detector.describe() if detector is not None else f"detections from {args.det_file}"
        print(f"{PROG}: {source.name}: {fw}x{fh}, {source.frame_rate:g} fps"
              + (f", {source.num_frames} frames" if source.num_frames else ""), file=out)
        print(f"  detector: {what}", file=out)
        gate = "none" if min_score is None else f"{min_score:g}"
        print(f"  tracker: {cls.name} (frame_rate {source.frame_rate:g}, min score {gate}"
              + "".join(f", {k}={v}" for k, v in params.items()) + ")", file=out)
        if counters:
            print(f"  counting: {', '.join(c.name for c in counters)}", file=out)
        out.flush()

    # outputs: opened after every check, closed in `finally`
    writer = mot_fh = meta = tracks_out = None
    annot = None
    frames_dir = None
    clock = StageClock()
    progress = _Progress(err, n_total, not args.no_progress)
    mot_rows: List[List[float]] = []
    serializer = builder = None
    n = n_dets = n_rows = n_object_tracks = 0
    interrupted = False
    live_before: set = set()
    last_t = 0.0
    t_wall0 = time.perf_counter()
    cpu0 = time.process_time()
    try:
        try:
            if args.out:
                from .writer import VideoWriter
                writer = VideoWriter(args.out, source.frame_size, source.frame_rate)
            if args.mot_out:
                Path(args.mot_out).parent.mkdir(parents=True, exist_ok=True)
                mot_fh = open(args.mot_out, "w", encoding="ascii", newline="\n")
            if args.metadata:
                meta = JsonLinesWriter(args.metadata, flush=False)
            if args.object_tracks:
                tracks_out = JsonLinesWriter(args.object_tracks, flush=False)
            if args.frames_out:
                frames_dir = Path(args.frames_out)
                frames_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(f"cannot write {exc.filename}: {exc.strerror}") from None
        if meta is not None or tracks_out is not None:
            serializer = SceneMetadataSerializer(source.frame_size, class_names=names,
                                                 id_prefix=_id_prefix(source.name, start))
            builder = ObjectTrackBuilder(source.frame_size)
        if writer is not None or frames_dir is not None:
            from .draw import Annotator, header_text
            annot = Annotator(names)
        by_score = cls.feed_order == "score"
        it = iter(source)
        while not stop["stop"]:
            if args.max_frames is not None and n >= args.max_frames:
                break
            clock.start("decode")
            try:
                frame = next(it)
            except StopIteration:
                clock.stop()
                break
            if detector is not None:
                clock.switch("preprocess")
                tensor, tr = detector.preprocess(frame.image)
                clock.switch("inference")
                raw = detector.infer(tensor)
                clock.switch("postprocess")
                dets = detector.decode(raw, tr)
            else:
                clock.switch("postprocess")
                from ..detections import Detections
                assert det_table is not None and det_off is not None
                f = frame.index + 1
                a, z = (int(det_off[f - 1]), int(det_off[f])) if f < len(det_off) else (0, 0)
                b = det_table.boxes[a:z]
                dets = Detections(np.column_stack([b[:, :2], b[:, :2] + b[:, 2:]]), det_table.scores[a:z])
            clock.switch("track")
            dets = tracker_input(dets, min_score, by_score)
            rows = tracker.update(dets, timestamp=frame.time)
            for c in counters:
                c.update(rows, frame.time)
            fno = frame.index + 1
            if mot_fh is not None or args.gt:
                lines = []
                for x1, y1, x2, y2, tid, score, _c, _d in rows.tolist():
                    line = (f"{fno:d},{int(tid):d},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},"
                            f"{score:.6g},-1,-1,-1\n")
                    lines.append(line)
                    mot_rows.append([float(v) for v in line.split(",")[:7]])
                if mot_fh is not None:
                    mot_fh.write("".join(lines))
            if serializer is not None and builder is not None:
                ids_now = set(tracker.track_ids().tolist())
                ended = sorted(live_before - ids_now)
                live_before = ids_now
                msg = serializer.frame(rows, t_start + frame.time, ended_ids=ended)
                if meta is not None:
                    meta.write(msg)
                for ot in builder.update(msg, t_start + frame.time):
                    n_object_tracks += 1
                    if tracks_out is not None:
                        tracks_out.write(ot)
            if annot is not None:
                clock.switch("draw")
                img = annot.draw(frame.image, rows, counters, header_text(frame.index, frame.time, len(rows)))
                if frames_dir is not None:
                    img.save(frames_dir / f"{fno:06d}.jpg", quality=90)
                if writer is not None:
                    clock.switch("encode")
                    writer.write(img, frame.time)
            clock.stop()
            n += 1
            clock.frames = n
            n_dets += len(dets)
            n_rows += rows.shape[0]
            last_t = frame.time
            progress.update(n, clock)
        interrupted = bool(stop["stop"])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.done()
        if serializer is not None and builder is not None:
            msg = serializer.close(t_start + last_t)
            if meta is not None:
                meta.write(msg)
            for ot in builder.update(msg, t_start + last_t):
                n_object_tracks += 1
                if tracks_out is not None:
                    tracks_out.write(ot)
        for h in (meta, tracks_out):
            if h is not None:
                h.close()
        if mot_fh is not None:
            mot_fh.close()
        if writer is not None:
            writer.close()
        source.close()
    wall = time.perf_counter() - t_wall0
    summary: Dict[str, Any] = {
        "source": source.name, "frame_size": [fw, fh], "frame_rate": source.frame_rate,
        "frames": n, "interrupted": interrupted, "tracker": cls.name, "params": params,
        "min_score": min_score, "detections": n_dets, "track_rows": n_rows,
        "object_tracks": n_object_tracks, "seconds": wall, "cpu_seconds": time.process_time() - cpu0,
        "fps": n / wall if wall > 0 else None,
        "stage_ms_per_frame": clock.per_frame_ms(), "stage_cpu_ms_per_frame": clock.per_frame_ms(cpu=True),
        "timestamps_nudged": source.nudged,
        "counts": {c.name: {"in": c.totals[0], "out": c.totals[1]} for c in counters},
        "outputs": {k: getattr(args, k) for k in ("out", "mot_out", "metadata", "object_tracks", "frames_out")
                    if getattr(args, k)},
    }
    if writer is not None:
        summary["video_frames"] = writer.frames
        summary["video_codec"] = writer.codec
    print(f"{n} frames{' (interrupted)' if interrupted else ''} in {wall:.1f} s: "
          f"{summary['fps'] or 0:.1f} fps; ms per frame: {clock.line()}", file=out)
    if counters:
        print("  counts: " + "; ".join(f"{k} in {v['in']} out {v['out']}" for k, v in summary["counts"].items()),
              file=out)
    if args.gt:
        arr = np.asarray(mot_rows, dtype=np.float64).reshape(-1, 7)
        table = MotTable.from_arrays(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2:6],
                                     arr[:, 6])
        sc = _score(args.gt, table, n)
        summary["scores"] = sc
        print(f"  {sc['sequence']}: MOTA {sc['MOTA']:.3f}  IDF1 {sc['IDF1']:.3f}  HOTA {sc['HOTA']:.3f}  "
              f"IDSW {sc['IDSW']}  FP {sc['FP']}  FN {sc['FN']}", file=out)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, default=str))
    return summary


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; 0 done, 2 bad input, 130 interrupted (outputs finished), 1 a bug."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    stop = {"stop": False}
    old = None

    def _on_sigint(signum: int, frame: Any) -> None:
        if stop["stop"]:  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        stop["stop"] = True

    try:
        old = signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:  # not the main thread
        old = None
    try:
        summary = run_track(args, stop=stop)
    except CliError as exc:
        print(f"{PROG}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"{PROG}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as exc:
        msg = str(exc)
        if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in msg:
            msg = f"{exc.strerror or msg}: {exc.filename}"
        print(f"{PROG}: {' '.join(msg.split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    return 130 if summary["interrupted"] else 0
