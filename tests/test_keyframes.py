"""Keyframe lanes: editing, easing, persistence, and their effect on rendered frames.

Rendered frames of scikit-image's astronaut are re-detected with
``engine.face`` (smile, head pose) or measured inside the eye openings (gaze).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import engine
from engine.animation import apply_keyframes
from engine.errors import ProjectError
from engine.face import detect_faces, mesh
from engine.keyframes import LANES, Keyframe, Keyframes, evaluate
from engine.motion.expressions import expression_shapes
from engine.motion.track import MotionTrack
from engine.render import PortraitRig, frame_landmarks, render_frame
from engine.render.gaze import eye_polygon

FPS = 25.0
FRAMES = 50  # 2 s


def _still(frames: int = FRAMES) -> MotionTrack:
    """Zero generated motion: whatever moves comes from the keyframes."""
    return MotionTrack(
        FPS, np.zeros((1, 468, 3), np.float32), np.zeros((frames, 1), np.float32),
        np.zeros((frames, 6), np.float32), np.zeros((frames, 2), np.float32),
        np.zeros(frames, np.float32),
    )  # fmt: skip


@pytest.fixture(scope="module")
def rig() -> PortraitRig:
    from skimage import data

    rgb = data.astronaut()
    return PortraitRig.build(rgb, None, detect_faces(rgb)[0].landmarks)


def _detect(img: np.ndarray) -> np.ndarray:
    faces = detect_faces(img)
    assert faces, "the rendered face was not found"
    return faces[0].landmarks[:, :2].astype(np.float64)


def _mouth_width(lm: np.ndarray) -> float:
    iod = np.linalg.norm(lm[mesh.LEFT_EYE_OUTER] - lm[mesh.RIGHT_EYE_OUTER])
    return float(np.linalg.norm(lm[mesh.MOUTH_LEFT] - lm[mesh.MOUTH_RIGHT]) / iod)


# ------------------------------------------------------------------ the data ---


def test_edit_returns_new_objects_and_keeps_order() -> None:
    kf = Keyframes()
    assert kf.empty and set(kf) == set(LANES) and kf["smile"] == ()
    a = kf.add("smile", 1.0, 0.5).add("smile", 0.2, 0.1)
    assert kf.empty  # immutable
    assert a["smile"] == (Keyframe(0.2, 0.1), Keyframe(1.0, 0.5))
    b = a.move("smile", 1.0, 0.1, value=0.9)
    assert b["smile"] == (Keyframe(0.1, 0.9), Keyframe(0.2, 0.1))
    c = b.delete("smile", 0.2)
    assert c["smile"] == (Keyframe(0.1, 0.9),)
    assert a.add("smile", 1.0, 0.7)["smile"][-1] == Keyframe(1.0, 0.7)  # same time replaces
    assert a.add("smile", 2.0, 5.0)["smile"][-1].value == 1.0  # clipped to the lane's range
    assert a.add("yaw", 0.0, -90)["yaw"][0].value == -45.0
    with pytest.raises(KeyError):
        a.delete("smile", 3.0)
    with pytest.raises(ValueError):
        a.add("wink", 0.0, 1.0)
    assert Keyframes.from_dict(a.to_dict()) == a
    with pytest.raises(ProjectError):
        Keyframes.from_dict({"smile": [[0, "x"]]})


def test_interpolation_eases_and_holds() -> None:
    keys = (Keyframe(1.0, 0.0), Keyframe(2.0, 1.0))
    t = np.array([0.0, 0.5, 1.0, 1.1, 1.5, 1.9, 2.0, 3.0])
    v = evaluate(keys, t)
    assert v[0] == v[1] == v[2] == 0.0  # held before the first key
    assert v[-1] == v[-2] == 1.0  # held after the last key
    assert v[4] == pytest.approx(0.5)
    # Ease in and out: slower than linear near the keys, zero slope at them.
    assert 0 < v[3] < 0.1 * 0.5 and 1 - v[5] < 0.1 * 0.5
    dense = evaluate(keys, np.linspace(1, 2, 1001))
    assert np.all(np.diff(dense) >= 0)
    assert dense[1] - dense[0] < 1e-5 and dense[-1] - dense[-2] < 1e-5
    assert np.all(evaluate((), t) == 0)
    assert np.all(evaluate((Keyframe(1.0, 0.3),), t) == 0.3)


def test_project_round_trip(tmp_path: Path) -> None:
    kf = Keyframes().add("smile", 0.5, 0.8).add("gaze_x", 1.0, -0.5).add("nod", 0.2, 4.0)
    points = {"right_eye_outer": [10.0, 20.0], "chin": [30.5, 60.25]}
    p = engine.Project(
        portrait=tmp_path / "a.png", audio=tmp_path / "b.wav", keyframes=kf,
        face_points=points,
    )  # fmt: skip
    p.save(tmp_path / "p.talkie")
    q = engine.Project.load(tmp_path / "p.talkie")
    assert q.keyframes == kf
    assert q.face_points == points
    assert engine.Project.load(tmp_path / "p.talkie").to_dict() == q.to_dict()
    # Older projects (no keyframes) still load.
    d = p.to_dict()
    del d["keyframes"]
    assert engine.Project.from_dict(d).keyframes.empty


def test_expression_shapes_are_measured_sizes() -> None:
    shapes = expression_shapes()
    assert shapes.shape == (3, 468, 3)
    smile, brow, frown = (s.astype(np.float64) for s in shapes)
    spread = smile[mesh.MOUTH_LEFT, 0] - smile[mesh.MOUTH_RIGHT, 0]
    rise = -smile[[mesh.MOUTH_LEFT, mesh.MOUTH_RIGHT], 1].mean()
    assert 0.05 < spread < 0.2 and 0.03 < rise < 0.15  # wider, corners up (IOD units)
    brows = np.concatenate([mesh.RIGHT_BROW, mesh.LEFT_BROW])
    assert -brow[brows, 1].mean() > 0.03  # brows up
    assert frown[brows, 1].mean() > 0.02  # brows down
    assert frown[[mesh.MOUTH_LEFT, mesh.MOUTH_RIGHT], 1].mean() > 0.03  # corners down
    assert np.abs(smile[mesh.FOREHEAD]).max() < 1e-3  # the smile leaves the forehead alone


# --------------------------------------------------------- rendered frames ---


def test_smile_key_widens_the_mouth_near_the_key_only(rig: PortraitRig) -> None:
    kf = Keyframes().add("smile", 0.6, 0.0).add("smile", 1.0, 1.0).add("smile", 1.4, 0.0)
    motion = apply_keyframes(_still(), kf)
    base = _mouth_width(_detect(render_frame(rig, _still(), 0)))
    at_key = _mouth_width(_detect(render_frame(rig, motion, 25)))
    assert at_key > base + 0.02, (base, at_key)
    for far in (0, 45):  # 0.6 s and more from the key: as without keyframes
        assert np.array_equal(render_frame(rig, motion, far), render_frame(rig, _still(), far))
    # Eased: half-way up at 0.8 s, less than half the width gain at 0.7 s.
    xy = [frame_landmarks(rig, motion, i) for i in (15, 17, 20, 25)]
    w = [np.linalg.norm(p[mesh.MOUTH_LEFT] - p[mesh.MOUTH_RIGHT]) for p in xy]
    assert w[0] < w[1] < w[2] < w[3]
    assert (w[2] - w[0]) / (w[3] - w[0]) == pytest.approx(0.5, abs=0.05)


def _eye(rig: PortraitRig, e: int) -> np.ndarray:
    """The visible eye opening: the mesh's opening without the lid slack."""
    poly = eye_polygon(rig.vertices, e)
    c0, c1 = poly[0], poly[8]
    axis = (c1 - c0) / np.linalg.norm(c1 - c0)
    normal = np.array([-axis[1], axis[0]])
    return poly - (0.6 * ((poly - c0) @ normal))[:, None] * normal


