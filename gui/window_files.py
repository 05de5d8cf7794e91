"""Files and dialogs of the main window: export, record, verify, drops, recent files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

import engine
from gui.export_dialog import ExportDialog
from gui.recorder import RecordDialog
from gui.workers import Job, user_message

MAX_RECENT = 8


class FilesMixin:
    """Part of :class:`gui.main_window.MainWindow`: dialogs and files."""

    # ------------------------------------------------------ dialogs, files
    def show_export(self) -> ExportDialog | None:
        anim = self.doc.animation
        if anim is None:
            self.banner.show_message("Load a portrait and a voice track before exporting.",
                                     "info")
            return None
        if self.doc.project_path is not None:
            folder, stem = self.doc.project_path.parent, self.doc.project_path.stem
        else:
            movies = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.MoviesLocation)
            folder = Path(movies) if movies else Path.home()
            stem = self.doc.portrait_path.stem if self.doc.portrait_path else "talkie"
        default = folder / f"{stem}.mp4"
        self.export_dialog = ExportDialog(anim, default, self)
        self.export_dialog.show()
        return self.export_dialog

    def show_record(self) -> None:
        folder = (self.doc.project_path.parent if self.doc.project_path else Path(self.last_dir()))
        dlg = RecordDialog(folder, self)
        dlg.recorded.connect(lambda p: self.loader.load_audio(Path(p)))
        dlg.open()

    def verify_file(self, path: Path | None = None) -> Job | None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Verify a video", self.last_dir(),
                                                    "Videos (*.mp4 *.mov *.mkv *.webm);;All (*)")
            if not chosen:
                return None
            path = Path(chosen)
        job = Job(lambda progress, cancel: engine.verify(path, progress=progress, cancel=cancel),
                  "verify")
        job.succeeded.connect(self._verified)
        job.failed.connect(lambda e: self.banner.show_message(user_message(e), "error"))
        job.start()
        self.statusBar().showMessage(f"Checking {path.name}…")
        return job

    def _verified(self, result: Any) -> None:
        self.last_verify = result
        self.statusBar().clearMessage()
        box = QMessageBox(QMessageBox.Icon.Information, "Verify file", result.summary(),
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def about(self) -> None:
        QMessageBox.about(self, "About Talkie", f"Talkie {engine.__version__}\n"
                          "Animates a still portrait to speak.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.loader.open_paths(paths)

    def settings_store(self) -> QSettings:
        """One QSettings for the window: it writes to disk later, off the critical path."""
        store = getattr(self, "_settings_store", None)
        if store is None:
            store = self._settings_store = QSettings()
        return store

    def last_dir(self) -> str:
        return str(self.settings_store().value("last_dir", str(Path.home())))

    def remember_recent(self, path: Path) -> None:
        s = self.settings_store()
        recent = [p for p in (s.value("recent", []) or []) if p != str(path)]
        recent = [str(path), *recent][:MAX_RECENT]
        s.setValue("recent", recent)
        s.setValue("last_dir", str(Path(path).parent))
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings_store().value("recent", []) or []
        if isinstance(recent, str):
            recent = [recent]
        for p in recent:
            act = self.recent_menu.addAction(Path(p).name)
            act.setToolTip(p)
            act.triggered.connect(lambda _=False, q=p: self.loader.open_paths([Path(q)]))
        self.recent_menu.setEnabled(bool(recent))

    def _restore_layout(self) -> None:
        s = self.settings_store()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._fill_recent()

