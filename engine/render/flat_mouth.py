"""The inside of a mouth drawn in flat paint, drawn as a cartoonist draws it.

A face drawn in flat colours (:func:`engine.render.samples.paint_colour`,
``PortraitRig.paint``) opens onto a hole of one dark colour, the upper teeth as one
white shape under the upper lip and, once the mouth is wide, a tongue of one colour
rising from the lower lip: no shading, no gaps between the teeth, edges as crisp as the
drawing's own (anti-aliased over a pixel). The shaded inside that a photographed
animal gets (:func:`engine.render.mouth._painted`, gradients, tooth gaps and a blur)
read at full size on a flat drawing as a grey, blurred band over a brown smear.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA, saturations
from engine.render.drawn_eye import INK_SATURATION
from engine.render.interior import TONGUE, smoothstep
from engine.render.lips import mouth_normal, spread_lips
from engine.render.samples import paint_colour

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
#: Ink: darker than this share of the skin's luma, and greyer than a drawn eye's ink
#: (:data:`engine.render.drawn_eye.INK_SATURATION`: black or dark brown lines, not red lips).
INK_LUMA = 0.5
#: Moving placed lips onto a drawn line (:func:`onto_drawn_line`), ink is also what is darker
#: than this share of the paint round the mouth, whatever its hue: the bear sample's dark
#: brown line (luma 26-37 on paint of 210) reads 0.57-0.63 saturated as (max - min) / max.
INK_DARK = 0.25
#: Lips meet in a drawn line where at least this many of the inner lips' middle seven
#: columns cross a run of ink, the runs' median at most the second value wide and sought
#: within the third of where the lips meet (inter-ocular distances). Found on 11 of the
#: 30 Open Clip Art Library faces (at their own size) that read as flat paint, 0.007 to
#: 0.035 IOD wide, the cartoon sample among them (black, 2 px: 0.007 IOD). On the bear
#: sample (placed by hand) only since its lips are carried onto its line
#: (:func:`onto_drawn_line`), and as 0.5 px of its fringe: its dark brown core is too
#: saturated for ink against the skin colour read from its green fur.
LINE_COLUMNS, LINE_WIDTH, LINE_REACH = 5, 0.04, 0.04


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


@dataclass(frozen=True)
class FlatPaint:
    """A face drawn in flat paint round its mouth (``PortraitRig.paint``; a photo's or a
    painting's is None).

    Attributes:
        line: ``(ink (3,) float32 0..255, width in pixels)`` of the line its lips meet
            in, when they meet in a drawn line of ink (:func:`drawn_line`); None
            otherwise. The open mouth is outlined with it.
    """

    line: tuple[np.ndarray, float] | None = None


def flat_paint_of(rgb: np.ndarray, lm: np.ndarray, iod: float, skin_rgb: np.ndarray
                  ) -> FlatPaint | None:
    """The face's :class:`FlatPaint` round the mouth, or None when its skin there is no
    flat paint (:func:`engine.render.samples.paint_colour`); arguments as :func:`drawn_line`."""
    if paint_colour(rgb, lm, iod) is None:
        return None
    return FlatPaint(drawn_line(rgb, lm, iod, skin_rgb))


def _across(rgb: np.ndarray, lm: np.ndarray, iod: float, level: float, columns: slice,
            dark: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The picture sampled across the mouth where the lips meet, at half-pixel steps along
    its normal out to :data:`LINE_REACH` each way, at ``columns`` of the inner lips'
    eleven: ``(steps (n,) px, rgb (c, n, 3) float32, ink (c, n) bool)``; ink is darker than
    :data:`INK_LUMA` of the luma ``level`` and greyer than :data:`INK_SATURATION`, or
    darker than ``dark`` of it whatever its hue."""
    meet = 0.5 * (lm[topo.LIPS_INNER_UPPER, :2] + lm[topo.LIPS_INNER_LOWER, :2]).astype(np.float64)
    normal = mouth_normal(lm[:, :2].astype(np.float64))
    steps = np.arange(-LINE_REACH * iod, LINE_REACH * iod + 0.25, 0.5)
    q = (meet[columns, None] + steps[None, :, None] * normal).astype(np.float32)
    cols = cv2.remap(rgb[..., :3].astype(np.float32), q[..., 0], q[..., 1], cv2.INTER_LINEAR)
    luma = cols @ LUMA
    ink = (luma < INK_LUMA * level) & ((saturations(cols) < INK_SATURATION) | (luma < dark * level))
    return steps, cols, ink


def onto_drawn_line(rgb: np.ndarray, landmarks: np.ndarray, fixed: tuple[int, ...] = ()
                    ) -> np.ndarray:
    """``(468, 3) float32`` landmarks (pixels) whose inner lips are moved onto the drawn
    line a flat drawing's lips meet in, where one lies within :data:`LINE_REACH` of them;
    ``landmarks`` themselves otherwise (a photo, a painting, no such line, or the lips on it
    already). Each inner-lip column keeps its gap and moves along the mouth's normal to
    the middle of the run of ink nearest where the lips meet, the points inside the lips
    with it (:func:`engine.render.lips.spread_lips`); points in ``fixed`` (placed by hand)
    stay. A mouth placed by hand on a drawn line is seldom on it to the pixel (the bear
    sample's lies 3 to 9 px off its fitted lips), and opening between the wrong rows split
    the line into streaks on both lips. ``rgb``: ``(H, W, 3) uint8`` the picture."""
    lm = np.asarray(landmarks, np.float64)
    xy = lm[:, :2]
    iod = float(np.linalg.norm(xy[topo.EYE_OUTER[1]] - xy[topo.EYE_OUTER[0]]))
    paint = paint_colour(rgb, xy, iod) if iod >= 8.0 else None
    if paint is None:
        return landmarks
    up, lo = topo.LIPS_INNER_UPPER[1:-1], topo.LIPS_INNER_LOWER[1:-1]
    steps, _, inky = _across(rgb, xy, iod, float(paint @ LUMA), slice(1, -1), INK_DARK)
    found, offsets, widths = [], [], []
    for j, ink in enumerate(inky):
        runs = np.flatnonzero(np.diff(np.r_[0, ink.astype(np.int8), 0])).reshape(-1, 2)
        if not len(runs):
            continue
        centres = 0.5 * (steps[runs[:, 0]] + steps[runs[:, 1] - 1])
        k = int(np.argmin(np.abs(centres)))
        found.append(j)
        offsets.append(centres[k])
        widths.append(0.5 * (runs[k, 1] - runs[k, 0]))
    if (len(found) < len(up) - 2 or float(np.median(widths)) > LINE_WIDTH * iod
            or float(np.max(np.abs(offsets))) < 1.0):
        return landmarks
    shift = np.interp(np.arange(len(up)), found, offsets)[:, None] * mouth_normal(xy)
    moved = xy.copy()
    for ids in (up, lo):
        keep = np.isin(ids, fixed)
        moved[ids[~keep]] += shift[~keep]
    spread_lips(xy, moved)
    out = np.asarray(landmarks, np.float32).copy()
    out[:, :2] = moved
    return out


def drawn_line(rgb: np.ndarray, lm: np.ndarray, iod: float, skin_rgb: np.ndarray
               ) -> tuple[np.ndarray, float] | None:
    """``(ink (3,) float32, width px)`` of the drawn line the lips meet in, or None.

    Across the mouth at the middle seven of the inner lips' eleven columns, the run of
    ink (darker than :data:`INK_LUMA` of the skin and greyer than :data:`INK_SATURATION`)
    that crosses where the lips meet: a line when at least :data:`LINE_COLUMNS` columns
    have one and its median width is at most :data:`LINE_WIDTH`.

    Args:
        rgb: ``(h, w, 3) uint8`` the picture; lm: ``(468, 2+)`` its landmarks, pixels.
        iod: inter-ocular distance, pixels; skin_rgb: ``(3,)`` the skin's colour.
    """
    steps, cols, inky = _across(rgb, lm, iod, float(np.asarray(skin_rgb, np.float32) @ LUMA),
                                slice(2, -2))
    # The run must cross within 2 px (4 half-pixel steps) of where the lips meet.
    mid = len(steps) // 2
    first = max(mid - 4, 0)
    widths, inks = [], []
    for col, ink in zip(cols, inky, strict=True):
        near = first + np.flatnonzero(ink[first:mid + 5])
        if not len(near):
            continue
        i = int(near[np.argmin(np.abs(near - mid))])
        a, b = i, i
        while a > 0 and ink[a - 1]:
            a -= 1
        while b < len(ink) - 1 and ink[b + 1]:
            b += 1
        widths.append(0.5 * (b - a + 1))
        inks.append(col[a:b + 1])
    if len(widths) < LINE_COLUMNS or float(np.median(widths)) > LINE_WIDTH * iod:
        return None
    return np.median(np.concatenate(inks), axis=0).astype(np.float32), float(np.median(widths))


def outline(out: np.ndarray, line: tuple[np.ndarray, float], edges: tuple[np.ndarray, ...],
            scale: float, strength: float) -> None:
    """Outline an open flat mouth in ``out`` ``(h, w, 3|4) uint8``, in place: the drawn
    line ``line`` (:func:`drawn_line`, its width times ``scale``, output pixels per
    portrait pixel) along each of ``edges`` (``(n, 2)`` the gap's upper and lower edge,
    corner to corner, output pixels), at opacity ``strength`` (0..1). Opening stretches
    the line the lips met in into streaks on each lip; drawn again on each edge of the
    gap, it reads as a cartoonist's open mouth."""
    ink, width = line
    w = max(1.0, width * scale)
    pts = np.concatenate(edges)
    h, wd = out.shape[:2]
    pad = int(np.ceil(w)) + 2
    x0, y0 = (max(int(np.floor(v)) - pad, 0) for v in pts.min(axis=0))
    x1, y1 = int(np.ceil(pts[:, 0].max())) + pad + 1, int(np.ceil(pts[:, 1].max())) + pad + 1
    x1, y1 = min(x1, wd), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    for e in edges:
        cv2.polylines(mask, [np.round((e - (x0, y0)) * 16).astype(np.int32)], False, 1.0,
                      max(1, int(round(w))), cv2.LINE_AA, 4)
    a = (strength * np.clip(mask, 0.0, 1.0))[..., None]
    patch = out[y0:y1, x0:x1, :3].astype(np.float32)
    patch += a * (np.asarray(ink, np.float32) - patch)
    out[y0:y1, x0:x1, :3] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
