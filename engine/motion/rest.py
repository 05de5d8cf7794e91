"""The portrait's rest face: relaxed, lips closed, whatever the portrait shows.

A portrait is not a rest pose: a photo or a video still may catch the mouth
open mid-word, the lips parted in a smile, or the teeth showing. Motion is
articulated from the *rest* face, and silence returns to it, so the rest must
have closed lips; otherwise the mouth opens in the pauses and closes when the
voice is loud (the mouth of a mid-word portrait animates backwards).

:func:`rest_offset` finds the smallest plausible articulation that closes the
lips: a displacement in the span of the measured mouth/jaw basis
(``assets/motion/phonetic_shapes.npz``, GRID s1's speech), with a Gaussian
prior on its coefficients, that brings the inner-lip gaps to those of closed
lips while keeping the portrait's own lip thickness and mouth width; what the
basis cannot close is closed by moving the inner-lip points themselves. Lips
that are already closed (or pressed) are left as they are.

:func:`uncrossed_lips` mends the tracker's contours of closed lips drawn crossed
(the upper inner lip below the lower one: 0.02 IOD on the Mona Lisa's closed
smile), which would spend the first 0.02 IOD of every opening uncrossing them.

Everything is in the canonical frame (:mod:`engine.face.align`; inter-ocular
distance 1).
"""

from __future__ import annotations

import functools

import numpy as np

#: Inner-lip landmark pairs (upper, lower) from one mouth corner to the other.
INNER_PAIRS = ((191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402),
               (310, 318), (415, 324))
#: Inner-lip gap (lower y - upper y) of closed lips per pair, inter-ocular distances.
#: Medians over 8720 silent frames of 225 GRID s1 clips (``tools/measure_rest.py``):
#: MediaPipe keeps a sliver between the contours of closed lips.
CLOSED_GAP = np.array([0.0136, 0.0122, 0.0112, 0.0110, 0.0094, 0.0108, 0.0105, 0.0122, 0.0140])
#: Depth (z, lower minus upper lip) between the same pairs there: closed lips meet, where
#: parted ones are 0.03 IOD apart in depth at their widest (the lower lip drawn back).
CLOSED_DEPTH = np.array([-0.0014, -0.0002, -0.0011, -0.0011, -0.0013, -0.0016, -0.0019,
                         -0.0028, -0.0010])
#: Gaps this far above closed still count as closed (no correction below it), IOD.
TOLERANCE = 0.004
#: Weight of the coefficient prior against the gap fit (gaps in IOD, coefficients in
#: units of their spread over the measured phone shapes).
PRIOR_WEIGHT = 1e-3
#: (outer, inner) landmark pairs across the upper and the lower lip: their vertical
#: distance is the lip's thickness.
UPPER_LIP = ((0, 13), (37, 82), (267, 312), (39, 81), (269, 311))
LOWER_LIP = ((17, 14), (84, 87), (314, 317), (181, 178), (405, 402))
#: Mouth corners (right, left).
CORNERS = (61, 291)
#: Weight of keeping the portrait's lip thicknesses and mouth width against closing the
#: gaps (all in IOD). Without it the basis, extrapolated far beyond s1's widest openings
#: (0.15 IOD; a shout opens 0.3), thinned the closed lips to a third of their real
#: thickness and widened the mouth by 0.1 IOD (CREMA-D 1001's widest frames, seen at
#: full size). s1's own widest frames (median opening 0.10 IOD) hardly choose: weights 0
#: to 1 give a median lip distance of 0.0112 to 0.0122 IOD to his real rest (100
#: clips), 2 gives 0.020. ``tools/measure_rest.py`` has the validation speakers' figures.
KEEP_WEIGHT = 1.0
#: The nose's wings (right, left): the mouth's width at rest follows the nose's width.
ALAR = (64, 294)
#: A mouth's width at rest over its nose's (ALAR), GRID s1's rest faces (median over 50
#: clips, ``tools/measure_rest.py``; 1.30-1.41 for the validation speakers).
WIDTH_PER_ALAR = 1.343
#: A rest estimate whose mouth is more than this share wider or narrower than
#: :data:`WIDTH_PER_ALAR` says is taken to the edge of that band: a mouth caught stretched
#: wide (a shout, a broad vowel) does not rest stretched. A tenth, the spread of the ratio
#: between people.
WIDTH_BAND = 0.10
#: Weight of the mouth's width in that second fit (against the gaps and the thickness).
WIDTH_WEIGHT = 10.0
#: The band holds only a mouth caught open past what s1's articulation covers: from none
#: to all of :data:`WIDTH_WEIGHT` as its widest inner-lip gap goes from s1's 99th to past
#: his 99.9th percentile (0.129 and 0.181 IOD over 18 737 frames; his widest 0.216). Within
#: his range the estimate keeps the portrait's width (a smile rests as a smile).
BEYOND_S1 = (0.13, 0.20)
#: Rest widths the nose may ask for (IOD): people's lie within 0.53-0.60 (s1 and the
#: validation speakers); outside twice that spread the band is not applied.
PLAUSIBLE_WIDTH = (0.35, 0.8)


