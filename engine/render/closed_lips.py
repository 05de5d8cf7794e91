"""Where parted lips have closed: the crease where they meet, and no teeth on their rims.

A portrait caught with parted lips is closed at rest (:mod:`engine.motion.rest`) by
moving its lips together (:mod:`engine.render.lips`). Two things of the open mouth
would still show where they meet:

- between the two inner-lip contours, a band a pixel or two wide, where the portrait's
  teeth or the dark under its lips, squeezed to that band, show as a dotted line:
  :func:`seal` draws the crease there, in the lips' shade;
- on the lips themselves, where the face tracker's inner-lip contour lies a few pixels
  inside the lip's real edge (on the teeth, or on the wet rim the teeth light), the
  lip carries that rim with it: a row of light bumps just under the crease (CREMA-D
  1001's smiling and fearful stills at 1024 px). Real closed lips are in each other's
  shade there. Where the lips have (all but) met (:data:`RIM_SHUT`), the pixels within
  :data:`REACH` of the contours on the lips' side (:func:`rims`) that are lighter or
  greener than the lip colour take the lip colour (:func:`hold_to_lip`);
- and the lower lip's inner part, in the shade of the open mouth in the portrait (a
  brown band with the teeth's tips in it, under the crease of GRID s4hq's closed rest
  at 1024 px), carried up with the lip: where the lips have met, it takes the lower
  lip's own colour, read further down the same lip, its texture kept
  (:func:`out_of_shade`).
"""

from __future__ import annotations

import weakref

import numpy as np

from engine.render import topology as topo
from engine.render.colour import LUMA
from engine.render.interior import smoothstep
from engine.render.lips import met, mouth_normal
from engine.render.mouth_band import band, contour_at, gap_profile
from engine.render.rig import PortraitRig

#: The crease where closed lips meet: its strength, its shade of the lip colour
#: and its soft edge beyond the band between the lips (pixels).
SEAL_ALPHA = 0.85
SEAL_SHADE = 0.8
SEAL_SOFT = 0.8
#: Lips nearer than the first value (inter-ocular distances) get the whole crease, which
#: fades out as they part to the second. The tracker draws closed lips' inner contours up
#: to 0.014 apart (``engine.motion.rest.CLOSED_GAP``, GRID s1's silent frames: the rest
#: pose's gap). With :data:`engine.render.lips.SHUT` (0.010 to 0.016) the rest pose's lips
#: got a third to two thirds of the crease, and a smile's teeth squeezed between them
#: showed as a row of dots. Fading out later (0.016 to 0.024) sealed the narrow slits
#: the speech opens as well, where the real mouth shows its teeth: the validation
#: mouths' inner colour moved further from the real one (``tools/mouth_eval.py``, s4hq's
#: median CIEDE2000 4.8 to 5.5).
SEAL_SHUT = (0.014, 0.018)
#: How far from the inner-lip contours, into the lips, a light rim may be carried
#: (inter-ocular distances): the tracker's contour lies up to about this far inside
#: the lip's edge on a smile (1-14 px at 1024 px on CREMA-D 1001's smiling still).
REACH = 0.035
#: Lips nearer than the first value (inter-ocular distances) hold their rims wholly,
#: not beyond the second: wider than the crease's (:data:`SEAL_SHUT`),
#: as the rim shows on lips that have all but met, where the crease is still faint.
RIM_SHUT = (0.016, 0.024)
#: Lighter than the lip colour by this share of its luma is let be (the lip's own
#: texture); beyond it, by this much more, a pixel is wholly the lip's colour.
SLACK = 0.04
OVER = 0.15
#: Teeth in the lips' shade are darker than the lips but a dull olive, never as red:
#: greener than the lip colour (green over red, less the lip's) by the first value is
#: let be, by the second it is wholly the lip's colour.
GREENER = (0.08, 0.16)
#: The rim is the inner part of each lip: all of it up to the first share of the lip's
#: depth from its inner to its outer contour, none beyond the second (the lip's body,
#: and the skin past it, keep their light).
DEPTH = (0.45, 0.7)
#: The lower lip out of the open mouth's shade (:func:`out_of_shade`): its colour is read
#: over this share of its depth (inner to outer contour), its body.
LIP_BODY = (0.55, 0.9)
#: Real closed lips are in each other's shade near the crease: the lower lip's colour,
#: channel by channel over its body's, at these distances under its inner contour
#: (inter-ocular distances; GRID s1, the training speaker: the three most closed frames
#: of 60 clips at 1024 px, medians; s4hq's own 50 clips read within 0.03 of it in red
#: and green, 0.06 in blue). Where
#: a closed lip is darker than that, it is lifted to it; from the last distance on, and
#: beyond :data:`SHADED` of the lip's depth, it is let be.
CREASE_AT = (0.005, 0.015, 0.025, 0.0375, 0.05)
CREASE_SHADE = ((0.767, 0.67, 0.693), (0.835, 0.80, 0.833), (0.897, 0.915, 0.959),
                (0.949, 0.98, 1.0), (1.0, 1.0, 1.0))
