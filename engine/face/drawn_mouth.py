"""A drawn mouth the face mesh missed: its lips moved onto it.

On a drawing the face mesh sometimes fits a human mouth beside the one drawn (a cartoon
head whose mouth is drawn low on the face: the mesh's lips lie on bare skin a little
above it). The speech then moves skin, and the drawn mouth hardly moves. Here such a mesh
mouth is recognised (its lips, and what lies between them, are mostly the skin's own flat
paint: :data:`BARE_SHARE`) and the drawn mouth looked for round it: an island of other
colours (lips, an ink line) inside a box round the mesh's mouth, wider than tall, as wide
as a mouth. The landmarks are then carried onto it by a thin-plate spline: the mouth's
corners to the island's ends, each lip point to the column as far along it, the outer
lips to its top and its bottom, the inner lips (closed) to the line where its lips meet,
while the eyes, the nose, the chin and the face's outline stay where they are. Points
placed by hand are never moved (:func:`engine.analysis.analyse_portrait`).
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from engine.face import mesh
from engine.face.fit import thin_plate

log = logging.getLogger(__name__)

#: A mesh mouth is on bare paint when these shares of its outer lips' pixels and of those
#: between its inner lips lie within :data:`FLAT` (RGB, each channel) of the skin round it.
BARE_SHARE, FLAT = (0.6, 0.75), 8.0
#: Pixels further than this (RGB distance) from the skin are drawing (lips, ink).
DRAWN = 40.0
#: The box searched round the mesh's mouth: this far (inter-ocular distances) past its
#: corners, and from the nose tip to this share of the way down to the chin.
SIDE, DOWN = 0.15, 0.9
#: A drawn mouth is this many times as wide as the mesh's mouth, and wider than tall.
WIDTH = (0.35, 1.8)
#: Points that stay put: the eyes and brows (the lids' shapes decide how a drawn eye
#: closes), the nose tip, the chin and the face's outline.
_FIXED = (*mesh.RIGHT_EYE_UPPER, *mesh.RIGHT_EYE_LOWER, *mesh.LEFT_EYE_UPPER,
          *mesh.LEFT_EYE_LOWER, *mesh.RIGHT_BROW, *mesh.LEFT_BROW, mesh.NOSE_TIP, mesh.CHIN,
          *mesh.FACE_OVAL[::3])
#: Ink in a drawn mouth: darker than this share of its lightest pixel.
INK = 0.5
#: The lips' points between the corners: outer upper, outer lower, inner upper, inner lower.
_OUTER_UPPER = (185, 40, 39, 37, 0, 267, 269, 270, 409)
_OUTER_LOWER = (146, 91, 181, 84, 17, 314, 405, 321, 375)
_INNER_UPPER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
_INNER_LOWER = (95, 88, 178, 87, 14, 317, 402, 318, 324)


def on_drawn_mouth(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """``(468, 3) float32`` landmarks (pixels) with the mouth moved onto a drawn one the
    mesh missed; ``landmarks`` themselves where its mouth is not on bare paint or no
    drawn mouth is found. ``rgb``: ``(H, W, 3) uint8`` the portrait."""
    lm = np.asarray(landmarks, np.float64)
    xy = lm[:, :2]
    iod = float(np.linalg.norm(xy[mesh.LEFT_EYE_OUTER] - xy[mesh.RIGHT_EYE_OUTER]))
    if iod < 8.0:
        return landmarks
    skin = _bare_skin(rgb, xy, iod)
    if skin is None:
        return landmarks
    found = _drawn_mouth(rgb, xy, iod, skin)
    if found is None:
        return landmarks
    ctrl = {i: xy[i] for i in _FIXED}
    ctrl.update(_lip_targets(xy, *found))
    ids = np.array(list(ctrl))
    targets = np.stack(list(ctrl.values()))
    out = np.asarray(landmarks, np.float32).copy()
    out[:, :2] = xy + thin_plate(xy[ids], targets - xy[ids], xy, iod)
    move = np.linalg.norm(out[mesh.LIPS_OUTER, :2] - xy[mesh.LIPS_OUTER], axis=1).mean()
    log.info("face: the mesh's mouth lay on bare paint; moved %.2f IOD onto the drawn one",
             move / iod)
    return out


def _bare_skin(rgb: np.ndarray, xy: np.ndarray, iod: float) -> np.ndarray | None:
    """The skin's colour ``(3,) float32`` where the mesh's mouth lies on bare paint (the
    pixels in its lips are mostly, and those between them all, that colour), else None."""
    # (in a box round the lips: the picture may be many times the mouth's size)
    k = 2 * max(1, int(round(0.1 * iod))) + 1
    pts = xy[mesh.LIPS_OUTER]
    x0, y0 = (max(int(v) - k, 0) for v in pts.min(axis=0))
    x1, y1 = (int(v) + k + 2 for v in pts.max(axis=0))
    rgb = rgb[y0:y1, x0:x1]
    h, w = rgb.shape[:2]
    lips, inside = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    cv2.fillPoly(lips, [np.round(pts - (x0, y0)).astype(np.int32)], 1)
    cv2.fillPoly(inside, [np.round(xy[mesh.LIPS_INNER] - (x0, y0)).astype(np.int32)], 1)
    ring = (cv2.dilate(lips, np.ones((k, k), np.uint8)) > 0) & (lips == 0)
    if not ring.any() or not lips.any():
        return None
    skin = np.median(rgb[ring][:, :3], axis=0).astype(np.float32)

    def flat(mask: np.ndarray) -> float:
        px = rgb[mask > 0][:, :3].astype(np.float32)
        return float((np.abs(px - skin).max(axis=1) <= FLAT).mean())

    # (a drawn mouth the mesh's lower lip reaches into leaves the rest of it bare)
    bare = flat(lips) >= BARE_SHARE[0] and (not inside.any() or flat(inside) >= BARE_SHARE[1])
    return skin if bare else None


def _drawn_mouth(rgb: np.ndarray, xy: np.ndarray, iod: float, skin: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]] | None:
    """``(island (h, w) bool, luma (h, w) float32, (x0, y0))``: the drawn mouth near the
    mesh's, in a box of the portrait whose corner is ``(x0, y0)``; None where none is
    found."""
    h, w = rgb.shape[:2]
    right, left = xy[mesh.MOUTH_RIGHT], xy[mesh.MOUTH_LEFT]
    x0 = int(max(min(right[0], left[0]) - SIDE * iod, 0))
    x1 = int(min(max(right[0], left[0]) + SIDE * iod, w))
    nose, chin = xy[mesh.NOSE_TIP], xy[mesh.CHIN]
    y0 = int(max(nose[1], 0))
    y1 = int(min(nose[1] + DOWN * (chin[1] - nose[1]), h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    crop = rgb[y0:y1, x0:x1, :3].astype(np.float32)
    drawn = (np.linalg.norm(crop - skin, axis=-1) > DRAWN).astype(np.uint8)
    n, label, stats, _ = cv2.connectedComponentsWithStats(drawn, connectivity=8)
    mesh_width = float(np.linalg.norm(left - right))
    centre = 0.5 * (right + left) - (x0, y0)
    best = None
    for i in range(1, n):
        bx, by, bw, bh, area = (int(v) for v in stats[i])
        touches = bx == 0 or by == 0 or bx + bw == x1 - x0 or by + bh == y1 - y0
        if (touches or not WIDTH[0] * mesh_width <= bw <= WIDTH[1] * mesh_width
                or bh >= bw or area < 0.1 * bw * max(bh, 1)):
            continue
        gap = abs(bx + 0.5 * bw - centre[0]) + abs(by + 0.5 * bh - centre[1])
        if best is None or gap < best[0]:
            best = (gap, i)
    if best is None:
        return None
    luma = crop @ np.array([0.299, 0.587, 0.114], np.float32)
    return label == best[1], luma, (x0, y0)


def _lip_targets(xy: np.ndarray, island: np.ndarray, luma: np.ndarray,
                 origin: tuple[int, int]) -> dict[int, np.ndarray]:
    """Where each of the mesh's lip points goes on the drawn mouth ``island``: at the
    column as far along the drawn mouth as the point is along the mesh's (corner to
    corner), the outer lips to its top and its bottom, the inner lips (closed) to the
    line where its lips meet (:func:`_meeting_track`); the corners to its ends."""
    ys, xs = np.nonzero(island)
    lo, hi = int(xs.min()), int(xs.max())
    ends = {x: float(ys[xs == x].mean()) for x in (lo, hi)}
    right, left = xy[mesh.MOUTH_RIGHT], xy[mesh.MOUTH_LEFT]
    axis = left - right
    flip = axis[0] < 0  # the subject's right is the image's left, unless mirrored
    ox, oy = origin
    targets = {mesh.MOUTH_RIGHT: np.array([hi if flip else lo, ends[hi if flip else lo]]),
               mesh.MOUTH_LEFT: np.array([lo if flip else hi, ends[lo if flip else hi]])}
    targets = {i: p + (ox, oy) for i, p in targets.items()}
    meet = _meeting_track(island, luma, lo, hi)
    for part, ring in (("top", _OUTER_UPPER), ("bottom", _OUTER_LOWER),
                       ("meet", _INNER_UPPER + _INNER_LOWER)):
        for i in ring:
            u = float(np.clip((xy[i] - right) @ axis / max(float(axis @ axis), 1e-9), 0, 1))
            x = int(round(hi - u * (hi - lo) if flip else lo + u * (hi - lo)))
            col = ys[xs == x]
            if not len(col):
                continue
            top, bottom = int(col.min()), int(col.max())
            y = meet[x - lo] if part == "meet" else top if part == "top" else bottom
            targets[i] = np.array([x + ox, y + oy], np.float64)
    return targets


def _meeting_track(island: np.ndarray, luma: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``(hi - lo + 1,) float64`` the row (pixels in the crop) of the line where the drawn
    lips meet, at each column from ``lo`` to ``hi`` of the ``island``: found at the middle
    column, then followed out to each corner, column by column, keeping to the run of ink
    nearest to where the last column's lay across the mouth's height (a mouth drawn with
    more than one line between its lips, or whose corner curls up to its outline, keeps to
    one line: aimed at a straight line to the corner, the left half of the cartoon sample's
    inner lips went onto its outline). Where a column shows no such line (a mouth drawn as
    two lines round its lips' colour) the line keeps its place across the mouth's height,
    so that it follows a curved mouth."""
    spans = {}  # column -> the island's top and bottom row there (it need not be whole)
    for x in range(lo, hi + 1):
        rows = np.flatnonzero(island[:, x])
        if len(rows):
            spans[x] = (int(rows.min()), int(rows.max()))
    mid = min(spans, key=lambda x: abs(x - 0.5 * (lo + hi)))
    top, bottom = spans[mid]
    found = _meeting_line(luma[top:bottom + 1, mid], None)
    # where the line lies across the mouth's height there (0 its top, 1 its bottom)
    start = found / max(bottom - top, 1) if found is not None else 0.5
    track = np.empty(hi - lo + 1, np.float64)
    for step, stop in ((-1, lo - 1), (1, hi + 1)):
        share, y = start, top + start * (bottom - top)
        for x in range(mid if step < 0 else mid + 1, stop, step):
            span = spans.get(x)
            if span is not None:
                t, b = span
                k = _meeting_line(luma[t:b + 1, x], share * (b - t))
                if k is not None:
                    share = k / max(b - t, 1)
                y = t + share * (b - t)
            track[x - lo] = y
    return track


