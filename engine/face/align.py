"""Remove head pose: map image landmarks to the canonical, pose-free frame and back.

The canonical frame is that of :data:`engine.face.mesh.CANONICAL`: x to the
image right, y down, z away from the viewer (the handedness of image
pixels with MediaPipe's z), origin between the outer eye corners, units of
inter-ocular distance (landmark 33 to 263 = 1.0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.face import mesh


@dataclass(frozen=True, eq=False)
class Similarity:
    """A similarity transform ``p' = scale * R @ p + t`` (row vectors: ``p @ R.T``).

    Attributes:
        scale: uniform scale (canonical units per image pixel for
            :func:`to_canonical`'s result).
        R: ``(D, D) float64`` rotation (det +1); D = 3, or 2 for image-plane fits.
        t: ``(D,) float64`` translation, in the output's units.
    """

    scale: float
    R: np.ndarray
    t: np.ndarray

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, D)`` points forward. Returns ``(N, D) float64``."""
        return self.scale * (np.asarray(points, dtype=np.float64) @ self.R.T) + self.t

    def invert(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, D)`` points back. Returns ``(N, D) float64``."""
        return ((np.asarray(points, dtype=np.float64) - self.t) @ self.R) / self.scale


def umeyama(src: np.ndarray, dst: np.ndarray) -> Similarity:
    """Least-squares similarity taking ``src (N, D)`` onto ``dst (N, D)`` (Umeyama 1991).

    The rotation is proper (no reflection).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    var_s = float((a * a).sum()) / len(src)
    cov = (b.T @ a) / len(src)
    u, d, vt = np.linalg.svd(cov)
    s = np.ones(src.shape[1])
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        s[-1] = -1.0
    rot = u @ np.diag(s) @ vt
    scale = float((d * s).sum()) / var_s if var_s > 0 else 1.0
    t = mu_d - scale * rot @ mu_s
    return Similarity(scale, rot, t)


def to_canonical(landmarks: np.ndarray) -> tuple[np.ndarray, Similarity]:
    """Remove rotation, translation and scale from a face's landmarks.

    The pose is fitted on :data:`engine.face.mesh.STABLE` points only
    (forehead, temples, nose, eye corners), so that an open mouth or a
    raised brow does not tilt the head. The result is then rescaled so
    that its own inter-ocular distance (33 to 263) is exactly 1.0.

    Args:
        landmarks: ``(468, 3)`` image landmarks, x/y in pixels and z in the
            same scale (MediaPipe convention).

    Returns:
        ``(canon, sim)``: ``canon`` is ``(468, 3) float32`` in the canonical
        frame; ``sim`` maps image landmarks to it (``canon == sim.apply(landmarks)``).
    """
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (468, 3):
        raise ValueError(f"expected (468, 3) landmarks, got {pts.shape}")
    sim = umeyama(pts[mesh.STABLE], mesh.CANONICAL[mesh.STABLE])
    canon = sim.apply(pts)
    iod = float(np.linalg.norm(canon[mesh.LEFT_EYE_OUTER] - canon[mesh.RIGHT_EYE_OUTER]))
    if iod > 0:
        k = 1.0 / iod
        sim = Similarity(sim.scale * k, sim.R, sim.t * k)
        canon = canon * k
    return canon.astype(np.float32), sim


def from_canonical(points: np.ndarray, sim: Similarity) -> np.ndarray:
    """Map canonical-frame ``(N, 3)`` points back to image pixels with ``sim``.

    Returns ``(N, 3) float32``: x/y pixels, z in the same scale.
    """
    return sim.invert(points).astype(np.float32)


def face_angles(sim: Similarity) -> tuple[float, float, float]:
    """``(pitch, yaw, roll)`` radians: the face's rotation in the image, from the
    similarity :func:`to_canonical` fitted (its rotation maps the image to the face)."""
    r = sim.R.T
    return (math.atan2(r[2, 1], r[2, 2]), math.asin(float(np.clip(-r[2, 0], -1.0, 1.0))),
            math.atan2(r[1, 0], r[0, 0]))
