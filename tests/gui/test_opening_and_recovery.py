"""Opening a project never loses work: it asks before discarding edits and is atomic; crash
recovery is kept until the artist chooses, the autosave follows each change, and SIGTERM
quits with the work kept."""

from __future__ import annotations

import json
import os
import subprocess
import time

from PySide6.QtWidgets import QMessageBox

import engine
from tests.gui.conftest import wait_frame, wait_opened

Button = QMessageBox.StandardButton


def edit_mouth(w, qtbot, value: float) -> None:
    w.inspector.rows["mouth_intensity"].spin.setValue(value)
    wait_frame(qtbot, w)
    assert w.doc.settings.mouth_intensity == value and w.doc.dirty


# ------------------------------------------------------------------- opening


def test_open_asks_before_discarding_edits(loaded, qtbot, tmp_path):
    w = loaded
    path = tmp_path / "a.talkie"
    assert w.projects.save_to(path)
    edit_mouth(w, qtbot, 0.3)
    steps = w.undo.count()
    w.projects.answer = Button.Cancel
    assert not w.projects.open(path)               # File ▸ Open, Open Recent
    w.loader.open_paths([path])                    # a dropped project
    assert not w.projects.opening()
    assert w.doc.settings.mouth_intensity == 0.3 and w.doc.dirty
    assert w.undo.count() == steps and w.undo.canUndo()
    w.projects.answer = Button.Discard
    assert w.projects.open(path)
    wait_opened(qtbot, w)
    assert w.doc.settings.mouth_intensity == 1.0 and not w.doc.dirty
    edit_mouth(w, qtbot, 0.6)
    w.projects.answer = Button.Save                # saved into a.talkie, then opened
    assert w.projects.open(path)
    wait_opened(qtbot, w)
    assert json.loads(path.read_text())["settings"]["mouth_intensity"] == 0.6
    assert w.doc.settings.mouth_intensity == 0.6 and not w.doc.dirty


def test_a_project_that_fails_part_way_changes_nothing(loaded, qtbot, tmp_path, portrait_path):
    w = loaded
    w.add_key("smile", 1.0, 0.5)
    edit_mouth(w, qtbot, 0.4)
    before = (w.doc.scene, w.doc.animation, w.undo.count(), w.windowTitle())
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage garbage" * 4)
    project = engine.Project(portrait=portrait_path, audio=broken,
                             settings=engine.Settings(mouth_intensity=1.9))
    path = tmp_path / "half.talkie"
    project.save(path)
    w.projects.answer = Button.Discard
    assert w.projects.open(path)
    qtbot.waitUntil(lambda: not w.projects.opening(), timeout=60_000)
    assert "half.talkie could not be opened" in w.banner.text
    assert "broken.wav" in w.banner.text and "unchanged" in w.banner.text
    assert (w.doc.scene, w.doc.animation, w.undo.count(), w.windowTitle()) == before
    assert w.doc.project_path is None


def test_a_broken_project_says_why(window, qtbot, tmp_path):
    path = tmp_path / "cut.talkie"
    path.write_text('{"format": "talkie-project", "settings": {')
    assert not window.projects.open(path)
    assert "not valid JSON" in window.banner.text and "line 1" in window.banner.text


def test_loop_and_playhead_belong_to_the_project(loaded, qtbot, tmp_path):
    w = loaded
    plain = tmp_path / "plain.talkie"
    assert w.projects.save_to(plain)
    w.seek(1.0)
    w.set_loop_in()
    w.seek(1.5)
    w.set_loop_out()
    w.seek(2.0)
    looped = tmp_path / "looped.talkie"
    assert w.projects.save_to(looped)
    assert w.projects.open(plain)
    wait_opened(qtbot, w)
    assert w.position == 0.0 and w.loop_range is None and not w.doc.looping
    assert not w.timeline.loop.isVisible() and not w.actions_.loop.isChecked()
    assert w.projects.open(looped)
    wait_opened(qtbot, w)
    assert w.position == 2.0 and w.loop_range == (1.0, 1.5) and w.doc.looping
    assert w.timeline.loop.isVisible()


