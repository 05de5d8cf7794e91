"""The mouth's band: the pixels between (and round) the two inner-lip contours, in the
mouth's own frame (``u`` corner to corner, ``v`` down the face), and the gap between
the contours along the mouth. Shared by the mouth's inside (:mod:`engine.render.mouth`)
and the closed lips' crease (:mod:`engine.render.closed_lips`).
"""

from __future__ import annotations

import numpy as np

from engine.render import topology as topo
from engine.render.interior import contour_profile
from engine.render.lips import mouth_normal


def contour_at(contour: np.ndarray, upper: np.ndarray, normal: np.ndarray, u: np.ndarray
               ) -> np.ndarray:
    """Where ``contour (n, 2)`` (pixels, corner to corner) lies along the mouth's ``normal``
    at mouth coordinates ``u`` (any shape), float64 pixels, in the frame :func:`band` reads
    its pixels in: ``u`` from ``upper[0]`` (0) to ``upper[-1]`` (1), ``v`` from ``upper[0]``
    down the face."""
    c0, span = upper[0], upper[-1] - upper[0]
    length = max(float(np.linalg.norm(span)), 1e-6)
    cu, cv = contour_profile(contour, c0, span / length, normal, length)
    return np.interp(u, cu, cv)


def band(
    shape: tuple[int, ...], upper: np.ndarray, lower: np.ndarray, normal: np.ndarray,
    pad: int = 2,
) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """The pixels round two contours ``(n, 2)`` that run corner to corner, in the
    mouth's own frame: ``(box (x0, y0, x1, y1), u, v, top, bot, length)``, where
    ``u`` (0..1 corner to corner) and ``v`` (pixels down the face) are ``(h, w)
    float32`` over the box, ``top`` and ``bot`` the contours' ``v`` at each
    pixel's ``u``, and ``length`` the corner-to-corner distance; None when the
    mouth is under 2 pixels wide or outside the frame. The box holds the contours and
    ``pad`` pixels round them."""
    c0, span = upper[0], upper[-1] - upper[0]
    length = float(np.linalg.norm(span))
    if length < 2.0:
        return None
    axis = span / length
    h, w = shape[:2]
    poly = np.concatenate([upper, lower])
    x0 = max(int(np.floor(poly[:, 0].min())) - pad, 0)
    y0 = max(int(np.floor(poly[:, 1].min())) - pad, 0)
    x1 = min(int(np.ceil(poly[:, 0].max())) + pad + 1, w)
    y1 = min(int(np.ceil(poly[:, 1].max())) + pad + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]  # broadcast against xs: (h, w)
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    px, py = xs - np.float32(c0[0]), ys - np.float32(c0[1])
    u = (px * np.float32(axis[0]) + py * np.float32(axis[1])) / np.float32(length)
    v = px * np.float32(normal[0]) + py * np.float32(normal[1])
    top = contour_at(upper, upper, normal, u).astype(np.float32)
    bot = contour_at(lower, upper, normal, u).astype(np.float32)
    return (x0, y0, x1, y1), u, v, top, bot, length


def gap_profile(xy: np.ndarray, n: int = 33) -> tuple[np.ndarray, np.ndarray]:
    """``(u (n,), gap (n,) pixels)``: the inner lips' gap along the mouth, corner (0)
    to corner (1), of landmarks ``xy (468, 2)``."""
    up = xy[topo.LIPS_INNER_UPPER].astype(np.float64)
    lo = xy[topo.LIPS_INNER_LOWER].astype(np.float64)
    normal = mouth_normal(xy)
    cols = np.linspace(0.0, 1.0, n)
    return cols, contour_at(lo, up, normal, cols) - contour_at(up, up, normal, cols)