def _meeting_line(luma: np.ndarray, near: float | None) -> int | None:
    """Index into a column down through a drawn mouth (``luma (n,)``) of the line where
    its lips meet: the middle of the run of ink that is not its outline (the first or
    the last run) nearest the index ``near`` (the column's middle where None), or of a
    mouth drawn as one line, that line; None where the column shows no such line (a
    mouth drawn as one colour)."""
    ink = luma < INK * float(np.max(luma))
    edges = np.flatnonzero(np.diff(np.r_[0, ink.astype(np.int8), 0]))
    runs = list(zip(edges[::2], edges[1::2], strict=True))
    if len(runs) == 1 and runs[0][1] - runs[0][0] == len(luma):
        return len(luma) // 2
    # The first and the last run are the outline, whether or not an anti-aliased pixel
    # lies outside them (on a smiley drawn as two lines round its red lips, a meeting line
    # taken from one outline to the other in turn zigzagged across them).
    inner = runs[1:-1] if len(runs) > 1 else [r for r in runs if r[0] > 0 and r[1] < len(luma)]
    if not inner:
        return None
    at = 0.5 * len(luma) if near is None else near
    a, b = min(inner, key=lambda r: abs(0.5 * (r[0] + r[1]) - at))
    return int((a + b) // 2)
