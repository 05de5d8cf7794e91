"""The re-encode attacks a marked export has to survive (see the entry point's doc)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import av
import numpy as np

from .common import FPS, Frame
from .media import decode, encode_pyav


def attack(src: Path, dst: Path, name: str) -> None:
    """Apply attack ``name`` (see module doc) to ``src``, writing ``dst``."""
    with av.open(str(src)) as c:
        w, h = c.streams.video[0].width, c.streams.video[0].height
    crf = 28 if name in ("crf28", "combo") else 23
    fps = 15 if name in ("fps15", "combo") else FPS
    crop = name in ("crop10", "combo")
    scale = name in ("scale50", "combo")
    x0, y0 = (int(round(w * 0.1)), int(round(h * 0.1))) if crop else (0, 0)
    cw, ch = w - 2 * x0, h - 2 * y0
    ow, oh = (cw // 4 * 2, ch // 4 * 2) if scale else (cw // 2 * 2, ch // 2 * 2)

    def frames() -> Iterator[Frame]:
        step = FPS / fps
        nxt = 0.0
        for i, vf in enumerate(decode(src)):
            if i + 1e-9 < nxt:
                continue
            nxt += step
            if scale:
                # Crop first (in RGB), then let swscale resize like ffmpeg's scale filter.
                rgb = cast(Frame, vf.to_ndarray(format="rgb24"))[y0 : y0 + ch, x0 : x0 + cw]
                small = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
                yield cast(Frame, small.reformat(
                    width=ow, height=oh, interpolation="BICUBIC"
                ).to_ndarray(format="rgb24"))
            else:
                yield cast(Frame, vf.to_ndarray(format="rgb24"))[y0 : y0 + oh, x0 : x0 + ow]

    encode_pyav(dst, frames(), ow, oh, fps, crf, {})
