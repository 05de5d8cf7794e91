"""Which frames of a real clip ``tools/mouth_eval.py`` measures: where the real mouth is
most open, which frame is the portrait, and which frames the voice speaks in."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Frames per clip where the real mouth is most open.
TOP = 6


def most_open(landmarks: np.ndarray, presence: np.ndarray, top: int = TOP,
              allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``top`` frames with the widest inner-lip gap (IOD units),
    among the ``allowed`` ``(T,) bool`` frames when given."""
    gap = inner_gaps(landmarks)
    gap[presence < 0.5] = -1.0
    if allowed is not None:
        gap[~allowed] = -1.0
    return np.sort(np.argsort(-gap)[:top])


def portrait_index(landmarks: np.ndarray, presence: np.ndarray, which: str) -> int:
    """The real frame that is the portrait: ``"first"``, ``"widest"`` (the mouth most
    open) or ``"half"`` (open nearest half as wide as at its widest)."""
    if which == "first":
        return 0
    widest = int(most_open(landmarks, presence, top=1)[0])
    if which == "widest":
        return widest
    gap = inner_gaps(landmarks)
    gap[presence < 0.5] = np.inf
    return int(np.argmin(np.abs(gap - 0.5 * gap[widest])))


def inner_gaps(landmarks: np.ndarray) -> np.ndarray:
    """``(T,) float`` the inner-lip gap at the mouth's middle, inter-ocular distances."""
    iod = np.linalg.norm(landmarks[:, 263, :2] - landmarks[:, 33, :2], axis=1)
    return np.linalg.norm(landmarks[:, 14, :2] - landmarks[:, 13, :2], axis=1) / iod


def voiced_frames(audio_path: Path, n: int, fps: float, delay: float = 0.0) -> np.ndarray:
    """``(n,) bool`` video frames whose middle lies inside a recognised phone that is
    not silence: where a speech-driven face can know what the mouth does (``delay``:
    seconds from the sound's start to the first frame)."""
    from engine import analyse_audio, load_audio

    mid = delay + (np.arange(n) + 0.5) / fps
    out = np.zeros(n, bool)
    for p in analyse_audio(load_audio(audio_path)).phones:
        if p.label != "sil":
            out |= (mid >= p.start) & (mid < p.end)
    return out
