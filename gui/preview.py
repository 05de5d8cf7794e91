"""The preview: the frame at the playhead, fitted or zoomed, with an optional face overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

import engine
from gui import theme


def to_qimage(frame: np.ndarray) -> QImage:
    """``(h, w, 3|4) uint8`` -> a QImage that owns its pixels (safe on any thread)."""
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    ch = frame.shape[2] if frame.ndim == 3 else 1
    fmt = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888,
           4: QImage.Format.Format_RGBA8888}[ch]
    return QImage(frame.data, w, h, w * ch, fmt).copy()


def mesh_path(points: np.ndarray | None) -> QPainterPath:
    """A path of the face mesh's tessellation edges through ``points``."""
    path = QPainterPath()
    if points is None:
        return path
    pts = np.asarray(points, dtype=np.float64)[:, :2]
    for a, b in engine.MESH_EDGES:
        path.moveTo(pts[a, 0], pts[a, 1])
        path.lineTo(pts[b, 0], pts[b, 1])
    return path


class FaceBox(QGraphicsRectItem):
    def __init__(self, index: int, rect: QRectF, chosen: bool, view: Preview) -> None:
        super().__init__(rect)
        self.index = index
        self._view = view
        colour = QColor(theme.ACCENT if chosen else theme.DIM)
        pen = QPen(colour, 2 if chosen else 1.5)
        pen.setCosmetic(True)
        if not chosen:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"Face {index + 1}" + (" (animated)" if chosen else ": click to animate"))
        label = QGraphicsSimpleTextItem(f"Face {index + 1}", self)
        label.setBrush(colour)
        label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        label.setPos(rect.topLeft() + QPointF(0, -4))

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._view.faceClicked.emit(self.index)
        event.accept()


