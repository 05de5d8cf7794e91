"""Invisible, robust video watermark: a keyed spread-spectrum tile in luminance.

Design (measurements in ``docs/provenance.md``):

* **Pattern.** A keyed tile of ``TILE`` x ``TILE`` pixels (256 px at the
  export resolution) built from a 16 x 16 grid of +-1 chips, one chip every
  ``CELL`` = 16 px, bilinearly interpolated into a smooth random field and
  repeated over the whole frame from its top-left pixel. 136 of the 256
  chips form the fixed *sync* pattern (the Talkie marker, the same in every
  export); the other 120 carry the 40-bit payload (32-bit export id +
  CRC-8), three chips per bit, each sign-scrambled by the key. The part of
  the tile that repeats every 32 px is removed, so H.264's 4/8/16 px block
  artefacts cannot correlate with it.
* **Embedding.** The same offset is added to R, G and B (luminance only, no
  colour shift). Its amplitude follows local texture (perceptual masking):
  ``A_FLAT`` = 0.3 grey levels on flat areas, which rounds to no change,
  rising with the eroded local |Laplacian| to ``A_MAX`` in hair, fabric and
  foliage, fading near black and white, and scaled down on any frame that
  would fall below ``MIN_PSNR``. It is computed at 1/16 resolution, then
  one bilinear upsample and saturating uint8 adds (~3 ms at 1024 x 1024).
  The H.264 export adds it to the encoder's luma plane instead
  (:meth:`Watermarker.embed_luma`: the same mark in the decoded picture, at
  half the CPU time).
* **Temporal.** The sign of the mark follows :func:`modulation`, a slow
  trapezoid wave in *seconds* (``PERIOD`` 1.2 s). The detector weights each
  frame by the wave minus its mean, which cancels a still picture exactly:
  the portrait, which dominates a Talkie export, no longer masks the mark.
  Being defined in seconds, it survives frame-rate conversion.
* **Detection.** Decode the first ``DETECT_SECONDS`` of luminance;
  demodulate at three time offsets (``PHASES``, each with either sign, so a
  video cut anywhere in the wave is still found); high-pass and divide by
  the local noise. For each scale on a log grid (``SCALES``: 0.42x to 1.08x
  of the export size, then refined) resample to 1/``DS`` of the export
  scale, fold modulo the tile period and cross-correlate with the sync tile
  over every cyclic shift with one FFT (cropping only shifts the tile's
  phase, so it costs nothing). The score is the z-value of the peak
  against the correlation surface once a least-squares fit of the mark
  itself is removed (:func:`_clean_score`); the mark is reported when it
  reaches ``THRESHOLD``. The payload is read at the peak by matched
  filtering and reported only if its CRC matches.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import cv2
import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Frame: TypeAlias = NDArray[np.uint8]

#: Tile period in pixels at the export resolution.
TILE = 256
#: Chip spacing in pixels at the export resolution.
CELL = 16
#: Chips per tile side.
GRID = TILE // CELL
#: Payload: 32-bit export id + CRC-8.
ID_BITS = 32
CRC_BITS = 8
PAYLOAD_BITS = ID_BITS + CRC_BITS
CHIPS_PER_BIT = 3
#: The detector works at 1/DS of the export resolution (the mark is smooth).
DS = 4
#: Tile period in detector pixels.
DTILE = TILE // DS
#: Amplitude (grey levels, 0..255 scale) on flat areas and in detailed areas.
A_FLAT = 0.3
A_MAX = 4.0
#: Amplitudes are scaled down on frames that would otherwise fall below this PSNR (dB).
MIN_PSNR = 41.5
_MAX_MSE = 255.0**2 / 10 ** (MIN_PSNR / 10)
#: The mark on limited-range video luma, per grey level of the mark on R, G and B.
#: 219/255 = 0.86 in exact arithmetic; rounding each of R, G and B to whole levels
#: carries more of the small offsets than one rounding on luma does, and 0.93 gives
#: the same mark in the decoded picture (measured: regression slope 0.98 against
#: the RGB mark, PSNR 43.6 against 44.0 dB).
LUMA_GAIN = 0.93
#: Texture (mean |Laplacian| at 1/4 resolution) mapped to amplitude: A = A_FLAT + GAIN * tex.
GAIN = 0.45
#: Detector decision threshold on the z-score of the sync correlation peak.
#: Chosen with a wide margin over the null distribution of real, unmarked
#: video (see docs/provenance.md for the measured null maximum).
THRESHOLD = 9.0
#: The detector reads at most this much video from the start, and this many frames.
DETECT_SECONDS = 2.4
DETECT_FRAMES = 150
#: Key of the Talkie watermark. Public: this is a provenance signal, not DRM.
KEY = b"talkie-provenance-watermark-v1"

_SCALE_MIN, _SCALE_MAX, _SCALE_STEP = 0.42, 1.08, 0.018
#: Coarse log-spaced scale grid (attacked size / export size) the detector searches.
SCALES: tuple[float, ...] = tuple(
    float(s)
    for s in np.exp(
        np.arange(math.log(_SCALE_MIN), math.log(_SCALE_MAX) + 1e-9, _SCALE_STEP)
    )
)


#: Period of the temporal sign modulation, seconds, and its ramp time.
PERIOD = 1.2
RAMP = 0.16
#: Time offsets (s) at which the detector demodulates, each with either sign:
#: a video cut anywhere in the wave stays within PERIOD / 12 of one of them.
PHASES = (0.0, PERIOD / 6, PERIOD / 3)


def modulation(t: float) -> float:
    """Sign of the mark at time ``t`` seconds: a trapezoid wave in [-1, 1].

    +1 for the first half of each ``PERIOD`` and -1 for the second, with
    raised-cosine ramps of ``RAMP`` s between them so the change is gradual.
    Its mean over whole periods is 0, which lets the detector cancel a
    static picture exactly.
    """
    half = PERIOD / 2
    u = t % PERIOD
    sign = 1.0 if u < half else -1.0
    v = u % half  # time since the last sign change
    if v < RAMP / 2:  # second half of the ramp into this sign
        return sign * math.sin(math.pi / 2 * (0.5 + v / RAMP))
    if v > half - RAMP / 2:  # first half of the ramp out of it
        return sign * math.sin(math.pi / 2 * (0.5 + (half - v) / RAMP))
    return sign


@dataclass(frozen=True)
class Detection:
    """What :func:`detect` found.

    Attributes:
        marked: True if the Talkie watermark is present (``score >= THRESHOLD``).
        confidence: 0..1, a logistic map of ``score`` centred on the threshold
            (0.5 at the threshold, > 0.99 at threshold + 5).
        score: z-value of the sync correlation peak (unmarked video: ~3-6).
        payload: the 32-bit export id read from the mark, or None if the
            mark was not found or its CRC did not match.
        export_id: ``payload`` as 8 lower-case hex digits (the first 8 hex
            digits of the export id written in the metadata), or None.
        scale: the frame scale at which the mark was found (1.0 = export size).
        frames: number of frames analysed.
    """

    marked: bool
    confidence: float
    score: float
    payload: int | None
    export_id: str | None
    scale: float
    frames: int


def _crc8(value: int) -> int:
    """CRC-8 (polynomial 0x07) of a 32-bit value, big-endian bytes."""
    crc = 0
    for byte in value.to_bytes(4, "big"):
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def payload_bits(payload: int) -> NDArray[np.int8]:
    """``(PAYLOAD_BITS,) int8`` of +-1: 32 id bits (MSB first) then CRC-8."""
    if not 0 <= payload < 2**ID_BITS:
        raise ValueError("payload must be a 32-bit unsigned integer")
    word = (payload << CRC_BITS) | _crc8(payload)
    bits = [(word >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)]
    return (np.array(bits, dtype=np.int8) * 2 - 1).astype(np.int8)


def payload_from_export_id(export_id: str) -> int:
    """The 32-bit payload for an export id.

    A hex export id (e.g. ``uuid4().hex``) gives its first 8 hex digits, so the
    watermark's id can be compared with the id in the metadata; any other
    string gives the first 4 bytes of its SHA-256.
    """
    head = export_id.strip().lower().replace("-", "")[:8]
    if len(head) == 8 and all(c in "0123456789abcdef" for c in head):
        return int(head, 16)
    return int.from_bytes(hashlib.sha256(export_id.encode("utf-8")).digest()[:4], "big")


@dataclass(frozen=True)
class _Key:
    sync_chips: NDArray[np.float32]  # (GRID, GRID), 0 where a payload chip is
    payload_sign: NDArray[np.float32]  # (GRID, GRID) +-1 scramble
    bit_of_cell: NDArray[np.int16]  # (GRID, GRID) bit index or -1 for sync
    sync_tile: NDArray[np.float32]  # (DTILE, DTILE) detector reference, zero-mean
    bit_tiles: NDArray[np.float32]  # (PAYLOAD_BITS, DTILE, DTILE) matched filters


def _upsample_tile(chips: NDArray[np.float32]) -> NDArray[np.float32]:
    """Full-resolution periodic tile ``(TILE, TILE)`` of a chip grid, as embedded."""
    big = np.tile(chips, (3, 3))
    up = cv2.resize(big, (3 * TILE, 3 * TILE), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(up[TILE : 2 * TILE, TILE : 2 * TILE], dtype=np.float32)


def _detector_tile(chips: NDArray[np.float32]) -> NDArray[np.float32]:
    """The tile as the detector sees it: ``(DTILE, DTILE)``, area-downsampled by DS."""
    t = _upsample_tile(chips)
    return t.reshape(DTILE, DS, DTILE, DS).mean(axis=(1, 3)).astype(np.float32)


def _remove_block_periodic(
    tile: NDArray[np.float32], period: int = 32 // DS
) -> NDArray[np.float32]:
    """Subtract the component of a square detector tile that repeats every ``period`` px.

    (32 export pixels: H.264's 4/8/16 px block grid at scale 1 and 0.5.)
    """
    n = tile.shape[0] // period
    blocks = tile.reshape(n, period, n, period)
    periodic = blocks.mean(axis=(0, 2))
    return (tile - np.tile(periodic, (n, n))).astype(np.float32)


@lru_cache(maxsize=1)
def _key() -> _Key:
    rng = np.random.default_rng(np.frombuffer(hashlib.sha256(KEY).digest(), dtype=np.uint32))
    chips = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(GRID, GRID))
    payload_sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(GRID, GRID))
    order = rng.permutation(GRID * GRID)
    flat_bits = np.full(GRID * GRID, -1, dtype=np.int16)
    n_payload = PAYLOAD_BITS * CHIPS_PER_BIT
    flat_bits[order[:n_payload]] = np.arange(n_payload, dtype=np.int16) % PAYLOAD_BITS
    bit_of_cell = flat_bits.reshape(GRID, GRID)
    sync = np.where(bit_of_cell < 0, chips, 0.0).astype(np.float32)
    sync_tile = _remove_block_periodic(_detector_tile(sync))
    sync_tile -= sync_tile.mean()
    bit_tiles = np.empty((PAYLOAD_BITS, DTILE, DTILE), dtype=np.float32)
    for b in range(PAYLOAD_BITS):
        g = np.where(bit_of_cell == b, payload_sign, 0.0).astype(np.float32)
        t = _remove_block_periodic(_detector_tile(g))
        bit_tiles[b] = t - t.mean()
    return _Key(sync, payload_sign.astype(np.float32), bit_of_cell, sync_tile, bit_tiles)


_K5 = np.ones((7, 7), np.uint8)


class Watermarker:
    """Embeds the Talkie watermark carrying one export's payload.

    Usage from the exporter::

        wm = Watermarker.for_export(export_id)
        for i in range(frame_count):
            writer.write(wm.embed(frame, i))

    Use one instance from one thread at a time: it keeps per-size scratch
    buffers (about 13 bytes per pixel) between frames.
    """

    def __init__(self, payload: int, fps: float = 25.0) -> None:
        """``payload``: 32-bit unsigned export id (see :func:`payload_from_export_id`);
        ``fps``: the export's frame rate (frame ``i`` is at ``i / fps`` seconds)."""
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.payload = payload
        self.fps = float(fps)
        key = _key()
        bits = payload_bits(payload).astype(np.float32)
        cell_bits = np.where(key.bit_of_cell >= 0, bits[np.maximum(key.bit_of_cell, 0)], 0.0)
        grid = key.sync_chips + (cell_bits * key.payload_sign).astype(np.float32)
        # Remove the 32 px-periodic part at chip resolution (4 chips): matches the detector.
        n = GRID // 4
        periodic = grid.reshape(n, 4, n, 4).mean(axis=(0, 2))
        self._chips = (grid - np.tile(periodic, (n, n))).astype(np.float32)
        self._size: tuple[int, int] | None = None
        self._pattern_lo: NDArray[np.float32] | None = None
        # Scratch arrays per thread: the exporter embeds on several threads at once.
        self._scratch = threading.local()

    @classmethod
    def for_export(cls, export_id: str, fps: float = 25.0) -> Watermarker:
        """A watermarker for one export: payload from ``export_id`` (a uuid4 hex)."""
        return cls(payload_from_export_id(export_id), fps)

    def _buffers(self, size: tuple[int, int], hw: tuple[int, int]) -> dict[str, NDArray[np.uint8]]:
        """Scratch arrays for one frame size (reused from frame to frame, one set per thread)."""
        local = self._scratch
        if getattr(local, "key", None) != (size, hw):
            (sw, sh), (h, w) = size, hw
            local.buf = {
                "up_p": np.empty((sh, sw), np.uint8),
                "up_n": np.empty((sh, sw), np.uint8),
                "one_p": np.empty((h, w), np.uint8),
                "one_n": np.empty((h, w), np.uint8),
                "rgb_p": np.empty((h, w, 3), np.uint8),
                "rgb_n": np.empty((h, w, 3), np.uint8),
                "tmp": np.empty((h, w, 3), np.uint8),
            }
            local.key = (size, hw)
        buf: dict[str, NDArray[np.uint8]] = local.buf
        return buf

    def _pattern(self, h8: int, w8: int) -> NDArray[np.float32]:
        if self._size != (h8, w8) or self._pattern_lo is None:
            reps = (-(-h8 // GRID), -(-w8 // GRID))
            self._pattern_lo = np.ascontiguousarray(np.tile(self._chips, reps)[:h8, :w8])
            self._size = (h8, w8)
        return self._pattern_lo

    def _delta(self, gray: NDArray[np.uint8], h: int, w: int, index: int,
               lift: tuple[float, float] = (0.0, 1.0)) -> NDArray[np.float32]:
        """``(h8, w8) float32`` the mark at chip resolution, 1/16 grey levels, signed.

        ``gray`` is the frame's luma, ``(h, w) uint8``; ``lift`` ``(offset,
        gain)`` maps its values to full-range grey (limited-range video luma:
        ``(-16, 255 / 219)``), so that texture and the fade near black and white
        read the same whatever the range.
        """
        h8, w8 = -(-h // CELL), -(-w // CELL)
        q = cv2.resize(gray, (w8 * 4, h8 * 4), interpolation=cv2.INTER_AREA)  # 1/4 res
        if lift != (0.0, 1.0):
            q = cv2.convertScaleAbs(q, alpha=lift[1], beta=lift[0] * lift[1])
        lap = np.abs(cv2.Laplacian(q, cv2.CV_16S, ksize=1)).astype(np.float32)
        # Texture = the *least* textured part of the neighbourhood (erosions), so
        # a chip that touches a flat area stays weak there: no halo beside edges.
        lap = np.asarray(cv2.erode(cv2.blur(lap, (3, 3)), _K5), dtype=np.float32)
        tex = np.asarray(cv2.resize(lap, (w8, h8), interpolation=cv2.INTER_AREA), np.float32)
        amp = np.minimum(A_FLAT + GAIN * tex, A_MAX)
        # Fade out near black and white, where clipping would distort the pattern.
        lum = cv2.resize(q, (w8, h8), interpolation=cv2.INTER_AREA).astype(np.float32)
        amp *= np.clip(np.minimum(lum, 255.0 - lum) / 12.0, 0.0, 1.0)
        marked = amp * self._pattern(h8, w8)
        # Keep PSNR >= MIN_PSNR: bilinear upsampling of a random chip field keeps
        # ~4/9 of its mean square, so the full-resolution MSE is about this.
        mse = float(np.mean(marked * marked)) * (4.0 / 9.0)
        if mse > _MAX_MSE:
            marked *= math.sqrt(_MAX_MSE / mse)
        gain = modulation(index / self.fps) * 16.0  # 1/16 grey-level units
        return marked * gain

    def _offsets(self, delta: NDArray[np.float32], h: int, w: int
                 ) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        """The mark at full resolution, ``(plus, minus)`` ``(h, w) uint8`` whole grey
        levels (scratch buffers, valid until the next call on this thread)."""
        h8, w8 = delta.shape
        pos = np.clip(delta, 0, 255).astype(np.uint8)
        neg = np.clip(-delta, 0, 255).astype(np.uint8)
        size = (w8 * CELL, h8 * CELL)
        # Full-resolution work reuses buffers: fresh multi-MB arrays per frame
        # cost more in page faults than the arithmetic itself.
        b = self._buffers(size, (h, w))
        cv2.resize(pos, size, dst=b["up_p"], interpolation=cv2.INTER_LINEAR)
        cv2.resize(neg, size, dst=b["up_n"], interpolation=cv2.INTER_LINEAR)
        # Round to whole grey levels: (x + 8) / 16 (x <= 16 * A_MAX: no overflow).
        for up, one in ((b["up_p"], b["one_p"]), (b["up_n"], b["one_n"])):
            np.add(up[:h, :w], np.uint8(8), out=one)
            np.right_shift(one, 4, out=one)
        return b["one_p"], b["one_n"]

    def embed(self, frame: NDArray[np.uint8], index: int = 0) -> NDArray[np.uint8]:
        """Return a marked copy of ``frame``.

        Args:
            frame: ``(H, W, 3) uint8`` RGB, any size >= 16 x 16.
            index: frame number in the export (0 = first frame); sets the sign
                of the mark through :func:`modulation` at ``index / fps`` s.

        Returns:
            ``(H, W, 3) uint8`` RGB; the input is not modified.
        """
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError("embed expects an (H, W, 3) uint8 RGB frame")
        h, w = frame.shape[:2]
        gray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), np.uint8)
        plus, minus = self._offsets(self._delta(gray, h, w, index), h, w)
        b = self._scratch.buf
        cv2.cvtColor(plus, cv2.COLOR_GRAY2RGB, dst=b["rgb_p"])
        cv2.cvtColor(minus, cv2.COLOR_GRAY2RGB, dst=b["rgb_n"])
        cv2.add(frame, b["rgb_p"], dst=b["tmp"])
        out = np.empty_like(frame)
        cv2.subtract(b["tmp"], b["rgb_n"], dst=out)
        return out

    def embed_luma(self, y: NDArray[np.uint8], index: int = 0) -> None:
        """Mark the limited-range (16..235) luma plane of a YUV frame, in place.

        The same mark as :meth:`embed` adds to R, G and B alike: an equal
        offset on the three channels is an offset of about 219/255 of it on
        video luma (:data:`LUMA_GAIN`) and none on chroma. One plane instead of
        three channels costs half the CPU time, and the encoder's YUV frame is
        marked directly.

        Args:
            y: ``(H, W) uint8`` the Y plane (a strided view is fine).
            index: frame number in the export, as for :meth:`embed`.
        """
        if y.ndim != 2 or y.dtype != np.uint8:
            raise ValueError("embed_luma expects an (H, W) uint8 plane")
        h, w = y.shape
        delta = self._delta(y, h, w, index, lift=(-16.0, 255.0 / 219.0)) * np.float32(LUMA_GAIN)
        # One biased offset image instead of a plus and a minus one: 128 + delta
        # (|delta| <= 16 * A_MAX = 64 in 1/16 grey levels), upsampled once, rounded
        # to whole grey levels as 8 + offset, and the 8 taken off after the add.
        h8, w8 = delta.shape
        biased = np.clip(delta + 128.0, 0, 255).astype(np.uint8)
        size = (w8 * CELL, h8 * CELL)
        b = self._buffers(size, (h, w))
        cv2.resize(biased, size, dst=b["up_p"], interpolation=cv2.INTER_LINEAR)
        one = b["one_p"]
        np.add(b["up_p"][:h, :w], np.uint8(8), out=one)
        np.right_shift(one, 4, out=one)
        cv2.add(y, one, dst=y)
        cv2.subtract(y, 8, dst=y)  # type: ignore[call-overload]  # a scalar: valid, not in the stubs


# --------------------------------------------------------------------- detect
