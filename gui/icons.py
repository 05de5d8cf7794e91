"""Transport icons drawn as vector paths, crisp at any device pixel ratio."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from gui import theme


def _path(name: str) -> QPainterPath:
    p = QPainterPath()

    def tri(x0: float, x1: float) -> None:
        p.moveTo(x0, 4)
        p.lineTo(x1, 12)
        p.lineTo(x0, 20)
        p.closeSubpath()

    def back(x0: float, x1: float) -> None:
        p.moveTo(x1, 4)
        p.lineTo(x0, 12)
        p.lineTo(x1, 20)
        p.closeSubpath()

    if name == "play":
        tri(7, 19)
    elif name == "pause":
        p.addRect(QRectF(6, 5, 4, 14))
        p.addRect(QRectF(14, 5, 4, 14))
    elif name == "stop":
        p.addRect(QRectF(6, 6, 12, 12))
    elif name == "next":
        tri(6, 15)
        p.addRect(QRectF(16, 5, 2.5, 14))
    elif name == "prev":
        back(9, 18)
        p.addRect(QRectF(5.5, 5, 2.5, 14))
    elif name == "home":
        back(8, 14)
        back(14, 20)
        p.addRect(QRectF(4.5, 5, 2.5, 14))
    return p


def icon(name: str, colour: str = theme.TEXT) -> QIcon:
    ic = QIcon()
    for scale in (1, 2, 3):
        pm = QPixmap(24 * scale, 24 * scale)
        pm.setDevicePixelRatio(scale)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if name == "loop":
            pen = QPen(QColor(colour), 2.2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawArc(QRectF(5, 6, 14, 12), 30 * 16, 300 * 16)
            arrow = QPainterPath()
            arrow.moveTo(QPointF(17.5, 3.5))
            arrow.lineTo(QPointF(19.8, 8.8))
            arrow.lineTo(QPointF(14.2, 8.6))
            arrow.closeSubpath()
            painter.fillPath(arrow, QColor(colour))
        else:
            painter.fillPath(_path(name), QColor(colour))
        painter.end()
        ic.addPixmap(pm)
        dim = QPixmap(pm)
        dim.fill(Qt.GlobalColor.transparent)
        p2 = QPainter(dim)
        p2.setOpacity(0.3)
        p2.drawPixmap(0, 0, pm)
        p2.end()
        ic.addPixmap(dim, QIcon.Mode.Disabled)
    return ic
