"""Mouth openings replayed along one shape: where the mouth's SSIM gain is lost.

Diagnostic motion sources for ``tools/mouth_eval.py``. Each replays only an
inner-lip opening, frame by frame, along GRID s1's mean expression per unit of
opening (the loudness baseline's shape, :func:`engine.model.evaluation.loudness_shape`,
over every fifth of his cached clips), with the head, brows and lids still; the
opening is its change from the portrait's frame. They differ in where the opening
comes from:

- ``opening-real``: the real video's own opening (its course and its amount);
- ``opening-real-course``: the real opening's course at the app's amount (scaled so
  that its standard deviation over the clip is the app's);
- ``opening-app-course``: the app's opening (``gan``) at the real amount.

Against ``oracle`` (every real landmark) and ``gan`` (the app's motion) they say
whether the gain is lost to the mouth's shape, to the course of its opening (when it
opens and which syllables open widest) or to its amount.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np

SOURCES = ("opening-real", "opening-real-course", "opening-app-course")


@functools.cache
def s1_shape(cache: Path) -> np.ndarray:
    """``(468, 3) float32`` s1's mean canonical expression per IOD of inner-lip opening."""
    from engine.model import dataset as ds
    from engine.model.evaluation import loudness_shape

    clips = sorted((cache / "s1").glob("*.npz"))[::5]
    if not clips:
        raise FileNotFoundError(f"no GRID s1 clips in {cache / 's1'}: run prepare-data")
    shape, _ = loudness_shape(ds.load_clips(clips, cache / "_memo" / "eval_train.pkl"))
    return shape


def real_opening(landmarks: np.ndarray) -> np.ndarray:
    """``(T,)`` inner-lip opening (IOD) of ``(T, 468, 3)`` tracked landmarks, pixels."""
    from engine.face.align import to_canonical
    from engine.model.evaluation import opening_of

    return opening_of(np.stack([to_canonical(np.asarray(x, np.float32))[0]
                                for x in landmarks]))


def app_opening(portrait, motion, index: Callable[[int], int], frames: int) -> np.ndarray:
    """``(frames,)`` inner-lip opening (IOD) of the app's ``motion`` at each video frame
    (``index``: video frame -> track frame), on the portrait's rigged face."""
    from engine.model.evaluation import opening_of

    disp = np.tensordot(motion.coeffs, motion.basis, axes=1)
    shapes = portrait.rig.neutral[None] + disp
    op = opening_of(shapes)
    return np.asarray([op[min(index(i), len(op) - 1)] for i in range(frames)], np.float32)


def replay(source: str, clip: dict, at: int, cache: Path,
           app: Callable[[], tuple[object, Callable[[int], int]]] | None = None,
           portrait=None):
    """The motion track of one of :data:`SOURCES` for a clip whose frame ``at`` is the
    portrait (video frame i is track frame i). ``app``: makes the app's ``(motion,
    index)``, and ``portrait`` is its analysed portrait (both for the two scaled
    sources)."""
    from engine.motion.track import MotionTrack

    real = real_opening(clip["landmarks"])
    change = real - real[at]
    if source != "opening-real":
        if app is None or portrait is None:
            raise ValueError(f"{source} needs the app's motion")
        motion, index = app()
        own = app_opening(portrait, motion, index, len(real))
        own = own - own[at]
        ratio = float(np.std(own)) / max(float(np.std(change)), 1e-9)
        change = change * ratio if source == "opening-real-course" else own / max(ratio, 1e-9)
    change = change.astype(np.float32)
    t_n = len(change)
    return MotionTrack(float(clip["fps"]), s1_shape(cache)[None], change[:, None],
                       np.zeros((t_n, 6), np.float32), np.zeros((t_n, 2), np.float32),
                       np.abs(change))
