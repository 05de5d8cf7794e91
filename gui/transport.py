"""The transport bar under the preview: play/pause, stop, frame step, loop, time readout."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from gui.icons import icon


def format_time(t: float) -> str:
    t = max(0.0, t)
    m, s = divmod(t, 60.0)
    return f"{int(m):02d}:{s:06.3f}"


class Transport(QWidget):
    def __init__(self, actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transport")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self._play_icon = icon("play")
        self._pause_icon = icon("pause")
        self.buttons: dict[str, QToolButton] = {}
        for name in ("home", "prev", "play", "next", "stop", "loop"):
            action: QAction = getattr(actions, name)
            action.setIcon(icon(name))
            b = QToolButton()
            b.setDefaultAction(action)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            b.setAutoRaise(True)
            b.setIconSize(QSize(22, 22))
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            lay.addWidget(b)
            self.buttons[name] = b
        self.play_action: QAction = actions.play
        lay.addSpacing(12)
        self.readout = QLabel()
        self.readout.setObjectName("timeReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.readout)
        self.frame = QLabel()
        self.frame.setObjectName("hint")
        lay.addWidget(self.frame)
        lay.addStretch(1)
        self.loop_label = QLabel()
        self.loop_label.setObjectName("hint")
        lay.addWidget(self.loop_label)
        self.set_time(0.0, 0.0, 0, 0)

    def set_playing(self, playing: bool) -> None:
        self.play_action.setIcon(self._pause_icon if playing else self._play_icon)
        self.play_action.setText("&Pause" if playing else "&Play")

    def set_time(self, t: float, duration: float, frame: int, frames: int) -> None:
        self.readout.setText(f"{format_time(t)} / {format_time(duration)}")
        self.frame.setText(f"frame {frame + 1} / {frames}" if frames else "")

    def set_loop(self, a: float, b: float, on: bool) -> None:
        self.loop_label.setText(f"loop {format_time(a)} – {format_time(b)}" if on else "")
