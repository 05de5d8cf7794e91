"""Reading frames and writing H.264 MP4 for the evaluation (PyAV and OpenCV)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import cv2

from .common import Frame


def read_rgb(path: Path) -> Frame:
    """An image file as RGB (OpenCV reads BGR)."""
    return cast(Frame, cv2.cvtColor(cast(Frame, cv2.imread(str(path), cv2.IMREAD_COLOR)),
                                    cv2.COLOR_BGR2RGB))


def first_frame(path: Path, index: int = 0) -> Frame:
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i >= index:
                return cast(Frame, f.to_ndarray(format="rgb24"))
    raise RuntimeError(f"no frame in {path}")


def decode(path: Path) -> Iterator[av.VideoFrame]:
    with av.open(str(path)) as c:
        yield from c.decode(video=0)


def write_mp4(
    path: Path,
    frames: Iterator[Frame],
    width: int,
    height: int,
    fps: int,
    crf: int,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write RGB frames as H.264 MP4: Talkie's Mp4Writer when available, else PyAV."""
    try:
        from engine.media.mp4 import Mp4Writer

        have_writer = True
    except ImportError:
        have_writer = False
    if have_writer and metadata is not None:
        # The exporter's settings (engine/export.py): preset veryfast.
        with Mp4Writer(path, width, height, fps, crf=crf, metadata=metadata,
                       preset="veryfast") as wr:
            for f in frames:
                wr.write(f)
        return
    encode_pyav(path, frames, width, height, fps, crf, metadata or {})


def encode_pyav(
    path: Path,
    frames: Iterator[Frame],
    width: int,
    height: int,
    fps: int | Fraction,
    crf: int,
    metadata: dict[str, str],
) -> None:
    """libx264 yuv420p at ``crf``, +faststart, with container ``metadata``."""
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as c:
        for k, v in metadata.items():
            c.metadata[k] = v
        st = c.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = width, height, "yuv420p"
        st.options = {"crf": str(crf), "preset": "medium"}
        for f in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in st.encode():
            c.mux(p)