def _iris_centroid(img: np.ndarray, poly: np.ndarray) -> np.ndarray:
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    ys, xs = np.nonzero(mask)
    lum = img[ys, xs].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    dark = lum < np.percentile(lum, 25)
    return np.array([xs[dark].mean(), ys[dark].mean()])


def _iris_shift(still: np.ndarray, img: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Where the still frame's iris (a patch around its dark centroid) went in ``img``, pixels."""
    cx, cy = (int(round(v)) for v in _iris_centroid(still, poly))
    r, search = 3, 7
    tmpl = still[cy - r : cy + r + 1, cx - r : cx + r + 1].astype(np.float32)
    area = img[cy - r - search : cy + r + search + 1, cx - r - search : cx + r + search + 1]
    res = cv2.matchTemplate(area.astype(np.float32), tmpl, cv2.TM_SQDIFF)
    y, x = np.unravel_index(int(np.argmin(res)), res.shape)
    return np.array([x - search, y - search], dtype=np.float64)


def test_gaze_keys_move_the_irises(rig: PortraitRig) -> None:
    # Down is keyed with the gaze back in the middle: a full glance aside and down at
    # once takes the iris into the eye's corner, where the lids hold it (gaze.py).
    kf = Keyframes().add("gaze_x", 0.0, 1.0).add("gaze_x", 1.0, -1.0).add("gaze_x", 1.9, 0.0)
    kf = kf.add("gaze_y", 1.0, 0.0).add("gaze_y", 1.9, 1.0)
    motion = apply_keyframes(_still(), kf)
    assert motion.gaze.shape == (FRAMES, 2)
    still = render_frame(rig, _still(), 0)
    right, left = render_frame(rig, motion, 0), render_frame(rig, motion, 25)
    down = render_frame(rig, motion, FRAMES - 1)
    width = np.linalg.norm(rig.landmarks[133, :2] - rig.landmarks[33, :2])
    for e in range(2):
        poly = _eye(rig, e)
        assert _iris_shift(still, still, poly).tolist() == [0, 0]
        assert _iris_shift(still, right, poly)[0] >= 0.1 * width
        assert _iris_shift(still, left, poly)[0] <= -0.1 * width
        assert _iris_shift(still, down, poly)[1] > 0
    # Only the eye openings change.
    changed = np.any(right != still, axis=2)
    ys, xs = np.nonzero(changed)
    lm = rig.landmarks[:, :2]
    eyes = np.concatenate([mesh.RIGHT_EYE_UPPER, mesh.LEFT_EYE_UPPER,
                           mesh.RIGHT_EYE_LOWER, mesh.LEFT_EYE_LOWER])
    assert ys.min() >= lm[eyes, 1].min() - 3 and ys.max() <= lm[eyes, 1].max() + 3
    assert xs.min() >= lm[eyes, 0].min() - 3 and xs.max() <= lm[eyes, 0].max() + 3


def _roll_yaw(lm: np.ndarray) -> tuple[float, float]:
    """Image roll of the eye line (degrees) and the nose's sideways offset (IOD)."""
    d = lm[mesh.LEFT_EYE_OUTER] - lm[mesh.RIGHT_EYE_OUTER]
    iod = np.linalg.norm(d)
    mid = 0.5 * (lm[mesh.LEFT_EYE_OUTER] + lm[mesh.RIGHT_EYE_OUTER])
    nose = (lm[mesh.NOSE_TIP] - mid) @ (d / iod) / iod
    return float(np.degrees(np.arctan2(d[1], d[0]))), float(nose)


def test_head_pose_keys_change_the_pose(rig: PortraitRig) -> None:
    kf = Keyframes().add("roll", 0.0, 10.0).add("yaw", 1.0, 0.0).add("yaw", 1.9, 15.0)
    kf = kf.add("roll", 1.0, 0.0)
    motion = apply_keyframes(_still(), kf)
    assert motion.pose[0, 2] == pytest.approx(np.radians(10.0))
    r0, n0 = _roll_yaw(_detect(render_frame(rig, _still(), 0)))
    r1, _ = _roll_yaw(_detect(render_frame(rig, motion, 0)))
    _, n2 = _roll_yaw(_detect(render_frame(rig, motion, FRAMES - 1)))
    assert r1 - r0 == pytest.approx(10.0, abs=3.0)  # + roll turns the face clockwise
    assert n2 - n0 < -0.05  # + yaw turns the nose towards image left
    # Nod: a pitch oscillation whose amplitude is keyed.
    nod = apply_keyframes(_still(), Keyframes().add("nod", 0.0, 6.0)).pose[:, 0]
    assert np.degrees(np.abs(nod).max()) == pytest.approx(6.0, abs=0.5)
    assert np.sum(np.diff(np.sign(nod[1:])) != 0) >= 4  # it oscillates
    # A keyed pitch drops the face as the speech's nods do, a little at most for a head
    # keyed far down (the band round the face would fold).
    for deg, lo, hi in ((5.0, 0.055, 0.065), (-5.0, -0.065, -0.055), (45.0, 0.13, 0.14)):
        drop = apply_keyframes(_still(), Keyframes().add("pitch", 0.0, deg)).pose[:, 4]
        assert lo < drop.min() <= drop.max() < hi, (deg, drop.max())
