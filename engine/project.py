"""Project files: JSON with input paths, settings, blink events, keyframes, face fit, version."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import OutputError, ProjectError
from engine.keyframes import Keyframes
from engine.motion.blinks import BlinkEvent
from engine.settings import Settings
from engine.version import __version__

FORMAT = "talkie-project"
FORMAT_VERSION = 1


def _points_json(points: Any) -> Any:
    """Face points as plain JSON (named points or a (468, 3) array as lists of floats)."""
    if points is None:
        return None
    if isinstance(points, dict):
        return {str(k): [float(v[0]), float(v[1])] for k, v in points.items()}
    return [[float(c) for c in row] for row in points]


@dataclass
class Project:
    """What an artist saves: inputs, direction, and blink edits.

    Attributes:
        portrait: path of the portrait image, or None.
        audio: path of the voice track, or None.
        settings: the direction.
        blinks: the edited blink events, or None to generate them from the seed.
        face_index: which detected face to animate (0 = largest).
        face_points: a manual face, or None to use the detector. Either the
            artist's placed points (``engine.face.fit``: ``{name: [x, y]}``
            pixels, fitted by :meth:`landmarks`) or all ``(468, 3)``
            landmarks in pixels as nested lists.
        keyframes: expression, gaze and head-pose keys (``engine.keyframes``).
    """

    portrait: Path | None = None
    audio: Path | None = None
    settings: Settings = field(default_factory=Settings)
    blinks: list[BlinkEvent] | None = None
    face_index: int = 0
    face_points: dict[str, Any] | list[list[float]] | None = None
    keyframes: Keyframes = field(default_factory=Keyframes)

    def landmarks(self, image_shape: tuple[int, ...]) -> Any:
        """``(468, 3) float32`` manual landmarks from ``face_points`` (fitted when
        they are named points), or None to use the detector.

        Raises:
            ProjectError: the saved face is damaged.
        """
        import numpy as np

        if not self.face_points:
            return None
        if isinstance(self.face_points, dict):
            from engine.errors import InputError
            from engine.face.fit import fit_face

            try:
                return fit_face(self.face_points, image_shape)
            except InputError as exc:
                raise ProjectError(f"The face points in this project are invalid: {exc}") from exc
        try:
            arr = np.asarray(self.face_points, dtype=np.float32)
        except (TypeError, ValueError):
            arr = np.zeros(0, np.float32)
        if arr.shape != (468, 3) or not np.all(np.isfinite(arr)):
            raise ProjectError("The fitted face in this project is damaged. Fit it again.")
        return arr

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

        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "talkie_version": __version__,
            "portrait": rel(self.portrait),
            "audio": rel(self.audio),
            "settings": self.settings.to_dict(),
            "blinks": None
            if self.blinks is None
            else [[b.onset, b.duration, b.depth] for b in self.blinks],
            "face_index": self.face_index,
            "face_points": _points_json(self.face_points),
            "keyframes": self.keyframes.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path | None = None) -> Project:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ProjectError("This file is not a Talkie project.")
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise ProjectError(
                "This project was saved by a newer Talkie. Update Talkie to open it."
            )

        def path(value: Any) -> Path | None:
            if not value:
                return None
            p = Path(value)
            return p if p.is_absolute() or base is None else (base / p).resolve()

        try:
            blinks = data.get("blinks")
            return cls(
                portrait=path(data.get("portrait")),
                audio=path(data.get("audio")),
                settings=Settings.from_dict(data.get("settings") or {}),
                blinks=None
                if blinks is None
                else [BlinkEvent(float(o), float(d), float(p)) for o, d, p in blinks],
                face_index=int(data.get("face_index", 0)),
                face_points=data.get("face_points"),
                keyframes=Keyframes.from_dict(data.get("keyframes")),
            )
        except (TypeError, ValueError) as exc:
            raise ProjectError(f"This project file is damaged ({exc}).") from exc

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-save never leaves a half-written project."""
        path = Path(path)
        text = json.dumps(self.to_dict(path.parent.resolve()), indent=2)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"Could not save the project to {path}: {exc.strerror}.") from exc

    @classmethod
    def load(cls, path: Path) -> Project:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ProjectError(f"The project {path} does not exist.") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProjectError(f"The project {path} could not be read.") from exc
        return cls.from_dict(data, path.parent.resolve())

    def missing_inputs(self) -> list[Path]:
        """Input files named by the project that no longer exist."""
        return [p for p in (self.portrait, self.audio) if p is not None and not p.exists()]
