"""Write golden files for libmottrack's C tests: the Python package's exact outputs.

Usage (from the repository root): ``python native/tests/make_golden.py OUT_DIR [--quick]``

Every sequence of ``../shared/reference/{sort,bytetrack,botsort,botsort_cmc,botsort_reid,ocsort,
hybridsort,deepsort}`` (found by listing those folders) is run through the Python package with the
reference's configuration, plus variants (timestamps, camera motion for SORT / ByteTrack / OC-SORT
/ Hybrid-SORT, per_class, output_box="detection", zero-size boxes, int8 embeddings,
restore-and-continue).  Each case
is one binary file ``<tracker>__<name>.golden`` holding the tracker parameters and, per
frame, the exact input the C test feeds (float64 rows, timestamp, warp, embeddings) and the
exact float64 output rows and track ids Python returned; the C runner compares them with
memcmp.  Generated (never committed): ``make -C native golden`` writes native/build/golden.

File layout (little-endian): b"MTGOLD01"; str tracker; u32 n_params, per parameter
(str name, u8 is_text, f64 value, str text); u32 n_frames; per frame: u32 flags (1 timestamp,
2 warp, 4 embeddings, 8 save + restore into a new tracker before this frame), f64 timestamp,
u32 warp_rows, 9 f64 warp, u32 n, u32 cols, n*cols f64 rows, [u32 dim, u32 type, f64 scale,
f64 zero_point, n*dim elements], u32 m, m*8 f64 output, u32 k, k i64 ids.  str = u32 length
+ bytes.  Embedding types as mt_embedding_type (1 float32, 2 float64, 3 int8, 4 uint8).
"""
from __future__ import annotations

import configparser
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
try:  # the installed package (CI: its numba cache is warm after the test run) ...
    import mottrack
except ImportError:  # ... else this source tree
    sys.path.insert(0, str(ROOT))
    import mottrack
from mottrack.detections import Detections  # noqa: E402

SHARED = ROOT.parent / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
REF = SHARED / "reference"
DATA = SHARED / "data"


def load_csv(path):
    return np.loadtxt(path, delimiter=",", ndmin=2)


def frames_of(det):
    det = det[np.argsort(det[:, 0], kind="stable")]
    starts = np.searchsorted(det[:, 0], np.arange(0, int(det[:, 0].max()) + 2))

    def get(f):
        d = det[starts[f]:starts[f + 1], 2:7].copy()
        d[:, 2:4] += d[:, 0:2]
        return np.ascontiguousarray(d)
    return get, int(det[:, 0].max())


def seq_length(seq):
    ini = configparser.ConfigParser()
    ini.read(DATA / "MOT17" / "train" / f"{seq}-FRCNN" / "seqinfo.ini")
    return int(ini["Sequence"]["seqLength"])


def _s(b: bytes) -> bytes:
    return struct.pack("<I", len(b)) + b


