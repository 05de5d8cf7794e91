"""The window's actions and menus, with standard shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from gui.main_window import MainWindow

SK = QKeySequence.StandardKey


def _act(w: MainWindow, text: str, slot: Callable[..., Any],
         shortcut: str | QKeySequence.StandardKey | None = None, tip: str = "",
         checkable: bool = False) -> QAction:
    a = QAction(text, w)
    if shortcut is not None:
        a.setShortcut(QKeySequence(shortcut) if isinstance(shortcut, str) else shortcut)
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(tip)
    a.setCheckable(checkable)
    if checkable:
        a.toggled.connect(slot)
    else:
        def run(_checked: bool = False) -> None:
            slot()  # PySide must not see a slot's return value

        a.triggered.connect(run)
    w.addAction(a)
    return a


def build_menus(w: MainWindow) -> SimpleNamespace:
    a = SimpleNamespace()
    a.open_portrait = _act(w, "Open &Portrait…", w.loader.ask_portrait, "Ctrl+I",
                           "Open a portrait image")
    a.open_audio = _act(w, "Open &Audio…", w.loader.ask_audio, "Ctrl+Shift+I",
                        "Open a voice track (any sound or video file)")
    a.open_project = _act(w, "&Open Project…", w.projects.ask_open, SK.Open)
    a.save = _act(w, "&Save", w.projects.save, SK.Save)
    a.save_as = _act(w, "Save &As…", w.projects.save_as, SK.SaveAs)
    a.export = _act(w, "&Export Video…", w.show_export, "Ctrl+E",
                    "Export an MP4, a ProRes or WebM with alpha, or a PNG sequence")
    from gui.cue_export import show_cue_export

    a.export_cues = _act(w, "Export &Mouth Cues…", lambda: show_cue_export(w), "Ctrl+Shift+E",
                         "Mouth cues for 2-D animation: Rhubarb .tsv/.json/.xml, Moho .dat")
    a.record = _act(w, "&Record Voice…", w.show_record, "Ctrl+R")
    a.verify = _act(w, "&Verify File…", w.verify_file, None,
                    "Check a video for Talkie's watermark")
    a.quit = _act(w, "&Quit", w.close, SK.Quit)
    a.undo = w.undo.createUndoAction(w, "&Undo")
    a.undo.setShortcuts(QKeySequence.keyBindings(SK.Undo))
    a.redo = w.undo.createRedoAction(w, "&Redo")
    # Every platform binding, and both common ones: generic Linux binds only Ctrl+Y.
    redo = QKeySequence.keyBindings(SK.Redo)
    redo += [k for k in (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")) if k not in redo]
    a.redo.setShortcuts(redo)
    a.add_blink = _act(w, "Add &Blink at Playhead", w.add_blink_here, "B")
    a.delete_blink = _act(w, "&Delete Blink", w.delete_blink, SK.Delete)
    a.regen_blinks = _act(w, "Re&generate Blinks", w.regenerate_blinks)
    a.fit = _act(w, "&Fit", w.preview.fit, "Ctrl+0")
    a.zoom_in = _act(w, "Zoom &In", lambda: w.preview.zoom(1.25), SK.ZoomIn)
    a.zoom_out = _act(w, "Zoom &Out", lambda: w.preview.zoom(0.8), SK.ZoomOut)
    a.actual = _act(w, "&Actual Pixels", w.preview.actual_size, "Ctrl+1")
    a.landmarks = _act(w, "Show &Landmarks", w.set_overlay, "L", checkable=True)
    a.mesh = _act(w, "Show &Mesh", w.set_mesh_visible, "M",
                  "Draw the face mesh over the portrait: what will move", checkable=True)
    a.place_face = _act(w, "&Place Face by Hand…", w.place_face, "Ctrl+Shift+F",
                        "Place the eyes, nose, mouth and chin yourself, then adjust the mesh")
    a.timeline_all = _act(w, "Show Whole &Timeline", w.timeline.zoom_all, "Ctrl+Shift+0")
    a.play = _act(w, "&Play", w.toggle_play, "Space", "Play / pause (Space)")
    a.stop = _act(w, "&Stop", w.stop, "Ctrl+.", "Stop and go back to the start")
    a.prev = _act(w, "Previous &Frame", lambda: w.step(-1), "Left", "Previous frame (←)")
    a.next = _act(w, "&Next Frame", lambda: w.step(1), "Right", "Next frame (→)")
    a.home = _act(w, "Go to Start", lambda: w.seek(0.0), "Home")
    a.end = _act(w, "Go to End", lambda: w.seek(w.doc.duration), "End")
    a.loop_in = _act(w, "Set Loop &In", w.set_loop_in, "I")
    a.loop_out = _act(w, "Set Loop &Out", w.set_loop_out, "O")
    a.loop = _act(w, "&Loop Selection", w.set_looping, "Ctrl+L",
                  "Loop the selected range (set it with I and O)", checkable=True)
    a.about = _act(w, "&About Talkie", w.about)

    mb = w.menuBar()
    m = mb.addMenu("&File")
    for x in (a.open_portrait, a.open_audio, a.open_project):
        m.addAction(x)
    m.addMenu(w.recent_menu)
    m.addSeparator()
    for x in (a.save, a.save_as):
        m.addAction(x)
    m.addSeparator()
    for x in (a.export, a.export_cues, a.record, a.verify):
        m.addAction(x)
    m.addSeparator()
    m.addAction(a.quit)
    m = mb.addMenu("&Edit")
    for x in (a.undo, a.redo):
        m.addAction(x)
    m.addSeparator()
    a.delete_blink.setText("&Delete Key or Blink")
    for x in (a.add_blink, a.delete_blink, a.regen_blinks):
        m.addAction(x)
    m = w.view_menu
    mb.addMenu(m)
    for x in (a.fit, a.zoom_in, a.zoom_out, a.actual, a.landmarks, a.mesh, a.timeline_all):
        m.addAction(x)
    m.addSeparator()
    m = mb.addMenu("F&ace")
    for x in (a.place_face, a.mesh):
        m.addAction(x)
    m = mb.addMenu("&Playback")
    for x in (a.play, a.stop, a.prev, a.next, a.home, a.end, a.loop_in, a.loop_out, a.loop):
        m.addAction(x)
    mb.addMenu("&Help").addAction(a.about)
    return a
