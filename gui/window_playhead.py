"""The playhead: seeking, frame rendering for the preview, transport and loop."""

from __future__ import annotations

from typing import Any

from gui.preview import to_qimage


class PlayheadMixin:
    """Part of :class:`gui.main_window.MainWindow`: everything that moves the playhead."""

    # ------------------------------------------------------------- playhead
    def seek(self, t: float) -> None:
        self.position = float(min(max(t, 0.0), self.doc.duration))
        self.player.seek(self.position)
        self._show_position()

    def _played(self, t: float) -> None:
        self.position = t
        self.timeline.follow(t)
        self._show_position()

    def _show_position(self) -> None:
        self.timeline.set_position(self.position)
        self.live.show_at(self.doc.spectrogram, self.position)
        anim = self.doc.animation
        frames = anim.frame_count if anim is not None else 0
        index = anim.frame_index(self.position) if anim is not None else 0
        self.transport.set_time(self.position, self.doc.duration, index, frames)
        self.request_frame()

    def request_frame(self) -> None:
        """Render the frame at the playhead on the worker; a newer request replaces it."""
        anim = self.doc.animation
        if anim is None:
            return
        index = anim.frame_index(self.position)
        size = self.preview.preview_long_edge()
        key = (id(anim), index, size)
        if key == self._requested:
            return
        self._requested = key
        self.renderer.submit(lambda: to_qimage(anim.render_index(index, size)), (anim, index))

    def _frame_rendered(self, _ticket: int, tag: tuple, image: Any) -> None:
        anim, index = tag
        if anim is not self.doc.animation or self.preview.fit_mode:
            return
        self.preview.show_frame(image, index)
        self.rendered = (anim, index)

    def frame_on_screen(self) -> bool:
        """True when the preview shows the current animation's frame at the playhead."""
        anim = self.doc.animation
        return (anim is not None and self.rendered is not None and self.rendered[0] is anim
                and self.rendered[1] == anim.frame_index(self.position))

    # ------------------------------------------------------------ transport
    def toggle_play(self) -> None:
        if self.player.playing:
            self.player.pause()
        elif self.doc.audio is not None:
            self.player.play(self.position)

    def stop(self) -> None:
        self.player.stop()
        self.seek(self.loop_range[0] if self.actions_.loop.isChecked() else 0.0)

    def step(self, frames: int) -> None:
        self.player.pause()
        fps = self.doc.fps
        k = int(self.position * fps + 1e-6) + frames
        self.seek(max(0, k) / fps)

    def _playing_changed(self, playing: bool) -> None:
        self.transport.set_playing(playing)
        if playing:
            self.live.follow(self.doc.spectrogram, self.player.position)
        else:
            self.live.stop()

    def set_loop_in(self) -> None:
        self._set_loop(self.position, max(self.loop_range[1], self.position + 0.1))

    def set_loop_out(self) -> None:
        self._set_loop(min(self.loop_range[0], self.position - 0.1), self.position)

    def _set_loop(self, a: float, b: float) -> None:
        self.loop_range = (max(0.0, a), min(self.doc.duration, b))
        self.actions_.loop.setChecked(True)
        self.set_looping(True)

    def _loop_dragged(self, a: float, b: float) -> None:
        self.loop_range = (a, b)
        self.set_looping(self.actions_.loop.isChecked())

    def set_looping(self, on: bool) -> None:
        a, b = self.loop_range
        self.timeline.set_loop(a, b, on)
        self.player.set_loop((a, b) if on else None)
        self.transport.set_loop(a, b, on)

