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
#: A line's ink is at least this share of the paint's luma darker than the paint
#: (:func:`bare_line`).
INK_CONTRAST = 0.3
#: A colour this far off the mixture of ink and paint (in units of their distance) holds
#: none of the ink (:func:`_ink_share`).
MIX_OFF = 0.35
#: The line is wiped this many pixels beyond half its width from where the lips meet
#: (its anti-aliased edge; :func:`wipe_line`).
WIPE_MARGIN = 2.5
#: The colour just beyond a bare line's ink is within this of the paint, per channel.
BARE_LEVELS = 24
#: Strokes off the line that end within this of a mouth corner are wiped with it
#: (inter-ocular distances; the bear sample's upturned ticks reach 0.045).
CORNER_REACH = 0.08
#: A colour this far off the way from the paint to the ink (in units of their distance) is
#: wiped in full, and none beyond the second value: the bear's anti-aliased line lies
#: within 0.02 of it, its red lip beside the line 0.17 off.
WIPE_OFF = (0.06, 0.12)
#: Colours this share of the ink past the paint (a sharpened picture's light ring round
#: its line) or past the ink (a core darker than the ink's median) are wiped too.
HALO = 0.25
#: A line drawn on bare paint is wiped and drawn again round the gap as the gap opens
#: between these shares of its width, its inside fading in between the second two: two
#: strokes that overlap draw the line (:func:`lay_wiped`).
LINE_SWAP = (0.05, 0.3)
LINE_FADE_IN = (0.3, 1.0)


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
            in, when they meet in a drawn line of ink (:func:`drawn_line`; on bare paint
            read against that paint, :func:`bare_line`); None otherwise. The open mouth
            is outlined with it.
        wiped: ``(x0, y0, (h, w, 3) uint8)`` the picture round a line on bare paint,
            corner to corner, with its ink wiped to the paint (:func:`wipe_line`), at
            ``(x0, y0)`` in the portrait's pixels; None otherwise.
    """

    line: tuple[np.ndarray, float] | None = None
    wiped: tuple[int, int, np.ndarray] | None = None


def flat_paint_of(rgb: np.ndarray, lm: np.ndarray, iod: float, skin_rgb: np.ndarray,
                  origin: tuple[int, int] = (0, 0)) -> FlatPaint | None:
    """The face's :class:`FlatPaint` round the mouth, or None when its skin there is no
    flat paint (:func:`engine.render.samples.paint_colour`); arguments as :func:`drawn_line`,
    ``rgb`` lying at ``origin`` in the portrait."""
    paint = paint_colour(rgb, lm, iod)
    if paint is None:
        return None
    line = drawn_line(rgb, lm, iod, skin_rgb)
    if line is None:
        return FlatPaint()
    bare = bare_line(rgb, lm, iod, paint)
    if bare is None:
        return FlatPaint(line)
    x0, y0, patch = wipe_line(rgb, lm, iod, paint, bare)
    return FlatPaint(bare, (x0 + origin[0], y0 + origin[1], patch))


def _on_the_way(px: np.ndarray, paint: np.ndarray, ink: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Colours ``px (..., 3)`` against the way from ``paint`` to ``ink``: ``(along, off)``
    float32 ``(...)``, how far along it (0 the paint, 1 the ink) and how far off it (both
    in units of the ink's distance from the paint)."""
    d = (ink - paint).astype(np.float32)
    dd = max(float(d @ d), 1.0)
    rel = px.astype(np.float32) - paint
    along = rel @ d / dd
    return along, np.linalg.norm(rel - along[..., None] * d, axis=-1) / np.sqrt(dd)


