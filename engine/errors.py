"""Typed errors that carry a sentence a person can act on.

Every error the engine raises for bad input or a failed job is a
:class:`TalkieError`. Its ``str()`` is the user-facing message: the CLI
prints it on one line and the GUI shows it in a dialog.
"""

from __future__ import annotations


class TalkieError(Exception):
    """Base class. ``message`` is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(TalkieError):
    """A file could not be found or read."""


class ImageError(InputError):
    """An image is unreadable, empty, too small or too large."""


class AudioError(InputError):
    """An audio file is unreadable, empty or too short."""


class NoFaceError(TalkieError):
    """No face was found in the portrait (or none with the number asked for).

    ``faces`` is how many faces were found. ``image`` is the decoded portrait
    when the caller may offer to place the face by hand (set by
    :func:`engine.scene.open_portrait`), else None.
    """

    faces: int = 0
    image: object | None = None


class FaceTooSmallError(TalkieError):
    """A face was found but it is too small to animate."""


class OutputError(TalkieError):
    """The output could not be written (folder missing, not writable, disk full)."""


class SettingsError(TalkieError):
    """A setting is out of its range (see ``engine.settings.LIMITS``).

    Attributes:
        field: the setting's field name (``"blink_rate"``).
        requirement: the rule it breaks (``"must be a number between 0 and 90 ..."``),
            so that the command line can name its option instead.
        value: the value refused.
    """

    def __init__(self, field: str, label: str, requirement: str, value: object) -> None:
        super().__init__(f"{label} {requirement} (got {value!r}).")
        self.field = field
        self.requirement = requirement
        self.value = value


class ModelError(TalkieError):
    """A model file is missing or corrupt."""


class ProjectError(TalkieError):
    """A project file is unreadable or refers to something invalid."""


class Cancelled(TalkieError):
    """A long job was cancelled by the user. Nothing was written."""

    def __init__(self, message: str = "Cancelled. Nothing was written.") -> None:
        super().__init__(message)
