"""Speech motion for one portrait and one voice: rest pose + mouth + head, as the app uses it.

This is the motion stage of the data flow for the speech model. The evaluation
(:mod:`engine.model.evaluation`) calls the same function, so the figures it
reports are those of the app.

- **Rest.** The portrait's face is not its rest: :func:`engine.motion.rest.rest_offset`
  closes parted lips. The offset is one extra basis row with coefficient 1 on
  every frame (``keep_expression`` leaves it out).
- **Mouth.** The generator's expression, articulated from the rest face.
- **Head, brows and eyes.** Nods on accented syllables, a new orientation for each
  phrase, brow raises on the strongest accents (:func:`engine.motion.head.speech_head`),
  small glances (:func:`engine.motion.glances.speech_gaze`), all scaled by
  ``liveliness``.
- **Breath.** The lips part before each phrase as the speaker draws breath
  (:mod:`engine.motion.breath`), scaled by ``breath``: by default a trace of it
  that leaves them closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.audio.voice import Voice
from engine.model.landmarks import LIP_LO, LIP_UP
from engine.motion.breath import DEFAULT as DEFAULT_BREATH


@dataclass(frozen=True)
class SpeechMotion:
    """Per-frame motion of the face.

    Attributes:
        basis: ``(K, 468, 3) float32`` canonical units.
        coeffs: ``(T, K) float32``; frame ``i``'s displacement from the portrait's
            face is ``coeffs[i] @ basis``.
        pose: ``(T, 6) float32`` head-pose offsets (:data:`engine.motion.track.POSE_FIELDS`).
        mouth_open: ``(T,) float32`` how far the inner lips (13-14) part beyond the rest
            face's, canonical units, >= 0 (0 at rest).
        gaze: ``(T, 2) float32`` the gaze lanes (x, y; -1..1, :mod:`engine.render.gaze`)
            about the portrait's own gaze.
    """

    basis: np.ndarray
    coeffs: np.ndarray
    pose: np.ndarray
    mouth_open: np.ndarray
    gaze: np.ndarray


def with_rest(basis: np.ndarray, coeffs: np.ndarray, offset: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Append the rest offset ``(468, 3)`` as a basis row with coefficient 1 everywhere."""
    b = np.concatenate([basis, np.asarray(offset, np.float32)[None]], 0).astype(np.float32)
    c = np.concatenate([coeffs, np.ones((len(coeffs), 1), np.float32)], 1)
    return b, c


def opening(portrait: np.ndarray, basis: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """``(T,) float32`` inner-lip opening (13-14, x/y) of ``portrait + coeffs @ basis``."""
    d = basis[:, LIP_UP, :2] - basis[:, LIP_LO, :2]            # (K, 2)
    g = (portrait[LIP_UP, :2] - portrait[LIP_LO, :2])[None] + coeffs @ d
    return np.linalg.norm(g, axis=-1).astype(np.float32)


def speech_motion(voice: Voice, fps: float, frames: int, portrait: np.ndarray, *,
                  source: str = "gan", seed: int = 0,
                  intensity: float = 1.0, liveliness: float = 1.0,
                  keep_expression: bool = False, blinks: list | None = None,
                  model: Path | str | None = None, gate: bool = True,
                  breath: float = DEFAULT_BREATH, person: bool = True) -> SpeechMotion:
    """The motion of a portrait speaking a voice track.

    Args:
        voice: the analysed voice track (:class:`engine.audio.voice.Voice`).
        fps: frame rate; frames: ``T``.
        portrait: ``(468, 3)`` the portrait's face in the canonical frame.
        source: ``"gan"`` (the speech model) or ``"phonetic"`` (phones -> measured shapes).
        seed: seeds the stochastic parts.
        intensity: the mouth, 0..3: up to 1 it scales the motion (0 = still); above, the
            mouth opens that many times as wide (:mod:`engine.motion.wider`).
        liveliness: scales head motion, brow raises and glances: 0 = still, 1 = a real
            speaker's.
        keep_expression: articulate from the portrait as it is, not from its rest.
        person: the portrait is a person's face (a photo, a painting), whose mouth caught
            wide open rests at the width its nose says; False for a drawing or an animal
            (:func:`engine.motion.rest.rest_offset`).
        blinks: blink events, fed to the generator's eyelid channel.
        model: an ONNX model path; default the shipped one.
        gate: rest the generated mouth in the pauses (:mod:`engine.model.pause_gate`);
            off only to measure what the gate does.
        breath: the lips part before each phrase, 1 = as GRID s1 draws breath, 0 = never,
            default the app's (:data:`engine.motion.breath.DEFAULT`,
            :func:`engine.motion.breath.breath_weights`); opened with the mouth too.

    Raises:
        ModelError: the speech model is missing, damaged or cannot run (``source="gan"``).
    """
    from engine.motion.expressions import shape
    from engine.motion.glances import speech_gaze
    from engine.motion.head import speech_head
    from engine.motion.rest import rest_depth, rest_offset

    face = np.asarray(portrait, np.float32).reshape(468, 3)
    # Up to 1 the motion is scaled; beyond, the mouth opens wider (engine.motion.wider).
    scale = min(float(intensity), 1.0)
    offset = np.zeros((468, 3), np.float32) if keep_expression else \
        rest_offset(face, nose=person)
    if source == "gan":
        from engine.model.inference import load_model

        m = load_model(model).motion(voice, fps, frames, seed, scale, blinks, face + offset,
                                     gate)
        basis, coeffs = m.basis, m.coeffs
    elif source == "phonetic":
        from engine.audio.features import loudness
        from engine.motion.phonetic import phonetic_motion

        basis, coeffs, _ = phonetic_motion(voice.phones, loudness(voice.samples, fps), fps,
                                           frames, scale)
    else:
        raise ValueError(f"unknown motion source {source!r}")
    pose, brows = speech_head(voice, fps, frames, liveliness, seed)
    basis = np.concatenate([basis, shape("brow_raise")[None]], 0)
    coeffs = np.concatenate([coeffs, brows[:, None]], 1)
    if breath > 0:
        from engine.motion.breath import breath_shape, breath_weights

        basis = np.concatenate([basis, breath_shape()[None]], 0)
        w = breath_weights(voice.phrases, fps, frames, breath * scale)
        coeffs = np.concatenate([coeffs, w[:, None]], 1)
    if np.any(offset):  # closed in the face's plane: closed in depth too, for the picture
        offset = offset + rest_depth(face + offset)
    basis, coeffs = with_rest(basis, coeffs, offset)
    mouth = _beyond_rest(face, basis, coeffs)
    if intensity > 1.0:
        from engine.motion.wider import open_wider

        basis, coeffs = open_wider(basis, coeffs, (float(intensity) - 1.0) * mouth)
        mouth = _beyond_rest(face, basis, coeffs)
    gaze = speech_gaze(voice.phrases, fps, frames, liveliness, seed)
    return SpeechMotion(basis, coeffs, pose, mouth, gaze)


def _beyond_rest(face: np.ndarray, basis: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """``(T,) float32``: how far the lips part beyond the rest face's, 0 at rest (for the
    timeline, and the measure of *Mouth* above 1). The rest is the last basis row alone,
    computed the same way so that it cancels exactly."""
    rest = np.zeros((1, coeffs.shape[1]), np.float32)
    rest[0, -1] = 1.0
    mouth = opening(face, basis, coeffs) - opening(face, basis, rest)
    mouth[mouth < 1e-6] = 0.0  # rounding, not motion
    return mouth.astype(np.float32)
