"""The sound of a video being written: resampled, mapped to the container's channels
and fed to the encoder in step with the frames (:class:`engine.media.mp4.Mp4Writer`).

The source is a ``(C, M) float32`` array or an iterator of ``(C, k) float32``
chunks in [-1, 1]; it is pulled a chunk at a time, so a long track is never held
whole. Mono, stereo and 5.1 are kept; other layouts are mixed to stereo. The
sound is trimmed or padded with silence to exactly the video's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import cast

import av
import numpy as np

#: A sound source: ``(C, M) float32``, or an iterable of ``(C, k) float32`` chunks.
AudioSource = np.ndarray | Iterable[np.ndarray]
#: Samples per channel in one encoder frame (AAC's size; PyAV re-chunks for Opus).
_BLOCK = 1024


class SoundTrack:
    """One audio stream of an output container, fed as the video grows.

    Use :meth:`open`, which returns None for a source with no samples.
    """

    def __init__(self, stream: av.audio.stream.AudioStream, chunks: Iterator[np.ndarray],
                 in_channels: int, in_rate: int, out_rate: int, layout: str,
                 sample_format: str) -> None:
        self._stream = stream
        self._pending: Iterator[np.ndarray] | None = chunks
        self._in_channels = in_channels
        self._in_rate = in_rate
        self._out_rate = out_rate
        self._layout = layout
        self._out_channels = {"mono": 1, "stereo": 2, "5.1": 6}[layout]
        self._format = sample_format
        self._resampler = (av.AudioResampler(format="fltp", layout=layout, rate=out_rate)
                           if out_rate != in_rate else None)
        self._buf = np.zeros((self._out_channels, 0), np.float32)  # FIFO of resampled sound
        self._sent = 0  # samples per channel encoded so far

    @classmethod
    def open(cls, container: av.container.OutputContainer, audio: AudioSource, rate: int,
             codec: str, rates: tuple[int, ...], sample_format: str) -> SoundTrack | None:
        """Add an audio stream for ``audio`` at ``rate`` Hz to ``container``.

        Args:
            codec: FFmpeg encoder name; rates: the sample rates it takes (empty:
                any; otherwise 48 kHz when ``rate`` is not one of them);
                sample_format: its input sample format (``fltp``, ``flt`` or ``s16``).

        Returns:
            The track, or None when the source holds no samples.
        """
        chunks: Iterator[np.ndarray]
        if isinstance(audio, np.ndarray):
            arr = audio.reshape(1, -1) if audio.ndim == 1 else audio
            chunks = (arr[:, i : i + 65536] for i in range(0, max(arr.shape[1], 1), 65536))
        else:
            chunks = iter(audio)
        first = next(chunks, None)
        if first is None:
            return None
        first = np.atleast_2d(first)
        in_channels = int(first.shape[0])
        out_rate = rate if rate in rates or not rates else 48000
        c_out = in_channels if in_channels in (1, 2, 6) else 2
        layout = {1: "mono", 2: "stereo", 6: "5.1"}[c_out]
        stream = cast("av.audio.stream.AudioStream",
                      container.add_stream(codec, rate=out_rate, layout=layout))
        if not codec.startswith("pcm_"):
            stream.codec_context.bit_rate = 96000 * c_out if c_out <= 2 else 384000
        stream.time_base = Fraction(1, out_rate)
        return cls(stream, _prepend(first, chunks), in_channels, rate, out_rate, layout,
                   sample_format)

    def feed(self, container: av.container.OutputContainer, frames: int, fps: Fraction,
             final: bool) -> None:
        """Encode the sound that ``frames`` video frames at ``fps`` cover; when
        ``final``, pad with silence to exactly that length."""
        target = int(round(frames * self._out_rate / fps))
        while self._sent + self._buf.shape[1] < target and self._pull():
            pass
        have = self._sent + self._buf.shape[1]
        if final and have < target:
            pad = np.zeros((self._out_channels, target - have), np.float32)
            self._buf = np.concatenate([self._buf, pad], axis=1)
        while True:
            n = min(_BLOCK, target - self._sent, self._buf.shape[1])
            if n <= 0 or (n < _BLOCK and not final):
                break
            block = np.ascontiguousarray(np.clip(self._buf[:, :n], -1.0, 1.0))
            self._buf = self._buf[:, n:]
            fr = self._frame(block)
            fr.sample_rate = self._out_rate
            fr.pts = self._sent
            fr.time_base = Fraction(1, self._out_rate)
            self._sent += n
            for packet in self._stream.encode(fr):
                container.mux(packet)
        if final:
            self._buf = self._buf[:, :0]

    def flush(self, container: av.container.OutputContainer) -> None:
        """Drain the encoder into ``container`` (after the final :meth:`feed`)."""
        for packet in self._stream.encode(None):
            container.mux(packet)

    def _pull(self) -> bool:
        """Move one more source chunk into the FIFO. False when the source is exhausted."""
        if self._pending is None:
            return False
        chunk = next(self._pending, None)
        if chunk is None:
            self._pending = None
            if self._resampler is not None:
                self._append(list(self._resampler.resample(None)))
            return False
        data = self._to_out_channels(np.atleast_2d(np.asarray(chunk, dtype=np.float32)))
        if data.shape[1] == 0:
            return True
        if self._resampler is None:
            self._buf = np.concatenate([self._buf, data], axis=1)
        else:
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format="fltp",
                                            layout=self._layout)
            fr.sample_rate = self._in_rate
            self._append(list(self._resampler.resample(fr)))
        return True

    def _append(self, frames: list[av.AudioFrame]) -> None:
        if frames:
            self._buf = np.concatenate([self._buf] + [f.to_ndarray() for f in frames], axis=1)

    def _to_out_channels(self, data: np.ndarray) -> np.ndarray:
        if data.shape[0] != self._in_channels:
            raise ValueError(f"audio chunk has {data.shape[0]} channels, "
                             f"expected {self._in_channels}")
        if data.shape[0] == self._out_channels:
            return data
        # Other layouts: even-numbered channels to the left, odd to the right.
        return np.stack([data[0::2].mean(axis=0), data[1::2].mean(axis=0)])

    def _frame(self, block: np.ndarray) -> av.AudioFrame:
        """An encoder frame from ``(C, n) float32`` in [-1, 1]."""
        fmt = self._format
        if fmt == "fltp":
            data = block
        elif fmt == "flt":  # packed: one plane of interleaved samples
            data = np.ascontiguousarray(block.T).reshape(1, -1)
        else:  # "s16", packed
            data = np.ascontiguousarray((block.T * 32767.0).round().astype(np.int16)).reshape(1, -1)
        return av.AudioFrame.from_ndarray(data, format=fmt, layout=self._layout)


def _prepend(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
