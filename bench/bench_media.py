"""Media I/O speed: decode 10 minutes of mp3 to 16 kHz mono (target <= 3 s).

The mp3 is made at run time in a temporary folder: GRID s1 speech clips are
joined into 10 minutes, turned into 44.1 kHz stereo (what users usually
have) and encoded at 128 kb/s with PyAV's libmp3lame. ``load_audio`` is then
timed, median of 5. Also reported: MP4 writing speed at 1024x1024.

``python -m bench.bench_media`` runs it alone.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.media import Mp4Writer, load_audio  # noqa: E402

log = logging.getLogger("bench.media")

GRID_S1 = ROOT.parent / "shared" / "data" / "grid" / "s1" / "audio"
MINUTES = 10.0
RUNS = 5


def _grid_speech(seconds: float) -> np.ndarray:
    """``(N,) float32`` 16 kHz speech: GRID s1 clips joined until ``seconds`` long."""
    need = int(seconds * 16000)
    parts: list[np.ndarray] = []
    have = 0
    for f in sorted(GRID_S1.glob("*.flac")):
        with av.open(str(f)) as c:
            for fr in c.decode(audio=0):
                a = fr.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
                parts.append(a)
                have += a.size
        if have >= need:
            break
    x = np.concatenate(parts)
    if x.size < need:
        x = np.tile(x, int(np.ceil(need / x.size)))
    return x[:need]


def make_mp3(path: Path, seconds: float = MINUTES * 60, rate: int = 44100,
             layout: str = "stereo") -> None:
    """Encode ``seconds`` of GRID speech as a 128 kb/s mp3 at ``rate`` / ``layout``."""
    x = _grid_speech(seconds)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libmp3lame", rate=rate, layout=layout)
        s.codec_context.bit_rate = 128000
        res = av.AudioResampler(format="s16p", layout=layout, rate=rate)
        step = 16000 * 10
        for i in range(0, x.size, step):
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(x[None, i : i + step]),
                                            format="flt", layout="mono")
            fr.sample_rate = 16000
            for g in res.resample(fr):
                for p in s.encode(g):
                    c.mux(p)
        for g in res.resample(None):
            for p in s.encode(g):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def bench_decode(path: Path, runs: int = RUNS) -> dict[str, Any]:
    """Wall and CPU seconds of ``load_audio(path)``, ``runs`` times, and the pure decode."""
    wall, cpu = [], []
    duration = 0.0
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        a = load_audio(path)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        duration = a.duration
        del a
    c0 = time.process_time()
    with av.open(str(path)) as c:
        for _ in c.decode(audio=0):
            pass
    return {"wall": wall, "cpu": cpu, "duration": duration,
            "decode_only_cpu": time.process_time() - c0}


def bench_mp4(frames: int = 50, size: int = 1024, preset: str = "medium") -> float:
    """Frames per second writing ``size`` x ``size`` frames with sound."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    base = np.ascontiguousarray(np.repeat(np.repeat(base[::16, ::16], 16, 0), 16, 1))
    audio = np.zeros((2, 48000 * frames // 25), np.float32)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        with Mp4Writer(Path(d) / "b.mp4", size, size, 25, audio=audio, preset=preset) as w:
            for i in range(frames):
                w.write(np.roll(base, i * 4, axis=1))
        return frames / (time.perf_counter() - t0)


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        mp3 = Path(d) / "ten_minutes.mp3"
        t0 = time.perf_counter()
        make_mp3(mp3)
        made = time.perf_counter() - t0
        r = bench_decode(mp3)
    fps = bench_mp4()
    wall, cpu = statistics.median(r["wall"]), statistics.median(r["cpu"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs = ", ".join(f"{t:.2f}" for t in r["wall"])
    log.info("decode %.0f s of 44.1 kHz stereo mp3 to 16 kHz mono: median %.2f s wall "
             "(%s), %.2f s CPU (FFmpeg decode alone %.2f s CPU); load average %.1f; "
             "mp4 1024x1024 medium: %.1f fps (mp3 made in %.1f s)", r["duration"], wall, runs,
             cpu, r["decode_only_cpu"], load, fps, made)
    return {
        "mp3_10min_decode_s": {
            "value": round(wall, 3), "unit": "s", "target": "<= 3",
            "note": f"10 min 44.1 kHz stereo 128 kb/s mp3 -> 16 kHz mono + original kept; "
                    f"median of {RUNS} ({runs}); load average {load:.1f}",
        },
        "mp3_10min_decode_cpu_s": {
            "value": round(cpu, 3), "unit": "s",
            "note": f"CPU time of the same (robust to a busy machine); FFmpeg's decode "
                    f"alone takes {r['decode_only_cpu']:.2f} s",
        },
        "mp4_write_1024_fps": {
            "value": round(fps, 1), "unit": "fps",
            "note": "Mp4Writer, 1024x1024, default preset (veryfast), crf 18, with AAC",
        },
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(main())  # noqa: T201 - a command-line report
