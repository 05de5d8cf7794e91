"""Loading inputs: file dialogs, drops, and analysis on worker threads.

A failed load (corrupt file, no face) shows a message and keeps the old state:
the document only changes when a load succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

import engine
from gui.isolated import run_in_process
from gui.workers import Job, user_message

if TYPE_CHECKING:
    from gui.main_window import MainWindow

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


def analyse_portrait_job(path: Path, face_index: int, points: dict | None = None) -> Callable:
    """Load and rig a portrait; with ``points`` (hand-placed) the face is fitted, not detected.

    A :class:`engine.NoFaceError` carries the decoded image (``exc.image``), so
    the window can offer to place the face by hand.
    """
    def work(progress, cancel) -> Any:
        progress(0.05, f"Reading {path.name}")
        image = engine.load_image(path)
        cancel.check()
        if points:
            progress(0.3, "Fitting the face to the placed points")
            if isinstance(points, dict):
                from engine.face.fit import fit_face

                landmarks = fit_face(dict(points), image.rgb.shape)
            else:  # an older project: the 468 fitted landmarks themselves
                landmarks = points
            return engine.analyse_portrait(image, landmarks=landmarks)
        progress(0.3, "Finding the face")
        try:
            return engine.analyse_portrait(image, face_index)
        except engine.NoFaceError as exc:
            exc.image = image
            raise
    return work


def analyse_audio_job(path: Path) -> Callable:
    def work(progress, cancel) -> Any:
        return run_in_process("gui.audio_analysis:analyse_audio_file", (str(path),),
                              progress, cancel)
    return work


class Loader(QObject):
    """Runs the analysis jobs and reports to the window's banner and status bar."""

    busyChanged = Signal(bool)
    loaded = Signal(str)   # "portrait" | "audio"

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.jobs: dict[str, Job] = {}
        self.last_error: str | None = None

    def busy(self) -> bool:
        return bool(self.jobs)

    # ----------------------------------------------------------------- entry
    def ask_portrait(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open portrait", self.w.last_dir(),
                                              IMAGE_FILTER)
        if path:
            self.load_portrait(Path(path))

    def ask_audio(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open voice track", self.w.last_dir(),
                                              AUDIO_FILTER)
        if path:
            self.load_audio(Path(path))

    def open_paths(self, paths: list[Path]) -> None:
        """Open dropped files by kind: a project, a portrait, a voice track."""
        for p in paths:
            kind = kind_of(p)
            if kind == "project":
                self.w.projects.open(p)
                return
        for p in paths:
            if kind_of(p) == "portrait":
                self.load_portrait(p)
            else:
                self.load_audio(p)

    # ------------------------------------------------------------------ jobs
    def load_portrait(self, path: Path, face_index: int = 0,
                      then: Callable[[], None] | None = None,
                      points: dict | None = None) -> None:
        self._run("portrait", analyse_portrait_job(Path(path), face_index, points),
                  lambda result: self._portrait_done(Path(path), result, then, points),
                  f"Analysing {Path(path).name}…")

    def load_audio(self, path: Path, then: Callable[[], None] | None = None) -> None:
        self._run("audio", analyse_audio_job(Path(path)),
                  lambda result: self._audio_done(Path(path), result, then),
                  f"Analysing {Path(path).name}…")

    def _run(self, kind: str, work: Callable, done: Callable[[Any], None], label: str) -> None:
        old = self.jobs.pop(kind, None)
        if old is not None:
            old.cancel()
            for sig in (old.succeeded, old.failed, old.progressed):
                sig.disconnect()
        job = Job(work, f"load-{kind}")
        self.jobs[kind] = job
        job.progressed.connect(lambda f, m: self.w.show_busy(label if not m else m, f))

        def succeeded(result: Any) -> None:
            if self._finished(kind, job):
                done(result)

        def failed(exc: BaseException) -> None:
            if self._finished(kind, job):
                self._failed(kind, exc)

        job.succeeded.connect(succeeded)
        job.failed.connect(failed)
        self.w.show_busy(label, 0.0)
        self.busyChanged.emit(True)
        job.start()

    def _finished(self, kind: str, job: Job) -> bool:
        """Forget a finished job; False if a newer job of the same kind replaced it."""
        if self.jobs.get(kind) is not job:
            return False
        del self.jobs[kind]
        if not self.jobs:
            self.w.show_busy(None)
            self.busyChanged.emit(False)
        return True

    def cancel_all(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel()

    def _failed(self, kind: str, exc: BaseException) -> None:
        if isinstance(exc, engine.Cancelled):
            self.w.statusBar().showMessage("Cancelled.", 4000)
            return
        msg = user_message(exc)
        self.last_error = msg
        image = getattr(exc, "image", None)
        if kind == "portrait" and isinstance(exc, engine.NoFaceError) and image is not None:
            path = Path(image.path) if getattr(image, "path", None) else None
            self.w.banner.show_message(
                msg + " You can place the face by hand: click the eyes, nose, mouth and chin.",
                "warning",
                [("Place face by hand…", lambda: self.w.fitter.start(image, path))])
            return
        keep = " The previous one is still loaded." if (
            (kind == "portrait" and self.w.doc.portrait is not None)
            or (kind == "audio" and self.w.doc.audio is not None)) else ""
        self.w.banner.show_message(msg + keep, "error")

    def _portrait_done(self, path: Path, analysis: Any, then: Callable | None,
                       points: dict | None = None) -> None:
        if self.w.fitter.active:
            self.w.fitter.cancel()
        self.w.doc.face_points = ({k: (float(v[0]), float(v[1])) for k, v in points.items()}
                                  if isinstance(points, dict) else None)
        self.w.doc.set_portrait(analysis, path)
        self.w.remember_recent(path)
        faces = len(analysis.faces)
        if faces > 1:
            self.w.banner.show_message(
                f"{faces} faces were found; Face {analysis.face_index + 1} is animated. Click "
                "another face in the preview, or pick one in the inspector.", "info")
        self.loaded.emit("portrait")
        if then:
            then()

    def _audio_done(self, path: Path, result: Any, then: Callable | None) -> None:
        analysis, spec = result
        self.w.doc.set_audio(analysis, path, spec)
        self.w.remember_recent(path)
        self.loaded.emit("audio")
        if then:
            then()
