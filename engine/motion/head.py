"""Seeded, small, low-frequency head motion that calms down in silence.

Each pose channel is a sum of a few slow sinusoids (0.05 to 0.6 Hz) with
seeded frequencies, phases and ``1/f`` amplitudes, so the motion is smooth,
never repeats visibly, and is bounded: at ``amount=1`` rotations stay within
:data:`MAX_ROTATION_DEG` and translations within :data:`MAX_SHIFT` (about 1 %
of the face's size), ``log_scale`` within :data:`MAX_LOG_SCALE`. The motion
is scaled by an envelope of the speech activity that rises quickly as speech
starts and decays to exactly zero (rest pose) over a long silence; short
pauses keep it going. ``amount=0`` gives exact zeros.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from engine.motion.track import POSE_FIELDS

if TYPE_CHECKING:
    from engine.audio.voice import Voice

#: Largest rotation (pitch, yaw, roll) at ``amount=1``, degrees.
MAX_ROTATION_DEG = 2.0
#: Largest translation at ``amount=1``, canonical units (inter-ocular = 1;
#: the face is about 2.5 units tall, so 0.025 is ~1 % of its size).
MAX_SHIFT = 0.025
#: Largest log-scale change at ``amount=1`` (1 %).
MAX_LOG_SCALE = 0.01
#: Pauses shorter than this keep the head moving, seconds.
PAUSE_HOLD = 0.6
#: Time constant of the envelope's smoothing, seconds.
ENVELOPE_TAU = 0.5
#: Sinusoids per channel and their frequency range (Hz).
N_PARTIALS = 4
F_MIN, F_MAX = 0.05, 0.6


def _channel_limits() -> np.ndarray:
    rot = math.radians(MAX_ROTATION_DEG)
    limits = {"pitch": rot, "yaw": rot, "roll": 0.6 * rot,
              "tx": MAX_SHIFT, "ty": MAX_SHIFT, "log_scale": MAX_LOG_SCALE}
    return np.array([limits[f] for f in POSE_FIELDS], np.float64)


def _one_pole(x: np.ndarray, alpha: float) -> np.ndarray:
    y = np.empty_like(x)
    acc = 0.0
    for i, v in enumerate(x):
        acc += alpha * (v - acc)
        y[i] = acc
    return y


def activity_envelope(activity: np.ndarray, fps: float) -> np.ndarray:
    """``(T,) float64`` gain 0..1 from speech activity ``(T,)`` 0..1.

    Activity is held through pauses shorter than :data:`PAUSE_HOLD` (a
    centred maximum filter), then smoothed forwards and backwards with a
    one-pole filter (time constant :data:`ENVELOPE_TAU`); far from any
    speech it is exactly 0.
    """
    a = np.clip(np.asarray(activity, dtype=np.float64).reshape(-1), 0.0, 1.0)
    t = len(a)
    if t == 0:
        return a
    half = max(int(round(PAUSE_HOLD * fps / 2)), 0)
    if half > 0:
        padded = np.concatenate([np.zeros(half), a, np.zeros(half)])
        win = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
        held = win.max(axis=1)
    else:
        held = a
    alpha = 1.0 - math.exp(-1.0 / max(ENVELOPE_TAU * fps, 1e-6))
    env = _one_pole(held, alpha)
    env = _one_pole(env[::-1], alpha)[::-1]
    env = np.clip(env, 0.0, 1.0)
    env[env < 1e-4] = 0.0  # settle to exact rest
    return env


def head_motion(
    frame_count: int,
    fps: float,
    amount: float = 1.0,
    seed: int = 0,
    activity: np.ndarray | None = None,
) -> np.ndarray:
    """Head-pose offsets per frame.

    Args:
        frame_count: number of frames ``T``.
        fps: frame rate.
        amount: 0 = locked head (exact zeros), 1 = default (about +-2 degrees,
            +-1 % of face size), up to 2.
        seed: the same seed gives the same motion; frame ``i`` does not
            depend on ``frame_count`` when ``activity`` is None.
        activity: ``(T,) float32`` speech activity 0..1 (e.g. 1 where a phone
            is not silence); None means always active.

    Returns:
        ``(T, 6) float32`` columns :data:`engine.motion.track.POSE_FIELDS`:
        pitch, yaw, roll (radians), tx, ty (canonical units), log_scale.
    """
    out = np.zeros((max(frame_count, 0), len(POSE_FIELDS)), np.float32)
    if frame_count <= 0 or amount <= 0:
        return out
    amount = float(min(amount, 2.0))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x4EAD]))
    t = (np.arange(frame_count) + 0.5) / fps
    limits = _channel_limits()
    for c in range(len(POSE_FIELDS)):
        freqs = np.exp(rng.uniform(math.log(F_MIN), math.log(F_MAX), N_PARTIALS))
        phases = rng.uniform(0.0, 2 * math.pi, N_PARTIALS)
        weights = 1.0 / freqs
        weights = weights / weights.sum()  # sum of |amplitudes| = 1 -> bounded by 1
        sig = np.zeros(frame_count, np.float64)
        for f, ph, w in zip(freqs, phases, weights, strict=True):
            sig += w * np.sin(2 * math.pi * f * t + ph)
        out[:, c] = (sig * limits[c] * amount).astype(np.float32)
    if activity is not None:
        act = np.asarray(activity, dtype=np.float64).reshape(-1)
        if len(act) != frame_count:
            raise ValueError(f"activity has {len(act)} frames, expected {frame_count}")
        out *= activity_envelope(act, fps)[:, None].astype(np.float32)
    return out


# ----------------------------------------------------------------------------- speech head
#: A full-strength accent's nod (pitch down and back), degrees at liveliness 1.
NOD_DEG = 2.0
#: Half-width of a nod, seconds, and how far its centre leads the syllable's peak.
NOD_HALF_S = 0.22
NOD_LEAD_S = 0.04
#: Each phrase settles the head into a new orientation: standard deviations, degrees.
#: Real speakers nod most and tilt nearly as much as they turn (the rotation's std over
#: GRID s4hq's and CREMA-D 1001's clips, degrees: pitch 0.64 and 2.14, yaw 0.43 and 0.68,
#: roll 0.36 and 0.38; the level of head motion and its balance across the axes are what
#: Talkie takes from those videos). With yaw 1.8 and roll 1.0 the generated head turned
#: 0.70-0.78 degrees there and tilted 0.25; now it turns 0.49-0.58 and tilts 0.37.
PHRASE_DEG = {"pitch": 0.8, "yaw": 1.0, "roll": 1.4}
#: Time to move into a phrase's orientation, seconds; pauses longer than
#: :data:`RETURN_PAUSE_S` ease back towards the rest orientation over :data:`RETURN_S`.
SETTLE_S = 0.5
RETURN_PAUSE_S = 1.0
RETURN_S = 0.8
#: The phrase-final lowering of the head, degrees.
FINAL_DEG = 0.8
#: The seeded sway under it all (:func:`head_motion` at this amount).
SWAY = 0.5
#: Accents at least this strong raise the brows, by up to :data:`BROW_WEIGHT`.
BROW_ACCENT = 0.6
BROW_WEIGHT = 0.5
BROW_HALF_S = 0.3
#: Liveliness 1 = a real speaker's level: this gain brings the median head-rotation
#: standard deviation over GRID s1's speech (the training speaker's audio, 200 clips)
#: to :data:`TARGET_ROTATION_DEG` (``tools/calibrate_head.py``: 1.320 degrees at gain 1).
GAIN = 1.06
#: How far the face drops as the head tips down, inter-ocular distances per radian of
#: pitch (``ty`` per ``pitch``): the head turns about the top of the neck, behind the
#: face, so a nod moves the eyes down, not only the chin back. CREMA-D's actor, the one
#: speaker here whose head moves freely, drops 0.73 IOD per radian (median over his six
#: clips, r 0.86 between his pitch and his eyes' height); GRID s4hq, asked to keep still,
#: 0.29 (r 0.35), s1 0.10 (r 0.10). Until 2026-12-08 the head turned about a point under
#: the chin and its eyes rose and fell 0.002-0.006 IOD (std) against the real speakers'
#: 0.007-0.048.
BOB = 0.7
#: The level of real, freely moving speakers: the geometric mean of the median rotation
#: standard deviations measured on GRID s4hq (0.88 degrees) and CREMA-D 1001 (2.21).
TARGET_ROTATION_DEG = 1.40


def _bump(t: np.ndarray, centre: float, half: float) -> np.ndarray:
    """Raised-cosine bump of height 1 at ``centre``, zero beyond ``half`` seconds."""
    x = np.clip((t - centre) / half, -1.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * x))


def _ease(t: np.ndarray, t0: float, dur: float) -> np.ndarray:
    """0 before ``t0``, 1 after ``t0 + dur``, a smoothstep between."""
    x = np.clip((t - t0) / max(dur, 1e-6), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def speech_head(voice: Voice, fps: float, frame_count: int, liveliness: float = 1.0,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Head motion and brow raises that follow the prosody of a voice track.

    - each accented syllable (:func:`engine.audio.prosody.accents`) nods the head
      down and back, by its strength;
    - each phrase (:func:`engine.audio.prosody.phrases`) turns, tilts and tips the
      head into a new seeded orientation, and lowers it a little at its end; long
      pauses ease back to the rest orientation;
    - the strongest accents raise the brows;
    - a seeded sway (:func:`head_motion`) keeps the head alive in between.

    Args:
        voice: the analysed voice track (accents, phrases, phones).
        fps: frame rate; frame_count: ``T``.
        liveliness: 0 = still head and brows, 1 = a real speaker's level, up to 2.
        seed: the same seed gives the same motion.

    Returns:
        ``(pose (T, 6) float32, brows (T,) float32)``: pose offsets
        (:data:`engine.motion.track.POSE_FIELDS`) and the brow-raise weight.
    """
    from engine.motion.phonetic import speech_activity

    n = max(int(frame_count), 0)
    pose = np.zeros((n, len(POSE_FIELDS)), np.float64)
    brows = np.zeros(n, np.float64)
    live = float(np.clip(liveliness, 0.0, 2.0))
    if n == 0 or live <= 0:
        return pose.astype(np.float32), brows.astype(np.float32)
    t = (np.arange(n) + 0.5) / fps
    duration = voice.duration
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x9E7D]))
    rad = math.radians
    for a in voice.accents:
        pose[:, 0] += rad(NOD_DEG) * a.strength * _bump(t, a.time - NOD_LEAD_S, NOD_HALF_S)
        if a.strength >= BROW_ACCENT:
            w = (a.strength - BROW_ACCENT) / (1.0 - BROW_ACCENT)
            brows += BROW_WEIGHT * w * _bump(t, a.time - NOD_LEAD_S, BROW_HALF_S)
    # phrase orientations: a piecewise target, eased at each change
    level = np.zeros((n, 3))
    current = np.zeros(3)
    sig = np.radians([PHRASE_DEG["pitch"], PHRASE_DEG["yaw"], PHRASE_DEG["roll"]])
    prev_end = -1e9
    for ph in voice.phrases:
        if ph.start - prev_end >= RETURN_PAUSE_S and prev_end > 0:
            back = _ease(t, prev_end + 0.2, RETURN_S)
            level += (np.zeros(3) - current)[None, :] * back[:, None]
            current = np.zeros(3)
        target = rng.normal(0.0, 1.0, 3) * sig
        level += (target - current)[None, :] * _ease(t, ph.start - 0.15, SETTLE_S)[:, None]
        current = target
        pose[:, 0] += rad(FINAL_DEG) * _bump(t, ph.end - 0.1, 0.35)
        prev_end = ph.end
    if prev_end > 0 and duration - prev_end >= RETURN_PAUSE_S:
        level += (np.zeros(3) - current)[None, :] * _ease(t, prev_end + 0.2, RETURN_S)[:, None]
    pose[:, :3] += level
    pose += head_motion(n, fps, SWAY, seed, speech_activity(voice.phones, n, fps))
    pose *= GAIN * live
    # The head nods about the neck, behind the face: as it tips down it drops.
    pose[:, 4] += BOB * pose[:, 0]
    brows = np.clip(brows * live, 0.0, 1.0)
    return pose.astype(np.float32), brows.astype(np.float32)
