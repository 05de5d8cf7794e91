"""Real mouse gestures on the timeline, the audio callback, and the record-to-load path."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gui.playback import Player
from tests.gui.conftest import wait_frame


def move_with_button(viewport, pos) -> None:
    """A mouse move with the left button held (QTest's moves carry no buttons)."""
    p = QPointF(pos)
    ev = QMouseEvent(QEvent.Type.MouseMove, p, viewport.mapToGlobal(p), Qt.MouseButton.NoButton,
                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, ev)


def view_point(timeline, plot, t: float, y: float):
    scene = plot.getViewBox().mapViewToScene(QPointF(t, y))
    return timeline.view.mapFromScene(scene)


def test_mouse_click_moves_playhead_and_double_click_adds_blink(loaded, qtbot):
    w = loaded
    tl = w.timeline
    w.inspector.rows["blink_rate"].spin.setValue(0.0)
    wait_frame(qtbot, w)
    qtbot.mouseClick(tl.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view_point(tl, tl.spec_plot, 2.0, 4.0))
    qtbot.waitUntil(lambda: abs(w.position - 2.0) < 0.05, timeout=5000)
    wait_frame(qtbot, w)
    assert w.preview.shown_index == w.doc.animation.frame_index(w.position)
    # A real double-click: press, release, double-click, release.
    pos = view_point(tl, tl.blink_plot, 1.0, 0.5)
    qtbot.mouseClick(tl.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(tl.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(tl.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.doc.blinks is not None and len(w.doc.blinks) == 1, timeout=5000)
    b = w.doc.blinks[0]
    assert abs(b.onset + b.duration / 2 - 1.0) < 0.05


def test_audio_callback_feeds_samples_and_loops():
    p = Player()
    x = np.arange(1000, dtype=np.float32) / 1000
    p.set_audio(x, 1000)
    p._read = 990
    out = np.zeros((20, 1), dtype=np.float32)
    p._callback(out, 20, None, None)
    assert np.allclose(out[:10, 0], x[990:]) and np.all(out[10:] == 0)
    p.set_loop((0.1, 0.2))
    p._read = 195
    p._callback(out, 20, None, None)
    assert np.allclose(out[:5, 0], x[195:200]) and np.allclose(out[5:, 0], x[100:115])
    assert p._read == 115


def test_recorded_take_is_saved_as_wav_and_loaded(loaded, qtbot, tmp_path):
    from gui.recorder import RecordDialog

    w = loaded
    dlg = RecordDialog(tmp_path, w)
    dlg.recorded.connect(lambda path: w.loader.load_audio(__import__("pathlib").Path(path)))
    voice = w.doc.audio.audio.samples[:16000 * 2]
    dlg._rate = 16000
    for k in range(0, voice.shape[0], 1600):       # what the input stream callback hands over
        dlg._callback(voice[k:k + 1600, None], 1600, None, None)
    dlg._pull()
    dlg.stop()
    assert dlg.use.isEnabled()
    dlg.use.click()
    takes = list(tmp_path.glob("voice-*.wav"))
    assert len(takes) == 1
    qtbot.waitUntil(lambda: w.doc.audio_path == takes[0], timeout=30_000)
    wait_frame(qtbot, w)
    assert abs(w.doc.duration - 2.0) < 0.01


def test_drag_a_blink_with_the_mouse(loaded, qtbot):
    import engine

    w = loaded
    tl = w.timeline
    steps = w.undo.count()
    w.inspector.rows["blink_rate"].spin.setValue(0.0)
    wait_frame(qtbot, w)
    w.timeline.blinksEdited.emit([engine.BlinkEvent(0.9, 0.2, 1.0)], "Add blink")
    wait_frame(qtbot, w)
    assert len(tl.blinks.items) == 1
    vp = tl.view.viewport()
    start = view_point(tl, tl.blink_plot, 1.0, 0.5)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for t in np.linspace(1.0, 2.0, 12):
        qtbot.wait(25)   # pyqtgraph drops move events that come faster than the screen
        move_with_button(vp, view_point(tl, tl.blink_plot, float(t), 0.5))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=view_point(tl, tl.blink_plot, 2.0, 0.5))
    qtbot.waitUntil(lambda: w.doc.blinks and abs(w.doc.blinks[0].onset - 1.9) < 0.05,
                    timeout=5000)
    assert w.undo.count() == steps + 3   # blink rate, add, move
