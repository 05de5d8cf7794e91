"""The rest of the work is safe too: timeline edits survive a new voice and drags, exports use
the animation of the moment and replace nothing without asking, a recorded take is kept, the
window fits the screen, and nothing on the GUI thread waits for a worker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QStandardPaths, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

import engine
from tests.gui.conftest import shown, wait_frame

Button = QMessageBox.StandardButton


def short_voice(voice_path: Path, tmp_path: Path, seconds: float) -> Path:
    """The first ``seconds`` of the GRID clip as a WAV."""
    samples = engine.load_audio(voice_path).samples[: int(16000 * seconds)]
    out = tmp_path / f"short{seconds:g}.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return out


# --------------------------------------------------------------- the timeline


def test_keys_past_the_end_of_a_shorter_voice_can_be_dropped(loaded, qtbot, tmp_path,
                                                             voice_path):
    w = loaded
    w.add_key("smile", 0.5, 0.4)
    w.add_key("smile", 2.6, 0.9)
    wait_frame(qtbot, w)
    w.loader.load_audio(short_voice(voice_path, tmp_path, 1.5))
    qtbot.waitUntil(lambda: "lie after the end" in w.banner.text, timeout=60_000)
    assert w.doc.keyframes.count_after(w.doc.duration) == 1
    drop = next(b for b in w.banner._buttons if b.text() == "Drop them")
    drop.click()
    assert w.doc.keyframes.count_after(w.doc.duration) == 0
    assert len(w.doc.keyframes["smile"]) == 1
    w.undo.undo()
    assert w.doc.keyframes.count_after(w.doc.duration) == 1


def test_new_voice_drops_blink_edits_undoably(loaded, qtbot, tmp_path, voice_path):
    w = loaded
    w.inspector.rows["blink_rate"].spin.setValue(0.0)
    wait_frame(qtbot, w)
    w.timeline.blinks.add_at(1.0)
    wait_frame(qtbot, w)
    edited, first_audio = w.doc.blinks, w.doc.audio
    assert edited is not None and len(edited) == 1
    w.loader.load_audio(short_voice(voice_path, tmp_path, 2.0))
    qtbot.waitUntil(lambda: w.doc.audio is not first_audio, timeout=60_000)
    assert w.doc.blinks is None
    w.undo.undo()
    assert w.doc.audio is first_audio and w.doc.blinks == edited


def drag(viewport, start, end, steps: int = 10) -> None:
    """A left-button drag with real mouse events (QTest's moves carry no buttons)."""
    def send(kind, pos, button, buttons):
        p = QPointF(pos)
        QApplication.sendEvent(viewport, QMouseEvent(kind, p, viewport.mapToGlobal(p), button,
                                                     buttons, Qt.KeyboardModifier.NoModifier))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, start, left, left)
    for k in range(1, steps + 1):
        QApplication.processEvents()
        time.sleep(0.03)   # pyqtgraph drops moves that come faster than the screen
        p = start + (end - start) * (k / steps)
        send(QEvent.Type.MouseMove, p, none, left)
    send(QEvent.Type.MouseButtonRelease, end, left, none)


def test_dragging_on_the_empty_timeline_scrubs(loaded, qtbot):
    w = loaded
    tl = w.timeline

    def at(t: float):
        scene = tl.spec_plot.getViewBox().mapViewToScene(QPointF(t, 4.0))
        return QPointF(tl.view.mapFromScene(scene))

    view_before = tl.wave_plot.viewRange()[0]
    drag(tl.view.viewport(), at(0.5), at(2.0))
    qtbot.waitUntil(lambda: abs(w.position - 2.0) < 0.05, timeout=5000)
    assert np.allclose(tl.wave_plot.viewRange()[0], view_before)   # it scrubbed, not panned


def test_a_dragged_blink_stays_selected(loaded, qtbot):
    w = loaded
    w.inspector.rows["blink_rate"].spin.setValue(0.0)
    wait_frame(qtbot, w)
    w.timeline.blinks.add_at(0.8)
    w.timeline.blinks.add_at(2.0)
    wait_frame(qtbot, w)
    lane = w.timeline.blinks
    lane.select(0)
    lane.move(0, 1.2)
    wait_frame(qtbot, w)
    assert lane.selected == 0 and lane.items[0].selected
    assert abs(lane.events[0].onset - 1.2) < 1e-6
    lane.move(0, 2.5)   # it stops at its neighbour instead of running into it
    wait_frame(qtbot, w)
    first, second = lane.events
    assert first.end <= second.onset + 1e-9 and lane.selected == 0


