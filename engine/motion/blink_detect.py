"""Find blinks in tracked landmarks of real video (GRID measurement and model data).

One detector for the two places that measure real blinks: the GRID measurement
behind the blink process's defaults (``tools/measure_grid.py``) and the model's
training data (:mod:`engine.model.dataset`). It was checked by eye against 54
blinks labelled frame by frame on 16 GRID s1 clips and 4 on 6 s4hq clips
(docs/model.md): on 360x288 video the face mesh never shows a fully shut lid
(closure 0.25-0.45 at the bottom of a blink), so an absolute closure threshold
misses most blinks; the detector looks for fast transients above a running median.

The render self-check (:mod:`engine.evaluate`) keeps its own simpler rule: it
only confirms blinks it knows were scheduled.
"""

from __future__ import annotations

import numpy as np

from engine.face import mesh

#: Thresholds on the closure signal (1 - openness / open openness).
RISE = 0.12  # above the 1 s running median
PEAK = 0.22  # absolute closure at the peak
EDGE = 0.03  # extent: above the running median by this much
MAX_RISE_FRAMES = 2  # blinks close within 80 ms; downward glances are slower
#: Two peaks in one run are two blinks when the signal between them falls below
#: this share of the lower peak (blinks 3-6 frames apart otherwise merge).
SPLIT = 0.5


def eye_openness(canon: np.ndarray) -> np.ndarray:
    """``(T, 2) float`` mean lid gap / eye width for the subject's right then left eye.

    ``canon``: ``(T, 468, 2|3)`` landmarks (any similarity frame; pixels or canonical).
    The gap is averaged over the inner lid contour (not one point pair), which
    halves the noise on low-resolution video.
    """
    out = []
    for up, lo in ((mesh.RIGHT_EYE_UPPER, mesh.RIGHT_EYE_LOWER),
                   (mesh.LEFT_EYE_UPPER, mesh.LEFT_EYE_LOWER)):
        gap = np.linalg.norm(canon[:, up[2:-2], :2] - canon[:, lo[2:-2], :2], axis=2).mean(1)
        width = np.linalg.norm(canon[:, up[0], :2] - canon[:, up[-1], :2], axis=1)
        out.append(gap / np.maximum(width, 1e-6))
    return np.stack(out, axis=1)


def closure_signal(canon: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """``(T,) float`` 0 open .. 1 shut, relative to the clip's open eye (90th percentile);
    NaN where ``valid`` is False."""
    ear = eye_openness(np.nan_to_num(canon)).mean(axis=1)
    if valid is not None:
        ear = np.where(valid, ear, np.nan)
    if not np.isfinite(ear).any():
        return np.full(len(ear), np.nan)
    return 1.0 - ear / max(float(np.nanpercentile(ear, 90)), 1e-6)


def running_median(x: np.ndarray, width: int) -> np.ndarray:
    """Centred running median of ``(T,)`` with edge padding."""
    h = max(width // 2, 0)
    xp = np.pad(x, h, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(xp, 2 * h + 1), axis=1)


def _split(e: np.ndarray, a: int, b: int) -> list[tuple[int, int]]:
    """Split the run ``[a, b]`` between peaks separated by a dip below SPLIT x the lower."""
    seg = e[a:b + 1]
    peaks = [i for i in range(len(seg)) if seg[i] > RISE
             and (i == 0 or seg[i] >= seg[i - 1]) and (i == len(seg) - 1 or seg[i] > seg[i + 1])]
    cuts = []
    for p, q in zip(peaks, peaks[1:], strict=False):
        m = p + int(np.argmin(seg[p:q + 1]))
        if seg[m] < SPLIT * min(seg[p], seg[q]):
            cuts.append(m)
    segs, start = [], a
    for m in cuts:
        segs.append((start, a + m))
        start = a + m + 1
    return segs + [(start, b)]


def find_blinks(closure: np.ndarray, fps: float) -> list[dict[str, float]]:
    """Blinks in a closure signal ``(T,)`` (0 open .. 1 closed; NaN = no face).

    A blink is a transient: closure rises at least :data:`RISE` above its 1 s
    running median, reaches :data:`PEAK`, and gets from its start to its peak
    within :data:`MAX_RISE_FRAMES` frames. Its duration is the full width at
    half its (baseline-removed) peak divided by the half-width share of
    :func:`engine.motion.blinks.blink_profile`, so that the engine's profile with
    that duration looks the same. Returns dicts with ``onset``/``end``/``fwhm``/
    ``duration`` (s), ``peak`` (closure), ``rise`` and ``edge`` (1.0 when the run
    touches the clip's start or end).
    """
    from engine.motion.blinks import blink_profile

    prof = blink_profile(np.linspace(0, 1, 2001))
    half_frac = float((prof >= 0.5).mean())
    c = np.nan_to_num(np.asarray(closure, np.float64), nan=0.0)
    n = len(c)
    if n == 0:
        return []
    e = c - running_median(c, int(round(fps)))
    out = []
    i = 0
    while i < n:
        if not (e[i] > RISE and c[i] > PEAK):
            i += 1
            continue
        a = i
        while a > 0 and e[a - 1] > EDGE:
            a -= 1
        b = i
        while b < n - 1 and e[b + 1] > EDGE:
            b += 1
        i = b + 1
        for a2, b2 in _split(e, a, b):
            k = a2 + int(np.argmax(e[a2:b2 + 1]))
            if k - a2 > MAX_RISE_FRAMES or not (e[k] > RISE and c[k] > PEAK):
                continue
            out.append(_event(c, e, a2, b2, k, fps, half_frac))
    return out


def _event(c: np.ndarray, e: np.ndarray, a: int, b: int, k: int, fps: float,
           half_frac: float) -> dict[str, float]:
    n = len(c)
    half = 0.5 * float(e[k])
    lft = k
    while lft > a and e[lft - 1] >= half:
        lft -= 1
    rgt = k
    while rgt < b and e[rgt + 1] >= half:
        rgt += 1
    t0 = lft - ((e[lft] - half) / (e[lft] - e[lft - 1])
                if lft > 0 and e[lft] > e[lft - 1] else 0.5)
    t1 = rgt + ((e[rgt] - half) / (e[rgt] - e[rgt + 1])
                if rgt + 1 < n and e[rgt] > e[rgt + 1] else 0.5)
    fwhm = max(t1 - t0, 0.5) / fps
    return {"onset": a / fps, "end": (b + 1) / fps, "peak": float(c[k]), "rise": float(e[k]),
            "fwhm": fwhm, "duration": fwhm / half_frac, "edge": float(a == 0 or b == n - 1)}
