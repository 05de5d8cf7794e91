"""What a media file says about itself before it is decoded: whether FFmpeg can open it,
whether it is a picture, the length its header states and whether that length is exact.

Used by :func:`engine.media.audio.load_audio` to refuse a file early (too long, not
sound) and to tell a file cut short from one whose header only estimates its length, and
by :func:`engine.media.video.check_video` to refuse a picture given as a video.
"""

from __future__ import annotations

from pathlib import Path

import av

from engine.errors import AudioError


def is_picture(container: av.container.InputContainer) -> bool:
    """Whether FFmpeg opened a still image (its image demuxers, not a video file)."""
    names = container.format.name.split(",")
    return any(n == "image2" or n.endswith("_pipe") for n in names)


def open_container(p: Path) -> av.container.InputContainer:
    """``p`` opened by FFmpeg for reading; :class:`AudioError` when it is no media file."""
    try:
        return av.open(str(p), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as e:
        raise AudioError(f"The file {p.name} cannot be read: it is not a sound or video file, "
                         "or it is damaged.") from e


def header_duration(container: av.container.InputContainer,
                     stream: av.audio.stream.AudioStream) -> float | None:
    """The length the stream (else the container) states, seconds, or None."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000.0
    return None


def wav_stated_seconds(p: Path) -> float | None:
    """The length a RIFF/WAVE header states (its ``data`` chunk size), seconds, or None.

    None when the header is not plain RIFF/WAVE, or states no usable size
    (0 or 0xFFFFFFFF: a stream written without knowing its length).
    """
    try:
        with open(p, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, block, rate = 12, 0, 0
    while pos + 8 <= len(head):
        tag, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if tag == b"fmt " and pos + 22 <= len(head):
            rate = int.from_bytes(head[pos + 12:pos + 16], "little")
            block = int.from_bytes(head[pos + 20:pos + 22], "little")
        elif tag == b"data":
            if not block or not rate or size in (0, 0xFFFFFFFF):
                return None
            return size / block / rate
        pos += 8 + size + (size & 1)
    return None


EXACT_FORMATS = ("wav", "w64", "flac", "mov", "mp4", "matroska", "aiff", "caf")


def header_is_exact(container: av.container.InputContainer, p: Path) -> bool:
    """Whether the container states the true length (not an estimate from the bit rate)."""
    names = container.format.name.split(",")
    if "mp3" in names:
        try:
            with open(p, "rb") as f:
                head = f.read(16384)
        except OSError:
            return False
        return any(tag in head for tag in (b"Xing", b"Info", b"VBRI"))
    return any(n in EXACT_FORMATS for n in names)


def too_long(p: Path, seconds: float | None, limit: float) -> str:
    """The message for a sound longer than ``limit`` seconds."""
    what = f" ({seconds / 60:.0f} minutes)" if seconds is not None else ""
    return (f"The sound file {p.name} is too long{what}: the longest sound Talkie accepts is "
            f"{limit / 60:.0f} minutes. Cut it into shorter parts.")