class Case:
    """Feed frames to a Python tracker and record input + output."""

    def __init__(self, tracker: str, params: dict):
        self.tracker_name = tracker
        self.params = params
        self.tracker = mottrack.create_tracker(tracker, **params)
        self.frames = []

    def feed(self, rows, timestamp=None, warp=None, emb=None, restore=False):
        rows = np.ascontiguousarray(np.asarray(rows, dtype=np.float64).reshape(-1, 5 if np.size(rows) == 0 else np.shape(rows)[1]))
        if emb is None:
            det = rows
        else:
            data, qtype, scale, zp = emb
            kw = {}
            if qtype in (3, 4):
                kw["embedding_quantization"] = (scale, int(zp))
            det = Detections(rows[:, :4], rows[:, 4], None if rows.shape[1] < 6 else rows[:, 5].astype(np.int64),
                             embeddings=data, **kw)
        if restore:  # Python continues uninterrupted; C must continue identically after a restore
            pass
        out = self.tracker.update(det, timestamp=timestamp, camera_motion=warp)
        ids = self.tracker.track_ids()
        self.frames.append((rows, timestamp, warp, emb, restore, np.ascontiguousarray(out, dtype=np.float64),
                            np.asarray(ids, dtype=np.int64)))
        return out

    def write(self, path: Path):
        b = bytearray(b"MTGOLD01")
        b += _s(self.tracker_name.encode())
        b += struct.pack("<I", len(self.params))
        for k, v in self.params.items():
            is_text = isinstance(v, str)
            b += _s(k.encode()) + struct.pack("<Bd", int(is_text), 0.0 if is_text else float(v))
            b += _s(v.encode() if is_text else b"")
        b += struct.pack("<I", len(self.frames))
        for rows, ts, warp, emb, restore, out, ids in self.frames:
            flags = (1 if ts is not None else 0) | (2 if warp is not None else 0) | (4 if emb is not None else 0) \
                | (8 if restore else 0)
            b += struct.pack("<Id", flags, 0.0 if ts is None else float(ts))
            w9 = np.zeros(9)
            wr = 0
            if warp is not None:
                w = np.asarray(warp, dtype=np.float64)
                wr = w.shape[0]
                w9[:w.size] = w.reshape(-1)
            b += struct.pack("<I", wr) + w9.astype("<f8").tobytes()
            b += struct.pack("<II", rows.shape[0], rows.shape[1]) + rows.astype("<f8").tobytes()
            if emb is not None:
                data, qtype, scale, zp = emb
                b += struct.pack("<IIdd", data.shape[1], qtype, scale, zp) + np.ascontiguousarray(data).tobytes()
            b += struct.pack("<I", out.shape[0]) + out.astype("<f8").tobytes()
            b += struct.pack("<I", ids.shape[0]) + ids.astype("<i8").tobytes()
        path.write_bytes(bytes(b))


def run_plain(tracker, params, det, out_dir, name, restore_at=None, mutate=None, timestamps=None):
    get, n = frames_of(det)
    case = Case(tracker, params)
    for f in range(1, n + 1):
        rows = get(f)
        if mutate is not None:
            rows = mutate(f, rows)
        ts = None if timestamps is None else timestamps(f)
        case.feed(rows, timestamp=ts, restore=restore_at is not None and f == restore_at)
    case.write(out_dir / f"{tracker}__{name}.golden")


