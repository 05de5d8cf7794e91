"""Frames for the preview: the frame at the playhead, rendered on a worker (latest wins)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

import engine
from gui.document import Document
from gui.preview import Preview, to_qimage
from gui.workers import LatestWins, user_message


class FrameRequests(QObject):
    """Renders the current animation's frame at the playhead at the size the preview needs."""

    failed = Signal(str)

    def __init__(self, doc: Document, preview: Preview, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.preview = preview
        self.renderer = LatestWins("preview-renderer", self)
        self.renderer.done.connect(self._rendered)
        self.renderer.error.connect(lambda _t, _g, e: self.failed.emit(user_message(e)))
        self._requested: tuple[int, int, int] | None = None
        #: (animation, frame index, long edge) on screen
        self.rendered: tuple[engine.Animation, int, int] | None = None
        preview.viewChanged.connect(self.request)

    def request(self) -> None:
        """Render the frame at the playhead; a newer request replaces a waiting one."""
        anim = self.doc.animation
        if anim is None or self.preview.fit_mode:
            return
        index = anim.frame_index(self.doc.position)
        size = self.preview.preview_long_edge()
        key = (id(anim), index, size)
        if key == self._requested:
            return
        self._requested = key

        def render() -> Any:
            return to_qimage(anim.render_index(index, size))
        self.renderer.submit(render, (anim, index, size))

    def forget(self) -> None:
        """The preview was replaced (fit mode, another portrait): render again on request."""
        self.rendered = None
        self._requested = None

    def _rendered(self, _ticket: int, tag: tuple[engine.Animation, int, int], image: Any) -> None:
        anim, index, _size = tag
        if anim is not self.doc.animation or self.preview.fit_mode:
            return
        self.preview.show_frame(image, index)
        self.rendered = tag

    def on_screen(self) -> bool:
        """True when the preview shows the current animation's frame at the playhead,
        at the size the view needs."""
        anim = self.doc.animation
        return (anim is not None and self.rendered is not None and self.rendered[0] is anim
                and self.rendered[1] == anim.frame_index(self.doc.position)
                and self.rendered[2] == self.preview.preview_long_edge())

    def shutdown(self) -> None:
        self.renderer.stop()