def _ink_share(px: np.ndarray, paint: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """``(...)`` float32 0..1: how much of ``ink`` each colour ``px (..., 3)`` holds over
    ``paint``, as an anti-aliased or blurred stroke mixes them; 0 where the colour lies off
    that mixture (:data:`MIX_OFF` of the way from it: a red lip, a blue fur)."""
    along, off = _on_the_way(px, paint, ink)
    return np.clip(along, 0.0, 1.0) * np.clip(1.0 - off / MIX_OFF, 0.0, 1.0)


def _run(mask: np.ndarray, i: int) -> tuple[int, int]:
    """``(first, last)`` index of the run of True in ``mask (n,) bool`` through ``i``
    (``(i, i)`` where ``mask[i]`` itself is False)."""
    a, b = i, i
    while a > 0 and mask[a - 1]:
        a -= 1
    while b < len(mask) - 1 and mask[b + 1]:
        b += 1
    return a, b


def bare_line(rgb: np.ndarray, lm: np.ndarray, iod: float, paint: np.ndarray
              ) -> tuple[np.ndarray, float] | None:
    """``(ink (3,) float32, width px)`` of a line the lips meet in drawn on bare paint
    (the bear sample's mouth, a smiley's), read against that paint; None where there is
    none, or where lips of their own colour lie along it (a cartoon's orange lips outlined
    in black: wiping their line would leave the lips unoutlined).

    The ink is the median of the darkest colour crossing each of the middle seven columns
    near where the lips meet, the width the ink each holds summed across the line (what a
    stroke of that ink covers). A line is bare where the colour just beyond its ink on both
    sides is the paint, at :data:`LINE_COLUMNS` columns or more, and its ink at least
    :data:`INK_CONTRAST` of the paint's luma darker. :func:`drawn_line` reads the line
    against the cheek's colour and a dark brown line on a cream muzzle in a green face only
    as its greyest fringe (the bear sample: 0.5 px of a 4.6 px line)."""
    steps, cols, _ = _across(rgb, lm, iod, float(paint @ LUMA), slice(2, -2))
    mid = len(steps) // 2
    near = slice(max(mid - 4, 0), mid + 5)  # within 2 px of where the lips meet
    darkest = np.argmin((cols @ LUMA)[:, near], axis=1) + near.start
    ink = np.median(cols[np.arange(len(cols)), darkest], axis=0).astype(np.float32)
    if float((paint - ink) @ LUMA) < INK_CONTRAST * float(paint @ LUMA):
        return None
    widths, bare = [], 0
    for col, share, k in zip(cols, _ink_share(cols, paint, ink), darkest, strict=True):
        a, b = _run(share > 0.05, k)
        widths.append(0.5 * float(share[a:b + 1].sum()))
        sides = col[[max(a - 2, 0), min(b + 2, len(col) - 1)]]
        bare += bool(np.abs(sides - paint).max() <= BARE_LEVELS)
    if bare < LINE_COLUMNS:
        return None
    return ink, max(float(np.median(widths)), 1.0)


def wipe_line(rgb: np.ndarray, lm: np.ndarray, iod: float, paint: np.ndarray,
              line: tuple[np.ndarray, float]) -> tuple[int, int, np.ndarray]:
    """``(x0, y0, (h, w, 3) uint8)``: ``rgb`` round the line the lips meet in with the
    line's ink, and each colour mixed of it and ``paint``, turned to the paint:
    within half the line's width and :data:`WIPE_MARGIN` px of where the lips meet, corner
    to corner, and the strokes off it that end within :data:`CORNER_REACH` of a corner (a
    dimple's tick; not a line that runs on). An opening mouth stretches the line into brown
    streaks over the lips and past the corners; opened from this, the lips are bare paint,
    and the line is drawn again round the gap (:func:`outline`)."""
    ink, width = line
    meet = 0.5 * (lm[topo.LIPS_INNER_UPPER, :2] + lm[topo.LIPS_INNER_LOWER, :2])
    reach = 0.5 * width + WIPE_MARGIN
    pad = int(np.ceil(max(reach, CORNER_REACH * iod))) + 2
    h, w = rgb.shape[:2]
    x0, y0 = (max(int(np.floor(v)) - pad, 0) for v in meet.min(axis=0))
    x1 = min(int(np.ceil(meet[:, 0].max())) + pad + 1, w)
    y1 = min(int(np.ceil(meet[:, 1].max())) + pad + 1, h)
    patch = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])
    local = (meet - (x0, y0)).astype(np.float64)
    band = np.zeros(patch.shape[:2], np.uint8)
    cv2.polylines(band, [np.round(local * 16).astype(np.int32)], False, 255,
                  max(1, int(round(2 * reach))), cv2.LINE_AA, 4)
    share = _ink_share(patch, paint, ink)
    # What ink is left with the line's band taken out: the ticks come apart from it.
    _, parts = cv2.connectedComponents(((share > 0.3) & (band < 128)).astype(np.uint8),
                                       connectivity=8)
    touching = cv2.dilate(band, np.ones((5, 5), np.uint8)) > 127
    ticks = np.zeros(patch.shape[:2], bool)
    r = CORNER_REACH * iod
    yy, xx = np.mgrid[:patch.shape[0], :patch.shape[1]]
    for corner in (local[0], local[-1]):
        disc = np.hypot(xx - corner[0], yy - corner[1]) <= r
        for label in np.unique(parts[touching & disc & (parts > 0)]):
            part = parts == label
            if not np.any(part & ~disc):  # a tick, not a line that runs on (a smile's ends)
                ticks |= part
    grown = cv2.dilate(ticks.astype(np.uint8), np.ones((7, 7), np.uint8))
    weight = np.maximum(band.astype(np.float32) / 255.0, grown.astype(np.float32))
    # Every colour on the way from the paint to the ink (a little past either end: the
    # light ring a sharpened picture draws round a dark line, a core darker than the
    # ink's median) becomes the paint; other colours (a red lip) stay.
    along, off = _on_the_way(patch, paint, ink)
    take = weight * (1.0 - smoothstep(off, *WIPE_OFF)) * ((along >= -HALO)
                                                          & (along <= 1.0 + HALO))
    px = patch.astype(np.float32)
    out = px + take[..., None] * (paint - px)
    return x0, y0, np.clip(out + 0.5, 0, 255).astype(np.uint8)


