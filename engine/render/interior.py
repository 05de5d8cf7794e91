"""Real mouth interiors (teeth, cavity) from GRID speaker s1.

``assets/mouth/interiors.npz`` (``tools/build_mouth_bank.py``) holds what
s1's open mouth shows, in the mouth's own coordinates (:func:`strips`): ``u``
from one inner mouth corner (0) to the other (1), and the distance from the
lip in inter-ocular distances (IOD), so that teeth keep their real size
whatever the opening:

- the upper teeth: the median over s1's widest openings of the strip under
  the upper inner lip, :data:`UPPER_IOD` tall;
- the lower teeth: the strip above the lower inner lip, :data:`LOWER_IOD` tall;
- the cavity: the colour of the dark inside of the mouth.

To fill a mouth gap the renderer lays them back to front (cavity, tongue,
lower teeth, upper teeth in front), so a slightly parted mouth shows the edges
of the teeth and a wide one the dark behind them. Teeth keep their real width:
the strips are laid across the mouth at s1's own mouth width (in IODs), so a
mouth that narrows hides the outer teeth behind its corners, and one that
stretches wider than his (a smile, a shout) shows the dark of the cheeks
beside them instead of teeth pulled wide. s1 never opens wider than
about 0.14 IOD: beyond that the cavity darkens with depth and towards the corners
(:func:`cavity_shade`), his upper teeth end where his own do, and a shaded tongue
rises from the lower lip (:func:`lay_tongue`), as real wide mouths show. The teeth are
rigid: their edges keep their arch while the lips curve round the corners
(:func:`rigid_hang`), and the lower arch is the narrower. It is a pure function of the
gap's shape: it holds still when the mouth does. Colours are carried from
s1's light to the portrait's by :mod:`engine.render.mouth_light`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA
from engine.render.samples import SHARP
from engine.render.shock import upsample

log = logging.getLogger(__name__)

#: Width of the strips (samples across the mouth) and their rows.
WIDTH, UPPER_ROWS, LOWER_ROWS = 96, 24, 16
#: Height of the upper and the lower strip, inter-ocular distances.
UPPER_IOD, LOWER_IOD = 0.10, 0.06
#: The strips are medians of s1's 360x288 video, registered across the mouth: clean
#: but soft (his mouth is about 30 video pixels wide, laid over 96 samples). They are
#: sharpened once on loading by an unsharp mask of this strength and Gaussian sigma
#: (samples across, down). Measured by the inside's fine detail, rendered over real at
#: the widest frames with the real motion (:func:`engine.render_eval.inner_mouth_detail`):
#: on s4hq, the validation speaker with the sharpest video (720x576), 0.88 -> 1.05 over
#: her 15 first closed-lipped clips, every clip up by 0.09-0.20; SSIM and colour unchanged.
SHARPEN, SHARPEN_SIGMA = 1.0, (2.0, 1.2)
#: A mouth laid over more pixels than s1's 30 video pixels (at 1024 px a large face's
#: mouth is 120 pixels wide) would show his teeth as soft streaks: the strips are also
#: kept FINE times finer, upsampled with edges kept steps (:mod:`engine.render.shock`:
#: this many iterations, the edge read at this sigma, in fine samples). Each mouth is
#: drawn from copies of about one sample per pixel (:func:`level`, a quarter octave
#: apart), so that a small one does not alias and a large one is not interpolated, and
#: then made as soft as the picture's own edges (:data:`TEETH_EDGE`).
FINE, SHOCK_ITERATIONS, SHOCK_SIGMA = 4, 30, 2.0
#: ... only where the strips are lighter than this (luma, s1's light: his teeth 100-145,
#: the dark between and behind them 55-80): the cavity's and the gums' gentle shading
#: has no edge to restore, and the filter would cut it into flat patches.
SHOCK_DARK = (60.0, 100.0)
#: The softness (edge sigma, pixels, as :func:`engine.render.samples.edge_sigma` reads
#: it) of the teeth drawn at about one sample per pixel: 0.7-0.9 inside the rendered
#: mouths of Grace Hopper's photo and painting at 1024 px (``tools/teeth_detail.py``).
#: In a softer picture they are blurred by the difference (in quadrature), so that they
#: read as soft as the picture's edges around the mouth: at the videos' own size their
#: fine detail is then the real teeth's (rendered over real 1.03, ``mouth_eval``).
TEETH_EDGE = 0.8
#: The copies' range, in quarter octaves from the shipped strips' WIDTH: a quarter of it
#: (a mouth 24 pixels wide) to FINE times it.
LEVELS = (-8, 4 * int(round(np.log2(FINE))))
#: s1's cavity colour is the darkest tenth of mouths that open at most about 0.14 IOD,
#: seen within a few hundredths of an IOD of the teeth. A wider mouth is a deeper hole:
#: away from the lips and teeth that bound it, less light reaches in, and the cavity
#: darkens from its measured colour (within ``CAVITY_DEPTH[0]`` IODs) to ``CAVITY_DEEP``
#: of it (beyond ``CAVITY_DEPTH[1]``).
CAVITY_DEPTH = (0.02, 0.10)
CAVITY_DEEP = 0.45
#: It darkens as deep towards the corners, in the cheeks' shadow, from this share of the
#: half-width to the corner (``|2u - 1|``), as far as the hole is deep there
#: (:func:`hole_depth`): near the corners of a mouth open a little the lips near each
#: other and no shadow that deep falls between them (darkened whatever the gap, such
#: mouths had a black band where the teeth end, docs/measurements.md, the forty-third
#: session). Measured by how dark the inside is towards its corners over its middle
#: (:func:`engine.render_eval.inner_mouth_corners`), rendered over real with the real
#: motion replayed: 1.03 on the validation clips (1.10 before, when the light fell off
#: as ``1 - 0.4 (2u - 1)**2``), 0.84 on s1's first 30 (0.85 before); starting at 0.7
#: instead reads 0.92 on s1's, but a wide mouth then reads as before, its rim lit
#: (0.57-0.66 at *Mouth* 3; real wide mouths 0.43-0.56; docs/measurements.md).
CAVITY_CORNER = (0.5, 0.95)
#: s1 opens his mouth at most about 0.14 IOD, so the far rows of his upper strip hold
#: his lower teeth: his upper teeth end about ``UPPER_TEETH[0]`` IODs under the lip (the
#: end of the strip's bright plateau). In a mouth opening wider than he did (from
#: ``UPPER_TEETH[1]`` to ``UPPER_TEETH[2]`` IODs) the lower teeth have dropped with the
#: jaw, and the strip ends there instead: a wide mouth shows its cavity, not a wall of teeth.
UPPER_TEETH = (0.07, 0.09, 0.12)
#: The tongue shows once the gap at the mouth's middle is this tall (IODs), fully at the
#: second; it rises behind the lower teeth up to ``TONGUE_SHARE`` of the gap.
TONGUE = (0.10, 0.22)
TONGUE_SHARE = 0.55
#: The tongue spans this share of the half-width from the middle (a broad dome: between
#: the lower canines), in the lips' colour times ``TONGUE_TINT`` (less red than the lips),
#: lit from ``TONGUE_LIGHT[0]`` of it at its back to the sum at its front. (0.7, 0.5 + 0.25
#: and 0.7 before: a narrow dark red strip behind the lower teeth where real wide mouths
#: show a broad pink dome; docs/measurements.md.)
TONGUE_WIDTH = 0.85
TONGUE_TINT = np.array([1.0, 0.8, 0.8], np.float32)
TONGUE_LIGHT = (0.6, 0.3)
#: The tongue is lit from the front: lightest where it shows over the lower teeth's
#: edges, this far above the lower lip (IODs: where s1's lower strip fades out).
TONGUE_FRONT = 0.8 * LOWER_IOD
#: Beyond the ends of s1's strips (mouth coordinate below 0 or above 1 at his width) the
#: teeth fade into the cavity over this much of the strip's width on either side.
SIDE_FADE = 0.05
#: Towards the mouth's corners the teeth turn away into the cheeks' shadow: they fade
#: into the cavity between these distances from a corner (fractions of the width).
CORRIDOR = (0.04, 0.16)
#: The lower arch is narrower than the upper (canine to canine about 0.75 of it): the
#: lower teeth turn away sooner.
LOWER_CORRIDOR = (0.10, 0.26)
#: The teeth are rigid: their edges do not follow the lips' curve into the corners. The
#: lower teeth's edge runs straight across; the upper teeth's curves up towards the
#: canines (the smile arc): by this many IODs at the mouth's corners, a parabola across
#: it (a canine's edge about 1.5 mm above a central incisor's, at 0.6 of the half-width).
SMILE_ARC = 0.04


def smoothstep(x: np.ndarray | float, lo: float, hi: float) -> np.ndarray:
    """0 below ``lo``, 1 above ``hi``, a smooth cubic between; float32."""
    t = np.clip((np.asarray(x, dtype=np.float32) - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class InteriorBank:
    """s1's mouth interior.

    Attributes:
        upper: ``(24, 96, 3) uint8`` the strip under the upper inner lip, RGB.
        lower: ``(16, 96, 3) uint8`` the strip above the lower inner lip (row 0
            at the lip).
        cavity_rgb, skin_rgb, lip_rgb: ``(3,) float32`` s1's dark mouth,
            cheek and lip colour, 0..255.
        width: s1's inner mouth width (corner to corner) in the frames the
            strips come from, median, IODs.
        whites_rgb: ``(3,) float32`` the whites of his eyes
            (:func:`engine.render.gaze.whites`), 0..255.
    """

    upper: np.ndarray
    lower: np.ndarray
    cavity_rgb: np.ndarray
    skin_rgb: np.ndarray
    lip_rgb: np.ndarray
    width: float
    whites_rgb: np.ndarray
    #: ``(which, step) -> strip``: the copies :func:`level` made.
    levels: dict = field(default_factory=dict, compare=False, repr=False)


@cache
def bank() -> InteriorBank | None:
    """The shipped interior, or None when the asset is missing (flat paint is used)."""
    from engine.paths import asset

    path = asset("mouth", "interiors.npz")
    try:
        with np.load(path) as d:
            b = InteriorBank(
                upper=sharpen(d["upper"]), lower=sharpen(d["lower"]),
                cavity_rgb=d["cavity_rgb"].astype(np.float32),
                skin_rgb=d["skin_rgb"].astype(np.float32),
                lip_rgb=d["lip_rgb"].astype(np.float32), width=float(d["width_iod"]),
                whites_rgb=d["whites_rgb"].astype(np.float32))
    except (OSError, KeyError, ValueError):
        log.warning("mouth interior %s missing or damaged: painting a flat interior", path)
        return None
    for arr in (b.upper, b.lower, b.cavity_rgb, b.skin_rgb, b.lip_rgb, b.whites_rgb):
        arr.setflags(write=False)
    # The fine copies now (about 50 ms, once), not in the middle of a render.
    for which in ("upper", "lower"):
        level(b, which, LEVELS[1])
    return b


def sharpen(strip: np.ndarray) -> np.ndarray:
    """A strip ``(rows, WIDTH, 3) uint8`` after the unsharp mask :data:`SHARPEN`."""
    f = strip.astype(np.float32)
    sx, sy = SHARPEN_SIGMA
    blur = cv2.GaussianBlur(f, (0, 0), sigmaX=sx, sigmaY=sy, borderType=cv2.BORDER_REPLICATE)
    return np.clip(f + SHARPEN * (f - blur) + 0.5, 0, 255).astype(np.uint8)


def contour_profile(pts: np.ndarray, c0: np.ndarray, axis: np.ndarray, normal: np.ndarray,
                    length: float) -> tuple[np.ndarray, np.ndarray]:
    """A contour ``(n, 2)`` in the mouth's frame: ``(u (n,) non-decreasing, offset (n,) px)``."""
    d = pts - c0
    return np.maximum.accumulate((d @ axis) / length), d @ normal


