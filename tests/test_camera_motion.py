"""Camera motion for every registered tracker: no warp and the identity warp leave the
output unchanged bit for bit; a known camera motion is compensated (hand-worked cases and a
synthetic scene filmed by a panning PTZ camera)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mottrack
from mottrack import motion
from mottrack.registry import registered_trackers, tracker_class, tracker_parameters
from conftest import shared_path
from reference import load_csv

MOVING = registered_trackers()  # every tracker accepts camera motion


def _embed(boxes, scores, ids=None):
    """Detections with one-hot embeddings keyed by object id (appearance never confuses)."""
    n = boxes.shape[0]
    ids = np.arange(n) if ids is None else ids
    e = np.zeros((n, 64), np.float32)
    e[np.arange(n), np.asarray(ids) % 64] = 1.0
    e += 0.01
    return mottrack.Detections(boxes, scores, None, e)


def _feed(name, boxes, scores, ids=None):
    if tracker_class(name).embeddings == "required":
        return _embed(boxes, scores, ids)
    return np.column_stack([boxes, scores])


@pytest.mark.parametrize("name", MOVING)
def test_identity_warp_is_bit_identical_to_none(name):
    det = load_csv(shared_path("data", "MOT15", "train", "TUD-Campus", "det", "det.txt"))
    a, b = mottrack.create_tracker(name), mottrack.create_tracker(name)
    for f in range(1, 60):
        d = det[det[:, 0] == f]
        boxes = d[:, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        x = _feed(name, boxes, d[:, 6])
        oa = a.update(x)
        ob = b.update(x, camera_motion=np.eye(3) if f % 2 else [[1, 0, 0], [0, 1, 0]])
        assert np.array_equal(oa, ob), f"frame {f}"


@pytest.mark.parametrize("name", MOVING)
def test_a_camera_jump_is_compensated(name):
    """An object standing still while the camera jumps 80 px right and 30 px down: its box
    jumps by the opposite; told the warp, every tracker keeps the id and reports the box
    where the warp put it; not told, the id is lost."""
    box = np.array([[500.0, 300.0, 560.0, 450.0]])
    score = np.array([0.95])
    shift = np.array([-80.0, -30.0])
    warp = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
    results = {}
    for told in (True, False):
        t = mottrack.create_tracker(name)
        for _ in range(8):
            out = t.update(_feed(name, box, score))
        first_id = out[0, 4]
        moved = box + np.r_[shift, shift]
        out = t.update(_feed(name, moved, score), camera_motion=warp if told else None)
        out = t.update(_feed(name, moved, score), camera_motion=None)
        results[told] = out
        if told:
            assert out.shape[0] == 1 and out[0, 4] == first_id, name
            np.testing.assert_allclose(out[0, :4], moved[0], atol=1e-6)
    assert first_id not in results[False][:, 4]


def test_botsort_warp_is_multi_gmc():
    """One BoT-SORT track coasting through a rotating, scaling warp: its mean and covariance
    are predict-then-warp exactly as the original's numpy (kron(I4, R) ... R8 P R8^T)."""
    from mottrack.kalman import xywh_predict_numpy, xywh_warp_numpy
    t = mottrack.BoTSORT()
    for k in range(5):
        t.update(np.array([[100.0 + 3 * k, 50.0, 140.0 + 3 * k, 150.0, 0.9]]))
    tr = t.tracks
    mean0, cov0 = tr.mean[:1].copy(), tr.covariance[:1].copy()
    c, s = math.cos(0.05) * 1.02, math.sin(0.05) * 1.02
    warp = np.array([[c, -s, 12.5], [s, c, -7.25]])
    t.update(np.zeros((0, 5)), camera_motion=warp)
    m, P = xywh_predict_numpy(mean0, cov0)
    m, P = xywh_warp_numpy(m, P, warp)
    np.testing.assert_allclose(tr.mean[:1], m, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(tr.covariance[:1], P, rtol=1e-12, atol=1e-9)
    # the covariance is no longer block-diagonal per component, and the next update uses it
    assert tr.covariance[0, 0, 1] != 0.0
    out = t.update(np.array([[128.0, 48.0, 171.0, 150.0, 0.9]]))
    assert out.shape[0] == 1


def test_homography_is_linearised_at_the_track_centre():
    """A homography warp: the centre maps exactly through it (all trackers)."""
    Hw = motion.ptz_warp((0, 0, 60), (1.5, -1.0, 58), frame_size=(1920, 1080))
    box = np.array([[1500.0, 200.0, 1560.0, 350.0]])
    c = motion.warp_points([[1530.0, 275.0]], Hw)[0]
    for name in MOVING:
        keep = {"max_age": 3} if tracker_parameters(name).get("max_age", 3) < 3 else {}  # the missed frame
        t = mottrack.create_tracker(name, **keep)
        for _ in range(6):
            t.update(_feed(name, box, np.array([0.95])))
        tr = t.tracks
        t.update(_feed(name, box[:0], np.zeros(0)), camera_motion=Hw)
        np.testing.assert_allclose(tr.mean[0, :2], c, atol=1e-6, err_msg=name)


def _ptz_scene(n_obj=10, n_frames=80, seed=3):
    """People standing on a ground plane 4 m below a PTZ camera that pans 1.5 deg per
    frame (about 40 px, more than a person is wide) and zooms a little: per frame the
    projected boxes, their object ids and the camera's warp."""
    rng = np.random.default_rng(seed)
    Wd, Hd = 1920.0, 1080.0
    pans = 1.5 * np.arange(n_frames)
    hfov = 50.0 + 3.0 * np.sin(np.arange(n_frames) / 15.0)
    # people spread along the panned arc, 12-25 m away
    az = np.radians(rng.uniform(5, pans[-1] - 5, n_obj))
    dist = rng.uniform(12, 25, n_obj)
    feet = np.column_stack([np.sin(az) * dist, np.full(n_obj, 4.0), np.cos(az) * dist])
    frames = []
    for k in range(n_frames):
        R = motion.ptz_rotation(pans[k], -10.0)
        f = (Wd / 2) / math.tan(math.radians(hfov[k]) / 2)
        boxes, ids = [], []
        for i in range(n_obj):
            side = np.array([math.cos(az[i]), 0.0, -math.sin(az[i])]) * 0.25  # across the line of sight
            up = np.array([0.0, -1.75, 0.0])
            pts = feet[i] + np.array([-side, side, up - side, up + side])
            c = pts @ R.T
            if (c[:, 2] <= 0.5).any():
                continue
            u = f * c[:, 0] / c[:, 2] + Wd / 2
            v = f * c[:, 1] / c[:, 2] + Hd / 2
            b = np.array([u.min(), v.min(), u.max(), v.max()])
            if b[0] < 0 or b[2] > Wd or b[1] < 0 or b[3] > Hd:
                continue
            boxes.append(b + rng.normal(0, 0.5, 4))
            ids.append(i)
        warp = None if k == 0 else motion.ptz_warp((pans[k - 1], -10.0, hfov[k - 1]),
                                                   (pans[k], -10.0, hfov[k]), frame_size=(Wd, Hd))
        frames.append((np.array(boxes).reshape(-1, 4), np.array(ids, np.int64), warp))
    return frames


def _id_switches(name, frames, told):
    t = mottrack.create_tracker(name)
    last = {}
    switches = 0
    for boxes, ids, warp in frames:
        out = t.update(_feed(name, boxes, np.full(len(boxes), 0.9), ids),
                       camera_motion=warp if told else None)
        for r in out:
            if r[7] < 0:
                continue
            obj = ids[int(r[7])]
            if obj in last and last[obj] != r[4]:
                switches += 1
            last[obj] = r[4]
    return switches


@pytest.mark.parametrize("name", MOVING)
def test_panning_ptz_camera_keeps_every_identity(name):
    frames = _ptz_scene()
    assert sum(len(b) for b, _, _ in frames) > 300
    assert _id_switches(name, frames, told=True) == 0
    if tracker_class(name).embeddings != "required":
        # motion alone cannot bridge 40 px jumps (DeepSORT's appearance, one-hot here, can)
        assert _id_switches(name, frames, told=False) > 5


@pytest.mark.parametrize("name", MOVING)
def test_bad_camera_motion_is_rejected_and_state_unchanged(name):
    t = mottrack.create_tracker(name)
    box = np.array([[10.0, 10.0, 50.0, 90.0]])
    t.update(_feed(name, box, np.array([0.9])))
    before = t.state_dict()
    for bad, err in [(np.zeros((3, 2)), ValueError), ([[1, 0, np.nan], [0, 1, 0]], ValueError),
                     ([[1, 1, 0], [1, 1, 0]], ValueError), ("pan", TypeError),
                     ([[1, 0, np.inf], [0, 1, 0], [0, 0, 1]], ValueError)]:
        with pytest.raises(err, match="camera_motion"):
            t.update(_feed(name, box, np.array([0.9])), camera_motion=bad)
    after = t.state_dict()
    assert after["frame_count"] == before["frame_count"]
    for k, v in before["attrs"]["tracks"].items():
        assert np.array_equal(np.asarray(v), np.asarray(after["attrs"]["tracks"][k])), k


def test_eval_cli_camera_motion_reproduces_botsort_halfval_reference(tmp_path, capsys):
    """``python -m mottrack.eval ... --frames second-half --camera-motion DIR`` feeds line k
    to the k-th tracked frame: its BoT-SORT output is the original's with camera motion
    (the reference ran at frame_rate 30; the evaluator's default is the sequence's)."""
    from mottrack.eval.cli import main
    seqs = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]
    rc = main([str(shared_path("data", "MOT17")), "--seqs", ",".join(seqs),
               "--det-file", str(shared_path("data", "MOT17", "dets", "yolox_x_ablation")),
               "--frames", "second-half", "--trackers", "botsort", "--param", "botsort.frame_rate=30",
               "--camera-motion", str(shared_path("data", "MOT17", "gmc")),
               "--no-progress", "--no-budget", "-q", "--out", str(tmp_path)])
    assert rc == 0
    from reference import compare_tracks
    for s in seqs:
        ours = load_csv(tmp_path / "botsort" / f"{s}.txt")
        ref = load_csv(shared_path("reference", "botsort_cmc", "MOT17_yolox_halfval", f"{s[:8]}.txt"))
        compare_tracks(ours, ref, box_tol=0.0051)  # results are written with 2 decimals


