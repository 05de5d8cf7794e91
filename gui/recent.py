"""Recent files and the last folder used, kept in the studio's QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

MAX_RECENT = 8


class RecentFiles(QObject):
    changed = Signal()

    def __init__(self, store: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store

    def items(self) -> list[str]:
        recent = self.store.value("recent", []) or []
        if isinstance(recent, str):
            return [recent]
        return [str(p) for p in recent] if isinstance(recent, list) else []

    def remember(self, path: Path) -> None:
        recent = [p for p in self.items() if p != str(path)]
        self.store.setValue("recent", [str(path), *recent][:MAX_RECENT])
        self.store.setValue("last_dir", str(Path(path).parent))
        self.changed.emit()

    def last_dir(self) -> str:
        return str(self.store.value("last_dir", str(Path.home())))
