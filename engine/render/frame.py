"""``render_frame``: one frame of the animation, a pure function of rig, motion and index."""

from __future__ import annotations

import logging

import numpy as np

from engine.motion.track import MotionTrack
from engine.render import topology as topo
from engine.render.flat_mouth import Under
from engine.render.gaze import shift_irises
from engine.render.mouth import paint_mouth
from engine.render.painted_lids import paint_lids
from engine.render.pose import (
    close_lids,
    eyelid_closure,
    frame_landmarks,
    frame_vertices,
    head_landmarks,
)
from engine.render.rig import PortraitRig
from engine.render.warp import TriangleMap, remap_box, soften_jumps

log = logging.getLogger(__name__)

#: Warp-grid samples per inter-ocular distance (the grid step follows the face size).
GRID_PER_IOD = 30
#: Largest warp-grid step in pixels.
MAX_STEP = 8
#: Where the map jumps (lip edges, closing lids) it is evaluated on a grid this
#: many times finer (step 1 up to a coarse step of 3).
REFINE = 4


#: Landmarks around the mouth opening whose box is evaluated exactly while the lips move:
#: the map jumps only at the inner lips' edges.
_MOUTH_IDX = topo.LIPS_INNER
#: The same around each eye while its lid closes (the map jumps at the lid's edge).
_EYE_IDX = [np.concatenate([topo.EYE_UPPER[e], topo.EYE_LOWER[e]]) for e in range(2)]


def _around(
    tgt_v: np.ndarray, idx: np.ndarray, box: tuple[int, int, int, int], step: int
) -> tuple[int, int, int, int] | None:
    """The pixel box ``(x0, y0, x1, y1)`` of the targets of vertices ``idx``, with a
    margin of two grid steps, inside ``box``; None when empty."""
    bx0, by0, bx1, by1 = box
    pts = tgt_v[idx]
    m = 2 * max(step, 1)
    x0 = max(int(np.floor(pts[:, 0].min())) - m, bx0)
    y0 = max(int(np.floor(pts[:, 1].min())) - m, by0)
    x1 = min(int(np.ceil(pts[:, 0].max())) + m + 1, bx1)
    y1 = min(int(np.ceil(pts[:, 1].max())) + m + 1, by1)
    return None if x1 <= x0 or y1 <= y0 else (x0, y0, x1, y1)


def _fine_boxes(
    tgt_v: np.ndarray, box: tuple[int, int, int, int], step: int,
    lips: tuple[int, int, int, int] | None, closing: list[bool],
) -> list[tuple[int, int, int, int]]:
    """The boxes whose map is evaluated again on a grid :data:`REFINE` times finer.

    Where a lip slides over the teeth, or a lid over the eye, the map jumps
    at its edge from lip to tooth, or lid to eye; interpolating the coarse
    grid across the jump would smear one into the other, so the box around
    those vertices (:func:`_around`) is evaluated again: the lips' while they
    move, each closing lid's eye. None at a coarse step of 1 (already exact).
    """
    if step <= 1:
        return []
    eyes = [_around(tgt_v, _EYE_IDX[e], box, step) if closing[e] else None for e in range(2)]
    return [b for b in (lips, *eyes) if b is not None]


def _gaze(motion: MotionTrack, index: int) -> np.ndarray:
    """``(2,) float64`` gaze at frame ``index`` (zeros for a track without gaze)."""
    g = getattr(motion, "gaze", None)
    n = motion.frame_count
    if g is None or n == 0 or len(g) == 0:
        return np.zeros(2)
    return np.asarray(g[min(max(int(index), 0), n - 1)], dtype=np.float64)


def output_size(rig: PortraitRig, size: int | None) -> tuple[int, int]:
    """``(width, height)`` of a frame whose long edge is ``size`` (None: the portrait's own)."""
    w, h = rig.size
    if size is None or int(size) == max(w, h):
        return w, h
    if int(size) < 1:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    f = int(size) / max(w, h)
    return max(1, int(round(w * f))), max(1, int(round(h * f)))


