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

import numpy as np

from engine.motion.track import POSE_FIELDS

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
