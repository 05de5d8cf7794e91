"""Measure how GRID s1's face changes as his mouth opens wider: ``assets/motion/opening.npz``.

*Mouth* above 1 asks for a wider mouth than the speech model gives. Scaling the
whole motion by it also scales what does not grow with the opening (the lip
corners' pull, the rounding of an "o", how far the lower lip's outer edge drops
past its inner one), and a wide mouth turns into a ring of swollen lips. So the
extra opening follows the way s1's face moves between wide and wider: the
least-squares slope of his expression (canonical displacement from each clip's
neutral face) on his inner-lip opening (13-14), over his frames whose mouth is
already open more than :data:`OPEN_FROM` IOD.

The slope is made symmetric (averaged with its mirror image on the canonical
mesh), kept to the mouth, jaw and cheeks (the phonetic basis's weights), and
scaled to part the inner lips by exactly 1 IOD.

Check on clips it was not fitted on (every other block of frames): the mean
shape of s1's widest frames (opening 0.09-0.14 IOD) predicted from the mean
shape of his moderate ones (0.03-0.05) by this slope, against scaling that
moderate shape up as *Mouth* did before; mean distance of the 40 lip landmarks
(IOD), written to ``assets/motion/OPENING.md``.

s1 is the only speaker trained on; the validation speakers never enter it.

Usage::

    python tools/measure_opening.py [--cache cache/model/grid] [--out assets/motion/opening.npz]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "tools"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

#: The slope is fitted over frames whose inner lips part more than this (IOD): how the
#: face moves between wide and wider, not how it leaves the rest.
OPEN_FROM = 0.04
#: The check: moderate and wide openings (IOD).
MODERATE, WIDE = (0.03, 0.05), (0.09, 0.14)
#: Frames per block of the check's split (whole clips of 75 frames, mostly).
BLOCK = 2000


def mirror_index() -> np.ndarray:
    """``(468,) int``: each canonical mesh vertex's mirror image across the face's midline."""
    from engine.face import mesh

    c = mesh.CANONICAL.astype(np.float64)
    m = c * np.array([-1.0, 1.0, 1.0])
    return np.linalg.norm(c[:, None] - m[None], axis=-1).argmin(1)


def symmetric(field: np.ndarray) -> np.ndarray:
    """``(468, 3)`` displacement averaged with its mirror image."""
    mirrored = field[mirror_index()] * np.array([-1.0, 1.0, 1.0])
    return 0.5 * (field + mirrored)


def load(cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(expr (N, 468, 3), opening (N,))`` over s1's tracked frames, opening above neutral."""
    from engine.model import dataset as ds
    from engine.model.landmarks import LIP_LO, LIP_UP

    exprs, opens = [], []
    for path in sorted((cache / "s1").glob("*.npz")):
        clip = ds.load_clip(path)
        ok = clip.valid
        if not ok.any():
            continue
        shapes = clip.neutral[None] + clip.expr[ok]
        gap = np.linalg.norm(shapes[:, LIP_UP, :2] - shapes[:, LIP_LO, :2], axis=-1)
        exprs.append(clip.expr[ok])
        opens.append(gap - np.linalg.norm(clip.neutral[LIP_UP, :2] - clip.neutral[LIP_LO, :2]))
    if not exprs:
        raise SystemExit(f"no s1 clips under {cache}: run prepare-data first")
    return np.concatenate(exprs).astype(np.float64), np.concatenate(opens).astype(np.float64)


def slope(expr: np.ndarray, opening: np.ndarray) -> np.ndarray:
    """``(468, 3)``: least-squares slope of ``expr (N, 468, 3)`` on ``opening (N,)``."""
    e = expr - expr.mean(0)
    o = opening - opening.mean()
    return np.tensordot(o, e, axes=1) / max(float(o @ o), 1e-12)


def direction(expr: np.ndarray, opening: np.ndarray) -> np.ndarray:
    """The shipped direction: symmetric, on the mouth only, parting the lips by 1 IOD."""
    from measure_breath import unit_mouth_shape

    wide = opening > OPEN_FROM
    return unit_mouth_shape(symmetric(slope(expr[wide], opening[wide])))


def check(expr: np.ndarray, opening: np.ndarray) -> dict:
    """Held-out test of the direction against scaling the whole shape (see module doc)."""
    from engine.model.landmarks import MOUTH

    fit = (np.arange(len(opening)) // BLOCK) % 2 == 0
    d = direction(expr[fit], opening[fit])
    test = ~fit
    mod = test & (opening > MODERATE[0]) & (opening < MODERATE[1])
    wid = test & (opening > WIDE[0]) & (opening < WIDE[1])
    m, w = expr[mod].mean(0), expr[wid].mean(0)
    om, ow = float(opening[mod].mean()), float(opening[wid].mean())
    mouth = list(MOUTH)

    def lmd(x: np.ndarray) -> float:
        return float(np.linalg.norm((x - w)[mouth, :2], axis=-1).mean())

    return {"moderate_iod": round(om, 4), "wide_iod": round(ow, 4),
            "frames": [int(mod.sum()), int(wid.sum())],
            "lmd_direction": round(lmd(m + (ow - om) * d), 4),
            "lmd_scaled": round(lmd(m * (ow / om)), 4), "lmd_unchanged": round(lmd(m), 4)}


def readme(info: dict) -> str:
    c = info["check"]
    return f"""# How the face opens wider (GRID s1)

Made by `tools/measure_opening.py` from the prepare-data cache of GRID speaker s1,
the training speaker (the GRID audio-visual corpus, CC BY 4.0; Cooke, Barker,
Cunningham and Shao, "An audio-visual corpus for speech perception and automatic
speech recognition", JASA 120(5), 2006).

`opening.npz`: `direction (468, 3) float32`, the canonical displacement that parts
the inner lips (13-14) by 1 inter-ocular distance the way s1's face does between
wide and wider: the least-squares slope of his expression on his inner-lip opening
over his {info['frames']} tracked frames open more than {OPEN_FROM} IOD (of
{info['all_frames']}), averaged with its mirror image, on the mouth, jaw and cheeks
only; `info` JSON. Used by `engine.motion.speech` for *Mouth* above 1 (the extra
opening beyond the speech model's).

Check on frames it was not fitted on (blocks of {BLOCK} frames, alternately fitted
and tested): s1's mean lip shape at his wide openings ({WIDE[0]}-{WIDE[1]} IOD, mean
{c['wide_iod']}, {c['frames'][1]} frames) from his mean shape at moderate ones
({MODERATE[0]}-{MODERATE[1]}, mean {c['moderate_iod']}, {c['frames'][0]} frames). Mean
distance of the 40 lip landmarks, IOD:

| the moderate shape ... | distance to the wide shape |
|---|---|
| opened wider along this direction | {c['lmd_direction']} |
| scaled up by the ratio of openings (*Mouth* before) | {c['lmd_scaled']} |
| left as it is | {c['lmd_unchanged']} |
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "motion" / "opening.npz")
    args = ap.parse_args(argv)
    expr, opening = load(args.cache)
    info = {"speaker": "GRID s1", "open_from_iod": OPEN_FROM,
            "frames": int((opening > OPEN_FROM).sum()), "all_frames": int(len(opening)),
            "check": check(expr, opening)}
    d = direction(expr, opening).astype(np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, direction=d, info=json.dumps(info))
    (args.out.parent / "OPENING.md").write_text(readme(info))
    sys.stdout.write(json.dumps(info) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
