"""Directing: blink edits change rendered frames; settings and blinks undo and redo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

import engine
from tests.gui.conftest import shown, wait_frame


def frame_at(window, qtbot, t: float) -> np.ndarray:
    window.seek(t)
    wait_frame(qtbot, window)
    return shown(window)


def differs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


def no_generated_blinks(window, qtbot) -> None:
    """Blink rate 0 through the inspector: no blinks unless the artist adds them."""
    window.inspector.rows["blink_rate"].spin.setValue(0.0)
    wait_frame(qtbot, window)
    assert window.doc.settings.blink_rate == 0.0
    assert window.doc.animation.blink_events == []


def test_add_move_delete_blink_changes_frames(loaded, qtbot):
    w = loaded
    no_generated_blinks(w, qtbot)
    w.timeline.setFocus()
    t_a, t_b = 0.6, 2.3          # both in silence, so only the eyes can change
    d = w.doc.settings.blink_duration
    peak_a, peak_b = t_a - d / 2 + 0.33 * d, t_b - d / 2 + 0.33 * d
    open_a = frame_at(w, qtbot, peak_a)
    open_b = frame_at(w, qtbot, peak_b)

    # Add: the same gesture as a double-click in the blink lane.
    w.timeline.blinks.add_at(t_a)
    wait_frame(qtbot, w)
    events = w.doc.animation.blink_events
    assert len(events) == 1 and abs(events[0].onset + events[0].duration / 2 - t_a) < 1e-6
    closed_a = frame_at(w, qtbot, peak_a)
    assert differs(closed_a, open_a) > 0.05
    assert len(w.timeline.blinks.items) == 1

    # Move it to t_b: the eyes open again at t_a and close at t_b.
    w.timeline.blinks.move(0, t_b - d / 2)
    wait_frame(qtbot, w)
    moved = w.doc.animation.blink_events[0]
    assert abs(moved.onset - (t_b - d / 2)) < 1e-6
    assert differs(frame_at(w, qtbot, peak_a), open_a) < 0.001
    closed_b = frame_at(w, qtbot, peak_b)
    assert differs(closed_b, open_b) > 0.05

    # Delete it with the Delete key in the timeline.
    w.timeline.blinks.select(0)
    qtbot.keyClick(w.timeline, Qt.Key.Key_Delete)
    wait_frame(qtbot, w)
    assert w.doc.animation.blink_events == []
    assert differs(frame_at(w, qtbot, peak_b), open_b) < 0.001

    # Undo brings the deleted blink back; redo removes it again.
    w.undo.undo()
    wait_frame(qtbot, w)
    assert len(w.doc.animation.blink_events) == 1
    assert differs(shown(w), closed_b) < 0.01
    w.undo.redo()
    wait_frame(qtbot, w)
    assert w.doc.animation.blink_events == []


def test_settings_undo_redo(loaded, qtbot):
    w = loaded
    start = w.doc.settings
    w.seek(1.42)
    wait_frame(qtbot, w)
    before = shown(w)
    w.inspector.rows["mouth_intensity"].spin.setValue(0.0)
    wait_frame(qtbot, w)
    assert w.doc.settings.mouth_intensity == 0.0
    closed = shown(w)
    assert differs(closed, before) > 0.05
    assert w.windowTitle().startswith("Untitled[*]") and w.isWindowModified()
    w.actions_.undo.trigger()
    wait_frame(qtbot, w)
    assert w.doc.settings == start
    assert w.inspector.rows["mouth_intensity"].value() == start.mouth_intensity
    assert differs(shown(w), before) < 0.01
    w.actions_.redo.trigger()
    wait_frame(qtbot, w)
    assert w.doc.settings.mouth_intensity == 0.0
    assert differs(shown(w), closed) < 0.01


def test_slider_drag_is_one_undo_step(loaded, qtbot):
    w = loaded
    start = w.undo.count()   # opening the portrait and the voice
    row = w.inspector.rows["liveliness"]
    row.slider.setSliderDown(True)
    for v in range(20, 40, 2):
        row.slider.setValue(v)
    row.slider.setSliderDown(False)
    row.slider.sliderReleased.emit()
    wait_frame(qtbot, w)
    assert w.undo.count() == start + 1
    w.undo.undo()
    wait_frame(qtbot, w)
    assert w.doc.settings.liveliness == 1.0


def test_breath_slider_parts_the_lips_before_the_first_phrase(loaded, qtbot):
    w = loaded
    default = engine.Settings().breath
    assert w.doc.settings.breath == default > 0.0
    before = w.doc.animation.motion.mouth_open.copy()
    w.inspector.rows["breath"].spin.setValue(1.5)
    wait_frame(qtbot, w)
    assert w.doc.settings.breath == 1.5
    anim = w.doc.animation
    first = anim.frame_index(anim.audio.voice.phrases[0].start)
    assert anim.motion.mouth_open[first - 6:first].max() > before[first - 6:first].max() + 0.02
    w.undo.undo()
    wait_frame(qtbot, w)
    assert w.doc.settings.breath == default


def test_mouth_slider_reaches_three_times_as_wide(loaded, qtbot):
    """*Mouth* runs to 3 in the studio, as in the engine: the mouth opens three times as
    wide as at 1, and undo brings it back."""
    w = loaded
    before = w.doc.animation.motion.mouth_open.copy()
    spin = w.inspector.rows["mouth_intensity"].spin
    assert spin.maximum() == 3.0
    spin.setValue(3.0)
    wait_frame(qtbot, w)
    assert w.doc.settings.mouth_intensity == 3.0
    now = w.doc.animation.motion.mouth_open
    talking = before > 0.02
    assert np.median(now[talking] / before[talking]) == pytest.approx(3.0, abs=0.1)
    w.undo.undo()
    wait_frame(qtbot, w)
    assert w.doc.settings.mouth_intensity == 1.0


def test_reroll_and_regenerate(loaded, qtbot):
    w = loaded
    start = w.undo.count()
    seed = w.doc.settings.seed
    w.inspector.reroll.click()
    wait_frame(qtbot, w)
    assert w.doc.settings.seed != seed
    events = w.doc.blink_events()
    free = next(t for t in np.arange(0.3, 2.5, 0.05)
                if all(abs(t - (e.onset + e.duration / 2)) > 0.5 for e in events))
    w.timeline.blinks.add_at(float(free))
    wait_frame(qtbot, w)
    assert w.doc.blinks is not None
    w.inspector.regen.click()
    wait_frame(qtbot, w)
    assert w.doc.blinks is None
    assert w.undo.count() == start + 3


def test_inspector_shows_the_engine_defaults(window):
    s = engine.Settings()
    for name, row in window.inspector.rows.items():
        assert abs(row.value() - getattr(s, name)) < 1e-6, name
