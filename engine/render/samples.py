"""What a portrait's own pixels say, sampled once when it is rigged
(:meth:`engine.render.rig.PortraitRig.build`): the colours of its lips, its cheeks and
the skin of its lids, whether its open mouth shows teeth, whether the picture is one
tone (black and white, sepia), whether its eyes can be seen (not behind sunglasses), and
how soft its edges are around the mouth."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA, saturation, saturations

log = logging.getLogger(__name__)


def poly_mask(shape: tuple[int, int], polys: list[np.ndarray]) -> np.ndarray:
    """``(h, w) uint8`` 255 inside the polygons ``(n, 2)`` (pixels, sub-pixel exact), else 0."""
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(p * 16).astype(np.int32) for p in polys], 255, cv2.LINE_8, 4)
    return mask


def portrait_colours(
    rgb: np.ndarray, lm: np.ndarray, iod: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median lip, cheek-skin and per-eye lid-skin colours, ``(3,)``, ``(3,)``, ``(2, 3)``."""
    h, w = rgb.shape[:2]
    xy = lm[:, :2].astype(np.float64)
    outer = xy[topo.LIPS_OUTER]
    inner = xy[topo.LIPS_INNER]
    lips = poly_mask((h, w), [outer])
    lips[poly_mask((h, w), [inner]) > 0] = 0
    lip_px = rgb[lips > 0]
    if len(lip_px) < 5:
        lip_px = rgb[poly_mask((h, w), [outer]) > 0]
    r = max(2, int(round(0.06 * iod)))
    cheek = np.zeros((h, w), dtype=np.uint8)
    for i in topo.CHEEK_POINTS:
        x, y = (int(round(v)) for v in xy[i])
        cv2.circle(cheek, (x, y), r, 255, -1)
    skin_px = rgb[cheek > 0]
    fallback = rgb.reshape(-1, 3)
    skin = np.median(skin_px if len(skin_px) else fallback, axis=0)
    lip = np.median(lip_px, axis=0) if len(lip_px) else skin * np.array([1.0, 0.75, 0.75])
    eye_skin = np.empty((2, 3), dtype=np.float64)
    for e in range(2):
        band = np.concatenate([xy[topo.EYE_CREASE[e]], xy[topo.EYE_UPPER2[e]][::-1]])
        px = rgb[poly_mask((h, w), [band]) > 0]
        under_brow = np.median(px, axis=0) if len(px) >= 5 else skin
        # Half-way to the cheek on the same side: the socket is shaded, but a
        # closed lid sits further out of the shadow than the crease does.
        side = np.zeros((h, w), dtype=np.uint8)
        x, y = (int(round(v)) for v in xy[topo.CHEEK_POINTS[e]])
        cv2.circle(side, (x, y), r, 255, -1)
        side_px = rgb[side > 0]
        cheek_e = np.median(side_px, axis=0) if len(side_px) >= 5 else skin
        eye_skin[e] = 0.5 * (under_brow + cheek_e)
    return lip.astype(np.float32), skin.astype(np.float32), eye_skin.astype(np.float32)


#: Pixels less colourful than this (CIELAB chroma) carry no hue: the grey of a
#: black-and-white picture, with its compression noise.
CHROMATIC = 4.0


def hue_spread(rgb: np.ndarray) -> float:
    """Circular standard deviation (degrees) of the hue of the chromatic pixels of a
    face's box ``(h, w, 3) uint8`` (every second pixel): about 0 for a picture in one
    tone (black and white: fewer than 5 % chromatic pixels; sepia), 8 or more for
    a colour face, where the lips, eyes and hair differ in hue from the skin."""
    small = np.ascontiguousarray(rgb[::2, ::2, :3]).astype(np.float32) / 255.0
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    ok = chroma > CHROMATIC
    if int(ok.sum()) < 0.05 * max(len(chroma), 1):
        return 0.0
    unit = lab[ok, 1:] / chroma[ok, None]
    r = float(np.linalg.norm(unit.mean(axis=0)))
    return float(np.degrees(np.sqrt(-2.0 * np.log(min(max(r, 1e-9), 1.0)))))


#: Eyes behind dark glasses do not blink (a lid painted on a dark lens is a drawn eye).
#: Both eyes are hidden when, for each, its surroundings (a ring from 0.12 to 0.35 of the
#: eye's width outside its lids) are darker than the first value times the cheek's luma,
#: and the eye opening is flat: the spread of its luma (90th minus 10th percentile) under
#: the second value times the ring's. Measured: natural eyes' rings 0.60 (the Mona Lisa's
#: painted sockets) to 1.0 of the cheek over the blink check's portraits and 64 validation
#: first frames, their openings' spread 0.3 or more of the ring; the same faces with the
#: upper face in a hat's shadow (x 0.3) keep their spread; dark lenses drawn over the
#: astronaut's eyes 0.12 and 0.0. One eye alone is never hidden: a shadow over one eye
#: would otherwise stop it blinking.
HIDDEN_EYE = (0.35, 0.15)


