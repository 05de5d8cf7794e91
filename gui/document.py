"""The open document: inputs, their analysis, the direction, and the animation built from them.

The document is the single source of truth the widgets display. Changing the
settings or the blinks rebuilds the :class:`engine.Animation` on a worker
thread (latest wins), then ``animationChanged`` fires.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

import engine
from gui.workers import LatestWins, user_message


def _empty_keyframes() -> Any:
    from engine.keyframes import Keyframes

    return Keyframes()


class Document(QObject):
    portraitChanged = Signal()
    audioChanged = Signal()
    settingsChanged = Signal()
    blinksChanged = Signal()
    keyframesChanged = Signal()
    faceFitChanged = Signal()
    animationChanged = Signal()
    dirtyChanged = Signal(bool)
    problem = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.portrait: Any = None          # engine.PortraitAnalysis
        self.portrait_path: Path | None = None
        self.audio: Any = None             # engine.AudioAnalysis
        self.audio_path: Path | None = None
        self.spectrogram: Any = None       # gui.spectrogram.Spectrogram
        self.settings = engine.Settings()
        self.blinks: list | None = None    # edited blink events, or None = from the seed
        self.keyframes: Any = _empty_keyframes()   # engine.keyframes.Keyframes
        self.face_points: dict | None = None  # hand-placed points (name -> (x, y)), or None
        self.animation: Any = None         # engine.Animation
        self.project_path: Path | None = None
        self._dirty = False
        self._applied = 0                  # ticket of the last build applied (or failed)
        self._builder = LatestWins("animation-builder", self)
        self._builder.done.connect(self._built)
        self._builder.error.connect(self._build_failed)

    # ----------------------------------------------------------------- state
    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

    @property
    def duration(self) -> float:
        return float(self.audio.duration) if self.audio is not None else 0.0

    @property
    def fps(self) -> int:
        return int(self.settings.fps)

    def building(self) -> bool:
        """True while a rebuild of the animation is on its way."""
        return self._applied < self._builder.latest_ticket

    def blink_events(self) -> list:
        """The blink events in effect: the edited ones, else the animation's generated ones."""
        if self.blinks is not None:
            return list(self.blinks)
        if self.animation is not None:
            return list(self.animation.blink_events)
        return []

    # --------------------------------------------------------------- setters
    def set_portrait(self, analysis: Any, path: Path | None) -> None:
        self.portrait = analysis
        self.portrait_path = Path(path) if path else None
        self.animation = None
        self.portraitChanged.emit()
        self.set_dirty(True)
        self.rebuild()

    def set_audio(self, analysis: Any, path: Path | None, spectrogram: Any) -> None:
        self.audio = analysis
        self.audio_path = Path(path) if path else None
        self.spectrogram = spectrogram
        self.animation = None
        self.blinks = None  # edited blinks belong to the old voice track
        self.audioChanged.emit()
        self.set_dirty(True)
        self.rebuild()

    def set_settings(self, settings: Any) -> None:
        if settings == self.settings:
            return
        self.settings = settings
        self.settingsChanged.emit()
        self.set_dirty(True)
        self.rebuild()

    def set_blinks(self, blinks: list | None) -> None:
        self.blinks = None if blinks is None else sorted(blinks, key=lambda b: b.onset)
        self.blinksChanged.emit()
        self.set_dirty(True)
        self.rebuild()

    def set_keyframes(self, keyframes: Any) -> None:
        self.keyframes = keyframes if keyframes is not None else _empty_keyframes()
        self.keyframesChanged.emit()
        self.set_dirty(True)
        self.rebuild()

    def set_fitted_portrait(self, analysis: Any, path: Path | None,
                            points: dict | None) -> None:
        """Replace the portrait's analysis with one from a hand fit (or back to a detected one)."""
        self.face_points = None if points is None else dict(points)
        self.set_portrait(analysis, path)
        self.faceFitChanged.emit()

    def reset(self) -> None:
        """Back to an empty document (keeps nothing)."""
        self.portrait = self.audio = self.spectrogram = self.animation = None
        self.portrait_path = self.audio_path = self.project_path = None
        self.settings = engine.Settings()
        self.blinks = None
        self.keyframes = _empty_keyframes()
        self.face_points = None
        self.portraitChanged.emit()
        self.audioChanged.emit()
        self.settingsChanged.emit()
        self.animationChanged.emit()
        self.set_dirty(False)

    # ------------------------------------------------------------ animation
    def rebuild(self) -> None:
        """Build the animation from the current inputs on the worker (latest wins)."""
        if self.portrait is None or self.audio is None:
            return
        portrait, audio, settings, blinks = self.portrait, self.audio, self.settings, self.blinks
        keyframes = self.keyframes

        def build() -> Any:
            # Analysis is shared; only the motion is rebuilt (what with_settings does).
            return engine.Animation(portrait, audio, settings, blinks, keyframes=keyframes)

        self._builder.submit(build, (portrait, audio))

    def _built(self, ticket: int, tag: Any, animation: Any) -> None:
        if ticket != self._builder.latest_ticket:
            return  # a newer build is on its way
        self._applied = ticket
        if tag[0] is not self.portrait or tag[1] is not self.audio:
            return
        self.animation = animation
        self.animationChanged.emit()

    def _build_failed(self, ticket: int, tag: Any, exc: BaseException) -> None:
        if ticket == self._builder.latest_ticket:
            self._applied = ticket
            self.problem.emit(user_message(exc))

    # --------------------------------------------------------------- project
    def to_project(self) -> Any:
        face_index = 0
        if self.portrait is not None:
            face_index = max(0, int(self.portrait.face_index))
        return engine.Project(portrait=self.portrait_path, audio=self.audio_path,
                              settings=self.settings, blinks=self.blinks,
                              face_index=face_index, keyframes=self.keyframes,
                              face_points=self.face_points)

    def landmarks(self) -> np.ndarray | None:
        return None if self.portrait is None else np.asarray(self.portrait.landmarks)

    def shutdown(self) -> None:
        self._builder.stop()
