"""From files to an :class:`Animation`: the one place that builds a scene.

``inputs or a project -> analysis -> Animation``, Qt-free, used by the
command line (``render``), and by the studio (loading a portrait or a voice
track, opening a project), so that all of them read face points, face
numbers, settings, blinks and keyframes the same way::

    portrait = open_portrait(path, face_index=0, face_points=None)
    voice = open_voice(path, progress, cancel, output=None)
    animation = animate(portrait, voice, project)     # direction and edits of a Project

Each step checks its input and raises a :class:`engine.errors.TalkieError`
subclass with a sentence for the user.
"""

from __future__ import annotations

import logging
from pathlib import Path

from engine.analysis import AudioAnalysis, PortraitAnalysis, analyse_audio, analyse_portrait
from engine.animation import Animation
from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.errors import NoFaceError
from engine.media.audio import load_audio
from engine.media.image import load_image
from engine.project import FacePoints, Project, face_landmarks
from engine.settings import OutputOptions

log = logging.getLogger(__name__)


def open_portrait(path: Path | str, face_index: int = 0,
                  face_points: FacePoints | None = None) -> PortraitAnalysis:
    """Read a portrait and rig one face: the detected face ``face_index``, or the
    face fitted to ``face_points`` (hand-placed, see :func:`engine.project.face_landmarks`).

    Raises:
        ImageError: the file cannot be read as an image.
        NoFaceError: no face found (or no face ``face_index``); the error's
            ``image`` attribute holds the decoded image, so that a caller can
            offer to place the face by hand.
        FaceTooSmallError, ProjectError: see :func:`analyse_portrait`,
            :func:`face_landmarks`.
    """
    image = load_image(path)
    landmarks = face_landmarks(face_points, image.rgb.shape)
    try:
        return analyse_portrait(image, face_index, landmarks)
    except NoFaceError as exc:
        exc.image = image
        raise


def open_voice(path: Path | str, progress: ProgressFn = no_progress,
               cancel: CancelToken | None = None,
               output: OutputOptions | None = None) -> AudioAnalysis:
    """Decode a voice track and find its phones.

    Args:
        path: any sound or video file.
        progress, cancel: see :mod:`engine.cancel`.
        output: when given, its stretch is checked against the decoded length
            before the (long) analysis: a start past the end fails at once.

    Raises:
        AudioError: the file cannot be read, is cut short, or holds too little sound.
        SettingsError: ``output`` starts past the end of the voice track.
        Cancelled: ``cancel`` was triggered.
    """
    cancel = cancel or CancelToken()
    progress(0.0, f"Reading {Path(path).name}")
    audio = load_audio(path)
    if output is not None:
        output.validate(audio.duration)
    cancel.check()
    return analyse_audio(audio, progress=progress, cancel=cancel)


def animate(portrait: PortraitAnalysis, voice: AudioAnalysis, project: Project) -> Animation:
    """The animation of ``portrait`` speaking ``voice``, directed by ``project``
    (its settings, blink edits and keyframes).

    Raises:
        SettingsError: a setting is out of range.
    """
    return Animation(portrait, voice, project.settings, project.blinks, project.keyframes)
