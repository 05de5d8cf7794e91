"""Frame landmarks: expression and head pose applied to the rig's face, and the mesh."""

from __future__ import annotations

import numpy as np

from engine.motion.track import MotionTrack
from engine.render import topology as topo
from engine.render.anchor import carried_hair
from engine.render.lips import COLUMNS, mouth_rows, spread_lips
from engine.render.rig import PortraitRig, eye_frame

#: How far the lid crease follows the lid margin when the eye closes: the lid's
#: own skin and lashes come down over the eye, the skin under the brow stretches.
CREASE_FOLLOW = 0.85


def rotation(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """``(3, 3)`` rotation in the face's (right, down, depth) frame.

    Positive pitch tips the chin away from the viewer (a nod down), positive
    yaw turns the nose towards image left, positive roll turns the face
    clockwise in the image. Applied as roll @ yaw @ pitch.
    """
    cp, sp = np.cos(pitch), np.sin(pitch)
    cy, sy = np.cos(yaw), np.sin(yaw)
    cr, sr = np.cos(roll), np.sin(roll)
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ ry @ rx


def eyelid_closure(motion: MotionTrack, index: int, rig: PortraitRig | None = None
                   ) -> np.ndarray:
    """``(2,) float64`` eyelid closure 0..1 at frame ``index`` (clamped to the track); 0
    for an eye of ``rig`` that cannot be seen (behind dark glasses: ``rig.eyes_shown``)."""
    n = motion.frame_count
    if n == 0:
        return np.zeros(2)
    i = min(max(int(index), 0), n - 1)
    closure = np.clip(np.asarray(motion.eyelids[i], dtype=np.float64), 0.0, 1.0)
    if rig is not None:
        closure = closure * np.asarray(rig.eyes_shown, dtype=np.float64)
    return closure


def frame_landmarks(
    rig: PortraitRig, motion: MotionTrack, index: int, lids: bool = True
) -> np.ndarray:
    """The face's landmarks at frame ``index``.

    Args:
        rig: the portrait.
        motion: the motion track; ``index`` is clamped to its frames.
        index: frame number.
        lids: move the human eyes' lids (and creases) down by the track's
            eyelid closure; round eyes are closed by paint alone
            (:mod:`engine.render.painted_lids`).

    Returns:
        ``(468, 2) float64`` landmark positions in the portrait's pixels.
        With zero motion they equal ``rig.landmarks[:, :2]`` exactly.
    """
    n = motion.frame_count
    i = min(max(int(index), 0), n - 1) if n > 0 else 0
    canon = rig.neutral.astype(np.float64)
    posed = canon
    if n > 0:
        posed = canon + motion.expression(i).astype(np.float64)
        pose = np.asarray(motion.pose[i], dtype=np.float64)
        if np.any(pose != 0):
            posed = _apply_pose(rig, posed, pose)
    disp = (posed - canon) @ rig.to_pixels.T
    xy = rig.landmarks[:, :2].astype(np.float64) + disp[:, :2]
    return close_lids(rig, xy, eyelid_closure(motion, index, rig)) if lids else xy


def close_lids(rig: PortraitRig, xy: np.ndarray, closure: np.ndarray) -> np.ndarray:
    """A copy of frame landmarks ``xy`` ``(468, 2)`` with the human eyes' lids and
    creases moved down by ``closure`` ``(2,)`` 0..1 (:func:`_close_eye`)."""
    out = xy.copy()
    for e in range(2):
        if closure[e] > 0 and rig.lid_plates[e].human:
            _close_eye(out, rig, e, float(closure[e]))
    return out


def head_landmarks(rig: PortraitRig, motion: MotionTrack, index: int) -> np.ndarray:
    """``(468, 2) float64`` the portrait's landmarks moved by frame ``index``'s head pose
    alone (no expression, no lids): where the skull carries each point, pixels."""
    n = motion.frame_count
    xy = rig.landmarks[:, :2].astype(np.float64)
    if n == 0:
        return xy
    pose = np.asarray(motion.pose[min(max(int(index), 0), n - 1)], dtype=np.float64)
    if not np.any(pose != 0):
        return xy
    canon = rig.neutral.astype(np.float64)
    disp = (_apply_pose(rig, canon, pose) - canon) @ rig.to_pixels.T
    return xy + disp[:, :2]


def frame_vertices(
    rig: PortraitRig, xy: np.ndarray, head_xy: np.ndarray, open_xy: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The mesh's vertices for frame landmarks ``xy``, and where each samples the portrait.

    Args:
        rig: the portrait.
        xy: ``(468, 2)`` frame landmarks, pixels (:func:`frame_landmarks`).
        head_xy: ``(468, 2)`` the same frame's head pose alone
            (:func:`head_landmarks`).
        open_xy: ``(468, 2)`` the frame's landmarks before the lids close
            (``frame_landmarks(..., lids=False)``); None when they are open.

    Returns:
        ``(target (V, 2), source (V, 2))`` float64 like ``rig.vertices``: the
        landmarks (lid slack applied), the fixed ring, the four mouth rows
        (:func:`engine.render.lips.mouth_rows`: the lips slide over the
        portrait's teeth or take them along), the tops of the eye openings, and
        the hair's ring, carried by the head (:func:`engine.render.anchor.carried_hair`).
        The source equals ``rig.vertices`` except in the mouth,
        where the inner lips and the rows sample the portrait where the lips
        and the bones put them, and under a closing lid, where the top of the
        eye opening samples the eye where the lid's edge now is: the lid
        slides over the eye, which is covered, not squashed.
    """
    n_lm = xy.shape[0]
    k = n_lm + rig.ring.shape[0]
    src_xy = rig.landmarks[:, :2].astype(np.float64)
    rows_t, rows_s, lips_s = mouth_rows(src_xy, xy, head_xy, rig.iod, rig.lip_edge,
                                          rig.mouth_split, rig.teeth_end,
                                          dark=rig.dark_mouth)
    out = rig.vertices.copy()
    out[:n_lm] = xy
    spread_lips(src_xy, out)
    for e in range(2):
        normal, _ = eye_frame(xy, e)
        slack = rig.lid_slack[e] * _eye_scale(rig, xy, e)
        out[topo.EYE_UPPER[e][1:-1]] -= slack[0][:, None] * normal
        out[topo.EYE_LOWER[e][1:-1]] += slack[1][:, None] * normal
    out[k : k + 4 * COLUMNS] = rows_t
    src = rig.vertices.copy()
    src[k : k + 4 * COLUMNS] = rows_s
    src[topo.LIPS_INNER_UPPER[1:-1]] = lips_s[:COLUMNS]
    src[topo.LIPS_INNER_LOWER[1:-1]] = lips_s[COLUMNS:]
    e0 = k + 4 * COLUMNS
    lid = topo.EYE_UPPER[:, 1:-1].ravel()
    e1 = e0 + len(lid)
    out[e0:e1] = out[lid]
    if open_xy is not None:
        src[e0:e1] += xy[lid] - open_xy[lid]
    oval = topo.FACE_OVAL
    out[e1:] = carried_hair(src[e1:], src[n_lm:k], rig.hair_carried, src_xy[oval], xy[oval],
                            head_xy[oval])
    return out, src


def _apply_pose(rig: PortraitRig, pts: np.ndarray, pose: np.ndarray) -> np.ndarray:
    pitch, yaw, roll, tx, ty, log_scale = (float(v) for v in pose[:6])
    axes = rig.axes  # rows: right, down, depth (canonical coordinates)
    local = (pts - rig.pivot) @ axes.T
    local = np.exp(log_scale) * local @ rotation(pitch, yaw, roll).T
    local[:, 0] += tx
    local[:, 1] += ty
    return local @ axes + rig.pivot


def _close_eye(xy: np.ndarray, rig: PortraitRig, eye: int, closure: float) -> None:
    """Move one eye's upper lid down over the eye, in place (pixels).

    The lid margin travels along the eye's vertical axis (perpendicular to the
    corner-to-corner line) until it reaches the visible lower-lid margin (the
    lower landmarks plus the rig's slack); the lid crease follows most of the
    way, so the lid's own skin and lashes come down (:data:`CREASE_FOLLOW`).
    """
    upper = topo.EYE_UPPER[eye][1:-1]
    crease = topo.EYE_CREASE[eye]
    normal, gap = eye_frame(xy, eye)
    scale = _eye_scale(rig, xy, eye)
    travel = closure * (np.maximum(gap, 0.0) + rig.lid_slack[eye].sum(axis=0) * scale)
    xy[upper] += travel[:, None] * normal
    xy[crease] += (CREASE_FOLLOW * travel)[:, None] * normal


def _eye_scale(rig: PortraitRig, xy: np.ndarray, eye: int) -> float:
    """Size of the eye in ``xy`` relative to the portrait (corner distance ratio)."""
    c0, c1 = topo.EYE_UPPER[eye][0], topo.EYE_UPPER[eye][-1]
    now = float(np.linalg.norm(xy[c1] - xy[c0]))
    src = rig.landmarks[:, :2].astype(np.float64)
    return now / max(float(np.linalg.norm(src[c1] - src[c0])), 1e-9)
