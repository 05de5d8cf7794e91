"""Per-video-frame audio features: loudness and a log-mel spectrogram.

Frame ``i`` of a video at ``fps`` shows the time ``[i / fps, (i + 1) / fps)``;
its features are measured on a window centred on ``(i + 0.5) / fps``. Audio
beyond either end counts as silence. Everything is computed in blocks of
frames so that memory stays flat for long audio.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
#: Level given to digital silence, dB.
FLOOR_DB = -100.0
_BLOCK_FRAMES = 2048


def frame_count(duration: float, fps: float) -> int:
    """Number of video frames for ``duration`` seconds: ``round(duration * fps)``."""
    return int(round(duration * fps))


def _frame_windows(
    samples: np.ndarray, fps: float, window: int, start: int, stop: int
) -> np.ndarray:
    """``(stop - start, window) float32`` audio windows centred on frames ``start..stop-1``."""
    n = len(samples)
    centres = np.round((np.arange(start, stop) + 0.5) * SAMPLE_RATE / fps).astype(np.int64)
    first = int(centres[0]) - window // 2
    last = int(centres[-1]) - window // 2 + window
    lo, hi = max(first, 0), min(last, n)
    seg = np.zeros(last - first, np.float32)
    if hi > lo:
        seg[lo - first : hi - first] = samples[lo:hi]
    idx = (centres - window // 2 - first)[:, None] + np.arange(window)[None, :]
    return seg[idx]


def loudness(
    samples: np.ndarray, fps: float, window_s: float | None = None
) -> np.ndarray:
    """Loudness of each video frame.

    Args:
        samples: ``(N,) float32`` mono audio at 16 kHz in [-1, 1].
        fps: video frame rate.
        window_s: RMS window length in seconds, centred on each frame;
            default ``max(1 / fps, 0.04)``.

    Returns:
        ``(T,) float32`` RMS level in dBFS (0 dB = full-scale square wave,
        :data:`FLOOR_DB` for digital silence), ``T = frame_count(N / 16000, fps)``.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    t = frame_count(len(x) / SAMPLE_RATE, fps)
    out = np.full(t, FLOOR_DB, np.float32)
    if t == 0:
        return out
    win_s = window_s if window_s is not None else max(1.0 / fps, 0.04)
    window = max(int(round(win_s * SAMPLE_RATE)), 1)
    floor = 10.0 ** (FLOOR_DB / 10.0)
    for start in range(0, t, _BLOCK_FRAMES):
        stop = min(start + _BLOCK_FRAMES, t)
        w = _frame_windows(x, fps, window, start, stop).astype(np.float64)
        power = np.mean(w * w, axis=1)
        out[start:stop] = 10.0 * np.log10(np.maximum(power, floor))
    return out


def hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int, n_fft: int, fmin: float = 0.0, fmax: float = SAMPLE_RATE / 2
) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1) float32`` triangular HTK-mel filters, unit peak."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / SAMPLE_RATE)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(fmin)), hz_to_mel(np.array(fmax)),
                                   n_mels + 2))
    fb = np.zeros((n_mels, len(bins)), np.float64)
    for m in range(n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (bins - lo) / max(mid - lo, 1e-9)
        down = (hi - bins) / max(hi - mid, 1e-9)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    return fb.astype(np.float32)


def log_mel(
    samples: np.ndarray, fps: float, n_mels: int = 64, n_fft: int = 1024
) -> np.ndarray:
    """Log-mel spectrogram with one column per video frame (for display and analysis).

    Args:
        samples: ``(N,) float32`` mono audio at 16 kHz in [-1, 1].
        fps: video frame rate; frame ``i``'s Hann window (``n_fft`` samples,
            64 ms by default) is centred on ``(i + 0.5) / fps``.
        n_mels: number of mel bands between 0 and 8 kHz.
        n_fft: FFT / window length in samples.

    Returns:
        ``(T, n_mels) float32`` band power in dB (``10 log10``, floored at
        :data:`FLOOR_DB`), low bands first, ``T = frame_count(N / 16000, fps)``.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    t = frame_count(len(x) / SAMPLE_RATE, fps)
    out = np.full((t, n_mels), FLOOR_DB, np.float32)
    if t == 0:
        return out
    fb = mel_filterbank(n_mels, n_fft)
    hann = np.hanning(n_fft).astype(np.float32)
    norm = float(np.sum(hann) ** 2) / 4.0  # a full-scale sine peaks near 0 dB
    floor = 10.0 ** (FLOOR_DB / 10.0)
    for start in range(0, t, _BLOCK_FRAMES):
        stop = min(start + _BLOCK_FRAMES, t)
        w = _frame_windows(x, fps, n_fft, start, stop) * hann
        spec = np.abs(np.fft.rfft(w, axis=1)) ** 2 / norm
        mel = spec.astype(np.float32) @ fb.T
        out[start:stop] = 10.0 * np.log10(np.maximum(mel, floor))
    return out
