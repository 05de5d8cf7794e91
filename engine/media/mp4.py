"""Stream frames and sound into an H.264/AAC MP4 that plays in browsers.

:class:`Mp4Writer` takes RGB frames one at a time (memory stays O(1) in the
number of frames) and the sound as a ``(C, M) float32`` array or as an
iterator of ``(C, k) float32`` chunks (see :meth:`engine.media.audio.Audio.iter_original`),
so long exports never hold the whole sound either (:mod:`engine.media.sound_track`).

The file written:

* video: H.264 (libx264), yuv420p, profile High, BT.709 limited range
  (tagged), CFR at ``fps``; the first frame has pts 0;
* audio: AAC-LC, mono or stereo (5.1 kept as 5.1; other layouts are mixed
  to stereo), at ``audio_rate`` when AAC supports it, else 48 kHz; the first
  sample has pts 0 (the encoder's priming is hidden by the MP4 edit list);
  the sound is trimmed or padded with silence to exactly ``frames / fps``;
* ``+faststart``: the ``moov`` index comes before the media data;
* ``metadata``: standard MP4 keys (``title``, ``artist``, ``comment``,
  ``description``, ``date``, ``copyright``, ...) are written as iTunes-style
  atoms; any other key is written too (``movflags +use_metadata_tags``), and
  both kinds read back with PyAV/ffprobe as ``container.metadata[key]``.

The writer needs even ``width`` and ``height`` (a yuv420p requirement); use
:func:`even_size` to pick them and resize or pad frames before writing.

The file is written to a hidden temporary file beside the target
(``.name.mp4.part-PID-XXXXXXXX``) and renamed over ``path`` by :meth:`close`.
:meth:`abort`, a cancellation or any error deletes the temporary file, so a
cancelled or failed export leaves nothing behind. A process killed outright
cannot clean up; the next export to the same name removes its leftover
(:func:`engine.media.files.remove_stale_parts`).
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from engine.cancel import CancelToken, ProgressFn
from engine.errors import Cancelled, OutputError
from engine.media.files import PART_EXTRA, name_too_long, part_path, reason, remove_stale_parts
from engine.media.sound_track import AudioSource, SoundTrack

log = logging.getLogger(__name__)

#: Sample rates the AAC encoder accepts, Hz.
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
_COLOR_BT709 = 1  # AVCOL_SPC/PRI/TRC_BT709
_RANGE_MPEG = 1  # AVCOL_RANGE_MPEG (limited, 16-235)


def even_size(width: int, height: int) -> tuple[int, int]:
    """The largest even ``(width, height)`` not above the given one (at least 2x2)."""
    return max(2, int(width) // 2 * 2), max(2, int(height) // 2 * 2)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Check, before any work starts, that a file can be created at ``path``.

    Creates and deletes a small hidden file in the target folder, which also
    catches read-only file systems (where ``os.access`` lies for root).

    Returns:
        ``path`` as an absolute :class:`~pathlib.Path`.

    Raises:
        OutputError: the name is too long for the file system (with room for
            the temporary file's suffix), the folder does not exist, is not a
            folder, or cannot be written, or ``path`` is an existing folder.
    """
    p = Path(path).expanduser().absolute()
    folder = p.parent
    if name_too_long(p.with_name(p.name + "x" * PART_EXTRA)) is not None:
        raise OutputError(f"The file name {p.name[:40]}… is too long ({len(p.name)} "
                          "characters) for this file system. Choose a shorter name.")
    if p.is_dir():
        raise OutputError(f"The path {p} is a folder. Choose a file name for the video.")
    if not folder.exists():
        raise OutputError(f"The folder {folder} does not exist. Choose another place to save.")
    if not folder.is_dir():
        raise OutputError(f"The path {folder} is not a folder. Choose another place to save.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".talkie-write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        # A folder that exists but refuses new files (/proc, /sys) reports "no such file".
        why = "it does not accept new files" if e.errno == errno.ENOENT else reason(e)
        raise OutputError(f"Talkie cannot write in the folder {folder} "
                          f"({why}). Choose another place to save.") from e
    return p


def check_frame(frame: np.ndarray, width: int, height: int, channels: tuple[int, ...]) -> None:
    """Raise ValueError unless ``frame`` is ``(height, width, C) uint8`` with C in ``channels``."""
    if frame.ndim != 3 or frame.shape[:2] != (height, width) \
            or frame.shape[2] not in channels or frame.dtype != np.uint8:
        raise ValueError(f"expected a ({height}, {width}, {'|'.join(map(str, channels))}) "
                         f"uint8 frame, got {frame.shape} {frame.dtype}")


#: :meth:`Mp4Writer.convert_changed`: pixels around the changed box pasted with it, and
#: pixels beyond those converted with it. 2 and 8 already give the whole frame's
#: conversion byte for byte (tests/test_mp4.py and tests/test_export_pipeline.py check it).
CHANGE_PAD, CONVERT_PAD = 4, 16


def _plane(plane: av.video.plane.VideoPlane) -> np.ndarray:
    """``(height, width) uint8`` a writable view of one plane of a picture."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


class Mp4Writer:
    """Write an MP4 frame by frame.

    Args:
        path: output ``.mp4`` file; replaced atomically at :meth:`close`.
        width, height: frame size in pixels; both must be even.
        fps: frames per second (e.g. 25 or ``Fraction(30000, 1001)``).
        audio: ``(C, M) float32`` in [-1, 1] at ``audio_rate``, or an iterable
            of ``(C, k) float32`` chunks, or ``None`` for a silent video.
        audio_rate: sample rate of ``audio``, Hz.
        crf: x264 constant rate factor (0 best .. 51 worst; 18 is visually lossless).
        metadata: container tags (see the module docstring).
        progress: ``progress(fraction, message)``, called at most every 1 %.
        total_frames: expected frame count, for progress.
        cancel: checked in :meth:`write`; when cancelled the file is removed
            and :class:`~engine.errors.Cancelled` is raised.
        preset: x264 speed preset (``"ultrafast"`` .. ``"veryslow"``). The default,
            veryfast, keeps High profile and a 1024 px export faster than real time
            on a 2-core CPU; slower presets only shrink the file.

    Raises:
        ValueError: odd or non-positive size, or a non-positive fps.
        OutputError: the file cannot be written (checked before any work).

    Use as a context manager: leaving the block normally calls :meth:`close`;
    leaving it by an exception calls :meth:`abort`.

    Other containers reuse everything but the codecs: subclasses set the class
    attributes below and override :meth:`_add_video` and :meth:`convert`
    (:mod:`engine.media.alpha_video`: ProRes 4444 in MOV, VP9 with alpha in WebM).
    """

    #: FFmpeg muxer name.
    container_format = "mp4"
    #: Whether :meth:`write` keeps a fourth (alpha) channel; MP4 takes RGB only.
    keeps_alpha = False
    #: FFmpeg audio encoder, the sample rates it takes (empty: any), its input sample format.
    audio_codec = "aac"
    audio_rates: tuple[int, ...] = AAC_RATES
    audio_sample_format = "fltp"

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float | Fraction,
        audio: AudioSource | None = None,
        audio_rate: int = 48000,
        crf: int = 18,
        metadata: Mapping[str, str] | None = None,
        progress: ProgressFn | None = None,
        total_frames: int | None = None,
        cancel: CancelToken | None = None,
        preset: str = "veryfast",
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"The video size must be even and positive, got {width}x{height}; "
                             "use even_size().")
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.path = check_writable(path)
        self.width = int(width)
        self.height = int(height)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.frame_count = 0
        self._progress = progress
        self._total = total_frames
        self._cancel = cancel
        self._last_report = -1.0
        self._last_report_t = 0.0
        self._done = False
        for stale in remove_stale_parts(self.path):
            log.info("removed %s, left by an export that was killed", stale.name)
        self.temp_path = part_path(self.path)
        self._container: av.container.OutputContainer | None = None
        try:
            self._open(crf, preset, metadata or {})
            self._setup_audio(audio, int(audio_rate))
        except BaseException as e:
            self._done = True
            self._discard()
            if isinstance(e, OutputError | ValueError):
                raise
            raise OutputError(f"The video {self.path.name} could not be started "
                              f"({reason(e)}).") from e

    # ------------------------------------------------------------------ set-up

    def _container_options(self, metadata: Mapping[str, str]) -> dict[str, str]:
        standard = {"title", "artist", "album", "comment", "description", "date", "year",
                    "copyright", "genre", "composer", "encoder", "synopsis", "show",
                    "episode_id", "network", "lyrics", "album_artist", "grouping", "track",
                    "disc", "compilation", "keywords"}
        movflags = "+faststart"
        if any(k.lower() not in standard for k in metadata):
            movflags += "+use_metadata_tags"
        return {"movflags": movflags}

    def _open(self, crf: int, preset: str, metadata: Mapping[str, str]) -> None:
        c = av.open(str(self.temp_path), mode="w", format=self.container_format,
                    options=self._container_options(metadata))
        self._container = c
        for k, v in metadata.items():
            c.metadata[str(k)] = str(v)
        self._vstream = self._add_video(c, crf, preset)

    def _add_video(self, c: av.container.OutputContainer, crf: int,
                   preset: str) -> av.video.stream.VideoStream:
        vs = c.add_stream("libx264", rate=self.fps)
        vs.width = self.width
        vs.height = self.height
        vs.pix_fmt = "yuv420p"
        vs.time_base = 1 / self.fps
        cc = vs.codec_context
        cc.time_base = 1 / self.fps
        cc.colorspace = _COLOR_BT709
        cc.color_primaries = _COLOR_BT709
        cc.color_trc = _COLOR_BT709
        cc.color_range = _RANGE_MPEG
        cc.options = {"crf": str(int(crf)), "preset": preset, "profile": "high"}
        cc.thread_count = 0
        return vs

    def _setup_audio(self, audio: AudioSource | None, rate: int) -> None:
        assert self._container is not None
        self._sound = None if audio is None else SoundTrack.open(
            self._container, audio, rate, self.audio_codec, self.audio_rates,
            self.audio_sample_format)

    # ------------------------------------------------------------------ writing

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _check_frame(self, frame: np.ndarray, channels: tuple[int, ...]) -> None:
        check_frame(frame, self.width, self.height, channels)

    def convert(self, frame: np.ndarray) -> av.VideoFrame:
        """The encoder's picture for one ``(height, width, 3) uint8`` RGB frame.

        Pure and thread-safe: an exporter may convert on another thread while
        this one encodes (:meth:`write` takes the result).

        Raises:
            ValueError: wrong shape or dtype.
        """
        self._check_frame(frame, (3,))
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        return vf.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")

    def convert_changed(self, frame: np.ndarray, still: av.VideoFrame,
                        box: tuple[int, int, int, int]) -> av.VideoFrame:
        """:meth:`convert` of a frame that equals the frame ``still`` was converted from
        everywhere outside ``box`` ``(x0, y0, x1, y1)`` pixels: only the box is converted,
        the rest is copied from ``still``. The same picture as :meth:`convert`, byte for
        byte; at 1024 px with a face box a tenth of the frame, a third of the time.

        Raises:
            ValueError: wrong shape or dtype.
        """
        self._check_frame(frame, (3,))
        w, h = self.width, self.height
        # swscale's 4:2:0 chroma lets a changed pixel reach a sample or two beyond it, and
        # a converted piece is clamped at its own sides: convert a margin, paste less of it
        x0, y0 = (max(box[0] - CHANGE_PAD, 0) // 2) * 2, (max(box[1] - CHANGE_PAD, 0) // 2) * 2
        x1 = min(-(-(box[2] + CHANGE_PAD) // 2) * 2, w)
        y1 = min(-(-(box[3] + CHANGE_PAD) // 2) * 2, h)
        out = av.VideoFrame(w, h, "yuv420p")
        out.colorspace, out.color_range = still.colorspace, still.color_range
        for dst, src in zip(out.planes, still.planes, strict=True):
            _plane(dst)[:] = _plane(src)
        if x1 <= x0 or y1 <= y0:
            return out
        cx0, cy0 = max(x0 - CONVERT_PAD, 0), max(y0 - CONVERT_PAD, 0)
        cx1, cy1 = min(x1 + CONVERT_PAD, w), min(y1 + CONVERT_PAD, h)
        piece = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[cy0:cy1, cx0:cx1]),
                                           format="rgb24").reformat(
            format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        for k, (dst, src) in enumerate(zip(out.planes, piece.planes, strict=True)):
            d = 1 if k == 0 else 2
            _plane(dst)[y0 // d:y1 // d, x0 // d:x1 // d] = _plane(src)[
                (y0 - cy0) // d:(y1 - cy0) // d, (x0 - cx0) // d:(x1 - cx0) // d]
        return out

    @staticmethod
    def luma(picture: av.VideoFrame) -> np.ndarray:
        """``(height, width) uint8`` a writable view of a :meth:`convert` picture's
        limited-range luma plane (for marking it in place).

        Raises:
            ValueError: the picture is not 8-bit YUV 4:2:0.
        """
        if picture.format.name != "yuv420p":
            raise ValueError(f"expected a yuv420p picture, got {picture.format.name}")
        return _plane(picture.planes[0])

    def write(self, frame: np.ndarray | av.VideoFrame) -> None:
        """Append one frame: ``(height, width, 3) uint8`` RGB (4 channels, RGBA, for
        writers that keep alpha), or the result of :meth:`convert`.

        Raises:
            ValueError: wrong shape or dtype.
            Cancelled: the cancel token was set (the file is removed).
            OutputError: writing failed, e.g. the disk is full (the file is removed).
        """
        if self._done or self._container is None:
            raise RuntimeError("write() after close() or abort()")
        if self._cancel is not None and self._cancel.cancelled:
            self.abort()
            raise Cancelled()
        try:
            vf = frame if isinstance(frame, av.VideoFrame) else self.convert(frame)
        except ValueError:
            self.abort()
            raise
        try:
            vf.pts = self.frame_count
            vf.time_base = 1 / self.fps
            for packet in self._vstream.encode(vf):
                self._container.mux(packet)
            self.frame_count += 1
            if self._sound is not None:
                self._sound.feed(self._container, self.frame_count, self.fps, final=False)
        except (av.FFmpegError, OSError) as e:
            self.abort()
            raise OutputError(f"Writing {self.path.name} failed ({reason(e)}). "
                              "Nothing was saved.") from e
        self._report()

    def close(self) -> Path:
        """Finish the file and move it to ``path``. Returns ``path``."""
        if self._done:
            return self.path
        if self._container is None:
            raise RuntimeError("close() after abort()")
        if self.frame_count == 0:
            self.abort()
            raise OutputError("No frames were written, so no video was saved.")
        try:
            if self._sound is not None:
                self._sound.feed(self._container, self.frame_count, self.fps, final=True)
            for packet in self._vstream.encode(None):
                self._container.mux(packet)
            if self._sound is not None:
                self._sound.flush(self._container)
            self._container.close()
            self._container = None
            os.replace(self.temp_path, self.path)
        except (av.FFmpegError, OSError) as e:
            self.abort()
            raise OutputError(f"Finishing {self.path.name} failed ({reason(e)}). "
                              "Nothing was saved.") from e
        self._done = True
        if self._progress is not None:
            self._progress(1.0, f"Saved {self.path.name}")
        log.info("wrote %s: %d frames at %s fps", self.path, self.frame_count, self.fps)
        return self.path

    def abort(self) -> None:
        """Stop and delete the temporary file. ``path`` is left untouched. Idempotent."""
        if self._done:
            return
        self._done = True
        self._discard()
        log.info("export to %s aborted; nothing was written", self.path)

    def __del__(self) -> None:  # a writer dropped without close() leaves nothing behind
        if not getattr(self, "_done", True):
            self.abort()

    # ------------------------------------------------------------------ internals

    def _discard(self) -> None:
        c, self._container = self._container, None
        if c is not None:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - best effort, the file is deleted anyway
                log.debug("closing the aborted container failed", exc_info=True)
        try:
            os.unlink(self.temp_path)
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("could not remove %s", self.temp_path, exc_info=True)

    def _report(self) -> None:
        if self._progress is None or not self._total:
            return
        frac = min(1.0, self.frame_count / self._total)
        now = time.monotonic()
        if frac - self._last_report >= 0.01 or now - self._last_report_t > 0.5:
            self._last_report = frac
            self._last_report_t = now
            self._progress(frac, f"Encoding frame {self.frame_count} of {self._total}")
