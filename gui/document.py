"""The open document: the studio's only mutable state, behind a typed API.

Everything the artist works on is one immutable :class:`Scene` (inputs and
their analysis, the direction, the output choices, the edits, the playhead
and loop); the :class:`Document` holds the current one and replaces it on
each change, so a snapshot for an export or an autosave is just
``doc.scene``. Widgets display the document through its signals; controllers
change it only through its methods (undoable edits through
:mod:`gui.commands`). Changing the inputs, the settings, the blinks or the
keyframes rebuilds the :class:`engine.Animation` on a worker thread (latest
wins), then ``animationChanged`` fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

import engine
from gui.spectrum import Spectrogram
from gui.workers import LatestWins, user_message

FacePoints = dict[str, tuple[float, float]]

#: Scene fields that shape the animation: a change rebuilds it.
_MOTION_FIELDS = ("portrait", "audio", "settings", "blinks", "keyframes")
#: Scene fields that are a view, not work: a change does not make the document dirty.
_VIEW_FIELDS = ("position", "loop", "looping", "project_path")
#: Scene fields compared by identity (analyses hold arrays).
_BY_IDENTITY = ("portrait", "audio", "spectrogram")


@dataclass(frozen=True)
class Scene:
    """Everything the artist works on, at one moment (immutable).

    Attributes:
        portrait: the portrait's analysis, or None.
        portrait_path: its file.
        face_points: hand-placed points (name -> (x, y) pixels), or None (detected).
        audio: the voice track's analysis, or None.
        audio_path: its file.
        spectrogram: the voice track's spectrogram for the timeline.
        settings: the direction.
        output: the export's choices.
        blinks: edited blink events (sorted), or None to generate them from the seed.
        keyframes: expression, gaze and head keys.
        project_path: the project file this is saved to, or None (untitled).
        position: the playhead, seconds.
        loop: the loop range in seconds, or None.
        looping: whether playback loops over ``loop``.
    """

    portrait: engine.PortraitAnalysis | None = None
    portrait_path: Path | None = None
    face_points: FacePoints | None = None
    audio: engine.AudioAnalysis | None = None
    audio_path: Path | None = None
    spectrogram: Spectrogram | None = None
    settings: engine.Settings = field(default_factory=engine.Settings)
    output: engine.OutputOptions = field(default_factory=engine.OutputOptions)
    blinks: tuple[engine.BlinkEvent, ...] | None = None
    keyframes: engine.Keyframes = field(default_factory=engine.Keyframes)
    project_path: Path | None = None
    position: float = 0.0
    loop: tuple[float, float] | None = None
    looping: bool = False

    @property
    def duration(self) -> float:
        """Seconds of the voice track (0 without one)."""
        return float(self.audio.duration) if self.audio is not None else 0.0

    def to_project(self) -> engine.Project:
        face_index = max(0, int(self.portrait.face_index)) if self.portrait is not None else 0
        points = None if self.face_points is None else dict(self.face_points)
        return engine.Project(
            portrait=self.portrait_path, audio=self.audio_path, settings=self.settings,
            output=self.output, blinks=None if self.blinks is None else list(self.blinks),
            face_index=face_index, face_points=points, keyframes=self.keyframes,
            playhead=self.position, loop=self.loop if self.looping else None)


def face_points_of(points: Any) -> FacePoints | None:
    """Named points from a project (``{name: [x, y]}``) as the scene keeps them."""
    if not isinstance(points, dict):
        return None
    return {str(k): (float(v[0]), float(v[1])) for k, v in points.items()}


class Document(QObject):
    """The current :class:`Scene`, the animation built from it, and whether it is saved."""

    portraitChanged = Signal()
    audioChanged = Signal()
    settingsChanged = Signal()
    outputChanged = Signal()
    blinksChanged = Signal()
    keyframesChanged = Signal()
    faceFitChanged = Signal()
    positionChanged = Signal(float)
    loopChanged = Signal()
    projectChanged = Signal()       # another project was opened, or saved under a new name
    animationChanged = Signal()
    dirtyChanged = Signal(bool)
    edited = Signal()               # any change of the artist's work (for the autosave)
    problem = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = Scene()
        self._dirty = False
        self._revision = 0
        self._animation: engine.Animation | None = None
        self._built_from: tuple[Any, ...] | None = None
        self._applied = 0                  # ticket of the last build applied (or failed)
        self._builder = LatestWins("animation-builder", self)
        self._builder.done.connect(self._built)
        self._builder.error.connect(self._build_failed)

    # ------------------------------------------------------------ reading
    @property
    def scene(self) -> Scene:
        """The current state (immutable: a snapshot)."""
        return self._scene

    @property
    def portrait(self) -> engine.PortraitAnalysis | None:
        return self._scene.portrait

    @property
    def portrait_path(self) -> Path | None:
        return self._scene.portrait_path

    @property
    def face_points(self) -> FacePoints | None:
        return self._scene.face_points

    @property
    def audio(self) -> engine.AudioAnalysis | None:
        return self._scene.audio

    @property
    def audio_path(self) -> Path | None:
        return self._scene.audio_path

    @property
    def spectrogram(self) -> Spectrogram | None:
        return self._scene.spectrogram

    @property
    def settings(self) -> engine.Settings:
        return self._scene.settings

    @property
    def output(self) -> engine.OutputOptions:
        return self._scene.output

    @property
    def blinks(self) -> list[engine.BlinkEvent] | None:
        return None if self._scene.blinks is None else list(self._scene.blinks)

    @property
    def keyframes(self) -> engine.Keyframes:
        return self._scene.keyframes

    @property
    def project_path(self) -> Path | None:
        return self._scene.project_path

    @property
    def position(self) -> float:
        return self._scene.position

    @property
    def loop(self) -> tuple[float, float] | None:
        return self._scene.loop

    @property
    def looping(self) -> bool:
        return self._scene.looping and self._scene.loop is not None

    @property
    def animation(self) -> engine.Animation | None:
        """The animation of the current scene, or of a recent one while a rebuild runs."""
        return self._animation

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def revision(self) -> int:
        """Counts changes to the artist's work (not to the view)."""
        return self._revision

    @property
    def duration(self) -> float:
        return self._scene.duration

    @property
    def fps(self) -> int:
        return int(self._scene.settings.fps)

    def building(self) -> bool:
        """True while a rebuild of the animation is on its way."""
        return self._applied < self._builder.latest_ticket

    def animation_of(self, scene: Scene) -> engine.Animation | None:
        """The built animation if it was built from exactly ``scene``'s inputs and
        direction, else None (a rebuild is pending or the scene is another one)."""
        if self._animation is None or self._built_from is None \
                or not _same_motion(self._built_from, _motion_key(scene)):
            return None
        return self._animation

    def blink_events(self) -> list[engine.BlinkEvent]:
        """The blink events in effect: the edited ones, else the animation's generated ones."""
        if self._scene.blinks is not None:
            return list(self._scene.blinks)
        if self._animation is not None:
            return list(self._animation.blink_events)
        return []

    def to_project(self) -> engine.Project:
        return self._scene.to_project()

    # ------------------------------------------------------------ changing
    def update(self, **changes: Any) -> None:
        """Replace fields of the scene (names of :class:`Scene`), emit what changed,
        and rebuild the animation when the motion depends on them.

        Changes to the work make the document dirty; the view (position,
        loop, project path) does not.
        """
        known = {f.name for f in fields(Scene)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"not scene fields: {sorted(unknown)}")
        if "blinks" in changes and changes["blinks"] is not None:
            changes["blinks"] = tuple(sorted(changes["blinks"], key=lambda b: b.onset))
        old = self._scene
        changed = {k for k, v in changes.items() if not _same(k, getattr(old, k), v)}
        if not changed:
            return
        self._scene = replace(old, **changes)
        if changed & {"portrait", "audio"}:
            self._animation = None
        self._emit(changed)
        if changed - set(_VIEW_FIELDS):
            self._revision += 1
            self.set_dirty(True)
            self.edited.emit()
        if changed & set(_MOTION_FIELDS):
            self.rebuild()

    def set_settings(self, settings: engine.Settings) -> None:
        self.update(settings=settings)

    def set_output(self, output: engine.OutputOptions) -> None:
        self.update(output=output)

    def set_blinks(self, blinks: list[engine.BlinkEvent] | None) -> None:
        self.update(blinks=blinks)

    def set_keyframes(self, keyframes: engine.Keyframes | None) -> None:
        self.update(keyframes=keyframes if keyframes is not None else engine.Keyframes())

    def set_position(self, t: float) -> None:
        t = float(min(max(t, 0.0), self.duration))
        if t != self._scene.position:
            self._scene = replace(self._scene, position=t)
            self.positionChanged.emit(t)

    def set_loop(self, loop: tuple[float, float] | None, looping: bool | None = None) -> None:
        if loop is not None:
            a, b = max(0.0, loop[0]), min(self.duration, loop[1])
            loop = (a, b) if b > a else None
        self.update(loop=loop, looping=self._scene.looping if looping is None else looping)

    def load(self, scene: Scene, animation: engine.Animation | None = None,
             dirty: bool = False) -> None:
        """Swap in a whole new scene at once (an opened project), with its animation
        when it was built already. Every signal fires; the document is clean
        unless ``dirty`` (recovered work)."""
        self._scene = scene
        self._animation = animation
        self._built_from = _motion_key(scene) if animation is not None else None
        self._revision += 1
        self._applied = self._builder.latest_ticket
        self._emit({f.name for f in fields(Scene)})
        self.projectChanged.emit()
        self.set_dirty(dirty)
        if animation is None:
            self.rebuild()
        else:
            self.animationChanged.emit()

    def mark_saved(self, path: Path) -> None:
        """The scene was saved to ``path``: it is the project file, and clean."""
        renamed = path != self._scene.project_path
        self._scene = replace(self._scene, project_path=path)
        self.set_dirty(False)
        if renamed:
            self.projectChanged.emit()

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

    def _emit(self, changed: set[str]) -> None:
        if changed & {"portrait", "portrait_path"}:
            self.portraitChanged.emit()
        if "face_points" in changed:
            self.faceFitChanged.emit()
        if changed & {"audio", "audio_path", "spectrogram"}:
            self.audioChanged.emit()
        if "settings" in changed:
            self.settingsChanged.emit()
        if "output" in changed:
            self.outputChanged.emit()
        if "blinks" in changed:
            self.blinksChanged.emit()
        if "keyframes" in changed:
            self.keyframesChanged.emit()
        if changed & {"loop", "looping"}:
            self.loopChanged.emit()
        if "position" in changed:
            self.positionChanged.emit(self._scene.position)
        if changed & {"portrait", "audio"}:
            self.animationChanged.emit()

    # ------------------------------------------------------------ animation
    def rebuild(self) -> None:
        """Build the animation from the current scene on the worker (latest wins)."""
        scene = self._scene
        if scene.portrait is None or scene.audio is None:
            return
        portrait, audio, project = scene.portrait, scene.audio, scene.to_project()

        def build() -> engine.Animation:
            # Analysis is shared; only the motion is rebuilt.
            return engine.animate(portrait, audio, project)

        self._builder.submit(build, _motion_key(scene))

    def _built(self, ticket: int, key: Any, animation: Any) -> None:
        if ticket != self._builder.latest_ticket:
            return  # a newer build is on its way
        self._applied = ticket
        if not _same_motion(key, _motion_key(self._scene)):
            return
        self._animation = animation
        self._built_from = key
        self.animationChanged.emit()

    def _build_failed(self, ticket: int, key: Any, exc: BaseException) -> None:
        if ticket == self._builder.latest_ticket:
            self._applied = ticket
            self.problem.emit(user_message(exc))

    def shutdown(self) -> None:
        self._builder.stop()


def _same(name: str, a: Any, b: Any) -> bool:
    return a is b if name in _BY_IDENTITY else (a is b or a == b)


def _motion_key(scene: Scene) -> tuple[Any, ...]:
    """What the animation depends on."""
    return (scene.portrait, scene.audio, scene.settings, scene.blinks, scene.keyframes)


def _same_motion(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """The analyses by identity, the direction and edits by value."""
    return a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:]
