"""load_audio on real speech: the GRID FLACs and the same speech transcoded by PyAV.

Also the bad inputs (truncated mp3, WAV header with no samples, empty, text,
missing, a video without sound) and the helpers the MP4 tests share.
"""

from __future__ import annotations

import logging
import re
import wave
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.errors import AudioError, InputError
from engine.media import audio as audio_mod
from engine.media.audio import Audio, load_audio

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def speech(grid: Path) -> np.ndarray:
    """The reference clip as ``(N,) float32`` at 16 kHz, decoded without engine.media."""
    x, rate = decode_raw(speech_flac(grid))
    assert rate == 16000 and x.shape[0] == 1
    return x[0]


# --------------------------------------------------------------------------- FLAC


def test_grid_flacs_decode_exactly(grid: Path) -> None:
    files = sorted((grid / "s1" / "audio").glob("*.flac"))[:4]
    files += sorted((grid / "s4hq" / "audio").glob("*.flac"))[:2]
    assert len(files) == 6
    for f in files:
        a = load_audio(f)
        ref, rate = decode_raw(f)
        mono = ref.mean(axis=0)
        assert isinstance(a, Audio)
        assert a.sample_rate == 16000
        assert a.samples.dtype == np.float32 and a.samples.ndim == 1
        assert np.abs(a.samples).max() <= 1.0
        expect_s = ref.shape[1] / rate
        assert abs(a.duration - expect_s) <= 0.010, f.name
        if rate == 16000:
            np.testing.assert_allclose(a.samples, mono, atol=1e-6)
        else:
            _, r = best_lag_corr(resample(mono, rate, 16000), a.samples)
            assert r > 0.99
        assert a.original is not None and a.original.dtype == np.float32
        assert a.original.shape == ref.shape and a.original_rate == rate
        assert a.path == str(f)


# --------------------------------------------------------------------------- transcodes

# (file name, codec, rate, channels, container format)
TRANSCODES = [
    ("speech.mp3", "libmp3lame", 44100, 2, None),
    ("speech.ogg", "libopus", 48000, 1, "ogg"),
    ("speech.opus", "libopus", 48000, 2, None),
    ("speech.m4a", "aac", 44100, 2, None),
    ("speech8k.wav", "pcm_s16le", 8000, 1, None),
    ("speech48k.wav", "pcm_s16le", 48000, 2, None),
    ("speech6ch.wav", "pcm_s16le", 48000, 6, None),
    ("speech_u8.wav", "pcm_u8", 16000, 2, None),
    ("speech_s32.wav", "pcm_s32le", 32000, 1, None),
    ("speech_f64.wav", "pcm_f64le", 24000, 2, None),
    ("speech.mkv", "flac", 22050, 2, "matroska"),
    ("speech.mp4", "aac", 48000, 1, "mp4"),
]


@pytest.mark.parametrize("name,codec,rate,channels,fmt", TRANSCODES,
                         ids=[t[0] for t in TRANSCODES])
def test_transcoded_speech_round_trips(tmp_path: Path, speech: np.ndarray, name: str, codec: str,
                                       rate: int, channels: int, fmt: str | None) -> None:
    src = resample(speech, 16000, rate)
    path = tmp_path / name
    encode_audio(path, src, rate, codec, channels, fmt)
    a = load_audio(path)
    assert a.sample_rate == 16000 and a.samples.dtype == np.float32 and a.samples.ndim == 1
    assert abs(a.duration - speech.size / 16000) <= 0.010
    lag, r = best_lag_corr(speech, a.samples)
    assert abs(lag) < 800  # codec delay, if any, is small (the decoders remove priming)
    assert r > 0.99, f"correlation {r:.4f}"
    # Mixing down keeps the level of a voice copied on every channel.
    assert 0.9 < np.std(a.samples) / np.std(speech) < 1.1
    assert a.original is not None
    assert a.original.shape[0] == channels and a.original_rate == rate
    assert a.channels == channels


