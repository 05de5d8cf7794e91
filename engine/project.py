"""Project files: JSON with input paths, direction, output, blink events, keyframes, face fit.

A project is checked when it is read: a damaged or out-of-range value is a
:class:`ProjectError` that says which and why, never a crash later on.
Projects saved by earlier versions open: their output choices (size, crf,
start, end) were part of the settings, and ``liveliness`` was ``head_motion``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError, OutputError, ProjectError, SettingsError
from engine.keyframes import Keyframes
from engine.media.files import check_input_file
from engine.motion.blinks import BlinkEvent, normalise_blinks
from engine.settings import OutputOptions, Settings
from engine.version import __version__

FORMAT = "talkie-project"
FORMAT_VERSION = 2
#: Settings keys that moved to :class:`OutputOptions` in format 2.
_OUTPUT_KEYS = ("size", "crf", "start", "end")

FacePoints = dict[str, Any] | list[list[float]]


def _points_json(points: Any) -> Any:
    """Face points as plain JSON (named points or a (468, 3) array as lists of floats)."""
    if points is None:
        return None
    if isinstance(points, dict):
        return {str(k): [float(v[0]), float(v[1])] for k, v in points.items()}
    return [[float(c) for c in row] for row in points]


def face_landmarks(points: FacePoints | None, image_shape: tuple[int, ...]) -> np.ndarray | None:
    """``(468, 3) float32`` landmarks in pixels from saved face points, or None (detect).

    Args:
        points: named points placed by hand (``{name: [x, y]}``, fitted by
            :func:`engine.face.fit.fit_face`), or all 468 landmarks as nested lists.
        image_shape: the portrait's ``(H, W, ...)``.

    Raises:
        ProjectError: the points are damaged or do not make a face.
    """
    if not points:
        return None
    if isinstance(points, dict):
        from engine.face.fit import fit_face

        try:
            return fit_face(points, image_shape)
        except InputError as exc:
            raise ProjectError(f"The hand-placed face points do not fit this portrait: "
                               f"{exc.message}") from exc
    try:
        arr = np.asarray(points, dtype=np.float32)
    except (TypeError, ValueError):
        arr = np.zeros(0, np.float32)
    if arr.shape != (468, 3) or not np.all(np.isfinite(arr)):
        raise ProjectError("The hand-fitted face is damaged (it needs 468 finite points). "
                           "Place the face again.")
    return arr


@dataclass
class Project:
    """What an artist saves: inputs, direction, output, and edits.

    Attributes:
        portrait: path of the portrait image, or None.
        audio: path of the voice track, or None.
        settings: the direction.
        output: the export's choices (size, quality, stretch, background).
        blinks: the edited blink events, or None to generate them from the seed.
        face_index: which detected face to animate (0 = largest).
        face_points: a manual face, or None to use the detector. Either the
            artist's placed points (``engine.face.fit``: ``{name: [x, y]}``
            pixels, fitted by :meth:`landmarks`) or all ``(468, 3)``
            landmarks in pixels as nested lists.
        keyframes: expression, gaze and head-pose keys (``engine.keyframes``).
        playhead: where the playhead was, seconds.
        loop: the loop range ``(start, end)`` in seconds, or None.
        autosave_of: for an autosave (crash recovery): the project file it
            is unsaved work of, or None.
    """

    portrait: Path | None = None
    audio: Path | None = None
    settings: Settings = field(default_factory=Settings)
    output: OutputOptions = field(default_factory=OutputOptions)
    blinks: list[BlinkEvent] | None = None
    face_index: int = 0
    face_points: FacePoints | None = None
    keyframes: Keyframes = field(default_factory=Keyframes)
    playhead: float = 0.0
    loop: tuple[float, float] | None = None
    autosave_of: Path | None = None

    def landmarks(self, image_shape: tuple[int, ...]) -> np.ndarray | None:
        """See :func:`face_landmarks`."""
        return face_landmarks(self.face_points, image_shape)

    def to_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        def rel(p: Path | None) -> str | None:
            if p is None:
                return None
            if relative_to is not None:
                try:
                    return os.path.relpath(p, relative_to)
                except ValueError:  # another drive on Windows
                    return str(p)
            return str(p)

        data: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "talkie_version": __version__,
            "portrait": rel(self.portrait),
            "audio": rel(self.audio),
            "settings": self.settings.to_dict(),
            "output": self.output.to_dict(),
            "blinks": None
            if self.blinks is None
            else [[b.onset, b.duration, b.depth] for b in self.blinks],
            "face_index": self.face_index,
            "face_points": _points_json(self.face_points),
            "keyframes": self.keyframes.to_dict(),
            "view": {"playhead": self.playhead,
                     "loop": None if self.loop is None else list(self.loop)},
        }
        if self.autosave_of is not None:
            data["autosave_of"] = str(Path(self.autosave_of).absolute())
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path | None = None) -> Project:
        """Read and check a project.

        Raises:
            ProjectError: not a project, from a newer Talkie, damaged, or a
                setting out of range (the message names it).
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ProjectError("This file is not a Talkie project.")
        try:
            version = int(data.get("format_version", 0))
        except (TypeError, ValueError):
            version = FORMAT_VERSION + 1
        if version > FORMAT_VERSION:
            raise ProjectError(
                "This project was saved by a newer Talkie. Update Talkie to open it."
            )

        def path(value: Any) -> Path | None:
            if not value:
                return None
            p = Path(value)
            return p if p.is_absolute() or base is None else (base / p).resolve()

        try:
            saved = dict(data.get("settings") or {})
            out = dict(data.get("output") or {})
            for key in _OUTPUT_KEYS:  # format 1 kept the output choices in the settings
                if key in saved and key not in out:
                    out[key] = saved[key]
            blinks = data.get("blinks")
            view = data.get("view") or {}
            loop = view.get("loop")
            project = cls(
                portrait=path(data.get("portrait")),
                audio=path(data.get("audio")),
                settings=Settings.from_dict(saved).validate(),
                output=OutputOptions.from_dict(out).validate(),
                blinks=None
                if blinks is None
                else normalise_blinks([BlinkEvent(float(o), float(d), float(p))
                                       for o, d, p in blinks]),
                face_index=int(data.get("face_index", 0)),
                face_points=data.get("face_points"),
                keyframes=Keyframes.from_dict(data.get("keyframes")),
                playhead=max(0.0, float(view.get("playhead", 0.0))),
                loop=None if loop is None else (float(loop[0]), float(loop[1])),
                autosave_of=path(data.get("autosave_of")),
            )
        except SettingsError as exc:
            raise ProjectError(f"This project has an invalid setting: {exc.message}") from exc
        except (TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ProjectError(f"This project file is damaged ({exc}).") from exc
        if project.face_index < 0:
            raise ProjectError("This project file is damaged (a negative face number).")
        if not np.isfinite(project.playhead):
            project.playhead = 0.0
        return project

    def save(self, path: Path, relative: bool = True) -> None:
        """Write atomically: a crash mid-save never leaves a half-written project.

        Args:
            path: the file.
            relative: store input paths relative to the file's folder (so a
                project folder can move); False stores absolute paths
                (autosaves, which live elsewhere).
        """
        path = Path(path)
        base = path.parent.resolve() if relative else None
        text = json.dumps(self.to_dict(base), indent=2)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutputError(f"Could not save the project to {path}: "
                              f"{exc.strerror or exc}.") from exc

    @classmethod
    def load(cls, path: Path) -> Project:
        """Read a project file.

        Raises:
            ProjectError: missing, unreadable (the reason is given), or see
                :meth:`from_dict`.
        """
        path = Path(path)
        check_input_file(path, "project")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ProjectError(f"The project {path.name} could not be read "
                               f"({exc.strerror or exc}).") from exc
        except UnicodeDecodeError as exc:
            raise ProjectError(f"The project {path.name} could not be read: it is not "
                               "text (a project is a JSON file).") from exc
        except json.JSONDecodeError as exc:
            raise ProjectError(f"The project {path.name} could not be read: it is not valid "
                               f"JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") \
                from exc
        try:
            return cls.from_dict(data, path.parent.resolve())
        except ProjectError as exc:
            raise ProjectError(f"{path.name}: {exc.message}") from exc

    def missing_inputs(self) -> list[Path]:
        """Input files named by the project that no longer exist."""
        return [p for p in (self.portrait, self.audio) if p is not None and not p.exists()]
