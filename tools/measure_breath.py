"""Measure how GRID s1 draws breath before he speaks: ``assets/motion/breath.npz``.

Reads the prepare-data cache of the training speaker (``cache/model/grid/s1``,
``python main.py prepare-data``: the engine's face mesh tracked on every frame,
pocketsphinx's phones). For every clip whose first recognised speech phone
comes at least :data:`BEFORE` frames after the start, with the face tracked
throughout, it takes the expression (canonical displacement from the clip's
rest face, the median of its silent frames) over the :data:`BEFORE` frames
before that phone. Their mean is the breath:

- ``profile``: ``(BEFORE,) float32``, the mean inner-lip opening (13-14) over
  those frames, in inter-ocular distances, from ``BEFORE`` frames before the
  first phone to the frame before it (25 fps);
- ``shape``: ``(468, 3) float32``, the mean displacement over the frames where
  that profile is at least half its peak, on the mouth, jaw and cheeks only (the
  phonetic basis's weights: eyes and brows left out), scaled so that it opens
  the inner lips by 1 inter-ocular distance: ``profile[k] * shape`` is the
  mean breath.

s1 is the only speaker trained on; the validation speakers never enter it.

Writes ``assets/motion/breath.npz`` (``profile``, ``shape``, ``info`` JSON) and
``assets/motion/BREATH.md``.

Usage::

    python tools/measure_breath.py [--cache cache/model/grid] [--out assets/motion/breath.npz]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Frames (25 fps) before the first phone that make the breath: 0.6 s.
BEFORE = 15


def onset_frame(npz: dict, fps: float) -> int | None:
    """Frame of the clip's first recognised speech phone, or None."""
    said = [t for lab, t in zip(npz["phone_labels"], npz["phone_times"], strict=True)
            if str(lab) != "sil"]
    return int(float(said[0][0]) * fps) if said else None


def measure(cache: Path) -> dict:
    from engine.model import dataset as ds
    from engine.model.landmarks import LIP_LO, LIP_UP

    runs, used = [], []
    for path in sorted((cache / "s1").glob("*.npz")):
        with np.load(path) as z:
            on = onset_frame({k: z[k] for k in ("phone_labels", "phone_times")},
                             float(z["fps"]))
        if on is None or on < BEFORE:
            continue
        clip = ds.load_clip(path)
        if not clip.valid[on - BEFORE:on].all():
            continue
        runs.append(clip.expr[on - BEFORE:on])
        used.append(path.stem)
    if not runs:
        raise SystemExit(f"no usable s1 clips under {cache}: run prepare-data first")
    mean = np.mean(runs, axis=0)                                  # (BEFORE, 468, 3)
    gap = mean[:, LIP_UP, :2] - mean[:, LIP_LO, :2]
    profile = np.linalg.norm(gap, axis=-1)
    peak = profile >= 0.5 * profile.max()
    return {"profile": profile.astype(np.float32),
            "shape": unit_mouth_shape(mean[peak].mean(axis=0)).astype(np.float32),
            "clips": used}


def unit_mouth_shape(field: np.ndarray) -> np.ndarray:
    """``(468, 3)`` displacement kept to the mouth, jaw and cheeks (the phonetic basis's
    weights: eyes and brows left out) and scaled to part the inner lips (13-14) by 1 IOD."""
    from engine.model.landmarks import LIP_LO, LIP_UP
    from engine.paths import asset

    with np.load(asset("motion", "phonetic_shapes.npz")) as z:
        shape = field * z["mouth_weights"].astype(field.dtype)[:, None]
    return shape / float(np.linalg.norm(shape[LIP_UP, :2] - shape[LIP_LO, :2]))


def readme(m: dict, info: dict) -> str:
    """``assets/motion/BREATH.md``: what ``breath.npz`` holds, how it was measured, credit."""
    row = " | ".join(f"{1000 * v:.1f}" for v in m["profile"])
    head = " | ".join(str(k - BEFORE) for k in range(BEFORE))
    return f"""# A breath before speaking (GRID s1)

Made by `tools/measure_breath.py` from the prepare-data cache of GRID speaker s1,
the training speaker (the GRID audio-visual corpus, CC BY 4.0; Cooke, Barker,
Cunningham and Shao, "An audio-visual corpus for speech perception and automatic
speech recognition", JASA 120(5), 2006).

Of s1's clips, the {info['clips']} whose first recognised speech phone comes at least
{BEFORE} frames (0.6 s) after the start, with the face tracked throughout: the mean
expression (canonical displacement from each clip's rest face) over the {BEFORE}
frames before that phone. Its inner-lip opening (13-14), in thousandths of an
inter-ocular distance, by frame (25 fps) relative to the first phone:

| {head} |
|{"---|" * BEFORE}
| {row} |

`breath.npz`: `profile ({BEFORE},) float32` that opening (IOD), `shape (468, 3)
float32` the mean displacement where the profile is at least half its peak, on the
mouth, jaw and cheeks (the phonetic basis's weights), scaled to part the inner lips
by 1 IOD; `info` JSON. Used by `engine.motion.breath` (*Breath* in the studio,
`--breath` on the command line; 0.3 by default, fitted by `tools/fit_breath.py`).
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "motion" / "breath.npz")
    args = ap.parse_args(argv)
    m = measure(args.cache)
    info = {"speaker": "GRID s1", "clips": len(m["clips"]), "fps": 25, "before_frames": BEFORE,
            "peak_opening_iod": round(float(m["profile"].max()), 4),
            "peak_frame_before_onset": int(BEFORE - np.argmax(m["profile"]))}
    np.savez(args.out, profile=m["profile"], shape=m["shape"], info=json.dumps(info))
    (args.out.parent / "BREATH.md").write_text(readme(m, info))
    sys.stdout.write(json.dumps(info) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
