"""The pause gate: rest the generated face in pauses of the voice track.

The generator was trained on one voice and one microphone; on other recordings
it leaves the lips slightly apart in pauses. The gate multiplies the expression
by ``(T,)`` values in 0..1 that are 0 in pauses, found from loudness alone.

Its three constants (:class:`GateParams`) are *fitted on the training clips*
(:func:`fit_gate`, run by ``export-model``) and travel in the model's metadata,
so that the validation speakers never choose them: the gate is fitted to
predict the real video's mouth, at rest in silent frames and open elsewhere.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

log = logging.getLogger(__name__)

#: Below this range between the 5th and 95th loudness percentiles a track has no pauses.
MIN_CONTRAST_DB = 6.0
#: Pause frames this far under the track's speech level (95th percentile) are silent: they
#: rest whatever the fade (the data preparation's silence rule for clips without alignments).
SILENT_DB = 35.0
#: The real mouth counts as open when its inner-lip gap exceeds the rest face's by this (IOD).
OPEN_IOD = 0.02


@dataclass(frozen=True)
class GateParams:
    """The gate's constants. The defaults are for models exported before the fit.

    Attributes:
        fraction: a frame is quiet below ``floor + fraction x (speech - floor)`` dB,
            where floor and speech are the track's 5th and 95th loudness percentiles.
        min_pause_s: quiet runs shorter than this (seconds) stay speech.
        reach_s: the gate fades from 1 to 0 over this time into a pause, seconds.
    """

    fraction: float = 0.45
    min_pause_s: float = 0.2
    reach_s: float = 0.08

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> GateParams:
        if not d:
            return cls()
        return cls(float(d["fraction"]), float(d["min_pause_s"]), float(d["reach_s"]))


def gate_from_loudness(loud: np.ndarray, fps: float, params: GateParams = GateParams()
                       ) -> np.ndarray:
    """``(T,) float32`` 1 during speech, 0 in pauses, from loudness ``(T,)`` dB per frame.

    Digital silence is all pause; a track without loudness contrast is all speech.
    """
    loud = np.asarray(loud, np.float32)
    t = len(loud)
    if t == 0:
        return np.zeros(0, np.float32)
    lo, hi = np.percentile(loud, [5, 95])
    if hi - lo < MIN_CONTRAST_DB:
        return np.full(t, 0.0 if hi <= -90 else 1.0, np.float32)
    speech = (loud > lo + params.fraction * (hi - lo)).astype(np.float32)
    min_len = int(round(params.min_pause_s * fps))
    for a, b in _runs(speech == 0):
        if b - a < min_len and a > 0 and b < t:  # a short quiet run inside speech
            speech[a:b] = 1.0
    # The lips lead and trail the sound: fade linearly over ``reach`` frames into a
    # pause, so that the face eases to rest and deep silence is at rest.
    reach = max(int(round(params.reach_s * fps)), 0)
    gate = speech.copy()
    for k in range(1, reach + 1):
        w = 1.0 - k / (reach + 1.0)
        gate[k:] = np.maximum(gate[k:], w * speech[:-k])
        gate[:-k] = np.maximum(gate[:-k], w * speech[k:])
    # ...but not into silence proper: in a pause the face rests wherever the track is silent.
    gate[(speech == 0) & (loud < hi - SILENT_DB)] = 0.0
    return gate


def speech_gate(samples16k: np.ndarray, frames: int, fps: float,
                params: GateParams = GateParams()) -> np.ndarray:
    """:func:`gate_from_loudness` of 16 kHz samples, ``(frames,) float32``."""
    from engine.audio.features import loudness

    t = max(int(frames), 0)
    loud = loudness(np.asarray(samples16k, np.float32), fps)
    loud = np.concatenate([loud, np.full(max(t - len(loud), 0), -100.0, np.float32)])[:t]
    return gate_from_loudness(loud, fps, params)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


@dataclass(frozen=True)
class GateClip:
    """What the fit needs of one training clip (all ``(T,)``, one fps).

    Attributes:
        loudness: float32 dB per frame.
        silence: bool, the corpus's silence (GRID ``.align`` ``sil``).
        opening: float32 inner-lip gap above the clip's rest face, IOD units.
        valid: bool, face tracked.
        fps: frames per second.
    """

    loudness: np.ndarray
    silence: np.ndarray
    opening: np.ndarray
    valid: np.ndarray
    fps: float


def gate_clip(clip) -> GateClip:
    """The fit's view of a prepared clip (:class:`engine.model.dataset.Clip`)."""
    from engine.model.landmarks import mouth_opening

    rest = float(mouth_opening(clip.neutral[None])[0])
    return GateClip(clip.loudness, clip.silence, clip.opening - rest, clip.valid, clip.fps)


GRID = {"fraction": (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85),
        "min_pause_s": (0.08, 0.12, 0.16, 0.2, 0.28, 0.4),
        "reach_s": (0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24)}


def gate_score(clips: Sequence[GateClip], params: GateParams) -> float:
    """Balanced accuracy of the gate as a predictor of the real mouth.

    Frames where the real mouth rests in silence should be gated (< 0.5); frames
    where it is open (by :data:`OPEN_IOD` or more) should not. Resting frames
    inside speech (closures for /p b m/) are neither: no pause gate can know them.
    """
    rest_ok = rest_n = open_ok = open_n = 0
    for c in clips:
        g = gate_from_loudness(c.loudness, c.fps, params) < 0.5
        rest = c.valid & c.silence & (c.opening < OPEN_IOD)
        opened = c.valid & (c.opening >= OPEN_IOD)
        rest_ok += int((g & rest).sum())
        rest_n += int(rest.sum())
        open_ok += int((~g & opened).sum())
        open_n += int(opened.sum())
    return 0.5 * (rest_ok / max(rest_n, 1) + open_ok / max(open_n, 1))


def fit_gate(clips: Sequence[GateClip]) -> tuple[GateParams, float]:
    """``(params, score)`` maximising :func:`gate_score` over :data:`GRID` (ties keep
    the first in grid order)."""
    best, best_s = GateParams(), -1.0
    for f, m, r in itertools.product(GRID["fraction"], GRID["min_pause_s"], GRID["reach_s"]):
        p = GateParams(f, m, r)
        s = gate_score(clips, p)
        if s > best_s + 1e-9:
            best, best_s = p, s
    log.info("pause gate fitted on %d clips: %s (balanced accuracy %.3f)", len(clips), best,
             best_s)
    return best, best_s
