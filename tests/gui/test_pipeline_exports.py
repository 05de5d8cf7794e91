"""The studio's way into the animator's pipeline: export formats with alpha, mouth cues."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from gui.cue_export import show_cue_export


def test_export_dialog_format_choice_writes_a_png_sequence(loaded, qtbot, tmp_path):
    dlg = loaded.show_export()
    dlg.path.setText(str(tmp_path / "shot.mp4"))
    dlg.format.setCurrentIndex(dlg.format.findData("webm"))
    assert dlg.path.text().endswith("shot.webm")
    dlg.format.setCurrentIndex(dlg.format.findData("png"))
    assert dlg.path.text() == str(tmp_path / "shot")
    dlg.size_box.setCurrentIndex(dlg.size_box.findData(256))
    qtbot.mouseClick(dlg.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.running(), timeout=90_000)
    assert dlg.error is None, dlg.error
    frames = sorted((tmp_path / "shot").glob("shot_*.png"))
    assert len(frames) == loaded.doc.animation.frame_count
    assert frames[0].name == "shot_00001.png"
    # A typed video extension chooses the format.
    dlg.path.setText(str(tmp_path / "again.mov"))
    dlg.path.editingFinished.emit()
    assert dlg.format.currentData() == "mov"
    dlg.close()


def test_mouth_cues_from_the_timeline_and_with_dialogue(loaded, qtbot, tmp_path):
    dlg = show_cue_export(loaded)
    assert dlg is not None
    dlg.path.setText(str(tmp_path / "take.dat"))
    dlg.format.setCurrentIndex(dlg.format.findData("dat"))
    dlg.fps.setValue(12)
    qtbot.mouseClick(dlg.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.job is None and dlg.written is not None, timeout=30_000)
    lines = (tmp_path / "take.dat").read_text().splitlines()
    assert lines[:2] == ["MohoSwitch1", "1 rest"]
    assert int(lines[-1].split()[0]) == 1 + round(loaded.doc.duration * 12)

    dlg.written = None
    dlg.format.setCurrentIndex(dlg.format.findData("json"))
    assert dlg.path.text().endswith("take.json")
    dlg.dialogue.setPlainText("Bin blue at F two now.")
    dlg.start()
    qtbot.waitUntil(lambda: dlg.job is None and dlg.written is not None, timeout=60_000)
    cues = json.loads((tmp_path / "take.json").read_text())["mouthCues"]
    assert "not used" not in dlg.status.text()
    assert [c["value"] for c in cues][:3] == ["X", "A", "C"]  # rest, the B of "bin", its I
    dlg.close()