def lip_gaps(canon: np.ndarray, axis: int = 1) -> np.ndarray:
    """``(..., 9) float64``: inner-lip gaps (lower minus upper lip, y; along ``axis``) of
    canonical faces."""
    c = np.asarray(canon, np.float64)
    up = [p[0] for p in INNER_PAIRS]
    lo = [p[1] for p in INNER_PAIRS]
    return c[..., lo, axis] - c[..., up, axis]


def lip_depths(canon: np.ndarray) -> np.ndarray:
    """``(..., 9) float64``: inner-lip depths (lower minus upper lip, z) of canonical faces."""
    return lip_gaps(canon, axis=2)


def lip_shape(canon: np.ndarray) -> np.ndarray:
    """``(..., 11) float64``: the thicknesses of the upper and the lower lip at five
    points each, then the mouth's width, of canonical faces (IOD)."""
    c = np.asarray(canon, np.float64)
    upper = [c[..., i, 1] - c[..., o, 1] for o, i in UPPER_LIP]
    lower = [c[..., o, 1] - c[..., i, 1] for o, i in LOWER_LIP]
    width = c[..., CORNERS[1], 0] - c[..., CORNERS[0], 0]
    return np.stack([*upper, *lower, width], axis=-1)


@functools.lru_cache(maxsize=1)
def _basis() -> tuple[np.ndarray, np.ndarray]:
    """``(basis (K, 468, 3), spread (K,))`` of the mouth/jaw articulation basis."""
    from engine.motion.phonetic import load_shapes

    sh = load_shapes()
    coeffs = np.stack(list(sh.phone_coeffs.values()))
    spread = np.sqrt((coeffs.astype(np.float64) ** 2).mean(0)) + 1e-6
    return np.asarray(sh.basis, np.float64), spread


def uncrossed_lips(canon: np.ndarray) -> np.ndarray:
    """``(468, 3) float32`` canonical displacement that parts inner-lip contours drawn
    closer than closed lips' by more than :data:`TOLERANCE` (crossed, or pressed
    together) to the closed lips' gap, :data:`CLOSED_GAP`, about their middle.

    Closed lips meet along one line; the face tracker draws their inner contours
    :data:`CLOSED_GAP` apart (GRID s1's silent frames), and the speech motion opens
    them from there. Where it draws them crossed, an opening of ``d`` parts the
    rendered lips by ``d`` less the crossing. Moving the portrait's landmarks, not
    its pixels, changes nothing at rest (the warp is the identity there).
    Zero for lips closed as usual or open.
    """
    c = np.asarray(canon, np.float64).reshape(468, 3)
    short = CLOSED_GAP - lip_gaps(c)
    disp = np.zeros((468, 3), np.float32)
    for (u, lo), r in zip(INNER_PAIRS, short, strict=True):
        if r > TOLERANCE:
            disp[u, 1] -= 0.5 * r  # canonical y points down: the upper lip goes up
            disp[lo, 1] += 0.5 * r
    return disp


def rest_depth(rest: np.ndarray) -> np.ndarray:
    """``(468, 3) float32`` canonical displacement that brings the inner lips of a rest face
    (``rest`` ``(468, 3)``, a portrait closed by :func:`rest_offset`) to the depth closed
    lips meet at, :data:`CLOSED_DEPTH`, about their middle.

    The rest closes the lips in the face's plane; a portrait caught open still has its
    lower lip drawn back, and wherever the head is tipped that depth shows in the picture
    as a gap: CREMA-D 1001's happy line from its widest frame rested with its lips
    0.016-0.020 IOD apart in the picture for 0.009-0.011 in the plane, the portrait's
    teeth showing in the slit between them.
    """
    c = np.asarray(rest, np.float64).reshape(468, 3)
    short = lip_depths(c) - CLOSED_DEPTH
    disp = np.zeros((468, 3), np.float32)
    for (u, lo), r in zip(INNER_PAIRS, short, strict=True):
        disp[u, 2] += 0.5 * r
        disp[lo, 2] -= 0.5 * r
    return disp


