"""Keyframe lanes: expression, gaze and head pose keys the artist drags, adds and deletes.

Each group (Expression, Gaze, Head) is one timeline lane showing its *active*
parameter: the keys as diamonds and the interpolated curve between them. The
lane's selector picks the active parameter. A drag moves a key in time and
value, a double-click adds a key at the clicked time and value, Delete removes
the selected key. Edits are reported as whole new :class:`engine.keyframes.Keyframes`
objects, so the window can push them onto the undo stack.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor

import engine

#: Lane groups: (title, colour, parameters).
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Expression", "#e67ab0", ("smile", "brow_raise", "frown")),
    ("Gaze", "#7ad0e6", ("gaze_x", "gaze_y")),
    ("Head", "#b49bf0", ("yaw", "pitch", "roll", "nod")),
)

#: Lane titles short enough for the narrow axis.
SHORT = {"Expression": "Expr"}

LABELS = {"smile": "smile", "brow_raise": "brow raise", "frown": "frown",
          "gaze_x": "gaze ←→", "gaze_y": "gaze ↑↓", "yaw": "yaw °", "pitch": "pitch °",
          "roll": "roll °", "nod": "nod °"}


def value_range(lane: str) -> tuple[float, float]:
    lo, hi = engine.LANE_RANGES[lane]
    return float(lo), float(hi)


def keys_of(kf: engine.Keyframes | None, lane: str) -> list:
    return [] if kf is None else list(kf[lane])


class KeyItem(pg.TargetItem):
    """One key: a diamond of constant screen size at (time, value); drag moves it."""

    def __init__(self, lane: KeyframeLane, index: int, key) -> None:
        colour = QColor(lane.colour)
        super().__init__(pos=(float(key.time), float(key.value)), size=12, symbol="d",
                         pen=pg.mkPen("#15161a", width=1), brush=colour,
                         hoverPen=pg.mkPen("#ffffff", width=1.5), hoverBrush=colour,
                         movable=True)
        self.lane = lane
        self.index = index
        self.key = key
        self.selected = False
        self.setZValue(7)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip(f"{LABELS[lane.param]} {key.value:.2f} at {key.time:.2f} s: "
                        "drag to move, Delete to remove")

    def set_selected(self, on: bool) -> None:
        self.selected = on
        self.setPen(pg.mkPen("#ffffff" if on else "#15161a", width=2 if on else 1))
        self.update()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph API
        if ev.button() == Qt.MouseButton.LeftButton:
            self.lane.select(self.index)
            ev.accept()

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph API
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            self.lane.select(self.index)
        super().mouseDragEvent(ev)
        p = self.pos()
        t, v = self.lane.clamp(float(p.x()), float(p.y()))
        if (t, v) != (float(p.x()), float(p.y())):
            self.setPos(t, v)
        self.lane.preview_curve(self.index, t, v)
        if ev.isFinish():
            self.lane.move(self.index, t, v)


class KeyframeLane(QObject):
    """One lane (a group of parameters) on one plot; edits come out as new Keyframes."""

    edited = Signal(object, str)        # new Keyframes, undo text
    selectionChanged = Signal(int)

    def __init__(self, plot: pg.PlotItem, title: str, colour: str,
                 params: tuple[str, ...]) -> None:
        super().__init__()
        self.plot = plot
        self.title = title
        self.colour = colour
        self.params = params
        self.param = params[0]
        self.keyframes: engine.Keyframes = engine.Keyframes()
        self.keys: list = []
        self.items: list[KeyItem] = []
        self.selected = -1
        self.duration = 0.0
        self.curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.5))
        self.curve.setZValue(4)
        plot.addItem(self.curve)
        # What the face does on the active parameter (the speech's own glances and head
        # turns, with the keys added), faint behind the keys' curve: what the keys add to.
        faint = QColor(colour)
        faint.setAlpha(110)
        self.motion_curve = pg.PlotDataItem(pen=pg.mkPen(faint, width=1))
        self.motion_curve.setZValue(3)
        plot.addItem(self.motion_curve)
        self.motion: dict[str, np.ndarray] = {}
        self.motion_t = np.zeros(0)
        self.zero = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#3a3d42", width=1))
        self.zero.setZValue(2)
        plot.addItem(self.zero)
        self._apply_range()

    # ------------------------------------------------------------- display
    def set_param(self, param: str) -> None:
        if param not in self.params or param == self.param:
            return
        self.param = param
        self.selected = -1
        self._apply_range()
        self.refresh()
        self._draw_motion()

    def set_motion(self, t: np.ndarray, values: dict[str, np.ndarray]) -> None:
        """The face's motion: frame times ``t (T,)`` seconds, and per parameter of this
        lane that the speech moves, its value at each frame ``(T,)`` in the lane's units."""
        self.motion_t = np.asarray(t, dtype=np.float64)
        self.motion = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()
                       if k in self.params}
        self._draw_motion()

    def _draw_motion(self) -> None:
        y = self.motion.get(self.param)
        if y is None or len(y) != len(self.motion_t):
            self.motion_curve.setData([], [])
            return
        self.motion_curve.setData(self.motion_t, np.clip(y, *value_range(self.param)))

    def _apply_range(self) -> None:
        lo, hi = value_range(self.param)
        pad = 0.12 * (hi - lo)
        self.plot.setYRange(lo - pad, hi + pad, padding=0)
        self.zero.setValue(0.0 if lo < 0 < hi else lo)
        self.plot.setLabel("left", SHORT.get(self.title, self.title))
        ticks = [lo, 0.0, hi] if lo < 0 < hi else [lo, hi]
        self.plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in ticks], []])
        self.plot.getViewBox().setToolTip(
            f"{self.title}: {LABELS[self.param]} keys. Double-click to add one, drag to move, "
            "Delete removes the selected key. The faint line is what the face does: the "
            "speech's own motion with the keys added.")

    def set_keyframes(self, keyframes: engine.Keyframes | None, duration: float) -> None:
        self.keyframes = keyframes if keyframes is not None else engine.Keyframes()
        self.duration = duration
        self.refresh()

    def refresh(self) -> None:
        for it in self.items:
            self.plot.removeItem(it)
        self.keys = sorted(keys_of(self.keyframes, self.param), key=lambda k: k.time)
        self.items = []
        for i, k in enumerate(self.keys):
            it = KeyItem(self, i, k)
            it.set_selected(i == self.selected)
            self.plot.addItem(it)
            self.items.append(it)
        if self.selected >= len(self.items):
            self.selected = -1
        self._draw_curve(self.keyframes)

    def _draw_curve(self, keyframes: engine.Keyframes) -> None:
        if not keys_of(keyframes, self.param) or self.duration <= 0:
            self.curve.setData([], [])
            return
        t = np.linspace(0.0, self.duration, max(64, int(self.duration * 50)))
        y = np.asarray(keyframes.evaluate(self.param, t), dtype=np.float64)
        self.curve.setData(t, y)

    def preview_curve(self, index: int, t: float, v: float) -> None:
        """While dragging: the curve as it will be once the key lands."""
        try:
            key = self.keys[index]
            self._draw_curve(self.keyframes.move(self.param, key.time, t, value=v))
        except (ValueError, IndexError, KeyError):
            pass

    def clamp(self, t: float, v: float) -> tuple[float, float]:
        lo, hi = value_range(self.param)
        return (float(min(max(t, 0.0), max(self.duration, 0.0))),
                float(min(max(v, lo), hi)))

    def select(self, index: int) -> None:
        for i, it in enumerate(self.items):
            it.set_selected(i == index)
        self.selected = index
        self.selectionChanged.emit(index)

    def index_near(self, t: float, v: float | None = None, px: float = 8.0) -> int:
        """The key within ``px`` pixels of (t, v), or -1."""
        vb = self.plot.getViewBox()
        best, best_d = -1, px
        p = vb.mapViewToScene(QPointF(t, v if v is not None else 0.0))
        for i, k in enumerate(self.keys):
            q = vb.mapViewToScene(QPointF(k.time, k.value))
            d = abs(q.x() - p.x()) if v is None else ((q.x() - p.x()) ** 2
                                                       + (q.y() - p.y()) ** 2) ** 0.5
            if d <= best_d:
                best, best_d = i, d
        return best

    # ---------------------------------------------------------------- edits
    def add_at(self, t: float, v: float, param: str | None = None) -> None:
        param = param or self.param
        if param != self.param:
            self.set_param(param)
        t, v = self.clamp(t, v)
        new = self.keyframes.add(param, t, v)
        self.selected = -1
        self.edited.emit(new, f"Add {LABELS[param]} key at {t:.2f} s")

    def move(self, index: int, t: float, v: float) -> None:
        if not 0 <= index < len(self.keys):
            return
        old = self.keys[index]
        t, v = self.clamp(t, v)
        if abs(t - old.time) < 1e-6 and abs(v - old.value) < 1e-6:
            self.refresh()
            return
        new = self.keyframes.move(self.param, old.time, t, value=v)
        self.selected = -1
        self.edited.emit(new, f"Move {LABELS[self.param]} key to {t:.2f} s")

    def delete(self, index: int) -> None:
        if not 0 <= index < len(self.keys):
            return
        new = self.keyframes.delete(self.param, self.keys[index].time)
        self.selected = -1
        self.edited.emit(new, f"Delete {LABELS[self.param]} key")

    def delete_selected(self) -> bool:
        if self.selected < 0:
            return False
        self.delete(self.selected)
        return True
