"""Projects: open, save, save as, recent files, autosave and crash recovery."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QTimer
from PySide6.QtWidgets import QFileDialog

import engine
from gui.loading import AUDIO_FILTER, IMAGE_FILTER
from gui.workers import user_message

if TYPE_CHECKING:
    from gui.main_window import MainWindow

log = logging.getLogger(__name__)
PROJECT_FILTER = "Talkie project (*.talkie);;JSON (*.json)"
AUTOSAVE_MS = 60_000


def recovery_path() -> Path:
    base = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation))
    return base / "recovery.talkie"


class ProjectController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._pending: engine.Project | None = None
        self._pending_path: Path | None = None
        self._waiting: set[str] = set()

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        if self.w.doc.project_path is None:
            return self.save_as()
        return self.save_to(self.w.doc.project_path)

    def save_as(self) -> bool:
        start = str(self.w.doc.project_path or Path(self.w.last_dir()) / "untitled.talkie")
        path, _ = QFileDialog.getSaveFileName(self.w, "Save project", start, PROJECT_FILTER)
        if not path:
            return False
        p = Path(path)
        if p.suffix.lower() not in (".talkie", ".json"):
            p = p.with_suffix(".talkie")
        return self.save_to(p)

    def save_to(self, path: Path) -> bool:
        try:
            self.w.doc.to_project().save(Path(path))
        except engine.TalkieError as exc:
            self.w.banner.show_message(exc.message, "error")
            return False
        self.w.doc.project_path = Path(path)
        self.w.doc.set_dirty(False)
        self.w.undo.setClean()
        self.w.remember_recent(Path(path))
        self.w.statusBar().showMessage(f"Saved {Path(path).name}.", 4000)
        self.w.update_title()
        return True

    # ---------------------------------------------------------------- open
    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open project", self.w.last_dir(),
                                              PROJECT_FILTER)
        if path:
            self.open(Path(path))

    def open(self, path: Path, recovered: bool = False) -> None:
        try:
            project = engine.Project.load(Path(path))
        except engine.TalkieError as exc:
            self.w.banner.show_message(exc.message, "error")
            return
        self._pending = project
        self._pending_path = None if recovered else Path(path)
        if not recovered:
            self.w.remember_recent(Path(path))
        self._resolve_missing()

    def _resolve_missing(self) -> None:
        project = self._pending
        if project is None:
            return
        missing = project.missing_inputs()
        if missing:
            p = missing[0]
            what = "portrait" if p == project.portrait else "voice track"
            self.w.banner.show_message(
                f"The project's {what} {p.name} is missing (it was at {p.parent}).", "warning",
                [("Locate…", lambda: self.locate(what)),
                 ("Open without it", lambda: self.drop_input(what))])
            return
        self._apply(project)

    def locate(self, what: str, path: Path | None = None) -> None:
        """Ask where a missing input went (``path`` skips the dialog, for tests)."""
        if path is None:
            flt = IMAGE_FILTER if what == "portrait" else AUDIO_FILTER
            chosen, _ = QFileDialog.getOpenFileName(self.w, f"Locate the {what}",
                                                    self.w.last_dir(), flt)
            if not chosen:
                self._resolve_missing()
                return
            path = Path(chosen)
        if self._pending is not None:
            if what == "portrait":
                self._pending.portrait = Path(path)
            else:
                self._pending.audio = Path(path)
        self._resolve_missing()

    def drop_input(self, what: str) -> None:
        if self._pending is not None:
            if what == "portrait":
                self._pending.portrait = None
            else:
                self._pending.audio = None
        self._resolve_missing()

    def _apply(self, project: engine.Project) -> None:
        self._pending = None
        w = self.w
        w.player.stop()
        w.undo.clear()
        w.doc.keyframes = type(w.doc.keyframes)()
        w.timeline.set_keyframes(w.doc.keyframes)
        w.doc.settings = project.settings
        w.inspector.set_settings(project.settings)
        saved_path = self._pending_path
        self._waiting = {k for k, p in (("portrait", project.portrait),
                                        ("audio", project.audio)) if p is not None}

        def arrived(kind: str) -> None:
            self._waiting.discard(kind)
            if not self._waiting:
                if project.blinks is not None:
                    w.doc.set_blinks(project.blinks)
                keyframes = getattr(project, "keyframes", None)
                if keyframes is not None and not keyframes.empty:
                    w.doc.set_keyframes(keyframes)
                w.doc.project_path = saved_path
                w.doc.set_dirty(saved_path is None)
                w.update_title()
                w.statusBar().showMessage("Project opened.", 4000)

        if project.portrait is not None:
            w.loader.load_portrait(project.portrait, project.face_index,
                                   then=lambda: arrived("portrait"),
                                   points=getattr(project, "face_points", None) or None)
        if project.audio is not None:
            w.loader.load_audio(project.audio, then=lambda: arrived("audio"))
        if not self._waiting:
            arrived("")

    # ------------------------------------------------------------ autosave
    def autosave(self) -> None:
        doc = self.w.doc
        if not doc.dirty or (doc.portrait_path is None and doc.audio_path is None):
            return
        path = recovery_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            doc.to_project().save(path)
            log.info("autosaved to %s", path)
        except (OSError, engine.TalkieError) as exc:
            log.warning("autosave failed: %s", user_message(exc))

    def clear_recovery(self) -> None:
        recovery_path().unlink(missing_ok=True)

    def offer_recovery(self) -> bool:
        """After a crash the recovery file is still there: offer to reopen it."""
        path = recovery_path()
        if not path.exists():
            return False
        self.w.banner.show_message(
            "Talkie did not close properly last time. Recover the unsaved work?", "warning",
            [("Recover", lambda: self.open(path, recovered=True)),
             ("Discard", self.clear_recovery)])
        return True
