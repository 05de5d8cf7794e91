"""Reading frames of a video file one at a time (for self-checks and verification)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from engine.errors import InputError
from engine.media.files import check_input_file
from engine.media.probe import is_picture

#: Codecs of still pictures: FFmpeg opens an image as a one-frame "video".
_STILL_CODECS = {"png", "mjpeg", "jpegls", "webp", "bmp", "tiff", "gif", "jpeg2000", "ppm",
                 "pgm", "pam", "qoi", "apng"}


def check_video(path: Path | str) -> Path:
    """Check that ``path`` is a readable file holding a moving picture.

    Raises:
        InputError: missing, a folder, unreadable, empty, not a media file,
            without a video stream, or a still image.
    """
    p = check_input_file(path, "video")
    try:
        with av.open(str(p)) as container:
            if not container.streams.video:
                raise InputError(f"{p.name} has no picture: it is not a video.")
            st = container.streams.video[0]
            one_still = st.codec_context.name in _STILL_CODECS and (st.frames or 0) <= 1
            if is_picture(container) or one_still:
                raise InputError(f"{p.name} is a still image, not a video. Choose a video file.")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p.name} is not a video Talkie can read.") from exc
    return p


def video_info(path: Path | str) -> tuple[int, int, float, int]:
    """``(width, height, fps, frame_count_estimate)`` of the first video stream.

    Raises:
        InputError: see :func:`check_video`.
    """
    p = check_video(path)
    try:
        with av.open(str(p)) as container:
            st = container.streams.video[0]
            fps = float(st.average_rate or st.guessed_rate or 25)
            n = int(st.frames or 0)
            return st.codec_context.width, st.codec_context.height, fps, n
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"{p.name} is not a video Talkie can read.") from exc


def iter_frames(path: Path | str, step: int = 1) -> Iterator[np.ndarray]:
    """Yield every ``step``-th frame as ``(H, W, 3) uint8`` RGB, holding one at a time.

    Raises:
        InputError: the file does not exist or is not a readable video.
    """
    p = check_video(path)
    try:
        with av.open(str(p)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for n, frame in enumerate(container.decode(stream)):
                if n % step == 0:
                    yield frame.to_ndarray(format="rgb24")
    except av.FFmpegError as exc:
        raise InputError(f"{p.name} is not a video Talkie can read.") from exc


def _first_time(path: Path | str, kind: str) -> float | None:
    """Seconds: the presentation time of the first decoded frame of the first ``kind``
    (``"video"`` or ``"audio"``) stream, ``None`` when there is none."""
    with av.open(str(path)) as container:
        streams = getattr(container.streams, kind)
        if not streams:
            return None
        for frame in container.decode(streams[0]):
            return float(frame.time) if frame.time is not None else 0.0
    return None


def picture_delay(video: Path | str, sound: Path | str | None = None) -> float:
    """Seconds from the sound's first sample to the video's first frame.

    Frame ``k`` shows the moment ``picture_delay + k / fps`` of the sound. A container
    gives each stream its own start: a clip re-encoded from another recording can start
    its picture after its sound (CREMA-D's, by one frame of 29.97 fps), and pairing
    frame ``k`` with the sound at ``k / fps`` then reads every movement a frame early.

    Args:
        video: the video file.
        sound: the file its sound is read from, which starts at its own first sample
            (default: the video's own sound; 0 where it has none).

    Raises:
        InputError: see :func:`check_video`.
    """
    p = check_video(video)
    try:
        start = _first_time(p, "video") or 0.0
        heard = _first_time(sound if sound is not None else p, "audio")
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"{p.name} is not a video Talkie can read.") from exc
    return start - (heard or 0.0)


def shift_frames(per_frame: np.ndarray, shift: int, fill: float | None = None) -> np.ndarray:
    """``(T, ...)`` per-frame values moved ``shift`` frames later: row ``j`` of the result
    is row ``j - shift`` of ``per_frame``.

    With ``shift = round(picture_delay * fps)`` this puts a video's frames on its sound's
    frame grid (row ``j`` is what the picture shows at ``j / fps`` s of the sound), and
    ``-shift`` puts values of the sound's frames on the video's. Rows with no source row
    repeat the nearest one, or hold ``fill``.
    """
    x = np.asarray(per_frame)
    n = len(x)
    if shift == 0 or n == 0:
        return x.copy()
    src = np.arange(n) - shift
    out = x[np.clip(src, 0, n - 1)].copy()
    if fill is not None:
        out[(src < 0) | (src >= n)] = fill
    return out
