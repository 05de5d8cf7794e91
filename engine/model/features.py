"""Audio features of the speech model (numpy only, shared by training and inference).

The model hears, every 10 ms (:data:`HOP` samples at 16 kHz), :data:`CHANNELS`
values that do not belong to one voice:

- :data:`N_MELS` log-mel bands (25 ms Hann windows, 0 to 8 kHz), normalised per
  utterance: each band's mean over the speech columns is removed and the result
  divided by the pooled standard deviation (cepstral mean and variance
  normalisation in the mel domain), so that microphone, room, level and the
  speaker's average spectrum drop out;
- :data:`N_PHONE` phone-class channels: one-hot viseme classes
  (:data:`engine.motion.phonetic.VISEME_CLASSES`, and silence) of the phones
  pocketsphinx recognised, a recogniser trained on many voices;
- loudness relative to the utterance's speech level, pitch in octaves relative
  to the speaker's median (:mod:`engine.audio.pitch`), and voicing.

Video frame ``i`` at ``fps`` sees one window of :data:`WINDOW_S` seconds (0.2 s =
:data:`COLS` columns) centred on ``(i + 0.5) / fps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.audio.features import mel_filterbank

SAMPLE_RATE = 16000
HOP = 160
WIN = 400
N_FFT = 512
N_MELS = 40
WINDOW_S = 0.2
COLS = int(round(WINDOW_S * SAMPLE_RATE / HOP))  # 20
FLOOR_DB = -100.0
#: Columns within this many dB of the utterance's loudest (95th percentile) are speech
#: for the normalisation statistics.
SPEECH_DB = 30.0
#: Phone-class channels: silence, then the viseme classes in their table's order.
PHONE_CLASSES = ("sil", "closure", "labiodental", "rounded", "postalveolar", "spread", "open",
                 "dental", "alveolar", "velar")
N_PHONE = len(PHONE_CLASSES)
N_PROSODY = 3  # loudness, pitch, voicing
CHANNELS = N_MELS + N_PHONE + N_PROSODY
#: Version of this feature set, stored in the model's metadata.
FEATURES_VERSION = 2
_FB: np.ndarray | None = None
_BLOCK = 4096  # mel columns per FFT block (41 s of audio)


def columns(n_samples: int) -> int:
    """Number of 10 ms columns for ``n_samples`` samples."""
    return max(int(np.ceil(n_samples / HOP)), 1)


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """``(M, N_MELS) float32`` log-mel (dB) with column ``j`` centred on ``(j + 0.5) * HOP``."""
    global _FB
    if _FB is None:
        _FB = mel_filterbank(N_MELS, N_FFT)
    x = np.asarray(samples, np.float32).reshape(-1)
    m = columns(len(x))
    centres = (np.arange(m) * HOP + HOP // 2).astype(np.int64)
    pad = WIN
    xp = np.concatenate([np.zeros(pad, np.float32), x, np.zeros(pad + WIN, np.float32)])
    window = np.hanning(WIN).astype(np.float32)
    mel = np.empty((m, N_MELS), np.float32)
    # In blocks of columns: the FFT of a whole hour at once would need gigabytes.
    for a in range(0, m, _BLOCK):
        c = centres[a:a + _BLOCK]
        idx = (c - WIN // 2 + pad)[:, None] + np.arange(WIN)[None, :]
        spec = np.abs(np.fft.rfft(xp[idx] * window, n=N_FFT, axis=1)) ** 2
        mel[a:a + len(c)] = spec.astype(np.float32) @ _FB.T
    return (10.0 * np.log10(np.maximum(mel, 10.0 ** (FLOOR_DB / 10.0)))).astype(np.float32)


def phone_channels(phones: Sequence[Any], m: int) -> np.ndarray:
    """``(m, N_PHONE) float32`` one-hot phone class of each 10 ms column (silence if none)."""
    from engine.motion.phonetic import phone_class

    out = np.zeros((m, N_PHONE), np.float32)
    cls = np.zeros(m, np.int64)
    for p in phones:
        c = phone_class(str(p.label))
        if c is None:
            continue
        a = max(int(round(float(p.start) * SAMPLE_RATE / HOP)), 0)
        b = min(int(round(float(p.end) * SAMPLE_RATE / HOP)), m)
        if b > a:
            cls[a:b] = PHONE_CLASSES.index(c)
    out[np.arange(m), cls] = 1.0
    return out


def energy_db(mel_db: np.ndarray) -> np.ndarray:
    """``(M,) float64`` total mel power per column, dB."""
    return 10.0 * np.log10(np.sum(10.0 ** (np.asarray(mel_db, np.float64) / 10.0), 1) + 1e-12)


def speech_columns(mel_db: np.ndarray) -> np.ndarray:
    """``(M,) bool``: columns within :data:`SPEECH_DB` of the loudest."""
    e = energy_db(mel_db)
    if not len(e):
        return np.zeros(0, bool)
    return e >= np.percentile(e, 95) - SPEECH_DB


def normalise_mel(mel_db: np.ndarray) -> np.ndarray:
    """Per-utterance mean and variance normalisation of a log-mel: ``(M, N_MELS) float32``."""
    x = np.asarray(mel_db, np.float64)
    sp = speech_columns(x)
    ref = x[sp] if sp.sum() >= 5 else x
    mean = ref.mean(0, keepdims=True)
    std = float(np.sqrt(((ref - mean) ** 2).mean())) if len(ref) > 1 else 1.0
    out = (x - mean) / max(std, 1.0)
    return np.clip(out, -4.0, 4.0).astype(np.float32)


def prosody_channels(mel_db: np.ndarray, f0: np.ndarray, aperiodicity: np.ndarray
                     ) -> np.ndarray:
    """``(M, 3) float32``: loudness (dB under the speech level / 20), pitch (octaves from the
    median voiced F0, 0 when unvoiced), voicing (1 - aperiodicity)."""
    m = len(mel_db)
    e = energy_db(mel_db)
    loud = np.clip((e - (np.percentile(e, 95) if m else 0.0)) / 20.0, -3.0, 0.5)
    f = np.zeros(m)
    ff = np.asarray(f0, np.float64)[:m]
    f[: len(ff)] = ff
    v = f > 0
    pitch = np.zeros(m)
    if v.any():
        pitch[v] = np.clip(np.log2(f[v] / np.median(f[v])), -1.5, 1.5)
    ap = np.ones(m)
    aa = np.asarray(aperiodicity, np.float64)[:m]
    ap[: len(aa)] = aa
    return np.stack([loud, pitch, 1.0 - np.clip(ap, 0, 1)], 1).astype(np.float32)


def assemble(mel_db: np.ndarray, phones_onehot: np.ndarray, f0: np.ndarray,
             aperiodicity: np.ndarray) -> np.ndarray:
    """``(M, CHANNELS) float32`` model features from their raw parts (all at 10 ms)."""
    m = len(mel_db)
    ph = np.zeros((m, N_PHONE), np.float32)
    ph[:, 0] = 1.0
    n = min(m, len(phones_onehot))
    ph[:n] = phones_onehot[:n]
    return np.concatenate([normalise_mel(mel_db), ph,
                           prosody_channels(mel_db, f0, aperiodicity)], 1)


def silence_fill() -> np.ndarray:
    """``(CHANNELS,) float32`` the feature vector of a column outside the audio."""
    v = np.zeros(CHANNELS, np.float32)
    v[:N_MELS] = -4.0
    v[N_MELS] = 1.0                      # phone class: silence
    v[N_MELS + N_PHONE] = -3.0           # loudness: far under speech
    return v


def frame_windows(feats: np.ndarray, frames: int, fps: float, start: int = 0) -> np.ndarray:
    """``(frames, COLS, C) float32``: the 0.2 s windows of video frames ``start..start+frames-1``.

    Columns outside the audio are silence (:func:`silence_fill`).
    """
    m, c = feats.shape
    fill = silence_fill() if c == CHANNELS else np.full(c, float(feats.min()) if m else -4.0,
                                                         np.float32)
    centres = (np.arange(start, start + frames) + 0.5) / fps * SAMPLE_RATE / HOP
    first = np.round(centres - COLS / 2).astype(np.int64)
    idx = first[:, None] + np.arange(COLS)[None, :]
    out = np.asarray(feats, np.float32)[np.clip(idx, 0, max(m - 1, 0))] if m else \
        np.zeros((frames, COLS, c), np.float32)
    out[(idx < 0) | (idx >= m)] = fill
    return out
