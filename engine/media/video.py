"""Reading frames of a video file one at a time (for self-checks and verification)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from engine.errors import InputError


def video_info(path: Path | str) -> tuple[int, int, float, int]:
    """``(width, height, fps, frame_count_estimate)`` of the first video stream."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"{Path(path).name} has no video.")
            st = container.streams.video[0]
            fps = float(st.average_rate or st.guessed_rate or 25)
            n = int(st.frames or 0)
            return st.codec_context.width, st.codec_context.height, fps, n
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"{Path(path).name} is not a video Talkie can read.") from exc


def iter_frames(path: Path | str, step: int = 1) -> Iterator[np.ndarray]:
    """Yield every ``step``-th frame as ``(H, W, 3) uint8`` RGB, holding one at a time.

    Raises:
        InputError: the file does not exist or is not a readable video.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The file {p} does not exist.")
    try:
        with av.open(str(p)) as container:
            if not container.streams.video:
                raise InputError(f"{p.name} has no video.")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for n, frame in enumerate(container.decode(stream)):
                if n % step == 0:
                    yield frame.to_ndarray(format="rgb24")
    except av.FFmpegError as exc:
        raise InputError(f"{p.name} is not a video Talkie can read.") from exc
