"""Per-frame time of other talking-head generators on this CPU.

ARCHITECTURAL RE-IMPLEMENTATIONS WITH RANDOM WEIGHTS. :mod:`bench.peers.sda`
(Vougioukas et al., IJCV 2019) and :mod:`bench.peers.wav2lip` (Prajwal et al.,
ACM MM 2020) are written from the papers' layer descriptions, not from the
authors' code, and are never trained: they cannot make a face, only show how
long the network alone takes to run, each at its native output size. Their
pre- and post-processing (face detection and crop, mel spectrogram, pasting
the 96 px crop back) is not timed, so these times are lower bounds for those
methods.

Two ways of running each:

- streaming: one frame per call (batch 1), as an interactive app scrubbing
  or previewing would; SDA keeps its GRU states between calls and encodes
  the identity once;
- batched: one second of video (25 frames) per call, as an offline export
  would; reported per frame and as frames per second.

``python -m bench.peers`` prints the figures; :func:`main` returns them.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

THREADS = 2
FPS = 25
NOTE = (
    "architectural re-implementation from the paper's layer description, random weights "
    "(timing only; pre/post-processing such as face detection and mel not included)"
)


def _timeit(fn: Callable[[], object], repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _summary(prefix: str, per_frame: list[float]) -> dict[str, float]:
    per_frame = sorted(per_frame)
    p90 = per_frame[min(len(per_frame) - 1, int(round(0.9 * (len(per_frame) - 1))))]
    return {
        f"{prefix}_ms_median": 1000 * statistics.median(per_frame),
        f"{prefix}_ms_p90": 1000 * p90,
    }


def bench_sda(stream_frames: int = 50, batches: int = 5) -> dict[str, Any]:
    import torch

    from bench.peers import sda

    model = sda.SDAGenerator().eval()
    still, windows = sda.make_inputs(max(stream_frames, FPS))
    out: dict[str, Any] = {
        "params_M": sum(p.numel() for p in model.parameters()) / 1e6,
        "output": "96x128 RGB",
    }
    with torch.inference_mode():
        identity = model.encode_identity(still)
        state: list[Any] = [(None, None)]
        i = [0]

        def one() -> None:
            k = i[0] % windows.shape[0]
            _, state[0] = model.step(identity, windows[k : k + 1], state[0])
            i[0] += 1

        out.update(_summary("stream", _timeit(one, stream_frames, warmup=5)))
        sec = windows[:FPS]
        times = _timeit(lambda: model(still, sec), batches, warmup=1)
        per = [t / FPS for t in times]
        out.update(_summary("batched", per))
        out["batched_fps"] = FPS / statistics.median(times)
        assert model(still, sec).shape == (FPS, 3, 128, 96)
    return out


def bench_wav2lip(stream_frames: int = 50, batches: int = 5) -> dict[str, Any]:
    import torch

    from bench.peers import wav2lip

    model = wav2lip.Wav2LipGenerator().eval()
    faces, mels = wav2lip.make_inputs(FPS)
    out: dict[str, Any] = {
        "params_M": sum(p.numel() for p in model.parameters()) / 1e6,
        "output": "96x96 RGB",
    }
    with torch.inference_mode():
        i = [0]

        def one() -> None:
            k = i[0] % FPS
            model(faces[k : k + 1], mels[k : k + 1])
            i[0] += 1

        out.update(_summary("stream", _timeit(one, stream_frames, warmup=5)))
        times = _timeit(lambda: model(faces, mels), batches, warmup=1)
        out.update(_summary("batched", [t / FPS for t in times]))
        out["batched_fps"] = FPS / statistics.median(times)
        assert model(faces, mels).shape == (FPS, 3, 96, 96)
    return out


def main() -> dict[str, Any]:
    """Time both peers; keys ``sda`` and ``wav2lip`` hold their figures (ms per frame)."""
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    load0 = os.getloadavg()[0]
    result: dict[str, Any] = {
        "note": NOTE,
        "torch": torch.__version__,
        "threads": THREADS,
    }
    result["sda"] = bench_sda()
    result["wav2lip"] = bench_wav2lip()
    result["loadavg_1min"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return result


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(main(), indent=2))
