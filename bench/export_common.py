"""Inputs and helpers shared by :mod:`bench.bench_export` and :mod:`bench.long_export`.

Not a benchmark itself (``python -m bench`` runs only ``bench/bench_*.py``):
the constants, the result-cell helpers, the engine's public API in one import,
and the inputs, ``assets/samples/astronaut.png`` upscaled to 1024x1024 (from
``skimage.data`` when the sample is not there yet) and GRID s1 sentences from
``../shared/data/grid/s1/audio/*.flac`` joined to a given length.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GRID_AUDIO = ROOT.parent / "shared" / "data" / "grid" / "s1" / "audio"
SAMPLE = ROOT / "assets" / "samples" / "astronaut.png"
FPS = 25
RSS_TARGET_MB = 1536.0


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _cell(value: Any, unit: str = "", target: str = "", note: str = "") -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "note": note}


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:300]


def engine_api() -> SimpleNamespace:
    """The engine's public API the GUI and the CLI use; raises if any of it is missing."""
    from engine import (
        Animation,
        OutputOptions,
        Settings,
        analyse_audio,
        analyse_portrait,
        export,
        load_audio,
        load_image,
    )

    return SimpleNamespace(
        Animation=Animation,
        OutputOptions=OutputOptions,
        Settings=Settings,
        analyse_audio=analyse_audio,
        analyse_portrait=analyse_portrait,
        export=export,
        load_audio=load_audio,
        load_image=load_image,
    )


# --------------------------------------------------------------------------- inputs


def make_portrait(path: Path, side: int = 1024) -> str:
    """Write the astronaut portrait, upscaled to ``side`` x ``side``, as PNG; returns its origin."""
    import cv2

    if SAMPLE.exists():
        bgr = cv2.imread(str(SAMPLE), cv2.IMREAD_COLOR)
        origin = "assets/samples/astronaut.png"
    else:
        from skimage import data  # dev dependency; the same NASA picture

        bgr = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
        origin = "skimage.data.astronaut() (assets/samples/astronaut.png missing)"
    if bgr is None:
        raise RuntimeError(f"cannot read {SAMPLE}")
    h, w = bgr.shape[:2]
    if (h, w) != (side, side):
        s = min(h, w)
        y0, x0 = (h - s) // 2, (w - s) // 2
        bgr = bgr[y0 : y0 + s, x0 : x0 + s]
        interp = cv2.INTER_CUBIC if s < side else cv2.INTER_AREA
        bgr = cv2.resize(bgr, (side, side), interpolation=interp)
    cv2.imwrite(str(path), bgr)
    return origin


def grid_speech(seconds: float, rate: int = 16000) -> np.ndarray:
    """GRID s1 sentences decoded and joined to exactly ``seconds`` (float32 mono)."""
    import av

    files = sorted(GRID_AUDIO.glob("*.flac"))
    if not files:
        raise FileNotFoundError(f"no GRID audio in {GRID_AUDIO}")
    need = int(round(seconds * rate))
    parts: list[np.ndarray] = []
    have = 0
    i = 0
    while have < need:
        with av.open(str(files[i % len(files)])) as c:
            rs = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in c.decode(audio=0):
                for f in rs.resample(frame):
                    a = f.to_ndarray().reshape(-1)
                    parts.append(a)
                    have += a.shape[0]
            for f in rs.resample(None):
                a = f.to_ndarray().reshape(-1)
                parts.append(a)
                have += a.shape[0]
        i += 1
    return np.concatenate(parts)[:need].astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
