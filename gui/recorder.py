"""Record a voice line from the microphone, with the live spectrogram running."""

from __future__ import annotations

import logging
import queue
import time
import wave
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.spectrogram import RATE, LiveSpectrogram

log = logging.getLogger(__name__)


def save_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Mono float32 -> 16-bit PCM WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(pcm.tobytes())


def next_take(folder: Path) -> Path:
    """A new file name for a take: never one that exists (two takes in one second)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"voice-{stamp}.wav", 2
    while path.exists():
        path, n = folder / f"voice-{stamp}-{n}.wav", n + 1
    return path


class RecordDialog(QDialog):
    """Records takes; closing with a take recorded but not used asks first."""

    recorded = Signal(str)

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record a voice line")
        self.setMinimumSize(560, 320)
        self.folder = folder
        self._chunks: list[np.ndarray] = []
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._stream = None
        self._rate = RATE
        lay = QVBoxLayout(self)
        self.live = LiveSpectrogram()
        lay.addWidget(self.live, 1)
        self.status = QLabel("Press Record and speak.")
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.record = QPushButton("● Record")
        self.record.clicked.connect(self.toggle)
        self.use = QPushButton("Use this take")
        self.use.setEnabled(False)
        self.use.clicked.connect(self._use)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        row.addWidget(self.record)
        row.addStretch(1)
        row.addWidget(self.use)
        row.addWidget(close)
        lay.addLayout(row)
        self._drain = QTimer(self)
        self._drain.setInterval(30)
        self._drain.timeout.connect(self._pull)
        self._t0 = 0.0
        self._unused = False   # a take is recorded and not yet used
        #: Answers "discard the take?" without a dialog (tests); None asks.
        self.answer: QMessageBox.StandardButton | None = None

    def _callback(self, indata, frames, time_info, status) -> None:  # noqa: ARG002
        self._queue.put(indata[:, 0].copy())

    def toggle(self) -> None:
        if self._stream is None:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        import sounddevice as sd

        self._chunks = []
        try:
            self._rate = int(sd.query_devices(kind="input")["default_samplerate"]) or RATE
            stream = sd.InputStream(samplerate=self._rate, channels=1, dtype="float32",
                                    callback=self._callback)
            stream.start()
            self._stream = stream
        except Exception as exc:  # noqa: BLE001 - device trouble is reported, not raised
            self._stream = None
            self.status.setText(f"The microphone could not be opened: {exc}")
            return
        self._t0 = time.monotonic()
        self.live.start_live()
        self._drain.start()
        self.record.setText("■ Stop")
        self.use.setEnabled(False)

    def _pull(self) -> None:
        got = []
        while not self._queue.empty():
            got.append(self._queue.get_nowait())
        if got:
            chunk = np.concatenate(got)
            self._chunks.append(chunk)
            step = max(1, round(self._rate / RATE))
            self.live.push(chunk[::step])
        self.status.setText(f"Recording… {time.monotonic() - self._t0:.1f} s")

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        self._drain.stop()
        self._pull()
        self.live.stop()
        self.record.setText("● Record again")
        seconds = sum(len(c) for c in self._chunks) / self._rate
        self.status.setText(f"Recorded {seconds:.1f} s.")
        self.use.setEnabled(seconds > 0.1)
        self._unused = seconds > 0.1

    def _use(self) -> bool:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = next_take(self.folder)
            save_wav(path, np.concatenate(self._chunks), self._rate)
        except OSError as exc:
            self.status.setText(f"The take could not be saved in {self.folder} "
                                f"({exc.strerror or exc}). It is still here: try again.")
            return False
        self._unused = False
        self.recorded.emit(str(path))
        self.accept()
        return True

    def reject(self) -> None:
        if self._stream is not None:
            self.stop()
        if self._unused:
            answer = self.answer if self.answer is not None else QMessageBox.question(
                self, "Record a voice line", "Use the take you recorded, or discard it?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.Save:
                self._use()
                return
        super().reject()
