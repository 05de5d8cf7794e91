"""Spectrogram data, Qt-free: the STFT of the 16 kHz analysis samples in dB.

25 ms Hann window, 10 ms hop, in dB relative to the loudest bin, floored at
-80 dB. Kept free of Qt so that it can run in an analysis process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16000
N_FFT = 400
HOP = 160
FLOOR_DB = -80.0
#: Most columns kept for the timeline; longer clips use a longer hop.
MAX_COLUMNS = 30000


@dataclass(frozen=True)
class Spectrogram:
    """``db``: ``(T, F) float32`` dB; column ``k`` starts at ``k * hop_s`` seconds."""

    db: np.ndarray
    hop_s: float
    max_hz: float

    def window(self, t0: float, t1: float) -> np.ndarray:
        """Columns between ``t0`` and ``t1`` seconds (padded with the floor before 0)."""
        n = max(1, int(round((t1 - t0) / self.hop_s)))
        a = int(round(t0 / self.hop_s))
        out = np.full((n, self.db.shape[1]), FLOOR_DB, dtype=np.float32)
        lo, hi = max(a, 0), min(a + n, self.db.shape[0])
        if hi > lo:
            out[lo - a:hi - a] = self.db[lo:hi]
        return out


def stft_db(samples: np.ndarray, hop: int = HOP, n_fft: int = N_FFT) -> np.ndarray:
    """``(T, n_fft // 2 + 1) float32`` power in dB (not normalised)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.shape[0] < n_fft:
        x = np.pad(x, (0, n_fft - x.shape[0]))
    frames = 1 + (x.shape[0] - n_fft) // hop
    win = np.hanning(n_fft).astype(np.float32)
    out = np.empty((frames, n_fft // 2 + 1), dtype=np.float32)
    step = 4096
    for s in range(0, frames, step):
        idx = np.arange(s, min(frames, s + step))[:, None] * hop + np.arange(n_fft)[None, :]
        spec = np.fft.rfft(x[idx] * win, axis=1)
        out[s:s + len(idx)] = 10.0 * np.log10(np.abs(spec) ** 2 + 1e-10)
    return out


def compute(samples: np.ndarray, rate: int = RATE) -> Spectrogram:
    hop = max(HOP, int(np.ceil(len(samples) / MAX_COLUMNS)))
    db = stft_db(samples, hop)
    db = np.maximum(db - float(db.max(initial=0.0)), FLOOR_DB).astype(np.float32)
    return Spectrogram(db, hop / rate, rate / 2)
