"""Prosodic events of a voice track: stressed syllables (accents) and phrases.

Head nods and brow raises follow these (:mod:`engine.motion.head`). Everything is
speaker-normalised: loudness relative to the track's speech level, pitch in
semitones relative to the speaker's median (:mod:`engine.audio.pitch`).

- **Syllable nuclei** are the peaks of the loudness envelope (smoothed over
  :data:`SMOOTH_S`) inside speech, at least :data:`MIN_SYLLABLE_S` apart and
  standing :data:`PROMINENCE_DB` above the dips on both sides.
- **Accent strength** (0..1) of a nucleus grows with its loudness against the
  track's speech level and with its pitch above the speaker's median; the
  strongest syllables of a phrase carry its pitch accents.
- **Phrases** are runs of speech separated by pauses of at least :data:`PAUSE_S`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

HOP_S = 0.01
SMOOTH_S = 0.04
MIN_SYLLABLE_S = 0.12
PROMINENCE_DB = 3.0
PAUSE_S = 0.25
#: Loudness range (dB under the speech level) over which strength rises from 0 to 1.
LOUD_RANGE_DB = 15.0
#: Pitch (semitones above the speaker's median) that doubles a syllable's strength.
PITCH_ST = 4.0


@dataclass(frozen=True)
class Accent:
    """A stressed syllable: the time of its loudness peak (s) and its strength 0..1."""

    time: float
    strength: float


@dataclass(frozen=True)
class Phrase:
    """A run of speech between pauses, seconds."""

    start: float
    end: float


def speech_mask(phones: Sequence[Any], m: int) -> np.ndarray:
    """``(m,) bool`` 10 ms columns covered by a speech (non-silence) phone."""
    mask = np.zeros(m, bool)
    for p in phones:
        if str(p.label) == "sil":
            continue
        a = max(int(round(float(p.start) / HOP_S)), 0)
        b = min(int(round(float(p.end) / HOP_S)), m)
        mask[a:b] = True
    return mask


def phrases(phones: Sequence[Any], duration: float) -> list[Phrase]:
    """Runs of speech phones separated by silences of at least :data:`PAUSE_S`."""
    out: list[Phrase] = []
    for p in sorted(phones, key=lambda q: float(q.start)):
        if str(p.label) == "sil":
            continue
        a, b = float(p.start), min(float(p.end), duration)
        if out and a - out[-1].end < PAUSE_S:
            out[-1] = Phrase(out[-1].start, max(out[-1].end, b))
        else:
            out.append(Phrase(a, b))
    return out


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1:
        return x
    k = np.hanning(n + 2)[1:-1]
    return np.convolve(x, k / k.sum(), mode="same")


def accents(mel_db: np.ndarray, f0: np.ndarray, phones: Sequence[Any]) -> list[Accent]:
    """The syllable nuclei of a voice track with their strength (see module doc).

    Args:
        mel_db: ``(M, N_MELS)`` log-mel, dB, 10 ms columns
            (:func:`engine.model.features.mel_spectrogram`).
        f0: ``(M,)`` pitch, Hz, 0 where unvoiced (:func:`engine.audio.pitch.yin`).
        phones: timed phones (``"sil"`` = silence).
    """
    from engine.audio.pitch import semitones
    from engine.model.features import energy_db

    if len(mel_db) == 0:
        return []
    e = _smooth(energy_db(mel_db), max(int(round(SMOOTH_S / HOP_S)), 1))
    m = len(e)
    speech = speech_mask(phones, m)
    if not speech.any():
        return []
    level = float(np.percentile(e[speech], 90))
    st = semitones(f0)[:m]
    peaks = []
    gap = max(int(round(MIN_SYLLABLE_S / HOP_S)), 1)
    for j in range(1, m - 1):
        if not speech[j] or e[j] < e[j - 1] or e[j] < e[j + 1]:
            continue
        lo = e[max(j - gap, 0): j].min() if j > 0 else e[j]
        hi = e[j + 1: j + 1 + gap].min() if j + 1 < m else e[j]
        if e[j] - max(lo, hi) < PROMINENCE_DB and e[j] - min(lo, hi) < 2 * PROMINENCE_DB:
            continue
        peaks.append(j)
    # keep the louder of two peaks closer than a syllable
    kept: list[int] = []
    for j in sorted(peaks, key=lambda k: -e[k]):
        if all(abs(j - k) >= gap for k in kept):
            kept.append(j)
    out = []
    for j in sorted(kept):
        loud = float(np.clip((e[j] - (level - LOUD_RANGE_DB)) / LOUD_RANGE_DB, 0.0, 1.0))
        win = st[max(j - 5, 0): j + 6]
        pitch = float(win.max()) if len(win) and win.max() > 0 else 0.0
        strength = loud * (1.0 + float(np.clip(pitch / PITCH_ST, -0.5, 1.0)))
        out.append(Accent(round((j + 0.5) * HOP_S, 3), round(min(strength / 2.0, 1.0), 4)))
    return out
