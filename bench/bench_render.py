"""Speed of :func:`engine.render.render_frame` alone (no export, no encoding).

Input: scikit-image's astronaut portrait upscaled to 1024x1024 (the same
picture as ``assets/samples/astronaut.png``), its landmarks from
``engine.face.detect_faces``, and a synthetic 4 s motion track at 25 fps
that exercises every part of the renderer: a jaw that opens and closes
(lower face moving down, beyond the portrait's rest), blinks, head
sway (pitch/yaw/roll about ±2 degrees, translation, scale) and the eyes'
glances (the irises off centre on every frame, as the app's are).

Measured, per output long edge 256, 512 and 1024 px (``size=`` of
``render_frame``, the 1024 figure is the portrait's full resolution):
p50 and p95 of the wall time of one call, over every frame of the track,
after one warm-up call per size (which builds the cached downscaled copy),
and the p50 of the process CPU time per call (a figure that other load on
the machine does not inflate as much as it does the wall time). Each frame's
time is the least of :data:`REPEATS` passes over the whole track, so that a
pause of a shared machine does not pass for a slow frame.
Targets: p95 <= 25 ms at 512 (scrubbing); <= 8 ms at 1024 (issue 14).

Run: ``python -m bench --only render`` or ``python bench/bench_render.py``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES = (256, 512, 1024)
FPS = 25.0
SECONDS = 4.0
TARGETS = {512: 25.0, 1024: 8.0}
#: Passes over the track; each frame's time is its least over the passes.
REPEATS = 3


def portrait(side: int = 1024) -> np.ndarray:
    """``(side, side, 3) uint8`` astronaut, upscaled with bicubic interpolation."""
    import cv2
    from skimage import data

    return cv2.resize(data.astronaut(), (side, side), interpolation=cv2.INTER_CUBIC)


def synthetic_motion(neutral: np.ndarray, frames: int, fps: float = FPS) -> Any:
    """A :class:`MotionTrack` with jaw, blinks, head sway and glances (module docstring).

    Args:
        neutral: ``(468, 3)`` canonical neutral face (x right, y down).
        frames: number of frames.
        fps: frames per second.
    """
    from engine.motion.track import MotionTrack

    basis = jaw_basis(neutral)[None]
    t = np.arange(frames) / fps
    coeffs = (0.06 * (1.0 - np.cos(2 * np.pi * 2.3 * t)))[:, None].astype(np.float32)
    pose = np.zeros((frames, 6), dtype=np.float32)
    deg = np.pi / 180.0
    pose[:, 0] = 2 * deg * np.sin(2 * np.pi * 0.31 * t)
    pose[:, 1] = 2 * deg * np.sin(2 * np.pi * 0.23 * t + 1.0)
    pose[:, 2] = 1.5 * deg * np.sin(2 * np.pi * 0.17 * t + 2.0)
    pose[:, 3] = 0.02 * np.sin(2 * np.pi * 0.13 * t)
    pose[:, 4] = 0.02 * np.sin(2 * np.pi * 0.19 * t + 0.5)
    pose[:, 5] = 0.01 * np.sin(2 * np.pi * 0.11 * t)
    lids = np.zeros((frames, 2), dtype=np.float32)
    for onset in (0.7, 2.4, 3.5):
        lids[:, :] += np.clip(1.0 - np.abs(t - onset) / 0.08, 0.0, 1.0)[:, None]
    lids = np.clip(lids, 0.0, 1.0)
    mouth_open = coeffs[:, 0].copy()
    gaze = np.stack([0.15 * np.sin(2 * np.pi * 0.4 * t + 0.3),
                     0.1 * np.cos(2 * np.pi * 0.3 * t)], axis=1).astype(np.float32)
    return MotionTrack(fps, basis, coeffs, pose, lids, mouth_open, gaze=gaze)


def jaw_basis(neutral: np.ndarray) -> np.ndarray:
    """``(468, 3) float32`` a jaw-drop shape: 1 unit moves the chin and lower lip down 1 IOD.

    Everything below the mouth corners moves down, fully at the lower lip and
    chin, fading out towards the cheeks; the upper inner lip rises a little.
    """
    from engine.render import topology as topo

    n = np.asarray(neutral, dtype=np.float64)
    corners_y = n[[61, 291], 1].mean()
    chin_y = n[topo.CHIN, 1]
    centre_x = n[[61, 291], 0].mean()
    half_w = 0.5 * abs(n[291, 0] - n[61, 0])
    vert = np.clip((n[:, 1] - corners_y) / (0.35 * (chin_y - corners_y)), 0.0, 1.0)
    lat = np.clip(1.0 - (np.abs(n[:, 0] - centre_x) / (2.2 * half_w)) ** 2, 0.0, 1.0)
    w = vert * lat
    w[topo.LIPS_INNER_LOWER[1:-1]] = np.maximum(w[topo.LIPS_INNER_LOWER[1:-1]], 0.9)
    w[topo.LIPS_OUTER_LOWER[1:-1]] = np.maximum(w[topo.LIPS_OUTER_LOWER[1:-1]], 0.9)
    w[[78, 308, 61, 291]] = 0.35
    basis = np.zeros_like(n)
    basis[:, 1] = w
    basis[topo.LIPS_INNER_UPPER[1:-1], 1] -= 0.12
    return basis.astype(np.float32)


def _time(fn: Any, n: int, repeats: int = REPEATS) -> tuple[list[float], list[float]]:
    """Wall and CPU (this process, all threads) milliseconds of ``fn(i)`` for ``i < n``:
    per frame, the least of ``repeats`` passes over all the frames (a pause of the
    machine lands on one pass, not on the frame's cost)."""
    wall = np.full((repeats, n), np.inf)
    cpu = np.full((repeats, n), np.inf)
    for r in range(repeats):
        for i in range(n):
            c0, t0 = time.process_time(), time.perf_counter()
            fn(i)
            wall[r, i] = (time.perf_counter() - t0) * 1000.0
            cpu[r, i] = (time.process_time() - c0) * 1000.0
    return wall.min(axis=0).tolist(), cpu.min(axis=0).tolist()


def main() -> dict[str, Any]:
    """Benchmark ``render_frame``; returns ``{"render_<size>": {"p50": ms, "p95": ms}, ...}``."""
    logging.basicConfig(level=logging.WARNING)
    from engine.face import detect_faces
    from engine.render import PortraitRig, render_frame

    rgb = portrait(1024)
    faces = detect_faces(rgb)
    if not faces:
        return {"skipped": {"value": None, "note": "no face found in the benchmark portrait"}}
    t0 = time.perf_counter()
    rig = PortraitRig.build(rgb, None, faces[0].landmarks)
    build_ms = (time.perf_counter() - t0) * 1000.0
    frames = int(SECONDS * FPS)
    motion = synthetic_motion(rig.neutral, frames)
    result: dict[str, Any] = {
        "rig_build_ms": {"value": round(build_ms, 1), "unit": "ms",
                         "note": "once per portrait; the first of a process also loads "
                                 "GRID s1's teeth and their fine copies (about 50 ms)"}
    }
    for size in SIZES:
        render_frame(rig, motion, 0, size)  # warm-up: builds the cached downscaled copy
        times, cpu = _time(lambda i, s=size: render_frame(rig, motion, i, s), frames)
        target = TARGETS.get(size)
        result[f"render_{size}"] = {
            "p50": {
                "value": round(float(np.percentile(times, 50)), 2),
                "unit": "ms",
                "note": f"astronaut 1024x1024 rig, jaw + blinks + head sway + glances, "
                        f"{frames} frames, least of {REPEATS} passes",
            },
            "p95": {
                "value": round(float(np.percentile(times, 95)), 2),
                "unit": "ms",
                "target": f"<= {target:g}" if target else "",
            },
            "cpu_p50": {
                "value": round(float(np.percentile(cpu, 50)), 2),
                "unit": "ms",
                "note": "process CPU time per call; above wall time when threads run in parallel",
            },
        }
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))  # noqa: T201 - a command-line tool
