"""A breath before each phrase: the lips part as the speaker draws breath to speak.

Measured on GRID s1, the training speaker (``tools/measure_breath.py``,
``assets/motion/breath.npz``): over 375 of his clips, in the 0.6 s before the
first recognised phone his inner lips part, on average, up to 0.023
inter-ocular distances 0.16 s before it. Real speakers do more (s4hq, a
validation speaker, up to 0.1 or more): *Breath* in the studio scales it.

By default a trace of it: :data:`DEFAULT`, fitted on s1 by the pause gate's rule
(``tools/fit_breath.py``: of the amounts that leave his generated lips closed,
under 0.02 IOD, in at least 95 % of his silent frames, the one whose opening
follows his real one best). The lips then part by at most 0.007 IOD before a
phrase, a relaxing of the closed lips rather than an open mouth, so the pauses
stay closed as issue 13 asks; on the validation speakers it lifts the median
opening r from 0.62 to 0.65 and brings the lips closer to the real ones (lip
distance 0.0164 to 0.0160), still closed in 98 % of the silent frames. s1's
whole breath (1) lifts r to 0.69 but leaves the lips apart in 38 % of the
silent frames (the real speakers' in 66 %; ``docs/model.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from engine.audio.prosody import PAUSE_S, Phrase
from engine.paths import asset

#: A breath needs a pause before the phrase at least this long, seconds: the pause
#: that separates phrases, so it matters only for a track whose first phrase begins
#: at once.
MIN_PAUSE_S = PAUSE_S
#: The app's *Breath* unless the artist sets it: fitted on GRID s1 (module docstring).
DEFAULT = 0.3


@functools.cache
def _measured() -> tuple[np.ndarray, np.ndarray, float]:
    """``(profile (K,) float32 IOD, shape (468, 3) float32, fps)`` of the measured breath."""
    import json

    with np.load(asset("motion", "breath.npz")) as z:
        info = json.loads(str(z["info"]))
        return (z["profile"].astype(np.float32), z["shape"].astype(np.float32),
                float(info["fps"]))


def breath_shape() -> np.ndarray:
    """``(468, 3) float32`` canonical displacement that parts the inner lips by 1 IOD."""
    return _measured()[1]


def breath_weights(phrases: Sequence[Phrase], fps: float, frames: int,
                   amount: float = 1.0) -> np.ndarray:
    """``(frames,) float32`` the breath's inner-lip opening (IOD) at each frame.

    Args:
        phrases: the voice's phrases (seconds, in order).
        fps: frame rate; frames: ``T``.
        amount: 1 = GRID s1's breath, 0 = none.

    Before each phrase that follows a pause of at least :data:`MIN_PAUSE_S` (the
    track's start counts as one), the measured profile ends at the phrase's first
    frame; where the pause is shorter than the profile, its start is cut off.
    """
    out = np.zeros(max(int(frames), 0), np.float32)
    if amount <= 0 or not len(out):
        return out
    profile, _, rate = _measured()
    span = len(profile) / rate
    t_profile = (np.arange(len(profile)) - len(profile)) / rate  # seconds before the phrase
    prev_end = None
    for ph in phrases:
        start = ph.start
        pause = start if prev_end is None else start - prev_end
        prev_end = ph.end
        if pause < MIN_PAUSE_S:
            continue
        lo = max(start - min(span, pause), 0.0)
        i0, i1 = int(np.ceil(lo * fps - 0.5)), int(np.ceil(start * fps - 0.5))
        idx = np.arange(max(i0, 0), min(i1, len(out)))
        if not len(idx):
            continue
        t = (idx + 0.5) / fps - start
        out[idx] = np.maximum(out[idx], np.interp(t, t_profile, profile, left=0.0,
                                                  right=float(profile[-1])))
    return out * np.float32(amount)
