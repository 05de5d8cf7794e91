"""The studio window's widgets showing the document: one slot per document signal.

:class:`WindowDisplay` connects the :class:`gui.document.Document`'s signals to
the window's preview, timeline, inspector, transport and live spectrogram, and
keeps the actions' enabled state and the window title in step with it. It
changes no state: edits go through the controllers and the undo stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gui.preview import to_qimage

if TYPE_CHECKING:
    from gui.main_window import MainWindow


class WindowDisplay:
    def __init__(self, window: MainWindow) -> None:
        self.w = window

    def connect(self) -> None:
        """Show every change of the document in the window's widgets."""
        w, d = self.w, self.w.doc
        d.portraitChanged.connect(self.portrait_changed)
        d.faceFitChanged.connect(self.portrait_changed)
        d.audioChanged.connect(self.audio_changed)
        d.settingsChanged.connect(lambda: w.inspector.set_settings(d.settings))
        d.outputChanged.connect(lambda: w.inspector.set_output(d.output))
        d.blinksChanged.connect(self.blinks_changed)
        d.keyframesChanged.connect(lambda: w.timeline.set_keyframes(d.keyframes))
        d.animationChanged.connect(self.animation_changed)
        d.positionChanged.connect(lambda _t: self.show_position())
        d.loopChanged.connect(self.loop_changed)
        d.dirtyChanged.connect(lambda _: self.update_title())
        d.projectChanged.connect(self.update_title)

    def portrait_changed(self) -> None:
        w = self.w
        p = w.doc.portrait
        w.frames.forget()
        w.statusBar().clearMessage()
        if p is None:
            w.preview.clear()
            w.inspector.set_portrait(None)
            w.inspector.set_face_note("")
            self.update_enabled()
            return
        width, height = p.size
        w.preview.set_portrait_size(width, height)
        w.preview.show_frame(to_qimage(p.image.rgb), -1)
        w.preview.set_landmarks(p.landmarks)
        w.preview.set_mesh(p.landmarks)
        w.preview.set_faces([(float(f.box[0]), float(f.box[1]), float(f.box[2]),
                              float(f.box[3])) for f in p.faces], p.face_index)
        w.inspector.set_portrait(Path(p.image.path).name, width, height, len(p.faces),
                                 p.face_index)
        w.inspector.set_fitted(w.doc.face_points is not None or p.face_index < 0)
        w.inspector.set_face_note(" ".join(p.warnings))
        self.update_enabled()
        w.frames.request()

    def audio_changed(self) -> None:
        w = self.w
        a = w.doc.audio
        if a is None:
            w.timeline.set_audio(None, 16000, None)
            w.player.set_audio(None, 16000)
            w.inspector.set_audio(None)
            self.update_enabled()
            return
        au = a.audio
        w.timeline.set_audio(au.samples, au.sample_rate, w.doc.spectrogram)
        w.timeline.set_phones(a.phones)
        w.timeline.set_keyframes(w.doc.keyframes)
        if au.original is not None:
            w.player.set_audio(au.original, au.original_rate)
        else:
            w.player.set_audio(au.samples, au.sample_rate)
        w.inspector.set_audio(Path(au.path).name, au.duration, au.original_rate, au.channels)
        w.doc.set_position(min(w.doc.position, au.duration))
        self.loop_changed()
        self.show_position()
        self.update_enabled()

    def blinks_changed(self) -> None:
        self.w.timeline.set_blinks(self.w.doc.blink_events(), self.w.doc.settings.blink_duration)

    def animation_changed(self) -> None:
        w = self.w
        anim = w.doc.animation
        self.update_enabled()
        if anim is None:
            return
        w.timeline.set_mouth(anim.motion.mouth_open, anim.fps)
        w.timeline.set_motion(anim.motion, anim.fps)
        w.timeline.set_blinks(w.doc.blink_events(), anim.settings.blink_duration)
        source = "GAN" if anim.motion_source == "gan" else "phonetic"
        w.motion_label.setText(f"motion: {source} · {anim.frame_count} frames "
                               f"@ {anim.fps} fps")
        w.inspector.set_motion_note(" ".join(anim.warnings))
        self.show_position()

    def loop_changed(self) -> None:
        w = self.w
        loop, on = w.doc.loop, w.doc.looping
        a, b = loop if loop is not None else (0.0, 0.0)
        w.timeline.set_loop(a, b, on)
        w.transport.set_loop(a, b, on)
        action = w.actions_.loop
        action.blockSignals(True)
        action.setChecked(on)
        action.blockSignals(False)

    def show_position(self) -> None:
        w = self.w
        t = w.doc.position
        w.timeline.set_position(t)
        w.live.show_at(w.doc.spectrogram, t)
        anim = w.doc.animation
        frames = anim.frame_count if anim is not None else 0
        index = anim.frame_index(t) if anim is not None else 0
        w.transport.set_time(t, w.doc.duration, index, frames)
        w.frames.request()

    def playing_changed(self, playing: bool) -> None:
        w = self.w
        w.transport.set_playing(playing)
        if playing:
            w.live.follow(w.doc.spectrogram, w.player.position)
        else:
            w.live.stop()

    def update_enabled(self) -> None:
        w, acts = self.w, self.w.actions_
        has_anim = w.doc.animation is not None
        for a in (acts.export, acts.add_blink, acts.regen_blinks):
            a.setEnabled(has_anim)
        acts.place_face.setEnabled(w.doc.portrait is not None)
        w.inspector.place_face.setEnabled(w.doc.portrait is not None)
        has_audio = w.doc.audio is not None
        for a in (acts.play, acts.stop, acts.loop):
            a.setEnabled(has_audio)

    def update_title(self) -> None:
        name = self.w.doc.project_path.name if self.w.doc.project_path else "Untitled"
        self.w.setWindowTitle(f"{name}[*] — Talkie")
        self.w.setWindowModified(self.w.doc.dirty)