SHADED = (0.4, 0.6)
#: Where a closed lip is lifted by this much (luma, 0..255) or more, its pixels' own
#: departures from its shade are kept at this share of their size: the teeth's tips in
#: the shade would otherwise show as a row of light dots once lifted.
LIFT_FULL = 6.0
SHADED_TEXTURE = 0.6


def seal(out: np.ndarray, rig: PortraitRig, xy: np.ndarray, iod: float) -> None:
    """Where parted lips have closed, draw the crease where they meet, in place.

    Closed lips still leave a band a pixel or two wide between their contours
    (the rest pose closes them to 0.009-0.014 IOD, and the two contours bend at
    different places along the mouth), and there the portrait's teeth or the
    dark under its lips, squeezed to that band, show through as a dotted line.
    The lips' inner edges, too, often carry the teeth's bright rim a pixel
    in. Along the columns where the lips have met (:func:`engine.render.lips.met` with
    :data:`SEAL_SHUT`), the band and a soft pixel either side (:data:`SEAL_SOFT`) take
    the lips' shade (:data:`SEAL_SHADE` of their colour), as the shadow between real
    closed lips does. On a portrait that shows its own teeth, the lower lip is first
    brought out of the open mouth's shade (:func:`out_of_shade`) and the lips' rims beside
    the band are cleared of teeth (:func:`rims`, :func:`hold_to_lip`; module docstring).

    Args:
        out: ``(h, w, 3|4) uint8`` the warped frame; only RGB is changed.
        rig: the portrait.
        xy: ``(468, 2)`` the frame's landmarks, ``out``'s pixels.
        iod: inter-ocular distance in ``out``'s pixels.
    """
    # Most frames of speech have the lips apart: decide on the contours first.
    cols, gap_now = gap_profile(xy)
    own = _own_gap(rig)
    if not np.any(met(gap_now / iod, own, shut=SEAL_SHUT) > 0):
        return
    reach = REACH * iod if rig.keep_teeth else 0.0
    if rig.keep_teeth:
        out_of_shade(out, xy, iod, cols, met(gap_now / iod, own, ease=True, shut=RIM_SHUT)
                     * smoothstep(cols, 0.0, 0.04) * smoothstep(1.0 - cols, 0.0, 0.04))
    found = band(out.shape, xy[topo.LIPS_INNER_UPPER].astype(np.float64),
                 xy[topo.LIPS_INNER_LOWER].astype(np.float64), mouth_normal(xy),
                 2 + int(np.ceil(reach)))
    if found is None:
        return
    (x0, y0, x1, y1), u, v, top, bot, _ = found
    gap, own_u = (bot - top) / iod, np.interp(u, cols, own).astype(np.float32)
    closed = met(gap, own_u, ease=True, shut=SEAL_SHUT)
    ends = smoothstep(u, 0.0, 0.04) * smoothstep(1.0 - u, 0.0, 0.04)
    # The band, and a soft pixel either side over the lips' edges.
    out_of_band = np.maximum(np.maximum(top - v, v - bot), 0.0)
    line = np.exp(-0.5 * (out_of_band / np.float32(SEAL_SOFT)) ** 2)
    alpha = (SEAL_ALPHA * closed * ends * line)[..., None]
    if not np.any(alpha > 1e-3):
        return
    shade = SEAL_SHADE * rig.lip_rgb.astype(np.float32)
    patch = out[y0:y1, x0:x1, :3].astype(np.float32)
    if reach > 0.0:
        hidden = met(gap, own_u, ease=True, shut=RIM_SHUT)
        hold_to_lip(patch, hidden * ends * rims(xy, u, v, top, bot, reach), rig.lip_rgb)
    patch += alpha * (shade - patch)
    out[y0:y1, x0:x1, :3] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)


