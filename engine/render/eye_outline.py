"""The outline of an eye's lids, pushed out past the face mesh's lid lines, and the lids'
small geometry: the smoothing of a lid's line (:func:`smooth_line`), the similarity that
lays a lid plate (:func:`similarity`) and the lash line's taper (:func:`lash_taper`).

Shared by the painted lids (:mod:`engine.render.painted_lids`), a drawn eye's outline
(:mod:`engine.render.drawn_eye`) and the test for dark glasses
(:func:`engine.render.samples.eyes_shown`).
"""

from __future__ import annotations

from functools import cache

import numpy as np


def lid_outline(upper: np.ndarray, lower: np.ndarray, margin: float | np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The eye's upper and lower lid lines ``(9, 2)`` pushed out by ``margin`` pixels.

    ``upper``/``lower``: ``(9, 2)`` lid points corner to corner (shared corners).
    The corners move apart along the eye's axis, the lids away from each other.
    ``margin``: one distance, or ``(2, 9)`` per point (upper lid, lower lid; the
    corners' from the upper row).
    """
    axis, down = eye_frame(upper, lower)
    if np.ndim(margin) == 0:
        push = float(margin) * down  # one distance: the same push for every point
        up_m, lo_m = upper - push, lower + push
        m0 = m1 = float(margin)
    else:
        m = np.asarray(margin, np.float64)
        up_m = upper - m[0][:, None] * down
        lo_m = lower + m[1][:, None] * down
        m0, m1 = float(m[0, 0]), float(m[0, -1])
    for out in (up_m, lo_m):
        out[0] = upper[0] - m0 * axis
        out[-1] = upper[-1] + m1 * axis
    return up_m, lo_m


def eye_frame(upper: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(axis, down)``: unit vectors along the eye, corner to corner, and across it
    from the upper lid to the lower."""
    ax, ay = float(upper[-1, 0] - upper[0, 0]), float(upper[-1, 1] - upper[0, 1])
    n = max(float(np.hypot(ax, ay)), 1e-9)
    axis = np.array([ax / n, ay / n])
    down = np.array([-axis[1], axis[0]])
    # Plain arithmetic on the (9, 2) lids: this runs on every frame of a blink.
    gap = (lower - upper).sum(axis=0)
    if float(gap[0] * down[0] + gap[1] * down[1]) < 0:
        down = -down
    return axis, down


def smooth_line(pts: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Chaikin corner cutting of an open polyline ``(N, 2)``, ends kept."""
    return _chaikin(len(pts), rounds) @ pts


@cache
def _chaikin(n: int, rounds: int) -> np.ndarray:
    """``(M, n) float64``: :func:`smooth_line` of ``n`` points as one linear map (it runs
    on every frame of a blink; a product is cheaper than the rounds)."""
    m = np.eye(n)
    for _ in range(rounds):
        a, b = m[:-1], m[1:]
        mid = np.stack([0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b], 1).reshape(-1, m.shape[1])
        m = np.concatenate([m[:1], mid, m[-1:]])
    return m


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``(2, 3) float64`` the rotation, uniform scale and shift that best map the
    points ``src (n, 2)`` onto ``dst (n, 2)`` (least squares, closed form)."""
    s = np.asarray(src, np.float64)
    d = np.asarray(dst, np.float64)
    # Plain 1-d arithmetic: this runs for each eye on every frame of a blink.
    sx, sy, dx, dy = s[:, 0], s[:, 1], d[:, 0], d[:, 1]
    n = len(s)
    scx, scy, dcx, dcy = sx.sum() / n, sy.sum() / n, dx.sum() / n, dy.sum() / n
    sx, sy, dx, dy = sx - scx, sy - scy, dx - dcx, dy - dcy
    norm = max(float(sx @ sx + sy @ sy), 1e-12)
    a = float(sx @ dx + sy @ dy) / norm   # s cos
    b = float(sx @ dy - sy @ dx) / norm   # s sin
    return np.array([[a, -b, dcx - a * scx + b * scy],
                     [b, a, dcy - b * scx - a * scy]])


@cache
def lash_taper(n: int) -> np.ndarray:
    """``(n,) float64``: a human lash line's width along its ``n`` segments, over its
    width at the middle (it thins out towards the corners)."""
    taper = 0.35 + 0.65 * np.sin(np.linspace(0.0, np.pi, n))
    taper.setflags(write=False)
    return taper
