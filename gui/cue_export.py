"""File > Export Mouth Cues: the timeline's phones as Rhubarb or Moho cue files.

Without dialogue text the cues come from the phones the timeline already shows
(no new analysis, instant). With text, the words are aligned to the voice on a
worker first (:func:`engine.cue_phones`), then written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import engine
from gui.export_dialog import file_row
from gui.workers import Job, user_message


class CueExportDialog(QDialog):
    """Choose the file (its extension picks the format), frame rate and optional dialogue."""

    def __init__(self, audio: Any, fps: float, default_path: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export mouth cues")
        self.setMinimumWidth(520)
        self.audio = audio  # engine.AudioAnalysis: phones, duration, audio.path
        self.job: Job | None = None
        self.written: Path | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        row, self.path, _ = file_row(default_path, self._browse)
        form.addRow("File", row)
        self.format = QComboBox()
        for key, label in engine.CUE_FORMATS:
            self.format.addItem(f"{label} (.{key})", key)
        self.format.setCurrentIndex(max(0, self.format.findData(default_path.suffix[1:])))
        self.format.currentIndexChanged.connect(self._format_changed)
        form.addRow("Format", self.format)
        self.fps = QDoubleSpinBox()
        self.fps.setRange(1.0, 120.0)
        self.fps.setDecimals(3)
        self.fps.setValue(float(fps))
        self.fps.setToolTip("Frame rate of the .dat switch data (Moho, OpenToonz).")
        form.addRow("Frame rate (.dat)", self.fps)
        self.dialogue = QPlainTextEdit()
        self.dialogue.setPlaceholderText("Optional: what is said (English). The words are "
                                         "aligned to the voice instead of recognised.")
        self.dialogue.setMaximumHeight(90)
        form.addRow("Dialogue", self.dialogue)
        lay.addLayout(form)
        self.status = QLabel("Shapes A–F plus G, H and X (Rhubarb), or the Preston Blair "
                             "drawings (.dat).")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        lay.addLayout(buttons)

    def _format_changed(self) -> None:
        key = self.format.currentData()
        self.path.setText(str(Path(self.path.text()).with_suffix(f".{key}")))

    def _browse(self) -> None:
        filters = ";;".join(f"{label} (*.{key})" for key, label in engine.CUE_FORMATS)
        path, _ = QFileDialog.getSaveFileName(self, "Export mouth cues", self.path.text(),
                                              filters)
        if path:
            self.path.setText(path)
            i = self.format.findData(Path(path).suffix[1:].lower())
            if i >= 0:
                self.format.setCurrentIndex(i)

    def start(self) -> None:
        if self.job is not None:
            return
        out = Path(self.path.text()).expanduser()
        key = self.format.currentData()
        if out.suffix.lower() != f".{key}":
            out = out.with_suffix(f".{key}")
        audio, fps, text = self.audio, self.fps.value(), self.dialogue.toPlainText()

        def work(progress: Any, cancel: Any) -> tuple[Path, str | None]:
            phones, warning = (engine.cue_phones(audio.audio.samples, text, progress, cancel)
                               if text.strip() else (audio.phones, None))
            return engine.write_cues(out, phones, audio.duration, audio.audio.path,
                                     fps=fps), warning

        self.export_button.setEnabled(False)
        self.status.setText("Aligning the dialogue…" if text.strip() else "Writing…")
        self.job = Job(work, "cue-export")
        self.job.succeeded.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.start()

    def _done(self, result: tuple[Path, str | None]) -> None:
        self.job = None
        self.export_button.setEnabled(True)
        self.written, warning = result
        self.status.setText(f"Wrote {self.written}." + (f" {warning}" if warning else ""))

    def _failed(self, exc: BaseException) -> None:
        self.job = None
        self.export_button.setEnabled(True)
        self.status.setText(user_message(exc))

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()  # alignment stops between passes; the dialog closes now
        super().reject()


def show_cue_export(window: Any) -> CueExportDialog | None:
    """Open the dialog for the window's voice track (File > Export Mouth Cues…)."""
    doc = window.doc
    if doc.audio is None:
        window.notices.show("Load a voice track before exporting mouth cues.", "info")
        return None
    base = doc.project_path or doc.audio_path or Path.home() / "talkie"
    dialog = CueExportDialog(doc.audio, doc.settings.fps, Path(base).with_suffix(".tsv"), window)
    window.cue_dialog = dialog
    dialog.show()
    return dialog