# ------------------------------------------------------------------- export


def test_export_choices_reach_the_project_and_the_folder_is_made(loaded, qtbot):
    w = loaded
    movies = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation))
    shutil.rmtree(movies, ignore_errors=True)          # a fresh account has no Videos folder
    dlg = w.show_export()
    assert Path(dlg.path.text()).parent == movies and not movies.exists()
    dlg.size_box.setCurrentIndex(dlg.size_box.findData(256))
    dlg.fps.setCurrentIndex(dlg.fps.findData(30))
    dlg.start()
    qtbot.waitUntil(lambda: not dlg.running(), timeout=120_000)
    assert dlg.error is None, dlg.error
    assert dlg.export_result.path.parent == movies and dlg.export_result.path.exists()
    assert w.doc.output.size == 256 and w.doc.settings.fps == 30
    assert w.inspector.size_box.currentData() == 256 and w.inspector.fps.currentData() == 30
    assert w.doc.to_project().output.size == 256
    w.undo.undo()
    assert w.doc.output.size is None and w.doc.settings.fps == 25
    dlg.close()


def test_export_uses_the_animation_of_the_moment(loaded, qtbot, tmp_path):
    """An export started while the animation is being rebuilt exports the new one."""
    from engine.export import export_id_for, frame_range

    w = loaded
    w.inspector.rows["mouth_intensity"].spin.setValue(0.0)
    assert w.doc.building()
    dlg = w.show_export()
    dlg.path.setText(str(tmp_path / "now.mp4"))
    dlg.size_box.setCurrentIndex(dlg.size_box.findData(256))
    dlg.start()
    qtbot.waitUntil(lambda: not dlg.running(), timeout=120_000)
    assert dlg.error is None, dlg.error
    scene = w.doc.scene
    now = engine.animate(scene.portrait, scene.audio, scene.to_project())
    assert now.settings.mouth_intensity == 0.0
    expected = export_id_for(now, frame_range(now, scene.output), scene.output)
    assert dlg.export_result.export_id == expected
    dlg.close()


def test_the_gui_thread_never_waits_for_a_worker(loaded, qtbot, monkeypatch, tmp_path):
    from gui.workers import LatestWins

    release = threading.Event()
    service = LatestWins("blocked")
    service.submit(lambda: release.wait(30))
    qtbot.waitUntil(lambda: not service.idle() and service.isRunning(), timeout=5000)
    t0 = time.monotonic()
    service.stop()
    assert time.monotonic() - t0 < 0.1

    def slow_export(*args, progress, cancel, **kwargs):
        while not release.wait(0.01):
            cancel.check()
        return None
    monkeypatch.setattr(engine, "export", slow_export)
    dlg = loaded.show_export()
    dlg.path.setText(str(tmp_path / "slow.mp4"))
    dlg.start()
    qtbot.waitUntil(lambda: dlg.job is not None and dlg.job.isRunning(), timeout=5000)
    job = dlg.job
    t0 = time.monotonic()
    dlg.reject()                          # Close / Esc while exporting
    assert time.monotonic() - t0 < 0.1
    qtbot.waitUntil(lambda: not job.isRunning(), timeout=5000)   # cancelled at its next check
    release.set()
    qtbot.waitUntil(lambda: not service.isRunning(), timeout=5000)


# ------------------------------------------------------------------ smaller