def test_eval_cli_camera_motion_errors(tmp_path, capsys):
    from mottrack.eval.cli import main
    base = [str(shared_path("data", "MOT17")), "--seqs", "MOT17-05-FRCNN",
            "--det-file", str(shared_path("data", "MOT17", "dets", "yolox_x_ablation")),
            "--frames", "second-half", "--trackers", "botsort", "--no-progress", "--no-budget", "-q"]
    assert main(base + ["--camera-motion", str(tmp_path / "missing")]) != 0
    assert "camera-motion" in capsys.readouterr().err
    assert main(base + ["--camera-motion", str(tmp_path)]) != 0  # no MOT17-05.txt in it
    assert "no warps for sequence MOT17-05-FRCNN" in capsys.readouterr().err
    (tmp_path / "MOT17-05.txt").write_text("0\t1\t0\t0\t0\t1\t0\n")
    assert main(base + ["--camera-motion", str(tmp_path)]) != 0  # too few lines
    assert "camera motion of MOT17-05-FRCNN" in capsys.readouterr().err
    (tmp_path / "MOT17-05.txt").write_text("0\t1\t0\t0\t0\t1\n")
    assert main(base + ["--camera-motion", str(tmp_path)]) != 0
    assert "line 1" in capsys.readouterr().err


@pytest.mark.parametrize("name", [n for n in MOVING if tracker_class(n).embeddings != "required"])
def test_fused_fast_path_and_general_path_agree_with_camera_motion(name):
    """Plain float64 arrays take the one-call path (warp included), Detections the general
    one: the same frames and warps give the very same output."""
    frames = _ptz_scene(n_frames=40)
    a, b = mottrack.create_tracker(name), mottrack.create_tracker(name)
    for boxes, _ids, warp in frames:
        rows = np.ascontiguousarray(np.column_stack([boxes, np.full(len(boxes), 0.9)]))
        oa = a.update(rows, camera_motion=warp)
        ob = b.update(mottrack.Detections(boxes, rows[:, 4]), camera_motion=warp)
        assert np.array_equal(oa, ob)


