"""The outline of an eye's lids, pushed out past the face mesh's lid lines.

Shared by the painted lids (:mod:`engine.render.painted_lids`), a drawn eye's outline
(:mod:`engine.render.drawn_eye`) and the test for dark glasses
(:func:`engine.render.samples.eyes_shown`).
"""

from __future__ import annotations

import numpy as np


def lid_outline(upper: np.ndarray, lower: np.ndarray, margin: float | np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The eye's upper and lower lid lines ``(9, 2)`` pushed out by ``margin`` pixels.

    ``upper``/``lower``: ``(9, 2)`` lid points corner to corner (shared corners).
    The corners move apart along the eye's axis, the lids away from each other.
    ``margin``: one distance, or ``(2, 9)`` per point (upper lid, lower lid; the
    corners' from the upper row).
    """
    axis, down = eye_frame(upper, lower)
    m = np.broadcast_to(np.asarray(margin, np.float64), (2, len(upper)))
    up_m = upper - m[0][:, None] * down
    lo_m = lower + m[1][:, None] * down
    for out in (up_m, lo_m):
        out[0] = upper[0] - m[0, 0] * axis
        out[-1] = upper[-1] + m[0, -1] * axis
    return up_m, lo_m


def eye_frame(upper: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(axis, down)``: unit vectors along the eye, corner to corner, and across it
    from the upper lid to the lower."""
    axis = upper[-1] - upper[0]
    axis = axis / max(float(np.linalg.norm(axis)), 1e-9)
    down = np.array([-axis[1], axis[0]])
    if float((lower - upper).mean(axis=0) @ down) < 0:
        down = -down
    return axis, down
