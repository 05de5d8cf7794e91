"""The 468-point face mesh: canonical shape, triangles and named landmark groups.

The numbering is MediaPipe's face mesh. "Right" and "left" are the
subject's: the subject's right eye (corners 33 and 133) appears on the
image's left in a frontal, unmirrored portrait.

Loaded from ``assets/models/face_mesh.npz`` (made by
``tools/convert_face_models.py``) on first import:

- :data:`CANONICAL_CM`: ``(468, 3) float32``, MediaPipe's canonical face
  model in centimetres; x to the image right (subject's left), y up, z
  towards the viewer.
- :data:`CANONICAL`: the same shape in the canonical frame of
  :mod:`engine.face.align`: x right, y *down*, z *away from the viewer*
  (the same handedness as image pixels), scaled so that the inter-ocular
  distance (landmarks 33 to 263) is 1.0, centred on the midpoint of the
  two outer eye corners.
- :data:`TRIANGLES`: ``(852, 3) int32``, the face-mesh triangulation
  (0-based vertex indices). It leaves the eye and mouth openings open.
- :data:`EDGES`: ``(E, 2) int32``, the tessellation's unique undirected
  edges (``i < j``).

Index groups are ``(n,) int32`` arrays. Polygons and contours are ordered.
"""

from __future__ import annotations

import numpy as np

from engine.errors import ModelError
from engine.paths import asset


def _load() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = asset("models", "face_mesh.npz")
    try:
        with np.load(path) as data:
            canonical = np.asarray(data["canonical"], dtype=np.float32)
            triangles = np.asarray(data["triangles"], dtype=np.int32)
            edges = np.asarray(data["edges"], dtype=np.int32)
    except FileNotFoundError:
        raise ModelError(
            f"The face mesh file is missing ({path}). Reinstall Talkie to restore it."
        ) from None
    except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
        raise ModelError(
            f"The face mesh file {path} is damaged ({exc}). Reinstall Talkie to restore it."
        ) from exc
    if canonical.shape != (468, 3) or triangles.ndim != 2 or triangles.shape[1] != 3:
        raise ModelError(f"The face mesh file {path} is damaged. Reinstall Talkie to restore it.")
    return canonical, triangles, edges


def _idx(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int32)


# --- single landmarks -------------------------------------------------------
#: Outer and inner corner of the subject's right eye (image left).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
#: Inner and outer corner of the subject's left eye (image right).
LEFT_EYE_INNER, LEFT_EYE_OUTER = 362, 263
#: Mouth corners (outer lip contour): subject's right, subject's left.
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
#: Midpoints of the inner lip contour: upper lip, lower lip.
UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
#: Nose tip.
NOSE_TIP = 1
#: Chin (bottom of the face oval).
CHIN = 152
#: Top of the forehead on the face oval.
FOREHEAD = 10

# --- ordered contours ---------------------------------------------------------
#: Outer lip, closed polygon (20 points): upper lip from corner 61 to corner
#: 291, then the lower lip back towards 61.
LIPS_OUTER = _idx(
    61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291,
    375, 321, 405, 314, 17, 84, 181, 91, 146,
)  # fmt: skip
#: Inner lip (the mouth opening), closed polygon (20 points): upper lip from
#: inner corner 78 to 308, then the lower lip back towards 78.
LIPS_INNER = _idx(
    78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308,
    324, 318, 402, 317, 14, 87, 178, 88, 95,
)  # fmt: skip

#: Upper-lid margin of the subject's right eye, outer corner 33 to inner corner 133.
RIGHT_EYE_UPPER = _idx(33, 246, 161, 160, 159, 158, 157, 173, 133)
#: Lower-lid margin of the subject's right eye, outer corner 33 to inner corner 133.
RIGHT_EYE_LOWER = _idx(33, 7, 163, 144, 145, 153, 154, 155, 133)
#: Upper-lid margin of the subject's left eye, outer corner 263 to inner corner 362.
LEFT_EYE_UPPER = _idx(263, 466, 388, 387, 386, 385, 384, 398, 362)
#: Lower-lid margin of the subject's left eye, outer corner 263 to inner corner 362.
LEFT_EYE_LOWER = _idx(263, 249, 390, 373, 374, 380, 381, 382, 362)

