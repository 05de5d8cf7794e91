"""What a portrait's own pixels say, sampled once when it is rigged
(:meth:`engine.render.rig.PortraitRig.build`): the colours of its lips, its cheeks and
the skin of its lids, whether its open mouth shows teeth, whether the picture is one
tone (black and white, sepia), and whether its eyes can be seen (not behind sunglasses)."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA, saturation

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
    from engine.render.painted_lids import lid_outline

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


def shows_teeth(rgb: np.ndarray, lm: np.ndarray, skin: np.ndarray) -> bool:
    """Whether the open mouth shows teeth: bright pixels inside the inner lips that
    are less saturated than the skin (teeth take on the light's colour too: under
    warm light they are as yellow as the skin is orange)."""
    h, w = rgb.shape[:2]
    mask = poly_mask((h, w), [lm[topo.LIPS_INNER, :2].astype(np.float64)])
    px = rgb[mask > 0].astype(np.float32)
    if len(px) < 10:
        return False
    lum = px @ LUMA
    sat = (px.max(axis=1) - px.min(axis=1)) / np.maximum(px.max(axis=1), 1.0)
    skin_sat = saturation(skin)
    teeth = (lum > 0.75 * float(skin @ LUMA)) & (sat < max(0.35, skin_sat))
    share = float(teeth.mean())
    log.debug("teeth share inside the inner lips: %.2f", share)
    return share > 0.15
