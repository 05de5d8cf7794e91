"""Measure the closed-lip gaps of the rest estimate, and how well it finds the rest face.

1. ``CLOSED_GAP`` (engine/motion/rest.py): the median inner-lip gap of each landmark pair
   over GRID s1's silent frames (the training speaker; GRID's alignments mark silence),
   and ``CLOSED_DEPTH``, the median depth between them there; ``WIDTH_PER_ALAR``, his rest
   face's mouth width over its nose's.
2. The rest estimate checked against the real rest face: for every clip, the frame
   where the mouth is widest is taken as a portrait, :func:`engine.motion.rest.rest_offset`
   closes it, and its 40 lip landmarks are compared with the clip's own rest face (the
   median of its silent frames, aligned on the eyes and nose). Reported per speaker, next
   to the distance the widest frame itself is from that rest.

    python tools/measure_rest.py cache/model/grid [--clips 300]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from engine.model import dataset as ds
    from engine.model.landmarks import MOUTH
    from engine.motion import rest

    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--clips", type=int, default=300)
    args = ap.parse_args()
    s1 = sorted((args.data / "s1").glob("*.npz"))
    step = max(1, len(s1) // args.clips)
    gaps, depths = [], []
    for p in s1[::step]:
        c = ds.load_clip(p)
        sil = c.silence & c.valid
        if sil.any():
            gaps.append(rest.lip_gaps(c.canon[sil]))
            depths.append(rest.lip_depths(c.canon[sil]))
    g = np.concatenate(gaps)
    print(f"CLOSED_GAP over {len(g)} silent frames of {len(gaps)} s1 clips:")
    print("    " + ", ".join(f"{v:.4f}" for v in np.median(g, 0)))
    print("CLOSED_DEPTH:")
    print("    " + ", ".join(f"{v:.4f}" for v in np.median(np.concatenate(depths), 0)))
    ratios = []
    for p in s1[::20]:
        n = ds.load_clip(p).neutral
        ratios.append(rest.lip_shape(n)[-1] / rest.nose_width(n))
    print(f"WIDTH_PER_ALAR over {len(ratios)} s1 rest faces: {np.median(ratios):.3f}")
    mouth = list(MOUTH)
    for sp in ("s1", "s4hq", "s30", "s33", "s34", "1001"):
        paths = sorted((args.data / sp).glob("*.npz"))
        if sp == "s1":
            paths = paths[1::step][:100]
        before, after = [], []
        for p in paths:
            c = ds.load_clip(p)
            j = int(np.argmax(np.where(c.valid, c.opening, -1)))
            face = c.canon[j].astype(np.float64)
            fixed = face + rest.rest_offset(face)
            ref = c.neutral
            before.append(np.linalg.norm(face[mouth, :2] - ref[mouth, :2], axis=1).mean())
            after.append(np.linalg.norm(fixed[mouth, :2] - ref[mouth, :2], axis=1).mean())
        if paths:
            print(f"{sp:5s} {len(paths):3d} clips: lip distance to the real rest, widest frame "
                  f"{np.median(before):.4f} -> rest estimate {np.median(after):.4f} IOD (median;"
                  f" worst {np.max(after):.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
