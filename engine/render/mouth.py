"""Fill the gap that opens between the mouth's two contents (:mod:`engine.render.lips`).

The gap is painted in the mouth's own frame: ``u`` runs from one mouth corner
(0) to the other (1), with distances below the gap's upper edge and above its
lower edge. What fills it:

- a portrait that shows its own teeth: a cavity, a tongue and the teeth a lip hid
  (:mod:`engine.render.own_teeth`), fading in only as the gap widens (a narrow gap
  shows the teeth's edges drawn out);
- a human portrait with closed lips (or parted lips and no teeth): GRID s1's
  real teeth and cavity (:mod:`engine.render.interior`), in the portrait's light,
  coloured lights too (a blue stage: told from a blue cartoon by the whites of the
  eyes, lit by the same light);
- flat art whose skin is no human tone (a green cartoon, blue fur): a painted
  interior (a dark cavity shaded from the lip colour, a hint of tongue, an
  upper-teeth band in off-white lit like the skin), which suits flat paint.

In a picture of one tone (black and white, sepia) whatever fills it takes that
tone (:func:`one_tone`).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.render import topology as topo
from engine.render.closed_lips import seal
from engine.render.colour import LUMA
from engine.render.flat_mouth import Under, flat_inside, lay_wiped, outline
from engine.render.interior import (
    bank,
    fill,
    hole_depth,
    lay_tongue,
    rigid_hang,
    smoothstep,
)
from engine.render.lips import COLUMNS, mouth_normal
from engine.render.mouth_band import band
from engine.render.mouth_light import restore_contrast
from engine.render.own_teeth import own_interior
from engine.render.painted_lids import PAINT_ROUNDNESS
from engine.render.rig import PortraitRig

#: The inside fades out where its lips come within this of each other (inter-ocular
#: distances): towards the mouth's corners it tapers as they do. (It used to fade over
#: the last 8 % of the mouth's width whatever the gap, which cut a wide mouth's
#: inside off square a little short of its corners.)
END_GAP = (0.004, 0.02)
#: Gap height (inter-ocular distances) over which the interior fades in...
FADE_IN = (0.004, 0.035)
#: ... and the dark between a portrait's own teeth.
OWN_FADE_IN = (0.02, 0.08)
#: Colours within this (RGB, each channel) of the skin's are the skin's own paint.
BARE = 6.0
#: Where the lips meet at the mouth's corners, the inside shows their inner surface: from
#: the first value of ``|2u - 1|`` (``u`` 0..1 corner to corner) to the corner the inside
#: turns into the lip colour times the second. Without it the teeth faded there into the
#: cavity darkened for the corners (``interior.CAVITY_CORNER``), and every open mouth had a
#: black wedge in each corner: the inside's mean luma beyond ``|2u - 1| = 0.85`` over its
#: middle third's, at the widest frames with the real motion replayed
#: (``tools/mouth_eval.py``'s frames), read 0.21 on GRID s1 against his video's 0.45 (the
#: validation speakers 0.20-0.32 against 0.40-0.51). Fitted on s1's first 30 clips:
#: 0.43 (CIELAB L* 20.2 there against his 20.6; 8.4 before). Since the forty-third
#: session the turn is eased out (quick from its start, slow into the corner) and made
#: only where the lips near each other (:func:`engine.render.interior.hole_depth`), and
#: fitted again on the same clips by the inside's luma over its middle third's in bands
#: of ``|2u - 1|`` at 1024 px: 0.67 / 0.56 / 0.62 from 0.7 to the corner, his video's
#: 0.69 / 0.60 / 0.64. A smooth step from 0.8 to 0.9 of the lip colour read 0.65 / 0.40
#: / 0.66 there: a black band between the teeth's end and the lips.
CORNER_LIPS = (0.7, 0.6)
#: Largest visible upper-teeth height, inter-ocular distances.
TEETH_MAX = 0.085
#: Gaps between upper teeth, as offsets from the mouth's centre in mouth widths
#: (the gap between the central incisors first).
_TOOTH_EDGES = (0.0, 0.085, 0.16, 0.22)
#: Human skin under ordinary light differs from the reference skin's colour by at
#: most this share per channel (measured: 0.05-0.13 for pale to dark tones).
HUMAN_CAST = 0.15
#: A typical skin colour and teeth colour under white light, sRGB 0..255.
_SKIN_REF = np.array([222.0, 170.0, 142.0], dtype=np.float32)
_TEETH_ALBEDO = np.array([232.0, 224.0, 206.0], dtype=np.float32)
#: A picture whose hues spread less than the first value (degrees,
#: :func:`engine.render.samples.hue_spread`) is in one tone, and its mouth's inside takes
#: that tone; beyond the second it is in colour. Measured on faces' boxes: black and
#: white 0, sepia and selenium toned versions of real photos 0.4-1.9; colour faces
#: (the 64 validation clips' first frames, the astronaut and Grace Hopper and the
#: paintings and drawings made from them, the Mona Lisa, the cat) 8.5 or more (s4hq,
#: under a strong yellow cast).
ONE_TONE = (3.0, 6.0)


def gap_rows(verts: np.ndarray, n_ring: int) -> tuple[np.ndarray, np.ndarray]:
    """The gap that opens between the mouth's two contents: ``(11, 2)`` upper and lower
    edges, mouth corner to mouth corner (rows 1 and 2 of :mod:`engine.render.lips`).

    Args:
        verts: ``(V, 2)`` frame mesh vertices (landmarks, ring, mouth rows).
        n_ring: number of ring vertices.
    """
    n_lm = 468
    k = n_lm + n_ring + COLUMNS
    c0, c1 = verts[topo.LIPS_INNER_UPPER[0]], verts[topo.LIPS_INNER_UPPER[-1]]
    upper = np.concatenate([c0[None], verts[k : k + COLUMNS], c1[None]])
    lower = np.concatenate([c0[None], verts[k + COLUMNS : k + 2 * COLUMNS], c1[None]])
    return upper.astype(np.float64), lower.astype(np.float64)


def gap_opening(upper: np.ndarray, lower: np.ndarray, normal: np.ndarray, iod: float) -> float:
    """Mean height of the gap over the middle of the mouth, inter-ocular distances."""
    h = (lower[4:7] - upper[4:7]) @ normal
    return float(max(h.mean(), 0.0)) / max(iod, 1e-9)


def _human_skin(rig: PortraitRig) -> float:
    """1 for a skin colour within :data:`HUMAN_CAST` of human skin under ordinary
    light, falling to 0 at twice that (a green cartoon, blue fur)."""
    light = np.clip(rig.skin_rgb.astype(np.float32) / _SKIN_REF, 0.25, 1.3)
    cast = float(np.abs(light / float(light.mean()) - 1.0).max())
    return 1.0 - float(smoothstep(cast, HUMAN_CAST, 2 * HUMAN_CAST))


def _teeth_colour(rig: PortraitRig) -> np.ndarray:
    """Teeth colour (0..255): an off-white lit by the light that lights the skin.

    The light's colour and level are estimated as the cheek colour divided
    by a typical skin colour; the teeth are in the shade of the upper lip.
    Skin far from any human tone (a green cartoon, blue fur) says nothing
    about the light: as the cast grows from :data:`HUMAN_CAST` to twice that,
    the teeth turn to the plain off-white of flat, evenly lit paint.
    """
    light = np.clip(rig.skin_rgb.astype(np.float32) / _SKIN_REF, 0.25, 1.3)
    keep = _human_skin(rig)
    light = (1.0 - keep) + keep * light
    return np.clip(_TEETH_ALBEDO * light * 0.88, 0.0, 245.0)


def paint_mouth(out: np.ndarray, rig: PortraitRig, verts: np.ndarray, iod: float,
                under: Under | None = None) -> None:
    """Fill the gap between the mouth's two contents in ``out``, in place.

    For a portrait with closed lips the gap is the whole inside of the inner
    lips; for one that shows its teeth, only what opens between them.

    Args:
        out: ``(h, w, 3|4) uint8`` the warped frame; only RGB is changed.
        rig: the portrait (colours, rest opening, whether to keep its own teeth).
        verts: ``(V, 2) float`` frame mesh vertices in ``out``'s pixels (see
            :func:`engine.render.pose.frame_vertices`).
        iod: inter-ocular distance in ``out``'s pixels.
        under: where a drawn line's wiped patch lies in ``out`` (:data:`flat_mouth.Under`),
            laid there as the mouth opens.
    """
    xy = verts[:468]
    if bare_mouth(rig):  # nothing to close over, nothing behind it
        return
    if rig.open_at_rest:
        seal(out, rig, xy, iod)
    upper, lower = gap_rows(verts, rig.ring.shape[0])
    normal = mouth_normal(xy)
    opening = gap_opening(upper, lower, normal, iod)
    # Between a portrait's own teeth a narrow gap shows their edges drawn out;
    # the dark behind them fades in only as the gap widens.
    strength = float(smoothstep(opening, *(OWN_FADE_IN if rig.keep_teeth else FADE_IN)))
    drawn = 0.0  # how far a line drawn on bare paint is wiped and drawn round the gap
    if under is not None and rig.paint is not None:
        strength, drawn = lay_wiped(out, rig.paint, under, opening, rig.iod)
    if max(strength, drawn) <= 0.0:
        return
    _fill_gap(out, rig, xy, (upper, lower), normal, opening, strength, iod)
    if rig.paint is not None and rig.paint.line is not None:
        outline(out, rig.paint.line, (upper, lower), iod / max(rig.iod, 1e-6),
                max(strength, drawn))


def _fill_gap(out: np.ndarray, rig: PortraitRig, xy: np.ndarray,
              rows: tuple[np.ndarray, np.ndarray], normal: np.ndarray, opening: float,
              strength: float, iod: float) -> None:
    """Paint the inside between the gap's upper and lower edges ``rows`` at opacity
    ``strength``, in place; the arguments as :func:`paint_mouth` computes them."""
    upper, lower = rows
    # A portrait with parted lips has its own content (teeth, or a dark mouth)
    # under each lip: the gap between them is cavity, never painted teeth.
    teeth = not rig.open_at_rest
    found = band(out.shape, upper, lower, normal)
    if found is None:
        return
    (x0, y0, x1, y1), u, v, top, bot, length = found
    gap = np.maximum(bot - top, 1e-3)
    d_top = v - top
    d_bot = bot - v
    feather = max(0.8, 0.015 * iod)
    # Opaque up to the contour, fading out over the lip: covers the lip seam.
    inside = np.clip(np.minimum(d_top, d_bot) / feather + 1.0, 0.0, 1.0)
    # Where the lips come together (the corners) the inside fades with the gap between
    # them, so that it tapers into the corners as the lips do.
    inside *= smoothstep((bot - top) / iod, *END_GAP)
    if not np.any(inside > 0):
        return
    b = bank()
    # The picture's softness at this size: s1's teeth are laid as soft as it.
    blur = rig.blur * iod / max(rig.iod, 1e-6)
    # s1's interior suits a human face, under any light; a cartoon's, a flat drawing's or an
    # animal's (round eyes: the cat's tan fur reads as skin; no teeth) keeps its own colours.
    animal = not np.any(rig.eye_roundness < PAINT_ROUNDNESS)
    human = (_skin_hue(rig.skin_rgb) or _coloured_light(rig)) and not rig.paint and not animal
    # How far each lip curves into the mouth beyond its middle: the teeth and the tongue
    # do not.
    mid_top, mid_bot = (float(((rows[4:7] - upper[0]) @ normal).mean())
                        for rows in (upper, lower))
    hang = rigid_hang(u, top, bot, mid_top, mid_bot, iod)
    tongue = (hang[1], opening * iod)  # lay_tongue's footing: the lower lip's middle
    if rig.keep_teeth and np.any(rig.cavity_rgb > 0):
        mid = len(topo.LIPS_INNER_UPPER) // 2
        whole = float((xy[topo.LIPS_INNER_LOWER[mid]] - xy[topo.LIPS_INNER_UPPER[mid]])
                      @ normal) / iod
        color = own_interior(rig, u, d_top, d_bot, gap, whole, iod, length / iod, blur, human,
                             tongue)
        if human:
            _corner_lips(color, rig, u, gap, iod)
    elif b is not None and human:
        color = fill(b, u, d_top, d_bot, iod, length / iod, opening, hang, blur)
        color *= rig.teeth_gain
        restore_contrast(color, inside)
        _corner_lips(color, rig, u, gap, iod)
    elif rig.paint is not None:  # a flat drawing: its inside drawn flat, as a cartoonist would
        color = flat_inside(rig.lip_rgb, opening, u, d_top, d_bot, iod, teeth)
    else:  # paint keeps its own corners
        color = _painted(rig, opening, gap, d_top, d_bot, u, length, iod,
                         teeth and not animal, tongue)
    tone = one_tone(rig)
    if tone is not None:
        # s1's teeth carried to a grey or sepia skin's "light" turn mint or olive, and
        # the tongue takes the lips' red: in a picture of one tone only their lightness
        # belongs, in that tone.
        amount, per_luma = tone
        color += amount * ((color @ LUMA)[..., None] * per_luma - color)
    alpha = (strength * inside)[..., None]
    patch = out[y0:y1, x0:x1, :3].astype(np.float32)
    patch += alpha * (color - patch)
    out[y0:y1, x0:x1, :3] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)


def bare_mouth(rig: PortraitRig) -> bool:
    """Whether the face mesh's mouth lies on bare paint: its lips and what lies between
    them are within :data:`BARE` of the skin's colour, as only a flat drawing's skin is
    (a cartoon whose drawn mouth the mesh placed a little above). Closing such a "mouth"
    hides nothing, and the crease where closed lips meet drew a grey line on the skin."""
    skin = rig.skin_rgb.astype(np.float32)
    return bool(np.abs(rig.lip_rgb - skin).max() < BARE
                and np.abs(rig.teeth_rgb - skin).max() < BARE)


def _corner_lips(color: np.ndarray, rig: PortraitRig, u: np.ndarray, gap: np.ndarray,
                 iod: float) -> None:
    """Towards each corner of the mouth (``u (h, w)``, 0..1 corner to corner) turn the
    inside ``color (h, w, 3) float32`` into the lips' own colour in their shade, in place:
    where the lips meet, the inside is their inner surface, not the dark of the cavity
    (:data:`CORNER_LIPS`); where the lips are still far apart (``gap (h, w)``, pixels, in a
    face ``iod`` pixels between the eyes), as at the corners of a shout, it stays the
    cavity's dark."""
    t = np.clip((np.abs(2.0 * u - 1.0) - CORNER_LIPS[0]) / (1.0 - CORNER_LIPS[0]), 0.0, 1.0)
    w = ((1.0 - (1.0 - t) ** 2) * (1.0 - hole_depth(gap / iod)))[..., None]
    color += w * (CORNER_LIPS[1] * rig.lip_rgb.astype(np.float32) - color)


