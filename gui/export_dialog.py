"""The export dialog: path, format, size, fps and quality; progress with ETA; cancel; play/open."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import engine
from gui.inspector import SIZES
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

    def __init__(self, animation: Any, default_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.setMinimumWidth(520)
        self.animation = animation
        self.job: Job | None = None
        self.result: Any = None
        self.error: str | None = None
        s = animation.settings
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
        self.size = QComboBox()
        for value, text in SIZES:
            self.size.addItem(text, value)
        self.size.setCurrentIndex(max(0, self.size.findData(s.size)))
        form.addRow("Size", self.size)
        self.fps = QComboBox()
        for f in engine.FPS_CHOICES:
            self.fps.addItem(f"{f} fps", f)
        self.fps.setCurrentIndex(max(0, self.fps.findData(int(s.fps))))
        form.addRow("Frame rate", self.fps)
        self.crf = QSpinBox()
        self.crf.setRange(0, 51)
        self.crf.setValue(int(s.crf))
        self.crf.setToolTip("H.264 CRF: lower is better quality and a larger file (18 is "
                            "visually lossless, 23 is the usual default).")
        form.addRow("Quality (CRF)", self.crf)
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
        self.play_button.clicked.connect(lambda: self._open(self.result.path))
        self.folder_button.clicked.connect(lambda: self._open(Path(self.result.path).parent))
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
        self._inputs = [self.path, browse, self.format, self.size, self.fps, self.crf,
                        self.export_button]
        self._t0 = 0.0

    def settings(self) -> Any:
        return self.animation.settings.with_(size=self.size.currentData(),
                                             fps=int(self.fps.currentData()),
                                             crf=int(self.crf.value()))

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
        has_alpha = getattr(self.animation.portrait.image, "alpha", None) is not None
        keeps = self.format.currentData() != "mp4"
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

    def running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        if self.job is not None:
            return
        out = self._output()
        self.path.setText(str(out))
        self._path_edited()
        settings = self.settings()
        animation = self.animation

        def work(progress, cancel) -> Any:
            anim = animation if settings == animation.settings \
                else animation.with_settings(settings)
            return engine.export(anim, out, progress=progress, cancel=cancel)

        self.result, self.error = None, None
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
        self.result = result
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

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
        super().closeEvent(event)

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
        super().reject()

    @staticmethod
    def _open(path: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