def test_video_sound_track_is_read(tmp_path: Path, speech: np.ndarray) -> None:
    from engine.media.mp4 import Mp4Writer

    path = tmp_path / "clip.mp4"
    n = int(round(speech.size / 16000 * 25))
    with Mp4Writer(path, 64, 48, 25, audio=speech[None], audio_rate=16000,
                   preset="ultrafast") as w:
        for _ in range(n):
            w.write(np.zeros((48, 64, 3), np.uint8))
    a = load_audio(path)
    assert abs(a.duration - n / 25) <= 0.010
    _, r = best_lag_corr(speech, a.samples)
    assert r > 0.99


def test_long_original_is_decoded_again(tmp_path: Path, speech: np.ndarray,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.wav"
    encode_audio(path, resample(speech, 16000, 48000), 48000, "pcm_s16le", 2)
    kept = load_audio(path)
    monkeypatch.setattr(audio_mod, "ORIGINAL_LIMIT_BYTES", 1000)
    dropped = load_audio(path)
    assert dropped.original is None and kept.original is not None
    np.testing.assert_array_equal(dropped.samples, kept.samples)
    again = np.concatenate(list(dropped.iter_original(1000, 50000)), axis=1)
    np.testing.assert_array_equal(again, kept.original[:, 1000:50000])
    whole = np.concatenate(list(dropped.iter_original()), axis=1)
    np.testing.assert_array_equal(whole, kept.original)
    part = np.concatenate(list(kept.iter_original(1000, 50000, chunk=4096)), axis=1)
    np.testing.assert_array_equal(part, kept.original[:, 1000:50000])


# --------------------------------------------------------------------------- bad inputs


def _refused(path: Path, *args: object, **kw: object) -> str:
    with pytest.raises(AudioError) as info:
        load_audio(path, *args, **kw)  # type: ignore[arg-type]
    assert isinstance(info.value, InputError)
    assert_sentence(str(info.value))
    return str(info.value)


def test_truncated_mp3(tmp_path: Path, speech: np.ndarray,
                       caplog: pytest.LogCaptureFixture) -> None:
    full = tmp_path / "full.mp3"
    encode_audio(full, resample(speech, 16000, 44100), 44100, "libmp3lame", 2)
    data = full.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    msg = _refused(cut)
    assert "cut short" in msg
    # Asked to, it uses the part that is there and says so in the log.
    with caplog.at_level(logging.WARNING, logger="engine.media.audio"):
        a = load_audio(cut, allow_truncated=True)
    assert 0.3 * speech.size / 16000 < a.duration < 0.7 * speech.size / 16000
    assert any("cut short" in r.getMessage() for r in caplog.records)
    # Only the header of the file is left: refused.
    head = tmp_path / "head.mp3"
    head.write_bytes(data[:300])
    _refused(head)


def test_truncated_wav_is_refused(tmp_path: Path, speech: np.ndarray) -> None:
    """A WAV whose header states 3 s but holds 1 s (a copy cut short): FFmpeg trims the
    stated length to the bytes present, so the loader reads the header itself."""
    full = tmp_path / "full.wav"
    with wave.open(str(full), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.resize(speech, 3 * 16000) * 32767).astype("<i2").tobytes())
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[: 44 + 2 * 16000])
    msg = _refused(cut)
    assert "cut short" in msg and "1.0 s" in msg and "3.0 s" in msg
    assert abs(load_audio(full).duration - 3.0) < 1e-3
    assert abs(load_audio(cut, allow_truncated=True).duration - 1.0) < 1e-3