def moving_box(rig: PortraitRig, size: int | None = None) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` pixels of a frame of long edge ``size`` (None: the portrait's
    own) outside which every frame :func:`render_frame` makes is the portrait at that size
    (:meth:`PortraitRig.level`) byte for byte: the rig's influence box, scaled."""
    return _box(rig, *output_size(rig, size))


def _box(rig: PortraitRig, out_w: int, out_h: int) -> tuple[int, int, int, int]:
    src_w, src_h = rig.size
    fx, fy = out_w / src_w, out_h / src_h
    x0, y0, x1, y1 = rig.box
    bx0, by0 = max(int(np.floor(x0 * fx)), 0), max(int(np.floor(y0 * fy)), 0)
    bx1, by1 = min(int(np.ceil(x1 * fx)), out_w), min(int(np.ceil(y1 * fy)), out_h)
    return bx0, by0, max(bx1, bx0), max(by1, by0)


def render_frame(
    rig: PortraitRig, motion: MotionTrack, index: int, size: int | None = None
) -> np.ndarray:
    """Render frame ``index`` of ``motion`` applied to the rigged portrait.

    Pure: no state is kept between calls, and the same inputs give the same
    bytes in any order of calls.

    Args:
        rig: the portrait's cached data (:meth:`PortraitRig.build`).
        motion: the motion track. ``index`` is clamped to its frames.
        index: frame number.
        size: long edge of the output in pixels; None for the portrait's
            full resolution. A smaller size warps a downscaled copy of the
            portrait with scaled maps (no full-resolution work).

    Returns:
        ``(h, w, 3) uint8`` RGB, or ``(h, w, 4) uint8`` RGBA when the portrait
        has alpha. Outside the rig's influence box the frame equals the
        (resized) portrait byte for byte.
    """
    out_w, out_h = output_size(rig, size)
    src_w, src_h = rig.size
    fx, fy = out_w / src_w, out_h / src_h
    base = rig.level(out_w, out_h)
    out = base.copy()

    open_xy = frame_landmarks(rig, motion, index, lids=False)
    lids = eyelid_closure(motion, index, rig)
    xy = close_lids(rig, open_xy, lids)
    scale = np.array([fx, fy])
    tgt_full, src_full = frame_vertices(rig, xy, head_landmarks(rig, motion, index), open_xy)
    # Pixel centres: full-resolution x maps to (x + 0.5) * f - 0.5.
    src_v = (src_full + 0.5) * scale - 0.5
    tgt_v = (tgt_full + 0.5) * scale - 0.5
    gaze = _gaze(motion, index)
    paint = bool(np.any(lids > 0))
    closing = [bool(lids[e] > 0 and rig.lid_plates[e].human) for e in range(2)]
    moved = not np.array_equal(tgt_v, src_v) or bool(np.any(gaze)) or paint

    bx0, by0, bx1, by1 = _box(rig, out_w, out_h)
    if not moved or bx1 <= bx0 or by1 <= by0:
        return out
    iod = rig.iod * float(np.sqrt(fx * fy))
    step = int(np.clip(np.floor(iod / GRID_PER_IOD), 1, MAX_STEP))
    k = xy.shape[0] + rig.ring.shape[0]
    box = (bx0, by0, bx1, by1)
    # The vertices after the still ring (the mouth's rows, the eyes' tops, the hair's ring)
    # all keep still only when neither the mouth nor the head moves.
    lips = _around(tgt_v, _MOUTH_IDX, box, step) if not np.array_equal(tgt_v[k:], src_v[k:]) \
        else None
    fine = _fine_boxes(tgt_v, box, step, lips, closing)
    # One pass over the triangles for the face and every fine box (a fine grid, a
    # quarter of the coarse step, keeps a jump within a pixel or two).
    maps = TriangleMap(tgt_v, src_v, rig.triangles).sample_boxes(
        [(box, step)] + [(sub, max(1, step // REFINE)) for sub in fine])
    mapping = maps[0]
    for (x0, y0, x1, y1), exact in zip(fine, maps[1:], strict=True):
        mapping[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0] = exact
    out[by0:by1, bx0:bx1] = remap_box(base, mapping)
    if lips is not None:
        # The lips' edges over the teeth, exact to the pixel, are anti-aliased.
        x0, y0, x1, y1 = lips
        soften_jumps(out[y0:y1, x0:x1], mapping[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0])
    if np.any(gaze):
        # an eye that cannot be seen keeps still, and one that closes moves less
        seen = rig.eyes_shown
        shift_irises(out, tgt_v, gaze, (seen[0] * (1.0 - float(lids[0])),
                                        seen[1] * (1.0 - float(lids[1]))))
    under: Under | None = None
    if lips is not None and rig.paint is not None and rig.paint.wiped is not None:
        # Where the drawn line's wiped patch may be laid: the lips and a line's width round.
        region = _around(tgt_v, topo.LIPS_OUTER, box, step)
        if region is not None:
            m = int(np.ceil(rig.paint.line[1] * iod / rig.iod)) if rig.paint.line else 0
            x0, y0 = max(region[0] - m, bx0), max(region[1] - m, by0)
            x1, y1 = min(region[2] + m, bx1), min(region[3] + m, by1)
            under = (x0, y0, x1, y1), mapping[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0], scale
    paint_mouth(out, rig, tgt_v, iod, under)
    if paint:
        xy_out = (xy[:, :2] + 0.5) * scale - 0.5
        open_out = (open_xy + 0.5) * scale - 0.5
        paint_lids(out, rig.lid_plates, xy_out, mapping, (bx0, by0, bx1, by1), scale, lids, iod,
                   open_out, rig.landmarks, rig.blur * iod / max(rig.iod, 1e-6))
    return out