def _own_gap(rig: PortraitRig) -> np.ndarray:
    """``(33,) float64`` the portrait's own inner-lip gap along the mouth
    (:func:`engine.render.mouth_band.gap_profile`), inter-ocular distances; kept per rig."""
    own = _OWN_GAPS.get(rig)
    if own is None:
        own = gap_profile(rig.landmarks[:, :2])[1] / max(rig.iod, 1e-6)
        _OWN_GAPS[rig] = own
    return own


#: :func:`_own_gap` of each live rig.
_OWN_GAPS: weakref.WeakKeyDictionary[PortraitRig, np.ndarray] = weakref.WeakKeyDictionary()


def rims(xy: np.ndarray, u: np.ndarray, v: np.ndarray, top: np.ndarray, bot: np.ndarray,
         reach: float) -> np.ndarray:
    """``(h, w) float32`` 0..1: how much each pixel of a mouth band lies on a lip's inner
    rim. ``xy (468, 2)`` landmarks (pixels); ``u``, ``v``, ``top``, ``bot`` as
    :func:`engine.render.mouth_band.band` gives them; ``reach`` pixels
    (:data:`REACH` inter-ocular distances)."""
    out = np.zeros(u.shape, np.float32)
    for outer, inner, sign in ((topo.LIPS_OUTER_UPPER, top, -1.0),
                               (topo.LIPS_OUTER_LOWER, bot, 1.0)):
        into, depth = _into_lip(xy, outer, inner, sign, u, v)
        share = 1.0 - smoothstep(depth, *DEPTH)
        # on the lip only: the band between the contours is the crease's
        out = np.maximum(out, share * smoothstep(into, 0.0, 1.0)
                         * (1.0 - smoothstep(into, 0.5 * reach, reach)))
    return out.astype(np.float32)


