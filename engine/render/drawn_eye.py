"""A drawn eye: what its outline encloses past the face mesh's eye, and its closed lid.

A drawing outlines its eyes, and a cartoon's eye is often larger than the human eye
the face mesh fits inside it, or beside it: its white and its iris reach past the
mesh's lid lines, up to the drawn outline. A human lid (:mod:`engine.render.painted_lids`)
covers only the mesh's eye and a margin made for a photo's lashes and rims, and its
plate, inpainted from what lies just outside, smeared the white and the iris into a
lid that never closed (an Open Clip Art Library head turned three-quarters away).

What a drawn outline encloses is found as the light regions that strokes cut off from
everything else round the eye (:func:`drawn_eye`): regions of pixels lighter than the
strokes, with gaps in the strokes up to :data:`GAP` bridged, on or beside the mesh's
eye and not touching the edge of a box :data:`REACH` round it. The eye as drawn is the
hull of those regions and the mesh's eye, and the outline round it, if paint and not
more dark lies past that outline (a cartoon's large dark iris round a catchlight is not
an outline). A photo's or a painting's eye is not enclosed: its white meets the skin at
the corners. Measured on the blink check's thirteen portraits (photos, a painting,
paintings and inked drawings made from photos, video stills): none is taken for drawn;
on five cartoon and line-drawn human faces of the Open Clip Art Library, four are, the
fifth (a manga girl whose eyes are mostly dark iris) not.

A drawn eye's lid covers the eye as drawn in the paint round it (:func:`drawn_plate`),
closes from its drawn outline (:func:`drawn_margins`) and meets the lower lid as an
animator draws it, with a line in the drawing's ink. A stroke that meets the outline
and runs on (a nose's line; a turned face's outline, where the eye reaches the face's
edge) is drawn on across it (:mod:`engine.render.strokes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.render.colour import LUMA, saturations
from engine.render.eye_outline import eye_frame, lid_outline
from engine.render.strokes import carry_strokes

#: A drawn eye reaches at most this far (inter-ocular distances) past the mesh's eye:
#: the search box is this large around it, so that regions enclosed further out (a lens
#: in its frame, a face's whole outline) touch its edge and are not taken for the eye.
REACH = 0.15
#: ... but once the eye is found drawn, what its outline encloses in a colour (an iris)
#: may reach this far.
IRIS_REACH = 0.3
#: What is enclosed must reach at least this far (inter-ocular distances) past the
#: mesh's eye to be a drawn eye's white rather than a catchlight in a photo's iris.
MIN_REACH = 0.02
#: At most this share of the band a stroke's width past the outline may be dark.
MAX_DARK_BEYOND = 0.5
#: Gaps in a drawn outline up to this wide (inter-ocular distances) are closed.
GAP = 0.01
#: Strokes darker than the paint round the eye that are more saturated than this
#: ((max - min) / max of RGB) are a drawn iris's colour, not ink.
INK_SATURATION = 0.5
#: Pixels near a drawn eye further than this (RGB distance) from the paint round it,
#: and not strokes, are its outline's soft edge.
SPECK = 20.0
#: Paint round a drawn eye within this (0..255, each channel) of its median colour is
#: read for its shading.
SHADE_NEAR = 40.0
#: An enclosed region this near the mesh's eye (inter-ocular distances) is the eye's (a
#: white beyond a dark iris), and the outline is looked for within this band past them.
STROKE = 0.03


@dataclass(frozen=True)
class DrawnEye:
    """A drawn eye past the mesh's.

    Attributes:
        region: ``(h, w) bool`` the eye as drawn (the hull of the mesh's eye and what
            its outline encloses, and the outline round it), in a box of the portrait.
        origin: ``(x0, y0)`` of that box, pixels.
        stroke: the width of the outline, pixels: a closed lid is drawn with it.
        dark: pixels darker than this luma (0..255) are strokes.
    """

    region: np.ndarray
    origin: tuple[int, int]
    stroke: float
    dark: float

    def contains(self, pts: np.ndarray) -> np.ndarray:
        """``(n,) bool``: whether the points ``(n, 2)`` (portrait pixels) lie on the eye."""
        x = np.round(pts[:, 0] - self.origin[0]).astype(int)
        y = np.round(pts[:, 1] - self.origin[1]).astype(int)
        h, w = self.region.shape
        ok = (x >= 0) & (y >= 0) & (x < w) & (y < h)
        out = np.zeros(len(pts), bool)
        out[ok] = self.region[y[ok], x[ok]]
        return out


def drawn_eye(rgb: np.ndarray, eye: np.ndarray, iod: float, ink_luma: float
              ) -> DrawnEye | None:
    """The drawn eye around the mesh's eye ``eye`` (``(n, 2) float`` pixels, the upper
    lid line then the lower one back), or None where nothing drawn encloses it.

    Args:
        rgb: ``(H, W, 3) uint8`` the portrait.
        iod: inter-ocular distance, pixels.
        ink_luma: pixels darker than this share of the median luma around the eye are
            strokes.
    """
    h, w = rgb.shape[:2]
    # The search box (REACH round the eye) inside a box twice as wide (IRIS_REACH).
    box = []
    for reach in (REACH, IRIS_REACH):
        pad = int(np.ceil(reach * iod)) + 2
        box.append((max(int(np.floor(eye[:, 0].min())) - pad, 0),
                    max(int(np.floor(eye[:, 1].min())) - pad, 0),
                    min(int(np.ceil(eye[:, 0].max())) + pad + 1, w),
                    min(int(np.ceil(eye[:, 1].max())) + pad + 1, h)))
    x0, y0, x1, y1 = box[1]
    if box[0][2] - box[0][0] < 4 or box[0][3] - box[0][1] < 4:
        return None
    edge = np.zeros((y1 - y0, x1 - x0), bool)  # the search box's edge, in the wider box
    sx0, sy0, sx1, sy1 = (box[0][0] - x0, box[0][1] - y0, box[0][2] - x0, box[0][3] - y0)
    edge[sy0:sy1, sx0:sx1] = True
    edge[sy0 + 1:sy1 - 1, sx0 + 1:sx1 - 1] = False
    lum = rgb[y0:y1, x0:x1, :3].astype(np.float32) @ LUMA
    inside = np.zeros(lum.shape, np.uint8)
    cv2.fillPoly(inside, [np.round((eye - (x0, y0)) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    away = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
    around = (away > 0) & (away <= REACH * iod)
    if not around.any():
        return None
    dark_luma = ink_luma * float(np.median(lum[around]))
    dark = lum < dark_luma
    k = max(1, int(round(STROKE * iod)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    enclosed = _enclosed(dark, away, iod, k, edge)
    if not enclosed.any() or float(away[enclosed].max()) < MIN_REACH * iod:
        return None
    # A drawn iris in a colour as dark as the strokes (a cartoon's blue) is the eye's too,
    # not ink: what the outline encloses in any colour but ink's joins it (a closed eye
    # left the lower half of such an iris showing as a crescent under its line).
    rgb_box = rgb[y0:y1, x0:x1, :3].astype(np.float32)
    ink = dark & (saturations(rgb_box) < INK_SATURATION)
    if (ink != dark).any():  # reaching out to the wider box
        border = np.zeros_like(edge)
        border[[0, -1], :] = border[:, [0, -1]] = True
        # ... only what lies between the eye's corners: hair in a colour as dark, which
        # a drawing's strokes also enclose, came into an eye at its corner (and was
        # painted over in skin when it shut).
        n, piece, _, centres = cv2.connectedComponentsWithStats(
            _enclosed(ink, away, iod, k, border).astype(np.uint8), connectivity=4)
        axis = eye[len(eye) // 2] - eye[0]  # (the corners: first and middle points)
        along = ((centres[1:] + (x0, y0) - eye[0]) @ axis) / max(float(axis @ axis), 1e-9)
        keep = np.flatnonzero((along >= 0.0) & (along <= 1.0)) + 1
        enclosed |= np.isin(piece, keep)
    # The eye as drawn: the hull of its white and the mesh's eye (the iris and the
    # pupil, as dark as strokes, lie within it), and the outline drawn round it.
    ys, xs = np.nonzero(enclosed | (inside > 0))
    hull = np.zeros(lum.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.stack([xs, ys], 1).astype(np.int32)), 1)
    near = cv2.dilate(hull, disc) > 0
    # ... drawn with a line: past it lies the paint round the eye. Past what a large
    # dark iris encloses (its catchlights, where the mesh fits a small eye inside a
    # cartoon's large one) lies more iris: that is not the eye's outline.
    beyond = (cv2.dilate(hull, cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (4 * k + 1, 4 * k + 1))) > 0) & ~near
    if beyond.any() and float(dark[beyond].mean()) > MAX_DARK_BEYOND:
        return None
    # The outline's width: twice the distance to the light along its middle (the ridge
    # of that distance; a median, since the outline meets a dark iris here and there).
    depth = cv2.distanceTransform(dark.astype(np.uint8), cv2.DIST_L2, 5)
    band = dark & near & (hull == 0)
    ridge = band & (depth > 0) & (depth >= cv2.dilate(depth, np.ones((3, 3), np.uint8)))
    stroke = max(2.0 * float(np.median(depth[ridge])) if ridge.any() else 1.0, 1.0)
    # The outline is the dark as far out as half as much again as that width (a drawn
    # line swells and thins): not the strokes that meet it there (a nose's line), beyond.
    out = int(np.ceil(1.5 * stroke)) + 1
    from_hull = cv2.distanceTransform(1 - hull, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    outline = _outline(dark & (hull == 0), from_hull, out, stroke)
    region = (hull > 0) | outline
    region.setflags(write=False)
    return DrawnEye(region, (x0, y0), stroke, dark_luma)


def _enclosed(dark: np.ndarray, away: np.ndarray, iod: float, k: int, edge: np.ndarray
              ) -> np.ndarray:
    """``(h, w) bool``: what the strokes ``dark (h, w) bool`` cut off from ``edge (h, w)
    bool`` (a box's edge), on or within ``k`` pixels of the mesh's eye (``away``: each
    pixel's distance from it; a white beyond a dark iris that the mesh's corner stops at
    belongs to the eye too). A drawn outline is not always closed where its strokes meet
    at a corner: gaps up to :data:`GAP` wide are bridged first."""
    g = max(1, int(round(GAP * iod)))
    bridged = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_CLOSE,
                               cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1,) * 2)) > 0
    _, label = cv2.connectedComponents((~bridged).astype(np.uint8), connectivity=4)
    touching = np.unique(label[(away <= k) & ~bridged])
    return np.isin(label, np.setdiff1d(touching, np.unique(label[edge]))) & ~bridged


def _outline(dark: np.ndarray, from_hull: np.ndarray, out: int, stroke: float) -> np.ndarray:
    """``(h, w) bool``: the eye's outline among the strokes ``dark (h, w) bool`` round its
    hull (``from_hull``: each pixel's distance from it, pixels): the dark reached from the
    hull straight out through dark alone, up to ``out`` pixels out. A stroke beyond a
    light gap is another drawing's (a nose's line beside the eye); one that meets the
    outline and runs on is drawn on across the shut eye (:mod:`engine.render.strokes`)."""
    gy, gx = np.gradient(cv2.GaussianBlur(from_hull, (0, 0), 1.5))
    norm = np.maximum(np.hypot(gx, gy), 1e-6)
    h, w = from_hull.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ux, uy = (gx / norm).astype(np.float32), (gy / norm).astype(np.float32)
    ink = dark.astype(np.float32)
    near = dark & (from_hull > 0) & (from_hull <= out)
    outline = near.copy()
    # The outline's inner edge may lie a little past the hull (its anti-aliased edge):
    # the dark need not begin right at it.
    loose = 0.5 * stroke + 1.0
    for s in range(1, out + 1):  # back towards the hull, one pixel at a time
        back = cv2.remap(ink, xx - s * ux, yy - s * uy, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE) >= 0.5
        outline &= (from_hull - s < loose) | back
    # What that leaves of the dark that lies wholly within `out` (specks of the outline's
    # edge, not a stroke that runs on) is the outline's too.
    _, piece = cv2.connectedComponents((dark & ~outline).astype(np.uint8), connectivity=8)
    further = np.unique(piece[dark & ~outline & (from_hull > out)])
    return outline | (near & ~np.isin(piece, further))


def _shaded(crop: np.ndarray, skin: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """``(h, w, 3) float32``: the paint round a drawn eye carried over it, as flat or as
    shaded as it is: a quadratic in each channel fitted to the pixels of ``skin (h, w) bool``
    near its median ``colour`` (3,) (a flat paint gives that colour everywhere; a face
    shaded by a gradient, a smiley's, kept its gradient where a flat fill showed as a
    disc of one colour)."""
    h, w = crop.shape[:2]
    near = skin & (np.abs(crop.astype(np.float32) - colour).max(axis=-1) < SHADE_NEAR)
    flat = np.broadcast_to(colour.astype(np.float32), (h, w, 3))
    if int(near.sum()) < 16:
        return flat
    def terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)

    ys, xs = np.nonzero(near)
    coef, *_ = np.linalg.lstsq(terms(xs / w, ys / h), crop[ys, xs].astype(np.float64),
                               rcond=None)
    yy, xx = np.mgrid[0:h, 0:w]
    return np.clip(terms(xx / w, yy / h) @ coef, 0, 255).astype(np.float32)


def drawn_margins(upper: np.ndarray, lower: np.ndarray, drawn: DrawnEye, least: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(line, cover)``: ``(2, 9)`` margins each (pixels, as
    :func:`engine.render.eye_outline.lid_outline` takes them) of a drawn eye whose mesh
    lid lines are ``upper`` and ``lower`` ``(9, 2)``.

    ``line`` brings the lid lines out to the middle of the drawn outline (from each lid
    point straight out, the corners along the eye): a closing lid starts there and its
    line ends at its corners. ``cover``, at least ``least``, reaches past the whole
    drawn eye, so that the lid's soft edge and its straight sides between the points
    leave none of it showing (past the drawn eye the plate is the portrait itself, so
    covering more changes nothing).
    """
    axis, down = eye_frame(upper, lower)
    steps = np.arange(0.0, 2.0 * float(np.linalg.norm(upper[-1] - upper[0])), 0.5)
    reach = np.zeros((2, len(upper)))
    for row, pts, away in ((0, upper, -down), (1, lower, down)):
        for i, p in enumerate(pts):
            d = -axis if i == 0 else axis if i == len(pts) - 1 else away
            off = np.flatnonzero(~drawn.contains(p[None] + steps[:, None] * d[None]))
            reach[row, i] = steps[off[0]] if len(off) else steps[-1]
    reach[1, 0], reach[1, -1] = reach[0, 0], reach[0, -1]
    line = np.maximum(reach - 0.5 * drawn.stroke, 0.0)
    cover = np.maximum(reach + drawn.stroke + 2.0, least)
    # The straight sides between the points may still cut a rounded corner of the drawn
    # eye, and its outline's soft edge (which its plate paints over too; a pale arc of
    # it stayed beside a shut eye's corner): grow them all until they hold it.
    region = cv2.dilate(drawn.region.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    for _ in range(20):
        up, lo = lid_outline(upper, lower, cover)
        held = np.zeros(region.shape, np.uint8)
        poly = np.concatenate([up, lo[::-1]]) - drawn.origin
        cv2.fillPoly(held, [np.round(poly * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
        if not (region & (held == 0)).any():
            break
        cover += 0.5 * drawn.stroke + 1.0
    return line, cover


def drawn_plate(crop: np.ndarray, drawn: DrawnEye, origin: tuple[int, int], around: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(fill (h, w, 3) uint8, mask (h, w) uint8)``: a drawn eye's plate over ``crop``
    (``(h, w, 3) uint8``, ``origin`` its corner in the portrait).

    The eye as drawn (:class:`DrawnEye`) takes the flat colour of the paint round it (the
    median of ``around (h, w) bool``, the pixels near the eye that are neither strokes
    nor eye: a drawing's skin is flat, and inpainting from beside a wide drawn eye took in
    a face's outline and the background past it); the rest of the crop stays as it is, so
    the wide lid that covers the drawn eye leaves the strokes near it (a nose, a brow,
    the face's outline) where they are, and those that ran through its outline are drawn
    on across it. ``mask``: 255 on the eye as drawn.
    """
    h, w = crop.shape[:2]
    placed = np.zeros((h, w), np.uint8)
    dx, dy = drawn.origin[0] - origin[0], drawn.origin[1] - origin[1]
    rh, rw = drawn.region.shape
    sx0, sy0 = max(-dx, 0), max(-dy, 0)
    sx1, sy1 = min(rw, w - dx), min(rh, h - dy)
    if sx1 > sx0 and sy1 > sy0:
        placed[sy0 + dy:sy1 + dy, sx0 + dx:sx1 + dx] = drawn.region[sy0:sy1, sx0:sx1]
    # The outline's anti-aliased edge, two pixels wide, is eye too (with one, a pale ghost
    # of the open eye's outline stayed round the shut one).
    light = (crop.astype(np.float32) @ LUMA) >= drawn.dark
    skin = around & (placed == 0) & light
    colour = np.median(crop[skin], axis=0) if skin.any() else np.median(crop.reshape(-1, 3), 0)
    # What is light and not the paint (an eye's white, an outline's soft edge, the
    # background past a turned face's edge) is the eye's only where it lies round it, not
    # where it runs on away from it (the background: painting it, a face's outline taken
    # in with the eye's, left a band of skin past the face).
    k = 2 * int(np.ceil(0.5 * drawn.stroke)) + 1
    other = light & (np.linalg.norm(crop.astype(np.float32) - colour, axis=-1) > SPECK)
    # (Read two pixels clear of the strokes: their soft edges run on with them.)
    five = np.ones((5, 5), np.uint8)
    core = other & (cv2.dilate((~light).astype(np.uint8), five) == 0)
    _, piece = cv2.connectedComponents(core.astype(np.uint8), connectivity=8)
    far = cv2.dilate(placed, np.ones((4 * k, 4 * k), np.uint8)) == 0
    away = np.isin(piece, np.unique(piece[core & far])) & core
    away = (cv2.dilate(away.astype(np.uint8), five) > 0) & other
    region = placed | (cv2.dilate(placed, five) & (light & ~away))
    # Specks of the outline's soft edge a little further out (not paint, not a stroke,
    # nor the soft edge of a stroke that stays) are eye too.
    kept = cv2.dilate((~light & (region == 0)).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    region |= (cv2.dilate(region, np.ones((k, k), np.uint8)) > 0) & other & ~away & ~kept
    # Soft past the region's edge only: inside it, a blurred weight let the outline's
    # dark through in specks along its edge.
    inside = region.astype(np.float32)
    weight = np.maximum(inside, cv2.GaussianBlur(inside, (0, 0), 0.7))[..., None]
    fill = crop.astype(np.float32) + weight * (_shaded(crop, skin, colour) - crop)
    fill = np.clip(fill + 0.5, 0, 255).astype(np.uint8)
    # A stroke that runs on past the outline it shares (a nose's line) is drawn on across.
    fill = carry_strokes(fill, crop, region > 0, ~light, drawn.stroke)
    return fill, region * 255
