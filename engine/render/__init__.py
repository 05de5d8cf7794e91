"""Full-resolution renderer: warps the portrait's own pixels to each frame's face.

Public API:
    :class:`PortraitRig` -- per-portrait data, built once with ``PortraitRig.build``.
    :func:`render_frame` -- ``render_frame(rig, motion, index, size=None)``, pure.
    :class:`Renderer` -- the same, bound to one rig.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.motion.track import MotionTrack
from engine.render.frame import output_size, render_frame
from engine.render.pose import frame_landmarks
from engine.render.rig import PortraitRig


class Renderer:
    """A rig with :func:`render_frame` bound to it. Stateless apart from the rig.

    Args:
        source: a :class:`PortraitRig`, or anything with a ``rig`` attribute
            holding one (such as ``engine.analysis.PortraitAnalysis``).
    """

    def __init__(self, source: Any) -> None:
        rig = source if isinstance(source, PortraitRig) else getattr(source, "rig", None)
        if not isinstance(rig, PortraitRig):
            raise TypeError("Renderer needs a PortraitRig or an object with a .rig")
        self.rig = rig

    def render(self, motion: MotionTrack, index: int, size: int | None = None) -> np.ndarray:
        """See :func:`render_frame`."""
        return render_frame(self.rig, motion, index, size)


__all__ = ["PortraitRig", "Renderer", "frame_landmarks", "output_size", "render_frame"]