def one_tone(rig: PortraitRig) -> tuple[float, np.ndarray] | None:
    """None for a colour portrait; for one in a single tone (:data:`ONE_TONE`), ``(how
    much 0..1, the tone (3,) per unit of luma)``: the skin's colour over its luma (grey
    in a black-and-white picture)."""
    amount = 1.0 - float(smoothstep(rig.hue_spread, *ONE_TONE))
    if amount <= 0.0:
        return None
    skin = rig.skin_rgb.astype(np.float32)
    return amount, skin / max(float(skin @ LUMA), 1.0)


def _skin_hue(rgb: np.ndarray) -> bool:
    """Whether a skin colour is a human one under some light: red at least green at
    least blue (within 5 %), or grey (a black-and-white picture). A green cartoon
    or blue fur is not, and gets a painted interior."""
    r, g, b = (float(v) for v in rgb)
    top = max(r, g, b, 1.0)
    return (top - min(r, g, b)) < 0.12 * top or (r >= 0.95 * g and g >= 0.95 * b)


def _coloured_light(rig: PortraitRig) -> bool:
    """Whether a skin that is no human tone (:func:`_skin_hue`) is a human one under a
    coloured light (a blue stage, a neon sign): the whites of the eyes are lit by the
    same light, and the skin over the whites is a human tone. A cartoon's blue or green
    skin over white eyes is not (it gets a painted interior)."""
    w = rig.whites_rgb.astype(np.float32)
    if not np.any(w > 0):
        return False
    return _skin_hue(rig.skin_rgb.astype(np.float32) / np.maximum(w, 1.0) * float(w.mean()))


