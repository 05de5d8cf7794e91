"""Audio features of the speech model (numpy only, shared by training and inference).

The model hears a log-mel spectrogram with a 10 ms hop (:data:`HOP` samples at
16 kHz, 25 ms Hann windows, :data:`N_MELS` bands from 0 to 8 kHz). Video frame
``i`` at ``fps`` sees one window of :data:`WINDOW_S` seconds (0.2 s = 20 mel
columns) centred on ``(i + 0.5) / fps``. Each clip's log-mel is normalised by
its own per-band median of its loudest half (a cheap, speaker- and
channel-independent normalisation), then divided by :data:`SCALE_DB`.
"""

from __future__ import annotations

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
SCALE_DB = 20.0
_FB: np.ndarray | None = None
_BLOCK = 4096  # mel columns per FFT block (41 s of audio)


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """``(M, N_MELS) float32`` log-mel (dB) with column ``j`` centred on ``(j + 0.5) * HOP``."""
    global _FB
    if _FB is None:
        _FB = mel_filterbank(N_MELS, N_FFT)
    x = np.asarray(samples, np.float32).reshape(-1)
    m = max(int(np.ceil(len(x) / HOP)), 1)
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


def normalise(mel: np.ndarray) -> np.ndarray:
    """Per-clip normalisation (see module docstring): ``(M, N_MELS) float32``."""
    energy = mel.mean(1)
    loud = mel[energy >= np.median(energy)] if len(mel) > 1 else mel
    ref = np.median(loud, axis=0, keepdims=True)
    out = (mel - ref) / SCALE_DB
    return np.clip(out, -4.0, 3.0).astype(np.float32)


def frame_windows(mel_norm: np.ndarray, frames: int, fps: float) -> np.ndarray:
    """``(frames, COLS, N_MELS) float32``: the 0.2 s window of each video frame.

    Columns outside the audio are filled with the clip's quietest level.
    """
    m = mel_norm.shape[0]
    fill = float(mel_norm.min()) if m else -4.0
    centres = (np.arange(frames) + 0.5) / fps * SAMPLE_RATE / HOP  # in columns (j + 0.5)
    first = np.round(centres - COLS / 2).astype(np.int64)
    idx = first[:, None] + np.arange(COLS)[None, :]
    lo, hi = int(min(idx.min(), 0)), int(max(idx.max() + 1, m))
    padded = np.full((hi - lo, mel_norm.shape[1]), fill, np.float32)
    padded[-lo: -lo + m] = mel_norm
    return padded[idx - lo]


def audio_windows(samples: np.ndarray, frames: int, fps: float) -> np.ndarray:
    """Model input for ``samples`` (16 kHz): ``(frames, COLS, N_MELS) float32``."""
    return frame_windows(normalise(mel_spectrogram(samples)), frames, fps)
