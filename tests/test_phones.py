"""Phone recognition and audio features on real GRID audio."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from engine.audio import phones as phones_mod
from engine.audio.features import frame_count, log_mel, loudness
from engine.audio.phones import SAMPLE_RATE, Phone, recognise_phones
from engine.cancel import CancelToken
from engine.errors import Cancelled
from engine.media.audio import load_audio

CLIPS = ["bbaf2n", "lgif2p", "prwd6p", "swwv9a"]


def read_align(path: Path) -> list[tuple[float, float, str]]:
    rows = []
    for line in path.read_text().splitlines():
        a, b, w = line.split()
        rows.append((int(a) / 25000, int(b) / 25000, w))
    return rows


@pytest.fixture(scope="module")
def clips(grid: Path) -> dict[str, tuple[np.ndarray, list[tuple[float, float, str]]]]:
    out = {}
    for name in CLIPS:
        audio = load_audio(grid / "s1" / "audio" / f"{name}.flac")
        out[name] = (audio.samples, read_align(grid / "s1" / "align" / f"{name}.align"))
    return out


def check_cover(ph: list[Phone], duration: float) -> None:
    assert ph[0].start == 0.0
    assert ph[-1].end == pytest.approx(duration, abs=1e-6)
    for a, b in zip(ph, ph[1:], strict=False):
        assert a.end == pytest.approx(b.start, abs=1e-9)
        assert a.end > a.start
        assert not (a.label == b.label == "sil")
    for p in ph:
        assert p.label == p.label.lower() and p.label.isalpha()


def test_grid_clip_silence_where_align_says_sil(clips) -> None:
    for name, (x, align) in clips.items():
        ph = recognise_phones(x)
        check_cover(ph, len(x) / SAMPLE_RATE)
        lead_end = align[0][1] if align[0][2] == "sil" else 0.0
        tail_start = align[-1][0] if align[-1][2] == "sil" else len(x) / SAMPLE_RATE
        # Silence at the start and the end, as in the alignment (within 150 ms).
        assert ph[0].label == "sil" and ph[0].end >= lead_end - 0.15, (name, ph[:3])
        assert ph[-1].label == "sil" and ph[-1].start <= tail_start + 0.15, (name, ph[-3:])
        speech = [p for p in ph if p.label != "sil"]
        assert len(speech) >= 8, name  # six words
        # Nothing but silence well inside the alignment's sil stretches.
        for p in speech:
            assert p.end > lead_end - 0.1 and p.start < tail_start + 0.1, (name, p)


def test_silence_and_empty_input() -> None:
    assert recognise_phones(np.zeros(0, np.float32)) == []
    ph = recognise_phones(np.zeros(SAMPLE_RATE * 5, np.float32))
    assert [p.label for p in ph] == ["sil"]
    assert ph[0].end == pytest.approx(5.0)
    rng = np.random.default_rng(0)
    hiss = (rng.standard_normal(SAMPLE_RATE * 3) * 1e-4).astype(np.float32)  # -80 dBFS
    assert {p.label for p in recognise_phones(hiss)} == {"sil"}


def test_long_track_in_chunks_with_flat_memory(clips, grid: Path, monkeypatch) -> None:
    # About 3 minutes: 60 GRID clips back to back.
    names = sorted(p.stem for p in (grid / "s1" / "audio").glob("*.flac"))[:60]
    parts, aligns, t = [], [], 0.0
    for name in names:
        x = load_audio(grid / "s1" / "audio" / f"{name}.flac").samples
        parts.append(x)
        aligns += [(a + t, b + t, w) for a, b, w in
                   read_align(grid / "s1" / "align" / f"{name}.align")]
        t += len(x) / SAMPLE_RATE
    long = np.concatenate(parts)
    del parts
    assert len(long) / SAMPLE_RATE > 170

    sizes: list[int] = []
    real = phones_mod._decode_chunk

    def spy(decoder, samples):
        sizes.append(len(samples))
        return real(decoder, samples)

    monkeypatch.setattr(phones_mod, "_decode_chunk", spy)
    fractions: list[float] = []
    tracemalloc.start()
    ph = recognise_phones(long, progress=lambda f, m: fractions.append(f))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    check_cover(ph, len(long) / SAMPLE_RATE)
    limit = (phones_mod.CHUNK_SECONDS + phones_mod.CHUNK_SLACK) * SAMPLE_RATE
    assert len(sizes) >= 6 and max(sizes) <= limit
    # Python-side working memory is per chunk (~6 MB at most), not per track.
    assert long.nbytes > 10 * 1024 * 1024
    assert peak < 6 * 1024 * 1024, peak
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # Speech/silence agrees with the concatenated alignments.
    hop = 0.01
    n = int(len(long) / SAMPLE_RATE / hop)
    ref = np.zeros(n, bool)
    hyp = np.zeros(n, bool)
    for a, b, w in aligns:
        if w not in ("sil", "sp"):
            ref[int(a / hop): int(b / hop)] = True
    for p in ph:
        if p.label != "sil":
            hyp[int(p.start / hop): int(p.end / hop)] = True
    assert (ref == hyp).mean() > 0.88


def test_cancel_between_chunks() -> None:
    token = CancelToken()
    token.cancel()
    x = np.zeros(SAMPLE_RATE * 2, np.float32)
    with pytest.raises(Cancelled):
        recognise_phones(x, cancel=token)


def test_features_shapes_and_levels() -> None:
    fps = 25
    t = np.arange(int(2.02 * SAMPLE_RATE)) / SAMPLE_RATE
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    x[SAMPLE_RATE:] = 0.0
    n = frame_count(len(x) / SAMPLE_RATE, fps)
    assert n == round(2.02 * 25) == 50
    ld = loudness(x, fps)
    assert ld.shape == (n,) and ld.dtype == np.float32
    # RMS of a 0.5 sine is -9.0 dBFS; silence is at the floor.
    assert ld[5] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.2)
    assert ld[-5] == pytest.approx(-100.0)
    mel = log_mel(x, fps, n_mels=64)
    assert mel.shape == (n, 64) and mel.dtype == np.float32
    band = int(np.argmax(mel[5]))
    assert 5 <= band <= 20  # 440 Hz is low in a 0-8 kHz mel scale
    assert mel[-5].max() == pytest.approx(-100.0)
    assert frame_count(0.0, 25) == 0
