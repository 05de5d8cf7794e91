"""The inside of a mouth drawn in flat paint, drawn as a cartoonist draws it.

A face drawn in flat colours (:func:`engine.render.samples.flat_paint`,
``PortraitRig.paint``) opens onto a hole of one dark colour, the upper teeth as one
white shape under the upper lip and, once the mouth is wide, a tongue of one colour
rising from the lower lip: no shading, no gaps between the teeth, edges as crisp as the
drawing's own (anti-aliased over a pixel). The shaded inside that a photographed
animal gets (:func:`engine.render.mouth._painted`, gradients, tooth gaps and a blur)
read at full size on a flat drawing as a grey, blurred band over a brown smear.
"""

from __future__ import annotations

import numpy as np

from engine.render.interior import TONGUE, smoothstep

#: The hole: the lips' colour times this, per channel (a deep maroon under red, cream
#: or yellow lips alike).
HOLE = np.array([0.32, 0.16, 0.16], np.float32)
#: The tongue: a flat pink-red, half its own and half the lips' colour times the
#: second value.
TONGUE_RGB = np.array([214.0, 92.0, 100.0], np.float32)
TONGUE_LIP = np.array([1.0, 0.6, 0.6], np.float32)
#: Teeth: white, as drawn (a drawing's eye whites are often tinted blue or lavender by
#: their shading: the cartoon sample's read (191, 191, 254), and teeth of that colour
#: looked painted on).
WHITE = np.array([250.0, 250.0, 246.0], np.float32)
#: The teeth fill this share of the gap under the upper lip, up to the second value
#: (inter-ocular distances), and end in a round arch this share of the half-width from
#: the middle.
TEETH_SHARE, TEETH_MAX = 0.4, 0.08
TEETH_ARCH = 0.8
#: The tongue rises this share of the gap at the middle, across this share of the
#: half-width, growing (not fading) in as the mouth opens wide (:data:`TONGUE`).
TONGUE_SHARE, TONGUE_ARCH = 0.4, 0.7


def flat_inside(lip_rgb: np.ndarray, opening: float,
                u: np.ndarray, d_top: np.ndarray, d_bot: np.ndarray, iod: float,
                teeth: bool = True) -> np.ndarray:
    """``(h, w, 3) float32`` 0..255: the inside of a flat-paint mouth.

    Args:
        lip_rgb: ``(3,)`` the lips' colour, 0..255.
        opening: the gap at the mouth's middle, inter-ocular distances.
        u: ``(h, w)`` 0..1 from one mouth corner to the other; d_top, d_bot: ``(h, w)``
            pixels below the upper lip and above the lower lip.
        iod: inter-ocular distance, pixels.
        teeth: whether to draw the upper teeth (not where the portrait's own lips were
            parted: what lay between them is the hole).
    """
    lip = np.asarray(lip_rgb, np.float32)
    side = np.abs(2.0 * u - 1.0)
    gap = np.maximum(d_top + d_bot, 0.0)
    color = np.empty((*u.shape, 3), np.float32)
    color[:] = lip * HOLE

    # One pixel of anti-aliasing at each edge: crisp as drawn, without stair steps.
    def inside(x: np.ndarray) -> np.ndarray:
        return np.clip(x + 0.5, 0.0, 1.0)

    grow = float(smoothstep(opening, *TONGUE))
    if grow > 0.0:
        dome = grow * TONGUE_SHARE * opening * iod * np.sqrt(
            np.clip(1.0 - (side / TONGUE_ARCH) ** 2, 0.0, 1.0))
        tongue = 0.5 * (TONGUE_RGB + lip * TONGUE_LIP)
        a = inside(dome - d_bot) * inside(dome - 0.5)
        color += a[..., None] * (tongue - color)

    if not teeth:
        return color
    arch = np.sqrt(np.clip(1.0 - (side / TEETH_ARCH) ** 2, 0.0, 1.0))
    height = np.minimum(TEETH_SHARE * gap, TEETH_MAX * iod) * arch
    a = inside(height - d_top) * inside(height - 0.5)
    color += a[..., None] * (WHITE - color)
    return color
