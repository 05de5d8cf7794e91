"""s1's mouth interior carried into the portrait's light.

GRID s1's teeth, tongue and cavity (:mod:`engine.render.interior`) were filmed in his
light. :func:`light_gain` gives the per-channel gain from his light to the portrait's,
read from the colours of their cheeks, lips and eye whites; :func:`restore_contrast`
gives back the spread of lightness that the strips' medians lost. The gain depends on
the portrait alone: the rig computes it once (``PortraitRig.teeth_gain``).
"""

from __future__ import annotations

import numpy as np

from engine.render.colour import LUMA, saturation
from engine.render.interior import InteriorBank, smoothstep

#: The light gain per channel is kept within this range.
GAIN_RANGE = (0.45, 1.8)
#: Lips against the skin, channel by channel, relative to s1's lips against his skin
#: (their mean divided out: the colour, not the lightness). Natural lips keep within a
#: factor of about 1.17 of s1's on every channel (measured: 0.87-1.01 (R), 0.98-1.17 (G),
#: 0.94-1.08 (B) on the 64 validation first frames, the photos, paintings and drawings
#: of the blink check and the Mona Lisa); lips coloured by paint (a red lipstick: 1.9 (R),
#: 0.3 (G)) say nothing about the light and would colour the teeth. As the largest factor
#: (as a natural log) grows from the first value to the second, the lips' colour is
#: replaced by the skin's, at the lips' own lightness (held to :data:`LIP_LEVEL`).
LIP_PAINTED = (0.2, 0.35)
#: Lips' lightness against the skin's, relative to s1's: 0.84-1.40 on the same faces.
LIP_LEVEL = (0.8, 1.4)
#: How much more (or less) the whites of a portrait's eyes may stand out from its skin
#: than s1's do (lightness ratios) and still be heard on the light's colour
#: (:data:`WHITES_CHROMA`). Over the faces here (GRID s1, s4hq, s30, s33, s34, CREMA-D
#: 1001, the astronaut; all lighter-skinned) the whites read 0.63 to 0.88 of the skin's
#: lightness, s1's 0.69 to 0.77: within 1/1.25 to 1.25 of his.
WHITES_TOLERANCE = 1.25
#: The whites of the eyes are the third witness of the light's colour, beside the skin
#: and the lips, with this share of the say (the light's colour, not its level: a
#: log-weighted mean of the channel ratios with their mean divided out). They are heard
#: where they read as whites: as light against the skin as s1's within
#: :data:`WHITES_TOLERANCE`, and no more saturated than the skin by more than
#: :data:`WHITES_SAT_SLACK` (under a varnish the whites are as yellow as the skin: the
#: Mona Lisa's 0.71 against 0.68). Her lips, as orange as her skin, read as a greener
#: light than s1's red lips under his, and turned s1's teeth olive (hue 81 degrees in
#: CIELAB against her whites' 69); heard at a third, 75 (and 65 with
#: :data:`WHITES_GREENER`). ``tools/mouth_eval.py``, the validation speakers'
#: inner-mouth colour against the real one (CIEDE2000, median):
#: all 64 clips 5.2 -> 5.1 (worst 11.9 both), CREMA-D 4.6 -> 4.0, s4hq 5.8 -> 5.9; at a
#: half share 5.2, at full 5.4 (s4hq 6.1).
WHITES_CHROMA = 1.0 / 3.0
WHITES_SAT_SLACK = 0.05
#: Teeth are never greener than the whites of the eyes in the same light: dentine is
#: yellow, and s1's teeth are a little redder than his whites (CIELAB hue 72 against 75
#: degrees). Where skin and lips say a light under which s1's whites would come out
#: greener (more green against red) than the portrait's own whites, the whites are
#: the better witness of the light's colour (a varnish or a painter's palette that
#: colours skin and lips apart from the whites): their share rises to all of it as the
#: excess of green over red (natural log of the G/R ratios) grows over this span.
#: Validation inner-mouth ΔE, app's motion: all 64 clips 4.7 / 11.8 either way (median /
#: worst), CREMA-D 6.6 -> 6.9 (its whites read pink), s4hq 4.6 -> 4.5.
WHITES_GREENER = (0.0, 0.08)
#: The strips are per-pixel medians over many frames, which flattens the teeth
#: against the dark between them: rendered on s1's own first frames with his own
#: tracked motion, the lightness spread inside the lips is 0.84 of his real
#: one's (``tools/mouth_eval.py --sets s1 --limit 20 --motion oracle``). The
#: interior's lightness is stretched about its mean by this factor (1.09 there).
CONTRAST = 1.2


