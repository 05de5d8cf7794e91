"""How close a rendered mouth is to a real one: patches, SSIM, colour difference.

Used by ``tools/mouth_eval.py`` (every validation clip) and by the tests (a
few clips). Numpy and OpenCV only.

- :func:`mouth_patch` (and :func:`eye_patch`): the mouth (eyes) region of a
  frame, rotated so that the eye line is level and scaled by the inter-ocular
  distance (IOD), so that a rendered frame, the real video frame and the still
  portrait are compared on the same face-relative grid whatever the head does.
- :func:`ssim`: the structural similarity of two grey patches (Wang et al.
  2004: Gaussian window, sigma 1.5, K1 0.01, K2 0.03, data range 255).
- :func:`inner_mouth_lab` and :func:`delta_e2000`: the mean colour inside
  the inner lips in CIELAB (D65, sRGB) and the CIEDE2000 difference of two
  such colours (Sharma, Wu and Dalal 2005);
  :func:`inner_mouth_contrast`: the spread of lightness inside the inner lips;
  :func:`inner_mouth_detail`: its fine detail (how sharp the teeth are);
  :func:`inside_flicker`: how steadily it changes from frame to frame.
- :func:`oracle_motion`: a :class:`MotionTrack` that replays a real video's
  tracked landmarks on a portrait of its first frame: rendering quality
  without the motion model's errors.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from engine.motion.track import MotionTrack
from engine.render import topology as topo

#: Mouth patch: centre below the eye midpoint (IODs), width and height (IODs),
#: and pixels per IOD of the patch.
PATCH_CENTRE = 1.05
PATCH_W, PATCH_H = 1.1, 0.75
PATCH_PX = 96
#: Eye patch: the same for both eyes (the eye corners are 0.5 IOD either side of
#: the midpoint; a little more takes in the outer corners and the lashes).
EYE_PATCH_CENTRE = 0.0
EYE_PATCH_W, EYE_PATCH_H = 1.7, 0.4


def _patch_transform(landmarks: np.ndarray, down: float, width: float,
                     height: float) -> tuple[np.ndarray, tuple[int, int], float]:
    """``(m (2, 3) float64, (w, h), scale)``: the affine map from a frame's pixels to a
    face patch's (:func:`face_patch`), the patch's size and its scale."""
    r, l_ = landmarks[topo.EYE_OUTER[0], :2], landmarks[topo.EYE_OUTER[1], :2]
    d = (l_ - r).astype(np.float64)
    iod = float(np.hypot(*d))
    ang = np.degrees(np.arctan2(d[1], d[0]))
    normal = np.array([-d[1], d[0]]) / iod
    centre = 0.5 * (r + l_) + down * iod * normal
    scale = PATCH_PX / iod
    w, h = int(round(width * PATCH_PX)), int(round(height * PATCH_PX))
    m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(ang), scale)
    m[:, 2] += np.array([w / 2.0, h / 2.0]) - centre
    return m, (w, h), scale


def face_patch(rgb: np.ndarray, landmarks: np.ndarray, down: float, width: float,
               height: float) -> np.ndarray:
    """``(round(height x PATCH_PX), round(width x PATCH_PX)) uint8`` grey patch of a face,
    eye line level, IOD = :data:`PATCH_PX` pixels.

    Args:
        rgb: ``(H, W, 3) uint8`` a frame.
        landmarks: ``(468, 2+)`` its face's landmarks, pixels.
        down: the patch's centre below the eye midpoint, IODs.
        width, height: the patch's size, IODs.
    """
    return _warp_grey(rgb, *_patch_transform(landmarks, down, width, height))


def _warp_grey(rgb: np.ndarray, m: np.ndarray, size: tuple[int, int], scale: float
               ) -> np.ndarray:
    """``rgb``'s grey levels carried by the affine map ``m`` into a ``size`` patch."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(grey, m, size, flags=interp, borderMode=cv2.BORDER_REPLICATE)


