"""Full-resolution renderer: warps the portrait's own pixels to each frame's face.

Public API:
    :class:`PortraitRig` -- per-portrait data, built once with ``PortraitRig.build``.
    :func:`render_frame` -- ``render_frame(rig, motion, index, size=None)``, pure.
"""

from __future__ import annotations

from engine.render.frame import output_size, render_frame
from engine.render.pose import frame_landmarks
from engine.render.rig import PortraitRig

__all__ = ["PortraitRig", "frame_landmarks", "output_size", "render_frame"]
