"""Audio analysis for the studio, Qt-free so that it runs in an analysis process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import engine
from gui import spectrum


def analyse_audio_file(path: str, progress: Callable[[float, str], None]) -> Any:
    """Decode, draw the spectrogram and find the phones (runs in an analysis process)."""
    progress(0.02, f"Reading {Path(path).name}")
    audio = engine.load_audio(path)
    progress(0.1, "Drawing the spectrogram")
    spec = spectrum.compute(audio.samples)
    analysis = engine.analyse_audio(
        audio, progress=lambda f, m: progress(0.15 + 0.85 * f, m or "Finding phones"))
    return analysis, spec
