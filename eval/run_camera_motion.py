"""What camera motion and the reported box do to each tracker's accuracy, on the shared data.

Writes two tables (TrackEval-exact metrics, mottrack.eval):

* ``eval/results/camera_motion.md`` — every tracker that supports camera motion on the MOT17
  half-val frames (N//2+2..N), with and without the precomputed BoT-SORT warps of
  ``../shared/data/MOT17/gmc`` (``--camera-motion``): YOLOX-X detections for the IoU trackers
  (MOT17-02/04/05/09), the DeepSORT FRCNN detections + embeddings for DeepSORT and for
  BoT-SORT with ReID (MOT17-05/09).  Only MOT17-05 is filmed by a moving camera.
* ``eval/results/output_box.md`` — every tracker with ``output_box="kalman"`` and
  ``"detection"`` on MOT15 (SORT's detections, 11 sequences) and MOT17 half-val (as above,
  no camera motion).

Usage: ``python eval/run_camera_motion.py [--only camera|box]``
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

import mottrack  # noqa: E402
from mottrack.eval import api  # noqa: E402
from mottrack.eval.datasets import load_dataset  # noqa: E402
from mottrack.registry import registered_trackers, tracker_class  # noqa: E402

MOT17 = SHARED / "data" / "MOT17"
GMC = MOT17 / "gmc"
YOLOX_SEQS = ["MOT17-02-FRCNN", "MOT17-04-FRCNN", "MOT17-05-FRCNN", "MOT17-09-FRCNN"]
EMB_SEQS = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]
METRICS = ("MOTA", "IDF1", "HOTA", "IDSW")


def yolox_halfval(seqs=YOLOX_SEQS):
    return load_dataset(MOT17, seqs=seqs, det_file=MOT17 / "dets" / "yolox_x_ablation", frames="second-half")


def frcnn_emb_halfval(seqs=EMB_SEQS):
    return load_dataset(MOT17, seqs=seqs, embeddings=MOT17 / "embeddings" / "deepsort", frames="second-half")


def mot15():
    return load_dataset(SHARED / "data" / "MOT15")


def _data_for(name):
    """(label, sequences) a tracker is measured on."""
    if tracker_class(name).embeddings == "required":
        return [("MOT17 half-val, FRCNN + ReID (05, 09)", frcnn_emb_halfval())]
    out = [("MOT17 half-val, YOLOX-X (02, 04, 05, 09)", yolox_halfval())]
    if tracker_class(name).embeddings == "optional":
        out.append(("MOT17 half-val, FRCNN + ReID (05, 09)", frcnn_emb_halfval()))
    return out


def _row(res, name, seq=None):
    s = res.trackers[name].summary(seq)
    return [f"{s[m]:.1f}" if m != "IDSW" else f"{int(s[m])}" for m in METRICS]


def camera_table(lines):
    lines += ["## Camera motion (MOT17 half-val, BoT-SORT's precomputed warps)", "",
              "`python -m mottrack.eval ../shared/data/MOT17 --frames second-half "
              "--camera-motion ../shared/data/MOT17/gmc ...`; each tracker with its defaults.  "
              "MOT17-05 is the only moving camera; the other sequences' warps are near the identity.", "",
              "| tracker | data | sequence | MOTA | IDF1 | HOTA | IDSW | MOTA cm | IDF1 cm | HOTA cm | IDSW cm |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in registered_trackers():
        for label, seqs in _data_for(name):
            a = api.evaluate(seqs, trackers=[name])
            b = api.evaluate(seqs, trackers=[name], camera_motion=GMC)
            for seq in [s.name for s in seqs] + [None]:
                lines.append(f"| {name} | {label} | {seq or '**combined**'} | "
                             + " | ".join(_row(a, name, seq)) + " | " + " | ".join(_row(b, name, seq)) + " |")
            print(name, label, "done", flush=True)
    lines.append("")


def box_table(lines):
    lines += ["## Reported box: Kalman state vs matched detection", "",
              "`--param TRACKER.output_box=detection`; every tracker with its defaults otherwise "
              "(its original's box is marked *).  Rows updated by no detection keep the Kalman box.", "",
              "| tracker | data | MOTA kalman | IDF1 kalman | HOTA kalman | MOTA detection | IDF1 detection | HOTA detection | ΔHOTA |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name in registered_trackers():
        cls = tracker_class(name)
        default = mottrack.tracker_parameters(name)["output_box"]
        data = [("MOT15 (11 seqs)", mot15())] if cls.embeddings != "required" else []
        data += _data_for(name)
        for label, seqs in data:
            res = {}
            for box in ("kalman", "detection"):
                r = api.evaluate(seqs, trackers=[name], params={name: {"output_box": box}})
                res[box] = r.trackers[name].summary()
            d = res["detection"]["HOTA"] - res["kalman"]["HOTA"]
            k = "kalman*" if default == "kalman" else "kalman"
            lines.append(f"| {name} | {label} | " + " | ".join(f"{res['kalman'][m]:.1f}" for m in METRICS[:3])
                         + " | " + " | ".join(f"{res['detection'][m]:.1f}" for m in METRICS[:3])
                         + f" | {d:+.2f} |")
            print(name, label, k, "done", flush=True)
    lines.append("")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("camera", "box"))
    a = p.parse_args(argv)
    out = ROOT / "eval" / "results"
    if a.only in (None, "camera"):
        lines = ["# Camera motion and accuracy", "", "Generated by `python eval/run_camera_motion.py --only camera`.", ""]
        camera_table(lines)
        (out / "camera_motion.md").write_text("\n".join(lines) + "\n")
    if a.only in (None, "box"):
        lines = ["# Which box a tracker reports", "", "Generated by `python eval/run_camera_motion.py --only box`.", ""]
        box_table(lines)
        (out / "output_box.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