def eyes_shown(rgb: np.ndarray, lm: np.ndarray, skin: np.ndarray) -> tuple[bool, bool]:
    """Whether the eyes can be seen, not hidden behind dark glasses (:data:`HIDDEN_EYE`):
    ``(True, True)``, or ``(False, False)`` when both are hidden.

    Args:
        rgb: ``(h, w, 3) uint8`` the face's box; lm: ``(468, 2+)`` its landmarks there.
        skin: ``(3,)`` the cheek's colour, 0..255.
    """
    from engine.render.eye_outline import lid_outline

    xy = lm[:, :2].astype(np.float64)
    y = rgb[..., :3].astype(np.float32) @ LUMA
    cheek = max(float(np.asarray(skin, np.float32) @ LUMA), 1.0)
    hidden = []
    for e in range(2):
        up, lo = xy[topo.EYE_UPPER[e]], xy[topo.EYE_LOWER[e]]
        width = float(np.linalg.norm(up[-1] - up[0]))
        near_up, near_lo = lid_outline(up, lo, 0.12 * width)
        far_up, far_lo = lid_outline(up, lo, 0.35 * width)
        ring = (poly_mask(y.shape, [np.concatenate([far_up, far_lo[::-1]])]) > 0) & (
            poly_mask(y.shape, [np.concatenate([near_up, near_lo[::-1]])]) == 0)
        opening = poly_mask(y.shape, [np.concatenate([up, lo[::-1]])]) > 0
        if not ring.any() or not opening.any():
            return True, True  # too small to tell: an eye
        around = float(np.median(y[ring]))
        spread = float(np.percentile(y[opening], 90) - np.percentile(y[opening], 10))
        hidden.append(around < HIDDEN_EYE[0] * cheek and spread < HIDDEN_EYE[1] * max(around, 1.0))
    return (False, False) if all(hidden) else (True, True)


#: :func:`shows_teeth`: teeth over more than this share of the opening, or rows of teeth
#: at least this tall on average along the mouth (inter-ocular distances). A mouth wide
#: open over its tongue shows its rows of teeth over a small share of the opening
#: (CREMA-D 1001 at his widest, happy and afraid: 0.12 and 0.11, rows 0.028 and 0.024
#: IOD, where every other portrait read as showing teeth here has 0.17 or more); s33's
#: faint grey teeth behind parted lips read 0.005 to 0.011.
TEETH_SHARE = 0.15
TEETH_ROW = 0.02


def shows_teeth(rgb: np.ndarray, lm: np.ndarray, skin: np.ndarray, iod: float) -> bool:
    """Whether the open mouth shows teeth: bright pixels inside the inner lips that
    are less saturated than the skin (teeth take on the light's colour too: under
    warm light they are as yellow as the skin is orange), over more than
    :data:`TEETH_SHARE` of the opening or, in a mouth wide open over its tongue, in
    rows at least :data:`TEETH_ROW` tall.

    Args:
        rgb: ``(h, w, 3) uint8`` the face's box; lm: ``(468, 2+)`` its landmarks there.
        skin: ``(3,)`` the cheek's colour, 0..255.
        iod: inter-ocular distance, pixels.
    """
    h, w = rgb.shape[:2]
    mask = poly_mask((h, w), [lm[topo.LIPS_INNER, :2].astype(np.float64)])
    px = rgb[mask > 0].astype(np.float32)
    if len(px) < 10:
        return False
    lum = px @ LUMA
    sat = saturations(px)
    skin_sat = saturation(skin)
    teeth = (lum > 0.75 * float(skin @ LUMA)) & (sat < max(0.35, skin_sat))
    share = float(teeth.mean())
    width = float(np.linalg.norm(lm[topo.LIPS_INNER_UPPER[-1], :2]
                                 - lm[topo.LIPS_INNER_UPPER[0], :2]))
    row = float(teeth.sum()) / max(width, 1.0) / max(iod, 1e-6)
    log.debug("teeth inside the inner lips: %.2f of the opening, rows %.3f IOD", share, row)
    return share > TEETH_SHARE or row >= TEETH_ROW


#: :func:`edge_sigma`: the first re-blur's sigma (pixels) and the share of the strongest
#: gradients read. A sharp edge's gradient falls the most when blurred again; one already
#: soft hardly falls (Zhuo and Sim, "Defocus map estimation from a single image", 2011).
#: The ratio is most telling when the re-blur is about as wide as the edges, so a picture
#: that reads softer than the first re-blur is read again with its own estimate.
REBLUR, EDGE_SHARE = 2.0, 0.1
#: Fewer edge pixels than this (a flat area of colour) say nothing: :func:`edge_blur`
#: reads :data:`SHARP` instead.
MIN_EDGES = 40
#: What :func:`edge_blur` reads on sharp pictures here (pixels): photos, paintings and
#: drawings at up to 2x their own size, 0.8 to 1.1.
SHARP = 1.0


