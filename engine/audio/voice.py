"""What the motion needs to know about a voice track, computed once per track.

:class:`Voice` holds the log-mel spectrogram, the pitch, the recognised phones
and the prosodic events (accents, phrases) of a voice track. The speech model's
features (:func:`engine.model.features.assemble`), the head and brow motion
(:func:`engine.motion.head.speech_head`) and the evaluation all read it, so a
change of direction (seed, liveliness, intensity) never analyses the audio again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.audio.prosody import Accent, Phrase


@dataclass(frozen=True, eq=False)
class Voice:
    """A voice track analysed for motion. Arrays are read-only.

    Attributes:
        samples: ``(N,) float32`` mono audio at 16 kHz.
        phones: timed phones (``"sil"`` = silence), seconds.
        mel: ``(M, 40) float32`` log-mel, dB, 10 ms columns
            (:func:`engine.model.features.mel_spectrogram`).
        f0: ``(M,) float32`` pitch, Hz, 0 where unvoiced (:func:`engine.audio.pitch.yin`).
        aperiodicity: ``(M,) float32`` 0..1.
        accents: stressed syllables (:func:`engine.audio.prosody.accents`).
        phrases: runs of speech between pauses (:func:`engine.audio.prosody.phrases`).
    """

    samples: np.ndarray
    phones: tuple[Any, ...]
    mel: np.ndarray
    f0: np.ndarray
    aperiodicity: np.ndarray
    accents: tuple[Accent, ...]
    phrases: tuple[Phrase, ...]

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.samples) / 16000.0

    @classmethod
    def analyse(cls, samples16k: np.ndarray, phones: Sequence[Any]) -> Voice:
        """Analyse a track (about 30 ms per second of audio on one core)."""
        from engine.audio.pitch import yin
        from engine.audio.prosody import accents, phrases
        from engine.model.features import mel_spectrogram

        x = np.ascontiguousarray(np.asarray(samples16k, np.float32).reshape(-1))
        mel = mel_spectrogram(x)
        f0, aper = yin(x)
        ph = tuple(phones)
        acc = tuple(accents(mel, f0, ph))
        for a in (x, mel, f0, aper):
            a.setflags(write=False)
        return cls(x, ph, mel, f0, aper, acc, tuple(phrases(ph, len(x) / 16000.0)))

    def features(self) -> np.ndarray:
        """``(M, CHANNELS) float32`` the speech model's input features."""
        from engine.model import features

        onehot = features.phone_channels(self.phones, len(self.mel))
        return features.assemble(self.mel, onehot, self.f0, self.aperiodicity)
