"""Closed lids painted from a lid plate: the eye inpainted away, revealed as the lid comes down.

Stretching the skin above an eye over it squashes the iris into a smear and
never quite closes (a human lid is a thin fold; a cat's or a cartoon's round
eye is as tall as it is wide, and stretching drags in brows, ears and
background). Instead a *lid plate* is made once per eye: the eye region,
lashes and lid rims included, inpainted from the skin (or fur, or flat paint)
around it, with the fine texture of the skin above it. A closing lid is that
plate, revealed from the top of the eye down to the upper lid's edge (and a
little from the bottom up, where the lids meet), warped with the face like
every other pixel, with a lash line in the eye's own ink along the edge.

Human eyes (roundness below :data:`PAINT_ROUNDNESS`) close nearly down to
the lower lid, their plate takes on the colour of the skin around the eye
(inpainting alone takes in the socket's shadow), its texture comes from
under the brow, and the lash line is heavier, tapered at the corners, with a
little shade on the lid's rim above it. Large round eyes (animals, cartoons)
meet in a gentle arc with a thin line, the way an animator draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA
from engine.render.drawn_eye import drawn_eye, drawn_margins, drawn_plate
from engine.render.eye_outline import eye_frame, lash_taper, lid_outline, similarity, smooth_line
from engine.render.strokes import arc, tapered

#: Eyes at least this round (rest lid gap over corner distance, lid slack included)
#: get painted lids. Measured: human eyes 0.45-0.59 (the sample portrait, GRID s1
#: and s4hq), the hand-fitted cat 1.09-1.34, the drawn sample 1.33.
PAINT_ROUNDNESS = 0.75
#: The lid reaches this far (inter-ocular distances) beyond the eye's landmarks,
#: so that it covers the rim (a drawn outline, a dark cat-eye rim) too.
MARGIN = 0.03
#: ... and at least this share of the eye's opening: a human eye's lashes and
#: lid rims lie outside its landmarks, and a closed lid covers them too.
HUMAN_MARGIN = 0.3
#: How far a human lid's broad colour is pulled to the skin around the eye, at its
#: middle; the pull fades in over this distance (inter-ocular distances) from the lid's
#: edge, so that the lid is lightest where it bulges over the eyeball and keeps the
#: socket's own shade at its rim. With the pull at full strength a little inside the
#: edge (0.01) a pale almond with an outline showed on shaded sockets (the Mona Lisa).
#: ``tools/eye_eval.py``, s1's 50 blinks (the lid constants' tuning set) / s4hq's 4,
#: rendered eye-patch SSIM with the real shut frame: 0.816 / 0.727 with the old edge,
#: 0.819 / 0.731 at 0.03, 0.821 / 0.735 at 0.06, 0.822 / 0.737 at 0.09 (no pull at all:
#: 0.823 / 0.739, but then the lid takes the socket's shadow and dlib reads fewer shut
#: lids). ``tools/blink_check.py``: 32 of 39 blinks seen with the old edge, 33 at 0.03,
#: 34 at 0.06.
HUMAN_PULL = 0.6
#: Inter-ocular distances from a human lid's edge to where :data:`HUMAN_PULL` is full.
HUMAN_PULL_RAMP = 0.06
#: Where a human eye's lids meet: this share of the way from the lower lid's
#: line up to the upper lid's.
HUMAN_MEET = 0.3
#: A human lid's lash line: width (inter-ocular distances), strength, the
#: closure at which it is complete, and the shade on the lid's rim above it.
#: The width: lashes pressed together, about 2 mm on a real face. At 0.026 dlib
#: (``tools/blink_check.py``) saw 32 of 42 blinks, the Mona Lisa's shut right lid read shut
#: at 3 of 12 frames (a thin line in a pale lid between two shadows reads as an open eye);
#: at 0.032, 34; at 0.035, 35 (the Mona Lisa 3 of 3, 11 of 12 frames; the inked Grace
#: Hopper 3 of 3), with s1's 50 real blinks matched as well (``tools/eye_eval.py``, eye-patch
#: SSIM gain +0.069 either way, 47 of 50 above the still against 48).
HUMAN_LASH_WIDTH = 0.035
HUMAN_LASH_STRENGTH = 0.95
#: Softness of a human lash line (inter-ocular distances): lashes, not a pen stroke. The
#: line is blurred this much and then brought back to full strength at its core, so that
#: its edges fade like real lashes but an eye tracker still finds the lids shut.
#: ``tools/eye_eval.py`` on the 50 labelled real blinks of s1 (eye-patch SSIM with the
#: real shut frame, gain over the open still): 0.006 unnormalised +0.029 (38/50);
#: 0.012, 0.015, 0.018, 0.024 normalised +0.051, +0.059, +0.066, +0.070; but
#: ``tools/blink_check.py`` (dlib) sees 33/36 blinks at 0.012 and 0.015, 31 at 0.018 and
#: 25 at 0.024.
HUMAN_LASH_SOFT = 0.015
HUMAN_LASH_FULL = 0.15
HUMAN_RIM_SHADE = 0.18
#: ... but never thinner than this (pixels) in the middle: on a small face a one-pixel
#: anti-aliased line reads as a slit, not as a shut eye.
HUMAN_LASH_MIN_PX = 2.0
#: A human lash line's colour: the darkest 3 % of the eye's rim, times this.
HUMAN_INK = 0.7
#: Lash line: width (inter-ocular distances) and how far it goes to the ink colour.
LASH_WIDTH = 0.009
LASH_STRENGTH = 0.75
#: Softness of the lid's edge, inter-ocular distances.
FEATHER = 0.006
#: A human lid's edge is at least this many times as soft as the picture's own edges
#: (:func:`engine.render.samples.edge_blur`, Gaussian sigma): skin meets skin. With the
#: sharp edge above, a lid showed its outline where its fill meets a shaded socket: on the
#: Mona Lisa (edges of sigma 1.5 px at 1024 px) a pale almond, which dlib read as an open
#: eye. Tied to the picture, not to the face's size, so that a sharp drawing's lid stays as
#: crisp as its ink. The moving edge keeps its lash line. Fitted on s1's 50 labelled
#: blinks (``tools/eye_eval.py``, rendered eye-patch SSIM gain over the open still): +0.063
#: (46 of 50) with the sharp edge, +0.066, +0.067 and +0.069 (48 of 50) at 1, 2 and 3;
#: s4hq's 4 (validation) +0.109, +0.110, +0.111, +0.111. The blink check (dlib) on the
#: four portraits it reads least surely (the painted and inked Grace Hopper, the Mona Lisa,
#: Grace Hopper), 36 frames each: shut lids read shut at 106 of 144 frames with the sharp
#: edge, 113 at 3 (104 with a softness of 0.03 IOD whatever the picture, which softened
#: the drawing's lids too).
HUMAN_SOFT = 3.0
#: Pixels near the eye darker than this share of their surroundings' median
#: luminance are strokes (outline, lashes, rim) and do not seed the lid's fill.
INK_LUMA = 0.6
#: The lid's texture is the skin this many eye heights above (the fur over the
#: eye continues over the lid; over a human eye, the skin under the brow, above
#: the folds of the lid), high-passed at this scale (inter-ocular distances).
TEXTURE_SHIFT, HUMAN_TEXTURE_SHIFT = 1.0, 1.8
#: A human lid also takes texture from this many eye heights below (the lower lid and the
#: cheek under it): where the skin under the brow is of another colour (a pair of glasses'
#: frame, the brow's hair), the plate took no texture and the shut lid was a smooth smudge
#: (Grace Hopper's: its grain 0.38-0.45 of her cheek's, now 1.0-1.1). Each pixel weighs
#: its sources by their nearness in colour to the power TEXTURE_PICK (the nearer, mostly).
HUMAN_TEXTURE_SHIFTS = (HUMAN_TEXTURE_SHIFT, -1.5)
TEXTURE_PICK = 4.0
TEXTURE_SIGMA = 0.02
#: Largest texture amplitude (0..255), and how close (RGB distance) the source's
#: colour must be to the lid's for its texture to carry over.
TEXTURE_MAX = 30.0
TEXTURE_COLOUR = 60.0
#: Skin whose median texture amplitude (0..255) around the eye is below this is
#: flat paint and gets no texture; twice this gets all of it.
FLAT_GRAIN = 2.0
#: Where the closed lids meet, as a share of the way from the upper lid line to the
#: lower one (0.5 would be a straight line across a circular eye).
MEET = 0.7
#: Closure over which the lash line fades in.
LASH_FROM, LASH_FULL = 0.1, 0.5


@dataclass(frozen=True)
class LidPlate:
    """One eye's closed-lid paint, at the portrait's full resolution.

    Attributes:
        image: ``(h, w, 3) uint8`` the eye region with the eye inpainted away.
        origin: ``(x0, y0)`` of ``image`` in the portrait, pixels.
        ink_rgb: ``(3,) float32`` the eye rim's dark colour, 0..255.
        margin: how far (full-resolution pixels) the lid reaches beyond the
            eye's landmarks: one distance, or ``(2, 9)`` per lid point out to a
            drawn eye's outline (:func:`drawn_margins`).
        human: a human eye (a thin lid over an almond eye: :data:`HUMAN_MEET`,
            a heavier lash line), not a large round one nor a drawn one.
        stroke: a drawn eye's outline width (full-resolution pixels), which its
            closed lid's line takes; 0 for an eye not drawn.
        line: a drawn eye's ``(2, 9)`` margins out to its outline's middle
            (:func:`drawn_margins`), where its lid starts to close and its line ends;
            None for an eye not drawn.
    """

    image: np.ndarray
    origin: tuple[int, int]
    ink_rgb: np.ndarray
    margin: float | np.ndarray
    human: bool
    stroke: float = 0.0
    line: np.ndarray | None = None


def lid_margin(upper: np.ndarray, lower: np.ndarray, iod: float, human: bool) -> float:
    """How far (pixels) a closed lid reaches beyond the eye's lid lines ``(9, 2)``:
    :data:`MARGIN`, and for a human eye at least :data:`HUMAN_MARGIN` of its opening."""
    if not human:
        return MARGIN * iod
    gap = float(np.linalg.norm(lower - upper, axis=1).max())
    return max(MARGIN * iod, HUMAN_MARGIN * gap)


def _fill(poly: np.ndarray, origin: tuple[int, int], shape: tuple[int, ...]) -> np.ndarray:
    """``shape`` uint8 mask, 255 inside ``poly`` (pixels, offset by ``origin``)."""
    m = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round((poly - origin) * 16).astype(np.int32)], 255, cv2.LINE_8, 4)
    return m


def _with_texture(fill: np.ndarray, crop: np.ndarray, mask: np.ndarray, lum: np.ndarray,
                  ring: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                  iod: float, shifts: tuple[float, ...] = (TEXTURE_SHIFT,)) -> np.ndarray:
    """The inpainted ``fill`` with the fine texture (fur, skin grain) of the skin
    ``shifts`` eye-heights above each pixel (negative: below), so that a lid is not a
    smooth patch.

    Only where the skin around the eye (``ring``) is textured: flat paint (a
    cartoon) keeps a flat lid, whose only "texture" above would be the edges of
    ears, brows and background. Strokes (pixels darker than :data:`INK_LUMA` of
    the median) carry no texture, nor do sources of another colour than the lid's
    (:data:`TEXTURE_COLOUR`); of several sources each pixel takes mostly the nearest in
    colour (:data:`TEXTURE_PICK`).
    """
    gap = float(np.linalg.norm(lower - upper, axis=1).max())
    down = eye_frame(upper, lower)[1]
    src = crop.astype(np.float32)
    low = cv2.GaussianBlur(src, (0, 0), max(1.0, TEXTURE_SIGMA * iod))
    detail = np.clip(src - low, -TEXTURE_MAX, TEXTURE_MAX)
    detail *= (lum >= INK_LUMA * float(np.median(lum)))[..., None]
    grain = float(np.median(np.abs(detail[ring]).mean(-1))) if ring.any() else 0.0
    amount = float(np.clip((grain - FLAT_GRAIN) / FLAT_GRAIN, 0.0, 1.0))
    if amount == 0.0:
        return fill
    h, w = mask.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    fill_f = fill.astype(np.float32)
    texture = np.zeros_like(fill_f)
    picked = np.zeros((h, w), np.float32)  # the sum of the squared picks
    best = np.zeros((h, w), np.float32)  # the nearest source's nearness
    for k in shifts:
        shift = (k * gap) * down
        mx, my = gx - np.float32(shift[0]), gy - np.float32(shift[1])
        moved = cv2.remap(detail, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        moved_low = cv2.remap(low, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        # Only texture of the lid's own colour: not the edges of ears, brows, background
        # or a pair of glasses.
        near = np.exp(-((moved_low - fill_f) ** 2).sum(-1) / (2 * TEXTURE_COLOUR**2))
        pick = near**TEXTURE_PICK
        texture += pick[..., None] * moved
        picked += pick * pick
        best = np.maximum(best, near)
    # Two sources' grains mixed keep a grain's strength, not their average's (a third
    # weaker where mixed evenly): the two are unrelated. One source is itself.
    texture /= np.sqrt(np.maximum(picked, 1e-24))[..., None]
    soft = cv2.GaussianBlur((mask > 0).astype(np.float32), (0, 0), 1.0)
    out = fill_f + (amount * soft * best)[..., None] * texture
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _lid_colour(fill: np.ndarray, mask: np.ndarray, lid_rgb: np.ndarray, iod: float
                ) -> np.ndarray:
    """The inpainted ``fill`` with its broad colour inside ``mask`` pulled up to
    :data:`HUMAN_PULL` of the way to ``lid_rgb``: inpainting from the eye's
    surroundings takes in the socket's shadow and the lid rims, and a human
    lid, which bulges over the eyeball, is as light as the skin around it. The pull
    grows smoothly from nothing at the mask's edge to full at :data:`HUMAN_PULL_RAMP`
    inside it, so the lid has no outline of its own."""
    inside = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 5)
    t = np.clip(inside / max(1.0, HUMAN_PULL_RAMP * iod), 0.0, 1.0)
    weight = cv2.GaussianBlur(t * t * (3.0 - 2.0 * t), (0, 0), max(1.0, 0.01 * iod))
    f = fill.astype(np.float32)
    low = cv2.GaussianBlur(f, (0, 0), max(1.5, 0.04 * iod))
    f += (HUMAN_PULL * weight)[..., None] * (np.asarray(lid_rgb, np.float32) - low)
    return np.clip(f + 0.5, 0, 255).astype(np.uint8)


def build_plates(rgb: np.ndarray, landmarks: np.ndarray, iod: float, human: np.ndarray,
                 lid_rgb: np.ndarray | None = None) -> tuple[LidPlate, LidPlate]:
    """The lid plates of both eyes; ``human`` ``(2,) bool`` marks human (almond)
    eyes, whose lids take on ``lid_rgb`` ``(2, 3)`` (the skin around each eye, 0..255).

    Args:
        rgb: ``(H, W, 3) uint8`` the portrait.
        landmarks: ``(468, 2+)`` the face's landmarks, pixels (not the mesh's
            vertices: their lid slack, made for thin human lids, reaches far
            outside a round eye).
        iod: inter-ocular distance, pixels.
    """
    h, w = rgb.shape[:2]
    plates: list[LidPlate] = []
    radius = max(3.0, 0.04 * iod)
    for e in range(2):
        upper = landmarks[topo.EYE_UPPER[e], :2].astype(np.float64)
        lower = landmarks[topo.EYE_LOWER[e], :2].astype(np.float64)
        # A drawn eye's white and outline reach past the mesh's: the lid covers them too,
        # and closes as an animator draws it (a drawn eye is no thin fold of skin).
        drawn = drawn_eye(rgb, np.concatenate([upper, lower[::-1]]), iod, INK_LUMA)
        is_human = bool(human[e]) and drawn is None
        margin: float | np.ndarray = lid_margin(upper, lower, iod, is_human)
        line = None
        if drawn is not None:
            line, margin = drawn_margins(upper, lower, drawn, float(margin))
        up, lo = lid_outline(upper, lower, margin + 1.0)
        poly = np.concatenate([up, lo[::-1]])
        pad = int(np.ceil(3 * np.max(margin) + 2 * radius)) + 4
        x0 = max(int(np.floor(poly[:, 0].min())) - pad, 0)
        y0 = max(int(np.floor(poly[:, 1].min())) - pad, 0)
        x1 = min(int(np.ceil(poly[:, 0].max())) + pad + 1, w)
        y1 = min(int(np.ceil(poly[:, 1].max())) + pad + 1, h)
        crop = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])
        mask = _fill(poly, (x0, y0), crop.shape[:2])
        # Strokes around the eye (a drawn outline, lashes, a dark rim) must not
        # seed the fill, or they smear into the lid: leave them out too.
        wide_up, wide_lo = lid_outline(upper, lower, 3 * margin + 2.0)
        ring = (_fill(np.concatenate([wide_up, wide_lo[::-1]]), (x0, y0), crop.shape[:2]) > 0) \
            & (mask == 0)
        lum = crop.astype(np.float32) @ LUMA
        if ring.any():
            ink_px = ring & (lum < INK_LUMA * float(np.median(lum[ring])))
            ink_px = cv2.dilate(ink_px.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            mask[ink_px] = 255
        if drawn is None:
            fill = cv2.inpaint(crop, mask, radius, cv2.INPAINT_TELEA)
        else:
            fill, mask = drawn_plate(crop, drawn, (x0, y0), ring & (mask == 0))
        if is_human and lid_rgb is not None:
            fill = _lid_colour(fill, mask, lid_rgb[e], iod)
        plate = _with_texture(fill, crop, mask, lum, ring & (mask == 0), upper, lower, iod,
                              HUMAN_TEXTURE_SHIFTS if is_human else (TEXTURE_SHIFT,))
        # Ink: the darkest tenth of the rim between the eye and its outline.
        up0, lo0 = lid_outline(upper, lower, 0.0)
        rim = (mask > 0) & (_fill(np.concatenate([up0, lo0[::-1]]), (x0, y0), crop.shape[:2]) == 0)
        if rim.sum() < 4:
            rim = mask > 0
        ink = crop[rim][lum[rim] <= np.percentile(lum[rim], 10)].astype(np.float32).mean(axis=0)
        if is_human:  # lashes pressed together read darker than the open rim's darkest tenth
            ink = HUMAN_INK * crop[rim][lum[rim] <= np.percentile(lum[rim], 3)].astype(
                np.float32).mean(axis=0)
        plate.setflags(write=False)
        ink.setflags(write=False)
        plates.append(LidPlate(plate, (x0, y0), ink.astype(np.float32), margin, is_human,
                               0.0 if drawn is None else drawn.stroke, line))
    return plates[0], plates[1]


def paint_lids(out: np.ndarray, plates: tuple[LidPlate, LidPlate],
               xy: np.ndarray, mapping: np.ndarray, box: tuple[int, int, int, int],
               scale: np.ndarray, closure: np.ndarray, iod: float,
               open_xy: np.ndarray | None = None, src_lm: np.ndarray | None = None,
               blur: float = 0.0) -> None:
    """Close the painted eyes of a warped frame, in place.

    Args:
        out: ``(h, w, 3|4) uint8`` the warped frame; only RGB is changed.
        plates: the rig's lid plates.
        xy: ``(468, 2)`` this frame's landmarks in ``out``'s pixels.
        mapping: ``(by1 - by0, bx1 - bx0, 2) float32`` the frame's backward map
            (source positions in the scaled portrait) over ``box``.
        box: ``(bx0, by0, bx1, by1)`` of ``mapping`` in ``out``.
        scale: ``(2,)`` output pixels per portrait pixel.
        closure: ``(2,)`` eyelid closure 0..1 per eye.
        iod: inter-ocular distance in ``out``'s pixels.
        open_xy: ``(468, 2)`` the frame's landmarks before the mesh moved the
            human lids down, ``out``'s pixels: a human lid is painted over the
            open eye's outline, and its plate is laid by the similarity that
            carries the open eye to the portrait's (not through the frame's
            map, which stretches the lid's skin).
        src_lm: ``(468, 2+)`` the portrait's landmarks, full-resolution pixels.
        blur: how soft the picture's edges are in ``out`` (Gaussian sigma, pixels): a
            human lid's edge is :data:`HUMAN_SOFT` times as soft.
    """
    bx0, by0, bx1, by1 = box
    for e, plate in enumerate(plates):
        c = min(max(float(closure[e]), 0.0), 1.0)
        if c <= 0.0:
            continue
        geo = open_xy if plate.human and open_xy is not None else xy
        upper, lower = geo[topo.EYE_UPPER[e]], geo[topo.EYE_LOWER[e]]
        zoom = float(np.sqrt(scale[0] * scale[1]))
        up_m, lo_m = lid_outline(upper, lower, plate.margin * zoom)
        # A drawn eye closes from its drawn outline; the lid covers more (a plate that is
        # the portrait itself past the eye).
        top, bottom = (up_m, lo_m) if plate.line is None else \
            lid_outline(upper, lower, plate.line * zoom)
        feather = max(FEATHER * iod, HUMAN_SOFT * blur if plate.human else 0.0)
        # The lids meet MEET of the way down: the upper lid comes down and the
        # lower one up, so a shut round eye is a gentle arc, not its lower rim.
        # A human upper lid comes down nearly to the lower lid's own line.
        if plate.human:
            meet = smooth_line(lower + HUMAN_MEET * (upper - lower), 1)[::2]
            meet[0], meet[-1] = upper[0], upper[-1]
        else:
            meet = top + MEET * (bottom - top)
        edge = top + c * (meet - top)
        low_edge = lo_m + c * (meet - lo_m)
        upper_poly = np.concatenate([up_m, edge[::-1]])
        lower_poly = np.concatenate([lo_m, low_edge[::-1]])
        poly = np.concatenate([upper_poly, lower_poly])
        # room for the lash line and for the soft edge to fade out
        pad = int(np.ceil(max(LASH_WIDTH * iod, 3.0 * feather))) + 3
        x0 = max(int(np.floor(poly[:, 0].min())) - pad, bx0)
        y0 = max(int(np.floor(poly[:, 1].min())) - pad, by0)
        x1 = min(int(np.ceil(poly[:, 0].max())) + pad + 1, bx1)
        y1 = min(int(np.ceil(poly[:, 1].max())) + pad + 1, by1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        sharp = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(sharp, [np.round((q - (x0, y0)) * 16).astype(np.int32)
                             for q in (upper_poly, lower_poly)], 1.0, cv2.LINE_AA, 4)
        mask = cv2.GaussianBlur(sharp, (0, 0), max(0.7, feather))
        # Where each pixel comes from in the full-resolution portrait, then in the plate.
        if plate.human and open_xy is not None and src_lm is not None:
            idx = np.concatenate([topo.EYE_UPPER[e], topo.EYE_LOWER[e][1:-1]])
            sim = similarity(geo[idx], src_lm[idx, :2])
            # the patch's pixel (0, 0) is the frame's (x0, y0); the plate starts at its origin
            sim[:, 2] += sim[:, 0] * x0 + sim[:, 1] * y0 - np.asarray(plate.origin, np.float64)
            lid = cv2.warpAffine(plate.image, sim, (x1 - x0, y1 - y0),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        else:
            src = mapping[y0 - by0:y1 - by0, x0 - bx0:x1 - bx0]
            px = (src[..., 0] + 0.5) / scale[0] - 0.5 - plate.origin[0]
            py = (src[..., 1] + 0.5) / scale[1] - 0.5 - plate.origin[1]
            lid = cv2.remap(plate.image, px.astype(np.float32), py.astype(np.float32),
                            cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        patch = out[y0:y1, x0:x1, :3].astype(np.float32)
        patch += mask[..., None] * (lid - patch)
        lash_from, lash_full = (0.0, HUMAN_LASH_FULL) if plate.human else (LASH_FROM, LASH_FULL)
        t = min(max((c - lash_from) / (lash_full - lash_from), 0.0), 1.0)
        if t > 0:
            lash = edge.copy()
            lash[0], lash[-1] = upper[0], upper[-1]  # the line ends at the real corners
            width, strength = (HUMAN_LASH_WIDTH, HUMAN_LASH_STRENGTH) if plate.human \
                else (LASH_WIDTH, LASH_STRENGTH)
            drawn = plate.line is not None
            if drawn:  # to the drawn corners, in the drawing's ink, as heavy as human lashes
                lash[0], lash[-1] = top[0], top[-1]
                width = max(plate.stroke * zoom / max(iod, 1e-6), HUMAN_LASH_WIDTH)
                strength = 1.0
            pts = np.round((smooth_line(lash) - (x0, y0)) * 16).astype(np.int32)
            if plate.human:
                # The lid's rim rounds away from the light just above its lashes.
                shade = np.zeros_like(mask)
                cv2.polylines(shade, [pts - np.array([0, int(round(width * iod * 16))])], False,
                              1.0, max(1, int(round(3 * width * iod))), cv2.LINE_AA, 4)
                shade = cv2.GaussianBlur(shade, (0, 0), max(0.8, 1.5 * width * iod))
                patch *= (1.0 - HUMAN_RIM_SHADE * t * np.clip(shade, 0.0, 1.0))[..., None]
            line = np.zeros_like(mask)
            thick = max(width * iod, HUMAN_LASH_MIN_PX) if plate.human or drawn else width * iod
            if drawn:  # one even stroke, as crisp as the drawing's own
                line = tapered(mask.shape, arc(lash) - (x0, y0), thick)
            elif plate.human:  # lashes thin out towards the corners
                tj = np.maximum(1, np.round(thick * lash_taper(len(pts) - 1))).astype(int)
                # One polyline per run of segments of the same whole-pixel width.
                widths, s0 = tj.tolist(), 0
                for s1 in range(1, len(widths) + 1):
                    if s1 == len(widths) or widths[s1] != widths[s0]:
                        cv2.polylines(line, [pts[s0 : s1 + 1]], False, 1.0, widths[s0],
                                      cv2.LINE_AA, 4)
                        s0 = s1
            else:
                cv2.polylines(line, [pts], False, 1.0, max(1, int(round(thick))), cv2.LINE_AA, 4)
            soft = line if drawn else cv2.GaussianBlur(
                line, (0, 0), max(0.5, (HUMAN_LASH_SOFT if plate.human else 0.003) * iod))
            # A human line is soft at its edges but as dark at its core as drawn.
            peak = max(float(soft.max()), 1e-6) if plate.human else 1.0
            a = (strength * t * np.clip(soft / peak, 0.0, 1.0))[..., None]
            patch += a * (plate.ink_rgb[None, None, :] - patch)
        out[y0:y1, x0:x1, :3] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
