"""Upsampling that keeps edges as steps: a shock filter on a cubic upsampling.

Interpolation draws a blurred step as a ramp as wide as the source's pixels, so a
small source laid over many output pixels looks soft however it is sharpened: an
unsharp mask steepens the ramp but keeps its width, and rings. A shock filter
(Osher and Rudin 1990, in the smoothed form of Alvarez and Mazorra 1994) moves
each pixel towards the side of the edge it lies on (dilation where the luma curves
down across the edge, erosion where it curves up), which turns the ramp back into
a step at the place where it is steepest, and never leaves the range of the values
around it.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.render.colour import LUMA


def shock(luma: np.ndarray, iterations: int, sigma: float, dt: float = 0.25) -> np.ndarray:
    """``(h, w) float32``: ``luma (h, w)`` after ``iterations`` steps of the shock filter
    whose edge direction is read on a Gaussian blur of ``sigma`` pixels. ``dt`` is
    the step, under the scheme's limit of 0.5."""
    y = np.asarray(luma, np.float32).copy()
    border = cv2.BORDER_REPLICATE
    for _ in range(int(iterations)):
        g = cv2.GaussianBlur(y, (0, 0), sigma, borderType=border)
        gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3, borderType=border)
        gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3, borderType=border)
        gxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3, borderType=border)
        gyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3, borderType=border)
        gxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3, borderType=border)
        # The second derivative along the gradient: its sign says which side of the
        # edge a pixel is on (the Sobel scales cancel in the ratio, up to a common factor).
        along = (gx * gx * gxx + 2.0 * gx * gy * gxy + gy * gy * gyy) / (gx * gx + gy * gy + 1e-6)
        p = np.pad(y, 1, mode="edge")
        back_x, fwd_x = y - p[1:-1, :-2], p[1:-1, 2:] - y
        back_y, fwd_y = y - p[:-2, 1:-1], p[2:, 1:-1] - y
        # Upwind gradients (Osher and Sethian): a dilation takes from the brighter
        # neighbours, an erosion from the darker, so no value leaves its neighbours' range.
        grow = np.sqrt(np.minimum(back_x, 0) ** 2 + np.maximum(fwd_x, 0) ** 2
                       + np.minimum(back_y, 0) ** 2 + np.maximum(fwd_y, 0) ** 2)
        shrink = np.sqrt(np.maximum(back_x, 0) ** 2 + np.minimum(fwd_x, 0) ** 2
                         + np.maximum(back_y, 0) ** 2 + np.minimum(fwd_y, 0) ** 2)
        y += dt * np.where(along < 0, grow, np.where(along > 0, -shrink, 0.0))
    return y


def upsample(rgb: np.ndarray, factor: int, iterations: int, sigma: float,
             dark: tuple[float, float] | None = None) -> np.ndarray:
    """``(h * factor, w * factor, 3) float32`` 0..255: ``rgb (h, w, 3)`` upsampled by
    cubic interpolation, its luma then shock-filtered (:func:`shock`, ``sigma`` in
    the upsampled pixels) and each pixel's colour scaled to the new luma, so that the
    hues stay the source's.

    ``dark``: ``(lo, hi)`` luma (0..255). Where the picture, sharpened or not, stays
    darker than ``lo`` over a neighbourhood of ``sigma``, the interpolation is kept; it
    gives way to the filter up to ``hi``. Flat dark areas have no edge to restore, and
    the filter would only cut their gentle shading into flat patches."""
    f = cv2.resize(np.asarray(rgb, np.float32), None, fx=factor, fy=factor,
                   interpolation=cv2.INTER_CUBIC)
    f = np.clip(f, 0.0, 255.0)
    y = f @ LUMA
    sharp = shock(y, iterations, sigma)
    if dark is not None:
        lo, hi = dark
        near = cv2.GaussianBlur(np.maximum(y, sharp), (0, 0), sigma)
        t = np.clip((near - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
        sharp = y + t * t * (3.0 - 2.0 * t) * (sharp - y)
    out = f * (np.maximum(sharp, 0.0) / np.maximum(y, 1.0))[..., None]
    return np.clip(out, 0.0, 255.0).astype(np.float32)
