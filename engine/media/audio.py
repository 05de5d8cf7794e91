"""Read the sound of any audio or video file FFmpeg understands.

:func:`load_audio` decodes with PyAV (FFmpeg inside the wheel) and returns an
:class:`Audio` holding two versions of the sound:

* ``samples``: ``(N,) float32`` mono at 16 kHz in [-1, 1], for analysis;
* ``original``: ``(C, M) float32`` at ``original_rate``, the sound as the user
  gave it, for export. It is kept in memory only while it fits in
  :data:`ORIGINAL_LIMIT_BYTES`; past that it is ``None`` and
  :meth:`Audio.iter_original` decodes it again from ``path`` chunk by chunk, so
  exporting a long file never holds all of it.

Mix-down is the plain mean of the channels (the LFE channel of a surround
layout is left out), which keeps a voice recorded on both channels at its
level; FFmpeg's own surround down-mix adds channels at up to 0.7 gain each and
can clip. Resampling is FFmpeg's ``swresample``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from engine.errors import AudioError
from engine.media.files import check_input_file
from engine.media.probe import (
    header_duration,
    header_is_exact,
    is_picture,
    open_container,
    too_long,
    wav_stated_seconds,
)

log = logging.getLogger(__name__)

#: Sample rate of :attr:`Audio.samples`, Hz.
ANALYSIS_RATE = 16000
#: Longest sound accepted by default, seconds (2 hours).
MAX_DURATION_S = 2 * 3600.0
#: Shortest sound worth animating, seconds.
MIN_DURATION_S = 0.04
#: Largest ``original`` array kept in memory, bytes (512 MB: about 23 min of
#: 48 kHz stereo). Longer sounds are decoded again at export time.
ORIGINAL_LIMIT_BYTES = 512 * 1024 * 1024

_SCALE = {
    "u8": 1.0 / 128.0,
    "s16": 1.0 / 32768.0,
    "s32": 1.0 / 2147483648.0,
    "s64": 1.0 / 9223372036854775808.0,
    "flt": 1.0,
    "dbl": 1.0,
}


@dataclass(frozen=True, eq=False)
class Audio:
    """A decoded sound.

    Attributes:
        samples: ``(N,) float32`` mono at :attr:`sample_rate` (16 kHz), in [-1, 1].
        original: ``(C, M) float32`` at :attr:`original_rate`, in [-1, 1]
            (floating-point sources may exceed it slightly), or ``None`` when
            it was too large to keep (over :data:`ORIGINAL_LIMIT_BYTES`); use
            :meth:`iter_original` to read it either way. It may be a
            non-contiguous view: call ``np.ascontiguousarray`` on slices you
            hand to C code.
        original_rate: sample rate of the source, Hz.
        path: the file it came from.
        channels: channel count ``C`` of the source.
        sample_rate: always 16000.
    """

    samples: np.ndarray
    original: np.ndarray | None
    original_rate: int
    path: str
    channels: int = 1
    sample_rate: int = field(default=ANALYSIS_RATE)

    @property
    def duration(self) -> float:
        """Length in seconds (of :attr:`samples`)."""
        return float(self.samples.shape[0]) / float(self.sample_rate)

    def iter_original(self, start: int = 0, stop: int | None = None,
                      chunk: int = 65536) -> Iterator[np.ndarray]:
        """Yield the original sound as ``(C, k) float32`` chunks at ``original_rate``.

        Args:
            start, stop: sample range (per channel, at ``original_rate``);
                ``stop=None`` means to the end.
            chunk: largest ``k`` for in-memory data (decoded chunks follow the
                codec's frame size).

        Reads from memory when :attr:`original` is kept, else decodes ``path``
        again (O(chunk) memory), so it suits :class:`engine.media.Mp4Writer`'s
        ``audio=`` for sounds of any length.
        """
        start = max(0, int(start))
        if self.original is not None:
            end = self.original.shape[1] if stop is None else min(int(stop),
                                                                   self.original.shape[1])
            for i in range(start, end, chunk):
                yield self.original[:, i : min(i + chunk, end)]
            return
        container = open_container(Path(self.path))
        pos = 0
        with container:
            stream = container.streams.audio[0]
            for frame in _decode_frames(container, stream, Path(self.path).name):
                data = _frame_to_float(frame)
                n = data.shape[1]
                lo, hi = max(start - pos, 0), n if stop is None else min(n, int(stop) - pos)
                pos += n
                if hi > lo:
                    yield data[:, lo:hi]
                if stop is not None and pos >= stop:
                    return


def load_audio(path: str | os.PathLike[str], max_duration: float = MAX_DURATION_S,
               allow_truncated: bool = False) -> Audio:
    """Decode the first sound track of ``path`` (any audio or video file FFmpeg reads).

    A file whose header states its exact length (wav, flac, mp4/m4a, mkv, mp3
    with a Xing/Info/VBRI header) but which holds materially less sound
    (missing more than max(0.25 s, 2 %)) is refused as cut short, unless
    ``allow_truncated``, in which case the part present is used and a warning
    is logged.

    Args:
        path: wav, mp3, flac, ogg/opus, m4a/aac, mp4, mkv, ...
        max_duration: longest sound accepted, seconds.
        allow_truncated: accept a file that is cut short.

    Returns:
        :class:`Audio` with 16 kHz mono ``samples`` and the ``original``.

    Raises:
        AudioError: the file is missing, empty, not a media file, has no sound
            track, holds no sound, or is longer than ``max_duration``.
    """
    p = check_input_file(path, "sound")
    container = open_container(p)
    with container:
        if not container.streams.audio:
            if is_picture(container):
                raise AudioError(f"The file {p.name} is a picture, not a sound file. "
                                 "Choose a voice track (WAV, MP3, FLAC, M4A, or a video "
                                 "with sound).")
            if container.streams.video:
                raise AudioError(f"The video {p.name} has no sound track. "
                                 "Choose a file with sound.")
            raise AudioError(f"The file {p.name} contains no sound track.")
        stream = container.streams.audio[0]
        stream.codec_context.thread_type = "AUTO"
        header_s = header_duration(container, stream)
        if header_s is not None and header_s > max_duration * 1.01 + 1.0:
            raise AudioError(too_long(p, header_s, max_duration))
        # The length of this sound track alone (a video's own length may differ).
        if stream.duration is None and len(container.streams) > 1:
            header_s = None
        exact_header = header_is_exact(container, p)
        # FFmpeg trims a WAV's stated length to the bytes present: read the header itself.
        stated_s = wav_stated_seconds(p) if "wav" in container.format.name.split(",") \
            else header_s

        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        resampler: av.AudioResampler | None = None
        mono16: list[np.ndarray] = []
        original: _Buffer | None = _Buffer(header_s * rate if header_s else 0.0)
        total = 0  # samples per channel at the source rate
        channels = 0
        lfe: list[int] = []
        batch: list[np.ndarray] = []  # decoded frames are processed ~1 s at a time
        batch_n = 0

        flushed = 0  # samples of `original` already mixed down

        def flush() -> None:
            nonlocal resampler, batch_n, flushed
            if original is not None:
                if original.n == flushed:
                    return
                block = original.view(flushed, original.n)
                flushed = original.n
            else:
                if not batch:
                    return
                block = batch[0] if len(batch) == 1 else np.concatenate(batch, axis=1)
                batch.clear()
            batch_n = 0
            mono = _mix_down(block, lfe)
            if rate == ANALYSIS_RATE:
                mono16.append(mono.copy() if mono.base is not None else mono)
                return
            if resampler is None:
                resampler = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
            mono16.extend(_resample(resampler, mono, rate))

        for frame in _decode_frames(container, stream, p.name):
            n = frame.samples
            if n == 0:
                continue
            c = frame.layout.nb_channels
            if channels == 0:
                channels = c
                rate = int(frame.sample_rate or rate)
                names = [ch.name for ch in frame.layout.channels]
                lfe = [i for i, nm in enumerate(names) if nm == "LFE"] if channels > 1 else []
            elif c != channels or frame.sample_rate != rate:
                log.warning("%s changes channel count or sample rate mid-stream; "
                            "stopping at %.2f s", p.name, total / max(rate, 1))
                break
            total += n
            if total > max_duration * rate:
                raise AudioError(too_long(p, None, max_duration))
            if original is not None and total * channels * 4 > ORIGINAL_LIMIT_BYTES:
                log.info("%s: the original sound is too large to keep in memory; "
                         "it will be decoded again for export", p.name)
                flush()
                original = None
            if original is not None:
                _frame_into(frame, original.reserve(channels, n))
            else:
                batch.append(_frame_to_float(frame))
            batch_n += n
            if batch_n >= 65536:
                flush()
        flush()
        if resampler is not None:
            mono16.extend(g.to_ndarray().reshape(-1) for g in resampler.resample(None))

    if total == 0 or not mono16:
        raise AudioError(f"The sound file {p.name} contains no sound.")
    # Codecs with fixed-size frames (AAC) decode their end padding too; the
    # container's duration says where the sound really ends.
    if header_s is not None and 0 < total - header_s * rate < 0.2 * rate:
        total = int(round(header_s * rate))
    got_s = total / rate
    if exact_header and stated_s is not None and stated_s - got_s > max(0.25, 0.02 * stated_s):
        if not allow_truncated:
            raise AudioError(f"The sound file {p.name} seems to be cut short: it holds "
                             f"{got_s:.1f} s of sound but says it is {stated_s:.1f} s long. "
                             "The file may be damaged or incompletely copied.")
        log.warning("%s is cut short: %.2f s of %.2f s; using the part present", p.name,
                    got_s, stated_s)
    samples = np.concatenate(mono16).astype(np.float32, copy=False)
    # Resampling gives or takes a few samples at the end: pin the length.
    want = int(round(total * ANALYSIS_RATE / rate))
    if samples.shape[0] > want:
        samples = samples[:want]
    elif samples.shape[0] < want:
        samples = np.pad(samples, (0, want - samples.shape[0]))
    np.clip(samples, -1.0, 1.0, out=samples)
    if samples.shape[0] < MIN_DURATION_S * ANALYSIS_RATE:
        raise AudioError(f"The sound file {p.name} is too short: it holds less than "
                         f"{MIN_DURATION_S * 1000:.0f} ms of sound.")
    orig = original.array(total) if original is not None else None
    log.info("loaded %s: %.2f s, %d Hz, %d channel(s)", p.name, samples.shape[0] / ANALYSIS_RATE,
             rate, channels)
    return Audio(samples=samples, original=orig, original_rate=rate, path=str(p),
                 channels=channels)


# --------------------------------------------------------------------------- helpers


class _Buffer:
    """A growable ``(C, n) float32`` array, pre-sized from the header's length."""

    def __init__(self, expect: float) -> None:
        self.expect = int(expect * 1.01) + 4096 if expect > 0 else 0
        self.buf: np.ndarray | None = None
        self.n = 0

    def reserve(self, c: int, k: int) -> np.ndarray:
        """The next ``(c, k)`` columns to fill, as a view (grows the buffer if needed)."""
        if self.buf is None:
            cap = max(self.expect, k, 1 << 16)
            if cap * c * 4 > ORIGINAL_LIMIT_BYTES:
                cap = max(k, 1 << 16)
            self.buf = np.empty((c, cap), np.float32)
        if self.n + k > self.buf.shape[1]:
            grown = np.empty((c, max(self.n + k, int(self.buf.shape[1] * 1.5))), np.float32)
            grown[:, : self.n] = self.buf[:, : self.n]
            self.buf = grown
        out = self.buf[:, self.n : self.n + k]
        self.n += k
        return out

    def view(self, start: int, stop: int) -> np.ndarray:
        assert self.buf is not None
        return self.buf[:, start:stop]

    def array(self, length: int) -> np.ndarray:
        """The first ``length`` samples (a copy only when much space would be wasted)."""
        assert self.buf is not None
        n = min(length, self.n)
        out = self.buf[:, :n]
        return out.copy() if n < 0.9 * self.buf.shape[1] else out


def _decode_frames(container: av.container.InputContainer, stream: av.audio.stream.AudioStream,
                   name: str) -> Iterator[av.AudioFrame]:
    """Decode every frame, skipping (and counting) corrupt packets."""
    bad = 0
    good = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except (av.InvalidDataError, av.error.UndefinedError, ValueError):
                bad += 1
                if good == 0 and bad > 50:
                    raise AudioError(f"The file {name} is damaged: none of its sound could be "
                                     "decoded.") from None
                continue
            for frame in frames:
                good += 1
                yield frame
    except av.FFmpegError as e:
        if good == 0:
            raise AudioError(f"The file {name} is damaged: none of its sound could be "
                             "decoded.") from e
        log.warning("%s: reading stopped early (%s); using the sound decoded so far", name, e)
    if bad:
        log.warning("%s: %d damaged block(s) of sound were skipped", name, bad)


_DTYPES: dict[str, np.dtype] = {
    "u8": np.dtype(np.uint8), "s16": np.dtype(np.int16), "s32": np.dtype(np.int32),
    "s64": np.dtype(np.int64), "flt": np.dtype(np.float32), "dbl": np.dtype(np.float64),
}


def _frame_into(frame: av.AudioFrame, dst: np.ndarray) -> None:
    """Write ``frame`` as float32 into ``dst`` ``(C, n)`` (any sample format, planar or packed).

    Reads the planes' buffers directly: no intermediate arrays.
    """
    fmt = frame.format
    base = fmt.name.rstrip("p")
    dtype = _DTYPES[base]
    n = frame.samples
    channels = dst.shape[0]
    if fmt.is_planar:
        planes = frame.planes
        srcs = [np.frombuffer(memoryview(planes[c]), dtype=dtype, count=n) for c in range(channels)]
    else:
        packed = np.frombuffer(memoryview(frame.planes[0]), dtype=dtype,
                               count=n * channels)
        srcs = list(packed.reshape(n, channels).T)
    scale = np.float32(_SCALE[base])
    for c, src in enumerate(srcs):
        if base == "flt" or base == "dbl":
            dst[c] = src
        elif base == "u8":
            np.subtract(src, np.float32(128.0), out=dst[c], casting="unsafe")
            dst[c] *= scale
        else:
            np.multiply(src, scale, out=dst[c], casting="unsafe")


def _frame_to_float(frame: av.AudioFrame) -> np.ndarray:
    """``(C, n) float32`` from any sample format (planar or packed)."""
    out = np.empty((frame.layout.nb_channels, frame.samples), np.float32)
    _frame_into(frame, out)
    return out


def _mix_down(data: np.ndarray, lfe: list[int]) -> np.ndarray:
    """``(n,) float32``: mean of the channels, leaving out the LFE channel(s)."""
    if data.shape[0] == 1:
        return data[0]
    if lfe and len(lfe) < data.shape[0]:
        data = np.delete(data, lfe, axis=0)
    return data.mean(axis=0, dtype=np.float32)


def _resample(resampler: av.AudioResampler, mono: np.ndarray, rate: int) -> list[np.ndarray]:
    frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    return [g.to_ndarray().reshape(-1) for g in resampler.resample(frame)]
