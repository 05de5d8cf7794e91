"""Motion for one portrait and one voice track, and ``render_frame(t)`` on top of it.

An :class:`Animation` is immutable: it holds the cached analysis, builds the
motion once, and renders any frame in any order. Changing a setting or a
blink makes a new Animation (cheap: analysis is reused).
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field

import numpy as np

from engine.analysis import AudioAnalysis, PortraitAnalysis
from engine.audio.features import frame_count
from engine.errors import AudioError, TalkieError
from engine.keyframes import EXPRESSION_LANES, NOD_HZ, Keyframes, frame_times
from engine.motion.blinks import BlinkEvent, BlinkParams, eyelid_track, generate_blinks
from engine.motion.expressions import expression_shapes
from engine.motion.head import BOB
from engine.motion.speech import speech_motion
from engine.motion.track import MotionTrack
from engine.render import moving_box, output_size
from engine.render import render_frame as _render
from engine.settings import Settings

log = logging.getLogger(__name__)

#: A keyed pitch drops the face as the speech's own nods do (``BOB`` IOD per radian,
#: :mod:`engine.motion.head`) while it is small, and by at most ``BOB`` times this many
#: radians (0.14 IOD): a head keyed far down or up would otherwise carry its chin across
#: the band round the face that the warp stretches.
KEYED_DROP_RAD = 0.2


def keyframe_pose(keyframes: Keyframes, frames: int, fps: float) -> np.ndarray:
    """``(T, 6) float32`` pose offsets from the head lanes (radians in pitch, yaw, roll;
    the drop that goes with the pitch in ``ty``, inter-ocular distances).

    ``nod`` is an amplitude (degrees) of a pitch oscillation
    ``amp(t) * sin(2 pi NOD_HZ t)``: a simple, regular nod whose strength the
    artist keys (0 = none).
    """
    t = frame_times(frames, fps)
    pose = np.zeros((frames, 6), dtype=np.float64)
    nod = keyframes.evaluate("nod", t) * np.sin(2.0 * np.pi * NOD_HZ * t)
    pose[:, 0] = np.radians(keyframes.evaluate("pitch", t) + nod)
    pose[:, 1] = np.radians(keyframes.evaluate("yaw", t))
    pose[:, 2] = np.radians(keyframes.evaluate("roll", t))
    pose[:, 4] = BOB * KEYED_DROP_RAD * np.tanh(pose[:, 0] / KEYED_DROP_RAD)
    return pose.astype(np.float32)


def apply_keyframes(motion: MotionTrack, keyframes: Keyframes) -> MotionTrack:
    """``motion`` with the keyframes added: expression rows, pose offsets and gaze."""
    if keyframes.empty:
        return motion
    n, fps = motion.frame_count, motion.fps
    t = frame_times(n, fps)
    basis, coeffs = motion.basis, motion.coeffs
    used = [k for k in EXPRESSION_LANES if keyframes[k]]
    if used:
        shapes = expression_shapes()
        rows = [EXPRESSION_LANES.index(k) for k in used]
        basis = np.concatenate([basis, shapes[rows]]).astype(np.float32)
        extra = np.stack([keyframes.evaluate(k, t) for k in used], axis=1)
        coeffs = np.concatenate([coeffs, extra.astype(np.float32)], axis=1)
    pose = (motion.pose + keyframe_pose(keyframes, n, fps)).astype(np.float32)
    gaze = np.stack([keyframes.evaluate("gaze_x", t), keyframes.evaluate("gaze_y", t)], axis=1)
    gaze = np.clip(motion.gaze + gaze, -1.0, 1.0).astype(np.float32)
    return MotionTrack(
        fps=fps, basis=basis, coeffs=coeffs, pose=pose, eyelids=motion.eyelids,
        mouth_open=motion.mouth_open, gaze=gaze,
    )


@dataclass(frozen=True)
class Animation:
    """A directed animation: analysis + settings + blink events -> motion -> frames.

    Attributes:
        portrait: the portrait's cached analysis.
        audio: the audio's cached analysis.
        settings: the direction.
        blinks: blink events edited by the artist, in seconds; ``None``
            generates them from the seed and the blink settings.
        blink_events: the events in effect (edited or generated).
        keyframes: the artist's expression, gaze and head-pose keys
            (:mod:`engine.keyframes`), added to the generated motion.
    """

    portrait: PortraitAnalysis
    audio: AudioAnalysis
    settings: Settings = field(default_factory=Settings)
    blinks: list[BlinkEvent] | None = None
    keyframes: Keyframes = field(default_factory=Keyframes)
    blink_events: list[BlinkEvent] = field(init=False, repr=False)
    motion: MotionTrack = field(init=False, repr=False)
    motion_source: str = field(init=False)
    warnings: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        s = self.settings.validate()
        frames = frame_count(self.audio.duration, s.fps)
        if frames < 1:
            raise AudioError(
                f"The audio is shorter than one video frame ({self.audio.duration * 1000:.0f} ms"
                f" at {s.fps} fps). Use a longer recording."
            )
        blinks = self.blinks
        if blinks is None:
            params = BlinkParams(rate_per_min=s.blink_rate, mean_duration=s.blink_duration)
            blinks = generate_blinks(self.audio.duration, params, s.seed)
        object.__setattr__(self, "blink_events", list(blinks))
        warnings: list[str] = []
        source = s.motion_source
        rig = self.portrait.rig
        make = functools.partial(
            speech_motion, self.audio.voice, s.fps, frames, rig.neutral,
            seed=s.seed, intensity=s.mouth_intensity, liveliness=s.liveliness,
            keep_expression=s.keep_expression, blinks=blinks, breath=s.breath,
            # a drawing's or an animal's proportions are their own
            person=rig.paint is None and all(p.human for p in rig.lid_plates))
        speech = None
        if source == "gan":
            try:
                speech = make(source="gan")
            except (TalkieError, ImportError) as exc:
                msg = getattr(exc, "message", None) or "The speech model is not available."
                warnings.append(f"{msg} Using phonetic motion instead.")
                log.warning("GAN motion unavailable (%s); falling back to phonetic", exc)
                source = "phonetic"
        if speech is None:
            speech = make(source="phonetic")
        motion = MotionTrack(
            fps=float(s.fps),
            basis=speech.basis,
            coeffs=speech.coeffs,
            pose=speech.pose,
            eyelids=eyelid_track(blinks, frames, s.fps),
            mouth_open=speech.mouth_open,
            gaze=speech.gaze,
        )
        if self.keyframes is None:
            object.__setattr__(self, "keyframes", Keyframes())
        motion = apply_keyframes(motion, self.keyframes)
        object.__setattr__(self, "motion", motion)
        object.__setattr__(self, "motion_source", source)
        object.__setattr__(self, "warnings", tuple(warnings))

    @property
    def fps(self) -> int:
        return self.settings.fps

    @property
    def frame_count(self) -> int:
        return self.motion.frame_count

    @property
    def duration(self) -> float:
        """Seconds of animation (the audio's duration)."""
        return self.audio.duration

    def frame_index(self, t: float) -> int:
        """The frame shown at time ``t`` seconds: frame k covers [k/fps, (k+1)/fps)."""
        i = int(math.floor(t * self.fps + 1e-6))
        return min(max(i, 0), self.frame_count - 1)

    def render_index(self, index: int, size: int | None = None) -> np.ndarray:
        """Frame ``index`` as ``(h, w, 3|4) uint8``; ``size`` is the long edge in pixels."""
        return _render(self.portrait.rig, self.motion, index, size)

    def unmoving(self, size: int | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        """``(still, box)``: the portrait at the frames' size, ``(h, w, 3|4) uint8``, and the
        pixel box ``(x0, y0, x1, y1)`` outside which every frame equals it byte for byte."""
        rig = self.portrait.rig
        return rig.level(*output_size(rig, size)), moving_box(rig, size)

    def render_frame(self, t: float, size: int | None = None) -> np.ndarray:
        """The frame at time ``t`` seconds as ``(h, w, 3|4) uint8`` (pure, any order)."""
        return self.render_index(self.frame_index(t), size)

    def with_settings(self, settings: Settings) -> Animation:
        """A new Animation with other settings; keeps the artist's blink edits."""
        return Animation(self.portrait, self.audio, settings, self.blinks, self.keyframes)

    def with_blinks(self, blinks: list[BlinkEvent] | None) -> Animation:
        """A new Animation with edited blinks (``None`` regenerates from the seed)."""
        return Animation(self.portrait, self.audio, self.settings, blinks, self.keyframes)

    def with_keyframes(self, keyframes: Keyframes | None) -> Animation:
        """A new Animation with other keyframes (``None``: none); keeps everything else."""
        return Animation(
            self.portrait, self.audio, self.settings, self.blinks, keyframes or Keyframes()
        )
