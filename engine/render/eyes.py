"""Smooth the stretched lid skin of closing eyes.

When an upper lid closes, the warp stretches the thin band of lid skin
between the crease and the lash line over the eye, which drags lashes and
skin texture into vertical streaks. Over that band this blends the warped
pixels towards a softened copy (blurred mostly along the lid) whose colour
is pulled towards the skin around the eye, more as the lid closes, with a
feathered edge, and draws a soft lash line along the closed lid's edge.

Large round eyes (animals, cartoons) are not closed by the mesh at all: see
:mod:`engine.render.painted_lids`.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.render import topology as topo

#: Closure over which the softening fades in.
SOFTEN_FROM, SOFTEN_FULL = 0.4, 0.95
#: Largest blend weight of the softened copy.
SOFTEN_MAX = 0.9
#: How far (as an exponent of the colour ratio) the softened lid is pulled
#: towards the skin colour under the brow.
LID_PULL = 1.0
#: Darkening and width (inter-ocular distances) of the lash line of a closed lid.
LASH_DARKEN = 0.3
LASH_WIDTH = 0.008


def soften_lids(
    out: np.ndarray,
    verts: np.ndarray,
    closure: np.ndarray,
    iod: float,
    lid_rgb: np.ndarray,
) -> None:
    """Soften the stretched upper-lid skin of each closing eye, in place.

    Args:
        out: ``(h, w, 3|4) uint8`` the warped frame; only RGB is changed.
        verts: ``(V, 2) float`` frame vertices in ``out``'s pixels (landmarks first).
        closure: ``(2,) float`` eyelid closure 0..1 per eye (subject's right, left).
        iod: inter-ocular distance in ``out``'s pixels.
        lid_rgb: ``(2, 3)`` per eye, the skin colour a closed lid takes on
            (0..255); the softened copy is pulled part of the way towards it.
    """
    h, w = out.shape[:2]
    for e in range(2):
        c = float(np.clip(closure[e], 0.0, 1.0))
        t = np.clip((c - SOFTEN_FROM) / (SOFTEN_FULL - SOFTEN_FROM), 0.0, 1.0)
        weight = SOFTEN_MAX * float(t * t * (3.0 - 2.0 * t))
        if weight <= 0.0:
            continue
        upper = verts[topo.EYE_UPPER[e]]
        crease = verts[topo.EYE_UPPER2[e]]
        poly = np.concatenate([upper, crease[::-1]])
        pad = int(np.ceil(0.06 * iod)) + 2
        x0 = max(int(np.floor(poly[:, 0].min())) - pad, 0)
        y0 = max(int(np.floor(poly[:, 1].min())) - pad, 0)
        x1 = min(int(np.ceil(poly[:, 0].max())) + pad + 1, w)
        y1 = min(int(np.ceil(poly[:, 1].max())) + pad + 1, h)
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        pts = np.round((poly - (x0, y0)) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1.0, cv2.LINE_AA, 4)
        sig = max(0.6, 0.012 * iod)
        mask = cv2.GaussianBlur(mask, (0, 0), sig)
        patch = out[y0:y1, x0:x1, :3].astype(np.float32)
        soft = cv2.GaussianBlur(patch, (0, 0), sigmaX=max(1.0, 0.035 * iod), sigmaY=sig)
        inside = mask > 0.5
        if np.any(inside):
            mean = soft[inside].mean(axis=0)
            gain = np.clip((lid_rgb[e] / np.maximum(mean, 1.0)) ** LID_PULL, 0.6, 2.0)
            soft *= gain.astype(np.float32)
        blend = (weight * mask)[..., None]
        patch += blend * (soft - patch)
        # Lash line along the closed lid's edge, thin at the corners.
        lash_amt = LASH_DARKEN * float(np.clip((c - 0.6) / 0.35, 0.0, 1.0))
        if lash_amt > 0:
            line = np.zeros_like(mask)
            pts = np.round((upper - (x0, y0)) * 16).astype(np.int32)
            thick = max(1, int(round(LASH_WIDTH * iod)))
            cv2.polylines(line, [pts], False, 1.0, thick, cv2.LINE_AA, 4)
            taper = np.zeros_like(mask)
            cv2.polylines(taper, [pts[2:-2]], False, 1.0, thick + 1, cv2.LINE_AA, 4)
            line = cv2.GaussianBlur(0.5 * line + 0.5 * taper, (0, 0), max(0.6, 0.006 * iod))
            patch *= (1.0 - lash_amt * np.clip(line, 0.0, 1.0))[..., None]
        out[y0:y1, x0:x1, :3] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
