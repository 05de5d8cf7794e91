"""The shipped generator on long tracks: run in chunks, as if in one piece."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import engine.model.inference as inference


def test_long_tracks_run_in_chunks_like_one_piece(grid: Path, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    from engine.audio.voice import Voice
    from engine.media.audio import load_audio

    clips = sorted((grid / "s1" / "audio").glob("*.flac"))[:50]
    samples = np.concatenate([load_audio(p).samples for p in clips])  # 2.5 min of speech
    frames = int(len(samples) / 16000 * 25)
    assert frames > 2 * inference.CHUNK
    model = inference.load_model()
    # the phones do not matter to the chunking (without them the features say silence)
    feats = Voice.analyse(samples, []).features()
    chunked = model.run(feats, frames, seed=2)
    monkeypatch.setattr(inference, "CHUNK", 10**9)
    whole = model.run(feats, frames, seed=2)
    for a, b in zip(chunked, whole, strict=True):
        assert a.shape == b.shape
        assert np.abs(a - b).max() < max(1e-3 * float(np.abs(b).max()), 2e-5)
