"""The gap that opens between a portrait's own teeth (:func:`engine.render.mouth.paint_mouth`).

A portrait that shows its teeth keeps them: they move with the head and the jaw
(:mod:`engine.render.lips`), and only what opens between its two contents is painted,
in the mouth's own frame (``u`` 0..1 corner to corner, distances below the gap's upper
edge and above its lower edge, pixels): a cavity, a tongue as the mouth opens wide, and
the teeth the portrait hides behind a lip that a wider mouth shows: GRID s1's lower
teeth in the colour of the portrait's own where it shows no lower teeth, his upper
teeth in the portrait's light where it shows no upper ones.
"""

from __future__ import annotations

import numpy as np

from engine.render.colour import LUMA
from engine.render.interior import (
    CORRIDOR,
    LOWER_IOD,
    UPPER_IOD,
    UPPER_TEETH,
    InteriorBank,
    bank,
    bank_teeth_rgb,
    cavity_shade,
    lay_tongue,
    smoothstep,
    strip,
)
from engine.render.lips import COLUMNS
from engine.render.rig import PortraitRig

#: A portrait's own lower content thinner than this (IODs) shows no lower teeth
#: (fully drawn in below the first value, not at all above the second); likewise its
#: upper teeth, ending nearer their lip than this.
OWN_LOWER = (0.012, 0.03)
#: Share of the gap's height that those lower teeth fill at most.
OWN_LOWER_SHARE = 0.5
#: Those lower teeth stand in the shade of the upper ones: this share of their light.
OWN_LOWER_SHADE = 0.85
#: Share of the gap's height that upper teeth fill at most, where the portrait's own
#: upper teeth are shorter than :data:`OWN_LOWER` (its upper lip covers them): GRID s1's
#: upper teeth end 0.07 IOD under his lip (``interior.UPPER_TEETH``), half his widest
#: openings (0.14), as :data:`OWN_LOWER_SHARE` holds the lower ones to half. (0.4, the
#: first value tried, read the same on the validation clips to within 0.2 CIEDE2000.)
OWN_UPPER_SHARE = 0.5


def own_interior(rig: PortraitRig, u: np.ndarray, d_top: np.ndarray, d_bot: np.ndarray,
                 gap: np.ndarray, opening: float, iod: float, width: float, blur: float,
                 human: bool, tongue: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """``(h, w, 3) float32`` 0..255: what opens between a portrait's own teeth.

    Args:
        rig: the portrait (``keep_teeth``).
        u, d_top, d_bot, gap: ``(h, w)`` mouth coordinate (0..1) and distances below the
            gap's upper edge, above its lower edge and between them, pixels.
        opening: the whole mouth's opening at its middle, IODs (the tongue shows with it,
            not with the gap alone).
        iod: inter-ocular distance, pixels; width: the mouth's width, IODs.
        blur: how soft the picture is here, pixels (:func:`engine.render.interior.strip`).
        human: a human face (s1's cavity and upper teeth suit it; a cartoon's or an
            animal's keeps its own dark).
        tongue: the tongue's footing, :func:`engine.render.interior.lay_tongue`'s
            ``rigid``.
    """
    color = _cavity(rig, u, d_top, d_bot, iod, human)
    lay_tongue(color, rig.lip_rgb, opening, u, d_top, d_bot, iod, rigid=tongue)
    _lower_teeth(color, rig, u, d_bot, gap, iod, width, blur)
    if human:
        _upper_teeth(color, rig, u, d_top, gap, iod, width, blur)
    return color


def _cavity(rig: PortraitRig, u: np.ndarray, d_top: np.ndarray, d_bot: np.ndarray,
            iod: float, human: bool) -> np.ndarray:
    """The cavity, ``(h, w, 3) float32``: on a ``human`` face GRID s1's cavity in the
    portrait's light (:func:`engine.render.interior.cavity_shade`), or the portrait's own
    darkest tenth where that is lighter; else (a cartoon, an animal, or without the
    interior asset) its own darkest tenth, lighter near the teeth and darker towards the
    corners. The darkest tenth alone was near black (luma 5 to 20 on CREMA-D 1001's
    parted lips) and opened into a hole: with the real motion replayed from frames open
    half as wide as the widest (``tools/mouth_eval.py --portrait half``), the inside's
    colour was 6.4 CIEDE2000 from the real one on CREMA-D (median; 3.6 now, with the
    upper teeth and the tongue)."""
    own = rig.cavity_rgb.astype(np.float32)
    b = bank()
    if b is None or not human:
        side = np.abs(2.0 * u - 1.0)
        edge = np.exp(-np.maximum(np.minimum(d_top, d_bot), 0.0) / max(0.04 * iod, 1.0))
        return ((0.3 + 0.45 * edge) * (1.0 - 0.4 * side**2))[..., None] * own
    lit = b.cavity_rgb * rig.teeth_gain
    colour = lit if float(lit @ LUMA) > float(own @ LUMA) else own
    # Under the portrait's own upper teeth, not under a lip: their biting edges stand as
    # deep in the mouth as s1's upper teeth are long, and little light reaches past them;
    # along the whole mouth, its corners too (a smile's teeth end short of its corners,
    # where the gap opens under the dark between them and the lips).
    shown = float(smoothstep(rig.teeth_end * rig.rest_gap, *OWN_LOWER).max())
    deeper = shown * UPPER_TEETH[0] * iod
    return cavity_shade(u, d_top + deeper, d_bot, iod)[..., None] * colour


def _from_lip(b: InteriorBank, which: str, need: np.ndarray, u: np.ndarray,
              d: np.ndarray, gap: np.ndarray, share: float, tips: float, iod: float,
              width: float, blur: float, reach: float = 1.0
              ) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray] | None:
    """One of s1's teeth strips (``which``) risen from behind a lip, biting edges first,
    over at most ``share`` of the ``gap``, along the columns that ``need (9,)`` them:
    ``(rows of the patch it reaches, image, weight)``, or None where it reaches none.
    ``d``: each pixel's distance from that lip; ``tips``: where the strip's teeth end,
    pixels; ``reach``: as :func:`engine.render.interior.strip`."""
    dist = d + (tips - np.minimum(tips, share * gap))
    # Only the rows the teeth reach are sampled.
    rows = np.flatnonzero((dist < reach * (UPPER_IOD if which == "upper" else LOWER_IOD)
                           * iod).any(axis=1))
    if len(rows) == 0:
        return None
    sub = (slice(rows[0], rows[-1] + 1), slice(None))
    w = np.interp(u[sub], np.linspace(0.1, 0.9, COLUMNS), need).astype(np.float32)
    img, a = strip(b, which, u[sub], dist[sub], iod, width, reach, blur=blur)
    return sub, img, w * a


