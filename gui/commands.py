"""Undoable edits (QUndoStack): settings, blinks, keyframes and the hand-placed face."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from gui.document import Document

_SETTINGS_ID = 1001
_BLINKS_ID = 1002


class SetSettings(QUndoCommand):
    """Replace the settings. Consecutive edits of one control (a slider drag) merge."""

    def __init__(self, doc: Document, new: Any, text: str, merge_key: str | None = None) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = doc.settings
        self.new = new
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt API
        return _SETTINGS_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, SetSettings) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.set_settings(self.new)

    def undo(self) -> None:
        self.doc.set_settings(self.old)


class SetBlinks(QUndoCommand):
    """Replace the blink events (``None`` = generate from the seed)."""

    def __init__(self, doc: Document, new: list | None, text: str,
                 merge_key: str | None = None) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = None if doc.blinks is None else list(doc.blinks)
        self.new = None if new is None else list(new)
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt API
        return _BLINKS_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, SetBlinks) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.set_blinks(self.new)

    def undo(self) -> None:
        self.doc.set_blinks(self.old)


class SetKeyframes(QUndoCommand):
    """Replace the keyframes (an immutable engine.keyframes.Keyframes)."""

    def __init__(self, doc: Document, new: Any, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = doc.keyframes
        self.new = new

    def redo(self) -> None:
        self.doc.set_keyframes(self.new)

    def undo(self) -> None:
        self.doc.set_keyframes(self.old)


class SetFaceFit(QUndoCommand):
    """Swap the portrait's analysis for one fitted to hand-placed points (and back)."""

    def __init__(self, doc: Document, analysis: Any, path: Any, points: dict | None,
                 text: str = "Place face by hand") -> None:
        super().__init__(text)
        self.doc = doc
        self.old = (doc.portrait, doc.portrait_path, doc.face_points)
        self.new = (analysis, path, points)

    def redo(self) -> None:
        self.doc.set_fitted_portrait(*self.new)

    def undo(self) -> None:
        analysis, path, points = self.old
        if analysis is None:
            self.doc.portrait = None
            self.doc.portrait_path = None
            self.doc.face_points = None
            self.doc.animation = None
            self.doc.portraitChanged.emit()
            self.doc.faceFitChanged.emit()
            self.doc.animationChanged.emit()
            return
        self.doc.set_fitted_portrait(analysis, path, points)
