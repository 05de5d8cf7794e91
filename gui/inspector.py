"""The inspector: what was loaded, and the direction (settings) of the animation."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import engine

SIZES = [(None, "Portrait's own"), (256, "256 px"), (512, "512 px"), (720, "720 px"),
         (1024, "1024 px"), (1536, "1536 px"), (2048, "2048 px")]
SOURCES = [("gan", "GAN (speech model)"), ("phonetic", "Phonetic (from phones)")]


class SliderRow(QWidget):
    """A slider and a spin box showing one float value."""

    edited = Signal(float, bool)  # value, final (release / typed)

    def __init__(self, lo: float, hi: float, step: float, decimals: int, suffix: str = "") -> None:
        super().__init__()
        self._scale = 1.0 / step
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(lo * self._scale), round(hi * self._scale))
        self.spin = QDoubleSpinBox()
        self.spin.setRange(lo, hi)
        self.spin.setSingleStep(step)
        self.spin.setDecimals(decimals)
        self.spin.setSuffix(suffix)
        self.spin.setKeyboardTracking(False)
        self.spin.setFixedWidth(84)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self.slider.valueChanged.connect(self._slid)
        self.slider.sliderReleased.connect(lambda: self.edited.emit(self.value(), True))
        self.spin.valueChanged.connect(self._typed)

    def value(self) -> float:
        return float(self.spin.value())

    def set_value(self, v: float) -> None:
        for w in (self.slider, self.spin):
            w.blockSignals(True)
        self.spin.setValue(v)
        self.slider.setValue(round(v * self._scale))
        for w in (self.slider, self.spin):
            w.blockSignals(False)

    def _slid(self, raw: int) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(raw / self._scale)
        self.spin.blockSignals(False)
        self.edited.emit(self.value(), not self.slider.isSliderDown())

    def _typed(self, v: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(v * self._scale))
        self.slider.blockSignals(False)
        self.edited.emit(v, True)


class Inspector(QScrollArea):
    #: field name, new value, merge key (edits with one key undo as one step)
    settingChanged = Signal(str, object, str)
    rerollRequested = Signal()
    regenerateBlinks = Signal()
    faceChosen = Signal(int)
    overlayToggled = Signal(bool)
    placeFaceRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(330)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        col = QVBoxLayout(body)
        self.setWidget(body)
        self._gesture = 0

        src = QGroupBox("Inputs")
        form = QFormLayout(src)
        self.portrait_label = QLabel("No portrait")
        self.portrait_label.setWordWrap(True)
        self.face_combo = QComboBox()
        self.face_combo.setEnabled(False)
        self.face_combo.currentIndexChanged.connect(self._face_changed)
        self.overlay = QCheckBox("Show landmarks")
        self.overlay.setShortcut("L")
        self.overlay.toggled.connect(self.overlayToggled)
        self.place_face = QPushButton()
        self.place_face.setText("Place face by hand…")
        self.place_face.setToolTip("Place the eyes, nose, mouth and chin yourself (for faces "
                                   "the detector misses, or to correct its fit)")
        self.place_face.clicked.connect(self.placeFaceRequested)
        self.place_face.setEnabled(False)
        self.audio_label = QLabel("No audio")
        self.audio_label.setWordWrap(True)
        self.audio_info = QLabel("–")
        self.audio_info.setObjectName("hint")
        form.addRow("Portrait", self.portrait_label)
        form.addRow("Face", self.face_combo)
        form.addRow("", self.overlay)
        form.addRow("", self.place_face)
        form.addRow("Audio", self.audio_label)
        form.addRow("", self.audio_info)
        col.addWidget(src)

        direct = QGroupBox("Direction")
        form = QFormLayout(direct)
        self.rows: dict[str, SliderRow] = {}
        for name, label, lo, hi, step, dec, suffix in (
            ("mouth_intensity", "Mouth", 0.0, 2.0, 0.05, 2, "×"),
            ("blink_rate", "Blink rate", 0.0, 90.0, 0.5, 1, "/min"),
            ("blink_duration", "Blink length", 0.05, 1.0, 0.001, 3, " s"),
            ("liveliness", "Liveliness", 0.0, 2.0, 0.05, 2, "×"),
        ):
            row = SliderRow(lo, hi, step, dec, suffix)
            row.edited.connect(lambda v, final, n=name: self._edited(n, v, final))
            self.rows[name] = row
            form.addRow(label, row)
        seed_row = QWidget()
        h = QHBoxLayout(seed_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.valueChanged.connect(lambda v: self.settingChanged.emit("seed", int(v), ""))
        self.reroll = QPushButton()
        self.reroll.setText("Re-roll")
        self.reroll.setToolTip("Pick a new random seed (blinks, head motion, variation)")
        self.reroll.clicked.connect(self.rerollRequested)
        h.addWidget(self.seed, 1)
        h.addWidget(self.reroll)
        form.addRow("Seed", seed_row)
        self.source = QComboBox()
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.currentIndexChanged.connect(
            lambda i: self.settingChanged.emit("motion_source", self.source.itemData(i), ""))
        form.addRow("Motion", self.source)
        self.source_note = QLabel("")
        self.source_note.setObjectName("hint")
        self.source_note.setWordWrap(True)
        form.addRow("", self.source_note)
        self.source_note.hide()
        self.regen = QPushButton()
        self.regen.setText("Regenerate blinks")
        self.regen.setToolTip("Throw away blink edits and generate blinks from the seed")
        self.regen.clicked.connect(self.regenerateBlinks)
        form.addRow("", self.regen)
        col.addWidget(direct)

        out = QGroupBox("Output")
        form = QFormLayout(out)
        self.size = QComboBox()
        for value, text in SIZES:
            self.size.addItem(text, value)
        self.size.currentIndexChanged.connect(
            lambda i: self.settingChanged.emit("size", self.size.itemData(i), ""))
        self.fps = QComboBox()
        for f in engine.FPS_CHOICES:
            self.fps.addItem(f"{f} fps", f)
        self.fps.currentIndexChanged.connect(
            lambda i: self.settingChanged.emit("fps", int(self.fps.itemData(i)), ""))
        form.addRow("Size", self.size)
        form.addRow("Frame rate", self.fps)
        col.addWidget(out)
        col.addStretch(1)
        self._controls = [*self.rows.values(), self.seed, self.reroll, self.source, self.regen,
                          self.size, self.fps]

    def _edited(self, name: str, value: float, final: bool) -> None:
        key = f"{name}#{self._gesture}"
        if final:
            self._gesture += 1
        self.settingChanged.emit(name, float(value), key)

    def _face_changed(self, index: int) -> None:
        if index >= 0 and self.face_combo.isEnabled():
            self.faceChosen.emit(index)

    # ------------------------------------------------------------ display
    def set_settings(self, s) -> None:
        widgets = [self.seed, self.source, self.size, self.fps]
        for w in widgets:
            w.blockSignals(True)
        for name, row in self.rows.items():
            row.set_value(float(getattr(s, name)))
        self.seed.setValue(int(s.seed))
        self.source.setCurrentIndex(max(0, self.source.findData(s.motion_source)))
        self.size.setCurrentIndex(max(0, self.size.findData(s.size)))
        self.fps.setCurrentIndex(max(0, self.fps.findData(int(s.fps))))
        for w in widgets:
            w.blockSignals(False)

    def set_portrait(self, name: str | None, width: int = 0, height: int = 0,
                     faces: int = 0, chosen: int = 0) -> None:
        self.portrait_label.setText(f"{name}\n{width} × {height} px" if name else "No portrait")
        self.face_combo.blockSignals(True)
        self.face_combo.clear()
        for i in range(faces):
            self.face_combo.addItem(f"Face {i + 1} of {faces}")
        self.face_combo.setCurrentIndex(max(0, chosen))
        self.face_combo.setEnabled(faces > 1)
        self.face_combo.blockSignals(False)

    def set_fitted(self, fitted: bool) -> None:
        """Say whether the animated face was placed by hand."""
        if fitted:
            self.face_combo.blockSignals(True)
            self.face_combo.clear()
            self.face_combo.addItem("Placed by hand")
            self.face_combo.setEnabled(False)
            self.face_combo.blockSignals(False)

    def set_audio(self, name: str | None, duration: float = 0.0, rate: int = 0,
                  channels: int = 1) -> None:
        self.audio_label.setText(name or "No audio")
        if name:
            ch = "mono" if channels == 1 else f"{channels} channels"
            self.audio_info.setText(f"{duration:.2f} s · {rate / 1000:g} kHz · {ch}")
        else:
            self.audio_info.setText("–")

    def set_motion_note(self, text: str) -> None:
        self.source_note.setText(text)
        self.source_note.setVisible(bool(text))
