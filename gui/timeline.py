"""The timeline: waveform, spectrogram, phones and mouth, blinks and keyframes on one time axis.

Wheel zooms, clicking or dragging anywhere (or dragging the red playhead)
moves the playhead; Shift-drag or a middle-button drag pans. Double-click in
the blink lane adds a blink; double-click in a keyframe lane adds a key of its active parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui import spectrogram as spec
from gui import theme
from gui.blink_lane import BlinkLane
from gui.keyframe_lane import GROUPS, LABELS, KeyframeLane

#: Mouth shapes (Preston Blair / Rhubarb letters) of the CMU phones.
SHAPES = {
    **dict.fromkeys(("M", "B", "P"), "A"),
    **dict.fromkeys(("AA", "AO", "AY", "AW"), "D"),
    **dict.fromkeys(("AE", "AH", "EH", "EY", "IH", "IY", "HH", "Y"), "C"),
    **dict.fromkeys(("OW", "ER", "R"), "E"),
    **dict.fromkeys(("UW", "UH", "W", "OY"), "F"),
    **dict.fromkeys(("F", "V"), "G"),
    **dict.fromkeys(("L", "TH", "DH"), "H"),
}
SHAPE_COLOURS = {"A": "#8e5cd9", "B": "#4c6d8c", "C": "#3f9c8d", "D": "#d9734a",
                 "E": "#c9a227", "F": "#c2528b", "G": "#5a9e4b", "H": "#4f86c6", "X": "#33363b"}
AXIS_WIDTH = 54


def mouth_shape(label: str) -> str:
    if label.lower() in ("sil", "sp", "+nsn+", "+spn+", ""):
        return "X"
    return SHAPES.get(label.upper().rstrip("012"), "B")


class SegmentLabels(pg.GraphicsObject):
    """Labels of many segments drawn by one item; a label shows only where it fits."""

    MIN_PX = 16

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[tuple[float, float, str]] = []
        self._end = 0.0

    def set_segments(self, segments: list[tuple[float, float, str]]) -> None:
        self.prepareGeometryChange()
        self.segments = segments
        self._end = max((b for _, b, _ in segments), default=0.0)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0.0, 0.0, max(self._end, 1e-3), 1.05)

    def visible_count(self) -> int:
        return len(self._shown())

    def _shown(self) -> list[tuple[float, float, str]]:
        vb = self.getViewBox()
        if vb is None or not self.segments:
            return []
        x0, x1 = vb.viewRange()[0]
        px = vb.width() / max(x1 - x0, 1e-9)
        return [(a, b, t) for a, b, t in self.segments
                if b >= x0 and a <= x1 and (b - a) * px >= self.MIN_PX]

    def paint(self, p: QPainter, *args) -> None:
        shown = self._shown()
        if not shown:
            return
        tr = p.transform()
        p.save()
        p.resetTransform()
        p.setPen(QColor(theme.TEXT))
        fm = p.fontMetrics()
        for a, b, text in shown:
            left = tr.map(QPointF(a, 1.0))
            right = tr.map(QPointF(b, 1.0))
            rect = QRectF(left.x(), min(left.y(), right.y()) + 2, right.x() - left.x(),
                          2.2 * fm.height())
            p.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        p.restore()


class ScrubViewBox(pg.ViewBox):
    """A lane's view box: a left-button drag on the empty lane scrubs (moves the
    playhead along); Shift or the middle button pans, as before."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self._timeline = timeline

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton \
                and not ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            self._timeline.seek(float(self.mapSceneToView(ev.scenePos()).x()))
            return
        super().mouseDragEvent(ev, axis)