def test_wav_header_without_samples(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    assert path.stat().st_size == 44
    assert "no sound" in _refused(path)


def test_empty_text_missing_and_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    assert "empty" in _refused(empty)
    text = tmp_path / "notes.wav"
    text.write_text("These are my notes, not a recording.\n" * 40)
    _refused(text)
    assert "does not exist" in _refused(tmp_path / "missing.flac")
    assert "is a folder" in _refused(tmp_path)
    long_name = tmp_path / ("a" * 260 + ".wav")   # longer than the file system allows
    assert "too long" in _refused(long_name)


def test_video_without_sound(grid: Path) -> None:
    video = sorted((grid / "s1" / "video").glob("*.mp4"))[0]
    assert "no sound track" in _refused(video)


def test_a_picture_given_as_the_voice(tmp_path: Path) -> None:
    """A portrait dropped where the voice goes: FFmpeg opens it as a one-frame video."""
    samples = Path(__file__).resolve().parents[1] / "assets" / "samples"
    assert "is a picture, not a sound file" in _refused(samples / "astronaut.png")
    jpeg = tmp_path / "portrait.jpg"
    cv2.imwrite(str(jpeg), cv2.imread(str(samples / "astronaut.png")))
    assert "is a picture, not a sound file" in _refused(jpeg)


def test_too_long_is_refused(grid: Path) -> None:
    assert "too long" in _refused(speech_flac(grid), max_duration=1.0)


def test_too_short_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "click.wav"
    encode_audio(path, np.zeros(100, np.float32), 16000, "pcm_s16le")
    assert "too short" in _refused(path)


# ------------------------------------------------------------- helpers (shared with test_mp4)

SPEECH = ("s1", "bbaf2n")  # a GRID clip used as the reference speech


def speech_flac(grid: Path) -> Path:
    return grid / SPEECH[0] / "audio" / f"{SPEECH[1]}.flac"


def decode_raw(path: Path) -> tuple[np.ndarray, int]:
    """Reference decode, independent of engine.media: ``(C, M) float32`` and rate."""
    with av.open(str(path)) as c:
        st = c.streams.audio[0]
        chunks = []
        rate = st.rate
        for f in c.decode(st):
            a = f.to_ndarray()
            if not f.format.is_planar:
                a = a.reshape(-1, f.layout.nb_channels).T
            if a.dtype == np.int16:
                a = a.astype(np.float32) / 32768.0
            chunks.append(a.astype(np.float32))
    return np.concatenate(chunks, axis=1), rate


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """``(n,) float32`` mono resampled with FFmpeg."""
    if rate_in == rate_out:
        return x.astype(np.float32)
    r = av.AudioResampler(format="flt", layout="mono", rate=rate_out)
    fr = av.AudioFrame.from_ndarray(x.reshape(1, -1).astype(np.float32), format="flt",
                                    layout="mono")
    fr.sample_rate = rate_in
    out = [g.to_ndarray().reshape(-1) for g in list(r.resample(fr)) + list(r.resample(None))]
    return np.concatenate(out)


def encode_audio(path: Path, x: np.ndarray, rate: int, codec: str, channels: int = 1,
                 fmt: str | None = None) -> None:
    """Write mono ``x`` (at ``rate``) copied to ``channels`` channels with ``codec``."""
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    data = np.ascontiguousarray(np.tile(x.astype(np.float32), (channels, 1)))
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=rate, layout=layout)
        fr = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
        fr.sample_rate = rate
        fr.pts = 0
        for p in s.encode(fr):
            c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def best_lag_corr(ref: np.ndarray, y: np.ndarray, max_lag: int = 2000) -> tuple[int, float]:
    """Lag (samples, y relative to ref) maximising correlation, and that correlation."""
    n = min(ref.size, y.size)
    a = ref[:n].astype(np.float64)
    b = y[:n].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xc = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    lag = int(lags[np.argmax(xc[lags])])
    if lag >= 0:
        aa, bb = a[: n - lag], b[lag:n]
    else:
        aa, bb = a[-lag:n], b[: n + lag]
    return lag, float(np.corrcoef(aa, bb)[0, 1])


_JARGON = re.compile(r"Traceback|Errno|Exception|NoneType|\bNone\b|<|>|\\n|object at")


def assert_sentence(message: str) -> None:
    """A user-facing message: a capitalised sentence ending in a full stop, no jargon."""
    assert message, "empty message"
    assert message[0].isupper() or message[0] in "./", message
    assert message.rstrip().endswith("."), message
    assert not _JARGON.search(message), message
    assert len(message) < 300, message
