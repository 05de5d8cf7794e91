"""Backward piecewise-affine warp, evaluated on a coarse grid and upsampled.

For every output pixel in a box, the warp gives the source pixel it comes
from. Inside each triangle of the *target* mesh the map is affine (the
barycentric weights of the output point applied to the triangle's source
vertices). The map is evaluated exactly at grid samples every ``step``
pixels, then upsampled with bilinear interpolation, which is exact where the
map is affine and smooths the creases a piecewise-affine warp leaves on
straight texture. Where no triangle covers a sample the map is the identity.
Each triangle is scanned row by row over the columns it covers (its span from
the three edge inequalities), so no sample outside it is ever evaluated.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Tolerance on barycentric weights, so that samples on shared edges are never lost.
_EDGE_EPS = 1e-4


def backward_map(
    target: np.ndarray,
    source: np.ndarray,
    triangles: np.ndarray,
    box: tuple[int, int, int, int],
    step: int,
) -> np.ndarray:
    """The source coordinates of every pixel of ``box``.

    Args:
        target: ``(V, 2) float`` vertex positions in the output image, pixels.
        source: ``(V, 2) float`` the same vertices in the source image, pixels.
        triangles: ``(K, 3) int`` vertex indices. Later triangles win where
            triangles overlap (a fold).
        box: ``(x0, y0, x1, y1)`` integer pixel box of the output, end exclusive.
        step: grid spacing in pixels (>= 1).

    Returns:
        ``(y1 - y0, x1 - x0, 2) float32`` map of (x, y) source positions, for
        ``cv2.remap``.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    step = max(1, int(step))
    pad = 1 if step > 1 else 0
    nx = -(-w // step) + 2 * pad
    ny = -(-h // step) + 2 * pad
    # Sample (i, j) sits at output position (gx0 + step*j, gy0 + step*i): with
    # cv2.resize's pixel-centre convention this lands the upsampled pixels on
    # integer positions, starting ``pad*step`` pixels before the box.
    gx0 = x0 - pad * step + (step - 1) / 2.0
    gy0 = y0 - pad * step + (step - 1) / 2.0

    xs = (gx0 + step * np.arange(nx, dtype=np.float64)).astype(np.float32)
    ys = (gy0 + step * np.arange(ny, dtype=np.float64)).astype(np.float32)
    grid = np.empty((ny, nx, 2), dtype=np.float32)
    grid[..., 0] = xs[None, :]
    grid[..., 1] = ys[:, None]

    tgt = (np.asarray(target, dtype=np.float64) - (gx0, gy0)) / step  # grid units
    tri = np.asarray(triangles, dtype=np.int64)
    a, b, c = tgt[tri[:, 0]], tgt[tri[:, 1]], tgt[tri[:, 2]]
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    lo = np.minimum(np.minimum(a, b), c)
    hi = np.maximum(np.maximum(a, b), c)
    j0 = np.maximum(np.ceil(lo[:, 0] - 1e-6), 0).astype(np.int64)
    i0 = np.maximum(np.ceil(lo[:, 1] - 1e-6), 0).astype(np.int64)
    j1 = np.minimum(np.floor(hi[:, 0] + 1e-6), nx - 1).astype(np.int64)
    i1 = np.minimum(np.floor(hi[:, 1] + 1e-6), ny - 1).astype(np.int64)
    th = i1 - i0 + 1
    keep = (j1 >= j0) & (th > 0) & (np.abs(det) > 1e-9)
    if not np.any(keep):
        return _upsample(grid, step, pad, w, h)
    k = np.nonzero(keep)[0]
    a, b, c, det = a[k], b[k], c[k], det[k]
    th, i0, t = th[k], i0[k], tri[k]
    # Inside one triangle the barycentric weights w1, w2 and the source x, y are
    # affine in the sample's column j and row i: coefficients per triangle.
    inv = 1.0 / det
    w1j, w1i = (c[:, 1] - a[:, 1]) * inv, -(c[:, 0] - a[:, 0]) * inv
    w2j, w2i = -(b[:, 1] - a[:, 1]) * inv, (b[:, 0] - a[:, 0]) * inv
    w1c = -(a[:, 0] * w1j + a[:, 1] * w1i)
    w2c = -(a[:, 0] * w2j + a[:, 1] * w2i)
    src = np.asarray(source, dtype=np.float64)
    s0 = src[t[:, 0]]
    d1, d2 = src[t[:, 1]] - s0, src[t[:, 2]] - s0
    sj = d1 * w1j[:, None] + d2 * w2j[:, None]  # (k, 2): d(source x, y) / dj
    si = d1 * w1i[:, None] + d2 * w2i[:, None]
    sc = s0 + d1 * w1c[:, None] + d2 * w2c[:, None]

    # Scanlines: per (triangle, row), the span of columns where all three weights
    # are >= -eps (w0 = 1 - w1 - w2), so that only samples inside are visited.
    rows = np.repeat(np.arange(len(k)), th)
    ii_r = i0[rows] + (np.arange(len(rows)) - (np.cumsum(th) - th)[rows])
    fi = ii_r.astype(np.float64)
    lo_r = j0[k][rows].astype(np.float64)
    hi_r = j1[k][rows].astype(np.float64)
    a1, b1 = w1j[rows], w1i[rows] * fi + w1c[rows]
    a2, b2 = w2j[rows], w2i[rows] * fi + w2c[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        for slope, off in ((a1, b1), (a2, b2), (-(a1 + a2), 1.0 - b1 - b2)):
            bound = (-_EDGE_EPS - off) / slope
            lo_r = np.where(slope > 0, np.maximum(lo_r, bound), lo_r)
            hi_r = np.where(slope < 0, np.minimum(hi_r, bound), hi_r)
            hi_r = np.where((slope == 0) & (off < -_EDGE_EPS), -1.0, hi_r)
    jlo = np.ceil(lo_r).astype(np.int64)
    count = np.maximum(np.floor(hi_r).astype(np.int64) - jlo + 1, 0)
    span = np.repeat(np.arange(len(rows)), count)
    jj = jlo[span] + (np.arange(len(span)) - (np.cumsum(count) - count)[span])
    ii = ii_r[span]
    owner = rows[span]
    jf, if_ = jj.astype(np.float64), ii.astype(np.float64)
    # Fancy assignment: with repeated (ii, jj) the last write wins, so later
    # triangles (in the order given) cover earlier ones deterministically.
    grid[ii, jj, 0] = sj[owner, 0] * jf + si[owner, 0] * if_ + sc[owner, 0]
    grid[ii, jj, 1] = sj[owner, 1] * jf + si[owner, 1] * if_ + sc[owner, 1]
    return _upsample(grid, step, pad, w, h)


def _upsample(grid: np.ndarray, step: int, pad: int, w: int, h: int) -> np.ndarray:
    """Bilinear upsampling of the sample grid to a ``(h, w, 2)`` pixel map."""
    # Row-strided crops are fine for OpenCV (only each row must be contiguous).
    if step == 1:
        return grid[:h, :w]
    ny, nx = grid.shape[:2]
    big = cv2.resize(grid, (nx * step, ny * step), interpolation=cv2.INTER_LINEAR)
    o = pad * step
    return big[o : o + h, o : o + w]


def remap_box(image: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """Sample ``image`` at ``mapping`` with bilinear interpolation.

    Args:
        image: ``(H, W, C) uint8`` source.
        mapping: ``(h, w, 2) float32`` source (x, y) per output pixel.

    Returns:
        ``(h, w, C) uint8``. Positions outside the image take the nearest edge pixel.
    """
    # One (h, w, 2) float map and no second map: valid for OpenCV, not in its stubs.
    return cv2.remap(  # type: ignore[call-overload]
        image, mapping, None, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


#: Neighbouring output pixels whose source positions differ by more than this
#: (pixels) lie on two sides of a fold: a lip over the teeth, a lid over the eye.
JUMP = 2.5


def soften_jumps(patch: np.ndarray, mapping: np.ndarray) -> None:
    """Anti-alias the edges where the map jumps, in place.

    Where a lip slides over what lies under it the map is exact to the pixel,
    so each pixel shows one side of the fold or the other and the edge is a
    staircase. The pixels on both sides of a jump are replaced by a 3x3
    Gaussian (sigma 0.6) of the warped patch: about the coverage blend of
    one-pixel edge, and nothing else in the patch changes.

    Args:
        patch: ``(h, w, C) uint8`` warped pixels.
        mapping: ``(h, w, 2) float32`` their source positions (:func:`backward_map`).
    """
    h, w = mapping.shape[:2]
    if h < 2 or w < 2:
        return
    jx = np.abs(np.diff(mapping, axis=1)).max(axis=-1) > JUMP  # (h, w - 1)
    jy = np.abs(np.diff(mapping, axis=0)).max(axis=-1) > JUMP  # (h - 1, w)
    if not (jx.any() or jy.any()):
        return
    edge = np.zeros((h, w), dtype=bool)
    edge[:, :-1] |= jx
    edge[:, 1:] |= jx
    edge[:-1] |= jy
    edge[1:] |= jy
    soft = cv2.GaussianBlur(patch, (3, 3), 0.6)
    patch[edge] = soft[edge]