def decoder_cases(out_dir: Path) -> int:
    """Golden files of the YOLOv5 / SSD decoders: b"MTDECO01", u32 kind (0 YOLOv5, 1 SSD),
    the tensors and options, u32 ok (1 if Python accepted it), u32 k, k x 6 f64 rows
    (x1, y1, x2, y2, score, class_id)."""
    from mottrack.io.larod import ssd_to_detections, yolov5_to_detections
    written = 0

    def result(det):
        return np.column_stack([det.boxes, det.scores, det.class_ids.astype(np.float64)]).reshape(-1, 6)

    def emit(name, head, det):
        ok = det is not None
        rows = result(det) if ok else np.empty((0, 6))
        (out_dir / f"decoder__{name}.golden").write_bytes(
            b"MTDECO01" + head + struct.pack("<II", int(ok), rows.shape[0]) + rows.astype("<f8").tobytes())

    quant = {"artpec8": (0.0041905134, 0), "artpec9": (0.0042463848, 1)}
    for chip, (scale, zp) in quant.items():
        raw = np.load(SHARED / "tensors" / f"yolov5n_{chip}_grace_hopper.npy")[0]
        variants = [
            ("u8", raw, 1, scale, zp),
            ("i8", (raw.astype(np.int16) - 128).astype(np.int8), 2, scale, zp - 128),
            ("f32", ((raw.astype(np.float32) - np.float32(zp)) * np.float32(scale)).astype(np.float32), 3, 1.0, 0.0),
        ]
        settings = [
            dict(score_threshold=0.25, iou_threshold=0.45),
            dict(score_threshold=0.02, iou_threshold=0.5, letterbox=True, frame=(1920, 1080)),
            dict(score_threshold=0.05, iou_threshold=0.3, classes=[0, 27], max_detections=3, score_mode="obj"),
            dict(score_threshold=0.01, iou_threshold=0.6, letterbox=True, frame=(300, 500), input_size=(512, 384)),
        ]
        for vname, t, dtype, sc, z in variants:
            for k, st in enumerate(settings):
                frame = st.get("frame", (640, 480))
                mask = np.zeros(80, np.uint8)
                if "classes" in st:
                    mask[st["classes"]] = 1
                in_size = st.get("input_size", (640, 640))
                kw = dict(score_threshold=st["score_threshold"], iou_threshold=st["iou_threshold"],
                          letterbox=st.get("letterbox", False), max_detections=st.get("max_detections", 300),
                          score_mode=st.get("score_mode", "obj_x_cls"), input_size=in_size,
                          classes=st.get("classes"))
                if dtype != 3:
                    kw["quantization"] = (sc, z)
                det = yolov5_to_detections(t, frame, **kw)
                head = struct.pack("<IIII", 0, dtype, t.shape[0], t.shape[1]) + np.ascontiguousarray(t).tobytes()
                head += struct.pack("<6d", frame[0], frame[1], sc, z, st["score_threshold"], st["iou_threshold"])
                mlen = 80 if "classes" in st else 0
                head += struct.pack("<I", mlen) + (mask.tobytes() if mlen else b"")
                head += struct.pack("<I2dqI", int(kw["letterbox"]), in_size[0], in_size[1], kw["max_detections"],
                                    int(kw["score_mode"] == "obj"))
                emit(f"yolov5-{chip}-{vname}-{k}", head, det)
                written += 1
    rng = np.random.default_rng(3)
    for k in range(6):
        n = 20
        boxes = rng.uniform(-0.1, 1.1, (n, 4)).astype(np.float32)
        classes = rng.integers(0, 90, n).astype(np.float32)
        scores = rng.uniform(0, 1, n).astype(np.float32)
        count = np.array([rng.integers(0, n + 1)], np.float32)
        thr = [0.5, 0.0, 0.3, 0.9, 0.5, 0.2][k]
        mask = np.zeros(90, np.uint8)
        cls = None
        if k == 2:
            cls = sorted(set(int(c) for c in classes[:5]))
            mask[cls] = 1
        if k == 4:
            classes[3] = 2.5  # not a whole number: rejected when the row is kept
        if k == 5:
            boxes[1, 2] = np.nan
        frame = (1280.0, 720.0)
        try:
            det = ssd_to_detections([boxes, classes, scores, count], frame, score_threshold=thr, classes=cls)
        except ValueError:
            det = None
        head = struct.pack("<II", 1, n) + boxes.tobytes() + classes.tobytes() + scores.tobytes() + count.tobytes()
        head += struct.pack("<3d", frame[0], frame[1], thr)
        mlen = 90 if cls is not None else 0
        head += struct.pack("<I", mlen) + (mask.tobytes() if mlen else b"")
        emit(f"ssd-{k}", head, det)
        written += 1
    return written


def lsa_cases(out_dir: Path) -> int:
    """Dense assignment problems and SciPy's answers (the solver OC-SORT / DeepSORT use):
    b"MTLSA001", u32 count, per problem u32 nr, u32 nc, nr*nc f64, u32 k, k i64 rows, k i64 cols.
    Integer costs make many ties, so the tie-breaking must match too."""
    from scipy.optimize import linear_sum_assignment
    rng = np.random.default_rng(11)
    b = bytearray(b"MTLSA001")
    probs = []
    for k in range(200):
        nr, nc = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        c = rng.integers(0, 4, (nr, nc)).astype(np.float64) if k % 2 else rng.random((nr, nc))
        probs.append(c)
    b += struct.pack("<I", len(probs))
    for c in probs:
        r, cc = linear_sum_assignment(c)
        b += struct.pack("<II", *c.shape) + c.astype("<f8").tobytes()
        b += struct.pack("<I", len(r)) + r.astype("<i8").tobytes() + cc.astype("<i8").tobytes()
    (out_dir / "lsa__scipy.golden").write_bytes(bytes(b))
    return 1


