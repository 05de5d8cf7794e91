"""Placing the face by hand: click the named points in order, drag handles, see the mesh, apply.

The preview enters *fit mode*: the portrait's still image is shown, the banner
asks for the next point ("Click the outer corner of the right eye, 1 of 9"),
each click drops a handle there. Once every point is placed the fitted
468-point mesh is drawn over the portrait and follows any handle the artist
drags. *Apply* rigs the portrait with
``analyse_portrait(image, landmarks=fit_face(points, shape))`` on a worker and
pushes the result onto the undo stack; the animation then works as for a
detected face, and the points are saved in the project.

The fitter gets the document, the preview it draws on, the loader that rigs
the result and the notices it talks through; not the window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QPen, QShortcut
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsSimpleTextItem

import engine
from gui import theme
from gui.document import Document
from gui.notices import Notices
from gui.preview import Preview, to_qimage

if TYPE_CHECKING:
    from gui.loading import Loader


def point_names() -> tuple[str, ...]:
    """The required points, in the order the artist places them."""
    return tuple(engine.FIT_POINTS)


def extra_names() -> tuple[str, ...]:
    """Optional eyelid handles: they follow the fit until the artist drags one."""
    return tuple(engine.EXTRA_POINTS)


def point_label(name: str) -> str:
    return str(engine.POINT_LABELS.get(name, name.replace("_", " ")))


def points_from_landmarks(landmarks: np.ndarray) -> dict[str, tuple[float, float]]:
    """The required points read off a detected or fitted face (to correct its fit)."""
    lm = np.asarray(landmarks)
    return {name: (float(lm[i, 0]), float(lm[i, 1])) for name, i in engine.FIT_POINTS.items()}


class Handle(QGraphicsEllipseItem):
    """A draggable point; a constant size on screen whatever the zoom."""

    R = 6.0

    def __init__(self, fitter: FaceFitter, name: str, number: int, auto: bool = False) -> None:
        r = self.R if not auto else self.R - 1.5
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r))
        self.fitter = fitter
        self.name = name
        self.auto = auto   # an eyelid handle that follows the fit until dragged
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        pen = QPen(QColor("#15161a"), 1.5)
        self.setPen(pen)
        self.setBrush(QBrush(QColor(theme.ACCENT if auto else theme.BLINK)))
        self.setZValue(6)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip(f"{point_label(name)}: drag to adjust"
                        if auto else f"{number}. {point_label(name)}: drag to adjust")
        if not auto:
            label = QGraphicsSimpleTextItem(str(number), self)
            label.setBrush(QColor("#ffffff"))
            label.setPos(self.R + 1, -self.R - 12)

    # No itemChange override: PySide6 6.12 mis-counts references there (see
    # gui/pyside_workaround.py); the mouse handlers report moves instead.
    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().mouseMoveEvent(event)
        self.fitter.handle_moved(self)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().mouseReleaseEvent(event)
        self.fitter.handle_moved(self)


class FaceFitter(QObject):
    """Fit mode of the preview, driven by the main window."""

    activeChanged = Signal(bool)
    #: Fit mode ended: the preview should show the portrait's frame again.
    left = Signal()

    def __init__(self, doc: Document, preview: Preview, notices: Notices, loader: Loader,
                 pause: Callable[[], None]) -> None:
        super().__init__(preview)
        self.doc = doc
        self.preview = preview
        self.notices = notices
        self.loader = loader
        self.pause = pause
        self.active = False
        self.image: Any = None           # engine.Image being fitted
        self.path: Path | None = None
        self.points: dict[str, tuple[float, float]] = {}
        self.handles: dict[str, Handle] = {}
        self.landmarks: np.ndarray | None = None   # the live fit, (468, 3)
        self.fit_error: str | None = None
        self._shown_prompt: tuple | None = None
        self._prompt_shown = False
        self._mesh_timer = QTimer(self)
        self._mesh_timer.setSingleShot(True)
        self._mesh_timer.setInterval(0)
        self._mesh_timer.timeout.connect(self._refit)
        preview.fitClicked.connect(self.place)
        doc.portraitChanged.connect(self._portrait_replaced)
        # Esc leaves fit mode, Enter applies (only while fitting).
        self._keys = [QShortcut(QKeySequence(k), preview) for k in ("Esc", "Return")]
        self._keys[0].activated.connect(self.cancel)
        self._keys[1].activated.connect(self.apply)
        for sc in self._keys:
            sc.setEnabled(False)

    # ------------------------------------------------------------------ mode
    def start(self, image: Any = None, path: Path | None = None,
              points: dict | None = None) -> bool:
        """Enter fit mode on ``image`` (default: the loaded portrait's)."""
        doc = self.doc
        if image is None:
            if doc.portrait is None:
                self.notices.show("Open a portrait first.", "warning")
                return False
            image, path = doc.portrait.image, doc.portrait_path
            if points is None:
                points = doc.face_points or points_from_landmarks(doc.portrait.landmarks)
        self.pause()
        self._clear_handles()
        self.active = True
        self.image, self.path = image, Path(path) if path else None
        pv = self.preview
        h, w = image.rgb.shape[:2]
        pv.set_faces([], -1)
        pv.set_landmarks(None)
        pv.set_portrait_size(w, h)
        pv.show_frame(to_qimage(image.rgb), -1)
        pv.set_fit_mode(True)
        pv.set_mesh(None)
        pv.set_mesh_visible(True)
        for name, (x, y) in (points or {}).items():
            if name in point_names() or name in extra_names():
                self._add_handle(name, float(x), float(y))
        self._refit()
        self._prompt()
        for sc in self._keys:
            sc.setEnabled(True)
        self.activeChanged.emit(True)
        return True

    def cancel(self) -> None:
        if not self.active:
            return
        self._leave()
        self.notices.say("Face placement cancelled.", 4000)

    def _portrait_replaced(self) -> None:
        """Another portrait (or an undo) replaced the one being fitted: fit mode ends."""
        if self.active and (self.doc.portrait is None or self.doc.portrait.image is not self.image):
            self.cancel()

    def _leave(self) -> None:
        self.active = False
        self._shown_prompt, self._prompt_shown = None, False
        for sc in self._keys:
            sc.setEnabled(False)
        self._clear_handles()
        self.landmarks = None
        self.preview.set_fit_mode(False)
        self.notices.dismiss()
        self.left.emit()
        self.activeChanged.emit(False)

    def _clear_handles(self) -> None:
        scene = self.preview.scene()
        for h in self.handles.values():
            scene.removeItem(h)
        self.handles = {}
        self.points = {}

    # ---------------------------------------------------------------- points
    def next_name(self) -> str | None:
        for name in point_names():
            if name not in self.points:
                return name
        return None

    def place(self, x: float, y: float) -> None:
        """A click in fit mode: place the next point there."""
        if not self.active:
            return
        name = self.next_name()
        if name is None:
            return  # every point placed: drag handles to adjust
        h, w = self.image.rgb.shape[:2]
        self._add_handle(name, min(max(x, 0.0), w - 1.0), min(max(y, 0.0), h - 1.0))
        self._mesh_timer.start()
        self._prompt()

    def _add_handle(self, name: str, x: float, y: float, auto: bool = False) -> None:
        names = point_names()
        number = names.index(name) + 1 if name in names else 0
        handle = Handle(self, name, number, auto)
        handle.setPos(QPointF(x, y))
        self.preview.scene().addItem(handle)
        self.handles[name] = handle
        if not auto:
            self.points[name] = (x, y)

    def move_point(self, name: str, x: float, y: float) -> None:
        """Move a placed point (what dragging its handle does)."""
        self.handles[name].setPos(QPointF(x, y))
        self.handle_moved(self.handles[name])

    def handle_moved(self, handle: Handle) -> None:
        if handle.auto:   # dragged: from now on the artist's
            handle.auto = False
            handle.setBrush(QBrush(QColor(theme.BLINK)))
        p = handle.pos()
        self.points[handle.name] = (float(p.x()), float(p.y()))
        self._mesh_timer.start()

    def complete(self) -> bool:
        return self.next_name() is None

    def _follow_fit(self) -> None:
        """Eyelid handles not yet dragged sit on the fitted lids."""
        if self.landmarks is None:
            return
        extras = engine.EXTRA_POINTS
        for name in extra_names():
            x, y = (float(v) for v in self.landmarks[extras[name], :2])
            h = self.handles.get(name)
            if h is None:
                self._add_handle(name, x, y, auto=True)
            elif h.auto:
                h.setPos(QPointF(x, y))

    def _refit(self) -> None:
        self.landmarks = None
        self.fit_error = None
        if self.active and self.complete():
            try:
                self.landmarks = np.asarray(
                    engine.fit_face(dict(self.points), self.image.rgb.shape))
            except (engine.TalkieError, ValueError) as exc:
                self.fit_error = getattr(exc, "message", None) or str(exc)
        self._follow_fit()
        self.preview.set_mesh(self.landmarks)
        if self.complete():
            self._prompt()

    def _prompt(self) -> None:
        name = self.next_name()
        state = (name, len(self.points), self.fit_error)
        if state == self._shown_prompt and self._prompt_shown:
            return
        self._shown_prompt = state
        n = len(point_names())
        actions = [("Cancel", self.cancel)]
        if name is not None:
            done = len(self.points)
            text = (f"Place the face by hand: click the <b>{point_label(name)}</b> "
                    f"({done + 1} of {n}).")
            self.notices.say(f"Click the {point_label(name)} ({done + 1} of {n})", 0)
        elif self.fit_error:
            text = f"These points do not make a face: {self.fit_error} Drag them to adjust."
        else:
            text = ("All points placed. Drag any point (blue: eyelids) to adjust; Apply when "
                    "the mesh sits on the face.")
            self.notices.say("Drag any point to adjust the fit", 0)
            actions = [("Apply", self.apply), ("Cancel", self.cancel)]
        self.notices.show(text, "info", actions, timeout_ms=0)
        self._prompt_shown = True

    # ----------------------------------------------------------------- apply
    def apply(self) -> None:
        """Rig the portrait with the fitted face (on a worker), as one undoable step."""
        if not self.active or not self.complete():
            return
        self._refit()
        if self.landmarks is None:
            self._prompt()
            return
        image, path, points = self.image, self.path, dict(self.points)
        landmarks = self.landmarks.copy()
        self._leave()
        self.loader.apply_fit(image, path, points, landmarks)
