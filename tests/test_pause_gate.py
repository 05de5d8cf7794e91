"""The pause gate: rest in pauses of real GRID speech, its edge cases, and its fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.model.data import read_align
from engine.model.pause_gate import (
    GRID,
    GateClip,
    GateParams,
    fit_gate,
    gate_from_loudness,
    gate_score,
    speech_gate,
)

FPS = 25.0


def _clip(grid: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(samples 16 kHz, align silence (T,) bool)`` of a GRID s1 clip."""
    from engine.media.audio import load_audio

    samples = load_audio(grid / "s1" / "audio" / f"{name}.flac").samples
    frames = int(len(samples) / 16000 * FPS)
    sil = read_align(grid / "s1" / "align" / f"{name}.align", frames, FPS)
    assert sil is not None
    return samples, sil


@pytest.mark.parametrize("name", ["bbaf2n", "lgbs6n", "swwv9a"])
def test_gate_rests_in_the_clips_pauses_and_not_in_its_words(grid: Path, name: str) -> None:
    from engine.model.inference import load_model

    samples, sil = _clip(grid, name)
    gate = speech_gate(samples, len(sil), FPS, load_model().gate)  # the shipped constants
    assert gate.shape == sil.shape and gate.dtype == np.float32
    # more than 3 frames (the fade) from any word, the face is at rest
    words = np.flatnonzero(~sil)
    far = np.array([np.abs(words - i).min() > 3 for i in range(len(sil))])
    assert far.sum() > 10 and np.all(gate[far] == 0)
    # and the words are (mostly: quiet fricatives next to a pause rest too) open to the model
    assert gate[~sil].mean() > 0.7


def test_digital_silence_rests_and_a_flat_track_speaks() -> None:
    assert np.all(speech_gate(np.zeros(32000, np.float32), 50, FPS) == 0)
    assert np.all(gate_from_loudness(np.full(50, -20.0), FPS) == 1)
    assert gate_from_loudness(np.zeros(0), FPS).shape == (0,)


def test_short_quiet_runs_stay_speech_and_long_ones_rest() -> None:
    p = GateParams(fraction=0.5, min_pause_s=0.2, reach_s=0.0)
    loud = np.full(60, -20.0)
    loud[20:23] = -60.0  # 0.12 s: a gap between words
    loud[35:50] = -60.0  # 0.6 s: a pause
    g = gate_from_loudness(loud, FPS, p)
    assert np.all(g[20:23] == 1) and np.all(g[35:50] == 0)


def test_the_gate_fades_into_a_pause_over_its_reach() -> None:
    p = GateParams(fraction=0.5, min_pause_s=0.2, reach_s=0.12)  # 3 frames
    loud = np.full(40, -20.0)
    loud[10:30] = -45.0
    g = gate_from_loudness(loud, FPS, p)
    np.testing.assert_allclose(g[10:13], [0.75, 0.5, 0.25])
    np.testing.assert_allclose(g[27:30], [0.25, 0.5, 0.75])
    assert np.all(g[13:27] == 0)


def test_fit_on_real_clips_beats_the_default_and_stays_on_the_grid(grid: Path,
                                                                   tmp_path: Path) -> None:
    from engine.model.data import prepare_clip
    from engine.model.dataset import load_clip
    from engine.model.pause_gate import gate_clip

    clips = []
    for name in ("bbaf2n", "lgbs6n"):
        out = tmp_path / f"{name}.npz"
        prepare_clip(grid / "s1" / "video" / f"{name}.mp4", out)
        clips.append(gate_clip(load_clip(out)))
    params, score = fit_gate(clips)
    assert params.fraction in GRID["fraction"] and params.reach_s in GRID["reach_s"]
    assert score == pytest.approx(gate_score(clips, params))
    assert score >= gate_score(clips, GateParams())
    assert 0.5 < score <= 1.0


def test_score_rewards_resting_where_the_real_mouth_rests() -> None:
    t = 50
    loud = np.full(t, -20.0)
    loud[:15] = -40.0  # a pause, not digital silence
    silence = np.zeros(t, bool)
    silence[:15] = True
    opening = np.where(silence, 0.0, 0.05).astype(np.float32)
    clip = GateClip(loud.astype(np.float32), silence, opening, np.ones(t, bool), FPS)
    exact = gate_score([clip], GateParams(0.5, 0.2, 0.0))
    # a 6-frame fade keeps the 3 pause frames nearest the speech at >= 0.5: 12/15 at rest
    wide = gate_score([clip], GateParams(0.5, 0.2, 0.24))
    assert exact == pytest.approx(1.0) and wide == pytest.approx(0.5 * (12 / 15 + 1))