#: Skin round the mouth is a drawing's flat paint when this share of its pixels lie within
#: :data:`PAINT_LEVELS` of its median colour (each channel): that share of the median's
#: luma, but at least the second value (0..255). Relative, because a photo's grain shrinks
#: with its light: at a fixed 8 levels, 19 of the photos, paintings and video stills here
#: darkened to 0.4 or 0.25 of their light (a dark skin, an underexposed picture) read as
#: flat paint (0.96 to 1.0) and opened onto a cartoon's inside.
PAINT_SHARE, PAINT_LEVELS = 0.8, (0.04, 2.0)


def paint_colour(rgb: np.ndarray, lm: np.ndarray, iod: float) -> np.ndarray | None:
    """``(3,) float32`` the median colour (0..255) of the skin round the mouth (a band 0.03
    to 0.12 IOD outside the outer lips) where it is one flat colour, as a drawing's is;
    None where it is not (a photo, a painting). Measured (share within :data:`PAINT_LEVELS`
    of the median): the blink check's photos, paintings and drawings made from photos, and
    validation first frames at 1024 px, each also darkened to 0.4 and 0.25 of its light,
    0.51 at most; 50 of the 69 Open Clip Art Library faces the detector finds 0.8 or more
    (flat cartoons and illustrations; 50 at a fixed 8 levels too), the shaded and traced
    ones less."""
    h, w = rgb.shape[:2]
    lips = np.zeros((h, w), np.uint8)
    cv2.fillPoly(lips, [np.round(lm[topo.LIPS_OUTER, :2]).astype(np.int32)], 1)

    def grown(r: float) -> np.ndarray:
        k = 2 * max(1, int(round(r * iod))) + 1
        return cv2.dilate(lips, np.ones((k, k), np.uint8)) > 0

    band = grown(0.12) & ~grown(0.03)
    if not band.any():
        return None
    px = rgb[band][:, :3].astype(np.float32)
    median = np.median(px, axis=0)
    levels = max(PAINT_LEVELS[0] * float(median @ LUMA), PAINT_LEVELS[1])
    near = np.abs(px - median).max(axis=1) <= levels
    return median.astype(np.float32) if near.mean() >= PAINT_SHARE else None


def edge_blur(rgb: np.ndarray, lm: np.ndarray, iod: float) -> float:
    """How soft the picture is around the mouth: :func:`edge_sigma` in a box 1.4 x 0.8
    IOD around the lips, or :data:`SHARP` where it has too few edges to say.

    Measured at 1024 px (median): photos and paintings made from them 0.8-1.1, the Mona
    Lisa 1.5 (her sfumato), video stills scaled up 1.4-2.8 times 1.2-2.2; the astronaut
    blurred by a Gaussian of sigma 2, 3 and 8 pixels 2.0, 2.6 and 5.3 (their edges' sigma
    2.3, 3.2 and 8.1: a very soft picture reads softer than a sharp one, not exactly)."""
    h, w = rgb.shape[:2]
    c = lm[topo.LIPS_OUTER, :2].astype(np.float64).mean(axis=0)
    x0, y0 = (int(max(v, 0)) for v in c - (0.7 * iod, 0.45 * iod))
    x1, y1 = int(min(c[0] + 0.7 * iod, w)), int(min(c[1] + 0.35 * iod, h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return SHARP
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3]), cv2.COLOR_RGB2GRAY)
    found = edge_sigma(grey)
    return SHARP if found is None else found


def edge_sigma(grey: np.ndarray, mask: np.ndarray | None = None, share: float = EDGE_SHARE,
               min_edges: int = MIN_EDGES) -> float | None:
    """The Gaussian sigma (pixels) of a picture's edges: the median over its strongest
    edges (Canny's edges among the ``share`` strongest gradients, whatever their
    contrast), read from how much their gradient falls when blurred again.

    Args:
        grey: ``(h, w) uint8`` the picture.
        mask: ``(h, w) bool`` where to read, or None for everywhere.
        share: the share of the strongest gradients read.
        min_edges: fewer edge pixels than this say nothing.

    Returns:
        The sigma, or None where too few edge pixels say anything.
    """
    y = grey.astype(np.float32)
    inside = np.ones(grey.shape, bool) if mask is None else np.asarray(mask, bool)

    def gradient(img: np.ndarray) -> np.ndarray:
        return np.hypot(cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3),
                        cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3))

    g = gradient(y)
    if int(inside.sum()) < min_edges:
        return None
    strong = float(np.percentile(g[inside], 100 * (1 - share)))
    if strong < 1.0:
        return None
    # Canny's thresholds follow the picture's own contrast: a soft picture's edges are
    # weak ones, and they are the edges to read.
    edges = (cv2.Canny(grey, 0.5 * strong, strong, L2gradient=True) > 0) & (g >= strong)
    edges &= inside
    if int(edges.sum()) < min_edges:
        return None
    sigma, found = REBLUR, REBLUR
    for _ in range(2):
        again = gradient(cv2.GaussianBlur(y, (0, 0), sigma))
        ratio = g[edges] / np.maximum(again[edges], 1e-3)
        ratio = ratio[ratio > 1.001]
        if len(ratio) < min_edges:
            return None
        found = float(np.median(sigma / np.sqrt(ratio**2 - 1.0)))
        if found <= sigma:
            break
        sigma = found
    return found
