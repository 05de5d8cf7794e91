"""Fit the gain of the speech head motion (engine.motion.head.GAIN) on the training speaker.

Liveliness 1 is meant to be a real, freely moving speaker's level: the median
head-rotation standard deviation of the validation videos that move naturally
(GRID s4hq and CREMA-D 1001; engine.motion.head.TARGET_ROTATION_DEG). The gain is
fitted on GRID s1's voice (the training speaker's audio, with its own phones),
never on the validation clips: it is the factor that brings the median rotation
standard deviation of the generated head over s1's clips to that level.

    python tools/calibrate_head.py cache/model/grid [--clips 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from engine.audio.phones import Phone
    from engine.audio.voice import Voice
    from engine.media.audio import load_audio
    from engine.model.evaluation import rotation_std
    from engine.model.validation_set import SHARED
    from engine.motion import head

    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path, help="the prepare-data cache")
    ap.add_argument("--clips", type=int, default=200)
    args = ap.parse_args()
    paths = sorted((args.data / "s1").glob("*.npz"))[:: max(1, 1000 // args.clips)]
    stds = []
    for p in paths[: args.clips]:
        with np.load(p) as d:
            phones = [Phone(str(lab), float(a), float(b)) for lab, (a, b) in
                      zip(d["phone_labels"], d["phone_times"], strict=True)]
            fps, frames = float(d["fps"]), int(len(d["landmarks"]))
        samples = load_audio(SHARED / "grid" / "s1" / "audio" / f"{p.stem}.flac").samples
        pose, _ = head.speech_head(Voice.analyse(samples, phones), fps, frames, 1.0, 0)
        stds.append(rotation_std(pose / head.GAIN))
    med = float(np.median(stds))
    print(f"{len(stds)} s1 clips: median rotation std at gain 1 = {med:.3f} deg; "
          f"GAIN = {head.TARGET_ROTATION_DEG / med:.3f} for {head.TARGET_ROTATION_DEG} deg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