def test_ctrl_z_after_typing_into_a_number_field(loaded, qtbot):
    w = loaded
    spin = w.inspector.rows["mouth_intensity"].spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "0.5")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    wait_frame(qtbot, w)
    assert w.doc.settings.mouth_intensity == 0.5
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.doc.settings.mouth_intensity == 1.0 and spin.value() == 1.0
    qtbot.keyClick(spin, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.doc.settings.mouth_intensity == 0.5


def test_actual_pixels_shows_the_full_resolution_frame(window, qtbot, tmp_path, portrait_path,
                                                       voice_path):
    from PIL import Image

    big = tmp_path / "big.png"
    Image.open(portrait_path).convert("RGB").resize((1536, 1536), Image.Resampling.LANCZOS) \
        .save(big)
    w = window
    w.loader.load_portrait(big)
    w.loader.load_audio(voice_path)
    wait_frame(qtbot, w)
    assert w.preview.shown_image.width() < 1536      # fitted: a smaller frame is enough
    w.actions_.actual.trigger()                      # without moving the playhead
    wait_frame(qtbot, w)
    assert w.preview.shown_image.width() == 1536
    assert shown(w).shape[:2] == (1536, 1536)


FITS_SCREEN = """
import sys
from gui.app import create_app
from gui.main_window import MainWindow
app = create_app()
w = MainWindow()
w.show()
app.processEvents()
free = w.screen().availableGeometry()
frame = w.frameGeometry()
right = w.inspector.mapTo(w, w.inspector.rect().topRight()).x() + w.geometry().x()
print(free.width(), free.height(), frame.width(), frame.height(), right)
w.ask_on_close = False
w.close()
"""


def test_the_window_fits_a_1280_by_800_screen(tmp_path):
    """A window larger than the screen put the inspector past its edge."""
    import sys

    from tests.conftest import ROOT

    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1280,
                                               "height": 800, "logicalDpiX": 96,
                                               "logicalDpiY": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}",
               XDG_CONFIG_HOME=str(tmp_path / "c"), XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, "-c", FITS_SCREEN], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    free_w, free_h, w, h, right = map(int, proc.stdout.split())
    assert (free_w, free_h) == (1280, 800)
    assert w <= free_w and h <= free_h and right <= free_w


def test_direction_controls_follow_the_limits_and_explain_themselves(window):
    insp = window.inspector
    for name, row in insp.rows.items():
        limit = engine.LIMITS[name]
        assert (row.spin.minimum(), row.spin.maximum()) == (limit.lo, limit.hi), name
        assert row.toolTip() == limit.help
    assert insp.keep_expression.toolTip() == engine.KEEP_EXPRESSION_HELP
    for widget in (insp.seed, insp.source, insp.regen, insp.reroll, insp.size_box, insp.fps,
                   insp.crf, insp.background):
        assert widget.toolTip(), widget


# ------------------------------------------- the same kinds of defect, elsewhere


def test_an_earlier_export_is_not_replaced_without_asking(loaded, qtbot, tmp_path):
    w = loaded
    earlier = tmp_path / "take.mp4"
    earlier.write_bytes(b"last week's export")
    dlg = w.show_export()
    dlg.path.setText(str(earlier))
    dlg.answer = Button.No
    dlg.start()
    assert not dlg.running() and earlier.read_bytes() == b"last week's export"
    assert "Not exported" in dlg.status.text()
    dlg.answer = Button.Yes
    dlg.size_box.setCurrentIndex(dlg.size_box.findData(256))
    dlg.start()
    qtbot.waitUntil(lambda: not dlg.running(), timeout=120_000)
    assert dlg.error is None and earlier.stat().st_size > 1000
    dlg.close()


def test_a_recorded_take_is_not_lost(loaded, qtbot, tmp_path):
    from gui.recorder import RecordDialog, next_take

    w = loaded
    first = next_take(tmp_path)
    first.write_bytes(b"an earlier take")
    assert next_take(tmp_path) != first            # two takes in one second
    dlg = RecordDialog(tmp_path, w)
    dlg._rate = 16000
    voice = w.doc.audio.audio.samples[:16000]
    for k in range(0, voice.shape[0], 1600):
        dlg._callback(voice[k:k + 1600, None], 1600, None, None)
    dlg._pull()
    dlg.stop()
    dlg.answer = Button.Cancel
    dlg.reject()                                   # Close with a take not used
    assert not dlg.result() and dlg.use.isEnabled()
    dlg.answer = Button.Save
    taken = []
    dlg.recorded.connect(taken.append)
    dlg.reject()
    assert len(taken) == 1 and Path(taken[0]).exists()
    assert first.read_bytes() == b"an earlier take"


def test_a_new_portrait_ends_the_hand_fit(loaded, qtbot, portrait_path, tmp_path):
    from PIL import Image

    w = loaded
    assert w.fitter.start()
    other = tmp_path / "other.png"
    Image.open(portrait_path).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(other)
    w.loader.load_portrait(other)
    qtbot.waitUntil(lambda: not w.loader.busy(), timeout=60_000)
    assert not w.fitter.active and not w.preview.fit_mode
    wait_frame(qtbot, w)
