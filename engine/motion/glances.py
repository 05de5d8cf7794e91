"""Where the eyes look while the voice speaks: a real speaker's small glances.

A real speaker's eyes are never still. They hold a point, then jump to the next (a
saccade, a few tens of milliseconds), often as a phrase begins. Measured on GRID s1,
the training speaker (``tools/measure_gaze.py``: the iris found in every frame of 200
of his clips, its offset from the middle of the eye corners in eye widths, less the
clip's median): his gaze spreads over a clip by 0.016 eye widths sideways (standard
deviation, median over clips; 0.004 of that is the measure's own noise) and 0.009
up and down. The unseen speakers spread as much: GRID s30 0.016, s33 0.025, s34 0.014,
CREMA-D 1001 0.015, s4hq 0.027 (sideways; s4hq's reading is the noisiest). A portrait
animated without this stares.

The model: fixations, each held for an exponential time (mean :data:`HOLD_S`), and a new
one as each phrase begins; each fixation's point is drawn about the portrait's own gaze
(its rest) from a normal distribution of spread :data:`SPREAD` (eye widths, sideways and
up-down), and the eyes move to it over :data:`SACCADE_S`. The spread is set so that the
gaze over GRID s1's own clips spreads as his does (``tools/measure_gaze.py
--generated``); *Liveliness* scales it (0 keeps the eyes still).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.audio.prosody import Phrase
from engine.motion.track import TRAVEL_X, TRAVEL_Y

#: A fixation's point is drawn about the rest with this spread (standard deviation,
#: eye widths): sideways, up-down. Fitted on GRID s1 (module docstring).
SPREAD = (0.0275, 0.0142)
#: A fixation lasts this long on average (seconds, exponential), unless a phrase begins.
HOLD_S = 1.2
#: The eyes travel to a new point over this long (seconds): a small saccade.
SACCADE_S = 0.05


def speech_gaze(phrases: Sequence[Phrase], fps: float, frame_count: int,
                liveliness: float = 1.0, seed: int = 0) -> np.ndarray:
    """``(T, 2) float32``: the gaze lanes (x, y; -1..1, :mod:`engine.render.gaze`) of a
    speaker's eyes over a voice track, about the portrait's own gaze.

    Args:
        phrases: the voice's phrases (:attr:`engine.audio.voice.Voice.phrases`), seconds:
            each begins a new fixation.
        fps: frame rate; frame_count: ``T``.
        liveliness: scales the glances: 0 = still eyes, 1 = a real speaker's, up to 2.
        seed: the same seed gives the same glances.
    """
    n = max(int(frame_count), 0)
    live = float(np.clip(liveliness, 0.0, 2.0))
    if n == 0 or live <= 0.0:
        return np.zeros((n, 2), np.float32)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x6A2E]))
    duration = n / fps
    # Fixation starts: a renewal process (drawn first, whatever the phrases, so that the
    # seed alone decides it) and the phrases' starts. The first fixation is the
    # portrait's own gaze: the animation starts from the picture as it is.
    starts = [0.0]
    t = 0.0
    while True:
        t += float(rng.exponential(HOLD_S))
        if t >= duration:
            break
        starts.append(t)
    starts += [float(p.start) for p in phrases if 0.0 < p.start < duration]
    starts = sorted(set(starts))
    points = rng.normal(0.0, 1.0, (len(starts), 2)) * np.asarray(SPREAD)
    points[0] = 0.0
    times = (np.arange(n) + 0.5) / fps
    # Each frame is where the saccades over by then have taken the eyes, plus the share
    # of the one under way (an hour's track in milliseconds, not frames x fixations).
    begin = np.asarray(starts)
    jumps = np.diff(points, axis=0, prepend=np.zeros((1, 2)))
    reached = np.concatenate([np.zeros((1, 2)), np.cumsum(jumps, axis=0)])
    gaze = reached[np.searchsorted(begin + SACCADE_S, times, side="right")]
    for start, jump in zip(begin, jumps, strict=True):
        a, b = np.searchsorted(times, (start, start + SACCADE_S))
        step = (times[a:b] - start) / SACCADE_S
        gaze[a:b] += (step * step * (3.0 - 2.0 * step))[:, None] * jump
    lanes = gaze * live / np.array([TRAVEL_X, TRAVEL_Y])
    return np.clip(lanes, -1.0, 1.0).astype(np.float32)
