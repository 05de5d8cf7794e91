"""Placing a face by hand: a cat the detector misses, fitted by clicks, talks and blinks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import wait_frame

#: Where the points are on skimage's ``chelsea`` (451 x 300), in pixels.
CAT_POINTS = {
    "right_eye_outer": (135.0, 112.0),
    "right_eye_inner": (205.0, 125.0),
    "left_eye_inner": (300.0, 140.0),
    "left_eye_outer": (345.0, 128.0),
    "nose_tip": (262.0, 235.0),
    "mouth_right": (232.0, 262.0),
    "mouth_left": (288.0, 262.0),
    "upper_lip": (260.0, 255.0),
    "lower_lip": (260.0, 268.0),
    "chin": (260.0, 292.0),
}


@pytest.fixture(scope="module")
def cat_path(tmp_path_factory):
    from PIL import Image
    from skimage import data

    import engine
    from engine.face import detect_faces

    p = tmp_path_factory.mktemp("cat") / "chelsea.png"
    Image.fromarray(data.chelsea()).save(p)
    assert detect_faces(engine.load_image(p).rgb) == []   # the detector misses it
    return p


def click_scene(preview, x: float, y: float) -> None:
    pos = preview.mapFromScene(QPointF(x, y))
    vp = preview.viewport()
    for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        p = QPointF(pos)
        QApplication.sendEvent(vp, QMouseEvent(kind, p, vp.mapToGlobal(p),
                                               Qt.MouseButton.LeftButton, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def drag_scene(preview, a: tuple[float, float], b: tuple[float, float]) -> None:
    vp = preview.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    pa, pb = QPointF(preview.mapFromScene(QPointF(*a))), QPointF(preview.mapFromScene(QPointF(*b)))
    mid = (pa + pb) / 2
    for kind, p, buttons in ((QEvent.Type.MouseButtonPress, pa, left),
                             (QEvent.Type.MouseMove, mid, left),
                             (QEvent.Type.MouseMove, pb, left),
                             (QEvent.Type.MouseButtonRelease, pb, none)):
        QApplication.sendEvent(vp, QMouseEvent(kind, p, vp.mapToGlobal(p), left, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def banner_button(window, text: str):
    for b in window.banner._buttons:
        if b.text().startswith(text):
            return b
    raise AssertionError(f"no {text!r} button in the banner: {window.banner.text}")


def region(frame: np.ndarray, box, scale: float) -> np.ndarray:
    x0, y0, x1, y1 = (int(v * scale) for v in box)
    return frame[y0:y1, x0:x1].astype(np.int16)


def test_place_a_cat_face_by_hand(window, qtbot, cat_path, voice_path, tmp_path):
    w = window
    w.resize(1440, 1000)   # room for the preview under the banner and above the lanes
    w.loader.load_audio(voice_path)
    w.loader.load_portrait(cat_path)
    qtbot.waitUntil(lambda: not w.loader.busy() and w.banner.isVisible()
                    and "Place face by hand" in " ".join(b.text() for b in w.banner._buttons),
                    timeout=60_000)
    assert "No face" in w.banner.text
    assert w.doc.portrait is None
    banner_button(w, "Place face by hand").click()
    assert w.fitter.active and w.preview.fit_mode
    assert "Subject's right eye, outer corner" in w.banner.text
    assert "1 of 10" in w.statusBar().currentMessage()

    # Click the ten points in order; the banner asks for each in turn.
    names = list(CAT_POINTS)
    for i, name in enumerate(names):
        assert w.fitter.next_name() == name
        click_scene(w.preview, *CAT_POINTS[name])
        qtbot.waitUntil(lambda n=i: len(w.fitter.points) == n + 1, timeout=2000)
    for name, (x, y) in CAT_POINTS.items():
        px, py = w.fitter.points[name]
        assert abs(px - x) < 1.0 and abs(py - y) < 1.0, name
    qtbot.waitUntil(lambda: w.fitter.landmarks is not None, timeout=2000)
    assert not w.preview.mesh_path().isEmpty() and w.preview.mesh_visible()
    assert "Drag any point" in w.banner.text
    # Eyelid handles follow the fit; the mesh passes through the placed points.
    assert all(n in w.fitter.handles for n in ("right_eye_top", "left_eye_bottom"))
    lm = w.fitter.landmarks
    assert abs(lm[1, 0] - 262.0) < 1.0 and abs(lm[152, 1] - 292.0) < 1.0

    # Drag the chin handle down a little: the fit follows.
    drag_scene(w.preview, CAT_POINTS["chin"], (260.0, 296.0))
    qtbot.waitUntil(lambda: abs(w.fitter.points["chin"][1] - 296.0) < 1.5, timeout=2000)
    qtbot.waitUntil(lambda: w.fitter.landmarks is not None
                    and abs(w.fitter.landmarks[152, 1] - 296.0) < 1.5, timeout=2000)
    points = dict(w.fitter.points)

    banner_button(w, "Apply").click()
    assert not w.preview.fit_mode
    wait_frame(qtbot, w)
    p = w.doc.portrait
    assert p is not None and p.face_index == -1 and p.faces == []
    assert w.doc.face_points == points
    assert w.doc.to_project().face_points == points
    assert w.inspector.face_combo.currentText() == "Placed by hand"

    # The animation works: the mouth moves with the audio, the eyes blink.
    anim = w.doc.animation
    scale = 1.0
    mouth_box = (200, 240, 320, 300)
    eye_box = (120, 90, 360, 160)
    speech = [ph for ph in w.doc.audio.phones if ph.label != "sil"]
    assert speech
    t0, t1 = speech[0].start, speech[-1].end
    idx = np.linspace(anim.frame_index(t0), anim.frame_index(t1), 12).astype(int)
    mouths = [region(anim.render_index(int(i)), mouth_box, scale) for i in idx]
    changes = [np.abs(a - b).mean() for a, b in zip(mouths, mouths[1:], strict=False)]
    assert max(changes) > 1.0, changes
    w.timeline.blinks.add_at(0.6)
    wait_frame(qtbot, w)
    anim = w.doc.animation
    ev = anim.blink_events[[abs(e.onset + e.duration / 2 - 0.6) < 1e-6
                            for e in anim.blink_events].index(True)]
    closed = region(anim.render_frame(ev.onset + 0.4 * ev.duration), eye_box, scale)
    w.undo.undo()
    wait_frame(qtbot, w)
    opened = region(w.doc.animation.render_frame(ev.onset + 0.4 * ev.duration), eye_box, scale)
    assert np.abs(closed - opened).mean() > 1.0

    # Saved with the project and restored on open.
    path = tmp_path / "cat.talkie"
    assert w.projects.save_to(path)
    w.undo.undo()   # the hand fit itself is undoable
    qtbot.waitUntil(lambda: w.doc.portrait is None, timeout=5000)
    w.undo.redo()
    wait_frame(qtbot, w)
    assert w.doc.portrait.face_index == -1
    w.projects.open(path)
    qtbot.waitUntil(lambda: not w.loader.busy() and w.doc.face_points == points
                    and w.doc.portrait is not None, timeout=60_000)
    wait_frame(qtbot, w)
    assert np.abs(w.doc.portrait.landmarks - p.landmarks).max() < 1e-3


def test_show_mesh_and_correct_a_detected_face(loaded, qtbot):
    w = loaded
    assert not w.preview.mesh_visible()
    w.actions_.mesh.setChecked(True)
    assert w.preview.mesh_visible() and not w.preview.mesh_path().isEmpty()
    detected = w.doc.portrait.landmarks.copy()

    w.actions_.place_face.trigger()
    assert w.fitter.active and w.fitter.complete()   # starts from the detected face
    chin = w.fitter.points["chin"]
    w.fitter.move_point("chin", chin[0], chin[1] + 6.0)
    qtbot.waitUntil(lambda: w.fitter.landmarks is not None
                    and abs(w.fitter.landmarks[152, 1] - chin[1] - 6.0) < 1e-3, timeout=2000)
    banner_button(w, "Apply").click()
    wait_frame(qtbot, w)
    assert w.doc.portrait.face_index == -1
    assert abs(w.doc.portrait.landmarks[152, 1] - detected[152, 1] - 6.0) < 1.0
    w.undo.undo()
    wait_frame(qtbot, w)
    assert w.doc.face_points is None
    assert np.abs(w.doc.portrait.landmarks - detected).max() < 1e-3

    # Cancel leaves everything as it was.
    w.actions_.place_face.trigger()
    banner_button(w, "Cancel").click()
    assert not w.fitter.active and not w.preview.fit_mode
    wait_frame(qtbot, w)
    assert w.preview.mesh_visible()
