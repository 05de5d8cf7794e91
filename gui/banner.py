"""A non-modal notification strip above the preview: a message, a level, optional actions."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class Banner(QFrame):
    """Shows one message at a time; errors stay until dismissed, info fades after a while."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("level", "info")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label, 1)
        self._buttons: list[QPushButton] = []
        self._lay = lay
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        lay.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self.history: list[tuple[str, str]] = []
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() or self.label.text() else ""

    def show_message(self, text: str, level: str = "info",
                     actions: list[tuple[str, Callable[[], None]]] | None = None,
                     timeout_ms: int | None = None) -> None:
        self.history.append((level, text))
        self.label.setText(text)
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        for b in self._buttons:
            self._lay.removeWidget(b)
            b.hide()
            b.deleteLater()
        self._buttons = []
        for i, (name, fn) in enumerate(actions or []):
            b = QPushButton(name)
            b.clicked.connect(lambda _=False, f=fn: self._run(f))
            self._lay.insertWidget(1 + i, b)
            self._buttons.append(b)
        self.show()
        if timeout_ms is None:
            timeout_ms = 0 if (level == "error" or actions) else 8000
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def _run(self, fn: Callable[[], None]) -> None:
        self.dismiss()
        fn()

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()
