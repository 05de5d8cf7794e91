"""Loading inputs: file dialogs, drops, and analysis on worker threads.

A failed load (corrupt file, no face) shows a message and keeps the old state:
the document only changes when a load succeeds, and then as one undoable edit
(a new voice track also drops the blink edits of the old one, undoably).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QWidget

import engine
from gui import commands
from gui.controller import Controller
from gui.document import Document, FacePoints, face_points_of
from gui.isolated import run_in_process
from gui.notices import Notices
from gui.recent import RecentFiles
from gui.workers import Job, Work, user_message

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
PROJECT_EXT = {".talkie", ".json"}
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;All files (*)"
AUDIO_FILTER = ("Sound or video (*.wav *.flac *.mp3 *.ogg *.opus *.m4a *.aac *.mp4 *.mov "
                "*.mkv *.webm);;All files (*)")


def kind_of(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in IMAGE_EXT:
        return "portrait"
    if ext in PROJECT_EXT:
        return "project"
    return "audio"


def portrait_job(path: Path, face_index: int = 0, points: Any = None) -> Work:
    """Load and rig a portrait (:func:`engine.open_portrait`); with ``points``
    (hand-placed) the face is fitted, not detected. A :class:`engine.NoFaceError`
    carries the decoded image, so the window can offer to place the face by hand."""
    def work(progress: Callable[[float, str], None], cancel: engine.CancelToken) -> Any:
        progress(0.05, f"Reading {path.name}")
        return engine.open_portrait(path, face_index, points)
    return work


def voice_job(path: Path) -> Work:
    """Decode and analyse a voice track in a child process: ``(AudioAnalysis, Spectrogram)``."""
    def work(progress: Callable[[float, str], None], cancel: engine.CancelToken) -> Any:
        return run_in_process("gui.audio_analysis:analyse_audio_file", (str(path),),
                              progress, cancel)
    return work


class Loader(Controller):
    """Runs the analysis jobs and applies their results to the document."""

    busyChanged = Signal(bool)
    loaded = Signal(str)            # "portrait" | "audio"
    projectDropped = Signal(object)  # a project file among opened paths: Path
    noFace = Signal(object, object)  # the decoded engine.Image, its Path: offer a hand fit

    def __init__(self, doc: Document, undo: QUndoStack, notices: Notices, recent: RecentFiles,
                 parent: QWidget) -> None:
        super().__init__(doc, undo, notices, recent, parent)
        self.jobs: dict[str, Job] = {}
        self.last_error: str | None = None

    def busy(self) -> bool:
        return bool(self.jobs)

    # ----------------------------------------------------------------- entry
    def ask_portrait(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open portrait",
                                              self.recent.last_dir(), IMAGE_FILTER)
        if path:
            self.load_portrait(Path(path))

    def ask_audio(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open voice track",
                                              self.recent.last_dir(), AUDIO_FILTER)
        if path:
            self.load_audio(Path(path))

    def open_paths(self, paths: list[Path]) -> None:
        """Open dropped files by kind: a project, a portrait, a voice track."""
        for p in paths:
            if kind_of(p) == "project":
                self.projectDropped.emit(p)
                return
        for p in paths:
            if kind_of(p) == "portrait":
                self.load_portrait(p)
            else:
                self.load_audio(p)

    # ------------------------------------------------------------------ jobs
    def load_portrait(self, path: Path, face_index: int = 0) -> None:
        path = Path(path)
        self.run("portrait", portrait_job(path, face_index),
                 lambda result: self._portrait_done(path, result, None, f"Open {path.name}"),
                 f"Analysing {path.name}…")

    def choose_face(self, index: int) -> None:
        """Animate another of the detected faces (undoable)."""
        p = self.doc.portrait
        if p is None or index == p.face_index or not 0 <= index < len(p.faces):
            return
        image, path = p.image, self.doc.portrait_path

        def work(progress: Callable[[float, str], None], cancel: engine.CancelToken) -> Any:
            return engine.analyse_portrait(image, index)
        self.run("portrait", work,
                 lambda r: self._portrait_done(path, r, None, f"Animate face {index + 1}"),
                 f"Rigging face {index + 1}…")

    def apply_fit(self, image: engine.Image, path: Path | None, points: FacePoints,
                  landmarks: Any) -> None:
        """Rig ``image`` with a hand-fitted face (on a worker), as one undoable step."""
        def work(progress: Callable[[float, str], None], cancel: engine.CancelToken) -> Any:
            progress(0.3, "Rigging the face")
            return engine.analyse_portrait(image, landmarks=landmarks)

        def done(analysis: Any) -> None:
            self.undo.push(commands.set_portrait(self.doc, analysis, path, dict(points),
                                                 "Place face by hand"))
            self.notices.say("Face placed by hand.", 5000)
        self.run("portrait", work, done, "Rigging the face…")

    def load_audio(self, path: Path) -> None:
        path = Path(path)
        self.run("audio", voice_job(path), lambda result: self._audio_done(path, result),
                 f"Analysing {path.name}…")

    def run(self, kind: str, work: Work, done: Callable[[Any], None], label: str) -> None:
        """Run ``work`` as the one job of ``kind`` (replacing one still running)."""
        old = self.jobs.pop(kind, None)
        if old is not None:
            old.cancel()
            for sig in (old.succeeded, old.failed, old.progressed):
                sig.disconnect()
        job = Job(work, f"load-{kind}")
        self.jobs[kind] = job
        job.progressed.connect(lambda f, m: self.notices.progress(m or label, f))

        def succeeded(result: Any) -> None:
            if self._finished(kind, job):
                done(result)

        def failed(exc: BaseException) -> None:
            if self._finished(kind, job):
                self._failed(kind, exc)

        job.succeeded.connect(succeeded)
        job.failed.connect(failed)
        self.notices.progress(label, 0.0)
        self.busyChanged.emit(True)
        job.start()

    def _finished(self, kind: str, job: Job) -> bool:
        """Forget a finished job; False if a newer job of the same kind replaced it."""
        if self.jobs.get(kind) is not job:
            return False
        del self.jobs[kind]
        if not self.jobs:
            self.notices.progress(None)
            self.busyChanged.emit(False)
        return True

    def cancel_all(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel()

    def _failed(self, kind: str, exc: BaseException) -> None:
        if isinstance(exc, engine.Cancelled):
            self.notices.say("Cancelled.", 4000)
            return
        msg = user_message(exc)
        self.last_error = msg
        image = getattr(exc, "image", None)
        if kind == "portrait" and isinstance(exc, engine.NoFaceError) and image is not None:
            path = Path(image.path) if getattr(image, "path", None) else None
            self.notices.show(
                msg + " You can place the face by hand: click the eyes, nose, mouth and chin.",
                "warning",
                [("Place face by hand…", lambda: self.noFace.emit(image, path))])
            return
        keep = " The previous one is still loaded." if (
            (kind == "portrait" and self.doc.portrait is not None)
            or (kind == "audio" and self.doc.audio is not None)) else ""
        self.notices.error(msg + keep)

    def _portrait_done(self, path: Path | None, analysis: engine.PortraitAnalysis,
                       points: Any, text: str) -> None:
        self.undo.push(commands.set_portrait(self.doc, analysis, path, face_points_of(points),
                                             text))
        if path is not None:
            self.recent.remember(path)
        faces = len(analysis.faces)
        if faces > 1:
            self.notices.show(
                f"{faces} faces were found; Face {analysis.face_index + 1} is animated. Click "
                "another face in the preview, or pick one in the inspector.", "info")
        self.loaded.emit("portrait")

    def _audio_done(self, path: Path, result: Any) -> None:
        analysis, spectrogram = result
        self.undo.push(commands.set_audio(self.doc, analysis, path, spectrogram,
                                          f"Open {path.name}"))
        self.recent.remember(path)
        self.loaded.emit("audio")
        self.check_keys_past_end()

    def check_keys_past_end(self) -> None:
        """Keys after the end of a shorter voice track still shape the motion before
        it, but the timeline cannot show them: say so, and offer to drop them."""
        end = self.doc.duration
        late = self.doc.keyframes.count_after(end)
        if not late:
            return

        def drop() -> None:
            self.undo.push(commands.set_keyframes(self.doc, self.doc.keyframes.until(end),
                                                  f"Drop {late} keys past the end"))
        self.notices.show(
            f"{late} keyframe{'s' if late > 1 else ''} lie after the end of this voice track "
            f"({end:.2f} s): the timeline cannot show them, but they still shape the motion "
            "before it.", "warning", [("Drop them", drop), ("Keep them", lambda: None)])