def mouth_axes(upper: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(axis (2,), normal (2,), length)`` of a mouth whose upper contour is ``upper (n, 2)``
    (corner to corner); the normal points down the face."""
    span = upper[-1] - upper[0]
    length = float(np.linalg.norm(span))
    axis = span / max(length, 1e-9)
    normal = np.array([-axis[1], axis[0]])
    if normal @ (xy[topo.CHIN] - xy[topo.NOSE_TIP]) < 0:
        normal = -normal
    return axis, normal, length


def strips(rgb: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strips under the upper and above the lower inner lip of one frame.

    Args:
        rgb: ``(H, W, 3) uint8`` a frame.
        xy: ``(468, 2)`` its landmarks, pixels.

    Returns:
        ``(upper (24, 96, 3), lower (16, 96, 3))`` float32 RGB, NaN where a
        row lies beyond the other lip (not inside the mouth).
    """
    upper = xy[topo.LIPS_INNER_UPPER].astype(np.float64)
    lower = xy[topo.LIPS_INNER_LOWER].astype(np.float64)
    axis, normal, length = mouth_axes(upper, xy)
    iod = float(np.linalg.norm(xy[topo.EYE_OUTER[1]] - xy[topo.EYE_OUTER[0]]))
    c0 = upper[0]
    uu, uv = contour_profile(upper, c0, axis, normal, length)
    lu, lv = contour_profile(lower, c0, axis, normal, length)
    u = (np.arange(WIDTH) + 0.5) / WIDTH
    top, bot = np.interp(u, uu, uv), np.interp(u, lu, lv)
    src = np.ascontiguousarray(rgb[..., :3])
    out = []
    for rows, height, start, sign in ((UPPER_ROWS, UPPER_IOD, top, 1.0),
                                      (LOWER_ROWS, LOWER_IOD, bot, -1.0)):
        d = (np.arange(rows) + 0.5) / rows * height * iod
        off = start[None, :] + sign * d[:, None]
        pts = c0 + (u * length)[None, :, None] * axis + off[..., None] * normal
        img = cv2.remap(src, pts[..., 0].astype(np.float32), pts[..., 1].astype(np.float32),
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        img[d[:, None] >= (bot - top)[None, :]] = np.nan
        out.append(img)
    return out[0], out[1]


def strip(b: InteriorBank, which: str, u: np.ndarray, dist: np.ndarray, iod: float,
          width: float, reach: np.ndarray | float = 1.0,
          blur: float = SHARP) -> tuple[np.ndarray, np.ndarray]:
    """One of s1's teeth strips laid from a lip: ``(image (h, w, 3) float32 0..255,
    alpha (h, w) float32)`` at mouth coordinate ``u`` (0..1 across a mouth ``width``
    IODs wide) and ``dist`` pixels from the lip, both ``(h, w)``. ``which`` is
    ``"upper"`` or ``"lower"``. The strip keeps s1's size across the mouth (its middle
    at the mouth's) and fades to the cavity beyond its ends (:data:`SIDE_FADE`), and
    over the last fifth of its height times ``reach`` (0..1, a float or ``(h, w)``).
    It is drawn from the two copies of the strip (:func:`level`) nearest to one sample
    per pixel, blended by where the mouth's size lies between theirs (a mouth that grows
    or shrinks with the head changes smoothly, never from one copy to the next), and
    blurred to the softness ``blur`` of the picture's edges at this size (pixels,
    :func:`engine.render.samples.edge_blur`; :data:`TEETH_EDGE`)."""
    height = UPPER_IOD if which == "upper" else LOWER_IOD
    across = 0.5 + (u - 0.5) * (width / max(b.width, 1e-6))
    t = dist / max(height * iod, 1e-6)
    steps = 4.0 * np.log2(max(b.width * iod / WIDTH, 1e-3))
    steps = min(max(float(steps), float(LEVELS[0])), float(LEVELS[1]))  # np.clip on a scalar: 7 µs
    lo = int(np.floor(steps))
    share = steps - lo
    out = np.zeros((*np.shape(u), 3), np.float32)
    for step, weight in ((lo, 1.0 - share), (lo + 1, share)):
        if weight <= 1e-3:
            continue
        img = level(b, which, step)
        rows, samples = img.shape[:2]
        mx = (np.clip(across, 0.0, 1.0) * samples - 0.5).astype(np.float32)
        my = (np.clip(t, 0.0, 1.0) * rows - 0.5).astype(np.float32)
        out += weight * cv2.remap(img, mx, my, cv2.INTER_CUBIC,
                                  borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    extra = float(blur) ** 2 - TEETH_EDGE**2
    if extra > 0.01 and min(out.shape[:2]) > 1:
        out = cv2.GaussianBlur(out, (0, 0), float(np.sqrt(extra)),
                               borderType=cv2.BORDER_REPLICATE)
    end = np.asarray(reach, np.float32)
    side = (smoothstep(across, -SIDE_FADE, SIDE_FADE)
            * smoothstep(1.0 - across, -SIDE_FADE, SIDE_FADE))
    alpha = np.clip((end - t) / (0.2 * end), 0.0, 1.0) * side
    return out, alpha.astype(np.float32)


def level(b: InteriorBank, which: str, step: int) -> np.ndarray:
    """The ``which`` strip (``"upper"`` or ``"lower"``) at ``WIDTH * 2 ** (step / 4)``
    samples across (``step`` within :data:`LEVELS`): ``(rows, samples, 3) uint8``, the
    fine copy (:data:`FINE`) averaged down, made once per bank and step."""
    step = min(max(int(step), LEVELS[0]), LEVELS[1])
    found = b.levels.get((which, step))
    if found is not None:
        return found
    if step == LEVELS[1]:
        base = b.upper if which == "upper" else b.lower
        found = np.clip(upsample(base, FINE, SHOCK_ITERATIONS, SHOCK_SIGMA, SHOCK_DARK)
                        + 0.5, 0, 255).astype(np.uint8)
    else:
        fine = level(b, which, LEVELS[1])
        samples = int(round(WIDTH * 2.0 ** (step / 4.0)))
        rows = max(int(round(fine.shape[0] * samples / fine.shape[1])), 2)
        found = cv2.resize(fine, (samples, rows), interpolation=cv2.INTER_AREA)
    found.setflags(write=False)
    b.levels[(which, step)] = found
    return found


@cache
def bank_teeth_rgb() -> np.ndarray | None:
    """``(3,) float32`` s1's teeth colour (the median of the brighter half of the
    shipped strips), or None without the asset."""
    b = bank()
    if b is None:
        return None
    px = np.concatenate([b.upper.reshape(-1, 3), b.lower.reshape(-1, 3)]).astype(np.float32)
    lum = px @ LUMA
    out = np.median(px[lum >= np.median(lum)], axis=0).astype(np.float32)
    out.setflags(write=False)
    return out


def hole_depth(gap: np.ndarray) -> np.ndarray:
    """``float32`` 0..1, as ``gap`` (the lips' gap at a pixel's column, inter-ocular
    distances): how deep a hole the mouth is there, 0 where the lips near each other, 1
    where they are :data:`CAVITY_DEPTH`'s far value apart."""
    return smoothstep(gap, *CAVITY_DEPTH)


def cavity_shade(u: np.ndarray, d_top: np.ndarray, d_bot: np.ndarray,
                 iod: float) -> np.ndarray:
    """``(h, w) float32`` the light inside the mouth, 1 next to its lips and teeth, down to
    :data:`CAVITY_DEEP` deep in a wide mouth and towards its corners
    (:data:`CAVITY_CORNER`); arguments as :func:`fill`. A smooth product of the depths
    under each lip, not the distance to the nearer one: that distance's ridges (where the
    two are equal) ran diagonally into the corners and drew a bevelled frame inside a
    wide mouth."""
    depth = (smoothstep(np.maximum(d_top, 0.0) / max(iod, 1e-6), *CAVITY_DEPTH)
             * smoothstep(np.maximum(d_bot, 0.0) / max(iod, 1e-6), *CAVITY_DEPTH))
    corner = (smoothstep(np.abs(2.0 * u - 1.0), *CAVITY_CORNER)
              * hole_depth((d_top + d_bot) / max(iod, 1e-6)))
    depth = 1.0 - (1.0 - depth) * (1.0 - corner)
    return (1.0 - (1.0 - CAVITY_DEEP) * depth).astype(np.float32)


def lay_tongue(color: np.ndarray, lip_rgb: np.ndarray, opening: float, u: np.ndarray,
               d_top: np.ndarray, d_bot: np.ndarray, iod: float, front: float = 0.0,
               rigid: tuple[np.ndarray, float] | None = None) -> None:
    """Lay the tongue over the interior ``color (h, w, 3) float32`` in place: a soft dome
    rising from the lower lip once the mouth's ``opening`` (IODs, the gap at its middle)
    passes :data:`TONGUE`, in the shade of the lip colour ``lip_rgb (3,)``. It is lit
    from the front: lightest where it meets what stands before it (the lower teeth's
    edges, ``front`` pixels above the lower lip; 0 where nothing does), darker back to
    its top edge, so the part that shows over the teeth is not a flat band.

    ``rigid``: ``(lower hang (h, w) pixels, the gap at the mouth's middle, pixels)``, the
    lower hang as :func:`rigid_hang` gives it: the dome then stands on a straight line at
    the middle of the lower lip, as tall as the middle's gap allows, and where the lip
    curves up towards the corners (a smile) it covers the tongue's sides. Without it the
    dome follows the lip column by column: in a smile's crescent its top edge ran
    parallel to both lips, a band in the crescent's shape."""
    amount = float(smoothstep(opening, *TONGUE))
    if amount <= 0.0:
        return
    side = np.abs(2.0 * u - 1.0)
    if rigid is None:
        gap: np.ndarray | float = np.maximum(d_top + d_bot, 1e-3)
    else:
        d_bot = d_bot + rigid[0]
        gap = max(rigid[1], 1e-3)
    dome = TONGUE_SHARE * gap * np.sqrt(np.clip(1.0 - (side / TONGUE_WIDTH) ** 2, 0.0, 1.0))
    alpha = 0.85 * amount * np.clip((dome - d_bot) / max(1.0, 0.03 * iod), 0.0, 1.0)
    depth = np.clip((dome - d_bot) / np.maximum(dome - front, 1e-3), 0.0, 1.0)
    shade = (TONGUE_LIGHT[0] + TONGUE_LIGHT[1] * depth) * (1.0 - 0.4 * side**2)
    tongue = shade[..., None] * (np.asarray(lip_rgb, np.float32) * TONGUE_TINT)
    color += alpha[..., None] * (tongue - color)


def rigid_hang(u: np.ndarray, top: np.ndarray, bot: np.ndarray, mid_top: float,
               mid_bot: float, iod: float) -> tuple[np.ndarray, np.ndarray]:
    """How much further from each lip the rigid teeth lie at each pixel than the lip's own
    distance: ``(upper, lower)``, each ``(h, w)`` float, pixels, for :func:`fill`'s ``hang``.

    ``top`` and ``bot`` (``(h, w)`` pixels along the mouth's downward normal) are where
    the upper and the lower lip lie at each pixel's column, ``mid_top`` and ``mid_bot``
    where they lie at the mouth's middle. The teeth's edges do not follow the lips: the
    lower teeth's runs straight across from the middle, and the upper teeth's curves up
    towards the canines by :data:`SMILE_ARC` whatever the upper lip does, so that where
    a lip curves into the mouth it covers them, and a wide mouth's corners show the
    dark beside them (following half the lip's curve drew the upper teeth down the
    sides of a wide mouth as a bevelled frame)."""
    return top - mid_top + SMILE_ARC * iod * (2.0 * u - 1.0) ** 2, mid_bot - bot


def fill(b: InteriorBank, u: np.ndarray, d_top: np.ndarray, d_bot: np.ndarray,
         iod: float, width: float, opening: float,
         hang: tuple[np.ndarray, np.ndarray] | None = None, blur: float = SHARP) -> np.ndarray:
    """The interior at mouth coordinate ``u`` (0..1 across a mouth ``width`` IODs wide)
    and distances ``d_top``, ``d_bot`` (pixels) below the upper and above the lower lip,
    all ``(h, w)``:
    ``(h, w, 3) float32`` 0..255, in s1's light. Back to front: the cavity (shaded by its
    depth, :func:`cavity_shade`), the tongue of a mouth ``opening`` IODs wide
    (:func:`lay_tongue`), the lower teeth, the upper teeth.

    The teeth are rigid: ``hang`` (:func:`rigid_hang`) gives, per pixel, how much further
    from the upper and the lower lip they lie than the lip's own distance (pixels), so a
    lip that curves in covers them and a wide mouth's corners show the dark beside them,
    not teeth that follow the lips round; None lays them along the lips. ``blur``: how
    soft the picture is (:func:`strip`)."""
    out = cavity_shade(u, d_top, d_bot, iod)[..., None] * b.cavity_rgb
    lay_tongue(out, b.lip_rgb, opening, u, d_top, d_bot, iod, front=TONGUE_FRONT * iod,
               rigid=None if hang is None else (hang[1], opening * iod))
    gap = np.maximum(d_top + d_bot, 0.0) / max(iod, 1e-6)
    short = UPPER_TEETH[0] / UPPER_IOD
    reach = 1.0 - (1.0 - short) * smoothstep(gap, *UPPER_TEETH[1:])
    top_hang, bot_hang = hang if hang is not None else (0.0, 0.0)
    edge = np.minimum(u, 1.0 - u)
    for which, dist, end in (("lower", d_bot + bot_hang, 1.0), ("upper", d_top + top_hang, reach)):
        img, a = strip(b, which, u, dist, iod, width, end, blur)
        corridor = smoothstep(edge, *(LOWER_CORRIDOR if which == "lower" else CORRIDOR))
        out += (a * corridor)[..., None] * (img - out)
    return out
