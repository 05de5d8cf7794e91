"""How the lips move over what the portrait shows between them (teeth, tongue).

The mouth opening is filled by four rows of vertices (:func:`engine.render.
topology.hole_triangles`): the portrait's *upper content* (the teeth under
the upper lip) lies between rows 0 and 1, its *lower content* between rows 2
and 3, and a *gap* between rows 1 and 2 that is painted
(:mod:`engine.render.mouth`). In the portrait rows 1 and 2 lie on one line:
the upper teeth's biting edge where the portrait shows teeth
(:func:`content_split`), else :data:`MOUTH_SPLIT` of the way from the upper
lip to the lower.

Each content belongs to a bone, not to a lip: the upper teeth move with the
head, the lower ones with the jaw. So when a lip comes towards the other
(closing from a portrait with parted lips), it slides *over* its content, which
stays where its bone puts it and is covered, never squashed: the lips meet with
their own texture. (A content that reaches past the *other* lip is squeezed into
the opening left, not cut: its far edge, often the dark under the teeth's edge
that a real half-closed mouth shows, stays in view.) When a lip draws back from
its content (an upper lip rises, a lower lip drops further than the jaw), more
of the teeth under it shows: the content stretches to the lip, up to
:data:`STRETCH` times its height, and the lower teeth follow a dropping lower
lip part of the way (:data:`LOWER_FOLLOW`). The upper teeth stand in front of
the lower content, but the dark of an open mouth under them does not: as the jaw
closes, the tongue and the lower teeth rise into it (:func:`content_split` finds
where the upper teeth end). The gap between the two contents opens as the jaw
drops, and takes over that dark as fast as it opens; where the portrait shows no
upper teeth (its upper lip covers them), the teeth it uncovers are painted there
(:mod:`engine.render.own_teeth`). Opening from closed lips over teeth therefore reveals
the portrait's own upper teeth first, as the upper lip leaves them, then the lower
ones. A lip's body (the landmarks between its inner and outer contour) follows both
contours (:func:`spread_lips`), so it stretches evenly.

All positions here are in one image's pixels; displacements are measured
along the mouth's downward normal.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA

#: Where the portrait's mouth content is split between the upper and the lower
#: content (fraction of the inner-lip gap from the upper lip). Upper teeth
#: usually fill most of a smile.
MOUTH_SPLIT = 0.65
#: Share of a lower lip's drop beyond the jaw's that its teeth follow.
LOWER_FOLLOW = 0.6
#: A dip in brightness below this share of the teeth's marks their biting edge.
EDGE_DIP = 0.7
#: Mouth content whose green over red is this much below the skin's is redder than the
#: skin: a tongue, not teeth (:func:`content_split`).
REDDER = 0.02
#: A column whose content begins with a dark run this long (share of the gap) and this
#: dark (share of the teeth's brightness) under the upper lip, then bright down to the
#: lower lip, shows its lower teeth under an upper lip that hides the upper ones
#: (:func:`content_split`).
DARK_TOP = (0.15, 0.45)
#: Upper teeth shown in the middle down to this share of the gap are one row with the
#: columns beside them: none parts more than the second value above them (:func:`_one_row`).
ONE_ROW = (0.5, 0.2)
#: A content shown between the lips stretches to at most this times its height
#: in the portrait where a lip draws back from it (revealing more of the teeth).
STRETCH = 1.6
#: The lower teeth move by this share of the chin's expression displacement
#: (the jaw turns about its hinge, and the teeth sit nearer to it than the chin).
JAW_TEETH = 0.75
#: A lip that covers its content has its inner edge taken from inside the lip:
#: the inner-lip landmarks often lie a few pixels inside the teeth, whose white
#: would otherwise line the closed lips. How far is measured per portrait
#: (:func:`lip_edges`), up to this reach (inter-ocular distances), plus this margin.
EDGE_REACH = 0.05
EDGE_MARGIN = 0.006
#: Lips nearer than the first value (inter-ocular distances) have met, and show
#: their inner edges as a lip that covers its content does; apart beyond the second.
SHUT = (0.010, 0.016)



def met(gap: np.ndarray, own: np.ndarray, ease: bool = False,
        shut: tuple[float, float] = SHUT) -> np.ndarray:
    """0..1, how far lips ``gap`` apart (inter-ocular distances, any shape) have met:
    1 under ``shut``'s first value, 0 beyond its second (linearly, or on a
    smoothstep with ``ease``), and only where the gap has shrunk from the
    portrait's own there (``own``, same shape; fully at half of it), since the
    corners of parted lips meet in the portrait too."""
    t = np.clip((gap - shut[0]) / (shut[1] - shut[0]), 0.0, 1.0)
    closed = 1.0 - (t * t * (3.0 - 2.0 * t) if ease else t)
    return closed * np.clip(2.0 * (1.0 - gap / np.maximum(own, 1e-6)), 0.0, 1.0)


_UP = topo.LIPS_INNER_UPPER[1:-1]
_LO = topo.LIPS_INNER_LOWER[1:-1]
#: Columns of the mouth rows.
COLUMNS = len(_UP)


def mouth_normal(xy: np.ndarray) -> np.ndarray:
    """``(2,)`` unit vector across the mouth, pointing down the face.

    Args:
        xy: ``(468+, 2)`` landmark positions, pixels.
    """
    axis = xy[topo.LIPS_INNER_UPPER[-1]] - xy[topo.LIPS_INNER_UPPER[0]]
    axis = axis / max(float(np.linalg.norm(axis)), 1e-9)
    normal = np.array([-axis[1], axis[0]])
    if normal @ (xy[topo.CHIN] - xy[topo.NOSE_TIP]) < 0:
        normal = -normal
    return normal


@cache
def _lip_body() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The landmarks between the inner and the outer lip contours, and how each
    follows them: ``(idx (M,) int, w_inner (M, 22), w_outer (M, 22))`` where a
    point's displacement is ``w_inner @ d_inner + w_outer @ d_outer`` over the
    upper then lower contour's 11 points (weights from MediaPipe's canonical
    face: linear along the mouth, and across the lip by the point's depth
    between the two contours)."""
    import cv2

    from engine.face.mesh import CANONICAL

    c = CANONICAL[:, :2].astype(np.float64)
    outer = c[topo.LIPS_OUTER].astype(np.float32)
    inner = c[topo.LIPS_INNER].astype(np.float32)
    on_contour = set(topo.LIPS_OUTER.tolist()) | set(topo.LIPS_INNER.tolist())
    idx = [i for i in range(468) if i not in on_contour
           and cv2.pointPolygonTest(outer, (float(c[i, 0]), float(c[i, 1])), True) > -1e-4
           and cv2.pointPolygonTest(inner, (float(c[i, 0]), float(c[i, 1])), True) < -1e-4]
    n = len(idx)
    w_in, w_out = np.zeros((n, 22)), np.zeros((n, 22))
    for r, i in enumerate(idx):
        x, y = c[i]
        ux, lx = c[topo.LIPS_INNER_UPPER, 0], c[topo.LIPS_INNER_LOWER, 0]
        y_up = np.interp(x, ux, c[topo.LIPS_INNER_UPPER, 1])
        y_lo = np.interp(x, lx, c[topo.LIPS_INNER_LOWER, 1])
        side = 0 if y < 0.5 * (y_up + y_lo) else 1
        inn = topo.LIPS_INNER_UPPER if side == 0 else topo.LIPS_INNER_LOWER
        out = topo.LIPS_OUTER_UPPER if side == 0 else topo.LIPS_OUTER_LOWER
        y_in = np.interp(x, c[inn, 0], c[inn, 1])
        y_out = np.interp(x, c[out, 0], c[out, 1])
        f = float(np.clip((y - y_in) / (y_out - y_in) if abs(y_out - y_in) > 1e-9 else 0.0, 0, 1))
        for contour, w, frac in ((inn, w_in, 1.0 - f), (out, w_out, f)):
            xs = c[contour, 0]
            j = int(np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2))
            t = float(np.clip((x - xs[j]) / max(xs[j + 1] - xs[j], 1e-9), 0.0, 1.0))
            w[r, 11 * side + j] += frac * (1.0 - t)
            w[r, 11 * side + j + 1] += frac * t
    return np.array(idx, dtype=np.int32), w_in, w_out