def _identity_lines(n):
    return "".join(f"{k}\t1\t0\t0\t0\t1\t0\n" for k in range(n))


def test_eval_cli_bad_warp_files_are_one_line_naming_file_and_line(tmp_path, capsys):
    from mottrack.eval.cli import main
    base = [str(shared_path("data", "MOT17")), "--seqs", "MOT17-05-FRCNN",
            "--det-file", str(shared_path("data", "MOT17", "dets", "yolox_x_ablation")),
            "--frames", "second-half", "--trackers", "botsort", "--no-progress", "--no-budget", "-q"]
    lines = _identity_lines(418).splitlines(keepends=True)
    lines[4] = "4\t1\t2\t0\t0.5\t1\t0\n"  # a00*a11 - a01*a10 = 0: maps the image onto a line
    warp = tmp_path / "MOT17-05.txt"
    warp.write_text("".join(lines))
    assert main(base + ["--camera-motion", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "bug" not in err
    assert f"{warp}: line 5: the warp is singular" in err
    warp.write_bytes(_identity_lines(3).encode() + b"3\t1\t0\t0\t0\t1\t0\xff\n")
    assert main(base + ["--camera-motion", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{warp}: line 4: not UTF-8 text" in err


def test_camera_motion_folder_ignores_files_of_no_sequence_with_a_note(tmp_path):
    from mottrack.eval import api
    from mottrack.eval.datasets import load_dataset
    seqs = load_dataset(shared_path("data", "MOT17"), seqs=["MOT17-05-FRCNN"], frames="second-half",
                        det_file=[str(shared_path("data", "MOT17", "dets", "yolox_x_ablation"))])
    (tmp_path / "MOT17-05.txt").write_text(_identity_lines(418))
    (tmp_path / "README.md").write_text("warps from our GMC run\n")
    (tmp_path / "MOT17-99.txt").write_bytes(b"\xff\xfe garbage")
    notes = []
    out = api.attach_camera_motion(seqs, tmp_path, notes)
    assert out[0].camera_motion.shape == (418, 2, 3)
    assert notes == [f"camera motion: ignored 2 file(s) in {tmp_path} matching no sequence: "
                     "MOT17-99.txt, README.md"]
    with pytest.warns(UserWarning, match="ignored 2 file"):
        api.attach_camera_motion(seqs, tmp_path)