def params_case(out_dir: Path) -> int:
    """Every registered tracker's constructor parameters and defaults (the registry is the
    source of truth for the C parameter tables): b"MTPARA01", u32 count, per tracker str name,
    u32 n, per parameter str name, u8 is_text, f64 value, str text."""
    from mottrack.registry import registered_trackers, tracker_parameters
    b = bytearray(b"MTPARA01")
    names = registered_trackers()
    b += struct.pack("<I", len(names))
    for name in names:
        params = tracker_parameters(name)
        b += _s(name.encode()) + struct.pack("<I", len(params))
        for k, v in params.items():
            is_text = isinstance(v, str)
            b += _s(k.encode()) + struct.pack("<Bd", int(is_text), 0.0 if is_text or v is None else float(v))
            b += _s(v.encode() if is_text else b"")
    (out_dir / "params__registry.golden").write_bytes(bytes(b))
    return 1


def main():
    out_dir = Path(sys.argv[1])
    quick = "--quick" in sys.argv
    out_dir.mkdir(parents=True, exist_ok=True)
    written = decoder_cases(out_dir) + lsa_cases(out_dir) + params_case(out_dir)
    if "--decoders" in sys.argv:
        print(f"make_golden: {written} golden files in {out_dir}")
        return
    # -- every reference sequence, with the reference's configuration
    for bench in ("MOT15", "MOT17"):
        for p in sorted((REF / "sort" / bench).glob("*.txt")):
            det = load_csv(DATA / bench / "train" / p.stem / "det" / "det.txt")
            run_plain("sort", {"max_age": 1, "min_hits": 3, "iou_threshold": 0.3}, det, out_dir, f"{bench}-{p.stem}")
            written += 1
    for d in sorted((REF / "bytetrack").iterdir()):
        thresh = float(d.name.split("thresh")[1].split("_")[0])
        match = float(d.name.split("match")[1])
        for p in sorted(d.glob("*.txt")):
            det = load_csv(DATA / "MOT15" / "train" / p.stem / "det" / "det.txt") if d.name.startswith("MOT15") \
                else load_csv(DATA / "MOT17" / "dets" / "yolox_x_ablation" / f"{p.stem}.txt")
            run_plain("bytetrack", {"track_thresh": thresh, "match_thresh": match, "track_buffer": 30,
                                    "frame_rate": 30}, det, out_dir, f"{d.name}-{p.stem}")
            written += 1
    for d in sorted((REF / "botsort").iterdir()):
        for p in sorted(d.glob("*.txt")):
            det = load_csv(DATA / "MOT15" / "train" / p.stem / "det" / "det.txt") if d.name == "MOT15" \
                else load_csv(DATA / "MOT17" / "dets" / "yolox_x_ablation" / f"{p.stem}.txt")
            run_plain("botsort", {}, det, out_dir, f"{d.name}-{p.stem}")
            written += 1
    for tr in ("ocsort", "hybridsort"):  # the originals' configurations (det_thresh 0.5 on MOT15)
        for d, thresh in (("MOT15_det0.5", 0.5), ("MOT17_yolox", 0.6)):
            for p in sorted((REF / tr / d).glob("*.txt")):
                det = load_csv(DATA / "MOT15" / "train" / p.stem / "det" / "det.txt") if d.startswith("MOT15") \
                    else load_csv(DATA / "MOT17" / "dets" / "yolox_x_ablation" / f"{p.stem}.txt")
                run_plain(tr, {"det_thresh": thresh}, det, out_dir, f"{d}-{p.stem}")
                written += 1
    # -- DeepSORT on its references: detections by descending score, min_confidence 0.3, the
    # stored 128-d embeddings as float64 and int8-quantised; restored half way (branch native2)
    for p in sorted((REF / "deepsort" / "MOT17_cos0.2_budget100").glob("*.txt")):
        data = np.load(DATA / "MOT17" / "embeddings" / "deepsort" / f"{p.stem}.npy")
        data = data[data[:, 6] >= 0.3]
        n = int(data[:, 0].max())
        for qname, qtype in (("f64", 2), ("int8", 3)):
            if quick and qtype == 3:
                continue
            case = Case("deepsort", {"max_cosine_distance": 0.2, "nn_budget": 100})
            for f in range(1, n + 1):
                idx = np.flatnonzero(data[:, 0] == f)
                idx = idx[np.argsort(-data[idx, 6], kind="stable")]
                rows = data[idx, 2:7].copy()
                rows[:, 2:4] += rows[:, 0:2]
                e = np.ascontiguousarray(data[idx, 7:])
                if qtype == 3:
                    scale, zp = 1.0 / 127.0, -2
                    q = np.clip(np.round(e / scale) + zp, -128, 127).astype(np.int8)
                    emb = (np.ascontiguousarray(q), 3, scale, float(zp))
                else:
                    emb = (e, 2, 0.0, 0.0)
                case.feed(rows, emb=emb if len(rows) else None, restore=(f == n // 2))
            case.write(out_dir / f"deepsort__{qname}-{p.stem}.golden")
            written += 1
    # -- BoT-SORT with camera motion (half-val frames and their warps); SORT and ByteTrack too
    for p in sorted((REF / "botsort_cmc" / "MOT17_yolox_halfval").glob("*.txt")):
        seq = p.stem
        det = load_csv(DATA / "MOT17" / "dets" / "yolox_x_ablation" / f"{seq}.txt")
        warps = mottrack.motion.read_warps(DATA / "MOT17" / "gmc" / f"{seq}.txt")
        get, n = frames_of(det)
        first = seq_length(seq) // 2 + 2
        trackers = [("botsort", {}, "cmc")]
        if seq == "MOT17-05":  # the moving camera: SORT, ByteTrack and BoT-SORT with homographies too
            trackers += [("sort", {"max_age": 3, "min_hits": 3}, "cmc"), ("bytetrack", {"track_thresh": 0.6}, "cmc"),
                         ("botsort", {}, "homography"), ("ocsort", {"det_thresh": 0.6}, "cmc"),
                         ("hybridsort", {"det_thresh": 0.6}, "cmc")]
        for tr, params, label in trackers:
            case = Case(tr, params)
            for k, f in enumerate(range(first, n + 1)):
                w = warps[k]
                if (tr != "botsort" or label == "homography") and k % 7 == 3:  # a perspective term
                    w = np.vstack([w, [1e-7, -2e-7, 1.0]])
                if label == "homography" and k % 11 == 5:  # H[2, 2] != 1: normalised first
                    w = (w if w.shape[0] == 3 else np.vstack([w, [0.0, 0.0, 1.0]])) * 3.0
                case.feed(get(f), warp=w, restore=(k == 100))
            case.write(out_dir / f"{tr}__{label}-{seq}.golden")
            written += 1
    # -- BoT-SORT with ReID embeddings (float64 as stored; int8-quantised)
    for p in sorted((REF / "botsort_reid" / "MOT17").glob("*.txt")):
        data = np.load(DATA / "MOT17" / "embeddings" / "deepsort" / f"{p.stem}.npy")
        data = data[np.argsort(data[:, 0], kind="stable")]
        n = int(data[:, 0].max())
        starts = np.searchsorted(data[:, 0], np.arange(0, n + 2))
        for qname, qtype in (("f64", 2), ("int8", 3)):
            if quick and qtype == 3:
                continue
            case = Case("botsort", {})
            for f in range(1, n + 1):
                d = data[starts[f]:starts[f + 1]]
                rows = d[:, 2:7].copy()
                rows[:, 2:4] += rows[:, 0:2]
                e = np.ascontiguousarray(d[:, 7:])
                if qtype == 3:
                    scale, zp = 1.0 / 127.0, 3
                    q = np.clip(np.round(e / scale) + zp, -128, 127).astype(np.int8)
                    q[::5, ::3] = zp  # some zeros, never a whole row
                    emb = (np.ascontiguousarray(q), 3, scale, float(zp))
                else:
                    emb = (e, 2, 0.0, 0.0)
                case.feed(rows, emb=emb if len(rows) else None, restore=(f == n // 2))
            case.write(out_dir / f"botsort__reid-{qname}-{p.stem}.golden")
            written += 1
    # -- variants on real data: timestamps, per_class, output_box, degenerate boxes, restore
    seq = "MOT17-04"
    det = load_csv(DATA / "MOT17" / "dets" / "yolox_x_ablation" / f"{seq}.txt")
    if quick:
        det = det[det[:, 0] <= 150]
    rng = np.random.default_rng(7)
    jitter = rng.uniform(-0.004, 0.004, 3000)
    gaps = np.where(rng.random(3000) < 0.05, 2, 1).cumsum()

    def ts(f):  # 30 fps with dropped frames and clock jitter
        return 1.7e9 + gaps[f] / 30.0 + jitter[f]

    def classes(f, rows):
        return np.column_stack([rows, (np.arange(len(rows)) + f) % 3]).astype(np.float64)

    def degenerate(f, rows):
        if f % 5 == 0 and len(rows) > 2:
            rows = rows.copy()
            rows[1, 2] = rows[1, 0]  # zero width: ignored, det_index maps past it
        return rows

    variants = {
        "sort": {"max_age": 5, "min_hits": 2, "iou_threshold": 0.25},
        "bytetrack": {"track_thresh": 0.6, "match_thresh": 0.9},
        "botsort": {},
        "ocsort": {"det_thresh": 0.6, "use_byte": True, "asso_func": "giou"},
        "hybridsort": {"det_thresh": 0.6},
    }
    for tr, params in variants.items():
        # Hybrid-SORT's frames cost most under qemu (four corner directions over every pair of
        # the dense first round): its variants run the first 450 frames, the others all 1050
        d = det[det[:, 0] <= 450] if tr == "hybridsort" else det
        run_plain(tr, params, d, out_dir, "timestamps-MOT17-04", timestamps=ts, restore_at=200)
        run_plain(tr, dict(params, per_class=True), d, out_dir, "per_class-MOT17-04", mutate=classes)
        run_plain(tr, dict(params, output_box="detection"), d, out_dir, "detection_box-MOT17-04",
                  mutate=degenerate, restore_at=333)
        run_plain(tr, dict(params, frame_rate=25.0), d, out_dir, "frame_rate25-MOT17-04", restore_at=1)
        written += 4
    # Hybrid-SORT's other knobs: a similarity with every pair a first-round candidate (GIoU),
    # TCM off in the BYTE round and weighted in the first, one frame of directions, the
    # Kalman box (its variants above run the defaults: HMIoU, TCM in both rounds); 400 frames
    run_plain("hybridsort", {"det_thresh": 0.6, "asso_func": "giou", "tcm_first_step_weight": 0.5,
                             "tcm_byte_step": False, "delta_t": 1, "inertia": 0.2, "output_box": "kalman"},
              det[det[:, 0] <= 400], out_dir, "giou-MOT17-04", restore_at=250)
    written += 1
    print(f"make_golden: {written} golden files in {out_dir}")


if __name__ == "__main__":
    main()
