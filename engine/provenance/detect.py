"""Finding the Talkie watermark in a video (see :mod:`engine.provenance.watermark`).

Demodulate the slow temporal wave over the first seconds, whiten, fold the
frame modulo the tile period at each candidate scale and cross-correlate with
the sync tile over every cyclic shift: cropping only shifts the tile phase,
and downscaling is found by the scale search. The payload is read only when
its CRC matches.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.provenance.watermark import (
    _SCALE_STEP,
    CELL,
    CRC_BITS,
    DETECT_FRAMES,
    DETECT_SECONDS,
    DS,
    DTILE,
    PAYLOAD_BITS,
    PHASES,
    SCALES,
    THRESHOLD,
    Detection,
    Frame,
    _crc8,
    _key,
    _remove_block_periodic,
    modulation,
)

log = logging.getLogger(__name__)


def _gray(frame: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Luminance ``(H, W) float32`` of an RGB or single-channel uint8 frame."""
    if frame.ndim == 3:
        return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return frame.astype(np.float32)


def _whiten(demod: NDArray[np.float32]) -> NDArray[np.float32]:
    """Normalise the demodulated luminance: remove its smooth part and divide
    by the local noise level (moving areas weigh less). ``(H, W) float32`` in +-4."""
    res = demod - cv2.GaussianBlur(demod, (0, 0), 12.0)
    local = np.sqrt(cv2.GaussianBlur(res * res, (0, 0), 16.0))
    local += 0.1 * float(np.median(local)) + 1e-3
    out: NDArray[np.float32] = np.clip(res / local, -4.0, 4.0)
    return out


