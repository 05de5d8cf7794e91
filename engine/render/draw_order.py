"""The order in which the face's triangles are drawn, so that folds resolve as in life.

Where the warp folds, the triangle drawn last wins (:mod:`engine.render.warp`);
:class:`engine.render.rig.PortraitRig` draws the triangles its portrait hides first.
"""

from __future__ import annotations

import logging

import numpy as np

from engine.render import topology as topo

log = logging.getLogger(__name__)

#: A face triangle counts as hidden by one nearer than it by more than this (inter-ocular
#: distances, in depth) over it (:func:`hidden_first`). On frontal faces (the twelve
#: portraits of ``tools/blink_check.py`` but the cameraman) the triangles over one another
#: lie at most 0.31 apart, folds at the face's outline, and keep the mesh's order; behind
#: the cameraman's nose, turned 53 degrees, up to 1.2.
HIDDEN_GAP = 0.35


def hidden_first(tris: np.ndarray, lm: np.ndarray, gap: float = HIDDEN_GAP) -> np.ndarray:
    """``tris`` ``(K, 3) int`` reordered so that the triangles the portrait hides come first.

    Where the warp folds, the triangle drawn last wins (:mod:`engine.render.warp`). In a
    turned face the far cheek lies behind the nose: in the mesh's own order it won in
    places, and the map, interpolated between the two, sprinkled the nose's edge with
    stray pixels of the far side as the head moved. A triangle is hidden when one of
    four points inside it (its centroid and the midpoints towards its corners) lies
    inside a triangle nearer by more than ``gap`` inter-ocular distances (MediaPipe's
    depth: smaller is nearer; the distance between the eye corners in 3-D, so that it
    does not shrink as the face turns). The rest keep the mesh's order.

    Args:
        tris: ``(K, 3) int`` triangles over ``lm``.
        lm: ``(N, 3)`` landmarks, pixels and depth.
        gap: depth margin, inter-ocular distances.
    """
    pts = np.asarray(lm, np.float64)
    iod = float(np.linalg.norm(pts[topo.EYE_OUTER[1]] - pts[topo.EYE_OUTER[0]]))
    xy = pts[:, :2]
    z = pts[:, 2][tris].mean(axis=1)
    a, b, c = xy[tris[:, 0]], xy[tris[:, 1]], xy[tris[:, 2]]
    lo, hi = np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    # pairs (i, t): triangle t lies in front of triangle i by more than the margin, and
    # their boxes overlap (few: the test below runs on those alone)
    pairs = (z[None, :] < z[:, None] - gap * iod) & (np.abs(det) > 1e-9)[None, :]
    for k in range(2):  # per axis: np.all over a last axis of length 2 is far slower
        pairs &= (lo[None, :, k] <= hi[:, None, k]) & (hi[None, :, k] >= lo[:, None, k])
    i, t = np.nonzero(pairs)
    hidden = np.zeros(len(tris), bool)
    centre = (a[i] + b[i] + c[i]) / 3.0
    at, e1, e2 = a[t], b[t] - a[t], c[t] - a[t]
    for p in (centre, *(0.5 * (centre + v[i]) for v in (a, b, c))):
        d = p - at
        w1 = (d[:, 0] * e2[:, 1] - d[:, 1] * e2[:, 0]) / det[t]
        w2 = (e1[:, 0] * d[:, 1] - e1[:, 1] * d[:, 0]) / det[t]
        inside = (w1 > 1e-6) & (w2 > 1e-6) & (w1 + w2 < 1.0 - 1e-6)
        hidden[i[inside]] = True
    log.debug("rig: %d of %d face triangles hidden", int(hidden.sum()), len(tris))
    return np.concatenate([tris[hidden], tris[~hidden]])
