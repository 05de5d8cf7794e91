"""The export dialog: path, format, size, fps, quality and background; progress with ETA;
cancel.

The name or the *Format* choice picks MP4, ProRes 4444, WebM VP9 or a PNG
sequence (:data:`engine.EXPORT_FORMATS`); the last three keep a transparent
portrait's alpha. The dialog exports a snapshot of the document taken when Export is pressed,
with the animation of exactly that snapshot: the one on screen when it is
current, else built anew in the export job (so a rebuild still pending never
exports the previous motion). The choices made here are the project's own
(``choicesMade``: the window records them as an undoable edit). Closing or
cancelling never waits for the export thread: it stops at its next frame and
removes its temporary file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import engine
from gui.document import Document
from gui.inspector import BACKGROUNDS, SIZES, _index_or_add, _rgb_key
from gui.workers import Job, user_message


def eta_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d} left" if seconds >= 60 else f"{seconds} s left"


def file_row(path: Path, browse: Any) -> tuple[QWidget, QLineEdit, QToolButton]:
    """A path field with a "…" button that calls ``browse``: ``(row, field, button)``."""
    row = QWidget()
    h = QHBoxLayout(row)
    h.setContentsMargins(0, 0, 0, 0)
    field = QLineEdit(str(path))
    button = QToolButton()
    button.setText("…")
    button.clicked.connect(browse)
    h.addWidget(field, 1)
    h.addWidget(button)
    return row, field, button


class ExportDialog(QDialog):
    """Non-modal; the export runs on a worker so the studio stays usable."""

    exported = Signal(object)   # engine.ExportResult
    #: The settings and output options of an export just started (the project keeps them).
    choicesMade = Signal(object, object)

    def __init__(self, doc: Document, default_path: Path, parent: QWidget | None = None,
                 default_folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.setMinimumWidth(520)
        self.doc = doc
        #: Created when exporting into it (the Videos folder may not exist on a fresh account).
        self.default_folder = default_folder
        self.job: Job | None = None
        #: Answers "replace the existing file?" without a dialog (tests); None asks.
        self.answer: QMessageBox.StandardButton | None = None
        self._confirmed: Path | None = None   # chosen in the file dialog, which asked
        self.export_result: engine.ExportResult | None = None
        self.error: str | None = None
        s, o = doc.settings, doc.output
        lay = QVBoxLayout(self)
        form = QFormLayout()
        row, self.path, browse = file_row(default_path, self._browse)
        form.addRow("File", row)
        self.format = QComboBox()
        for fmt in engine.EXPORT_FORMATS:
            self.format.addItem(fmt.label, fmt.key)
        self.format.setCurrentIndex(max(0, self.format.findData(self._format_of(self.path.text()))))
        self.format.currentIndexChanged.connect(self._format_changed)
        self.path.editingFinished.connect(self._path_edited)
        form.addRow("Format", self.format)
        self.size_box = QComboBox()
        for value, text in SIZES:
            self.size_box.addItem(text, value)
        self.size_box.setCurrentIndex(_index_or_add(self.size_box, o.size, f"{o.size} px"))
        form.addRow("Size", self.size_box)
        self.fps = QComboBox()
        for f in engine.FPS_CHOICES:
            self.fps.addItem(f"{f} fps", f)
        self.fps.setCurrentIndex(max(0, self.fps.findData(int(s.fps))))
        form.addRow("Frame rate", self.fps)
        self.crf = QSpinBox()
        crf = engine.LIMITS["crf"]
        self.crf.setRange(int(crf.lo), int(crf.hi))
        self.crf.setValue(int(o.crf))
        self.crf.setToolTip(crf.help)
        form.addRow(crf.label, self.crf)
        self.background = QComboBox()
        for rgb, text in BACKGROUNDS:
            self.background.addItem(text, _rgb_key(rgb))
        self.background.setCurrentIndex(_index_or_add(
            self.background, _rgb_key(o.background), "rgb({}, {}, {})".format(*o.background)))
        self.background.setToolTip("The colour behind a transparent portrait: MP4 keeps no "
                                   "transparency, so the video is flattened onto it.")
        form.addRow("Background", self.background)
        portrait = doc.portrait
        if portrait is None or portrait.image.alpha is None:
            self.background.setEnabled(False)
            self.background.setToolTip("The portrait has no transparency.")
        lay.addLayout(form)
        self.alpha_note = QLabel()
        self.alpha_note.setObjectName("hint")
        self.alpha_note.setWordWrap(True)
        lay.addWidget(self.alpha_note)
        self._format_changed()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("Ready.")
        self.status.setObjectName("hint")
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        buttons = QHBoxLayout()
        self.play_button = QPushButton("Play video")
        self.folder_button = QPushButton("Open folder")
        self.play_button.clicked.connect(lambda: self._open_result(False))
        self.folder_button.clicked.connect(lambda: self._open_result(True))
        self.play_button.hide()
        self.folder_button.hide()
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        lay.addLayout(buttons)
        self._inputs: list[QWidget] = [self.path, browse, self.format, self.size_box, self.fps,
                                       self.crf, self.background, self.export_button]
        self._t0 = 0.0

    def choices(self) -> tuple[engine.Settings, engine.OutputOptions]:
        """The document's settings and output with the choices of this dialog."""
        return (self.doc.settings.with_(fps=int(self.fps.currentData())),
                self.doc.output.with_(size=self.size_box.currentData(), crf=int(self.crf.value()),
                                      background=engine.parse_colour(
                                          self.background.currentData())))

    @staticmethod
    def _format_of(path: str) -> str:
        try:
            return str(engine.format_for(Path(path)).key)
        except engine.TalkieError:
            return "mp4"

    def _output(self) -> Path:
        """The output path: a video extension typed in the name chooses the format;
        otherwise the chosen format's extension is added (none for a PNG sequence)."""
        p = Path(self.path.text()).expanduser()
        suffixes = {f.suffix: f.key for f in engine.EXPORT_FORMATS if f.suffix}
        if p.suffix.lower() in suffixes:
            return p
        key = self.format.currentData()
        return p if key == "png" else p.with_suffix(
            next(f.suffix for f in engine.EXPORT_FORMATS if f.key == key))

    def _format_changed(self) -> None:
        p = Path(self.path.text())
        if self._format_of(str(p)) != self.format.currentData():
            new = next(f.suffix for f in engine.EXPORT_FORMATS
                       if f.key == self.format.currentData())
            self.path.setText(str(p.with_suffix(new) if p.suffix else p.with_name(p.name + new)))
        portrait = self.doc.portrait
        has_alpha = portrait is not None and portrait.image.alpha is not None
        keeps = self.format.currentData() != "mp4"
        self.background.setEnabled(has_alpha and not keeps)
        self.alpha_note.setText(
            "" if not has_alpha else
            "The portrait's transparency is kept." if keeps else
            "MP4 has no transparency: the portrait's background is flattened. Choose "
            "ProRes, WebM or PNG to keep it.")

    def _path_edited(self) -> None:
        i = self.format.findData(self._format_of(self.path.text()))
        if i >= 0 and i != self.format.currentIndex():
            self.format.setCurrentIndex(i)

    def _browse(self) -> None:
        key = self.format.currentData()
        if key == "png":
            path, _ = QFileDialog.getSaveFileName(
                self, "Export PNG sequence (a folder of that name)", self.path.text(),
                "PNG sequence folder (*)")
        else:
            fmt = next(f for f in engine.EXPORT_FORMATS if f.key == key)
            path, _ = QFileDialog.getSaveFileName(self, "Export video", self.path.text(),
                                                  f"{fmt.label} (*{fmt.suffix})")
        if path:
            self.path.setText(path)
            self.path.setText(str(self._output()))
            self._confirmed = self._output()

    def running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        if self.job is not None:
            return
        out = self._output()
        self.path.setText(str(out))
        self._path_edited()
        if self.default_folder is not None and out.parent == self.default_folder:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._failed(engine.OutputError(
                    f"The folder {out.parent} could not be created ({exc.strerror}). "
                    "Choose another place to save."))
                return
        if self.doc.portrait is None or self.doc.audio is None:
            return
        if out.exists() and out != self._confirmed and not self._may_replace(out):
            return
        settings, output = self.choices()
        self.choicesMade.emit(settings, output)
        scene = self.doc.scene
        ready = self.doc.animation_of(scene)
        assert scene.portrait is not None and scene.audio is not None
        portrait, voice, project = scene.portrait, scene.audio, scene.to_project()

        def work(progress: Any, cancel: engine.CancelToken) -> Any:
            anim = ready
            if anim is None:  # the animation on screen is not this scene's yet
                progress(0.0, "Building the motion")
                anim = engine.animate(portrait, voice, project)
            if anim.settings != settings:
                anim = anim.with_settings(settings)
            return engine.export(anim, out, output, progress=progress, cancel=cancel)

        self.export_result, self.error = None, None
        for w in self._inputs:
            w.setEnabled(False)
        self.play_button.hide()
        self.folder_button.hide()
        self.progress.setValue(0)
        self.status.setText("Preparing…")
        self._t0 = time.monotonic()
        self.job = Job(work, "export")
        self.job.progressed.connect(self._progress)
        self.job.succeeded.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.start()

    def _may_replace(self, out: Path) -> bool:
        """An earlier video is never replaced without asking."""
        answer = self.answer if self.answer is not None else QMessageBox.question(
            self, "Export video", f"{out.name} already exists in {out.parent}. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            self.status.setText("Not exported: choose another file name, or replace it.")
            return False
        return True

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        elapsed = time.monotonic() - self._t0
        eta = elapsed / fraction * (1 - fraction) if fraction > 0.01 else None
        self.progress.setFormat(f"{fraction * 100:.0f} %")
        self.status.setText(f"{message.split(',')[0]} · "
                            + (eta_text(eta) if eta is not None else "estimating…"))

    def _finish(self) -> None:
        self.job = None
        for w in self._inputs:
            w.setEnabled(True)
        self.cancel_button.setText("Close")

    def _done(self, result: Any) -> None:
        self._finish()
        self.export_result = result
        self.progress.setValue(1000)
        self.progress.setFormat("100 %")
        self.status.setText(f"Exported {result.frames} frames ({result.width}×{result.height}) "
                            f"in {result.seconds:.1f} s to {result.path}")
        self.play_button.show()
        self.folder_button.show()
        self.exported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.error = user_message(exc)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status.setText(self.error)

    def cancel(self) -> None:
        if self.job is not None:
            self.status.setText("Cancelling…")
            self.job.cancel()
            return
        self.reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.job is not None:
            self.job.cancel()   # it stops at its next frame; never wait for it here
        super().closeEvent(event)

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
        super().reject()

    def _open_result(self, folder: bool) -> None:
        if self.export_result is not None:
            path = self.export_result.path.parent if folder else self.export_result.path
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