def _lower_teeth(color: np.ndarray, rig: PortraitRig, u: np.ndarray, d_bot: np.ndarray,
                 gap: np.ndarray, iod: float, width: float, blur: float) -> None:
    """Lay s1's lower teeth, recoloured to the portrait's own teeth, over ``color`` in
    place, along the columns where the portrait shows no lower teeth of its own (its
    lower content is thinner than :data:`OWN_LOWER` IODs): a lip that drops uncovers
    teeth there, not a hole. They rise from behind the lip tips first, over at most
    :data:`OWN_LOWER_SHARE` of the gap (the dark between the biting edges stays)."""
    b, ref = bank(), bank_teeth_rgb()
    if b is None or ref is None or not np.any(rig.teeth_rgb > 0):
        return
    need = 1.0 - smoothstep((1.0 - rig.mouth_split) * rig.rest_gap, *OWN_LOWER)
    if not np.any(need > 0):
        return
    # 0.8 of the strip: where its teeth end and it fades to dark
    laid = _from_lip(b, "lower", need, u, d_bot, gap, OWN_LOWER_SHARE,
                     0.8 * LOWER_IOD * iod, iod, width, blur)
    if laid is None:
        return
    sub, img, weight = laid
    # s1's shading (teeth, the gaps between them) in the portrait's own teeth
    # colour: a per-channel gain would tint white teeth with s1's brown light.
    shade = (img @ LUMA) / max(float(ref @ LUMA), 1.0)
    teeth = np.minimum(OWN_LOWER_SHADE * shade[..., None] * rig.teeth_rgb.astype(np.float32),
                       255.0)
    color[sub] += weight[..., None] * (teeth - color[sub])


def _upper_teeth(color: np.ndarray, rig: PortraitRig, u: np.ndarray, d_top: np.ndarray,
                 gap: np.ndarray, iod: float, width: float, blur: float) -> None:
    """Lay s1's upper teeth, in the portrait's light, over ``color`` in place, along the
    columns where the portrait shows no upper teeth of its own (they end less than
    :data:`OWN_LOWER` IODs under its upper lip: the lip covers them, as a shout's or a
    word's often does): a mouth opening wider than the portrait's shows the teeth under
    the lip, not a dark hole. Their biting edges come first, over at most
    :data:`OWN_UPPER_SHARE` of the gap, and the strip ends where s1's upper teeth end
    (:data:`engine.render.interior.UPPER_TEETH`); none where a dark band under the lip
    reaches the jaw's content: that lip hides its teeth higher than a wider opening
    uncovers (CREMA-D 1001 opens so). The colour is the portrait's light on
    s1's teeth (``PortraitRig.teeth_gain``), as for closed lips: what such a portrait
    shows as its own teeth colour is often its tongue or lower lip."""
    b = bank()
    if b is None:
        return
    need = 1.0 - smoothstep(rig.teeth_end * rig.rest_gap, *OWN_LOWER)
    # Dark under the upper lip down to the jaw's content (lower teeth, the lower lip):
    # a mouth open under a lip that hides its upper teeth higher up than a wider
    # opening uncovers. (A content that is all the head's, split 1, says nothing.)
    dark = np.where(rig.mouth_split < 1.0, rig.mouth_split - rig.teeth_end, 0.0)
    need *= 1.0 - smoothstep(dark * rig.rest_gap, *OWN_LOWER)
    if not np.any(need > 0):
        return
    laid = _from_lip(b, "upper", need, u, d_top, gap, OWN_UPPER_SHARE, UPPER_TEETH[0] * iod,
                     iod, width, blur, reach=UPPER_TEETH[0] / UPPER_IOD)
    if laid is None:
        return
    sub, img, weight = laid
    weight *= smoothstep(np.minimum(u[sub], 1.0 - u[sub]), *CORRIDOR)
    color[sub] += weight[..., None] * (img * rig.teeth_gain - color[sub])
