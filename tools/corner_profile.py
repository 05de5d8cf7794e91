"""How does the inside of an open mouth darken into its corners, real against rendered?

For each clip of a speaker whose first frame has its lips closed (inner-lip gap under
0.02 IOD), the first frame scaled to a long edge of 1024 px is the portrait; at the
``--top`` frames where the real mouth is widest (at least 0.04 IOD apart), the tracked
face's expression (canonical landmarks, frame minus first frame) is put on the
portrait's rig and rendered, nothing else moving. The real frame, scaled alike, and the
render are read the same way: the mean luma inside the inner lips (one pixel in) in
bands of ``|2u - 1|`` (``u`` 0..1 from one inner corner to the other) over the mean
luma of its middle third. A real mouth darkens evenly into its corners; teeth that end
before the lips meet over a dark cavity show as a dip at 0.8-0.9 (docs/measurements.md,
"No black band where the teeth end").

The tracked landmarks come from the prepare-data cache (``tools/mouth_eval.py`` fills
it). Speakers: the validation sets of :mod:`mouth_eval`, or ``s1`` (the training
speaker, the renderer's tuning set).

Run: ``python tools/corner_profile.py s1 [--clips 30] [--top 3] [--cache cache/model/grid]``
(about 20 s for s1's 30 clips).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mouth_eval  # noqa: E402  (beside this file)
from mouth_frames import inner_gaps  # noqa: E402

#: The bands of ``|2u - 1|`` read, from the middle third's edge to the corner.
EDGES = (1.0 / 3.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: A first frame with its lips closed, and a frame open enough to read, IODs.
CLOSED, OPEN = 0.02, 0.04
SIZE = 1024


def measure(videos: list[Path], cache: Path, top: int) -> tuple[np.ndarray, np.ndarray]:
    """``(real, rendered)`` profiles ``(frames, bands)`` over the clips' widest frames."""
    from engine.face import detect_faces
    from engine.face.align import to_canonical
    from engine.motion.track import MotionTrack
    from engine.render import PortraitRig, frame_landmarks, render_frame
    from engine.render_eval import inner_mouth_profile

    real, rendered = [], []
    for video in videos:
        clip = mouth_eval.tracked(video, cache)
        lm, presence = clip["landmarks"].astype(np.float32), clip["presence"]
        frames = mouth_eval.decode(video)
        n = min(len(frames), len(lm))
        gap = inner_gaps(lm[:n])
        gap[presence[:n] < 0.5] = -1.0
        if gap[0] > CLOSED or gap[0] < 0:
            continue
        h, w = frames[0].shape[:2]
        f = SIZE / max(h, w)
        size = (round(w * f), round(h * f))
        first = cv2.resize(frames[0], size, interpolation=cv2.INTER_CUBIC)
        faces = detect_faces(first)
        if not faces:
            continue
        rig = PortraitRig.build(first, None, faces[0].landmarks)
        big = lm * np.float32(f)
        base = to_canonical(big[0])[0]
        for k in np.argsort(-gap)[:top]:
            if gap[k] < OPEN:
                continue
            shape = (to_canonical(big[k])[0] - base)[None].astype(np.float32)
            track = MotionTrack(25.0, shape, np.ones((1, 1), np.float32),
                                np.zeros((1, 6), np.float32), np.zeros((1, 2), np.float32),
                                np.zeros(1, np.float32))
            a = inner_mouth_profile(cv2.resize(frames[k], size, interpolation=cv2.INTER_CUBIC),
                                    big[k], EDGES)
            b = inner_mouth_profile(render_frame(rig, track, 0), frame_landmarks(rig, track, 0),
                                    EDGES)
            if a is not None and b is not None:
                real.append(a)
                rendered.append(b)
    return np.asarray(real), np.asarray(rendered)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sets = {**mouth_eval.SETS, **mouth_eval.TRAINING}
    ap.add_argument("speaker", choices=sorted(sets))
    ap.add_argument("--clips", type=int, default=50, help="the first this many clips")
    ap.add_argument("--top", type=int, default=3, help="widest frames per clip")
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    videos = sorted(sets[args.speaker].glob("*.mp4"))[: args.clips]
    real, rendered = measure(videos, args.cache, args.top)
    if not len(real):
        print(f"{args.speaker}: no clip with closed lips in its first frame")  # noqa: T201
        return 1
    bands = " | ".join(f"{a:.2f}-{b:.2f}" for a, b in zip(EDGES[:-1], EDGES[1:], strict=True))
    print(f"| {args.speaker} ({len(real)} frames) | {bands} |")  # noqa: T201
    for name, rows in (("real", real), ("rendered", rendered)):
        vals = " | ".join(f"{v:.2f}" for v in np.nanmedian(rows, axis=0))
        print(f"| {name} | {vals} |")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
