"""The live rolling spectrogram widget (the data comes from :mod:`gui.spectrum`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from gui.spectrum import FLOOR_DB, RATE, Spectrogram, stft_db  # noqa: F401 - re-exported


def colormap() -> pg.ColorMap:
    try:
        return pg.colormap.get("inferno")
    except Exception:  # noqa: BLE001 - fall back to a built-in map
        return pg.colormap.get("CET-L3")


class LiveSpectrogram(pg.PlotWidget):
    """A rolling view of the last few seconds, redrawn on its own display timer.

    Feed it either a clock plus a whole-clip :class:`Spectrogram` (playback)
    or raw samples with :meth:`push` (recording).
    """

    SECONDS = 4.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setLabel("left", "kHz")
        self.setLabel("bottom", "seconds before now")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(colormap().getLookupTable(nPts=256))
        self.addItem(self.image)
        self.setXRange(-self.SECONDS, 0, padding=0.02)
        self.setYRange(0, RATE / 2000, padding=0)
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self.redraw)
        self._clock: Callable[[], float] | None = None
        self._spec: Spectrogram | None = None
        self._ring = np.zeros(int(self.SECONDS * RATE), dtype=np.float32)
        self.frames_drawn = 0

    def follow(self, spectrogram: Spectrogram | None, clock: Callable[[], float]) -> None:
        """Draw the clip's spectrogram up to ``clock()`` seconds, until :meth:`stop`."""
        self._spec, self._clock = spectrogram, clock
        self._timer.start()
        self.redraw()

    def start_live(self) -> None:
        """Draw what :meth:`push` feeds (recording)."""
        self._spec, self._clock = None, None
        self._ring[:] = 0.0
        self._timer.start()

    def push(self, samples: np.ndarray) -> None:
        """Append 16 kHz mono samples (any thread-safe copy from the recorder)."""
        x = np.asarray(samples, dtype=np.float32)[-self._ring.shape[0]:]
        self._ring = np.roll(self._ring, -x.shape[0])
        self._ring[-x.shape[0]:] = x

    def stop(self) -> None:
        self._timer.stop()

    def show_at(self, spectrogram: Spectrogram | None, t: float) -> None:
        """While paused: the few seconds before the playhead, drawn once."""
        if self._timer.isActive():
            return
        if spectrogram is None:
            self.image.clear()
            return
        self._spec, self._clock = spectrogram, (lambda: t)
        self.redraw()

    def active(self) -> bool:
        return self._timer.isActive()

    def redraw(self) -> None:
        if self._spec is not None and self._clock is not None:
            t = self._clock()
            cols = self._spec.window(t - self.SECONDS, t)
            hz = self._spec.max_hz
        elif self._clock is None:
            db = stft_db(self._ring)
            cols = np.maximum(db - max(float(db.max()), -20.0), FLOOR_DB)
            hz = RATE / 2
        else:
            return
        self.image.setImage(cols.T, levels=(FLOOR_DB, 0.0), autoLevels=False)
        self.image.setRect(-self.SECONDS, 0.0, self.SECONDS, hz / 1000.0)
        self.frames_drawn += 1