def wiped_under(wiped: tuple[int, int, np.ndarray], mapping: np.ndarray, scale: np.ndarray,
                current: np.ndarray) -> np.ndarray:
    """``(h, w, 3) uint8``: ``current`` (the warped frame's RGB over ``mapping``'s box) where
    the warp would show the wiped patch, the patch warped there instead.

    Args:
        wiped: :attr:`FlatPaint.wiped`.
        mapping: ``(h, w, 2) float32`` each output pixel's source position, in the
            resized portrait's pixels (:meth:`engine.render.warp.TriangleMap.sample`).
        scale: ``(2,)`` output pixels per portrait pixel, x and y.
    """
    x0, y0, patch = wiped
    src = (mapping + 0.5) / scale.astype(np.float32) - 0.5 - np.array([x0, y0], np.float32)
    out = np.ascontiguousarray(current[..., :3]).copy()
    # Only where the source falls inside the patch: elsewhere the frame is as warped.
    cv2.remap(patch, src.astype(np.float32), None, interpolation=cv2.INTER_LINEAR,  # type: ignore[call-overload]
              dst=out, borderMode=cv2.BORDER_TRANSPARENT)
    return out


#: Where a frame's wiped patch would lie: ``((x0, y0, x1, y1), mapping (h, w, 2) float32
#: over that box, scale (2,))`` (:func:`wiped_under`'s arguments; :func:`lay_wiped`).
Under = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]


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
        a, b = _run(ink, int(near[np.argmin(np.abs(near - mid))]))
        widths.append(0.5 * (b - a + 1))
        inks.append(col[a:b + 1])
    if len(widths) < LINE_COLUMNS or float(np.median(widths)) > LINE_WIDTH * iod:
        return None
    return np.median(np.concatenate(inks), axis=0).astype(np.float32), float(np.median(widths))


def lay_wiped(out: np.ndarray, paint: FlatPaint, under: Under, opening: float,
              iod: float) -> tuple[float, float]:
    """Lay ``paint``'s wiped patch (:attr:`FlatPaint.wiped`, made with its line), warped as
    the frame is (``under``), over ``out`` ``(h, w, 3|4) uint8`` in place, as far as a gap
    ``opening`` wide (inter-ocular distances) calls for its line to be drawn again round
    it; a closed mouth warps nothing. ``iod``: the portrait's inter-ocular distance,
    pixels. Returns the opacity of the inside and of the line drawn round the gap
    (:data:`LINE_FADE_IN`, :data:`LINE_SWAP`)."""
    if paint.wiped is None or paint.line is None:
        raise ValueError("no wiped line to lay")
    width = paint.line[1] / iod
    drawn = float(smoothstep(opening, LINE_SWAP[0] * width, LINE_SWAP[1] * width))
    if drawn > 0.0:
        (x0, y0, x1, y1), mapping, scale = under
        region = out[y0:y1, x0:x1, :3]
        laid = wiped_under(paint.wiped, mapping, scale, region).astype(np.float32)
        region[:] = np.clip(region + drawn * (laid - region) + 0.5, 0, 255).astype(np.uint8)
    return float(smoothstep(opening, LINE_FADE_IN[0] * width, LINE_FADE_IN[1] * width)), drawn


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
