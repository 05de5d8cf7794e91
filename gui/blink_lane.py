"""The blink lane: blink events as bars the artist drags, adds (double-click) and deletes.

Edits go through the engine's blink editing (``engine.add_blink`` and friends),
so the lane keeps the same rules as everything else: a blink never runs into
another, a dragged blink stops at its neighbours. An edit that breaks a rule
is refused with the engine's sentence (``refused``).
"""

from __future__ import annotations

import dataclasses

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

import engine
from gui import theme


class BlinkItem(pg.GraphicsObject):
    """One blink: a bar from onset to onset + duration, its height the depth."""

    def __init__(self, lane: BlinkLane, index: int, event) -> None:
        super().__init__()
        self.lane = lane
        self.index = index
        self.blink = event
        self.selected = False
        self._drag_offset = 0.0
        self.setCursor(Qt.CursorShape.SizeHorCursor)
        self.setToolTip(f"Blink at {event.onset:.2f} s ({event.duration * 1000:.0f} ms): "
                        "drag to move, Delete to remove")

    def _rect(self) -> QRectF:
        e = self.blink
        return QRectF(e.onset, 0.08, e.duration, 0.84 * max(0.15, min(1.0, e.depth)))

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        r = self._rect()
        px = 0.0
        return r.adjusted(-4 * px, 0, 4 * px, 0)

    def paint(self, p: QPainter, *args) -> None:
        colour = QColor(theme.BLINK)
        fill = QColor(colour)
        fill.setAlpha(200 if self.selected else 110)
        pen = QPen(QColor("#ffffff") if self.selected else colour, 2 if self.selected else 1)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.setBrush(QBrush(fill))
        p.drawRect(self._rect())
        r = self._rect()
        p.drawLine(QPointF(r.left(), 0.0), QPointF(r.left(), 1.0))

    def set_blink(self, blink) -> None:
        self.prepareGeometryChange()
        self.blink = blink
        self.update()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph API
        if ev.button() == Qt.MouseButton.LeftButton:
            self.lane.select(self.index)
            ev.accept()

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph API
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        x = ev.pos().x()
        if ev.isStart():
            self.lane.select(self.index)
            self._drag_offset = ev.buttonDownPos().x() - self.blink.onset
        onset = self.lane.clamp_onset(x - self._drag_offset, self.blink.duration)
        self.set_blink(dataclasses.replace(self.blink, onset=onset))
        if ev.isFinish():
            self.lane.move(self.index, onset)


class BlinkLane(QObject):
    """Manages the blink items of one plot and reports edits as whole new lists."""

    edited = Signal(list, str)
    selectionChanged = Signal(int)
    refused = Signal(str)

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__()
        self.plot = plot
        self.events: list = []
        self.items: list[BlinkItem] = []
        self.selected = -1
        self.duration = 0.0
        self.default_duration = 0.2

    def set_events(self, events: list, duration: float) -> None:
        self.duration = duration
        for it in self.items:
            self.plot.removeItem(it)
        self.events = sorted(events, key=lambda e: e.onset)
        self.items = []
        for i, e in enumerate(self.events):
            it = BlinkItem(self, i, e)
            it.setZValue(5)
            self.plot.addItem(it)
            self.items.append(it)
        if self.selected >= len(self.items):
            self.selected = -1
        if 0 <= self.selected < len(self.items):
            self.items[self.selected].selected = True

    def clamp_onset(self, onset: float, duration: float) -> float:
        return float(min(max(onset, 0.0), max(0.0, self.duration - duration)))

    def select(self, index: int) -> None:
        for i, it in enumerate(self.items):
            it.selected = i == index
            it.update()
        self.selected = index
        self.selectionChanged.emit(index)

    def index_at(self, t: float) -> int:
        for i, e in enumerate(self.events):
            if e.onset <= t <= e.onset + e.duration:
                return i
        return -1

    # --------------------------------------------------------------- edits
    def add_at(self, t: float) -> None:
        """Add a blink centred on ``t`` seconds."""
        d = self.default_duration
        onset = self.clamp_onset(t - d / 2, d)
        new = engine.BlinkEvent(onset, d, 1.0)
        try:
            events = engine.add_blink(self.events, new)
        except engine.TalkieError as exc:
            self.refused.emit(exc.message)
            return
        self.selected = events.index(new)
        self.edited.emit(events, f"Add blink at {onset:.2f} s")

    def move(self, index: int, onset: float) -> None:
        """Move blink ``index`` (it stops at its neighbours and stays selected)."""
        if not 0 <= index < len(self.events):
            return
        old = self.events[index]
        onset = self.clamp_onset(onset, old.duration)
        try:
            events = engine.move_blink(self.events, index, onset)
        except engine.TalkieError as exc:
            self.items[index].set_blink(old)
            self.refused.emit(exc.message)
            return
        moved = events[index]  # a blink never passes a neighbour: the order is kept
        if abs(moved.onset - old.onset) < 1e-6:
            self.items[index].set_blink(old)
            return
        self.selected = events.index(moved)
        self.edited.emit(events, f"Move blink to {moved.onset:.2f} s")

    def delete(self, index: int) -> None:
        if not 0 <= index < len(self.events):
            return
        events = engine.delete_blink(self.events, index)
        self.selected = -1
        self.edited.emit(events, "Delete blink")

    def delete_selected(self) -> bool:
        if self.selected < 0:
            return False
        self.delete(self.selected)
        return True
