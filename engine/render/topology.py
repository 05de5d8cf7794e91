"""Fixed facts about the 468-point face-mesh topology that the renderer needs.

The indices are those of MediaPipe's face mesh (the same numbering as
``engine.face``). The contours here are *ordered* (the renderer walks them),
which is why they live beside the renderer rather than being rebuilt from
unordered edge sets.

The face mesh's triangulation leaves three holes: the two eye openings and
the mouth opening (inside the inner-lip contour). :func:`hole_triangles`
closes them with strips, so that the warp also moves the pixels of the eyes
and of an already open mouth.
"""

from __future__ import annotations

import numpy as np

#: Face oval, a closed loop (36 points), starting at the top of the forehead.
FACE_OVAL = np.array(
    [10, 109, 67, 103, 54, 21, 162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148,
     152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389, 251, 284, 332, 297, 338],
    dtype=np.int32,
)  # fmt: skip

#: Inner-lip contour, upper lip, from the subject's right mouth corner (78) to the left (308).
LIPS_INNER_UPPER = np.array([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308], dtype=np.int32)
#: Inner-lip contour, lower lip, same corners and direction.
LIPS_INNER_LOWER = np.array([78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308], dtype=np.int32)
#: Outer-lip contour, upper lip, corner 61 to corner 291.
LIPS_OUTER_UPPER = np.array([61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291], dtype=np.int32)
#: Outer-lip contour, lower lip, corner 61 to corner 291.
LIPS_OUTER_LOWER = np.array([61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291], dtype=np.int32)
#: Closed inner-lip polygon (20 points).
LIPS_INNER = np.concatenate([LIPS_INNER_UPPER, LIPS_INNER_LOWER[-2:0:-1]])
#: Closed outer-lip polygon (20 points).
LIPS_OUTER = np.concatenate([LIPS_OUTER_UPPER, LIPS_OUTER_LOWER[-2:0:-1]])

#: Eye contours, one row per eye: the subject's right eye (around 33), then the left (263).
#: Upper-lid margin from the outer corner to the inner corner (9 points, corners included).
EYE_UPPER = np.array(
    [[33, 246, 161, 160, 159, 158, 157, 173, 133],
     [263, 466, 388, 387, 386, 385, 384, 398, 362]],
    dtype=np.int32,
)  # fmt: skip
#: Lower-lid margin, same corners and direction as :data:`EYE_UPPER`.
EYE_LOWER = np.array(
    [[33, 7, 163, 144, 145, 153, 154, 155, 133],
     [263, 249, 390, 373, 374, 380, 381, 382, 362]],
    dtype=np.int32,
)  # fmt: skip
#: The ring of points just above the upper lid (the lid crease), paired with
#: the 7 interior points of :data:`EYE_UPPER`.
EYE_CREASE = np.array(
    [[247, 30, 29, 27, 28, 56, 190],
     [467, 260, 259, 257, 258, 286, 414]],
    dtype=np.int32,
)  # fmt: skip

#: The next ring up, under the brow, paired with :data:`EYE_CREASE`.
EYE_UPPER2 = np.array(
    [[113, 225, 224, 223, 222, 221, 189],
     [342, 445, 444, 443, 442, 441, 413]],
    dtype=np.int32,
)  # fmt: skip

#: Cheek landmarks whose neighbourhoods are sampled for the skin colour.
CHEEK_POINTS = np.array([50, 280, 205, 425, 101, 330], dtype=np.int32)
#: Chin (lowest point of the oval) and nose tip.
CHIN = 152
NOSE_TIP = 1
NOSE_BRIDGE_TOP = 168
#: Outer eye corners that define the inter-ocular distance.
EYE_OUTER = (33, 263)


def strip_triangles(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Triangulate the band between two contours with the same end points.

    Args:
        upper: ``(n,) int`` landmark indices.
        lower: ``(n,) int`` landmark indices; ``upper[0] == lower[0]`` and
            ``upper[-1] == lower[-1]`` may hold (shared corners).

    Returns:
        ``(m, 3) int32`` triangles, without those that repeat a vertex.
    """
    tris = []
    for k in range(len(upper) - 1):
        a, b, c, d = int(upper[k]), int(upper[k + 1]), int(lower[k + 1]), int(lower[k])
        for tri in ((a, b, c), (a, c, d)):
            if len(set(tri)) == 3:
                tris.append(tri)
    return np.array(tris, dtype=np.int32).reshape(-1, 3)


#: Rows of extra vertices inside the mouth opening (see :func:`hole_triangles`).
MOUTH_ROWS = 4


#: Interior upper-lid points per eye, duplicated for the eye openings (see :func:`hole_triangles`).
EYE_COLUMNS = EYE_UPPER.shape[1] - 2


def hole_triangles(mouth_start: int, eye_start: int) -> np.ndarray:
    """``(m, 3) int32`` triangles that close the mouth and the two eye openings.

    The mouth opening is filled by three strips between four rows of 9 extra
    vertices (row ``r``, column ``k`` is vertex ``mouth_start + 9 r + k``),
    each row paired with the interior inner-lip points and sharing the mouth
    corners: the portrait's upper content (teeth under the upper lip) between
    rows 0 and 1, the gap that opens between the two contents between rows 1
    and 2 (painted), and the lower content between rows 2 and 3. The rows'
    positions and source positions change from frame to frame
    (:mod:`engine.render.lips`): the lips slide over the mouth's content
    rather than squashing it.

    Each eye opening is a strip from a row of 7 extra vertices (eye ``e``,
    point ``k`` is vertex ``eye_start + 7 e + k``), which sit on the upper
    lid's interior points, down to the lower lid. The rows' source positions
    change as the lid closes (:func:`engine.render.pose.frame_vertices`): the
    eye stays put under the lid, which slides over it.
    """
    n = len(LIPS_INNER_UPPER) - 2
    corners = (int(LIPS_INNER_UPPER[0]), int(LIPS_INNER_UPPER[-1]))
    rows = [np.array([corners[0], *range(mouth_start + r * n, mouth_start + (r + 1) * n),
                      corners[1]]) for r in range(MOUTH_ROWS)]
    parts = [strip_triangles(rows[r], rows[r + 1]) for r in range(MOUTH_ROWS - 1)]
    for e in range(2):
        top = np.array([EYE_UPPER[e][0], *range(eye_start + EYE_COLUMNS * e,
                                                eye_start + EYE_COLUMNS * (e + 1)),
                        EYE_UPPER[e][-1]])
        parts.append(strip_triangles(top, EYE_LOWER[e]))
    return np.concatenate(parts)


def band_triangles(loop: np.ndarray, ring_start: int) -> np.ndarray:
    """Triangulate the band between a closed loop of landmarks and a ring.

    Ring point ``ring_start + k`` sits outward of ``loop[k]``.

    Args:
        loop: ``(n,) int`` landmark indices of a closed loop.
        ring_start: vertex index of the first ring point.

    Returns:
        ``(2n, 3) int32`` triangles.
    """
    n = len(loop)
    tris = []
    for k in range(n):
        k1 = (k + 1) % n
        a, b = int(loop[k]), int(loop[k1])
        ra, rb = ring_start + k, ring_start + k1
        tris.append((a, b, rb))
        tris.append((a, rb, ra))
    return np.array(tris, dtype=np.int32)
