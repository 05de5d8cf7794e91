"""Voice pitch (F0) with the YIN method (de Cheveigné and Kawahara, JASA 2002), numpy only.

Used for prosody: the speech model hears the pitch contour (speaker-normalised),
and the head and brow motion follow pitch accents. Frames are 10 ms apart
(:data:`HOP` samples at 16 kHz); frame ``j`` is centred on ``(j + 0.5) * HOP``,
like :func:`engine.model.features.mel_spectrogram`'s columns. Work is done in
blocks, so memory stays flat for long tracks.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
HOP = 160
#: YIN runs on the audio decimated to this rate (voice pitch is far below 4 kHz).
RATE = 8000
_DOWN = SAMPLE_RATE // RATE
_HOP = HOP // _DOWN
#: Pitch search range, Hz (adult and child speech).
F0_MIN, F0_MAX = 60.0, 420.0
#: Integration window of the difference function, samples at :data:`RATE` (20 ms).
WIN = 160
#: A frame is voiced when the cumulative-mean-normalised difference dips below this.
#: YIN's paper uses 0.1-0.2 for clean speech; CREMA-D's rough recordings are voiced in
#: one frame in 20 at 0.2, and GRID s1's voicing barely changes between 0.2 and 0.35.
THRESHOLD = 0.35
#: Frames quieter than this under the track's loudest (95th percentile) are unvoiced.
QUIET_DB = 40.0
_BLOCK = 2048


def _decimate(x: np.ndarray) -> np.ndarray:
    """``x`` at 16 kHz -> 8 kHz: a 33-tap windowed-sinc low-pass at 3.6 kHz, every 2nd sample."""
    n = np.arange(-16, 17)
    h = np.sinc(2 * 3600 / SAMPLE_RATE * n) * np.hamming(len(n))
    h /= h.sum()
    return np.convolve(x, h.astype(np.float32), mode="same")[::_DOWN].astype(np.float32)


def yin(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F0 of 16 kHz speech.

    Args:
        samples: ``(N,) float32`` mono audio at 16 kHz.

    Returns:
        ``(f0 (M,) float32 Hz, 0 where unvoiced; aperiodicity (M,) float32 0..1, low =
        clearly periodic)`` with ``M = ceil(N / HOP)``.
    """
    x16 = np.asarray(samples, np.float32).reshape(-1)
    m = max(int(np.ceil(len(x16) / HOP)), 1)
    x = _decimate(x16) if len(x16) else x16
    tau_min = int(RATE // F0_MAX)
    tau_max = int(np.ceil(RATE / F0_MIN))
    length = WIN + tau_max + 1
    nfft = 1 << int(np.ceil(np.log2(length + WIN)))
    f0 = np.zeros(m, np.float32)
    aper = np.ones(m, np.float32)
    power = np.zeros(m, np.float64)
    pad = length
    xp = np.concatenate([np.zeros(pad, np.float32), x, np.zeros(pad + length, np.float32)])
    for a in range(0, m, _BLOCK):
        b = min(a + _BLOCK, m)
        first = np.arange(a, b) * _HOP + _HOP // 2 - WIN // 2 + pad
        fr = xp[first[:, None] + np.arange(length)[None, :]].astype(np.float64)
        head = fr[:, :WIN]
        # r(tau) = sum_j x_j x_{j+tau} over the window, for every tau at once
        spec = np.fft.rfft(fr, nfft) * np.conj(np.fft.rfft(head, nfft))
        r = np.fft.irfft(spec, nfft)[:, : tau_max + 1]
        sq = np.concatenate([np.zeros((len(fr), 1)), np.cumsum(fr * fr, axis=1)], axis=1)
        e0 = sq[:, WIN]
        taus = np.arange(tau_max + 1)
        et = sq[:, taus + WIN] - sq[:, taus]
        d = np.maximum(e0[:, None] + et - 2.0 * r, 0.0)
        d[:, 0] = 0.0
        cum = np.cumsum(d[:, 1:], axis=1) / np.arange(1, tau_max + 1)[None, :]
        dn = np.ones_like(d)
        dn[:, 1:] = d[:, 1:] / np.maximum(cum, 1e-12)
        sub = dn[:, tau_min:tau_max]
        below = sub < THRESHOLD
        # the first dip under the threshold (then its local minimum), else the global minimum
        first = np.where(below.any(1), below.argmax(1), sub.argmin(1))
        # walk down from the first dip to its local minimum: the first column at or after
        # it where the curve stops falling
        cols = np.arange(sub.shape[1])[None, :]
        rising = np.ones_like(sub, dtype=bool)
        rising[:, :-1] = sub[:, 1:] >= sub[:, :-1]
        idx = np.argmax(rising & (cols >= first[:, None]), axis=1)
        val = sub[np.arange(len(sub)), idx]
        # parabolic interpolation of the dip
        lo = np.clip(idx - 1, 0, sub.shape[1] - 1)
        hi = np.clip(idx + 1, 0, sub.shape[1] - 1)
        y0, y1, y2 = sub[np.arange(len(sub)), lo], val, sub[np.arange(len(sub)), hi]
        den = y0 - 2 * y1 + y2
        frac = np.where(np.abs(den) > 1e-12, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
        tau = tau_min + idx + np.clip(frac, -1, 1)
        voiced = val < THRESHOLD
        f0[a:b] = np.where(voiced, RATE / np.maximum(tau, 1.0), 0.0)
        aper[a:b] = np.clip(val, 0.0, 1.0)
        power[a:b] = e0 / WIN
    db = 10.0 * np.log10(power + 1e-12)
    loud = float(np.percentile(db, 95)) if len(db) else 0.0
    quiet = db < loud - QUIET_DB
    f0[quiet] = 0.0
    aper[quiet] = 1.0
    return _clean(f0), aper


def _clean(f0: np.ndarray) -> np.ndarray:
    """Remove octave jumps and isolated voiced frames: a 5-frame median of voiced runs."""
    out = f0.copy()
    v = out > 0
    # isolated single voiced/unvoiced frames are errors
    iso = v & ~np.roll(v, 1) & ~np.roll(v, -1)
    out[iso] = 0.0
    v = out > 0
    if v.sum() < 3:
        return out
    logf = np.where(v, np.log2(np.maximum(out, 1e-6)), np.nan)
    pad = np.concatenate([np.full(2, np.nan), logf, np.full(2, np.nan)])
    win = np.lib.stride_tricks.sliding_window_view(pad, 5)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(win, axis=1)
    # a frame an octave-ish away from its neighbourhood's median takes the median
    jump = v & (np.abs(logf - med) > 0.4)
    out[jump] = np.exp2(med[jump])
    return out.astype(np.float32)


def semitones(f0: np.ndarray) -> np.ndarray:
    """``(M,) float32``: semitones relative to the track's median voiced F0 (0 if unvoiced)."""
    f = np.asarray(f0, np.float64)
    v = f > 0
    if not v.any():
        return np.zeros(len(f), np.float32)
    ref = float(np.median(f[v]))
    return np.where(v, 12.0 * np.log2(np.maximum(f, 1e-6) / ref), 0.0).astype(np.float32)
