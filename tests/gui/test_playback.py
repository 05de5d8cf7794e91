"""Playback without a sound device, transport keys, and recording availability."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui import playback
from tests.gui.conftest import wait_frame


def test_no_sound_device_plays_silently_with_one_message(loaded, qtbot, monkeypatch):
    w = loaded
    monkeypatch.setattr(playback, "_DEVICES", playback.SoundDevices(
        False, False, "No sound output device was found.", "No microphone was found."))
    w.seek(0.0)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert w.player.playing and w.player.silent
    assert "Playing silently" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.position > 0.4, timeout=5000)
    assert w.live.active()
    qtbot.waitUntil(lambda: w.live.frames_drawn > 3, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert not w.player.playing and not w.live.active()
    paused = w.position
    w.statusBar().clearMessage()
    w.toggle_play()        # the message is said once per session
    assert w.statusBar().currentMessage() == ""
    w.stop()
    assert w.position == 0.0 and paused > 0.4


def test_playback_reaches_the_end_and_stops(loaded, qtbot):
    w = loaded
    w.seek(w.doc.duration - 0.3)
    w.toggle_play()
    qtbot.waitUntil(lambda: not w.player.playing, timeout=5000)
    assert abs(w.position - w.doc.duration) < 1e-6
    wait_frame(qtbot, w)
    assert w.preview.shown_index == w.doc.animation.frame_count - 1


def test_frame_step_and_loop(loaded, qtbot):
    w = loaded
    w.seek(1.0)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    assert abs(w.position - 26 / 25) < 1e-9
    qtbot.keyClick(w, Qt.Key.Key_Left)
    qtbot.keyClick(w, Qt.Key.Key_Left)
    assert abs(w.position - 24 / 25) < 1e-9
    w.seek(1.0)
    w.set_loop_in()
    w.seek(1.5)
    w.set_loop_out()
    assert w.loop_range == (1.0, 1.5) and w.timeline.loop.isVisible()
    w.seek(1.2)
    w.toggle_play()
    qtbot.wait(700)
    assert w.player.playing and 1.0 <= w.position <= 1.5
    w.toggle_play()


def test_record_is_disabled_without_a_microphone(window):
    if playback.sound_devices().input:  # pragma: no cover - a machine with a microphone
        return
    action = window.actions_.record
    assert not action.isEnabled()
    assert "unavailable" in action.toolTip()