#: Subject's right brow, closed polygon: upper edge outer (70) to inner (107),
#: then the lower edge inner (55) to outer (46).
RIGHT_BROW = _idx(70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
#: Subject's left brow, closed polygon: upper edge outer (300) to inner (336),
#: then the lower edge inner (285) to outer (276).
LEFT_BROW = _idx(300, 293, 334, 296, 336, 285, 295, 282, 283, 276)

#: Face oval, closed polygon (36 points), from the forehead (10) clockwise in
#: the image (towards the subject's left first), through the chin (152).
FACE_OVAL = _idx(
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip

#: Nose ridge from between the eyes (168) to the tip (1) and below (2).
NOSE_BRIDGE = _idx(168, 6, 197, 195, 5, 4, 1, 19, 94, 2)

CANONICAL_CM, TRIANGLES, EDGES = _load()

_iod_cm = float(np.linalg.norm(CANONICAL_CM[LEFT_EYE_OUTER] - CANONICAL_CM[RIGHT_EYE_OUTER]))
_centre_cm = 0.5 * (CANONICAL_CM[LEFT_EYE_OUTER] + CANONICAL_CM[RIGHT_EYE_OUTER])
#: Canonical shape in the canonical frame (see module docstring): ``(468, 3) float32``.
CANONICAL: np.ndarray = (
    (CANONICAL_CM - _centre_cm) * np.array([1.0, -1.0, -1.0], dtype=np.float32) / _iod_cm
).astype(np.float32)
#: The face mesh's edges for drawing it (the studio's mesh overlay): :data:`EDGES`.
MESH_EDGES = EDGES
for _a in (CANONICAL_CM, CANONICAL, TRIANGLES, EDGES):
    _a.setflags(write=False)


def _stable_points() -> np.ndarray:
    """Points that expressions barely move: forehead, temples, nose, eye corners.

    Everything below the nose tip (mouth, jaw, chin, lower cheeks) is left out,
    and so are the lids and brows.
    """
    y_up = CANONICAL_CM[:, 1]
    keep = y_up > CANONICAL_CM[NOSE_TIP, 1] - 0.25
    moving = np.concatenate(
        [RIGHT_EYE_UPPER[1:-1], RIGHT_EYE_LOWER[1:-1], LEFT_EYE_UPPER[1:-1], LEFT_EYE_LOWER[1:-1],
         RIGHT_BROW, LEFT_BROW]
    )  # fmt: skip
    keep[moving] = False
    return np.flatnonzero(keep).astype(np.int32)


#: Landmarks used to fit the head pose (see :func:`engine.face.align.to_canonical`).
STABLE = _stable_points()
STABLE.setflags(write=False)

__all__ = [
    "CANONICAL",
    "CANONICAL_CM",
    "CHIN",
    "EDGES",
    "FACE_OVAL",
    "FOREHEAD",
    "LEFT_BROW",
    "LEFT_EYE_INNER",
    "LEFT_EYE_LOWER",
    "LEFT_EYE_OUTER",
    "LEFT_EYE_UPPER",
    "LIPS_INNER",
    "LIPS_OUTER",
    "LOWER_LIP_INNER",
    "MOUTH_LEFT",
    "MOUTH_RIGHT",
    "NOSE_BRIDGE",
    "NOSE_TIP",
    "RIGHT_BROW",
    "RIGHT_EYE_INNER",
    "RIGHT_EYE_LOWER",
    "RIGHT_EYE_OUTER",
    "RIGHT_EYE_UPPER",
    "STABLE",
    "TRIANGLES",
    "UPPER_LIP_INNER",
]