def _fold(resid: NDArray[np.float32], scale: float) -> NDArray[np.float32]:
    """Resample ``resid`` to detector scale (export scale / DS) and fold it modulo DTILE.

    ``scale`` is the size of ``resid`` relative to the export. Returns
    ``(DTILE, DTILE) float32``: tile sums divided by sqrt(count).
    """
    h, w = resid.shape
    f = 1.0 / (scale * DS)
    nw, nh = max(int(round(w * f)), 1), max(int(round(h * f)), 1)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    r = cv2.resize(resid, (nw, nh), interpolation=interp)
    ph, pw = -(-nh // DTILE) * DTILE, -(-nw // DTILE) * DTILE
    padded = np.zeros((ph, pw), np.float32)
    padded[:nh, :nw] = r
    count = np.zeros((ph, pw), np.float32)
    count[:nh, :nw] = 1.0
    s = padded.reshape(ph // DTILE, DTILE, pw // DTILE, DTILE).sum(axis=(0, 2))
    c = count.reshape(ph // DTILE, DTILE, pw // DTILE, DTILE).sum(axis=(0, 2))
    folded = s / np.maximum(np.sqrt(c), 1.0)
    return _remove_block_periodic(folded.astype(np.float32))


def _correlate(folded: NDArray[np.float32]) -> tuple[float, int, int, int]:
    """Best cyclic shift of the sync tile in ``folded``, either sign.

    Returns ``(z, dy, dx, sign)``: the z-score of the largest |correlation|
    against the rest of the surface, its shift, and its sign (-1 when the
    mark is inverted, i.e. the video was cut half a period into the wave).
    """
    key = _key()
    spec = np.fft.rfft2(folded) * np.conj(np.fft.rfft2(key.sync_tile))
    corr = np.fft.irfft2(spec, s=folded.shape)
    iy, ix = np.unravel_index(int(np.argmax(np.abs(corr))), corr.shape)
    sign = 1 if corr[iy, ix] >= 0 else -1
    peak = float(corr[iy, ix]) * sign
    # Noise statistics away from the peak (the peak is ~2 chips wide).
    mask = np.ones_like(corr, dtype=bool)
    ys = (np.arange(-CELL // DS, CELL // DS + 1) + iy) % DTILE
    xs = (np.arange(-CELL // DS, CELL // DS + 1) + ix) % DTILE
    mask[np.ix_(ys, xs)] = False
    rest = corr[mask] * sign
    sd = float(rest.std()) + 1e-9
    return (peak - float(rest.mean())) / sd, int(iy), int(ix), sign


def _clean_score(folded: NDArray[np.float32], dy: int, dx: int) -> float:
    """z-score of the sync peak at (dy, dx), measured against noise only.

    The raw correlation surface also holds the mark's own sidelobes (its
    cyclic autocorrelation and its cross-talk with the payload chips), which
    would cap the raw z near the square root of the number of chips. So the
    aligned fold is fitted by least squares with the sync tile and the 40
    payload tiles (soft, whatever the bits are), the fit is removed, and the
    noise level is the spread of the correlation surface of what remains.
    """
    key = _key()
    aligned = np.roll(folded, (-dy, -dx), axis=(0, 1)).reshape(-1).astype(np.float64)
    basis = np.concatenate(
        [key.sync_tile.reshape(1, -1), key.bit_tiles.reshape(PAYLOAD_BITS, -1)]
    ).astype(np.float64)
    coef, *_ = np.linalg.lstsq(basis.T, aligned, rcond=None)
    rest = (aligned - basis.T @ coef).reshape(folded.shape)
    fs = np.conj(np.fft.rfft2(key.sync_tile))
    corr_rest = np.fft.irfft2(np.fft.rfft2(rest) * fs, s=folded.shape)
    peak = float(np.dot(aligned, key.sync_tile.reshape(-1)))
    sd = float(corr_rest.std()) + 1e-9
    return (peak - float(corr_rest.mean())) / sd


def _read_payload(folded: NDArray[np.float32], dy: int, dx: int) -> int | None:
    """Matched-filter the payload chips at shift (dy, dx); return the id if the CRC matches."""
    key = _key()
    aligned = np.roll(folded, (-dy, -dx), axis=(0, 1))
    soft = np.einsum("kij,ij->k", key.bit_tiles, aligned)
    bits = (soft > 0).astype(np.int64)
    word = 0
    for b in bits:
        word = (word << 1) | int(b)
    value, crc = word >> CRC_BITS, word & 0xFF
    if _crc8(value) != crc:
        return None
    return value


def _search(resid: NDArray[np.float32]) -> tuple[float, float, int, int, int]:
    """Best (z, scale, dy, dx, sign) over the scale grid, refined around the best coarse scale."""
    best = (-math.inf, 1.0, 0, 0, 1)
    h, w = resid.shape
    for s in SCALES:
        if min(h, w) / s < 64:
            continue
        z, dy, dx, sg = _correlate(_fold(resid, s))
        if z > best[0]:
            best = (z, s, dy, dx, sg)
    coarse = best[1]
    for f in np.exp(np.linspace(-_SCALE_STEP, _SCALE_STEP, 9)):
        s = float(coarse * f)
        z, dy, dx, sg = _correlate(_fold(resid, s))
        if z > best[0]:
            best = (z, s, dy, dx, sg)
    return best


def _frames_from_path(path: Path, max_seconds: float, limit: int) -> Iterator[tuple[Frame, float]]:
    import av  # local import keeps module import cheap

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        n = 0
        t0: float | None = None
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else n / rate
            if t0 is None:
                # Exports start at 0; a file whose first frame is later was cut.
                t0 = min(t, 0.0)
            if t - t0 > max_seconds or n >= limit:
                return
            yield np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8), t
            n += 1


def detect(
    source: Iterable[NDArray[np.uint8]] | str | Path,
    fps: float = 25.0,
    max_seconds: float = DETECT_SECONDS,
    max_frames: int = DETECT_FRAMES,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Detection:
    """Look for the Talkie watermark in a video.

    Args:
        source: a video file path (decoded with PyAV; frame times from the
            file) or an iterable of frames, each ``(H, W, 3) uint8`` RGB or
            ``(H, W) uint8`` luminance, all the same size, frame ``i`` at
            ``i / fps`` seconds.
        fps: frame rate of an iterable source (ignored for a path).
        max_seconds: only the first ``max_seconds`` of video are analysed.
        max_frames: and at most this many frames.
        progress: ``progress(fraction, message)``.
        cancel: checked between frames.

    Returns:
        :class:`Detection`. Raises ``ValueError`` if there are no frames, and
        PyAV's errors if a file cannot be decoded (``verify`` turns both into
        :class:`engine.errors.InputError`).
    """
    timed: Iterable[tuple[Frame, float]]
    if isinstance(source, str | Path):
        timed = _frames_from_path(Path(source), max_seconds, max_frames)
    else:
        timed = ((f, i / fps) for i, f in enumerate(source))
    acc_s: list[NDArray[np.float32]] = []  # per phase: sum of m(t + phase) * luminance
    acc_1: NDArray[np.float32] | None = None  # sum of luminance
    weights: list[list[float]] = [[] for _ in PHASES]
    for frame, t in timed:
        if cancel is not None:
            cancel.check()
        if t > max_seconds or len(weights) >= max_frames:
            break
        g = _gray(frame)
        if acc_1 is None:
            acc_1 = g.copy()
            acc_s = [np.zeros_like(g) for _ in PHASES]
        elif g.shape == acc_1.shape:
            acc_1 += g
        else:
            raise ValueError("frames differ in size")
        for k, ph in enumerate(PHASES):
            m = modulation(t + ph)
            acc_s[k] += g * m
            weights[k].append(m)
        progress(min(0.8, 0.8 * t / max_seconds), "Reading frames")
    if acc_1 is None:
        raise ValueError("no frames")
    n = len(weights[0])
    best: tuple[float, float, int, int, int] | None = None
    resid = acc_1
    progress(0.85, "Searching for the watermark")
    for k in range(len(PHASES)):
        mean_m = float(np.mean(weights[k]))
        norm = float(np.sum(np.abs(np.asarray(weights[k]) - mean_m)))
        if norm < 1.0:  # shorter than about half a period: nothing to demodulate
            continue
        # Zero-mean weights cancel everything static (the portrait) exactly.
        r = _whiten(((acc_s[k] - mean_m * acc_1) / norm).astype(np.float32))
        z, scale, dy, dx, sign = _search(r)
        # Phases are compared on the clean score: the raw z saturates near
        # sqrt(chips) and cannot tell a strong phase from a weaker one.
        clean = _clean_score(_fold(r, scale) * np.float32(sign), dy, dx)
        if best is None or clean > best[0]:
            best, resid = (clean, scale, dy, dx, sign), r
    if best is None:
        log.info("watermark: %d frames are too few to decide", n)
        return Detection(False, 0.0, 0.0, None, None, 1.0, n)
    score, scale, dy, dx, sign = best
    folded = _fold(resid, scale) * np.float32(sign)
    payload = _read_payload(folded, dy, dx)
    marked = score >= THRESHOLD
    if not marked:
        payload = None
    confidence = 1.0 / (1.0 + math.exp(-(score - THRESHOLD)))
    progress(1.0, "Done")
    log.debug("watermark score %.2f at scale %.3f shift (%d, %d)", score, scale, dy, dx)
    return Detection(
        marked=marked,
        confidence=float(confidence),
        score=float(score),
        payload=payload,
        export_id=f"{payload:08x}" if payload is not None else None,
        scale=float(scale),
        frames=n,
    )