def _painted(rig: PortraitRig, opening: float, gap: np.ndarray, d_top: np.ndarray,
             d_bot: np.ndarray, u: np.ndarray, length: float, iod: float,
             teeth: bool, tongue: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """A painted interior ``(h, w, 3) float32``: cavity, tongue, upper teeth (flat art)."""
    side = np.abs(2.0 * u - 1.0)  # 0 centre .. 1 corners
    lip = rig.lip_rgb.astype(np.float32)

    # Cavity: dark and lip-tinted, lighter just inside the lips, darkest deep
    # inside and towards the corners.
    near = np.maximum(np.minimum(d_top, d_bot), 0.0)
    edge = np.exp(-near / max(0.06 * iod, 1.0))
    shade = (0.15 + 0.32 * edge) * (1.0 - 0.5 * side**2)
    color = shade[..., None] * (lip * np.array([1.0, 0.8, 0.8], dtype=np.float32))

    lay_tongue(color, lip, opening, u, d_top, d_bot, iod, rigid=tongue)

    if teeth:
        color = _teeth(color, rig, opening, gap, d_top, d_bot, side, u, length, iod)
    k = max(1, int(round(0.004 * iod))) * 2 + 1
    if k > 1:
        color = cv2.GaussianBlur(color, (k, k), 0)
    return color


def _teeth(
    color: np.ndarray,
    rig: PortraitRig,
    opening: float,
    gap: np.ndarray,
    d_top: np.ndarray,
    d_bot: np.ndarray,
    side: np.ndarray,
    u: np.ndarray,
    width: float,
    iod: float,
) -> np.ndarray:
    """Lay the upper teeth over the ``(h, w, 3) float32`` interior colour."""
    teeth_rgb = _teeth_colour(rig)
    # Seen from the front the dental arch recedes and darkens towards the corners.
    arch = np.sqrt(np.clip(1.0 - (side / 0.9) ** 2, 0.0, 1.0))
    soft = max(0.7, 0.012 * iod)
    # Upper teeth: a band under the upper lip, taller as the jaw drops.
    th = np.minimum(0.5 * gap, TEETH_MAX * iod) * arch
    # Faint gaps between the teeth, closer together towards the corners
    # (the arch turns away), and a slightly scalloped biting edge.
    sep = np.zeros_like(u)
    for k, pos in enumerate(_TOOTH_EDGES):
        for sign in (-1.0, 1.0) if pos > 0 else (1.0,):
            du = (u - 0.5 - sign * pos) * width
            sep = np.maximum(sep, np.exp(-((du / max(0.45, 0.006 * iod)) ** 2)) * (1 - 0.15 * k))
    th = th * (1.0 - 0.12 * sep)
    ta = np.clip((th - d_top) / soft + 0.5, 0.0, 1.0) * smoothstep(arch, 0.0, 0.5)
    # Shade: darker towards the corners, in the upper lip's shadow at the top,
    # and a little at the biting edge.
    lit = (0.45 + 0.55 * arch**1.5) * (0.7 + 0.3 * np.clip(d_top / max(0.03 * iod, 0.8), 0.0, 1.0))
    lit *= 1.0 - 0.15 * np.clip((d_top - 0.75 * th) / np.maximum(0.25 * th, 1e-3), 0.0, 1.0)
    lit *= 1.0 - 0.22 * sep * np.clip(d_top / np.maximum(th, 1e-3), 0.3, 1.0)
    color += ta[..., None] * (lit[..., None] * teeth_rgb - color)
    return color
