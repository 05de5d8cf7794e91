"""Speed of audio analysis and motion: 60 s of speech -> phones -> motion track.

Input: GRID s1 sentences from ../shared/data joined to 60 s. Measured: wall
time of ``analyse_audio`` (pocketsphinx phone loop) plus ``Animation`` (motion
for the whole clip: phonetic and GAN), median of 5. Target: <= 4 s.

Run: ``python -m bench --only analysis`` or ``python bench/bench_analysis.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = 5
TARGET_S = 4.0
SECONDS = 60.0


def speech_wav(folder: Path) -> Path:
    """Write 60 s of GRID s1 speech as a 16 kHz WAV in ``folder``."""
    import av

    clips = sorted((ROOT.parent / "shared" / "data" / "grid" / "s1" / "audio").glob("*.flac"))
    parts: list[np.ndarray] = []
    total = 0
    for clip in clips:
        with av.open(str(clip)) as f:
            x = np.concatenate([fr.to_ndarray().reshape(-1) for fr in f.decode(audio=0)])
        parts.append(x.astype(np.int16))
        total += len(x)
        if total >= SECONDS * 16000:
            break
    path = folder / "speech60.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.concatenate(parts)[: int(SECONDS * 16000)].tobytes())
    return path


def main() -> dict[str, Any]:
    """Time analysis + motion of 60 s; print one line; return results for ``python -m bench``."""
    import engine

    portrait = engine.analyse_portrait(
        engine.load_image(ROOT / "assets" / "samples" / "astronaut.png"))
    with tempfile.TemporaryDirectory() as tmp:
        audio = engine.load_audio(speech_wav(Path(tmp)))
    results: dict[str, Any] = {}
    for source in ("phonetic", "gan"):
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            analysis = engine.analyse_audio(audio)
            anim = engine.Animation(portrait, analysis, engine.Settings(motion_source=source))
            times.append(time.perf_counter() - t0)
        assert anim.motion_source == source
        median = float(np.median(times))
        print(f"analysis + {source} motion of 60 s: median {median:.2f} s over {RUNS} "
              f"(target <= {TARGET_S:.0f} s: {'ok' if median <= TARGET_S else 'MISSED'})")
        results[f"analysis_60s_{source}_s"] = {
            "value": round(median, 3), "unit": "s", "target": f"<= {TARGET_S:.0f}",
            "note": f"phones + {source} motion of 60 s of speech, median of {RUNS}",
        }
    return results


if __name__ == "__main__":
    main()
