"""Projects: open, save, save as, and crash recovery by autosave.

* **Open** (File ▸ Open, Open Recent, a dropped ``.talkie``) first asks to
  save unsaved work, as Quit does. The new scene (portrait, voice, animation)
  is then built completely on workers and swapped into the document in one
  step; if anything fails, the current work stays as it was.
* **Autosave**: shortly after each change (debounced), the scene is written
  to this session's own file in the recovery folder
  (``autosave-PID.talkie``), with the project file it belongs to. A clean
  quit or a save removes it. At the next start, files of sessions that are
  gone are offered back; they are kept until the artist chooses Recover or
  Discard, and this session never writes over them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

import engine
from gui.controller import Controller
from gui.document import Document, Scene, face_points_of
from gui.isolated import run_in_process
from gui.loading import AUDIO_FILTER, IMAGE_FILTER
from gui.notices import Notices
from gui.recent import RecentFiles
from gui.workers import Job, user_message

log = logging.getLogger(__name__)
PROJECT_FILTER = "Talkie project (*.talkie);;JSON (*.json)"
#: Quiet time after the last change before the autosave writes, milliseconds.
AUTOSAVE_DELAY_MS = 1500


def recovery_dir() -> Path:
    base = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation))
    return base / "recovery"


def own_autosave() -> Path:
    """This session's autosave file."""
    return recovery_dir() / f"autosave-{os.getpid()}.talkie"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def orphaned_autosaves() -> list[Path]:
    """Autosaves of sessions that ended without closing (newest first).

    At start-up no file is this session's own yet, so one carrying this
    process id is a leftover of an earlier process that had the same id.
    """
    folder = recovery_dir()
    try:
        files = list(folder.glob("autosave-*.talkie"))
    except OSError:
        return []
    out = []
    for f in files:
        pid = f.stem.removeprefix("autosave-")
        if f == own_autosave() or not pid.isdigit() or not _pid_alive(int(pid)):
            out.append(f)
    return sorted(out, key=lambda f: f.stat().st_mtime, reverse=True)


def ask_to_save(parent: QWidget, question: str) -> QMessageBox.StandardButton:
    """Save / Discard / Cancel."""
    return QMessageBox.question(
        parent, "Talkie", question,
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel)