class Timeline(QWidget):
    seeked = Signal(float)
    blinksEdited = Signal(list, str)
    #: An edit a lane refused, with the reason.
    refused = Signal(str)
    loopChanged = Signal(float, float)
    keyframesEdited = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        strip = QHBoxLayout()
        strip.setContentsMargins(8, 2, 8, 2)
        strip.setSpacing(6)
        hint = QLabel("Keys:")
        hint.setObjectName("hint")
        strip.addWidget(hint)
        self.param_boxes: list[QComboBox] = []
        for title, _colour, params in GROUPS:
            box = QComboBox()
            box.setToolTip(f"The {title.lower()} parameter shown and edited in its lane")
            for name in params:
                box.addItem(LABELS[name], name)
            strip.addWidget(QLabel(title))
            strip.addWidget(box)
            self.param_boxes.append(box)
        tip = QLabel("double-click a lane to add a key · drag to move · Delete removes")
        tip.setObjectName("hint")
        strip.addStretch(1)
        strip.addWidget(tip)
        lay.addLayout(strip)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(2)
        lay.addWidget(self.view)
        self.duration = 0.0
        self.plots: list[pg.PlotItem] = []
        names = ("Wave", "Spectrum", "Mouth", "Blinks", *(g[0] for g in GROUPS))
        heights = (48, 84, 72, 32, 44, 44, 44)
        for row, (name, h) in enumerate(zip(names, heights, strict=True)):
            p = self.view.addPlot(row=row, col=0, viewBox=ScrubViewBox(self))
            p.setMenuEnabled(False)
            p.hideButtons()
            p.setMouseEnabled(x=True, y=False)
            p.getAxis("left").setWidth(AXIS_WIDTH)
            p.setLabel("left", name)
            p.showAxis("bottom", row == len(names) - 1)
            p.setMinimumHeight(h + (28 if row == len(names) - 1 else 0))
            self.view.ci.layout.setRowStretchFactor(row, h)
            if row:
                p.setXLink(self.plots[0])
            self.plots.append(p)
        self.wave_plot, self.spec_plot, self.mouth_plot, self.blink_plot = self.plots[:4]
        self.key_plots = self.plots[4:]
        self.plots[-1].setLabel("bottom", "seconds")
        self.plots[-1].getAxis("bottom").enableAutoSIPrefix(False)
        self.wave_plot.setXRange(0, 10, padding=0)
        for p, (y0, y1) in zip(self.plots[:4], ((-1, 1), (0, 8), (0, 1.05), (0, 1)),
                               strict=True):
            p.setYRange(y0, y1, padding=0.02)
            if p is not self.spec_plot:
                p.getAxis("left").setTicks([[]])
        for p in self.key_plots:
            p.getAxis("left").setStyle(tickLength=3)
        self.wave = pg.PlotDataItem(pen=pg.mkPen(theme.WAVE, width=1), antialias=False)
        self.wave.setSkipFiniteCheck(True)
        self._samples = np.zeros(0, dtype=np.float32)
        self._rate = 16000
        self._wave_timer = QTimer(self)
        self._wave_timer.setSingleShot(True)
        self._wave_timer.setInterval(30)
        self._wave_timer.timeout.connect(self._draw_wave)
        self.wave.setClipToView(True)
        self.wave_plot.addItem(self.wave)
        self.wave_plot.sigXRangeChanged.connect(lambda *_: self._wave_timer.start())
        # Moving the playhead must not repaint the lanes: cache them as pixmaps.
        self.wave.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.spec_image = pg.ImageItem(axisOrder="row-major")
        self.spec_plot.addItem(self.spec_image)
        self.colour_bar = pg.ColorBarItem(values=(spec.FLOOR_DB, 0), colorMap=spec.colormap(),
                                          label="dB", interactive=False, width=12)
        self.colour_bar.setImageItem(self.spec_image)
        self.view.addItem(self.colour_bar, row=1, col=1)
        self.shape_items: list = []
        self.phone_labels = SegmentLabels()
        self.phone_labels.setZValue(6)
        self.phone_labels.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.mouth_plot.addItem(self.phone_labels)
        self.mouth_curve = pg.PlotDataItem(pen=pg.mkPen(theme.MOUTH, width=1.5))
        self.mouth_plot.addItem(self.mouth_curve)
        self.mouth_curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.mouth_curve.setZValue(4)
        self.loop = pg.LinearRegionItem(values=(0, 0), brush=QColor(74, 163, 255, 40),
                                        pen=pg.mkPen(theme.ACCENT))
        self.loop.setZValue(1)
        self.loop.hide()
        self.wave_plot.addItem(self.loop)
        self.loop.sigRegionChangeFinished.connect(self._loop_moved)
        self.lines: list[pg.InfiniteLine] = []
        for p in self.plots:
            line = pg.InfiniteLine(0, movable=True, pen=pg.mkPen(theme.PLAYHEAD, width=2),
                                   hoverPen=pg.mkPen("#ffffff", width=2))
            line.setZValue(10)
            line.sigDragged.connect(self._line_dragged)
            if p is self.blink_plot or p in self.key_plots:
                # A click moves the playhead under the cursor; in the blink lane the
                # second click of a double-click must reach the lane, not the line.
                line.setMovable(False)
                line.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            p.addItem(line)
            self.lines.append(line)
        self.blinks = BlinkLane(self.blink_plot)
        self.blinks.edited.connect(self.blinksEdited)
        self.blinks.refused.connect(self.refused)
        self.key_lanes: list[KeyframeLane] = []
        for plot, (title, colour, params), box in zip(self.key_plots, GROUPS,
                                                      self.param_boxes, strict=True):
            lane = KeyframeLane(plot, title, colour, params)
            lane.edited.connect(self.keyframesEdited)
            lane.selectionChanged.connect(lambda i, ln=lane: self._key_selected(ln, i))
            box.currentIndexChanged.connect(
                lambda _i, ln=lane, b=box: ln.set_param(b.currentData()))
            self.key_lanes.append(lane)
        self.view.scene().sigMouseClicked.connect(self._clicked)
        self.position = 0.0

    # ----------------------------------------------------------------- data
    def set_audio(self, samples: np.ndarray | None, rate: int, spectrogram) -> None:
        if samples is None:
            self.duration = 0.0
            self.wave.setData([], [])
            self.spec_image.clear()
            self.set_phones([])
            self.set_mouth(None, 25)
            self.blinks.set_events([], 0.0)
            self.set_keyframes(None)
            return
        self.duration = len(samples) / rate
        self.blinks.duration = self.duration
        for lane in self.key_lanes:
            lane.duration = self.duration
        self._samples, self._rate = np.asarray(samples, dtype=np.float32), rate
        peak = float(np.abs(samples).max(initial=0.0)) or 1.0
        self.wave_plot.setYRange(-peak, peak, padding=0.05)
        if spectrogram is not None:
            self.spec_image.setImage(spectrogram.db.T, autoLevels=False)
            self.spec_image.setRect(0, 0, spectrogram.db.shape[0] * spectrogram.hop_s,
                                    spectrogram.max_hz / 1000.0)
            self.colour_bar.setLevels((spec.FLOOR_DB, 0.0))
            self.spec_plot.setLabel("left", "kHz")
        for p in self.plots:
            p.setLimits(xMin=0.0, xMax=max(self.duration, 0.1), minXRange=0.05)
        self.zoom_all()
        self._draw_wave()

    def _draw_wave(self) -> None:
        """Draw the visible stretch as a min/max envelope of about two points per pixel."""
        x = self._samples
        if x.size == 0:
            self.wave.setData([], [])
            return
        x0, x1 = self.wave_plot.viewRange()[0]
        a = max(0, int(x0 * self._rate))
        b = min(x.size, int(np.ceil(x1 * self._rate)) + 1)
        if b <= a:
            return
        cols = max(64, int(self.wave_plot.getViewBox().width()))
        step = (b - a) // cols
        if step < 2:
            t = np.arange(a, b, dtype=np.float64) / self._rate
            self.wave.setData(t, x[a:b])
            return
        n = (b - a) // step
        blocks = x[a:a + n * step].reshape(n, step)
        y = np.empty(2 * n, dtype=np.float32)
        y[0::2] = blocks.min(axis=1)
        y[1::2] = blocks.max(axis=1)
        t = (a + np.repeat(np.arange(n), 2) * step + step / 2) / self._rate
        self.wave.setData(t, y)

    def set_phones(self, phones: list) -> None:
        for it in self.shape_items:
            self.mouth_plot.removeItem(it)
        self.shape_items = []
        if not phones:
            self.phone_labels.set_segments([])
            return
        by_shape: dict[str, list] = {}
        for ph in phones:
            by_shape.setdefault(mouth_shape(ph.label), []).append(ph)
        for shape, group in by_shape.items():
            x0 = np.array([g.start for g in group])
            w = np.array([g.end - g.start for g in group])
            colour = QColor(SHAPE_COLOURS[shape])
            colour.setAlpha(115)
            bar = pg.BarGraphItem(x0=x0, width=w, y0=0.0, height=1.0, brush=colour, pen=None)
            bar.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.mouth_plot.addItem(bar)
            self.shape_items.append(bar)
        labels = [(p.start, p.end, f"{p.label}\n{mouth_shape(p.label)}") for p in phones
                  if p.label.lower() != "sil"]
        self.phone_labels.set_segments(labels)

    def set_mouth(self, mouth_open: np.ndarray | None, fps: float) -> None:
        if mouth_open is None or len(mouth_open) == 0:
            self.mouth_curve.setData([], [])
            return
        m = np.asarray(mouth_open, dtype=np.float32)
        top = float(m.max()) or 1.0
        t = (np.arange(len(m)) + 0.5) / fps
        self.mouth_curve.setData(t, 0.95 * m / top)

    def set_motion(self, motion, fps: float) -> None:
        """Show the face's glances and head turns (``motion``: the animation's motion
        track, keys included) faintly on the gaze and head lanes."""
        t = (np.arange(motion.frame_count) + 0.5) / fps
        pose = np.degrees(np.asarray(motion.pose, dtype=np.float64)[:, :3])
        gaze = np.asarray(motion.gaze, dtype=np.float64)
        values = {"gaze_x": gaze[:, 0], "gaze_y": gaze[:, 1], "pitch": pose[:, 0],
                  "yaw": pose[:, 1], "roll": pose[:, 2]}
        for lane in self.key_lanes:
            lane.set_motion(t, values)

    def set_blinks(self, events: list, default_duration: float) -> None:
        self.blinks.default_duration = default_duration
        self.blinks.set_events(events, self.duration)

    def set_keyframes(self, keyframes) -> None:
        for lane in self.key_lanes:
            lane.set_keyframes(keyframes, self.duration)

    def lane_of(self, param: str) -> KeyframeLane:
        """The lane holding ``param``, made to show it."""
        for lane, box in zip(self.key_lanes, self.param_boxes, strict=True):
            if param in lane.params:
                box.setCurrentIndex(box.findData(param))
                return lane
        raise KeyError(param)

    def _key_selected(self, lane: KeyframeLane, index: int) -> None:
        if index < 0:
            return
        if self.blinks.selected >= 0:
            self.blinks.select(-1)
        for other in self.key_lanes:
            if other is not lane and other.selected >= 0:
                other.select(-1)

    # ------------------------------------------------------------- playhead
    def set_position(self, t: float) -> None:
        self.position = t
        for line in self.lines:
            if abs(line.value() - t) > 1e-9:
                line.blockSignals(True)
                line.setValue(t)
                line.blockSignals(False)

    def follow(self, t: float) -> None:
        """During playback: keep the playhead in view, paging like an editor does."""
        x0, x1 = self.wave_plot.viewRange()[0]
        if not x0 <= t <= x1:
            span = x1 - x0
            self.wave_plot.setXRange(t - 0.1 * span, t + 0.9 * span, padding=0)

    def _line_dragged(self, line: pg.InfiniteLine) -> None:
        t = float(min(max(line.value(), 0.0), self.duration))
        self.set_position(t)
        self.seeked.emit(t)

    def _clicked(self, ev) -> None:
        for p in self.plots:
            vb = p.getViewBox()
            if not vb.sceneBoundingRect().contains(ev.scenePos()):
                continue
            t = float(vb.mapSceneToView(ev.scenePos()).x())
            if p is self.blink_plot and ev.double() and self.duration > 0:
                self.blinks.add_at(t)
                ev.accept()
                return
            if p in self.key_plots:
                lane = self.key_lanes[self.key_plots.index(p)]
                v = float(vb.mapSceneToView(ev.scenePos()).y())
                if ev.double() and self.duration > 0:
                    if lane.index_near(t, v) < 0:
                        lane.add_at(t, v)
                    ev.accept()
                    return
                if ev.button() == Qt.MouseButton.LeftButton and lane.index_near(t, v) < 0:
                    lane.select(-1)
            if ev.button() == Qt.MouseButton.LeftButton and self.duration > 0:
                if p is self.blink_plot and self.blinks.index_at(t) < 0:
                    self.blinks.select(-1)
                self.seek(t)
            return

    def seek(self, t: float) -> None:
        t = float(min(max(t, 0.0), self.duration))
        self.set_position(t)
        self.seeked.emit(t)

    # ----------------------------------------------------------- navigation
    def zoom_all(self) -> None:
        if self.duration > 0:
            self.wave_plot.setXRange(0, self.duration, padding=0)

    def set_loop(self, a: float, b: float, visible: bool = True) -> None:
        self.loop.blockSignals(True)
        self.loop.setRegion((a, b))
        self.loop.blockSignals(False)
        self.loop.setVisible(visible)

    def _loop_moved(self) -> None:
        a, b = self.loop.getRegion()
        self.loopChanged.emit(float(a), float(b))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            if self.blinks.delete_selected() or any(
                    lane.delete_selected() for lane in self.key_lanes):
                event.accept()
                return
        super().keyPressEvent(event)
