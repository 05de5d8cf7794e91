"""Self-check of a rendered MP4: re-detect the face on every frame and measure.

Reports (see :class:`SelfCheck`): the share of frames with a face, mouth
opening against audio loudness (correlation and the lag of its peak), the
blinks found and their durations, and the change outside the face region.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.audio.features import loudness
from engine.face import detect_faces
from engine.media.audio import load_audio
from engine.media.image import load_image
from engine.media.video import iter_frames, picture_delay, shift_frames, video_info
from engine.motion.blink_detect import eye_openness
from engine.motion.blinks import true_runs

log = logging.getLogger(__name__)

# MediaPipe face-mesh indices: inner-lip midpoints, outer eye corners, eyelid midpoints.
_LIP_UP, _LIP_LO = 13, 14
_EYE_R_OUT, _EYE_L_OUT = 33, 263
#: Lags (frames) searched for the mouth's best fit to the loudness, either way.
MAX_LAG = 5


def mouth_opening(landmarks: np.ndarray) -> float:
    """Inner-lip gap divided by inter-ocular distance, for ``(468, 2|3)`` landmarks."""
    iod = float(np.linalg.norm(landmarks[_EYE_R_OUT, :2] - landmarks[_EYE_L_OUT, :2]))
    gap = float(np.linalg.norm(landmarks[_LIP_UP, :2] - landmarks[_LIP_LO, :2]))
    return gap / max(iod, 1e-6)


#: A blink is the eyes' reading under this share of its local baseline. The face model
#: reads a shut lid as only 50-80 % of open: on GRID s1's blinks labelled by eye
#: (``tests/fixtures/blink_labels.json``, 16 clips, 54 blinks) 0.8 finds all 54 and
#: nothing else, 0.75 misses 6, 0.85 adds 3 that are not blinks. On the end-to-end test's
#: rendered astronaut, moved by up to 3 px, its two blinks read 0.64-0.77 and her open
#: eyes never under 0.90 (0.75 missed one of them at one of fourteen positions).
BLINK_DROP = 0.8


def find_blinks(ear: np.ndarray, fps: float, drop: float = BLINK_DROP
                ) -> list[tuple[int, int]]:
    """Blinks as ``(first_frame, frame_count)``: EAR below ``drop`` x its local baseline.

    The face-landmark model reads a shut lid as only 50-80 % of open
    (:data:`BLINK_DROP`), so a blink is a dip against the upper quartile of the
    surrounding 1.2 s, not a fall to zero.

    Args:
        ear: ``(T,) float32`` eye aspect ratio per frame (NaN where no face).
        fps: frames per second; sets the baseline window.
    """
    valid = np.isfinite(ear)
    if not valid.any():
        return []
    filled = np.where(valid, ear, np.nanmedian(ear))
    half = max(2, int(round(fps * 0.6)))
    padded = np.pad(filled, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    baseline = np.percentile(windows, 75, axis=1)
    closed = valid & (filled < drop * baseline)
    return true_runs(closed)


def lag_curve(a: np.ndarray, b: np.ndarray, max_lag: int) -> np.ndarray:
    """``(2 * max_lag + 1,) float``: Pearson r of ``a`` and ``b`` at each lag from
    ``-max_lag`` to ``max_lag`` frames (positive = ``a`` after ``b``); 0 where undefined."""
    def corr(x: np.ndarray, y: np.ndarray) -> float:
        if len(x) < 3 or np.std(x) < 1e-9 or np.std(y) < 1e-9:
            return 0.0
        return float(np.corrcoef(x, y)[0, 1])

    out = []
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            out.append(corr(a[lag:], b[: len(b) - lag]))
        else:
            out.append(corr(a[: len(a) + lag], b[-lag:]))
    return np.asarray(out)


def best_lag(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[int, float, float]:
    """Lag (frames, positive = ``a`` after ``b``) maximising Pearson r of a and b.

    Returns:
        ``(lag, r_at_lag, r_at_zero)``.
    """
    return _peak(lag_curve(a, b, max_lag))


def _peak(curve: np.ndarray) -> tuple[int, float, float]:
    """``(lag, r_at_lag, r_at_zero)`` of a :func:`lag_curve`."""
    k, zero = int(np.argmax(curve)), len(curve) // 2
    return k - zero, float(curve[k]), float(curve[zero])


@dataclass
class SelfCheck:
    """Figures measured on a rendered video. Times in seconds, lags in frames."""

    frames: int
    fps: float
    face_found_share: float
    mouth_loudness_r: float
    mouth_loudness_r_at_zero: float
    mouth_loudness_lag_frames: int
    blinks: int
    #: r of the mouth's opening with the loudness at each lag from -5 to 5 frames (the
    #: lag above is where it peaks; a voice's syllables can give it two near-equal peaks).
    mouth_loudness_by_lag: list[float] = field(default_factory=list)
    blink_onsets: list[float] = field(default_factory=list)
    blink_durations: list[float] = field(default_factory=list)
    outside_change_mean: float | None = None
    outside_vs_portrait: float | None = None
    rest_opening: float = 0.0
    mouth_opening: list[float] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("mouth_opening")
        return d


def evaluate_video(path: Path | str, portrait: Path | str | None = None) -> SelfCheck:
    """Measure a rendered MP4 (see module docstring).

    Args:
        path: the video, with its audio track.
        portrait: the source portrait; when given, ``outside_vs_portrait`` is
            the mean absolute difference (0..255) between each frame and the
            portrait outside twice the face box (the encoder's error plus any
            change). ``outside_change_mean`` is always the mean absolute
            difference between consecutive frames there: motion outside the face.
    """
    _, _, fps, _ = video_info(path)
    openings: list[float] = []
    ears: list[float] = []
    outside: list[float] = []
    versus: list[float] = []
    reference: np.ndarray | None = None
    mask: np.ndarray | None = None
    previous: np.ndarray | None = None
    for frame in iter_frames(path):
        faces = detect_faces(frame)
        if faces:
            lm = faces[0].landmarks
            openings.append(mouth_opening(lm))
            ears.append(float(eye_openness(np.asarray(lm)[None]).mean()))
        else:
            openings.append(float("nan"))
            ears.append(float("nan"))
        if mask is None and faces:
            h, w = frame.shape[:2]
            x0, y0, x1, y1 = faces[0].box
            cx, cy, bw, bh = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
            mask = np.ones((h, w), dtype=bool)
            mask[max(0, int(cy - bh)) : int(cy + bh), max(0, int(cx - bw)) : int(cx + bw)] = False
            if portrait is not None:
                import cv2

                ref = load_image(portrait).rgb
                reference = cv2.resize(ref, (w, h), interpolation=cv2.INTER_AREA)
        if mask is not None:
            for base, out in ((previous, outside), (reference, versus)):
                if base is not None:
                    diff = np.abs(frame.astype(np.int16) - base.astype(np.int16))
                    out.append(float(diff[mask].mean()))
        previous = frame
    n = len(openings)
    mouth = np.asarray(openings, dtype=np.float64)
    ear = np.asarray(ears, dtype=np.float64)
    found = np.isfinite(mouth)
    audio = load_audio(path)
    # the sound's loudness at each frame, where the picture starts after the sound
    shift = int(round(picture_delay(path) * fps))
    loud = shift_frames(loudness(audio.samples, fps), -shift)[:n]
    m = np.where(found, mouth, np.nanmedian(mouth) if found.any() else 0.0)[: len(loud)]
    curve = lag_curve(m, loud[: len(m)].astype(np.float64), MAX_LAG)
    lag, r, r0 = _peak(curve)
    rest = float(np.nanpercentile(mouth, 5)) if found.any() else 0.0
    blinks = find_blinks(ear, fps)
    return SelfCheck(
        frames=n,
        fps=fps,
        face_found_share=float(found.mean()) if n else 0.0,
        mouth_loudness_r=round(r, 4),
        mouth_loudness_r_at_zero=round(r0, 4),
        mouth_loudness_lag_frames=lag,
        mouth_loudness_by_lag=[round(float(v), 4) for v in curve],
        blinks=len(blinks),
        blink_onsets=[round(a / fps, 3) for a, _ in blinks],
        blink_durations=[round(d / fps, 3) for _, d in blinks],
        outside_change_mean=round(float(np.mean(outside)), 4) if outside else None,
        outside_vs_portrait=round(float(np.mean(versus)), 4) if versus else None,
        rest_opening=round(rest, 4),
        mouth_opening=[round(float(v), 4) for v in mouth],
    )
