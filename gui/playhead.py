"""The playhead and the loop: seeking, stepping, playing, looping.

The position and the loop live in the document (they are saved with the
project and belong to it); this controller moves them and drives the
:class:`gui.playback.Player`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from gui.document import Document
from gui.playback import Player


class Playhead(QObject):
    def __init__(self, doc: Document, player: Player, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.player = player
        player.positionChanged.connect(doc.set_position)
        doc.loopChanged.connect(self._loop_changed)
        doc.projectChanged.connect(self._project_changed)
        doc.audioChanged.connect(self._project_changed)

    def seek(self, t: float) -> None:
        self.doc.set_position(t)
        self.player.seek(self.doc.position)

    def step(self, frames: int) -> None:
        self.player.pause()
        fps = self.doc.fps
        k = int(self.doc.position * fps + 1e-6) + frames
        self.seek(max(0, k) / fps)

    def toggle_play(self) -> None:
        if self.player.playing:
            self.player.pause()
        elif self.doc.audio is not None:
            self.player.play(self.doc.position)

    def stop(self) -> None:
        self.player.stop()
        loop = self.doc.loop
        self.seek(loop[0] if loop is not None and self.doc.looping else 0.0)

    def set_loop_in(self) -> None:
        t = self.doc.position
        end = self.doc.loop[1] if self.doc.loop is not None else self.doc.duration
        self.doc.set_loop((t, max(end, t + 0.1)), looping=True)

    def set_loop_out(self) -> None:
        t = self.doc.position
        start = self.doc.loop[0] if self.doc.loop is not None else 0.0
        self.doc.set_loop((min(start, t - 0.1), t), looping=True)

    def set_looping(self, on: bool) -> None:
        loop = self.doc.loop if self.doc.loop is not None else (0.0, self.doc.duration)
        self.doc.set_loop(loop, looping=on)

    def loop_dragged(self, a: float, b: float) -> None:
        self.doc.set_loop((a, b))

    def _loop_changed(self) -> None:
        self.player.set_loop(self.doc.loop if self.doc.looping else None)

    def _project_changed(self) -> None:
        """Another project or voice track: the player follows the document's playhead."""
        self.player.stop()
        self.player.seek(self.doc.position)
        self._loop_changed()
