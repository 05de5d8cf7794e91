"""Per-portrait data the renderer computes once: :class:`PortraitRig`."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from engine.errors import NoFaceError
from engine.motion.rest import uncrossed_lips
from engine.render import topology as topo
from engine.render.anchor import rings
from engine.render.draw_order import hidden_first
from engine.render.flat_mouth import FlatPaint, flat_paint_of
from engine.render.gaze import whites
from engine.render.interior import bank
from engine.render.lips import (
    MOUTH_SPLIT,
    content_colours,
    content_split,
    lip_edges,
    mouth_normal,
    rest_rows,
)
from engine.render.mouth_light import light_gain
from engine.render.painted_lids import PAINT_ROUNDNESS, LidPlate, build_plates
from engine.render.samples import (
    edge_blur,
    eyes_shown,
    hue_spread,
    portrait_colours,
    shows_teeth,
)

log = logging.getLogger(__name__)

#: Inner-lip gap (fraction of the inter-ocular distance) above which the
#: portrait's mouth counts as open at rest.
OPEN_AT_REST = 0.04
#: How far below the lower-lid landmarks the visible lid margin is taken to
#: be, as a fraction of the eye's opening.
LOWER_LID_SLACK = 0.25
#: The same above the upper-lid landmarks.
UPPER_LID_SLACK = 0.2
#: How many preview sizes a rig keeps downscaled copies of.
_LEVEL_CACHE = 4


def _face_api() -> tuple[Any, Any, Any]:
    """``(TRIANGLES, to_canonical, from_canonical)`` from ``engine.face``."""
    from engine.face.align import from_canonical, to_canonical
    from engine.face.mesh import TRIANGLES

    return TRIANGLES, to_canonical, from_canonical


@dataclass(frozen=True, eq=False)
class PortraitRig:
    """Everything about one portrait that does not change from frame to frame.

    Build it with :meth:`build`. All arrays are read-only.

    Attributes:
        image: ``(H, W, 3|4) uint8`` the portrait, RGB or RGBA (alpha last).
        has_alpha: whether ``image`` carries an alpha channel.
        landmarks: ``(468, 3) float32`` the face's landmarks, pixels (closed lips'
            inner contours parted where the tracker drew them crossed:
            :func:`engine.motion.rest.uncrossed_lips`).
        neutral: ``(468, 3) float32`` the same face in the canonical frame
            (inter-ocular distance 1).
        similarity: the canonical-to-image similarity from ``engine.face.align``.
        to_pixels: ``(3, 3) float64`` linear part of canonical -> pixels, so a
            canonical displacement ``d`` moves a landmark by ``to_pixels @ d``.
        axes: ``(3, 3) float64`` rows: the face's right (image x), down (image y)
            and depth directions, in canonical coordinates.
        pivot: ``(3,)`` head-pose pivot near the neck, canonical coordinates.
        ring: ``(R, 2) float32`` fixed anchor points, pixels
            (:func:`engine.render.anchor.rings`).
        hair_carried: ``(R,) float32`` 0..1, how much of the head's motion each
            point of the hair's ring takes (:func:`engine.render.anchor.rings`).
        vertices: ``(468 + R + 36 + 14 + R, 2) float64`` the mesh's vertices in the
            portrait, pixels: landmarks, ring, the four rows of 9 points
            filling the mouth opening (:func:`engine.render.lips.rest_rows`),
            then per eye the 7 interior upper-lid points again (the top of the
            eye opening, under the lid: :func:`engine.render.topology.hole_triangles`),
            then the hair's ring.
        lid_slack: ``(2, 2, 7) float64`` per eye, per lid (upper, lower), how
            far (pixels) the mesh's lid vertices sit outside the lid landmarks
            (upper lid up, lower lid down). The landmarks tend to lie a little
            inside the visible lid margins; the slack puts the whole eye
            inside the mesh's eye opening, so a closing lid covers all of it
            and stretches no eye pixels.
        triangles: ``(K, 3) int32`` mesh over ``vertices``: filler bands (face
            to hair, hair to ring)
            first, then face, then the eye and mouth openings.
        box: ``(x0, y0, x1, y1) int`` the influence box (the ring's bounding box
            clipped to the image, end exclusive). Outside it every frame equals
            the portrait byte for byte.
        iod: inter-ocular distance in pixels.
        lip_rgb: ``(3,) float32`` typical lip colour, 0..255.
        skin_rgb: ``(3,) float32`` typical cheek skin colour, 0..255.
        rest_gap: ``(9,) float32`` inner-lip gap at rest along the mouth, in
            inter-ocular distances (upper to lower, interior points).
        open_at_rest: the portrait's mouth is already open.
        keep_teeth: the portrait already shows teeth; they are warped, never painted.
        lip_edge: ``(2, 9) float64`` per lip (upper, lower) and inner-lip
            column, how far (pixels) inside the lip its own colour begins
            (:func:`engine.render.lips.lip_edges`; zeros for closed lips).
        mouth_split: ``(9,) float64`` per inner-lip column, where the content
            between the lips divides into what the head carries (upper teeth)
            and what the jaw carries, as a share of the gap from the upper lip
            (:func:`engine.render.lips.content_split` where the portrait shows
            teeth).
        teeth_end: ``(9,) float64`` likewise, where the upper teeth themselves
            end (at most the split; 0 where none show, and over a dark mouth whose
            parted lips show no teeth): the dark below them is
            covered by the jaw's content as the jaw closes.
        teeth_rgb: ``(3,) float32`` the bright (teeth) colour between the
            portrait's own parted lips (:func:`engine.render.lips.content_colours`),
            0..255; zeros when the lips are closed.
        cavity_rgb: ``(3,) float32`` the dark of the portrait's own open mouth
            (:func:`engine.render.lips.content_colours`), 0..255; zeros when
            its lips are closed.
        whites_rgb: ``(3,) float32`` the whites of the eyes
            (:func:`engine.render.gaze.whites`), 0..255; zeros where unreadable.
        eye_skin_rgb: ``(2, 3) float32`` per eye, the colour a closed human lid
            takes on, 0..255: the mean of the skin under the brow and the cheek
            on the same side.
        eye_roundness: ``(2,) float64`` per eye, the widest rest lid gap over
            the corner distance (:func:`eye_roundness`).
        eyes_shown: per eye, whether it can be seen (not behind dark glasses,
            :func:`engine.render.samples.eyes_shown`); a hidden eye does not blink.
        hue_spread: how far the hues of the face's box spread, degrees
            (:func:`engine.render.samples.hue_spread`): about 0 for a picture in one
            tone (black and white, sepia).
        teeth_gain: ``(3,) float32`` per channel, from GRID s1's light to the
            portrait's (:func:`engine.render.mouth_light.light_gain`), for the teeth
            and cavity laid from his strips; ones without the strips.
        blur: how soft the picture is around the mouth, the sigma of its edges in
            pixels (:func:`engine.render.samples.edge_blur`; about 1 when sharp): the
            teeth laid in its mouth are made as soft as that.
        paint: the skin round the mouth is a drawing's flat paint, and whether its
            lips meet in a drawn line (:func:`engine.render.flat_mouth.flat_paint_of`):
            its mouth opens onto a flat inside; None for a photo or a painting.
        lid_plates: per eye, its closed lid (:mod:`engine.render.painted_lids`):
            a human one (the mesh also slides the lid down over the eye,
            :mod:`engine.render.pose`), or that of a large round eye
            (roundness at least :data:`engine.render.painted_lids.PAINT_ROUNDNESS`).
    """

    image: np.ndarray
    has_alpha: bool
    landmarks: np.ndarray
    neutral: np.ndarray
    similarity: Any
    to_pixels: np.ndarray
    axes: np.ndarray
    pivot: np.ndarray
    ring: np.ndarray
    hair_carried: np.ndarray
    vertices: np.ndarray
    lid_slack: np.ndarray
    triangles: np.ndarray
    box: tuple[int, int, int, int]
    iod: float
    lip_rgb: np.ndarray
    skin_rgb: np.ndarray
    rest_gap: np.ndarray
    open_at_rest: bool
    keep_teeth: bool
    lip_edge: np.ndarray
    mouth_split: np.ndarray
    teeth_end: np.ndarray
    teeth_rgb: np.ndarray
    cavity_rgb: np.ndarray
    whites_rgb: np.ndarray
    eye_skin_rgb: np.ndarray
    eye_roundness: np.ndarray
    lid_plates: tuple[LidPlate, LidPlate]
    hue_spread: float
    eyes_shown: tuple[bool, bool]
    blur: float
    paint: FlatPaint | None
    teeth_gain: np.ndarray
    _levels: OrderedDict[tuple[int, int], np.ndarray] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the portrait in pixels."""
        h, w = self.image.shape[:2]
        return w, h

    @property
    def dark_mouth(self) -> bool:
        """Its parted lips show the dark of its mouth and no teeth: opening past them
        shows the teeth behind both lips (:func:`engine.render.lips.mouth_rows`)."""
        return self.open_at_rest and not self.keep_teeth

    def level(self, width: int, height: int) -> np.ndarray:
        """The portrait resized to ``(height, width)``, cached (a pure memo).

        Returns:
            ``(height, width, 3|4) uint8``, read-only. Downscaling uses area
            averaging, upscaling bilinear interpolation.
        """
        h, w = self.image.shape[:2]
        if (width, height) == (w, h):
            return self.image
        key = (width, height)
        with self._lock:
            cached = self._levels.get(key)
            if cached is not None:
                self._levels.move_to_end(key)
                return cached
        interp = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
        img = cv2.resize(self.image, (width, height), interpolation=interp)
        img.setflags(write=False)
        with self._lock:
            self._levels[key] = img
            while len(self._levels) > _LEVEL_CACHE:
                self._levels.popitem(last=False)
        return img

    @classmethod
    def build(cls, rgb: np.ndarray, alpha: np.ndarray | None, landmarks: np.ndarray) -> PortraitRig:
        """Rig a portrait for rendering.

        Args:
            rgb: ``(H, W, 3) uint8`` the portrait.
            alpha: ``(H, W) uint8`` its alpha channel, or None.
            landmarks: ``(468, 3) float32`` the face's landmarks in pixels
                (x, y, and z in the same pixel scale).

        Raises:
            NoFaceError: the landmarks are not a usable face (wrong shape, not
                finite, or degenerate).
        """
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[:2]
        lm = np.asarray(landmarks, dtype=np.float32)
        if lm.shape != (468, 3) or not np.all(np.isfinite(lm)):
            raise NoFaceError("The face landmarks are unusable. Place the face again.")
        iod = float(np.linalg.norm(lm[topo.EYE_OUTER[1], :2] - lm[topo.EYE_OUTER[0], :2]))
        if iod < 4.0:
            raise NoFaceError("The face is too small to animate. Use a larger portrait.")

        if alpha is not None:
            a = np.asarray(alpha, dtype=np.uint8)
            if a.shape != (h, w):
                raise ValueError(f"alpha must be {(h, w)}, got {a.shape}")
            image = np.ascontiguousarray(np.dstack([rgb, a]))
        else:
            image = np.ascontiguousarray(rgb).copy()
        image.setflags(write=False)

        triangles_face, to_canonical, from_canonical = _face_api()
        neutral, sim = to_canonical(lm)
        neutral = np.asarray(neutral, dtype=np.float32)
        base = np.asarray(from_canonical(neutral, sim), dtype=np.float64)
        to_pixels = np.empty((3, 3), dtype=np.float64)
        for k in range(3):
            bumped = neutral.astype(np.float64).copy()
            bumped[:, k] += 1.0
            moved = np.asarray(from_canonical(bumped.astype(np.float32), sim), dtype=np.float64)
            to_pixels[:, k] = (moved - base).mean(axis=0)
        # Closed lips whose inner contours the tracker drew crossed: parted to the closed
        # lips' usual gap, landmarks only (engine.motion.rest.uncrossed_lips).
        mend = uncrossed_lips(neutral)
        if np.any(mend):
            neutral = neutral + mend
            lm = lm + (mend.astype(np.float64) @ to_pixels.T).astype(np.float32)

        # The face's own axes in the canonical frame: right, down, depth.
        n64 = neutral.astype(np.float64)
        right = n64[topo.EYE_OUTER[1]] - n64[topo.EYE_OUTER[0]]
        right /= np.linalg.norm(right)
        eye_mid = 0.5 * (n64[topo.EYE_OUTER[0]] + n64[topo.EYE_OUTER[1]])
        down = n64[topo.CHIN] - eye_mid
        down -= right * (down @ right)
        down /= np.linalg.norm(down)
        depth = np.cross(right, down)
        axes = np.stack([right, down, depth])
        chin_len = float(np.linalg.norm(n64[topo.CHIN] - eye_mid))
        pivot = n64[topo.CHIN] + down * 0.45 * chin_len

        ring, hair, carried = rings(lm, iod)
        ring32 = ring.astype(np.float32)

        # Colour samples come from the face's own box (not the whole picture).
        fx0, fy0 = (max(int(v) - 2, 0) for v in lm[:, :2].min(axis=0))
        fx1, fy1 = (int(v) + 3 for v in lm[:, :2].max(axis=0))
        face_rgb = rgb[fy0:fy1, fx0:fx1]
        face_lm = lm - np.array([fx0, fy0, 0], dtype=np.float32)
        lip_rgb, skin_rgb, eye_skin = portrait_colours(face_rgb, face_lm, iod)
        eyes = whites(face_rgb, face_lm[:, :2])
        whites_rgb = np.zeros(3, np.float32) if eyes is None else eyes
        rest_gap = _inner_gaps(lm[:, :2], iod)
        open_at_rest = bool(rest_gap[3:6].mean() > OPEN_AT_REST)
        keep_teeth = open_at_rest and shows_teeth(face_rgb, face_lm, skin_rgb, iod)
        content = content_colours(face_rgb, face_lm[:, :2]) if open_at_rest else None
        if content is None:
            edges = np.zeros((2, 9))
            teeth, cavity = np.zeros(3, np.float32), np.zeros(3, np.float32)
        else:
            edges = lip_edges(face_rgb, face_lm[:, :2], iod, lip_rgb, content)
            teeth, cavity = content[0], content[1]
        if keep_teeth:
            split, teeth_end = content_split(face_rgb, face_lm[:, :2], skin_rgb)
        else:
            split = np.full(9, MOUTH_SPLIT)
            # Parted lips over a dark mouth show no upper teeth: a mouth opening past
            # them shows the teeth behind the lip, not the lip's shadow hung under it.
            teeth_end = np.zeros(9) if open_at_rest else split.copy()
        n_lm = lm.shape[0]
        mouth_start = n_lm + len(ring32)
        eye_start = mouth_start + 4 * 9
        hair_start = eye_start + topo.EYE_UPPER[:, 1:-1].size
        band = np.concatenate([
            topo.band_triangles(topo.FACE_OVAL, hair_start),
            topo.band_triangles(np.arange(hair_start, hair_start + len(hair)), n_lm)])
        face = np.asarray(triangles_face, dtype=np.int32).reshape(-1, 3)
        face = hidden_first(face, lm)
        tris = np.concatenate([band, face, topo.hole_triangles(mouth_start, eye_start)])
        tris = tris.astype(np.int32)
        vertices = np.concatenate([lm[:, :2].astype(np.float64), ring, rest_rows(lm[:, :2], split)])
        lid_slack = np.zeros((2, 2, 7), dtype=np.float64)
        for e in range(2):
            normal, gap = eye_frame(vertices, e)
            lid_slack[e, 0] = UPPER_LID_SLACK * np.maximum(gap, 0.0)
            lid_slack[e, 1] = LOWER_LID_SLACK * np.maximum(gap, 0.0)
            vertices[topo.EYE_UPPER[e][1:-1]] -= lid_slack[e, 0][:, None] * normal
            vertices[topo.EYE_LOWER[e][1:-1]] += lid_slack[e, 1][:, None] * normal
        vertices = np.concatenate([vertices, vertices[topo.EYE_UPPER[:, 1:-1].ravel()], hair])

        bx0 = int(np.floor(ring[:, 0].min())) - 1
        by0 = int(np.floor(ring[:, 1].min())) - 1
        bx1 = int(np.ceil(ring[:, 0].max())) + 2
        by1 = int(np.ceil(ring[:, 1].max())) + 2
        box = (max(bx0, 0), max(by0, 0), min(bx1, w), min(by1, h))
        roundness = eye_roundness(vertices)
        plates = build_plates(rgb, lm, iod, roundness < PAINT_ROUNDNESS, eye_skin)
        shown = eyes_shown(face_rgb, face_lm, skin_rgb)
        if not any(shown):
            log.info("rig: the eyes are hidden (dark glasses?): they do not blink")

        log.info("rig: %dx%d, iod %.1f px, influence box %s, mouth open at rest %s, "
                 "teeth %s", w, h, iod, box, open_at_rest, keep_teeth)
        # s1's teeth (and their fine copies, about 50 ms) are loaded here, with the
        # portrait's other analysis, not while the first open mouth is drawn.
        b = bank()
        gain = np.ones(3, np.float32) if b is None else light_gain(b, skin_rgb, lip_rgb,
                                                                     whites_rgb)
        hair_carried = carried.astype(np.float32)
        frozen = (lm, neutral, to_pixels, axes, pivot, ring32, vertices, lid_slack, tris,
                  hair_carried)
        colours = (lip_rgb, skin_rgb, teeth, cavity, whites_rgb, eye_skin, gain)
        for arr in (*frozen, *colours, rest_gap, edges, split, teeth_end, roundness):
            arr.setflags(write=False)
        return cls(
            image=image,
            has_alpha=alpha is not None,
            landmarks=lm,
            neutral=neutral,
            similarity=sim,
            to_pixels=to_pixels,
            axes=axes,
            pivot=pivot,
            ring=ring32,
            hair_carried=hair_carried,
            vertices=vertices,
            lid_slack=lid_slack,
            triangles=tris,
            box=box,
            iod=iod,
            lip_rgb=lip_rgb,
            skin_rgb=skin_rgb,
            rest_gap=rest_gap,
            open_at_rest=open_at_rest,
            keep_teeth=keep_teeth,
            lip_edge=edges,
            mouth_split=split,
            teeth_end=teeth_end,
            teeth_rgb=teeth,
            cavity_rgb=cavity,
            whites_rgb=whites_rgb,
            eye_skin_rgb=eye_skin,
            eye_roundness=roundness,
            lid_plates=plates,
            hue_spread=hue_spread(face_rgb),
            eyes_shown=shown,
            blur=edge_blur(face_rgb, face_lm, iod),
            paint=flat_paint_of(face_rgb, face_lm, iod, skin_rgb, (fx0, fy0)),
            teeth_gain=gain,
        )