def rest_offset(canon: np.ndarray, keep_weight: float = KEEP_WEIGHT, nose: bool = True
                ) -> np.ndarray:
    """``(468, 3) float32`` displacement from a portrait's face to its rest (canonical units).

    Args:
        canon: ``(468, 3)`` the portrait's face in the canonical frame.
        keep_weight: :data:`KEEP_WEIGHT`; 0 closes the lips without regard to their
            thickness and the mouth's width (the estimate before 2026-12-03).
        nose: hold a mouth caught wide open to the width its nose says (below); off for
            a drawing or an animal, whose proportions are their own.

    Returns:
        ``rest - canon``: zero when the lips are already closed.

    With the lip-shape term on, a mouth caught open past s1's range (:data:`BEYOND_S1`)
    whose rest is wider or narrower than its nose says (:data:`WIDTH_BAND` about
    :data:`WIDTH_PER_ALAR` times the nose's width) is fitted again with the width held to
    that band's edge (:data:`WIDTH_WEIGHT`): s1's articulation extrapolated far past his
    widest openings widens the mouth it closes, and a portrait caught with its mouth
    stretched (GRID s34's widest frame 0.12 IOD wider than her rest) would rest stretched.
    """
    c = np.asarray(canon, np.float64).reshape(468, 3)
    gaps = lip_gaps(c)
    excess = gaps - CLOSED_GAP
    if not np.any(excess > TOLERANCE):
        return np.zeros((468, 3), np.float32)
    target = np.minimum(gaps, CLOSED_GAP)  # close what is open; never open pressed lips
    disp = _closing(c, gaps, target, keep_weight)
    t = min(max((float(gaps.max()) - BEYOND_S1[0]) / (BEYOND_S1[1] - BEYOND_S1[0]), 0.0), 1.0)
    if nose and keep_weight > 0 and t > 0:
        width = float(lip_shape(c + disp)[-1])
        prior = WIDTH_PER_ALAR * nose_width(c)
        held = min(max(width, prior * (1.0 - WIDTH_BAND)), prior * (1.0 + WIDTH_BAND))
        # a nose far from any person's (a drawing's, an animal's) says nothing of the mouth
        if held != width and PLAUSIBLE_WIDTH[0] <= prior <= PLAUSIBLE_WIDTH[1]:
            disp = _closing(c, gaps, target, keep_weight,
                            (WIDTH_WEIGHT * t * t * (3.0 - 2.0 * t),
                             held - float(lip_shape(c)[-1])))
    # what the basis leaves open: move the inner-lip contours towards each other
    left = lip_gaps(c + disp) - target
    for (u, lo), r in zip(INNER_PAIRS, left, strict=True):
        if r > 0:
            disp[u, 1] += 0.5 * r
            disp[lo, 1] -= 0.5 * r
    return disp.astype(np.float32)


def nose_width(canon: np.ndarray) -> float:
    """The nose's width across its wings (:data:`ALAR`) of a face ``(468, 3)``, canonical
    units (IOD)."""
    return abs(float(canon[ALAR[1], 0] - canon[ALAR[0], 0]))


def _closing(c: np.ndarray, gaps: np.ndarray, target: np.ndarray, keep_weight: float,
             width: tuple[float, float] | None = None) -> np.ndarray:
    """``(468, 3) float64``: the articulation in the basis's span that brings the inner-lip
    ``gaps (9,)`` to ``target`` while keeping the lips' thickness and the mouth's width
    (``keep_weight``); ``width`` ``(weight, change)`` asks for that change of the mouth's
    width (IOD) instead, at that weight."""
    basis, spread = _basis()
    # Both are linear in the face: their change per unit coefficient, (K, 9) and (K, 11).
    a, want = lip_gaps(basis), target - gaps
    if keep_weight > 0:
        w = np.full(11, keep_weight)
        keep = np.zeros(11)
        if width is not None:
            w[-1], keep[-1] = width[0], width[1]
        a = np.concatenate([a, w * lip_shape(basis)], axis=1)
        want = np.concatenate([want, w * keep])
    # least squares: min |a.T c - want|^2 + PRIOR_WEIGHT |c / spread|^2
    lhs = a @ a.T + PRIOR_WEIGHT * np.diag(1.0 / spread ** 2)
    coef = np.linalg.solve(lhs, a @ want)
    return np.tensordot(coef, basis, axes=1)
