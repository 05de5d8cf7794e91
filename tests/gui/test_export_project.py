"""Export from the dialog (complete and cancelled), verify, and project round trips."""

from __future__ import annotations

import json
import shutil

import av
from PySide6.QtCore import Qt

from tests.gui.conftest import wait_frame


def test_export_from_the_dialog_gives_a_valid_mp4(loaded, qtbot, tmp_path):
    w = loaded
    out = tmp_path / "take one.mp4"
    dlg = w.show_export()
    dlg.path.setText(str(out))
    dlg.size.setCurrentIndex(dlg.size.findData(256))
    dlg.crf.setValue(28)
    values = []
    dlg.progress.valueChanged.connect(values.append)
    qtbot.mouseClick(dlg.export_button, Qt.MouseButton.LeftButton)
    assert dlg.running()
    qtbot.waitUntil(lambda: not dlg.running(), timeout=90_000)
    assert dlg.error is None, dlg.error
    assert dlg.progress.value() == dlg.progress.maximum()
    assert values == sorted(values) and len(values) > 2
    assert dlg.play_button.isVisible() and dlg.folder_button.isVisible()
    assert out.exists() and dlg.result.path == out
    with av.open(str(out)) as c:
        video = c.streams.video[0]
        assert video.codec_context.name == "h264"
        assert max(video.codec_context.width, video.codec_context.height) == 256
        assert len(c.streams.audio) == 1
        frames = sum(1 for _ in c.decode(video=0))
    assert frames == w.doc.animation.frame_count
    # Verify File… reads the provenance of the export and shows its summary.
    job = w.verify_file(out)
    qtbot.waitUntil(lambda: w.last_verify is not None, timeout=60_000)
    job.wait()
    assert dlg.result.export_id in w.last_verify.summary()
    dlg.close()


def test_cancelled_export_leaves_no_file(loaded, qtbot, tmp_path):
    w = loaded
    out = tmp_path / "cancelled.mp4"
    dlg = w.show_export()
    dlg.path.setText(str(out))
    dlg.size.setCurrentIndex(dlg.size.findData(256))
    dlg.start()
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.running(), timeout=30_000)
    assert dlg.result is None
    assert "Cancelled" in dlg.status.text()
    assert list(tmp_path.iterdir()) == []
    dlg.close()


def test_project_save_and_open_round_trip(loaded, qtbot, tmp_path, app):
    w = loaded
    w.inspector.rows["mouth_intensity"].spin.setValue(1.5)
    w.inspector.rows["blink_rate"].spin.setValue(0.0)
    wait_frame(qtbot, w)
    w.timeline.blinks.add_at(1.2)
    wait_frame(qtbot, w)
    settings, blinks = w.doc.settings, list(w.doc.blinks)
    path = tmp_path / "scene.talkie"
    assert w.projects.save_to(path)
    assert not w.isWindowModified() and w.windowTitle().startswith("scene.talkie")
    data = json.loads(path.read_text())
    assert data["settings"]["mouth_intensity"] == 1.5 and len(data["blinks"]) == 1

    from gui.main_window import MainWindow

    other = MainWindow()
    other.ask_on_close = False
    qtbot.addWidget(other)
    other.projects.open(path)
    wait_frame(qtbot, other)
    qtbot.waitUntil(lambda: other.doc.blinks is not None and not other.doc.building())
    assert other.doc.settings == settings
    assert other.doc.blinks == blinks
    assert other.doc.project_path == path and not other.doc.dirty
    assert other.inspector.rows["mouth_intensity"].value() == 1.5
    other.close()


def test_missing_input_asks_to_locate_it(loaded, qtbot, tmp_path, voice_path):
    w = loaded
    moved_voice = tmp_path / "voice.flac"
    shutil.copy(voice_path, moved_voice)
    w.loader.load_audio(moved_voice)
    wait_frame(qtbot, w)
    path = tmp_path / "p.talkie"
    assert w.projects.save_to(path)
    elsewhere = tmp_path / "moved" / "voice.flac"
    elsewhere.parent.mkdir()
    moved_voice.rename(elsewhere)
    w.projects.open(path)
    assert w.banner.isVisible() and "missing" in w.banner.label.text()
    assert "voice.flac" in w.banner.label.text()
    w.projects.locate("voice track", elsewhere)
    wait_frame(qtbot, w)
    assert w.doc.audio_path == elsewhere


def test_autosave_and_recovery(loaded, qtbot):
    from gui.project_io import recovery_path

    w = loaded
    w.inspector.rows["liveliness"].spin.setValue(0.5)
    wait_frame(qtbot, w)
    w.projects.autosave()
    assert recovery_path().exists()
    assert w.projects.offer_recovery()
    assert "Recover" in w.banner.label.text()
    w.projects.open(recovery_path(), recovered=True)
    wait_frame(qtbot, w)
    assert w.doc.settings.liveliness == 0.5
    assert w.doc.dirty          # recovered work is not saved anywhere yet
    w.projects.clear_recovery()
    assert not recovery_path().exists()
