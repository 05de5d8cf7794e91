"""Gaze: move the irises inside the eye openings, clipped by the lids.

For each eye, a backward warp of the pixels inside the eye opening (the
polygon between the upper- and lower-lid contours of the frame): output pixel
``p`` takes the colour at ``p - w(p) * shift``, where ``shift`` is the gaze
times a fraction of the eye's width and ``w`` is 1 over the middle of the eye
and falls smoothly to 0 towards the corners (so the corners stay put and the
map never folds), and, for the shift up or down, towards the lids (so the lid
margins stay put and nothing from beyond them is drawn in). Source pixels that
still fall outside the opening come from a copy of the eye whose outside takes
the colour of the eye's nearest pixel; pixels outside the opening are never
changed. The work is limited to the two eye boxes, and is bicubic (bilinear
resampling softened the eyes at the sub-pixel shifts of the speaker's glances,
:mod:`engine.motion.glances`).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.motion.track import TRAVEL_X, TRAVEL_Y
from engine.render import topology as topo
from engine.render.colour import LUMA

#: How much of the mesh's eye opening (which includes the lid slack) is eye.
CORE = 0.75
#: Fraction of the eye's width over which the shift fades in from each corner.
TAPER = 0.35
#: Up and down, the shift fades in from the lids over this many times its own size
#: (plus half a pixel). A smoothstep ramp over ``R`` moves a point ``d`` in from the lid
#: by at most 1.125 d |shift| / R, so over more than 1.125 times the shift no point
#: samples beyond the lid.
LID_REACH = 1.15


#: The whites of the eyes are read from the pixels of the visible eye between these
#: lightness percentiles (above the iris, lashes and lid rims, below glints).
WHITES_PERCENTILES = (70, 95)
#: An eye whose visible opening covers fewer pixels than this says nothing about its whites.
WHITES_MIN_PX = 24


def eye_polygon(verts: np.ndarray, eye: int) -> np.ndarray:
    """``(16, 2)`` the eye opening: upper lid corner to corner, then the lower lid back."""
    upper = verts[topo.EYE_UPPER[eye]]
    lower = verts[topo.EYE_LOWER[eye][1:-1]]
    return np.concatenate([upper, lower[::-1]])


def eye_core(verts: np.ndarray, eye: int, poly: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray, float]:
    """``(core (16, 2), axis (2,), width)``: the visible eye, the mesh's opening pulled
    in from its lid slack by :data:`CORE`; the unit vector from corner to corner and the
    corners' distance (pixels). ``poly``: the eye's :func:`eye_polygon`, when the caller
    has it already."""
    if poly is None:
        poly = eye_polygon(verts, eye)
    c0, c1 = verts[topo.EYE_UPPER[eye][0]], verts[topo.EYE_UPPER[eye][-1]]
    width = float(np.linalg.norm(c1 - c0))
    axis = (c1 - c0) / max(width, 1e-9)
    normal = np.array([-axis[1], axis[0]])
    off = (poly - c0) @ normal
    return poly - ((1.0 - CORE) * off)[:, None] * normal, axis, width


def whites(rgb: np.ndarray, verts: np.ndarray) -> np.ndarray | None:
    """``(3,) float32`` the colour of the whites of the eyes in a picture ``(H, W, 3)``
    with landmarks ``verts (468+, 2)`` pixels: per eye, the median of its visible pixels
    between :data:`WHITES_PERCENTILES` of their lightness, averaged over the eyes; None
    when neither eye shows :data:`WHITES_MIN_PX` pixels. (On a small or blurred face the
    whites are mixed with the skin and lashes round them.)"""
    h, w = rgb.shape[:2]
    found = []
    for e in range(2):
        core, _, _ = eye_core(verts, e)
        x0, y0 = (max(int(np.floor(v)) - 1, 0) for v in core.min(axis=0))
        x1 = min(int(np.ceil(core[:, 0].max())) + 2, w)
        y1 = min(int(np.ceil(core[:, 1].max())) + 2, h)
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round((core - (x0, y0)) * 16).astype(np.int32)], 255,
                     cv2.LINE_8, 4)
        px = rgb[y0:y1, x0:x1, :3][mask > 0].astype(np.float32)
        if len(px) < WHITES_MIN_PX:
            continue
        lum = px @ LUMA
        lo, hi = np.percentile(lum, WHITES_PERCENTILES)
        found.append(np.median(px[(lum >= lo) & (lum <= hi)], axis=0))
    return np.mean(found, axis=0).astype(np.float32) if found else None


def shift_irises(out: np.ndarray, verts: np.ndarray, gaze: np.ndarray,
                 amount: tuple[float, float] = (1.0, 1.0)) -> None:
    """Move the irises of both eyes by ``gaze``, in place.

    Args:
        out: ``(h, w, 3|4) uint8`` the warped frame; only RGB inside the eye
            openings changes.
        verts: ``(V, 2) float`` frame vertices in ``out``'s pixels (landmarks first).
        gaze: ``(2,)`` x (+ image right) and y (+ down), -1..1.
        amount: per eye, the share of the shift it takes: 0 for an eye that cannot be
            seen (``PortraitRig.eyes_shown``: what lies over a dark lens stays put), and
            less as its lids close (what little of the iris still shows between them
            need not move, and the lash line they meet at stays where it is drawn).
    """
    g = np.clip(np.asarray(gaze, dtype=np.float64), -1.0, 1.0)
    if not np.any(g):
        return
    h, w = out.shape[:2]
    for e in range(2):
        if amount[e] <= 0.0:
            continue
        poly = eye_polygon(verts, e)
        core, axis, width = eye_core(verts, e, poly)
        c0 = verts[topo.EYE_UPPER[e][0]]
        if width < 4:
            continue
        shift = amount[e] * np.array([g[0] * TRAVEL_X * width, g[1] * TRAVEL_Y * width])
        pad = int(np.ceil(np.abs(shift).max())) + 3
        x0 = max(int(np.floor(poly[:, 0].min())) - pad, 0)
        y0 = max(int(np.floor(poly[:, 1].min())) - pad, 0)
        x1 = min(int(np.ceil(poly[:, 0].max())) + pad + 1, w)
        y1 = min(int(np.ceil(poly[:, 1].max())) + pad + 1, h)
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        patch = np.ascontiguousarray(out[y0:y1, x0:x1, :3])
        hard = np.zeros(patch.shape[:2], np.uint8)
        core_pts = np.round((core - (x0, y0)) * 16).astype(np.int32)
        cv2.fillPoly(hard, [core_pts], 255, cv2.LINE_8, 4)
        if int(hard.sum()) < 255 * 4:
            continue
        # Source: the eye, and outside it the colour of the eye's nearest pixel: what a
        # shift brings in over the lids' edges is their own margin. (A flat fill of the
        # whites' colour drew a pale line along the lid wherever the gaze moved up or
        # down.)
        inside = hard > 0
        _, nearest = cv2.distanceTransformWithLabels((~inside).astype(np.uint8), cv2.DIST_L2,
                                                     3, labelType=cv2.DIST_LABEL_PIXEL)
        src = patch[inside][nearest - 1]
        depth = cv2.distanceTransform(hard, cv2.DIST_L2, 3)  # in from the lids, pixels
        # Shift weight: 1 in the middle of the eye, 0 at the corners. Up and down it also
        # fades out towards the lids (:data:`LID_REACH`), so that the lid margins stay
        # put and the iris moves between them: nothing from beyond the lids comes in
        # (the catchlights at the iris's top were drawn out into bars without it).
        yy = np.arange(y0, y1, dtype=np.float32)[:, None]
        xx = np.arange(x0, x1, dtype=np.float32)[None, :]
        u = ((xx - c0[0]) * axis[0] + (yy - c0[1]) * axis[1]) / width
        t = np.clip(np.minimum(u, 1.0 - u) / TAPER, 0.0, 1.0)
        wgt = t * t * (3.0 - 2.0 * t)
        r = np.clip(depth / (LID_REACH * abs(shift[1]) + 0.5), 0.0, 1.0)
        map_x = (xx - x0 - wgt * shift[0]).astype(np.float32)
        map_y = (yy - y0 - wgt * (r * r * (3.0 - 2.0 * r)) * shift[1]).astype(np.float32)
        moved = cv2.remap(src, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        soft = np.zeros(patch.shape[:2], np.float32)
        cv2.fillPoly(soft, [core_pts], 1.0, cv2.LINE_AA, 4)
        a = soft[..., None]
        blended = patch.astype(np.float32) * (1.0 - a) + moved.astype(np.float32) * a
        out[y0:y1, x0:x1, :3] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
