"""The studio window: preview, inspector, timeline, transport; wires the pieces together."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import engine
from gui.banner import Banner
from gui.commands import SetBlinks, SetKeyframes, SetSettings
from gui.document import Document
from gui.export_dialog import ExportDialog
from gui.face_fit import FaceFitter
from gui.inspector import Inspector
from gui.loading import Loader
from gui.menus import build_menus
from gui.playback import Player, sound_devices
from gui.preview import Preview, to_qimage
from gui.project_io import ProjectController
from gui.spectrogram import LiveSpectrogram
from gui.timeline import Timeline
from gui.transport import Transport
from gui.window_files import FilesMixin
from gui.window_playhead import PlayheadMixin
from gui.workers import LatestWins, shutdown_all, user_message


class MainWindow(PlayheadMixin, FilesMixin, QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("TalkieMain")
        # Import the engine now, not on a worker: a module import holds the GIL for
        # hundreds of milliseconds, which would freeze the window mid-analysis.
        _ = (engine.analyse_portrait, engine.Animation, engine.export, engine.load_image)
        self.setAcceptDrops(True)
        self.ask_on_close = True
        self.doc = Document(self)
        self.undo = QUndoStack(self)
        self.player = Player(self)
        self.loader = Loader(self)
        self.projects = ProjectController(self)
        self.renderer = LatestWins("preview-renderer", self)
        self.renderer.done.connect(self._frame_rendered)
        self.renderer.error.connect(lambda _t, _g, e: self.banner.show_message(
            user_message(e), "error"))
        self.position = 0.0
        self._requested: tuple | None = None
        self.rendered: tuple | None = None   # (animation, frame index) on screen
        self.export_dialog: ExportDialog | None = None
        self.last_verify: Any = None
        self.loop_range = (0.0, 0.0)

        self.preview = Preview()
        self.banner = Banner()
        self.timeline = Timeline()
        self.inspector = Inspector()
        self.live = LiveSpectrogram()
        self.fitter = FaceFitter(self)
        self.actions_ = build_menus(self)
        self.transport = Transport(self.actions_)
        centre = QWidget()
        col = QVBoxLayout(centre)
        col.setContentsMargins(6, 6, 6, 0)
        col.setSpacing(4)
        col.addWidget(self.banner)
        col.addWidget(self.preview, 1)
        col.addWidget(self.transport)
        self.setCentralWidget(centre)
        insp = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        live = self._dock("Live spectrogram", self.live, Qt.DockWidgetArea.RightDockWidgetArea)
        tl = self._dock("Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resize(1440, 900)
        self.resizeDocks([insp, live], [560, 200], Qt.Orientation.Vertical)
        self.resizeDocks([insp], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([tl], [440], Qt.Orientation.Vertical)
        self._build_status()
        self._wire()
        self.inspector.set_settings(self.doc.settings)
        devices = sound_devices()
        self.actions_.record.setEnabled(devices.input)
        if not devices.input:
            self.actions_.record.setToolTip(f"Recording is unavailable: {devices.input_reason}")
            self.actions_.record.setStatusTip(self.actions_.record.toolTip())
        self._restore_layout()
        self.update_title()
        self._update_enabled()

    # ----------------------------------------------------------------- build
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "") + "Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.busy_label = QLabel()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 1000)
        self.busy_bar.setMaximumWidth(180)
        self.busy_cancel = QToolButton()
        self.busy_cancel.setText("Cancel")
        self.busy_cancel.clicked.connect(self.loader.cancel_all)
        for wdg in (self.busy_label, self.busy_bar, self.busy_cancel):
            sb.addPermanentWidget(wdg)
            wdg.hide()
        self.motion_label = QLabel()
        self.motion_label.setObjectName("hint")
        sb.addPermanentWidget(self.motion_label)
        sb.showMessage("Drop a portrait and a voice track to begin.")

    def _wire(self) -> None:
        d = self.doc
        d.portraitChanged.connect(self._portrait_changed)
        d.audioChanged.connect(self._audio_changed)
        d.settingsChanged.connect(lambda: self.inspector.set_settings(d.settings))
        d.blinksChanged.connect(self._blinks_changed)
        d.keyframesChanged.connect(lambda: self.timeline.set_keyframes(d.keyframes))
        d.animationChanged.connect(self._animation_changed)
        d.dirtyChanged.connect(lambda _: self.update_title())
        d.problem.connect(lambda m: self.banner.show_message(m, "error"))
        self.timeline.seeked.connect(self.seek)
        self.timeline.blinksEdited.connect(
            lambda ev, text: self.undo.push(SetBlinks(d, ev, text)))
        self.timeline.loopChanged.connect(self._loop_dragged)
        self.timeline.keyframesEdited.connect(
            lambda kf, text: self.undo.push(SetKeyframes(d, kf, text)))
        self.inspector.placeFaceRequested.connect(self.place_face)
        self.inspector.settingChanged.connect(self._setting_edited)
        self.inspector.rerollRequested.connect(self.reroll_seed)
        self.inspector.regenerateBlinks.connect(self.regenerate_blinks)
        self.inspector.faceChosen.connect(self.choose_face)
        self.inspector.overlayToggled.connect(self.actions_.landmarks.setChecked)
        self.preview.faceClicked.connect(self.choose_face)
        self.player.positionChanged.connect(self._played)
        self.player.playingChanged.connect(self._playing_changed)
        self.player.notice.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.undo.cleanChanged.connect(self._clean_changed)
        self.loader.busyChanged.connect(lambda _: self._update_enabled())

    # ------------------------------------------------------------- document
    def _clean_changed(self, clean: bool) -> None:
        if clean:
            self.doc.set_dirty(False)

    def _portrait_changed(self) -> None:
        p = self.doc.portrait
        self.rendered = None
        self.statusBar().clearMessage()
        if p is None:
            self.preview.clear()
            self.inspector.set_portrait(None)
            return
        w, h = p.size
        self.preview.set_portrait_size(w, h)
        self.preview.show_frame(to_qimage(p.image.rgb), -1)
        self.preview.set_landmarks(p.landmarks)
        self.preview.set_mesh(p.landmarks)
        self.preview.set_faces([tuple(map(float, f.box)) for f in p.faces], p.face_index)
        self.inspector.set_portrait(Path(p.image.path).name, w, h, len(p.faces), p.face_index)
        self.inspector.set_fitted(self.doc.face_points is not None or p.face_index < 0)
        self._update_enabled()

    def _audio_changed(self) -> None:
        a = self.doc.audio
        if a is None:
            self.timeline.set_audio(None, 16000, None)
            self.player.set_audio(None, 16000)
            self.inspector.set_audio(None)
            return
        au = a.audio
        self.timeline.set_audio(au.samples, au.sample_rate, self.doc.spectrogram)
        self.timeline.set_phones(a.phones)
        self.timeline.set_keyframes(self.doc.keyframes)
        if au.original is not None:
            self.player.set_audio(au.original, au.original_rate)
        else:
            self.player.set_audio(au.samples, au.sample_rate)
        self.inspector.set_audio(Path(au.path).name, au.duration, au.original_rate, au.channels)
        self.loop_range = (0.0, au.duration)
        self.seek(min(self.position, au.duration))
        self._update_enabled()

    def _blinks_changed(self) -> None:
        if self.doc.blinks is not None:
            self.timeline.set_blinks(self.doc.blinks, self.doc.settings.blink_duration)

    def _animation_changed(self) -> None:
        anim = self.doc.animation
        self._update_enabled()
        if anim is None:
            return
        self.timeline.set_mouth(anim.motion.mouth_open, anim.fps)
        self.timeline.set_blinks(self.doc.blink_events(), anim.settings.blink_duration)
        source = "GAN" if anim.motion_source == "gan" else "phonetic"
        self.motion_label.setText(f"motion: {source} · {anim.frame_count} frames "
                                  f"@ {anim.fps} fps")
        self.inspector.set_motion_note(" ".join(anim.warnings))
        self._show_position()
        self.update_title()

    # ------------------------------------------------------------ directing
    def _setting_edited(self, name: str, value: Any, key: str) -> None:
        new = self.doc.settings.with_(**{name: value})
        if new != self.doc.settings:
            label = name.replace("_", " ")
            self.undo.push(SetSettings(self.doc, new, f"Change {label}", key or None))

    def reroll_seed(self) -> None:
        self._setting_edited("seed", random.randrange(1, 2**31 - 1), "")

    def regenerate_blinks(self) -> None:
        self.undo.push(SetBlinks(self.doc, None, "Regenerate blinks"))

    def add_blink_here(self) -> None:
        if self.doc.animation is not None:
            self.timeline.blinks.add_at(self.position)

    def delete_blink(self) -> None:
        """Delete the selected keyframe, else the selected blink (or the blink at the playhead)."""
        if any(kl.delete_selected() for kl in self.timeline.key_lanes):
            return
        lane = self.timeline.blinks
        if not lane.delete_selected():
            i = lane.index_at(self.position)
            if i >= 0:
                lane.delete(i)

    def choose_face(self, index: int) -> None:
        p = self.doc.portrait
        if p is None or index == p.face_index or not 0 <= index < len(p.faces):
            return
        image, path = p.image, self.doc.portrait_path

        def work(progress, cancel) -> Any:
            return engine.analyse_portrait(image, index)
        self.loader._run("portrait", work, lambda r: self.loader._portrait_done(path, r, None),
                         f"Rigging face {index + 1}…")

    def add_key(self, param: str, t: float, value: float) -> None:
        """Add a keyframe (what a double-click in its lane does)."""
        self.timeline.lane_of(param).add_at(t, value, param)

    def place_face(self) -> None:
        """Enter fit mode on the loaded portrait (adjusting its current face)."""
        self.fitter.start()

    def set_mesh_visible(self, on: bool) -> None:
        self.preview.set_mesh_visible(on or self.fitter.active)

    def restore_preview(self) -> None:
        """Back from fit mode: the portrait's overlays and the frame at the playhead."""
        self.preview.set_mesh_visible(self.actions_.mesh.isChecked())
        self._portrait_changed()
        if self.doc.portrait is None:
            return
        self.rendered = None
        self._requested = None
        self.request_frame()

    def set_overlay(self, on: bool) -> None:
        self.preview.set_overlay_visible(on)
        self.inspector.overlay.blockSignals(True)
        self.inspector.overlay.setChecked(on)
        self.inspector.overlay.blockSignals(False)

    def show_busy(self, label: str | None, fraction: float = 0.0) -> None:
        on = label is not None
        for wdg in (self.busy_label, self.busy_bar, self.busy_cancel):
            wdg.setVisible(on)
        if on:
            self.busy_label.setText(label)
            self.busy_bar.setValue(int(fraction * 1000))

    def _update_enabled(self) -> None:
        has_anim = self.doc.animation is not None
        for a in (self.actions_.export, self.actions_.add_blink, self.actions_.regen_blinks):
            a.setEnabled(has_anim)
        self.actions_.place_face.setEnabled(self.doc.portrait is not None)
        self.inspector.place_face.setEnabled(self.doc.portrait is not None)
        has_audio = self.doc.audio is not None
        for a in (self.actions_.play, self.actions_.stop, self.actions_.loop):
            a.setEnabled(has_audio)

    def update_title(self) -> None:
        name = self.doc.project_path.name if self.doc.project_path else "Untitled"
        self.setWindowTitle(f"{name}[*] — Talkie")
        self.setWindowModified(self.doc.dirty)

    # ------------------------------------------------ drops, settings, close
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.doc.dirty and self.ask_on_close:
            answer = QMessageBox.question(
                self, "Talkie", "Save the changes to this project before closing?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.projects.save()):
                event.ignore()
                return
        s = self.settings_store()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        self.shutdown()
        self.projects.clear_recovery()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop playback, cancel work and wait for every thread."""
        self.player.stop()
        self.live.stop()
        self.projects.autosave_timer.stop()
        self.loader.cancel_all()
        if self.export_dialog is not None and self.export_dialog.job is not None:
            self.export_dialog.job.cancel()
        self.renderer.stop()
        self.doc.shutdown()
        shutdown_all()


