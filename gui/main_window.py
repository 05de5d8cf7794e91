"""The studio window: lays out the widgets and wires them to the document and controllers.

State lives in the :class:`gui.document.Document` only. Controllers change it
and get the document (not this window): :class:`gui.loading.Loader`,
:class:`gui.project_io.ProjectController`, :class:`gui.face_fit.FaceFitter`,
:class:`gui.playhead.Playhead`, :class:`gui.frames.FrameRequests`. They talk
to the artist through :class:`gui.notices.Notices`, which this window shows
in its banner and status bar. Widgets display the document through its signals,
connected by :class:`gui.window_display.WindowDisplay`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import engine
from gui import commands
from gui.banner import Banner
from gui.document import Document
from gui.export_dialog import ExportDialog
from gui.face_fit import FaceFitter
from gui.frames import FrameRequests
from gui.inspector import Inspector
from gui.loading import Loader
from gui.menus import build_menus
from gui.notices import Action, Notices
from gui.playback import Player, sound_devices
from gui.playhead import Playhead
from gui.preview import Preview
from gui.project_io import ProjectController
from gui.recent import RecentFiles
from gui.recorder import RecordDialog
from gui.spectrogram import LiveSpectrogram
from gui.timeline import Timeline
from gui.transport import Transport
from gui.window_display import WindowDisplay
from gui.workers import Job, shutdown_all, user_message

#: The window's first size; smaller screens get the space they have (see fit_to_screen).
DEFAULT_SIZE = (1440, 900)


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("TalkieMain")
        # Import the engine now, not on a worker: a module import holds the GIL for
        # hundreds of milliseconds, which would freeze the window mid-analysis.
        _ = (engine.open_portrait, engine.Animation, engine.export, engine.load_image)
        self.setAcceptDrops(True)
        self.ask_on_close = True
        #: Keep this session's autosave when closing (quitting on a signal: offered next time).
        self.keep_autosave = False
        self.store = QSettings()
        self.doc = Document(self)
        self.undo = QUndoStack(self)
        self.notices = Notices(self)
        self.recent = RecentFiles(self.store, self)
        self.player = Player(self)
        self.playhead = Playhead(self.doc, self.player, self)
        self.loader = Loader(self.doc, self.undo, self.notices, self.recent, self)
        self.projects = ProjectController(self.doc, self.undo, self.notices, self.recent, self)
        self.export_dialog: ExportDialog | None = None
        self.last_verify: Any = None

        self.preview = Preview()
        self.banner = Banner()
        self.timeline = Timeline()
        self.inspector = Inspector()
        self.live = LiveSpectrogram()
        self.frames = FrameRequests(self.doc, self.preview, self)
        self.fitter = FaceFitter(self.doc, self.preview, self.notices, self.loader,
                                 self.player.pause)
        self.recent_menu = QMenu("Open &Recent", self)
        self.view_menu = QMenu("&View", self)
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
        self.fit_to_screen()
        self.resizeDocks([insp, live], [560, 200], Qt.Orientation.Vertical)
        self.resizeDocks([insp], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([tl], [440], Qt.Orientation.Vertical)
        self._build_status()
        self.display = WindowDisplay(self)
        self._wire()
        self.inspector.set_settings(self.doc.settings)
        self.inspector.set_output(self.doc.output)
        devices = sound_devices()
        self.actions_.record.setEnabled(devices.input)
        if not devices.input:
            self.actions_.record.setToolTip(f"Recording is unavailable: {devices.input_reason}")
            self.actions_.record.setStatusTip(self.actions_.record.toolTip())
        self._restore_layout()
        self.display.update_title()
        self.display.update_enabled()

    # ----------------------------------------------------------------- build
    def fit_to_screen(self) -> None:
        """The default size, or the screen's free area when it is smaller (a 1280×800
        laptop): a window larger than the screen hides the inspector off its edge."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        w, h = DEFAULT_SIZE
        if screen is not None:
            free = screen.availableGeometry()
            # Leave room for the title bar and frame the window manager adds.
            w, h = min(w, free.width() - 16), min(h, free.height() - 48)
            self.move(free.topLeft())
        self.resize(w, h)

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
        self.busy_cancel.clicked.connect(self.cancel_work)
        for wdg in (self.busy_label, self.busy_bar, self.busy_cancel):
            sb.addPermanentWidget(wdg)
            wdg.hide()
        self.motion_label = QLabel()
        self.motion_label.setObjectName("hint")
        sb.addPermanentWidget(self.motion_label)
        sb.showMessage("Drop a portrait and a voice track to begin.")

    def _wire(self) -> None:
        d = self.doc
        self.display.connect()
        d.problem.connect(self.notices.error)
        n = self.notices
        n.message.connect(self._show_message)
        n.status.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        n.busy.connect(self.show_busy)
        n.dismissed.connect(self.banner.dismiss)
        self.timeline.seeked.connect(self.playhead.seek)
        self.timeline.blinksEdited.connect(
            lambda ev, text: self.undo.push(commands.set_blinks(d, ev, text)))
        self.timeline.refused.connect(lambda m: self.notices.show(m, "warning"))
        self.timeline.loopChanged.connect(self.playhead.loop_dragged)
        self.timeline.keyframesEdited.connect(
            lambda kf, text: self.undo.push(commands.set_keyframes(d, kf, text)))
        self.inspector.placeFaceRequested.connect(self.place_face)
        self.inspector.settingChanged.connect(self._setting_edited)
        self.inspector.outputChanged.connect(self._output_edited)
        self.inspector.rerollRequested.connect(self.reroll_seed)
        self.inspector.regenerateBlinks.connect(self.regenerate_blinks)
        self.inspector.faceChosen.connect(self.loader.choose_face)
        self.inspector.overlayToggled.connect(self.actions_.landmarks.setChecked)
        self.preview.faceClicked.connect(self.loader.choose_face)
        self.frames.failed.connect(self.notices.error)
        self.fitter.left.connect(self.restore_preview)
        self.loader.noFace.connect(self.fitter.start)
        self.loader.projectDropped.connect(self.projects.open)
        self.loader.busyChanged.connect(lambda _: self.display.update_enabled())
        self.projects.opened.connect(self.loader.check_keys_past_end)
        self.player.positionChanged.connect(self.timeline.follow)
        self.player.playingChanged.connect(self.display.playing_changed)
        self.player.notice.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.undo.cleanChanged.connect(self._clean_changed)
        self.recent.changed.connect(self._fill_recent)

    def _clean_changed(self, clean: bool) -> None:
        if clean:
            self.doc.set_dirty(False)

    def _show_message(self, text: str, level: str, actions: list[Action], timeout: int) -> None:
        self.banner.show_message(text, level, actions, None if timeout < 0 else timeout)

    # ------------------------------------------------------------ playhead
    @property
    def position(self) -> float:
        return self.doc.position

    @property
    def loop_range(self) -> tuple[float, float] | None:
        return self.doc.loop

    def seek(self, t: float) -> None:
        self.playhead.seek(t)

    def step(self, frames: int) -> None:
        self.playhead.step(frames)

    def toggle_play(self) -> None:
        self.playhead.toggle_play()

    def stop(self) -> None:
        self.playhead.stop()

    def set_loop_in(self) -> None:
        self.playhead.set_loop_in()

    def set_loop_out(self) -> None:
        self.playhead.set_loop_out()

    def set_looping(self, on: bool) -> None:
        self.playhead.set_looping(on)

    def frame_on_screen(self) -> bool:
        """True when the preview shows the current animation's frame at the playhead."""
        return self.frames.on_screen()

    # ------------------------------------------------------------ directing
    def _setting_edited(self, name: str, value: Any, key: str) -> None:
        new = self.doc.settings.with_(**{name: value})
        if new != self.doc.settings:
            label = name.replace("_", " ")
            self.undo.push(commands.set_settings(self.doc, new, f"Change {label}", key or None))

    def _output_edited(self, name: str, value: Any) -> None:
        new = self.doc.output.with_(**{name: value})
        if new != self.doc.output:
            self.undo.push(commands.Edit(self.doc, f"Change {name}", output=new))

    def _export_choices(self, settings: engine.Settings, output: engine.OutputOptions) -> None:
        changes: dict[str, Any] = {}
        if settings != self.doc.settings:
            changes["settings"] = settings
        if output != self.doc.output:
            changes["output"] = output
        if changes:
            self.undo.push(commands.Edit(self.doc, "Export choices", **changes))

    def reroll_seed(self) -> None:
        self._setting_edited("seed", random.randrange(1, 2**31 - 1), "")

    def regenerate_blinks(self) -> None:
        self.undo.push(commands.set_blinks(self.doc, None, "Regenerate blinks"))

    def add_blink_here(self) -> None:
        if self.doc.animation is not None:
            self.timeline.blinks.add_at(self.doc.position)

    def delete_blink(self) -> None:
        """Delete the selected keyframe, else the selected blink (or the blink at the playhead)."""
        if any(kl.delete_selected() for kl in self.timeline.key_lanes):
            return
        lane = self.timeline.blinks
        if not lane.delete_selected():
            i = lane.index_at(self.doc.position)
            if i >= 0:
                lane.delete(i)

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
        self.display.portrait_changed()

    def set_overlay(self, on: bool) -> None:
        self.preview.set_overlay_visible(on)
        self.inspector.overlay.blockSignals(True)
        self.inspector.overlay.setChecked(on)
        self.inspector.overlay.blockSignals(False)

    def show_busy(self, label: str | None, fraction: float = 0.0) -> None:
        on = label is not None
        for wdg in (self.busy_label, self.busy_bar, self.busy_cancel):
            wdg.setVisible(on)
        if label is not None:
            self.busy_label.setText(label)
            self.busy_bar.setValue(int(fraction * 1000))

    def cancel_work(self) -> None:
        self.loader.cancel_all()
        if self.projects.job is not None:
            self.projects.job.cancel()

    def update_title(self) -> None:
        self.display.update_title()

    # ------------------------------------------------------ dialogs, files
    def show_export(self) -> ExportDialog | None:
        if self.doc.animation is None:
            self.notices.show("Load a portrait and a voice track before exporting.", "info")
            return None
        default_folder: Path | None = None
        if self.doc.project_path is not None:
            folder, stem = self.doc.project_path.parent, self.doc.project_path.stem
        else:
            movies = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.MoviesLocation)
            folder = default_folder = Path(movies) if movies else Path.home()
            stem = self.doc.portrait_path.stem if self.doc.portrait_path else "talkie"
        self.export_dialog = ExportDialog(self.doc, folder / f"{stem}.mp4", self,
                                          default_folder=default_folder)
        self.export_dialog.choicesMade.connect(self._export_choices)
        self.export_dialog.show()
        return self.export_dialog

    def show_record(self) -> None:
        folder = (self.doc.project_path.parent if self.doc.project_path
                  else Path(self.recent.last_dir()))
        dlg = RecordDialog(folder, self)
        dlg.recorded.connect(lambda p: self.loader.load_audio(Path(p)))
        dlg.open()

    def verify_file(self, path: Path | None = None) -> Job | None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Verify a video", self.recent.last_dir(),
                                                    "Videos (*.mp4 *.mov *.mkv *.webm);;All (*)")
            if not chosen:
                return None
            path = Path(chosen)
        checked = path
        job = Job(lambda progress, cancel: engine.verify(checked, progress=progress,
                                                         cancel=cancel), "verify")
        job.succeeded.connect(self._verified)
        job.failed.connect(lambda e: self.notices.error(user_message(e)))
        job.start()
        self.statusBar().showMessage(f"Checking {path.name}…")
        return job

    def _verified(self, result: Any) -> None:
        self.last_verify = result
        self.statusBar().clearMessage()
        box = QMessageBox(QMessageBox.Icon.Information, "Verify file", result.summary(),
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def about(self) -> None:
        QMessageBox.about(self, "About Talkie", f"Talkie {engine.__version__}\n"
                          "Animates a still portrait to speak.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.loader.open_paths(paths)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent.items()
        for p in recent:
            act = self.recent_menu.addAction(Path(p).name)
            act.setToolTip(p)
            act.triggered.connect(lambda _=False, q=p: self.loader.open_paths([Path(q)]))
        self.recent_menu.setEnabled(bool(recent))

    def _restore_layout(self) -> None:
        geometry, state = self.store.value("window/geometry"), self.store.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._fill_recent()

    # ----------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.ask_on_close and not self.keep_autosave \
                and not self.projects.may_discard("closing"):
            event.ignore()
            return
        self.store.setValue("window/geometry", self.saveGeometry())
        self.store.setValue("window/state", self.saveState())
        self.shutdown()
        if self.keep_autosave:
            self.projects.autosave()
        else:
            self.projects.clear_autosave()
        super().closeEvent(event)

    def quit_keeping_work(self) -> None:
        """Quit at once (the session is ending: SIGTERM, SIGHUP), with the work kept
        in the autosave, offered back at the next start."""
        self.keep_autosave = True
        self.close()

    def shutdown(self) -> None:
        """Stop playback, cancel work and wait for every thread (at exit only)."""
        self.player.stop()
        self.live.stop()
        self.projects.autosave_timer.stop()
        self.cancel_work()
        if self.export_dialog is not None and self.export_dialog.job is not None:
            self.export_dialog.job.cancel()
        self.frames.shutdown()
        self.doc.shutdown()
        shutdown_all()
