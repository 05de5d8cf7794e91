"""Audio analysis for the studio, Qt-free so that it runs in an analysis process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import engine
from gui import spectrum


def analyse_audio_file(path: str, progress: Callable[[float, str], None]
                       ) -> tuple[engine.AudioAnalysis, spectrum.Spectrogram]:
    """Decode, find the phones (:func:`engine.open_voice`) and draw the spectrogram
    (runs in an analysis process)."""
    voice = engine.open_voice(
        Path(path), progress=lambda f, m: progress(0.02 + 0.93 * f, m or "Finding phones"))
    progress(0.96, "Drawing the spectrogram")
    return voice, spectrum.compute(voice.audio.samples)