def spread_lips(src_xy: np.ndarray, xy: np.ndarray) -> None:
    """Move the points inside each lip with its two contours, in place.

    A lip whose inner edge travels further than its outer edge (closing over
    teeth) then stretches evenly across its whole height, instead of one
    thin row of pixels next to the inner edge being drawn out into streaks.

    Args:
        src_xy: ``(468, 2)`` the portrait's landmarks, pixels.
        xy: ``(468+, 2)`` the frame's landmarks (or mesh vertices), changed in place.
    """
    idx, w_in, w_out = _lip_body()
    inner = np.concatenate([topo.LIPS_INNER_UPPER, topo.LIPS_INNER_LOWER])
    outer = np.concatenate([topo.LIPS_OUTER_UPPER, topo.LIPS_OUTER_LOWER])
    d_in = xy[inner] - src_xy[inner]
    d_out = xy[outer] - src_xy[outer]
    xy[idx] = src_xy[idx] + w_in @ d_in + w_out @ d_out


def _column_profiles(rgb: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """``(t (33,), lum (9, 33), green (9, 33)) float32``: the luma and the green over
    red along each inner-lip column, from the upper inner lip (``t`` 0) to the lower
    one (1), lightly smoothed across.

    Args:
        rgb: ``(H, W, 3) uint8`` the portrait.
        xy: ``(468, 2)`` its landmarks, pixels.
    """
    import cv2

    u, lo = xy[_UP].astype(np.float64), xy[_LO].astype(np.float64)
    t = np.linspace(0.0, 1.0, 33)
    pts = u[:, None, :] + t[None, :, None] * (lo - u)[:, None, :]
    prof = cv2.remap(np.ascontiguousarray(rgb[..., :3]), pts[..., 0].astype(np.float32),
                     pts[..., 1].astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    smooth = np.asarray(cv2.GaussianBlur(prof, (3, 1), 0), np.float32)
    return t, smooth @ LUMA, smooth[..., 1] / np.maximum(smooth[..., 0], 1.0)


def _along_mouth_median(v: np.ndarray) -> np.ndarray:
    """A column or two may miss an edge: each follows the median of its neighbours."""
    padded = np.pad(v, 1, mode="edge")
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


def content_split(rgb: np.ndarray, xy: np.ndarray, skin_rgb: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(split (9,), teeth_end (9,)) float64`` per column, as shares of the way from
    the upper inner lip to the lower one: where the head's content ends and the
    jaw's begins, and where the upper teeth themselves end.

    The split is the darkest point below the upper third (the line between the upper
    and the lower teeth, or the shadow under the upper teeth); where nothing there
    is darker than :data:`EDGE_DIP` of the teeth, the upper teeth reach the lower
    lip (a smile that shows no lower teeth) and the split is at the lower lip. The
    upper teeth end after the last point above the split that is as bright as teeth
    and no redder than the skin (a shadow across the teeth under the lip does not
    end them, and a tongue, redder than the skin, is not teeth; teeth take on a warm
    light's colour as the skin does), and at the upper lip where none is. Between
    their end and the split lies the dark of the open mouth, which the lower content
    covers as the jaw rises (:func:`mouth_rows`); where something bright but not
    teeth (a tongue) lies between that dark and the split, it is the jaw's: the
    split moves up to where the dark ends (a mouth wide open over its tongue, whose
    darkest line is the one between the tongue and the lower teeth); and where no dark
    follows the teeth at all, only something bright and redder (the lower lip's edge,
    gums, a tongue), the split is at the teeth's end, not the lower lip: a mouth opening
    wider parts the two there, as the portrait's other columns do. But teeth that begin
    under a dark band from the upper lip (:data:`DARK_TOP`) and reach the lower lip are
    the lower ones, under a lip that hides the upper teeth: the split is at their top and
    no upper teeth show (CREMA-D 1001 NEU frame 32, 0.28-0.34 across; read as upper teeth
    ending at 0.72 before, they stayed under the upper lip as the jaw dropped, where his
    video shows the dark). The upper teeth are one row (:func:`_one_row`); both smoothed.

    Args:
        rgb: ``(H, W, 3) uint8`` the portrait.
        xy: ``(468, 2)`` its landmarks, pixels.
        skin_rgb: ``(3,)`` the cheek's colour, 0..255.
    """
    t, lum, green = _column_profiles(rgb, xy)
    skin_green = float(skin_rgb[1]) / max(float(skin_rgb[0]), 1.0) - REDDER
    split = np.empty(COLUMNS)
    end = np.empty(COLUMNS)
    search = t >= 1.0 / 3.0
    for k in range(COLUMNS):
        bright = lum[k] >= EDGE_DIP * float(np.percentile(lum[k], 75))
        j = int(np.argmin(np.where(search, lum[k], np.inf)))
        split[k] = t[j] if not bright[j] else 1.0
        teeth = np.flatnonzero(bright & (green[k] >= skin_green) & (t <= split[k]))
        e = teeth[-1] + 1 if len(teeth) else 0
        end[k] = t[min(e, len(t) - 1)]
        # The first bright point after the dark under the teeth: a tongue above the split.
        after = np.flatnonzero(bright[e:] & (t[e:] < split[k]))
        first = int(np.argmax(bright))
        if (split[k] >= 1.0 and t[first] >= DARK_TOP[0] and float(lum[k][:first].mean())
                < DARK_TOP[1] * float(np.percentile(lum[k], 75))):
            # Dark under the upper lip, then teeth down to the lower lip: the lower teeth.
            split[k], end[k] = t[first], 0.0
        elif len(after) and after[0] > 0:
            split[k] = t[e + after[0]]
        elif split[k] >= 1.0 and len(after) and search[min(e, len(t) - 1)]:
            split[k] = t[e]  # bright but redder than teeth right under them: the jaw's
    _one_row(split, end)
    split = _along_mouth_median(split)
    return split, np.minimum(_along_mouth_median(end), split)


def _one_row(split: np.ndarray, end: np.ndarray) -> None:
    """The upper teeth are one row (:data:`ONE_ROW`): a column beside the middle's teeth
    that would part well above where they end takes the middle's reading, in place. In a
    blurred picture a shadow read as a dark band over lower teeth (GRID s34 lbwh5n frame
    41: 0.34 beside 0.91), and the mouth tore open on a slant."""
    middle = slice(COLUMNS // 2 - 1, COLUMNS // 2 + 2)
    teeth_end = float(np.median(end[middle]))
    if teeth_end < ONE_ROW[0]:
        return
    torn = split < teeth_end - ONE_ROW[1]
    torn[[0, -1]] = False  # the corners' dark is a corridor of its own
    split[torn] = float(np.median(split[middle]))
    end[torn] = teeth_end


def rest_rows(xy: np.ndarray, split: np.ndarray | None = None) -> np.ndarray:
    """``(4 * 9, 2) float64`` the mouth rows of the portrait itself.

    Args:
        xy: ``(468+, 2)`` the portrait's landmarks, pixels.
        split: ``(9,)`` :func:`content_split`, or None for :data:`MOUTH_SPLIT`.
    """
    up = xy[_UP].astype(np.float64)
    lo = xy[_LO].astype(np.float64)
    share = np.full(COLUMNS, MOUTH_SPLIT) if split is None else np.asarray(split)
    mid = up + share[:, None] * (lo - up)
    return np.concatenate([up, mid, mid, lo])


def content_colours(rgb: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """``(2, 3) float32`` the bright (teeth) and the dark colour of what the portrait
    shows between its lips: the median of the brighter half of the pixels inside
    the inner lips, and of the darkest tenth. None for closed lips.

    Args:
        rgb: ``(H, W, 3) uint8`` the portrait.
        xy: ``(468, 2)`` its landmarks, pixels.
    """
    import cv2

    gap = (xy[_LO] - xy[_UP]) @ mouth_normal(xy)
    if gap[3:6].mean() < 2.0:
        return None
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(xy[topo.LIPS_INNER] * 16).astype(np.int32)], 255, cv2.LINE_8, 4)
    inner = rgb[mask > 0].astype(np.float32)
    if len(inner) < 10:
        return None
    lum = inner @ LUMA
    bright = np.median(inner[lum >= np.median(lum)], axis=0)
    dark = np.median(inner[lum <= np.percentile(lum, 10)], axis=0)
    return np.stack([bright, dark]).astype(np.float32)


def lip_edges(rgb: np.ndarray, xy: np.ndarray, iod: float, lip_rgb: np.ndarray,
              content: np.ndarray) -> np.ndarray:
    """``(2, 9) float64`` per lip (upper, lower) and column, how far (pixels) inside
    the lip from its inner-lip landmark the lip's own colour begins.

    Along each column's normal, from :data:`EDGE_REACH` inside the lip towards
    the opening, the first pixel closer in colour to the mouth's content (the
    brighter and the darker colours inside the inner lips) than to the lip
    colour marks the edge.
    Zero where the landmark is on the lip already.

    Args:
        rgb: ``(H, W, 3) uint8`` the portrait.
        xy: ``(468, 2)`` its landmarks, pixels.
        iod: inter-ocular distance, pixels.
        lip_rgb: ``(3,)`` the lips' median colour, 0..255.
        content: ``(2, 3)`` :func:`content_colours`.
    """
    import cv2

    out = np.zeros((2, COLUMNS))
    u, lo = xy[_UP].astype(np.float64), xy[_LO].astype(np.float64)
    n = mouth_normal(xy)
    bright, dark = content[0], content[1]
    lip = np.asarray(lip_rgb, np.float32)
    reach = max(2.0, EDGE_REACH * iod)
    ds = np.arange(0.0, reach + 0.25, 0.5)  # distance into the lip, from the landmark out
    for side, (pts, into) in enumerate(((u, -n), (lo, n))):
        along = pts[:, None, :] + ds[None, :, None] * into
        prof = cv2.remap(rgb, along[..., 0].astype(np.float32), along[..., 1].astype(np.float32),
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        to_content = np.minimum(np.linalg.norm(prof - bright, axis=-1),
                                np.linalg.norm(prof - dark, axis=-1))
        closer = to_content < np.linalg.norm(prof - lip, axis=-1)
        for k in range(COLUMNS):
            lip_px = np.nonzero(~closer[k])[0]
            out[side, k] = ds[lip_px[0]] if len(lip_px) else ds[-1]
    return out


def mouth_rows(
    src_xy: np.ndarray, xy: np.ndarray, head_xy: np.ndarray, iod: float,
    edges: np.ndarray | None = None, split: np.ndarray | None = None,
    teeth_end: np.ndarray | None = None, dark: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Target and source positions of the four mouth rows in one frame.

    Args:
        src_xy: ``(468, 2)`` the portrait's landmarks, pixels.
        xy: ``(468, 2)`` the frame's landmarks, same pixels.
        head_xy: ``(468, 2)`` the portrait's landmarks moved by the frame's
            head pose alone (no expression): where the skull puts each point.
        iod: inter-ocular distance, pixels.
        edges: ``(2, 9)`` the portrait's :func:`lip_edges`, or None (zeros).
        split: ``(9,)`` the portrait's :func:`content_split`, or None.
        teeth_end: ``(9,)`` where its upper teeth end (:func:`content_split`), or
            None (at the split).
        dark: the portrait's parted lips show only the dark of its mouth, no teeth:
            opening past them, the gap takes over the dark above the lower lip too.

    Returns:
        ``(target (36, 2), source (36, 2), lip_source (18, 2))`` float64: the
        rows 0..3 of 9 columns each (equal to :func:`rest_rows` of ``src_xy``
        when nothing moved), and the source positions of the 9 upper then 9
        lower interior inner-lip landmarks. Where a lip has slid over its
        content, its inner edge is taken from inside the lip (``edges`` plus
        :data:`EDGE_MARGIN`, no further than it slid), so the edge that meets
        the other lip is lip, not the teeth's bright rim.
    """
    n = mouth_normal(xy)
    u_s, l_s = src_xy[_UP].astype(np.float64), src_xy[_LO].astype(np.float64)
    u_t, l_t = xy[_UP].astype(np.float64), xy[_LO].astype(np.float64)
    # Scalars along the normal: the lips, the split, and where the bones move.
    us, ls = u_s @ n, l_s @ n
    ut, lt = u_t @ n, l_t @ n
    ms = us + (MOUTH_SPLIT if split is None else split) * (ls - us)
    skull = (head_xy[_UP] - u_s) @ n
    jaw = (head_xy[_LO] - l_s) @ n + JAW_TEETH * float((xy[topo.CHIN] - head_xy[topo.CHIN]) @ n)
    lt = np.maximum(lt, ut)
    # A lower lip that drops further than the jaw pulls the lower teeth's
    # visible edge part of the way with it (the lower teeth tip forward as the
    # mouth opens): the gap follows the lips' opening, not the chin's alone.
    jaw = jaw + LOWER_FOLLOW * np.maximum(lt - ls - jaw, 0.0)
    # Upper content: from the upper lip (or deeper, where the lip came down over
    # it) to the split, which stays with the skull; stretched at most STRETCH.
    up_top = np.maximum(us, ut - skull)
    up_h = np.maximum(ms - up_top, 0.0)
    up_t = ut + np.minimum(np.clip(ms + skull - ut, 0.0, lt - ut), STRETCH * up_h)
    # Lower content likewise, from the split (with the jaw) to the lower lip.
    lo_bot = np.minimum(ls, lt - jaw)
    lo_h = np.maximum(lo_bot - ms, 0.0)
    c_h = np.minimum(np.clip(lt - (ms + jaw), 0.0, lt - ut), STRETCH * lo_h)
    # The upper teeth stand in front of the lower content, but the dark of an open
    # mouth under them (from their end ``ma`` to the split) does not: the tongue
    # and the lower teeth rise into it as the jaw closes, and cover it.
    # Opening past the portrait, the gap between the contents takes that dark over as
    # fast as it opens: a lip leaving teeth it covered shows them, not a stretched shadow
    # (:func:`engine.render.own_teeth.own_interior` lays them from the gap's top).
    ma = ms if teeth_end is None else us + teeth_end * (ls - us)
    lo_top = lt - c_h
    b_t = np.clip(np.minimum(up_t, np.maximum(np.minimum(lo_top, 2.0 * up_t - lo_top),
                                              ma + skull)), ut, lt)
    c_t = np.maximum(lo_top, b_t)
    if dark:
        # Over a dark mouth the lower content is shadow too: opening past the portrait,
        # the gap takes it over as fast as it opens, and the lower teeth rise from the lip.
        c_t = np.maximum(c_t, np.clip(2.0 * lo_top - up_t, ut, np.minimum(ls + jaw, lt)))
    # Sources: the visible share of each content, front to back.
    b_s = up_top + up_h * np.where(up_t > ut, (b_t - ut) / np.maximum(up_t - ut, 1e-9), 0.0)
    frac = np.where(c_h > 1e-9, (lt - c_t) / np.maximum(c_h, 1e-9), 1.0)
    c_s = lo_bot - lo_h * frac

    def on(a: np.ndarray, b: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Points at normal-coordinate ``v`` on the segments ``a``-``b``."""
        da, db = a @ n, b @ n
        t = np.where(db - da > 1e-9, (v - da) / np.maximum(db - da, 1e-9), 0.0)
        return a + t[:, None] * (b - a)

    target = np.concatenate([u_t, on(u_t, l_t, b_t), on(u_t, l_t, c_t), on(u_t, l_t, lt)])
    source = np.concatenate([on(u_s, l_s, up_top), on(u_s, l_s, b_s), on(u_s, l_s, c_s),
                             on(u_s, l_s, lo_bot)])
    inset = (np.zeros((2, COLUMNS)) if edges is None else edges) + EDGE_MARGIN * iod
    slide_up = np.clip(up_top - us, 0.0, inset[0])
    slide_lo = np.clip(ls - lo_bot, 0.0, inset[1])
    if edges is not None:
        # Where parted lips have met, each shows its edge whether or not it slid
        # over its content (the rest pose may close a mouth with one lip alone).
        shut = met((lt - ut) / iod, (ls - us) / iod)
        slide_up = np.maximum(slide_up, shut * inset[0])
        slide_lo = np.maximum(slide_lo, shut * inset[1])
    lips = np.concatenate([u_s - slide_up[:, None] * n, l_s + slide_lo[:, None] * n])
    return target, source, lips
