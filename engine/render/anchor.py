"""Where the warp ends round the face, and the hair that goes with the head.

The warp moves the face's mesh and holds a ring round it still (:data:`RING_SCALE`
times the face oval): outside it the frame is the portrait. Between the face and
that ring lies a second ring, the hair's (:data:`HAIR_SHARE` of the way out), carried
by the head as far as the skull carries it: fully above the cheekbones, not at all
at the chin and below, where the neck stays. A head that rises and falls as it nods
(it turns about the neck, behind the face) then takes its hair and the top of its
forehead with it, and what stretches is the band round the hair, not the forehead.
"""

from __future__ import annotations

import numpy as np

from engine.render import topology as topo
from engine.render.interior import smoothstep

#: The still ring is the face oval scaled by this about the oval's centre.
RING_SCALE = 1.5
#: Extra downward reach of the still ring below the chin, in inter-ocular distances,
#: so that a dropping jaw does not squash the neck too much.
RING_CHIN_EXTRA = 0.25
#: The hair's ring lies this share of the way from the face oval to the still ring.
HAIR_SHARE = 0.5
#: How far down the face (0 at the oval's centre, 1 at the chin) the hair's ring stops
#: following the head: fully above the first value, not at all below the second.
HAIR_FADE = (0.1, 0.75)
#: The farthest a point of the hair's ring moves, as a share of its distance from the
#: still ring.
HAIR_REACH = 0.6


def rings(landmarks: np.ndarray, iod: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ring (R, 2) float64, hair (R, 2) float64, carried (R,) float32)`` for
    ``landmarks`` ``(468, 2+)`` pixels: the still ring, the hair's ring (pixels; point
    ``k`` of each outward of face-oval landmark ``k``) and how much of the head's motion
    each hair point takes, 0..1."""
    lm = landmarks
    oval = lm[topo.FACE_OVAL, :2].astype(np.float64)
    centre = oval.mean(axis=0)
    ring = centre + RING_SCALE * (oval - centre)
    down = lm[topo.CHIN, :2].astype(np.float64) - 0.5 * (
        lm[topo.EYE_OUTER[0], :2] + lm[topo.EYE_OUTER[1], :2])
    down /= max(float(np.linalg.norm(down)), 1e-9)
    along = (oval - centre) @ down / max(float(np.abs((oval - centre) @ down).max()), 1e-9)
    below = np.clip(along, 0.0, 1.0)
    ring += (RING_CHIN_EXTRA * iod * below**2)[:, None] * down
    hair = oval + HAIR_SHARE * (ring - oval)
    return ring, hair, 1.0 - smoothstep(below, *HAIR_FADE)


def carried_hair(hair: np.ndarray, ring: np.ndarray, carried: np.ndarray, oval: np.ndarray,
                 oval_now: np.ndarray, head_oval: np.ndarray) -> np.ndarray:
    """``(R, 2) float64`` the hair's ring ``hair`` in a frame.

    Each point takes ``carried (R,)`` of the head's own motion (the affine map that
    takes the face oval's points ``oval`` to where the head alone puts them,
    ``head_oval``) and the rest of what the still ring's band would give it: the share
    of the oval's motion to ``oval_now`` (head and expression) that fades out from the
    oval to the still ``ring``. No point moves more than :data:`HAIR_REACH` of its way
    to the still ring, so a head turned far by hand does not fold the band round it.
    All ``(R, 2)`` pixels."""
    move = (1.0 - HAIR_SHARE) * (1.0 - carried)[:, None] * (oval_now - oval)
    head = head_oval - oval
    if np.any(head):
        # the least-squares affine fit: about the oval's centre, its shift is the mean
        c = oval.mean(axis=0)
        p, shift = oval - c, head.mean(axis=0)
        linear = np.linalg.solve(p.T @ p, p.T @ (head - shift))
        move += carried[:, None] * ((hair - c) @ linear + shift)
    room = HAIR_REACH * np.hypot(*(ring - hair).T)
    return hair + move * np.minimum(1.0, room / np.maximum(np.hypot(*move.T), 1e-9))[:, None]