# ------------------------------------------------------------------ recovery


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_recovered_work_is_kept_until_the_artist_chooses(window, qtbot, tmp_path,
                                                         portrait_path, voice_path):
    from gui.project_io import own_autosave, recovery_dir

    w = window
    crashed = engine.Project(portrait=portrait_path, audio=voice_path,
                             settings=engine.Settings(mouth_intensity=1.7),
                             autosave_of=tmp_path / "scene.talkie")
    recovery_dir().mkdir(parents=True, exist_ok=True)
    orphan = recovery_dir() / f"autosave-{_dead_pid()}.talkie"
    crashed.save(orphan, relative=False)
    saved = orphan.read_bytes()
    assert w.projects.offer_recovery() and "Recover" in w.banner.text
    # New work before answering the banner: its autosave never touches the recovered file.
    w.loader.load_portrait(portrait_path)
    w.loader.load_audio(voice_path)
    wait_frame(qtbot, w)
    w.projects.autosave()
    assert own_autosave().exists() and orphan.read_bytes() == saved
    w.projects.recover(orphan)      # the banner's Recover (the new work is discarded)
    wait_opened(qtbot, w)
    assert w.doc.settings.mouth_intensity == 1.7 and w.doc.dirty
    assert w.doc.project_path == tmp_path / "scene.talkie"     # still tied to its project
    assert w.windowTitle().startswith("scene.talkie")
    assert not orphan.exists()
    kept = engine.Project.load(own_autosave())
    assert kept.settings.mouth_intensity == 1.7
    assert kept.autosave_of == tmp_path / "scene.talkie"
    w.projects.clear_autosave()


def test_autosave_follows_each_change_and_keeps_the_project_path(loaded, qtbot, tmp_path):
    from gui.project_io import AUTOSAVE_DELAY_MS, own_autosave

    w = loaded
    path = tmp_path / "mine.talkie"
    assert w.projects.save_to(path)
    qtbot.waitUntil(lambda: not own_autosave().exists(), timeout=5000)  # saved: nothing to keep
    edit_mouth(w, qtbot, 0.8)
    t0 = time.monotonic()
    qtbot.waitUntil(own_autosave().exists, timeout=AUTOSAVE_DELAY_MS + 3000)
    assert time.monotonic() - t0 < AUTOSAVE_DELAY_MS / 1000 + 2.5   # seconds, not a minute
    kept = engine.Project.load(own_autosave())
    assert kept.settings.mouth_intensity == 0.8 and kept.autosave_of == path
    assert w.projects.save_to(path)
    qtbot.waitUntil(lambda: not own_autosave().exists(), timeout=5000)


# ------------------------------------------------------------------ quitting


def test_sigterm_quits_the_studio_with_the_work_kept(tmp_path, portrait_path, voice_path):
    """Logging out or `kill`: the studio quits at once and keeps the work for next time."""
    import signal
    import sys

    from tests.conftest import ROOT

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TALKIE_NO_SOUND="1",
               XDG_CONFIG_HOME=str(tmp_path / "c"), XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), str(portrait_path),
                             str(voice_path)], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                            text=True)
    recovery = tmp_path / "d" / "Talkie" / "Talkie" / "recovery"
    def both_loaded() -> bool:   # unsaved work with both inputs, autosaved
        files = list(recovery.glob("autosave-*.talkie"))
        try:
            return bool(files) and engine.Project.load(files[0]).audio is not None
        except engine.TalkieError:
            return False
    deadline = time.monotonic() + 90
    while not both_loaded():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    kept = list(recovery.glob("autosave-*.talkie"))
    assert len(kept) == 1 and engine.Project.load(kept[0]).audio == voice_path
