"""Helpers of the full-size mouth and eye tests (test_mouth_full_size.py,
test_eyes_full_size.py): a portrait's rig, a one-shape motion track, a polygon's mask."""

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
