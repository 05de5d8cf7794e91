"""Full-resolution renderer: warps the portrait's own pixels to each frame's face.

Public API:
    :class:`PortraitRig` -- per-portrait data, built once with ``PortraitRig.build``.
    :func:`render_frame` -- ``render_frame(rig, motion, index, size=None)``, pure.
    :func:`moving_box` -- where frames may differ from the portrait.
"""

from __future__ import annotations

from engine.render.frame import moving_box, output_size, render_frame
from engine.render.pose import frame_landmarks
from engine.render.rig import PortraitRig

__all__ = ["PortraitRig", "frame_landmarks", "moving_box", "output_size", "render_frame"]
