"""Per-input analysis, computed once and cached: portrait -> face rig, audio -> phones.

This is the first stage of the one-way data flow
``inputs -> analysis -> motion -> render -> export``.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np

from engine.audio.features import loudness
from engine.audio.phones import Phone, recognise_phones
from engine.audio.voice import Voice
from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.errors import AudioError, FaceTooSmallError, NoFaceError
from engine.face import MIN_FACE_SIZE, Face, detect_faces
from engine.face.align import face_angles
from engine.face.drawn_mouth import on_drawn_mouth
from engine.face.fit import ALL_POINTS
from engine.media.audio import Audio
from engine.media.image import Image
from engine.render import PortraitRig
from engine.render.flat_mouth import onto_drawn_line

log = logging.getLogger(__name__)

#: The shortest audio worth animating, in seconds (one frame at 60 fps is shorter).
MIN_AUDIO_SECONDS = 0.05
#: A found face turned further than this from the camera (degrees of yaw) gets a warning:
#: its far eye and the far side of its mouth are hidden, and the face model guesses them.
#: The blink check's portraits read 0 to 5 degrees (photos, video stills), the Mona Lisa
#: 19, all rendered as fitted; scikit-image's cameraman 53, whose fitted lip contour lies
#: partly off his lips, on the background, so his mouth is drawn beside it.
TURNED_DEG = 40.0


@dataclass(frozen=True)
class PortraitAnalysis:
    """A portrait with its faces found and one face rigged for animation.

    Attributes:
        image: the decoded portrait.
        faces: every face found, largest first.
        face_index: index in ``faces`` of the animated face (or -1 for a
            manually fitted face).
        landmarks: ``(468, 3) float32`` pixels, the animated face's landmarks.
        rig: the renderer's cached per-portrait data.
    """

    image: Image
    faces: list[Face]
    face_index: int
    landmarks: np.ndarray
    rig: PortraitRig

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        h, w = self.image.rgb.shape[:2]
        return w, h

    @property
    def yaw_deg(self) -> float:
        """How far the face is turned from the camera, degrees (the sign says which
        way), from the rig's 3-D fit of its landmarks to the canonical face."""
        return float(np.degrees(face_angles(self.rig.similarity)[1]))

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the artist should check before trusting the face's fit: a face found
        turned more than :data:`TURNED_DEG` from the camera (none for a face placed
        by hand)."""
        if self.face_index < 0 or abs(self.yaw_deg) <= TURNED_DEG:
            return ()
        return (f"The face is turned about {abs(self.yaw_deg):.0f}° from the camera, so the "
                "face model guesses its far eye and the far side of its mouth; if the mouth "
                "or the eyes move in the wrong place, place the face by hand.",)


@dataclass(frozen=True)
class AudioAnalysis:
    """A voice track with its phones.

    Attributes:
        audio: the decoded audio (16 kHz mono samples plus the original).
        phones: timed phones, seconds, silence labelled ``"sil"``.
    """

    audio: Audio
    phones: list[Phone] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.audio.duration

    @functools.cached_property
    def voice(self) -> Voice:
        """The track analysed for motion (log-mel, pitch, accents, phrases), computed once."""
        return Voice.analyse(self.audio.samples, self.phones)

    def loudness(self, fps: float) -> np.ndarray:
        """``(T,) float32`` dB per video frame."""
        return loudness(self.audio.samples, fps)


def analyse_portrait(
    image: Image, face_index: int = 0, landmarks: np.ndarray | None = None
) -> PortraitAnalysis:
    """Find faces and rig one for animation.

    Args:
        image: the decoded portrait.
        face_index: which face to animate, 0 = the largest (``faces`` is sorted
            largest first).
        landmarks: ``(468, 3) float32`` pixels from a manual fit; when given,
            detection is skipped.

    Raises:
        NoFaceError: no face was found, or none with number ``face_index``.
        FaceTooSmallError: the chosen face is smaller than :data:`MIN_FACE_SIZE`.
    """
    if landmarks is not None:
        # a flat drawing's placed lips carried onto its drawn line; the placed points stay
        pts = onto_drawn_line(image.rgb, np.asarray(landmarks, dtype=np.float32).reshape(468, 3),
                              tuple(ALL_POINTS.values()))
        return PortraitAnalysis(image, [], -1, pts, PortraitRig.build(image.rgb, image.alpha, pts))
    faces = detect_faces(image.rgb)
    if not faces:
        raise NoFaceError(
            "No face was found in this picture. Use a portrait where one face looks "
            "towards the camera, well lit and not covered."
        )
    if not 0 <= face_index < len(faces):
        error = NoFaceError(
            f"There is no face {face_index} in this picture: {len(faces)} "
            f"{'face was' if len(faces) == 1 else 'faces were'} found, numbered from 0 "
            f"(the largest) to {len(faces) - 1}."
        )
        error.faces = len(faces)
        raise error
    face = faces[face_index]
    x0, y0, x1, y1 = face.box
    if min(x1 - x0, y1 - y0) < MIN_FACE_SIZE:
        raise FaceTooSmallError(
            f"The face is too small to animate ({int(x1 - x0)} pixels wide). "
            f"Use a picture where the face is at least {MIN_FACE_SIZE} pixels wide."
        )
    landmarks = on_drawn_mouth(image.rgb, face.landmarks)
    rig = PortraitRig.build(image.rgb, image.alpha, landmarks)
    log.info("portrait %s: %d face(s), animating #%d", image.path, len(faces), face_index)
    return PortraitAnalysis(image, faces, face_index, landmarks, rig)


def analyse_audio(
    audio: Audio,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> AudioAnalysis:
    """Recognise the phones of a voice track.

    Raises:
        AudioError: the audio is shorter than :data:`MIN_AUDIO_SECONDS`.
        Cancelled: ``cancel`` was triggered.
    """
    if audio.duration < MIN_AUDIO_SECONDS:
        raise AudioError(
            f"The audio is too short ({audio.duration * 1000:.0f} ms). "
            "Use a recording of at least a fraction of a second."
        )
    phones = recognise_phones(audio.samples, progress=progress, cancel=cancel)
    analysis = AudioAnalysis(audio, phones)
    _ = analysis.voice  # in the caller's (worker) thread, not when the motion is first built
    return analysis
