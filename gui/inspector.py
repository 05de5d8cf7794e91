"""The inspector: what was loaded, the direction (settings), and the output choices.

Every range, label and tooltip of a direction control comes from
:data:`engine.LIMITS`, the table the engine and the command line check with.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
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
BACKGROUNDS = [((255, 255, 255), "White"), ((0, 0, 0), "Black"), ((128, 128, 128), "Grey"),
               ((0, 177, 64), "Green screen")]
BACKGROUND_TIP = ("The colour behind a transparent portrait: MP4 keeps no transparency, so "
                  "the export is flattened onto it.")
#: The direction sliders: field, step, decimals, suffix (ranges from engine.LIMITS).
SLIDERS = (("mouth_intensity", 0.05, 2, "×"), ("blink_rate", 0.5, 1, "/min"),
           ("blink_duration", 0.001, 3, " s"), ("liveliness", 0.05, 2, "×"),
           ("breath", 0.05, 2, "×"))


class UndoPassThrough(QObject):
    """Ctrl+Z / Ctrl+Shift+Z in a number field go to the studio's undo stack.

    A spin box's own text undo would swallow them, so after typing a value
    (committed with Enter) Ctrl+Z did nothing. Text typed but not committed
    is reverted instead, as its own undo would.
    """

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and (
                event.matches(QKeySequence.StandardKey.Undo)
                or event.matches(QKeySequence.StandardKey.Redo)):
            spin = obj if isinstance(obj, QSpinBox | QDoubleSpinBox) else obj.parent()
            if isinstance(spin, QSpinBox | QDoubleSpinBox):
                line = spin.lineEdit()
                value = spin.value()
                text = (spin.textFromValue(int(value)) if isinstance(spin, QSpinBox)
                        else spin.textFromValue(float(value)))
                committed = spin.prefix() + text + spin.suffix()
                if line.text() != committed:  # typed, not committed: revert the typing
                    line.setText(committed)
                    event.accept()
                    return True
            event.ignore()   # not for the field: the window's Undo/Redo shortcut fires
            return True
        return False


def pass_undo(spin: QAbstractSpinBox, filt: UndoPassThrough) -> None:
    spin.installEventFilter(filt)
    spin.lineEdit().installEventFilter(filt)


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
    #: Settings field name, new value, merge key (edits with one key undo as one step)
    settingChanged = Signal(str, object, str)
    #: OutputOptions field name, new value
    outputChanged = Signal(str, object)
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
        self.face_note = QLabel("")
        self.face_note.setObjectName("hint")
        self.face_note.setWordWrap(True)
        self.audio_label = QLabel("No audio")
        self.audio_label.setWordWrap(True)
        self.audio_info = QLabel("–")
        self.audio_info.setObjectName("hint")
        form.addRow("Portrait", self.portrait_label)
        form.addRow("Face", self.face_combo)
        form.addRow("", self.overlay)
        form.addRow("", self.place_face)
        form.addRow("", self.face_note)
        self.face_note.hide()
        form.addRow("Audio", self.audio_label)
        form.addRow("", self.audio_info)
        col.addWidget(src)

        self._undo_filter = UndoPassThrough(self)
        direct = QGroupBox("Direction")
        form = QFormLayout(direct)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.rows: dict[str, SliderRow] = {}
        for name, step, dec, suffix in SLIDERS:
            limit = engine.LIMITS[name]
            row = SliderRow(limit.lo, limit.hi, step, dec, suffix)
            row.edited.connect(lambda v, final, n=name: self._edited(n, v, final))
            row.setToolTip(limit.help)
            pass_undo(row.spin, self._undo_filter)
            self.rows[name] = row
            form.addRow(self._label(limit.label, limit.help), row)
        self.keep_expression = QCheckBox("Keep the portrait's expression at rest")
        self.keep_expression.setToolTip(engine.KEEP_EXPRESSION_HELP)
        self.keep_expression.toggled.connect(
            lambda on: self.settingChanged.emit("keep_expression", bool(on), ""))
        form.addRow("", self.keep_expression)
        seed_row = QWidget()
        h = QHBoxLayout(seed_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.seed = QSpinBox()
        seed_limit = engine.LIMITS["seed"]
        self.seed.setRange(int(seed_limit.lo), int(seed_limit.hi))
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip(seed_limit.help)
        pass_undo(self.seed, self._undo_filter)
        self.seed.valueChanged.connect(lambda v: self.settingChanged.emit("seed", int(v), ""))
        self.reroll = QPushButton()
        self.reroll.setText("Re-roll")
        self.reroll.setToolTip("Pick a new random seed (blinks, head motion, variation)")
        self.reroll.clicked.connect(self.rerollRequested)
        h.addWidget(self.seed, 1)
        h.addWidget(self.reroll)
        form.addRow(self._label("Seed", seed_limit.help), seed_row)
        self.source = QComboBox()
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.currentIndexChanged.connect(
            lambda i: self.settingChanged.emit("motion_source", self.source.itemData(i), ""))
        source_tip = ("Where the motion comes from: the speech model (GAN), or the phones "
                      "recognised in the voice (a simpler fallback).")
        self.source.setToolTip(source_tip)
        form.addRow(self._label("Motion", source_tip), self.source)
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
        self.size_box = QComboBox()
        for value, text in SIZES:
            self.size_box.addItem(text, value)
        self.size_box.setToolTip(engine.LIMITS["size"].help)
        self.size_box.currentIndexChanged.connect(
            lambda i: self.outputChanged.emit("size", self.size_box.itemData(i)))
        self.fps = QComboBox()
        for f in engine.FPS_CHOICES:
            self.fps.addItem(f"{f} fps", f)
        self.fps.setToolTip("Frames per second of the animation and the video.")
        self.fps.currentIndexChanged.connect(
            lambda i: self.settingChanged.emit("fps", int(self.fps.itemData(i)), ""))
        self.crf = QSpinBox()
        crf = engine.LIMITS["crf"]
        self.crf.setRange(int(crf.lo), int(crf.hi))
        self.crf.setKeyboardTracking(False)
        self.crf.setToolTip(crf.help)
        pass_undo(self.crf, self._undo_filter)
        self.crf.valueChanged.connect(lambda v: self.outputChanged.emit("crf", int(v)))
        self.background = QComboBox()
        for rgb, text in BACKGROUNDS:
            self.background.addItem(text, _rgb_key(rgb))
        self.background.setToolTip(BACKGROUND_TIP)
        self.background.currentIndexChanged.connect(
            lambda i: self.outputChanged.emit("background", engine.parse_colour(
                self.background.itemData(i))))
        form.addRow("Size", self.size_box)
        form.addRow("Frame rate", self.fps)
        form.addRow(self._label(crf.label, crf.help), self.crf)
        form.addRow(self._label("Background", BACKGROUND_TIP), self.background)
        col.addWidget(out)
        col.addStretch(1)

    @staticmethod
    def _label(text: str, tip: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tip)
        return label

    def _edited(self, name: str, value: float, final: bool) -> None:
        key = f"{name}#{self._gesture}"
        if final:
            self._gesture += 1
        self.settingChanged.emit(name, float(value), key)

    def _face_changed(self, index: int) -> None:
        if index >= 0 and self.face_combo.isEnabled():
            self.faceChosen.emit(index)

    # ------------------------------------------------------------ display
    def set_settings(self, s: engine.Settings) -> None:
        widgets: list[QWidget] = [self.seed, self.source, self.fps, self.keep_expression]
        for w in widgets:
            w.blockSignals(True)
        for name, row in self.rows.items():
            row.set_value(float(getattr(s, name)))
        self.seed.setValue(int(s.seed))
        self.source.setCurrentIndex(max(0, self.source.findData(s.motion_source)))
        self.fps.setCurrentIndex(max(0, self.fps.findData(int(s.fps))))
        self.keep_expression.setChecked(bool(s.keep_expression))
        for w in widgets:
            w.blockSignals(False)

    def set_output(self, o: engine.OutputOptions) -> None:
        widgets: list[QWidget] = [self.size_box, self.crf, self.background]
        for w in widgets:
            w.blockSignals(True)
        self.size_box.setCurrentIndex(_index_or_add(self.size_box, o.size, f"{o.size} px"))
        self.crf.setValue(int(o.crf))
        self.background.setCurrentIndex(_index_or_add(
            self.background, _rgb_key(o.background), "rgb({}, {}, {})".format(*o.background)))
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

    def set_face_note(self, text: str) -> None:
        """A warning about the face's fit (a face turned far from the camera), or none."""
        self.face_note.setText(text)
        self.face_note.setVisible(bool(text))

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


def _index_or_add(box: QComboBox, value: Any, text: str) -> int:
    """The index of ``value`` in ``box``; a value not offered (from a project) is added."""
    i = box.findData(value)
    if i < 0:
        box.addItem(text, value)
        i = box.count() - 1
    return i


def _rgb_key(rgb: tuple[int, int, int]) -> str:
    """A colour as combo-box data (``"r,g,b"``, what :func:`engine.parse_colour` reads)."""
    return ",".join(str(int(c)) for c in rgb)
