"""Helpers of the full-size mouth and eye tests (test_mouth_full_size.py, test_mouth_own_teeth.py,
test_mouth_light.py, test_eyes_full_size.py): a portrait's rig, a one-shape motion track,
a jaw that drops, a polygon's mask, real portraits and video frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine.face import detect_faces
from engine.motion.track import MotionTrack
from engine.render import PortraitRig

ROOT = Path(__file__).resolve().parent.parent
LUMA = np.array([0.299, 0.587, 0.114])


def portrait_rig(rgb: np.ndarray) -> PortraitRig:
    """The rig of the face ``engine.face`` finds in ``rgb`` (it must find one)."""
    faces = detect_faces(rgb)
    assert faces, "engine.face found no face"
    return PortraitRig.build(rgb, None, faces[0].landmarks)


def motion_track(basis: np.ndarray, coeffs: list[float], lids: float = 0.0) -> MotionTrack:
    """A track of ``len(coeffs)`` frames moving one ``(468, 3)`` shape by ``coeffs``, the
    head still, both lids at ``lids``."""
    t = len(coeffs)
    return MotionTrack(25.0, basis[None].astype(np.float32),
                       np.asarray(coeffs, np.float32)[:, None], np.zeros((t, 6), np.float32),
                       np.full((t, 2), lids, np.float32), np.zeros(t, np.float32))


def polygon_mask(shape: tuple[int, ...], pts: np.ndarray) -> np.ndarray:
    """``shape[:2] bool``: inside the polygon ``pts (n, 2)``, pixels."""
    m = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m.astype(bool)


def astronaut_1024() -> tuple[np.ndarray, PortraitRig]:
    """scikit-image's astronaut at 1024 px (smiling, eyes open) and its rig."""
    from skimage import data

    rgb = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    return rgb, portrait_rig(rgb)


def grace_hopper_1024() -> np.ndarray:
    """Grace Hopper (US Navy photograph, public domain; matplotlib's sample data, an
    evaluation dependency) at a long edge of 1024 px, ``(1024, 874, 3) uint8`` RGB: a sharp
    photo of a lined face in glasses."""
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
        rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR),
                           cv2.COLOR_BGR2RGB)
    f = 1024 / max(rgb.shape[:2])
    return cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)


def jaw() -> np.ndarray:
    """``(468, 3)`` at weight 1 the lower lip and the chin drop (canonical units)."""
    from engine.render import topology as topo

    d = np.zeros((468, 3))
    d[topo.LIPS_INNER_LOWER[1:-1], 1] = 1.0
    d[topo.LIPS_OUTER_LOWER[1:-1], 1] = 0.9
    d[topo.CHIN, 1] = 0.8
    return d


def closed_lips_frame(grid: Path) -> np.ndarray:
    """GRID s4hq bbaf2a, frame 12 ``(576, 720, 3) uint8``: her lips closed, no teeth showing."""
    return video_frame(grid / "s4hq" / "video" / "bbaf2a.mp4", 12)


def video_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` of a video, ``(H, W, 3) uint8`` RGB."""
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for _, f in zip(range(index + 1),
                                                             c.decode(video=0),
                                                             strict=False)][-1]


def crease_roughness(rgb: np.ndarray, xy: np.ndarray) -> float:
    """How dotted the line where two lips meet is (luma levels): along the middle
    between the inner-lip contours of ``xy (468, 2+)``, over the middle 70 % of the mouth
    every half pixel, the darkest luma within 2.5 px across it, less that profile
    smoothed (Gaussian, 3 px): its standard deviation."""
    from engine.render import topology as topo
    from engine.render.lips import mouth_normal

    up = xy[topo.LIPS_INNER_UPPER, :2].astype(np.float64)
    lo = xy[topo.LIPS_INNER_LOWER, :2].astype(np.float64)
    mid = (up + lo) / 2
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(mid, axis=0), axis=1))])
    t = np.arange(0.15 * s[-1], 0.85 * s[-1], 0.5)
    pts = np.stack([np.interp(t, s, mid[:, 0]), np.interp(t, s, mid[:, 1])], 1)
    across = pts[:, None, :] + np.arange(-2.5, 2.51, 0.5)[None, :, None] * mouth_normal(xy[:, :2])
    luma = rgb[..., :3].astype(np.float32) @ LUMA.astype(np.float32)
    prof = cv2.remap(luma, across[..., 0].astype(np.float32), across[..., 1].astype(np.float32),
                     cv2.INTER_LINEAR).min(axis=1).astype(np.float64)
    return float(np.std(prof - cv2.GaussianBlur(prof.reshape(-1, 1), (0, 0), 6.0).ravel()))