def mouth_patch(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """``(72, 106) uint8`` grey mouth patch (:func:`face_patch`)."""
    return face_patch(rgb, landmarks, PATCH_CENTRE, PATCH_W, PATCH_H)


def mouth_patch_inside(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(patch (72, 106) uint8, inside (72, 106) bool)``: the mouth patch
    (:func:`mouth_patch`) and which of its pixels lie inside the inner lips."""
    m, (w, h), scale = _patch_transform(landmarks, PATCH_CENTRE, PATCH_W, PATCH_H)
    poly = landmarks[topo.LIPS_INNER, :2].astype(np.float64) @ m[:, :2].T + m[:, 2]
    inside = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inside, [np.round(poly * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    return _warp_grey(rgb, m, (w, h), scale), inside.astype(bool)


def inside_flicker(patches: list[np.ndarray], insides: list[np.ndarray],
                   min_pixels: int = 20) -> tuple[float, float] | None:
    """How much the inside of the mouth changes from frame to frame beyond a steady
    motion: over consecutive frames ``t - 1, t, t + 1`` of mouth patches
    (:func:`mouth_patch_inside`), the mean absolute second difference in time of the grey
    levels (0..255) over the pixels inside the inner lips in all three; ``(mean, max)``
    over the frames where those are at least ``min_pixels``, or None where none is. A
    mouth drawn steadily (teeth that move with the head, an inside that changes with the
    opening) reads low; teeth that pop, shimmer or swap between frames read high. Real
    video reads above zero even when nothing moves (the camera's noise)."""
    per_frame = []
    for t in range(1, len(patches) - 1):
        both = insides[t - 1] & insides[t] & insides[t + 1]
        if int(both.sum()) < min_pixels:
            continue
        a, b, c = (patches[k].astype(np.float64) for k in (t - 1, t, t + 1))
        per_frame.append(float(np.abs(c - 2.0 * b + a)[both].mean()))
    return (float(np.mean(per_frame)), float(np.max(per_frame))) if per_frame else None


def eye_patch(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """``(38, 163) uint8`` grey patch of both eyes, lids and lashes (:func:`face_patch`)."""
    return face_patch(rgb, landmarks, EYE_PATCH_CENTRE, EYE_PATCH_W, EYE_PATCH_H)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two equal-size grey ``uint8`` images (data range 255)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(v: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(v, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s[5:-5, 5:-5].mean())


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """``(..., 3)`` sRGB 0..255 -> CIELAB (D65)."""
    c = np.asarray(rgb, np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], -1)


def _inner_mouth_pixels(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """``(n, 3) float64`` sRGB pixels inside the inner lips, or None below 4 pixels."""
    mask = np.zeros(rgb.shape[:2], np.uint8)
    pts = np.round(landmarks[topo.LIPS_INNER, :2] * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, cv2.LINE_8, 4)
    px = rgb[..., :3][mask > 0]
    return px.astype(np.float64) if len(px) >= 4 else None


def inner_mouth_lab(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """``(3,)`` CIELAB of the mean sRGB colour inside the inner lips, or None when
    the lips are closed (fewer than 4 pixels between them)."""
    px = _inner_mouth_pixels(rgb, landmarks)
    return None if px is None else _srgb_to_lab(px.mean(axis=0))


def inner_mouth_contrast(rgb: np.ndarray, landmarks: np.ndarray) -> float | None:
    """Standard deviation of CIELAB L* over the pixels inside the inner lips (how far
    the teeth stand out from the dark behind them), or None when the lips are closed.
    A flat band of one colour has the right mean and no contrast."""
    px = _inner_mouth_pixels(rgb, landmarks)
    return None if px is None else float(_srgb_to_lab(px)[:, 0].std())


def inner_mouth_dark(rgb: np.ndarray, landmarks: np.ndarray, share: float = 0.1
                     ) -> float | None:
    """CIELAB L* of the darkest ``share`` of the inside of the mouth (its percentile, one
    pixel in from the inner lips so that their edge does not count): how dark the hole
    behind the teeth reads. A cavity lit like a band of brown paint reads far above a
    real one's. None under 30 pixels."""
    found = _inner_box(rgb, landmarks, 1)
    if found is None:
        return None
    grey, inside, origin = found
    x0, y0 = (int(v) for v in origin)
    h, w = grey.shape
    px = rgb[y0:y0 + h, x0:x0 + w, :3][inside]
    return float(np.percentile(_srgb_to_lab(px.astype(np.float64))[:, 0], 100.0 * share))


def inner_mouth_box(rgb: np.ndarray, landmarks: np.ndarray,
                    inset: int = 1) -> tuple[np.ndarray, np.ndarray] | None:
    """The box of the inside of the mouth, with room around it for a filter's kernel
    (the same values there as the whole frame's): ``(grey (h, w) uint8, inside (h, w)
    bool)``, ``inside`` the pixels within the inner lips ``inset`` pixels in from them, so
    that the lips' own edge does not count. None under 30 such pixels."""
    found = _inner_box(rgb, landmarks, inset)
    return None if found is None else found[:2]


def _inner_box(rgb: np.ndarray, landmarks: np.ndarray,
               inset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`inner_mouth_box` and the box's corner ``(x0, y0)`` in the frame, pixels."""
    pts = np.round(landmarks[topo.LIPS_INNER, :2]).astype(np.int32)
    h, w = rgb.shape[:2]
    x0, y0 = (max(int(v) - 8, 0) for v in pts.min(axis=0))
    x1, y1 = min(int(pts[:, 0].max()) + 9, w), min(int(pts[:, 1].max()) + 9, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [pts - (x0, y0)], 1)
    k = 2 * int(inset) + 1
    inside = cv2.erode(mask, np.ones((k, k), np.uint8)).astype(bool)
    if int(inside.sum()) < 30:
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3]), cv2.COLOR_RGB2GRAY)
    return grey, inside, np.array([x0, y0], np.float64)


def _inside_across(rgb: np.ndarray, landmarks: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """``(side, luma)`` ``(n,) float64`` of the pixels inside the inner lips (one pixel
    in): ``side`` is ``|2u - 1|``, ``u`` running 0..1 from one inner corner to the other,
    and ``luma`` their grey level, 0..255. None for a mouth under a pixel wide."""
    found = _inner_box(rgb, landmarks, 1)
    if found is None:
        return None
    grey, inside, origin = found
    upper = landmarks[topo.LIPS_INNER_UPPER, :2].astype(np.float64) - origin
    span = upper[-1] - upper[0]
    length = float(np.linalg.norm(span))
    if length < 1.0:
        return None
    yy, xx = np.nonzero(inside)
    side = np.abs(2.0 * ((np.stack([xx, yy], axis=1) - upper[0]) @ span) / length**2 - 1.0)
    return side, grey[yy, xx].astype(np.float64)


def inner_mouth_corners(rgb: np.ndarray, landmarks: np.ndarray,
                        beyond: float = 0.7) -> float | None:
    """How dark the inside of the mouth is towards its corners: the mean luma inside the
    inner lips (one pixel in) where ``|2u - 1| > beyond``, ``u`` running 0..1 from one
    inner corner to the other, over the mean luma of its middle third (``|2u - 1| < 1/3``).
    Real open mouths read about half (the teeth turn away into the cheeks' shadow); a
    lit rim running round the inside reads higher. Beyond 0.85, where the lips meet, real
    mouths still read 0.4 to 0.5; a black wedge in each corner reads about 0.2. None
    under 5 pixels in either part."""
    found = _inside_across(rgb, landmarks)
    if found is None:
        return None
    side, y = found
    corners, middle = y[side > beyond], y[side < 1.0 / 3.0]
    if len(corners) < 5 or len(middle) < 5:
        return None
    return float(corners.mean() / max(middle.mean(), 1e-6))


def inner_mouth_profile(rgb: np.ndarray, landmarks: np.ndarray,
                        edges: tuple[float, ...]) -> np.ndarray | None:
    """``(len(edges) - 1,) float64``: the mean luma inside the inner lips (one pixel in) in
    each band of ``|2u - 1|`` between consecutive ``edges`` (``u`` 0..1 from one inner
    corner to the other), over the mean luma of its middle third (``|2u - 1| < 1/3``); NaN
    for a band under 3 pixels. None under 3 pixels in the middle third."""
    found = _inside_across(rgb, landmarks)
    if found is None:
        return None
    side, y = found
    middle = y[side < 1.0 / 3.0]
    if len(middle) < 3:
        return None
    light = max(float(middle.mean()), 1e-6)
    out = np.full(len(edges) - 1, np.nan)
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        band = y[(side >= a) & (side < b)]
        if len(band) >= 3:
            out[i] = float(band.mean()) / light
    return out


#: The bands of ``|2u - 1|`` that :func:`corner_band` reads: before, on and past the
#: place where the teeth end and the lips meet.
CORNER_BANDS = (0.7, 0.8, 0.9, 1.0)


def corner_band(rgb: np.ndarray, landmarks: np.ndarray) -> float | None:
    """How much darker the inside of the mouth is between ``|2u - 1|`` 0.8 and 0.9 (``u``
    0..1 corner to corner, :data:`CORNER_BANDS`) than on either side of it, over the
    mean luma of its middle third (:func:`inner_mouth_profile`): the mean of the bands
    0.7-0.8 and 0.9-1.0 less the band 0.8-0.9. Real open mouths darken evenly into their
    corners and read about 0.01-0.06; a black band where the teeth end before the lips
    meet reads over 0.2. None under 3 pixels in a band or in the middle third."""
    found = inner_mouth_profile(rgb, landmarks, CORNER_BANDS)
    if found is None or bool(np.isnan(found).any()):
        return None
    before, on, past = (float(v) for v in found)
    return 0.5 * (before + past) - on


def inner_mouth_detail(rgb: np.ndarray, landmarks: np.ndarray) -> float | None:
    """Mean absolute high-pass of the luma (grey levels, 0..255: the luma minus its
    Gaussian blur of sigma 1 pixel) inside the inner lips, one pixel in from them so that
    the lips' own edge does not count: how sharp the teeth and the gaps between them
    are at the frame's own resolution. None under 30 pixels."""
    found = inner_mouth_box(rgb, landmarks)
    if found is None:
        return None
    grey, inside = found
    y = grey.astype(np.float32)
    return float(np.abs(y - cv2.GaussianBlur(y, (0, 0), 1.0))[inside].mean())


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference of two CIELAB colours (kL = kC = kH = 1)."""
    l1, a1, b1 = (float(v) for v in lab1)
    l2, a2, b2 = (float(v) for v in lab2)
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    cm = 0.5 * (c1 + c2)
    g = 0.5 * (1 - np.sqrt(cm**7 / (cm**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lm, cmp_ = 0.5 * (l1 + l2), 0.5 * (c1p + c2p)
    if c1p * c2p == 0:
        hm = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hm = 0.5 * (h1p + h2p)
    else:
        hm = 0.5 * (h1p + h2p + (360 if h1p + h2p < 360 else -360))
    t = (1 - 0.17 * np.cos(np.radians(hm - 30)) + 0.24 * np.cos(np.radians(2 * hm))
         + 0.32 * np.cos(np.radians(3 * hm + 6)) - 0.20 * np.cos(np.radians(4 * hm - 63)))
    d_theta = 30 * np.exp(-(((hm - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cmp_**7 / (cmp_**7 + 25.0**7))
    sl = 1 + 0.015 * (lm - 50) ** 2 / np.sqrt(20 + (lm - 50) ** 2)
    sc = 1 + 0.045 * cmp_
    sh = 1 + 0.015 * cmp_ * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return float(np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2
                         + rt * (dc / sc) * (dhh / sh)))


def oracle_motion(video_landmarks: np.ndarray, fps: float, portrait: int = 0) -> MotionTrack:
    """Replay a video's tracked face on a portrait of one of its frames.

    Each frame's expression is its canonical landmarks minus the portrait
    frame's; the head pose is left at rest (the patches are aligned on the eye
    line, so the comparison does not depend on it) and the lids move with the
    landmarks (the eyelid track stays open).

    Args:
        video_landmarks: ``(T, 468, 3)`` the video's tracked landmarks, pixels.
        fps: the video's frame rate.
        portrait: the index of the frame that is the portrait (the first by default).
    """
    from engine.face.align import to_canonical

    base, _ = to_canonical(np.asarray(video_landmarks[portrait], np.float32))
    t_n = video_landmarks.shape[0]
    basis = np.empty((t_n, 468, 3), np.float32)
    for i in range(t_n):
        canon, _ = to_canonical(np.asarray(video_landmarks[i], np.float32))
        basis[i] = canon - base
    opening = np.linalg.norm(basis[:, 14] - basis[:, 13], axis=1)
    return MotionTrack(float(fps), basis, np.eye(t_n, dtype=np.float32),
                       np.zeros((t_n, 6), np.float32), np.zeros((t_n, 2), np.float32),
                       opening.astype(np.float32))
