"""Undoable edits (QUndoStack): one command replaces fields of the document's scene.

Every edit the artist makes goes through :class:`Edit`: settings, output
choices, blinks, keyframes, a hand-placed face, and loading a new portrait or
voice track (which also resets the blink edits that belonged to the old
voice, so Undo brings both back). Consecutive edits with one merge key (a
slider drag) undo as one step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from gui.document import Document

_MERGE_ID = 1001


class Edit(QUndoCommand):
    """Replace ``changes`` (fields of :class:`gui.document.Scene`) in the document."""

    def __init__(self, doc: Document, text: str, merge_key: str | None = None,
                 **changes: Any) -> None:
        super().__init__(text)
        self.doc = doc
        self.new = dict(changes)
        self.old = {k: getattr(doc.scene, k) for k in changes}
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt API
        return _MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if (not isinstance(other, Edit) or other.merge_key != self.merge_key
                or other.new.keys() != self.new.keys()):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.update(**self.new)

    def undo(self) -> None:
        self.doc.update(**self.old)


def set_settings(doc: Document, settings: Any, text: str, merge_key: str | None = None) -> Edit:
    return Edit(doc, text, merge_key, settings=settings)


def set_blinks(doc: Document, blinks: list | None, text: str) -> Edit:
    return Edit(doc, text, blinks=blinks)


def set_keyframes(doc: Document, keyframes: Any, text: str) -> Edit:
    return Edit(doc, text, keyframes=keyframes)


def set_portrait(doc: Document, analysis: Any, path: Any, points: dict | None,
                 text: str) -> Edit:
    """A new portrait (or the same one with another face, or a hand-placed face)."""
    return Edit(doc, text, portrait=analysis, portrait_path=path, face_points=points)


def set_audio(doc: Document, analysis: Any, path: Any, spectrogram: Any, text: str) -> Edit:
    """A new voice track; blink edits belonged to the old one and go (undoably)."""
    return Edit(doc, text, audio=analysis, audio_path=path, spectrogram=spectrogram,
                blinks=None)
