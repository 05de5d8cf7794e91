"""Speed of the speech model's generator with onnxruntime (CPU; CUDA where present).

Measured on the shipped ``assets/models/talkie_motion.onnx``:

- ``voice_60s_s``: :meth:`engine.audio.voice.Voice.analyse` for 60 s of GRID s1
  speech (log-mel, YIN pitch, accents, phrases): once per voice track, beside the
  phone recognition;
- ``gan_60s_total_s``: :meth:`engine.model.inference.MotionModel.motion` for those
  60 s at 25 fps (features + noise + the ONNX run + the pause gate + the outputs),
  median of 5 warm runs; target <= 0.5 s;
- ``gan_60s_onnx_s``: the onnxruntime ``session.run`` alone (on one chunk of at most
  60 s), median of 5;
- ``head_60s_s``: :func:`engine.motion.head.speech_head` (nods, phrases, brows);
- ``gan_load_s``: loading the model (session + metadata), cold;
- ``gan_600s_total_s``: the same for 10 minutes of audio (it scales linearly).

A missing model reports ``None`` with the reason; nothing here raises.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GRID_S1 = ROOT.parent / "shared" / "data" / "grid" / "s1" / "audio"


def _speech(seconds: float) -> np.ndarray:
    from engine.media.audio import load_audio

    parts, n = [], 0
    files = sorted(GRID_S1.glob("*.flac"))
    while n < seconds * 16000 and files:
        a = load_audio(files[len(parts) % len(files)]).samples
        parts.append(a)
        n += len(a)
    if not parts:  # no GRID here: a modulated tone stands in
        t = np.arange(int(seconds * 16000)) / 16000
        return (0.2 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(
            np.float32)
    return np.concatenate(parts)[: int(seconds * 16000)].astype(np.float32)


def main() -> dict[str, Any]:
    from engine.audio.phones import recognise_phones
    from engine.audio.voice import Voice
    from engine.model import features, inference
    from engine.motion.head import speech_head

    path = inference.default_model_path()
    if not path.is_file():
        return {"gan_60s_total_s": {"value": None, "note": f"{path.name} is missing"}}
    t0 = time.perf_counter()
    model = inference.MotionModel(path)
    load_s = time.perf_counter() - t0
    out: dict[str, Any] = {"gan_load_s": {"value": round(load_s, 3), "unit": "s"},
                           "gan_provider": {"value": model.provider}}
    for seconds, key in ((60, "gan_60s"), (600, "gan_600s")):
        x = _speech(seconds)
        frames = int(round(seconds * 25))
        phones = recognise_phones(x)
        t = time.perf_counter()
        voice = Voice.analyse(x, phones)
        if seconds == 60:
            out["voice_60s_s"] = {"value": round(time.perf_counter() - t, 3), "unit": "s"}
            t = time.perf_counter()
            speech_head(voice, 25, frames)
            out["head_60s_s"] = {"value": round(time.perf_counter() - t, 3), "unit": "s"}
        model.motion(voice, 25, frames, seed=0)  # warm-up
        tot, onnx = [], []
        for i in range(5 if seconds <= 60 else 2):
            t = time.perf_counter()
            model.motion(voice, 25, frames, seed=i)
            tot.append(time.perf_counter() - t)
        audio = features.frame_windows(voice.features(), min(frames, inference.CHUNK), 25)[None]
        feeds = {"audio": audio, "identity": model.identity_input(None),
                 "noise": np.zeros((1, audio.shape[1], model.noise_dim), np.float32),
                 "eyelids": np.zeros((1, audio.shape[1], 1), np.float32)}
        for _ in range(5 if seconds <= 60 else 2):
            t = time.perf_counter()
            model.session.run(None, feeds)
            onnx.append(time.perf_counter() - t)
        out[f"{key}_total_s"] = {"value": round(statistics.median(tot), 3), "unit": "s",
                                 "target": "<= 0.5" if seconds == 60 else None}
        out[f"{key}_onnx_s"] = {"value": round(statistics.median(onnx), 3), "unit": "s"}
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
