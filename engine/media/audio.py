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
            it was too large to keep; use :meth:`iter_original` to read it.
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

    def iter_original(self, chunk: int = 65536) -> Iterator[np.ndarray]:
        """Yield the original sound as ``(C, k) float32`` chunks at ``original_rate``.

        From memory when :attr:`original` is kept, else by decoding ``path``
        again (O(chunk) memory). ``k <= chunk`` for in-memory data; decoded
        chunks follow the codec's frame size.
        """
        if self.original is not None:
            for start in range(0, self.original.shape[1], chunk):
                yield self.original[:, start : start + chunk]
            return
        container = _open(Path(self.path))
        with container:
            stream = container.streams.audio[0]
            for frame in _decode_frames(container, stream, self.path):
                yield _frame_to_float(frame)


def load_audio(path: str | os.PathLike[str], max_duration: float = MAX_DURATION_S) -> Audio:
    """Decode the first sound track of ``path`` (any audio or video file FFmpeg reads).

    Args:
        path: wav, mp3, flac, ogg/opus, m4a/aac, mp4, mkv, ...
        max_duration: longest sound accepted, seconds.

    Returns:
        :class:`Audio` with 16 kHz mono ``samples`` and the ``original``.

    Raises:
        AudioError: the file is missing, empty, not a media file, has no sound
            track, holds no sound, or is longer than ``max_duration``.
    """
    p = Path(path)
    _check_file(p)
    container = _open(p)
    with container:
        if not container.streams.audio:
            if container.streams.video:
                raise AudioError(f"This video has no sound track: {p.name}.")
            raise AudioError(f"{p.name} contains no sound track.")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        header_s = _header_duration(container, stream)
        if header_s is not None and header_s > max_duration * 1.01 + 1.0:
            raise AudioError(_too_long(p, header_s, max_duration))

        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        resampler: av.AudioResampler | None = None
        mono16: list[np.ndarray] = []
        original: list[np.ndarray] | None = []
        kept_bytes = 0
        total = 0  # samples per channel at the source rate
        channels = 0
        for frame in _decode_frames(container, stream, p.name):
            data = _frame_to_float(frame)
            if data.shape[1] == 0:
                continue
            if channels == 0:
                channels = data.shape[0]
                rate = int(frame.sample_rate or rate)
            elif data.shape[0] != channels or frame.sample_rate != rate:
                log.warning("%s changes channel count or sample rate mid-stream; "
                            "stopping at %.2f s", p.name, total / max(rate, 1))
                break
            total += data.shape[1]
            if total > max_duration * rate:
                raise AudioError(_too_long(p, None, max_duration))
            if original is not None:
                kept_bytes += data.nbytes
                if kept_bytes > ORIGINAL_LIMIT_BYTES:
                    log.info("%s: the original sound is too large to keep in memory; "
                             "it will be decoded again for export", p.name)
                    original = None
                else:
                    original.append(data)
            mono = _mix_down(data, frame)
            if rate == ANALYSIS_RATE:
                mono16.append(mono)
                continue
            if resampler is None:
                resampler = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
            mono16.extend(_resample(resampler, mono, rate))
        if resampler is not None:
            mono16.extend(g.to_ndarray().reshape(-1) for g in resampler.resample(None))

    if total == 0 or not mono16:
        raise AudioError(f"{p.name} contains no sound.")
    # Codecs with fixed-size frames (AAC) decode their end padding too; the
    # container's duration says where the sound really ends.
    if header_s is not None and 0 < total - header_s * rate < 0.2 * rate:
        total = int(round(header_s * rate))
    samples = np.concatenate(mono16).astype(np.float32, copy=False)
    # Resampling gives or takes a few samples at the end: pin the length.
    want = int(round(total * ANALYSIS_RATE / rate))
    if samples.shape[0] > want:
        samples = samples[:want]
    elif samples.shape[0] < want:
        samples = np.pad(samples, (0, want - samples.shape[0]))
    np.clip(samples, -1.0, 1.0, out=samples)
    if samples.shape[0] < MIN_DURATION_S * ANALYSIS_RATE:
        raise AudioError(f"{p.name} is too short: it holds less than "
                         f"{MIN_DURATION_S * 1000:.0f} ms of sound.")
    orig = np.concatenate(original, axis=1)[:, :total] if original is not None else None
    log.info("loaded %s: %.2f s, %d Hz, %d channel(s)", p.name, samples.shape[0] / ANALYSIS_RATE,
             rate, channels)
    return Audio(samples=samples, original=orig, original_rate=rate, path=str(p),
                 channels=channels)


# --------------------------------------------------------------------------- helpers


def _check_file(p: Path) -> None:
    if not p.exists():
        raise AudioError(f"The sound file {p} does not exist.")
    if not p.is_file():
        raise AudioError(f"{p} is a folder, not a sound file.")
    try:
        size = p.stat().st_size
        with open(p, "rb"):
            pass
    except OSError as e:
        raise AudioError(f"The sound file {p.name} cannot be read ({e.strerror}).") from e
    if size == 0:
        raise AudioError(f"The sound file {p.name} is empty (0 bytes).")


def _open(p: Path) -> av.container.InputContainer:
    try:
        return av.open(str(p), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as e:
        raise AudioError(f"{p.name} is not a sound or video file that can be read.") from e


def _header_duration(container: av.container.InputContainer,
                     stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000.0
    return None


def _too_long(p: Path, seconds: float | None, limit: float) -> str:
    what = f" ({seconds / 60:.0f} minutes)" if seconds is not None else ""
    return (f"{p.name} is too long{what}: the longest sound Talkie accepts is "
            f"{limit / 60:.0f} minutes. Cut it into shorter parts.")


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
                    raise AudioError(f"{name} is damaged: none of its sound could be "
                                     "decoded.") from None
                continue
            for frame in frames:
                good += 1
                yield frame
    except av.FFmpegError as e:
        if good == 0:
            raise AudioError(f"{name} is damaged: none of its sound could be decoded.") from e
        log.warning("%s: reading stopped early (%s); using the sound decoded so far", name, e)
    if bad:
        log.warning("%s: %d damaged block(s) of sound were skipped", name, bad)


def _frame_to_float(frame: av.AudioFrame) -> np.ndarray:
    """``(C, n) float32`` from any sample format (planar or packed)."""
    fmt = frame.format
    arr = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if not fmt.is_planar:
        arr = arr.reshape(-1, channels).T
    base = fmt.name.rstrip("p")
    if base in ("flt", "dbl"):
        return np.ascontiguousarray(arr, dtype=np.float32)
    out = arr.astype(np.float32)
    if base == "u8":
        out -= 128.0
    out *= np.float32(_SCALE[base])
    return out


def _mix_down(data: np.ndarray, frame: av.AudioFrame) -> np.ndarray:
    """``(n,) float32``: mean of the channels, without LFE."""
    if data.shape[0] == 1:
        return data[0]
    names = [c.name for c in frame.layout.channels]
    keep = [i for i, n in enumerate(names) if n != "LFE"]
    if 0 < len(keep) < data.shape[0]:
        data = data[keep]
    return data.mean(axis=0, dtype=np.float32)


def _resample(resampler: av.AudioResampler, mono: np.ndarray, rate: int) -> list[np.ndarray]:
    frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    return [g.to_ndarray().reshape(-1) for g in resampler.resample(frame)]