def light_gain(b: InteriorBank, skin_rgb: np.ndarray, lip_rgb: np.ndarray,
               whites_rgb: np.ndarray | None = None) -> np.ndarray:
    """``(3,) float32`` per-channel gain from s1's light to the portrait's.

    The mean of the cheek and the lip colour ratios: the white balance of the
    light on the face (skin tones differ between people far less in their
    channel ratios than lights do) and, for a skin as light as s1's, its level. Lips
    whose colour against the skin is no natural lips' (lipstick) lend only their
    lightness (:data:`LIP_PAINTED`).
    The whites of the eyes ``whites_rgb`` (3,), where they read as whites, have a
    third of the say in the light's colour (:data:`WHITES_CHROMA`).
    A darker skin than his under the same light would read as a dimmer light and
    muddy the teeth: where the whites can be read (less saturated than the skin) and
    stand out from the skin more than s1's do, the level is raised by as much (the
    whites, like teeth, are about as light in everyone, so whites twice as light as the
    skin against s1's say a skin half as light under the same light). Until
    2026-12-05 only the excess beyond :data:`WHITES_TOLERANCE` counted: with the
    validation speakers' real lips (``tools/mouth_eval.py --motion oracle``) their
    rendered inside was 4.8 CIELAB L* darker than the real one (median; s4hq -5.0,
    CREMA-D -6.7, s1's own clips -0.6), 2.0 darker with the whole ratio, and the
    inner-mouth colour difference fell from 5.4 to 3.9 (app's motion 5.1 to 4.8).
    """
    skin = np.asarray(skin_rgb, np.float32)
    by_skin = skin / np.maximum(b.skin_rgb, 1.0)
    by_lips = np.asarray(lip_rgb, np.float32) / np.maximum(b.lip_rgb, 1.0)
    rel = by_lips / np.maximum(by_skin, 1e-3)
    level = float(rel.mean())
    off = float(np.abs(np.log(np.maximum(rel / max(level, 1e-3), 1e-3))).max())
    painted = float(smoothstep(off, *LIP_PAINTED))
    if painted > 0.0:
        by_lips += painted * (by_skin * float(np.clip(level, *LIP_LEVEL)) - by_lips)
    ratio = 0.5 * (by_skin + by_lips)
    if whites_rgb is not None and np.any(whites_rgb > 0) and np.any(b.whites_rgb > 0):
        whites = np.asarray(whites_rgb, np.float32)
        stand_out = (float(whites @ LUMA) / max(float(skin @ LUMA), 1.0)) / (
            float(b.whites_rgb @ LUMA) / max(float(b.skin_rgb @ LUMA), 1.0))
        if (saturation(whites) < saturation(skin) + WHITES_SAT_SLACK
                and 1.0 / WHITES_TOLERANCE <= stand_out <= WHITES_TOLERANCE):
            by_whites = whites / np.maximum(b.whites_rgb, 1.0)
            greener = float(np.log(max(by_whites[0], 1e-3) / max(by_whites[1], 1e-3)
                                   * max(ratio[1], 1e-3) / max(ratio[0], 1e-3)))
            share = WHITES_CHROMA + (1.0 - WHITES_CHROMA) * float(
                smoothstep(greener, *WHITES_GREENER))
            chroma = np.exp((1.0 - share) * np.log(ratio / ratio.mean())
                            + share * np.log(by_whites / by_whites.mean()))
            ratio = float(ratio.mean()) * chroma / float(chroma.mean())
        if saturation(whites) < saturation(skin):
            ratio = ratio * max(1.0, stand_out)
    return np.clip(ratio, *GAIN_RANGE).astype(np.float32)


def restore_contrast(color: np.ndarray, weight: np.ndarray, k: float = CONTRAST) -> None:
    """Stretch the lightness of an interior ``(h, w, 3) float32`` about its mean
    (weighted by ``weight (h, w)``, the share of each pixel that shows) by ``k``,
    in place; the colour of each pixel keeps its channel ratios."""
    y = color @ LUMA
    total = float(weight.sum())
    if total <= 0.0:
        return
    mean = float((y * weight).sum()) / total
    scale = (mean + k * (y - mean)) / np.maximum(y, 1e-3)
    color *= np.maximum(scale, 0.0)[..., None]
    np.minimum(color, 255.0, out=color)