class ProjectController(Controller):
    opened = Signal()

    def __init__(self, doc: Document, undo: QUndoStack, notices: Notices, recent: RecentFiles,
                 parent: QWidget) -> None:
        super().__init__(doc, undo, notices, recent, parent)
        #: Answers the save question without a dialog (tests); None asks.
        self.answer: QMessageBox.StandardButton | None = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        doc.edited.connect(self.autosave_timer.start)
        doc.dirtyChanged.connect(lambda dirty: None if dirty else self.autosave_timer.start())
        self._pending: engine.Project | None = None
        self._pending_path: Path | None = None
        self._recovering: Path | None = None
        self.job: Job | None = None
        self.last_error: str | None = None

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        if self.doc.project_path is None:
            return self.save_as()
        return self.save_to(self.doc.project_path)

    def save_as(self) -> bool:
        start = str(self.doc.project_path or Path(self.recent.last_dir()) / "untitled.talkie")
        path, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save project", start,
                                              PROJECT_FILTER)
        if not path:
            return False
        p = Path(path)
        if p.suffix.lower() not in (".talkie", ".json"):
            p = p.with_suffix(".talkie")
        return self.save_to(p)

    def save_to(self, path: Path) -> bool:
        path = Path(path)
        try:
            self.doc.to_project().save(path)
        except engine.TalkieError as exc:
            self.notices.error(exc.message)
            return False
        self.doc.mark_saved(path)
        self.undo.setClean()
        self.recent.remember(path)
        self.notices.say(f"Saved {path.name}.", 4000)
        return True

    def may_discard(self, what: str = "opening another project") -> bool:
        """Ask to save unsaved work before it would be replaced; False = Cancel."""
        if not self.doc.dirty:
            return True
        answer = self.answer if self.answer is not None else ask_to_save(
            self.dialog_parent, f"Save the changes to this project before {what}?")
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        return answer == QMessageBox.StandardButton.Discard or self.save()

    # ---------------------------------------------------------------- open
    def ask_open(self) -> None:
        if not self.may_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open project",
                                              self.recent.last_dir(), PROJECT_FILTER)
        if path:
            self.open(Path(path), asked=True)

    def open(self, path: Path, asked: bool = False, recovered: bool = False) -> bool:
        """Open a project; returns False when nothing is opened (cancelled or unreadable).

        The current work stays until the new scene is completely built.
        """
        if not asked and not recovered and not self.may_discard():
            return False
        try:
            project = engine.Project.load(Path(path))
        except engine.TalkieError as exc:
            self.last_error = exc.message
            self.notices.error(exc.message)
            return False
        self._pending = project
        self._pending_path = project.autosave_of if recovered else Path(path)
        self._recovering = Path(path) if recovered else None
        if not recovered:
            self.recent.remember(Path(path))
        self._resolve_missing()
        return True

    def _resolve_missing(self) -> None:
        project = self._pending
        if project is None:
            return
        missing = project.missing_inputs()
        if missing:
            p = missing[0]
            what = "portrait" if p == project.portrait else "voice track"
            self.notices.show(
                f"The project's {what} {p.name} is missing (it was at {p.parent}).", "warning",
                [("Locate…", lambda: self.locate(what)),
                 ("Open without it", lambda: self.drop_input(what)),
                 ("Cancel", self._cancel_open)])
            return
        self._build(project)

    def locate(self, what: str, path: Path | None = None) -> None:
        """Ask where a missing input went (``path`` skips the dialog, for tests)."""
        if path is None:
            flt = IMAGE_FILTER if what == "portrait" else AUDIO_FILTER
            chosen, _ = QFileDialog.getOpenFileName(self.dialog_parent, f"Locate the {what}",
                                                    self.recent.last_dir(), flt)
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

    def _cancel_open(self) -> None:
        self._pending = None
        self.notices.say("Nothing was opened.", 4000)

    def opening(self) -> bool:
        return self.job is not None

    def _build(self, project: engine.Project) -> None:
        """Build the whole scene on a worker; swap it in only when all of it loaded."""
        self._pending = None
        saved_path, recovering = self._pending_path, self._recovering
        revision = self.doc.revision

        def work(progress: Callable[[float, str], None], cancel: engine.CancelToken) -> Any:
            portrait = spectrogram = voice = animation = None
            if project.portrait is not None:
                progress(0.02, f"Reading {project.portrait.name}")
                portrait = engine.open_portrait(project.portrait, project.face_index,
                                                project.face_points)
            cancel.check()
            if project.audio is not None:
                voice, spectrogram = run_in_process(
                    "gui.audio_analysis:analyse_audio_file", (str(project.audio),),
                    lambda f, m: progress(0.1 + 0.8 * f, m), cancel)
            if portrait is not None and voice is not None:
                progress(0.95, "Building the motion")
                animation = engine.animate(portrait, voice, project)
            return portrait, voice, spectrogram, animation

        def done(result: Any) -> None:
            self.job = None
            self.notices.progress(None)
            if self.doc.revision != revision and self.doc.dirty \
                    and not self.may_discard("replacing it with the opened project"):
                return
            portrait, voice, spectrogram, animation = result
            self._swap_in(project, saved_path, portrait, voice, spectrogram, animation,
                          recovering)

        def failed(exc: BaseException) -> None:
            self.job = None
            self.notices.progress(None)
            if isinstance(exc, engine.Cancelled):
                self.notices.say("Opening cancelled; nothing changed.", 4000)
                return
            name = (saved_path or recovering or Path("project")).name
            self.last_error = f"{name} could not be opened: {user_message(exc)}"
            self.notices.error(self.last_error + " Your current work is unchanged.")

        if self.job is not None:
            self.job.cancel()
        self.job = Job(work, "open-project")
        self.job.progressed.connect(lambda f, m: self.notices.progress(m or "Opening…", f))
        self.job.succeeded.connect(done)
        self.job.failed.connect(failed)
        self.notices.progress("Opening the project…", 0.0)
        self.job.start()

    def _swap_in(self, project: engine.Project, saved_path: Path | None, portrait: Any,
                 voice: Any, spectrogram: Any, animation: Any, recovering: Path | None) -> None:
        duration = voice.duration if voice is not None else 0.0
        loop = project.loop
        scene = Scene(
            portrait=portrait, portrait_path=project.portrait if portrait else None,
            face_points=face_points_of(project.face_points),
            audio=voice, audio_path=project.audio if voice else None, spectrogram=spectrogram,
            settings=project.settings, output=project.output,
            blinks=None if project.blinks is None else tuple(project.blinks),
            keyframes=project.keyframes, project_path=saved_path,
            position=min(project.playhead, duration), loop=loop, looping=loop is not None)
        self.undo.clear()
        self.doc.load(scene, animation, dirty=recovering is not None)
        if recovering is not None:
            # The recovered work now lives in this session's autosave; then the old file goes.
            self.autosave()
            recovering.unlink(missing_ok=True)
            self.notices.say("Recovered the unsaved work.", 6000)
        else:
            self.notices.say("Project opened.", 4000)
        self.opened.emit()

    # ------------------------------------------------------------ autosave
    def autosave(self) -> None:
        """Write the scene to this session's autosave now (the timer calls it)."""
        self.autosave_timer.stop()
        doc, path = self.doc, own_autosave()
        if not doc.dirty:
            path.unlink(missing_ok=True)
            return
        if doc.portrait_path is None and doc.audio_path is None:
            return
        project = doc.to_project()
        project.autosave_of = doc.project_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            project.save(path, relative=False)
            log.info("autosaved to %s", path)
        except (OSError, engine.TalkieError) as exc:
            log.warning("autosave failed: %s", user_message(exc))

    def clear_autosave(self) -> None:
        """A clean quit: this session's work is saved or deliberately discarded."""
        self.autosave_timer.stop()
        own_autosave().unlink(missing_ok=True)

    def offer_recovery(self) -> bool:
        """Offer the newest autosave of a session that did not close properly."""
        files = orphaned_autosaves()
        if not files:
            return False
        path = files[0]
        more = f" ({len(files) - 1} older one{'s' if len(files) > 2 else ''} too)" \
            if len(files) > 1 else ""
        self.notices.show(
            f"Talkie did not close properly last time. Recover the unsaved work{more}?",
            "warning",
            [("Recover", lambda: self.recover(path)), ("Discard", lambda: self.discard(path))],
            timeout_ms=0)
        return True

    def recover(self, path: Path) -> None:
        if self.may_discard("recovering the unsaved work"):
            self.open(path, asked=True, recovered=True)

    def discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.offer_recovery()