def _into_lip(xy: np.ndarray, outer: np.ndarray, inner: np.ndarray, sign: float,
              u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(into, depth)`` ``(h, w) float32``: how far each pixel of a mouth band lies from a
    lip's inner contour into the lip, pixels, and as a share of the lip's depth there
    (its ``outer`` contour's landmarks, :mod:`engine.render.topology`); ``inner`` is
    :func:`engine.render.mouth_band.band`'s ``top`` (``sign`` -1) or ``bot`` (+1)."""
    upper = xy[topo.LIPS_INNER_UPPER].astype(np.float64)
    edge = contour_at(xy[outer].astype(np.float64), upper, mouth_normal(xy), u)
    into = (sign * (v - inner)).astype(np.float32)
    return into, into / np.maximum(sign * (edge - inner), 1.0).astype(np.float32)


def out_of_shade(out: np.ndarray, xy: np.ndarray, iod: float, cols: np.ndarray,
                 weight: np.ndarray) -> None:
    """Lift the closed lower lip in ``out (h, w, 3|4) uint8`` out of the open mouth's
    shade, in place (RGB only), by ``weight (n,)`` 0..1 given at the mouth's columns
    ``cols (n,)`` (0..1 corner to corner, :func:`engine.render.mouth_band.gap_profile`'s):
    at each distance under the inner contour (:data:`CREASE_AT`), where its mean colour
    along the middle seven tenths of the mouth, where the lips have met (``weight`` over a
    half), is darker than a real closed lip's there (:data:`CREASE_SHADE` of its body's,
    :data:`LIP_BODY`), every pixel at that distance is lifted by the difference, its
    texture kept (:data:`SHADED_TEXTURE`). Only ever lighter. ``xy (468, 2)`` the
    frame's landmarks and ``iod`` the inter-ocular distance, ``out``'s pixels."""
    if not np.any(weight > 0.5):
        return
    upper = xy[topo.LIPS_INNER_UPPER].astype(np.float64)
    normal = mouth_normal(xy)
    # the lower lip's own box: from the upper inner contour to the outer lower one
    found = band(out.shape, upper, xy[topo.LIPS_OUTER_LOWER].astype(np.float64), normal)
    if found is None:
        return
    # (the band's lower contour is the outer one: the lip's depth, as _into_lip reads it)
    (x0, y0, x1, y1), u, v, _, edge, _ = found
    bot = contour_at(xy[topo.LIPS_INNER_LOWER].astype(np.float64), upper, normal,
                     u).astype(np.float32)
    into = v - bot
    depth = into / np.maximum(edge - bot, 1.0)
    met_here = np.interp(u, cols, weight).astype(np.float32)
    w = met_here * (1.0 - smoothstep(depth, *SHADED))
    at = np.asarray(CREASE_AT, np.float32) * np.float32(iod)
    # read where the lips have met: beside a mouth still open, the lip is in its shade
    middle = (u > 0.15) & (u < 0.85) & (met_here > 0.5)
    patch = out[y0:y1, x0:x1, :3].astype(np.float32)
    body = patch[middle & (depth >= LIP_BODY[0]) & (depth <= LIP_BODY[1])]
    if len(body) < 8:
        return
    colour = body.mean(axis=0)
    # the lip's mean colour at each distance (one pass: the rings' sums by bincount)
    near = middle & (into >= 0.0) & (into < at[-1])
    ring = np.searchsorted(0.5 * (at[1:] + at[:-1]), into[near])
    count = np.bincount(ring, minlength=len(at))[:, None]
    sums = np.stack([np.bincount(ring, patch[near][:, c], len(at)) for c in range(3)], 1)
    shade = np.where(count >= 4, sums / np.maximum(count, 1), colour).astype(np.float32)
    lift = np.maximum(np.asarray(CREASE_SHADE, np.float32) * colour - shade, 0.0)
    lift[-1] = 0.0  # the last distance's shade is the body's own
    if not np.any(lift > 0.0):
        return
    on = (w > 1e-3) & (into > 0) & (into < at[-1])
    d, px, wo = into[on], patch[on], w[on]
    # Where lifted, the teeth's tips in the shade stand out less from it.
    flatten = (1.0 - SHADED_TEXTURE) * smoothstep(np.interp(d, at, lift @ LUMA), 0.0,
                                                  LIFT_FULL)
    for c in range(3):
        px[:, c] += wo * (np.interp(d, at, lift[:, c])
                          - flatten * (px[:, c] - np.interp(d, at, shade[:, c])))
    patch[on] = px
    out[y0:y1, x0:x1, :3] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)


def hold_to_lip(patch: np.ndarray, weight: np.ndarray, lip_rgb: np.ndarray) -> None:
    """Turn the pixels of ``patch (h, w, 3) float32`` lighter than the lip colour
    ``lip_rgb (3,)`` (by more than :data:`SLACK` of its luma, wholly by :data:`OVER`
    more) or greener (:data:`GREENER`) into the lip colour, in place, by ``weight
    (h, w)`` 0..1: a light rim of teeth or wet lip is neither lip-coloured nor as light
    as the lip, and only taking its lightness down leaves a grey band."""
    if not np.any(weight > 1e-3):
        return
    lip = np.asarray(lip_rgb, np.float32)
    over = (patch @ LUMA) / max(float(lip @ LUMA), 1.0) - 1.0
    greener = patch[..., 1] / np.maximum(patch[..., 0], 1.0) - float(lip[1] / max(lip[0], 1.0))
    w = weight * np.maximum(smoothstep(over, SLACK, SLACK + OVER), smoothstep(greener, *GREENER))
    patch += w[..., None] * (lip - patch)
