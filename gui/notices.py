"""What controllers tell the artist, without knowing the window: messages, status, progress.

Controllers (loading, projects, the face fitter, the playhead) get the
:class:`gui.document.Document` and a :class:`Notices`; the window connects
these signals to its banner, status bar and busy indicator.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

Action = tuple[str, Callable[[], None]]


class Notices(QObject):
    #: text, level ("info" | "warning" | "error"), actions [(label, callback)],
    #: timeout in ms (-1: the banner's default for the level)
    message = Signal(str, str, list, int)
    #: text, milliseconds (0 = until replaced)
    status = Signal(str, int)
    #: label (None hides it), fraction 0..1
    busy = Signal(object, float)
    #: the banner should go (a mode that owned it ended)
    dismissed = Signal()

    def show(self, text: str, level: str = "info", actions: list[Action] | None = None,
             timeout_ms: int = -1) -> None:
        self.message.emit(text, level, list(actions or []), timeout_ms)

    def error(self, text: str, actions: list[Action] | None = None) -> None:
        self.show(text, "error", actions)

    def say(self, text: str, ms: int = 4000) -> None:
        self.status.emit(text, ms)

    def progress(self, label: str | None, fraction: float = 0.0) -> None:
        self.busy.emit(label, fraction)

    def dismiss(self) -> None:
        self.dismissed.emit()
