"""The pause gate: rest the generated face in pauses of the voice track.

The generator was trained on one voice and one microphone; on other recordings
it leaves the lips slightly apart in pauses. The gate multiplies the expression
by ``(T,)`` values in 0..1 that are 0 in pauses, found from loudness alone.

Its three constants (:class:`GateParams`) are *fitted on the training clips*
(:func:`fit_gate`, run by ``export-model``) and travel in the model's metadata,
so that the validation speakers never choose them: of the settings that close the
generated mouth in at least 95 % of the silent frames, the fit keeps the one whose
mouth follows the real one best (mean Pearson r of the opening).
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
#: Silence proper at least this long (seconds) is a pause even where the recogniser put a
#: phone: a stop's closure inside a word is shorter. In 48 clips (s1, s4hq, s30, CREMA-D)
#: the silent runs inside speech that touched a phone lasted 1 or 2 frames (40-80 ms),
#: those at the edges of speech 1 to 3; over the validation pairs, 0.08 s closes 99 % of
#: the silent frames, this 98 % (97 % without the rule), and snaps no 80 ms closure shut.
SILENT_PAUSE_S = 0.12


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


def gate_from_loudness(loud: np.ndarray, fps: float, params: GateParams = GateParams(),
                       speech: np.ndarray | None = None) -> np.ndarray:
    """``(T,) float32`` 1 during speech, 0 in pauses, from loudness ``(T,)`` dB per frame.

    ``speech`` ``(T,) bool``, where given, marks frames the recogniser heard as speech
    phones: they are never pauses, however quiet (a soft consonant, a dip between words),
    unless they lie in silence proper (:data:`SILENT_DB` under the speech level) for at
    least ``min_pause_s`` and :data:`SILENT_PAUSE_S`: a recogniser's phone stretched over
    a silence is not speech.
    Digital silence is all pause; a track without loudness contrast is all speech.
    """
    loud = np.asarray(loud, np.float32)
    t = len(loud)
    if t == 0:
        return np.zeros(0, np.float32)
    lo, hi = np.percentile(loud, [5, 95])
    if hi - lo < MIN_CONTRAST_DB:
        return np.full(t, 0.0 if hi <= -90 else 1.0, np.float32)
    heard = np.zeros(t, bool) if speech is None else np.array(speech, bool)[:t]
    silent = loud < hi - SILENT_DB
    min_len = int(round(params.min_pause_s * fps))
    silent_pause = max(min_len, round(SILENT_PAUSE_S * fps), 1)
    for a, b in _runs(silent):
        if b - a >= silent_pause:
            heard[a:b] = False
    speech = ((loud > lo + params.fraction * (hi - lo)) | heard).astype(np.float32)
    for a, b in _runs(speech == 0):
        if b - a < min_len and a > 0 and b < t:  # a short quiet run inside speech
            speech[a:b] = 1.0
    # The lips lead and trail the sound: fade linearly over ``reach`` frames into a
    # pause, so that the face eases to rest, but not into silence proper, nor past it: in
    # a pause the face rests wherever the track is silent, and a fade carried beyond a
    # silent frame (a breath heard just before it) would part the lips again for a frame.
    reach = max(int(round(params.reach_s * fps)), 0)
    passable = (speech > 0) | ~silent
    gate = speech.copy()
    after = before = speech > 0
    for k in range(1, reach + 1):
        w = 1.0 - k / (reach + 1.0)
        after = np.concatenate([[False], after[:-1]]) & passable
        before = np.concatenate([before[1:], [False]]) & passable
        gate = np.maximum(gate, w * (after | before))
    return gate.astype(np.float32)


def speech_gate(samples16k: np.ndarray, frames: int, fps: float,
                params: GateParams = GateParams(), phones: list | None = None) -> np.ndarray:
    """:func:`gate_from_loudness` of 16 kHz samples (and their phones), ``(frames,) float32``."""
    from engine.audio.features import loudness
    from engine.motion.phonetic import speech_activity

    t = max(int(frames), 0)
    loud = loudness(np.asarray(samples16k, np.float32), fps)
    loud = np.concatenate([loud, np.full(max(t - len(loud), 0), -100.0, np.float32)])[:t]
    heard = speech_activity(phones, t, fps) > 0 if phones else None
    return gate_from_loudness(loud, fps, params, heard)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


@dataclass(frozen=True)
class GateClip:
    """What the fit needs of one training clip (all ``(T,)`` unless said, one fps).

    Attributes:
        loudness: float32 dB per frame.
        speech: bool, frames covered by a speech phone of the recogniser.
        silence: bool, the frames where the mouth must rest.
        opening: float32 the real inner-lip gap (13-14), IOD units.
        valid: bool, face tracked.
        fps: frames per second.
        rest_gap: ``(2,)`` x/y from landmark 14 to 13 of the rest face, IOD units.
        gen_gap: ``(T, 2)`` the generator's change of that vector (ungated).
    """

    loudness: np.ndarray
    speech: np.ndarray
    silence: np.ndarray
    opening: np.ndarray
    valid: np.ndarray
    fps: float
    rest_gap: np.ndarray
    gen_gap: np.ndarray

    def generated_opening(self, gate: np.ndarray) -> np.ndarray:
        """``(T,)`` the generated opening with the expression multiplied by ``gate``."""
        return np.linalg.norm(self.rest_gap[None] + gate[:, None] * self.gen_gap, axis=1)


GRID = {"fraction": (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7),
        "min_pause_s": (0.08, 0.12, 0.16, 0.2, 0.28, 0.4),
        "reach_s": (0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24)}
#: The gate must leave at least this share of the training clips' silent frames closed.
MIN_CLOSED = 0.95
#: A generated mouth counts as closed below this inner-lip opening (IOD), as in the evaluation.
CLOSED_IOD = 0.02


def _score(clips: Sequence[GateClip], gate_of) -> tuple[float, float]:
    rs = []
    closed = silent = 0
    for c in clips:
        op = c.generated_opening(gate_of(c))
        ok = c.valid
        if ok.sum() > 2 and np.std(op[ok]) > 1e-9 and np.std(c.opening[ok]) > 1e-9:
            rs.append(float(np.corrcoef(op[ok], c.opening[ok])[0, 1]))
        sil = ok & c.silence
        closed += int((op[sil] < CLOSED_IOD).sum())
        silent += int(sil.sum())
    return float(np.mean(rs)) if rs else 0.0, closed / max(silent, 1)


def gate_score(clips: Sequence[GateClip], params: GateParams | None) -> tuple[float, float]:
    """``(mean r, closed)``: the generated opening's Pearson r with the real one (mean over
    clips) and the share of silent frames where it is closed, with this gate (``None``:
    no gate)."""
    if params is None:
        return _score(clips, lambda c: np.ones(len(c.loudness), np.float32))
    return _score(clips, lambda c: gate_from_loudness(c.loudness, c.fps, params, c.speech))


def fit_gate(clips: Sequence[GateClip]) -> tuple[GateParams, dict]:
    """The gate over :data:`GRID` that keeps the generated mouth most like the real one (mean
    r) while closing it in at least :data:`MIN_CLOSED` of the silent frames.

    Returns ``(params, {"r", "closed", "r_ungated", "closed_ungated"})`` (ties keep the first
    in grid order; when no setting closes enough, the one that closes most).
    """
    r0, c0 = gate_score(clips, None)
    best, best_key, best_fit = GateParams(), (-1.0, -1.0), (0.0, 0.0)
    for f, m, rr in itertools.product(GRID["fraction"], GRID["min_pause_s"], GRID["reach_s"]):
        p = GateParams(f, m, rr)
        r, closed = gate_score(clips, p)
        key = (1.0, r) if closed >= MIN_CLOSED else (0.0, closed)
        if key > best_key:
            best, best_key, best_fit = p, key, (r, closed)
    fit = {"clips": len(clips), "r": round(best_fit[0], 4), "closed": round(best_fit[1], 4),
           "r_ungated": round(r0, 4), "closed_ungated": round(c0, 4)}
    log.info("pause gate fitted: %s %s", best, fit)
    return best, fit
