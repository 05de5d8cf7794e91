"""Strokes of a drawing carried on across a region painted over.

A drawn eye shuts by painting over the eye as drawn (:func:`engine.render.drawn_eye.drawn_plate`),
its outline included. A stroke that meets that outline and runs on (a nose's line that
bounds the eye's corner, then goes on down the face) lost the stretch it shares with the
outline: the closed eye left a gap in the nose (and a turned face's outline, where the
eye reaches the face's edge, a gap in the face). Here the ends of the strokes that leave
the painted region are paired where they line up, and each pair is joined across the
region by a curve that leaves each end along its own direction, as wide and in the same
ink, the way an artist would draw the stroke on.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Stroke pixels this near the region (pixels) are where a stroke leaves it.
RING = 2.5
#: A stroke's direction is read from its pixels out to this many stroke widths from the
#: region.
READ = 3.0
#: A stroke leaves the region within this angle (degrees) of straight out (not one that
#: runs along beside its edge), and two ends are one stroke's when each points within
#: this angle of the other.
LEAVES, LINES_UP = 50.0, 35.0


@dataclass(frozen=True)
class _End:
    at: np.ndarray      # (2,) x, y pixels: where the stroke leaves the region
    inward: np.ndarray  # (2,) unit vector: the stroke's direction into the region
    width: float        # pixels
    rgb: np.ndarray     # (3,) float32: its ink


def carry_strokes(fill: np.ndarray, crop: np.ndarray, region: np.ndarray, dark: np.ndarray,
                  stroke: float) -> np.ndarray:
    """``fill (h, w, 3) uint8`` with the strokes that leave ``region`` joined across it.

    Args:
        fill: ``(h, w, 3) uint8`` the crop with ``region`` painted over.
        crop: ``(h, w, 3) uint8`` the portrait as drawn.
        region: ``(h, w) bool`` what was painted over.
        dark: ``(h, w) bool`` the drawing's strokes in ``crop``.
        stroke: a typical stroke width, pixels (where an end's own cannot be read).
    """
    ends = _ends(crop, region, dark, stroke)
    pairs = _pairs(ends)
    if not pairs:
        return fill
    # Only over what was painted: the stroke as drawn stays outside.
    grown = (cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0).astype(np.float32)
    out = fill.astype(np.float32)
    for a, b in pairs:
        ink = np.zeros(region.shape, np.float32)
        cv2.polylines(ink, [np.round(_curve(a, b) * 16).astype(np.int32)], False, 1.0,
                      max(1, int(round(0.5 * (a.width + b.width) - 1.0))), cv2.LINE_AA, 4)
        out += (np.clip(ink, 0.0, 1.0) * grown)[..., None] * (0.5 * (a.rgb + b.rgb) - out)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _ends(crop: np.ndarray, region: np.ndarray, dark: np.ndarray, stroke: float
          ) -> list[_End]:
    """Where strokes leave ``region``, each with its direction into it, width and ink."""
    outside = cv2.distanceTransform((~region).astype(np.uint8), cv2.DIST_L2,
                                    cv2.DIST_MASK_PRECISE)
    read = READ * stroke
    near = dark & (outside > 0) & (outside <= read)
    _, piece = cv2.connectedComponents(near.astype(np.uint8), connectivity=8)
    ring = near & (outside <= RING)
    n, at_ring = cv2.connectedComponents(ring.astype(np.uint8), connectivity=8)
    depth = cv2.distanceTransform(dark.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    gy, gx = np.gradient(cv2.GaussianBlur(outside, (0, 0), 1.5))
    ends = []
    for i in range(1, n):
        ys, xs = np.nonzero(at_ring == i)
        at = np.array([xs.mean(), ys.mean()])
        whose = np.unique(piece[ys, xs])
        far = np.isin(piece, whose[whose > 0]) & (outside > RING)
        fy, fx = np.nonzero(far)
        if len(fx) < max(3, int(stroke)):
            continue
        pts = np.stack([fx, fy], 1).astype(np.float64)
        inward = at - pts.mean(axis=0)
        if float(np.linalg.norm(inward)) < 1.0:
            continue
        inward /= np.linalg.norm(inward)
        # A stroke that leaves the region points into it, and runs the way it points.
        yi, xi = int(round(at[1])), int(round(at[0]))
        into = -np.array([gx[yi, xi], gy[yi, xi]])
        into /= max(float(np.linalg.norm(into)), 1e-9)
        _, vecs = np.linalg.eigh(np.cov((pts - pts.mean(axis=0)).T))
        along = vecs[:, -1]
        if (float(inward @ into) < np.cos(np.radians(LEAVES))
                or abs(float(inward @ along)) < np.cos(np.radians(LINES_UP))):
            continue
        ridge = far & (depth >= cv2.dilate(depth, np.ones((3, 3), np.uint8)))
        # A pixel on the middle of a line w pixels wide lies (w + 1) / 2 from the light.
        width = 2.0 * float(np.median(depth[ridge])) - 1.0 if ridge.any() else stroke
        rgb = np.median(crop[far & (depth >= 1.0)], axis=0) if (far & (depth >= 1.0)).any() \
            else np.median(crop[far], axis=0)
        ends.append(_End(at, inward, max(width, 1.0), rgb.astype(np.float32)))
    return ends


def _pairs(ends: list[_End]) -> list[tuple[_End, _End]]:
    """Ends that line up (each pointing at the other within :data:`LINES_UP`), best first,
    each end in one pair at most."""
    cos = np.cos(np.radians(LINES_UP))
    scored = []
    for i, a in enumerate(ends):
        for j in range(i + 1, len(ends)):
            b = ends[j]
            chord = b.at - a.at
            length = float(np.linalg.norm(chord))
            if length < 1.0:
                continue
            chord /= length
            score = min(float(a.inward @ chord), float(b.inward @ -chord))
            if score >= cos:
                scored.append((score, i, j))
    used: set[int] = set()
    pairs = []
    for _, i, j in sorted(scored, reverse=True):
        if i not in used and j not in used:
            used |= {i, j}
            pairs.append((ends[i], ends[j]))
    return pairs


def _curve(a: _End, b: _End, n: int = 32) -> np.ndarray:
    """``(n, 2)`` the cubic from ``a`` to ``b`` that leaves each along its direction."""
    length = float(np.linalg.norm(b.at - a.at))
    p = np.stack([a.at, a.at + a.inward * length / 3.0, b.at + b.inward * length / 3.0, b.at])
    t = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t ** 2 * p[2]
            + t ** 3 * p[3])


def arc(pts: np.ndarray, n: int = 33) -> np.ndarray:
    """``(n, 2)`` a smooth curve through ``pts`` ``(m, 2)`` pixels (a closed drawn eye's
    line, corner to corner): the cubic, along the corners' axis, nearest the points, held
    to the corners. The points carry the face mesh's small jitter and the drawn outline's
    per-point reach; an animator's closed eye is one stroke."""
    p = np.asarray(pts, np.float64)
    axis = p[-1] - p[0]
    length = max(float(np.linalg.norm(axis)), 1e-9)
    axis /= length
    across = np.array([-axis[1], axis[0]])
    x, y = (p - p[0]) @ axis, (p - p[0]) @ across
    weight = np.ones(len(p))
    weight[[0, -1]] = 100.0
    coef = np.polyfit(x, y, min(3, len(p) - 1), w=weight)
    xs = np.linspace(0.0, length, n)
    return p[0] + xs[:, None] * axis + np.polyval(coef, xs)[:, None] * across


def tapered(shape: tuple[int, int], pts: np.ndarray, width: float, ends: float = 0.35
            ) -> np.ndarray:
    """``(h, w) float32`` coverage 0..1 of a line along ``pts`` ``(n, 2)`` pixels, ``width``
    pixels wide in its middle and ``ends`` of that at its ends, anti-aliased: a pen
    stroke's even taper (whole-pixel widths, one polyline per width, showed steps)."""
    p = np.asarray(pts, np.float64)
    d = np.gradient(p, axis=0)
    normal = np.stack([-d[:, 1], d[:, 0]], 1) / np.maximum(np.linalg.norm(d, axis=1), 1e-9)[:, None]
    half = 0.5 * width * (ends + (1.0 - ends) * np.sin(np.linspace(0.0, np.pi, len(p))))
    poly = np.concatenate([p + half[:, None] * normal, (p - half[:, None] * normal)[::-1]])
    out = np.zeros(shape, np.float32)
    cv2.fillPoly(out, [np.round(poly * 16).astype(np.int32)], 1.0, cv2.LINE_AA, 4)
    for q, r in ((p[0], half[0]), (p[-1], half[-1])):  # round ends
        cv2.circle(out, tuple(int(v) for v in np.round(q * 16)), int(round(r * 16)), 1.0, -1,
                   cv2.LINE_AA, 4)
    return out
