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


class TriangleMap:
    """One frame's piecewise-affine backward map, ready to evaluate on any box.

    Built once per frame from the meshes; :meth:`sample` then evaluates the map
    on as many boxes as the frame needs (the face at a coarse step, the lips'
    and lids' edges at a fine one) without repeating the per-triangle work.

    Args:
        target: ``(V, 2) float`` vertex positions in the output image, pixels.
        source: ``(V, 2) float`` the same vertices in the source image, pixels.
        triangles: ``(K, 3) int`` vertex indices. Later triangles win where
            triangles overlap (a fold).
    """

    def __init__(self, target: np.ndarray, source: np.ndarray, triangles: np.ndarray) -> None:
        tri = np.asarray(triangles, dtype=np.intp)
        p = np.asarray(target, dtype=np.float64)[tri]  # (K, 3, 2)
        a, ab, ac = p[:, 0], p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
        det = ab[:, 0] * ac[:, 1] - ac[:, 0] * ab[:, 1]
        self._ok = np.abs(det) > 1e-9
        # (K, 2) each triangle's pixel bounds (numpy reduces a short middle axis slowly)
        self._lo = np.minimum(np.minimum(p[:, 0], p[:, 1]), p[:, 2])
        self._hi = np.maximum(np.maximum(p[:, 0], p[:, 1]), p[:, 2])
        inv = 1.0 / np.where(self._ok, det, 1.0)
        # The barycentric weights w1, w2 of an output pixel (x, y) and its source
        # position are affine in x and y: (4, 3, K) coefficients of x, y and 1.
        w1x, w1y = ac[:, 1] * inv, -ac[:, 0] * inv
        w2x, w2y = -ab[:, 1] * inv, ab[:, 0] * inv
        w1c = -(a[:, 0] * w1x + a[:, 1] * w1y)
        w2c = -(a[:, 0] * w2x + a[:, 1] * w2y)
        s = np.asarray(source, dtype=np.float64)[tri]
        s0, d1, d2 = s[:, 0], s[:, 1] - s[:, 0], s[:, 2] - s[:, 0]
        coef = np.empty((4, 3, len(tri)))
        coef[0] = w1x, w1y, w1c
        coef[1] = w2x, w2y, w2c
        for q in range(2):
            coef[2 + q] = (d1[:, q] * w1x + d2[:, q] * w2x, d1[:, q] * w1y + d2[:, q] * w2y,
                           s0[:, q] + d1[:, q] * w1c + d2[:, q] * w2c)
        self._coef = coef

    def sample(self, box: tuple[int, int, int, int], step: int) -> np.ndarray:
        """The source coordinates of every pixel of ``box``: :meth:`sample_boxes` of one box."""
        return self.sample_boxes([(box, step)])[0]

    def sample_boxes(
        self, requests: list[tuple[tuple[int, int, int, int], int]]
    ) -> list[np.ndarray]:
        """The source coordinates of every pixel of each box, each on its own grid.

        All the boxes are scanned in one pass (a frame's face, lips and lids): the
        per-triangle and per-row work is a few dozen numpy calls whatever the number of
        samples, and on a small box costs more than its samples do.

        Args:
            requests: ``[(box, step), ...]``: ``box`` ``(x0, y0, x1, y1)`` an integer
                pixel box of the output, end exclusive; ``step`` its grid spacing in
                pixels (>= 1).

        Returns:
            Per request, a ``(y1 - y0, x1 - x0, 2) float32`` map of (x, y) source
            positions, for ``cv2.remap``.
        """
        n_box = len(requests)
        steps = np.empty(n_box, np.int64)
        shape = np.empty((n_box, 2), np.int64)  # (ny, nx)
        origin = np.empty((n_box, 2))  # (gx0, gy0)
        for b, (box, step) in enumerate(requests):
            x0, y0, x1, y1 = box
            step = max(1, int(step))
            pad = 1 if step > 1 else 0
            steps[b] = step
            shape[b] = -(-(y1 - y0) // step) + 2 * pad, -(-(x1 - x0) // step) + 2 * pad
            # Sample (i, j) sits at output position (gx0 + step*j, gy0 + step*i): with
            # cv2.resize's pixel-centre convention this lands the upsampled pixels on
            # integer positions, starting ``pad*step`` pixels before the box.
            origin[b] = (x0 - pad * step + (step - 1) / 2.0, y0 - pad * step + (step - 1) / 2.0)
        sizes = shape[:, 0] * shape[:, 1]
        start = np.cumsum(sizes) - sizes  # each grid's first sample in one flat buffer
        flat = np.empty(2 * int(sizes.sum()), dtype=np.float32)
        grids = []
        for b in range(n_box):
            (ny, nx), (gx0, gy0), pitch = shape[b], origin[b], float(steps[b])
            grid = flat[2 * start[b] : 2 * (start[b] + sizes[b])].reshape(ny, nx, 2)
            grid[..., 0] = (gx0 + pitch * np.arange(nx, dtype=np.float64)).astype(np.float32)
            grid[..., 1] = (gy0 + pitch * np.arange(ny, dtype=np.float64)).astype(np.float32)[
                :, None]
            grids.append(grid)
        self._scan(flat, steps, shape, origin, start)
        return [_upsample(grid, int(n), 1 if n > 1 else 0, box[2] - box[0], box[3] - box[1])
                for (box, _), grid, n in zip(requests, grids, steps, strict=True)]

    def _scan(self, flat: np.ndarray, steps: np.ndarray, shape: np.ndarray,
              origin: np.ndarray, start: np.ndarray) -> None:
        """Write the map at every grid sample a triangle covers into ``flat``
        (:meth:`sample_boxes`' grids, one after another)."""
        # (B, K) each triangle's pixel bounds in each grid's units
        st = steps[:, None].astype(np.float64)
        lo_x = (self._lo[None, :, 0] - origin[:, 0, None]) / st
        lo_y = (self._lo[None, :, 1] - origin[:, 1, None]) / st
        hi_x = (self._hi[None, :, 0] - origin[:, 0, None]) / st
        hi_y = (self._hi[None, :, 1] - origin[:, 1, None]) / st
        j0 = np.maximum(np.ceil(lo_x - 1e-6), 0)
        i0 = np.maximum(np.ceil(lo_y - 1e-6), 0)
        j1 = np.minimum(np.floor(hi_x + 1e-6), (shape[:, 1] - 1)[:, None])
        i1 = np.minimum(np.floor(hi_y + 1e-6), (shape[:, 0] - 1)[:, None])
        b, k = np.nonzero((j1 >= j0) & (i1 >= i0) & self._ok[None])
        if len(k) == 0:
            return
        j0, j1, i0 = j0[b, k], j1[b, k], i0[b, k].astype(np.int64)
        th = i1[b, k].astype(np.int64) - i0 + 1
        # The coefficients of the sample's column j and row i, per (box, triangle) (4, n).
        cf = self._coef[:, :, k]
        step, gx0, gy0 = steps[b], origin[b, 0], origin[b, 1]
        cj, ci = cf[:, 0] * step, cf[:, 1] * step
        cc = cf[:, 2] + cf[:, 0] * gx0 + cf[:, 1] * gy0
        # Scanlines: per (box, triangle, row), the span of columns where all three weights
        # are >= -eps (w0 = 1 - w1 - w2), so that only samples inside are visited.
        rows = np.repeat(np.arange(len(k)), th)
        ii_r = i0[rows] + (np.arange(len(rows)) - (np.cumsum(th) - th)[rows])
        fi = ii_r.astype(np.float64)
        lo_r, hi_r = j0[rows], j1[rows]
        a1, b1 = cj[0][rows], ci[0][rows] * fi + cc[0][rows]
        a2, b2 = cj[1][rows], ci[1][rows] * fi + cc[1][rows]
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
        # Assignment by index: with repeated samples the last write wins, so later
        # triangles (in the order given) cover earlier ones deterministically.
        at = 2 * (start[b][owner] + ii * shape[b, 1][owner] + jj)
        flat[at] = cj[2][owner] * jf + ci[2][owner] * if_ + cc[2][owner]
        flat[at + 1] = cj[3][owner] * jf + ci[3][owner] * if_ + cc[3][owner]


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


def _jumps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(h, w) bool``: where source positions ``a`` and ``b`` ``(h, w, 2)`` differ by more
    than :data:`JUMP` in x or y."""
    # Two planes compared apiece: numpy reduces a length-2 last axis ten times slower.
    return (np.abs(a[..., 0] - b[..., 0]) > JUMP) | (np.abs(a[..., 1] - b[..., 1]) > JUMP)


def soften_jumps(patch: np.ndarray, mapping: np.ndarray) -> None:
    """Anti-alias the edges where the map jumps, in place.

    Where a lip slides over what lies under it the map is exact to the pixel,
    so each pixel shows one side of the fold or the other and the edge is a
    staircase. The pixels on both sides of a jump are replaced by a 3x3
    Gaussian (sigma 0.6) of the warped patch: about the coverage blend of
    one-pixel edge, and nothing else in the patch changes.

    Args:
        patch: ``(h, w, C) uint8`` warped pixels.
        mapping: ``(h, w, 2) float32`` their source positions (:meth:`TriangleMap.sample`).
    """
    h, w = mapping.shape[:2]
    if h < 2 or w < 2:
        return
    jx = _jumps(mapping[:, 1:], mapping[:, :-1])  # (h, w - 1)
    jy = _jumps(mapping[1:], mapping[:-1])  # (h - 1, w)
    if not (jx.any() or jy.any()):
        return
    edge = np.zeros((h, w), dtype=bool)
    edge[:, :-1] |= jx
    edge[:, 1:] |= jx
    edge[:-1] |= jy
    edge[1:] |= jy
    soft = cv2.GaussianBlur(patch, (3, 3), 0.6)
    patch[edge] = soft[edge]