def eye_roundness(verts: np.ndarray) -> np.ndarray:
    """``(2,) float64`` per eye, the widest lid gap over the corner distance.

    Pass the rest vertices (lid slack included): a human eye gives about
    0.3-0.6, a large round animal or cartoon eye fitted by hand 0.8 or more.
    """
    r = np.zeros(2)
    for e in range(2):
        _, gap = eye_frame(verts, e)
        c0, c1 = verts[topo.EYE_UPPER[e][0]], verts[topo.EYE_UPPER[e][-1]]
        r[e] = max(float(gap.max()), 0.0) / max(float(np.linalg.norm(c1 - c0)), 1e-9)
    return r


def eye_frame(xy: np.ndarray, eye: int) -> tuple[np.ndarray, np.ndarray]:
    """One eye's downward unit normal ``(2,)`` and its 7 lid gaps ``(7,)``, pixels.

    Args:
        xy: ``(N >= 468, 2)`` landmark positions.
        eye: 0 for the subject's right eye, 1 for the left.
    """
    c0, c1 = xy[topo.EYE_UPPER[eye][0]], xy[topo.EYE_UPPER[eye][-1]]
    axis = (c1 - c0) / max(float(np.linalg.norm(c1 - c0)), 1e-9)
    normal = np.array([-axis[1], axis[0]])
    upper, lower = topo.EYE_UPPER[eye][1:-1], topo.EYE_LOWER[eye][1:-1]
    if normal @ (xy[topo.CHIN] - xy[topo.NOSE_BRIDGE_TOP]) < 0:
        normal = -normal
    return normal, (xy[lower] - xy[upper]) @ normal


def _inner_gaps(xy: np.ndarray, iod: float) -> np.ndarray:
    """``(9,) float32`` inner-lip gaps (upper to lower, interior points), in IODs."""
    up = xy[topo.LIPS_INNER_UPPER[1:-1]].astype(np.float64)
    lo = xy[topo.LIPS_INNER_LOWER[1:-1]].astype(np.float64)
    return np.maximum((lo - up) @ mouth_normal(xy) / iod, 0.0).astype(np.float32)
