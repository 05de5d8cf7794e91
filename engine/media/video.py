"""Reading frames of a video file one at a time (for self-checks and verification)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from engine.errors import InputError
from engine.media.files import check_input_file

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
            still = container.format.name.endswith("_pipe") or container.format.name == "image2"
            if still or (st.codec_context.name in _STILL_CODECS and (st.frames or 0) <= 1):
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