class Preview(QGraphicsView):
    """Shows frames in portrait pixel coordinates, so overlays line up at any zoom."""

    faceClicked = Signal(int)
    frameShown = Signal(int)
    #: The zoom or the viewport changed: the frame may be needed at another size.
    viewChanged = Signal()
    #: In fit mode: a click on the portrait (not on a handle), in portrait pixels.
    fitClicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QColor("#111214"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(False)  # the main window takes drops
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._pixmap)
        self._overlay = QGraphicsPathItem()
        pen = QPen(QColor(theme.MOUTH), 1.5)
        pen.setCosmetic(True)
        self._overlay.setPen(pen)
        self._overlay.setZValue(2)
        self._overlay.setVisible(False)
        self.scene().addItem(self._overlay)
        self._mesh = QGraphicsPathItem()
        pen = QPen(QColor(120, 220, 255, 150), 1.0)
        pen.setCosmetic(True)
        self._mesh.setPen(pen)
        self._mesh.setZValue(2.5)
        self._mesh.setVisible(False)
        self.scene().addItem(self._mesh)
        self.fit_mode = False
        self._boxes: list[FaceBox] = []
        self._image_size: tuple[int, int] | None = None
        self._fit = True
        self.shown_index = -1
        self.shown_image: QImage | None = None

    # --------------------------------------------------------------- content
    def has_image(self) -> bool:
        return self._image_size is not None

    def clear(self) -> None:
        self._pixmap.setPixmap(QPixmap())
        self._image_size = None
        self.shown_image = None
        self.shown_index = -1
        self.set_faces([], -1)
        self.set_landmarks(None)
        self.set_mesh(None)
        self.viewport().update()

    def set_portrait_size(self, width: int, height: int) -> None:
        new = (width, height) != self._image_size
        self._image_size = (width, height)
        self.scene().setSceneRect(QRectF(0, 0, width, height))
        if new:
            self._fit = True
            self.fit()

    def show_frame(self, image: QImage, index: int = -1) -> None:
        """Show a rendered frame; it is scaled to the portrait's pixel size."""
        if self._image_size is None:
            self.set_portrait_size(image.width(), image.height())
        pm = QPixmap.fromImage(image)
        self._pixmap.setPixmap(pm)
        w, _ = self._image_size  # type: ignore[misc]
        self._pixmap.setScale(w / max(1, image.width()))
        self.shown_index = index
        self.shown_image = image
        self.frameShown.emit(index)

    def set_landmarks(self, points: np.ndarray | None) -> None:
        path = QPainterPath()
        if points is not None:
            r = max(1.0, (self._image_size[0] if self._image_size else 512) / 400)
            for x, y in np.asarray(points)[:, :2]:
                path.addEllipse(QPointF(float(x), float(y)), r, r)
        self._overlay.setPath(path)

    def set_mesh(self, points: np.ndarray | None) -> None:
        """The face mesh (tessellation edges) through ``points`` (468, 2+) pixels."""
        self._mesh.setPath(mesh_path(points))

    def set_mesh_visible(self, on: bool) -> None:
        self._mesh.setVisible(on)

    def mesh_visible(self) -> bool:
        return self._mesh.isVisible()

    def mesh_path(self) -> QPainterPath:
        return self._mesh.path()

    def set_fit_mode(self, on: bool) -> None:
        """Fit mode: clicks place points (no hand-drag panning), the cursor is a cross."""
        self.fit_mode = on
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on
                         else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on
                                  else Qt.CursorShape.OpenHandCursor)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.fit_mode and event.button() == Qt.MouseButton.LeftButton:
            item = self.itemAt(event.position().toPoint())
            if item is None or not item.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsMovable:
                p = self.mapToScene(event.position().toPoint())
                self.fitClicked.emit(float(p.x()), float(p.y()))
                event.accept()
                return
        super().mousePressEvent(event)

    def set_overlay_visible(self, on: bool) -> None:
        self._overlay.setVisible(on)
        for b in self._boxes:
            b.setVisible(on or len(self._boxes) > 1)

    def overlay_visible(self) -> bool:
        return self._overlay.isVisible()

    def set_faces(self, boxes: list[tuple[float, float, float, float]], chosen: int) -> None:
        for b in self._boxes:
            self.scene().removeItem(b)
        self._boxes = []
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            item = FaceBox(i, QRectF(x0, y0, x1 - x0, y1 - y0), i == chosen, self)
            item.setZValue(3)
            item.setVisible(self._overlay.isVisible() or len(boxes) > 1)
            self.scene().addItem(item)
            self._boxes.append(item)

    # ------------------------------------------------------------------ zoom
    def preview_long_edge(self) -> int:
        """Long edge, in device pixels, worth rendering for the current view."""
        if self._image_size is None:
            return 512
        vp = self.viewport().size()
        dpr = self.devicePixelRatioF()
        w, h = self._image_size
        scale = min(vp.width() / w, vp.height() / h) if self._fit else self.transform().m11()
        edge = max(w, h) * scale * dpr
        if edge >= max(w, h) * 0.9:  # at or near actual pixels: the portrait's own resolution
            return max(w, h)
        edge = int(max(edge, min(256, max(w, h))))
        return max(64, (edge + 63) // 64 * 64)

    def fit(self) -> None:
        self._fit = True
        if self._image_size is not None:
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.viewChanged.emit()

    def zoom(self, factor: float) -> None:
        self._fit = False
        current = self.transform().m11()
        factor = min(max(current * factor, 0.05), 16.0) / current
        self.scale(factor, factor)
        self.viewChanged.emit()

    def actual_size(self) -> None:
        """One portrait pixel per screen pixel (the frame is rendered at full size)."""
        self._fit = False
        dpr = self.devicePixelRatioF()
        self.resetTransform()
        self.scale(1 / dpr, 1 / dpr)
        self.viewChanged.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if self._image_size is None:
            return
        steps = event.angleDelta().y() / 120.0
        self.zoom(1.15 ** steps)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        if self._image_size is not None:
            return
        painter.save()
        painter.resetTransform()
        vr = self.viewport().rect()
        painter.setPen(QPen(QColor("#3a3d42"), 2, Qt.PenStyle.DashLine))
        painter.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        painter.drawRoundedRect(vr.adjusted(24, 24, -24, -24), 12, 12)
        painter.setPen(QColor(theme.DIM))
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.4)
        painter.setFont(f)
        painter.drawText(vr, Qt.AlignmentFlag.AlignCenter,
                         "Drop a portrait and a voice recording here\n"
                         "or use File ▸ Open Portrait… and File ▸ Open Audio…")
        painter.restore()
