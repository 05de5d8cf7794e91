"""Landmark geometry shared by data preparation, the model and its evaluation.

Everything here is numpy only (no torch, no onnxruntime), so that the app and
the evaluation can use it without the training stack.

Canonical frame used by the model (``CANON_CONVENTION = "image"``): a face's
468 landmarks with rotation, translation and uniform scale removed by a
similarity Procrustes fit on stable points (eyes, brows, nose, forehead; not
the mouth or jaw) to a reference face, then scaled so that the inter-ocular
distance (landmarks 33 and 263) is 1.0. Axes follow the image: x to the image
right, y down, z away from the camera (MediaPipe's pixel convention), origin
at the midpoint of 33 and 263.
"""

from __future__ import annotations

import numpy as np

from engine.face.align import umeyama

CANON_CONVENTION = "image"
EYE_R_OUT, EYE_L_OUT = 33, 263
LIP_UP, LIP_LO = 13, 14

#: MediaPipe FaceMesh lips (outer and inner contours).
LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37,
              39, 40, 185)
LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82,
              81, 80, 191)
MOUTH = tuple(sorted(set(LIPS_OUTER + LIPS_INNER)))
#: Lower face oval (jaw line, ear to ear under the chin).
JAW = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)
MOUTH_JAW = tuple(sorted(set(MOUTH + JAW)))
#: Points that move little with speech: used for the rigid fit.
STABLE = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 151, 9, 8, 70, 63, 105, 66, 107,
          336, 296, 334, 293, 300, 46, 53, 52, 65, 55, 285, 295, 282, 283, 276, 226, 446,
          130, 359, 143, 372, 116, 345, 234, 454, 127, 356, 21, 251, 54, 284, 103, 332)


def iod(landmarks: np.ndarray) -> float:
    """Inter-ocular distance (outer eye corners) of ``(468, 2|3)`` landmarks, x/y only."""
    return float(np.linalg.norm(landmarks[EYE_R_OUT, :2] - landmarks[EYE_L_OUT, :2]))


def mouth_opening(canon: np.ndarray) -> np.ndarray:
    """Inner-lip gap (13-14, x/y) of ``(..., 468, 3)`` canonical landmarks, IOD units."""
    d = canon[..., LIP_UP, :2] - canon[..., LIP_LO, :2]
    return np.linalg.norm(d, axis=-1).astype(np.float32)


def reference_from(landmarks: np.ndarray) -> np.ndarray:
    """A reference face in the canonical frame from pixel landmarks (roll and scale removed)."""
    lm = np.asarray(landmarks, np.float64)
    c = 0.5 * (lm[EYE_R_OUT] + lm[EYE_L_OUT])
    d = lm[EYE_L_OUT, :2] - lm[EYE_R_OUT, :2]
    ang = np.arctan2(d[1], d[0])
    ca, sa = np.cos(-ang), np.sin(-ang)
    rot = np.array([[ca, -sa, 0], [sa, ca, 0], [0, 0, 1]])
    out = (lm - c) @ rot.T / max(np.linalg.norm(d), 1e-9)
    return out.astype(np.float32)


def to_canonical_frames(lm: np.ndarray, reference: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Rigidly align ``(T, 468, 3)`` pixel landmarks to ``reference`` (canonical).

    Returns:
        ``(canon (T, 468, 3) float32, pose (T, 6) float32)``: pose is pitch, yaw,
        roll (radians, of the face in the image), tx, ty (the eye midpoint in
        units of the clip's median IOD, relative to the clip's median), log scale
        (IOD relative to the clip's median IOD).
    """
    lm = np.asarray(lm, np.float64)
    idx = np.array(STABLE)
    ref = np.asarray(reference, np.float64)
    t_n = lm.shape[0]
    canon = np.zeros_like(lm)
    angles = np.zeros((t_n, 3))
    scales = np.zeros(t_n)
    for i in range(t_n):
        sim = umeyama(lm[i, idx], ref[idx])
        x = sim.apply(lm[i])
        # re-centre and re-scale exactly: IOD 1, origin at the eye midpoint
        c = 0.5 * (x[EYE_R_OUT] + x[EYE_L_OUT])
        x = (x - c) / max(np.linalg.norm(x[EYE_R_OUT, :2] - x[EYE_L_OUT, :2]), 1e-9)
        canon[i] = x
        rr = sim.R.T  # rotation of the face in the image
        angles[i] = (np.arctan2(rr[2, 1], rr[2, 2]), np.arcsin(-np.clip(rr[2, 0], -1, 1)),
                     np.arctan2(rr[1, 0], rr[0, 0]))
        scales[i] = 1.0 / sim.scale
    eyes = 0.5 * (lm[:, EYE_R_OUT, :2] + lm[:, EYE_L_OUT, :2])
    iods = np.linalg.norm(lm[:, EYE_R_OUT, :2] - lm[:, EYE_L_OUT, :2], axis=1)
    med = float(np.median(iods))
    trans = (eyes - np.median(eyes, 0)) / max(med, 1e-9)
    pose = np.concatenate([angles, trans, np.log(scales / np.median(scales))[:, None]], 1)
    return canon.astype(np.float32), pose.astype(np.float32)
