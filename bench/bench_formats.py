"""Export speed and size of each format, with a transparent (cut-out) portrait.

Input: ``assets/samples/astronaut.png`` upscaled to 1024x1024 and cut out along
a soft ellipse (an RGBA PNG, as an artist's cut-out), GRID s1 speech joined to
``TALKIE_BENCH_FORMAT_SECONDS`` (10) seconds; exported at
``TALKIE_BENCH_FORMAT_SIZE`` (512) px to ``.mp4`` (alpha flattened), ProRes
4444 ``.mov``, VP9 ``.webm`` and a PNG sequence. Measured: wall seconds, frames
per second, megabytes written.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.export_common import (
    FPS,
    _cell,
    _env_int,
    _reason,
    engine_api,
    grid_speech,
    make_portrait,
    write_wav,
)

OUTPUTS = (("mp4", "talk.mp4"), ("mov", "talk.mov"), ("webm", "talk.webm"), ("png", "talk"))


def cut_out(src: Path, dst: Path) -> None:
    """``src`` with an elliptical, softly edged alpha channel, as RGBA PNG ``dst``."""
    import cv2

    bgr = cv2.imread(str(src))
    h, w = bgr.shape[:2]
    alpha = np.zeros((h, w), np.uint8)
    cv2.ellipse(alpha, (w // 2 - w // 25, h // 2 - h // 17), (int(w * 0.3), int(h * 0.4)),
                0, 0, 360, 255, -1)
    cv2.imwrite(str(dst), np.dstack([bgr, cv2.GaussianBlur(alpha, (0, 0), w / 128)]))


def _size_mb(path: Path) -> float:
    files = path.rglob("*") if path.is_dir() else [path]
    return sum(f.stat().st_size for f in files if f.is_file()) / 1e6


def main() -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    res: dict[str, Any] = {}
    seconds = float(_env_int("TALKIE_BENCH_FORMAT_SECONDS", 10))
    size = _env_int("TALKIE_BENCH_FORMAT_SIZE", 512)
    with tempfile.TemporaryDirectory(prefix="talkie-bench-formats-") as d:
        tmp = Path(d)
        try:
            api = engine_api()
            make_portrait(tmp / "opaque.png")
            cut_out(tmp / "opaque.png", tmp / "cutout.png")
            write_wav(tmp / "speech.wav", grid_speech(seconds))
            portrait = api.analyse_portrait(api.load_image(tmp / "cutout.png"))
            speech = api.analyse_audio(api.load_audio(tmp / "speech.wav"))
            anim = api.Animation(portrait, speech, api.Settings(fps=FPS))
            output = api.OutputOptions(size=size)
        except Exception as exc:  # noqa: BLE001
            res["inputs"] = _cell(None, note=f"not available: {_reason(exc)}")
            return res
        res["inputs"] = _cell(f"cut-out astronaut, {seconds:g} s of GRID s1, {size} px",
                              note=f"{anim.frame_count} frames")
        for key, name in OUTPUTS:
            out = tmp / name
            try:
                t0 = time.perf_counter()
                api.export(anim, out, output)
                wall = time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001
                res[f"export_s_{key}"] = _cell(None, "s", note=f"not available: {_reason(exc)}")
                continue
            res[f"export_s_{key}"] = _cell(wall, "s", note=f"{anim.frame_count / wall:.1f} fps")
            res[f"size_mb_{key}"] = _cell(_size_mb(out), "MB")
    return res


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
