"""The motion interface between motion sources and the renderer.

A motion source (the phonetic model, the GAN) produces a :class:`MotionTrack`:
everything the renderer needs to pose the face at frame ``i``, expressed
relative to the face's own size so that it transfers to any portrait.

Units: the *canonical frame* is the portrait's face, rigidly aligned
(rotation, translation, uniform scale removed) and scaled so that the
inter-ocular distance (outer eye corners, landmarks 33 and 263) is 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Column order of :attr:`MotionTrack.pose`.
POSE_FIELDS = ("pitch", "yaw", "roll", "tx", "ty", "log_scale")


#: The gaze lanes' unit (:attr:`MotionTrack.gaze` 1): the iris's largest travel sideways,
#: as a fraction of the eye's width: about 25 degrees of eye rotation by geometry (12 mm
#: eyeball radius, 28 mm eye width); GRID's largest measured glances reach a third of it
#: (assets/motion/EXPRESSIONS.md). Drawn by :mod:`engine.render.gaze`.
TRAVEL_X = 0.18
#: ... and up and down: about 11 degrees, where the iris centre meets the fixed upper lid
#: (the lids do not follow the gaze).
TRAVEL_Y = 0.08


@dataclass(frozen=True)
class MotionTrack:
    """Per-frame face motion.

    Attributes:
        fps: frames per second of every per-frame array.
        basis: ``(K, 468, 3) float32``, canonical units. Expression shapes.
        coeffs: ``(T, K) float32``. Frame ``i``'s expression displacement is
            ``coeffs[i] @ basis`` (canonical units, added to the neutral face).
        pose: ``(T, 6) float32``: pitch, yaw, roll in radians, tx, ty in
            canonical units, log of scale. Applied about a pivot near the neck.
        eyelids: ``(T, 2) float32`` closure, 0 open .. 1 closed, for the
            subject's right eye (landmarks around 33) then left eye (around 263).
        mouth_open: ``(T,) float32`` inner-lip opening in canonical units,
            for display on the timeline and for self-checks.
        gaze: ``(T, 2) float32`` iris offset, x (+ image right) and y (+ down),
            -1..1 of the iris's largest travel inside the eye (see
            :mod:`engine.render.gaze`). ``None`` (the default) means zeros.
    """

    fps: float
    basis: np.ndarray
    coeffs: np.ndarray
    pose: np.ndarray
    eyelids: np.ndarray
    mouth_open: np.ndarray
    gaze: np.ndarray = field(default=None)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if self.gaze is None:
            object.__setattr__(
                self, "gaze", np.zeros((int(self.coeffs.shape[0]), 2), dtype=np.float32)
            )

    @property
    def frame_count(self) -> int:
        return int(self.coeffs.shape[0])

    def expression(self, i: int) -> np.ndarray:
        """``(468, 3) float32`` displacement of frame ``i``, canonical units."""
        i = min(max(i, 0), self.frame_count - 1)
        return np.tensordot(self.coeffs[i], self.basis, axes=1).astype(np.float32)
