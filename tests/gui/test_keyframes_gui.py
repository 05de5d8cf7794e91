"""Keyframe lanes: smile, gaze and head-pose keys change the rendered frames; undo and redo."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import shown, wait_frame
from tests.gui.test_editing import differs, frame_at, no_generated_blinks

MOUTH_LEFT, MOUTH_RIGHT, NOSE_TIP = 61, 291, 1
EYES = (33, 133, 362, 263, 159, 145, 386, 374)
MOUTH = (61, 291, 0, 17, 13, 14)


def landmarks_at(window, t: float) -> np.ndarray:
    """The animated face's landmarks (portrait pixels) in the frame shown at ``t``."""
    from engine.render.pose import frame_landmarks

    anim = window.doc.animation
    return np.asarray(frame_landmarks(anim.portrait.rig, anim.motion, anim.frame_index(t)))


def region(window, frame: np.ndarray, indices, pad: float = 0.25) -> np.ndarray:
    """The part of a shown frame around some landmarks of the rest face."""
    lm = window.doc.portrait.landmarks[list(indices), :2]
    scale = frame.shape[1] / window.doc.portrait.size[0]
    (x0, y0), (x1, y1) = lm.min(axis=0), lm.max(axis=0)
    px, py = pad * (x1 - x0) + 4, pad * (y1 - y0) + 4
    a, b = int((y0 - py) * scale), int(np.ceil((y1 + py) * scale))
    c, d = int((x0 - px) * scale), int(np.ceil((x1 + px) * scale))
    return frame[max(a, 0):b, max(c, 0):d]


def mouth_width(window, t: float) -> float:
    lm = landmarks_at(window, t)
    return float(np.linalg.norm(lm[MOUTH_RIGHT, :2] - lm[MOUTH_LEFT, :2]))


def undo_all(window, qtbot, n: int) -> None:
    for _ in range(n):
        window.actions_.undo.trigger()
    wait_frame(qtbot, window)


def redo_all(window, qtbot, n: int) -> None:
    for _ in range(n):
        window.actions_.redo.trigger()
    wait_frame(qtbot, window)


def double_click(widget, pos: QPoint) -> None:
    """A real double-click (press, release, double-click, release) on a widget."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, buttons in ((QEvent.Type.MouseButtonPress, left),
                          (QEvent.Type.MouseButtonRelease, none),
                          (QEvent.Type.MouseButtonDblClick, left),
                          (QEvent.Type.MouseButtonRelease, none)):
        p = QPointF(pos)
        QApplication.sendEvent(widget, QMouseEvent(kind, p, widget.mapToGlobal(p), left,
                                                   buttons, Qt.KeyboardModifier.NoModifier))


def drag(widget, a: QPoint, b: QPoint) -> None:
    """Press at ``a``, move to ``b`` in steps, release."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    pa, pb = QPointF(a), QPointF(b)
    steps = [(QEvent.Type.MouseButtonPress, pa, left)]
    steps += [(QEvent.Type.MouseMove, pa + (pb - pa) * f, left) for f in (0.1, 0.4, 0.7, 1.0)]
    steps.append((QEvent.Type.MouseButtonRelease, pb, none))
    for kind, p, buttons in steps:
        QApplication.sendEvent(widget, QMouseEvent(kind, p, widget.mapToGlobal(p), left,
                                                   buttons, Qt.KeyboardModifier.NoModifier))


def lane_point(window, param: str, t: float, v: float) -> QPoint:
    """Widget position (in the timeline's view) of (t, v) in ``param``'s lane."""
    lane = window.timeline.lane_of(param)
    vb = lane.plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(t, v))
    return window.timeline.view.mapFromScene(scene)


def test_smile_key_widens_the_mouth_near_it_only(loaded, qtbot):
    w = loaded
    no_generated_blinks(w, qtbot)
    near, far = 1.5, 0.3
    base_width_near, base_width_far = mouth_width(w, near), mouth_width(w, far)
    base_near, base_far = frame_at(w, qtbot, near), frame_at(w, qtbot, far)
    start = w.undo.count()

    # A double-click in the Expression lane adds a smile key at that time and value.
    w.timeline.zoom_all()
    double_click(w.timeline.view.viewport(), lane_point(w, "smile", near, 0.9))
    wait_frame(qtbot, w)
    keys = w.doc.keyframes["smile"]
    assert len(keys) == 1 and abs(keys[0].time - near) < 0.05 and abs(keys[0].value - 0.9) < 0.1
    # Ease in from and back out to no smile around it.
    w.add_key("smile", 1.0, 0.0)
    w.add_key("smile", 2.0, 0.0)
    wait_frame(qtbot, w)
    assert [k.value for k in w.doc.keyframes["smile"]][0] == 0.0
    assert len(w.timeline.lane_of("smile").items) == 3
    assert w.undo.count() == start + 3

    assert mouth_width(w, near) > base_width_near + 2.0      # corners pulled out (pixels)
    assert abs(mouth_width(w, far) - base_width_far) < 1e-3
    smiling = frame_at(w, qtbot, near)
    assert differs(region(w, smiling, MOUTH), region(w, base_near, MOUTH)) > 1.0
    assert differs(frame_at(w, qtbot, far), base_far) < 1e-3

    # Saved in the project.
    assert w.doc.to_project().keyframes == w.doc.keyframes

    undo_all(w, qtbot, 3)
    assert w.doc.keyframes.empty
    assert not w.timeline.lane_of("smile").items
    assert differs(frame_at(w, qtbot, near), base_near) < 1e-3
    redo_all(w, qtbot, 3)
    assert len(w.doc.keyframes["smile"]) == 3
    assert differs(frame_at(w, qtbot, near), smiling) < 1e-3


def test_drag_and_delete_a_key(loaded, qtbot):
    w = loaded
    no_generated_blinks(w, qtbot)
    w.add_key("smile", 1.0, 0.0)
    w.add_key("smile", 1.5, 1.0)
    wait_frame(qtbot, w)
    lane = w.timeline.lane_of("smile")
    w.timeline.zoom_all()
    # A real mouse drag of the second key to (2.0 s, 0.5).
    drag(w.timeline.view.viewport(), lane_point(w, "smile", 1.5, 1.0),
         lane_point(w, "smile", 2.0, 0.5))
    wait_frame(qtbot, w)
    (t0, v0), (t1, v1) = [(k.time, k.value) for k in w.doc.keyframes["smile"]]
    assert (t0, v0) == (1.0, 0.0)
    assert abs(t1 - 2.0) < 0.05 and abs(v1 - 0.5) < 0.08
    lane.move(1, 2.0, 0.5)             # exactly (what the end of a drag reports)
    wait_frame(qtbot, w)
    assert [(round(k.time, 3), round(k.value, 3)) for k in w.doc.keyframes["smile"]] == [
        (1.0, 0.0), (2.0, 0.5)]
    lane.select(1)
    w.timeline.setFocus()
    qtbot.keyClick(w.timeline, Qt.Key.Key_Delete)
    wait_frame(qtbot, w)
    assert [k.time for k in w.doc.keyframes["smile"]] == [1.0]
    w.undo.undo()
    wait_frame(qtbot, w)
    assert len(w.doc.keyframes["smile"]) == 2
    w.undo.undo()     # the exact move
    w.undo.undo()     # the drag
    wait_frame(qtbot, w)
    assert [k.time for k in w.doc.keyframes["smile"]] == [1.0, 1.5]
    assert [round(it.pos().x(), 6) for it in lane.items] == [1.0, 1.5]


def test_gaze_keys_move_the_irises(loaded, qtbot):
    w = loaded
    no_generated_blinks(w, qtbot)
    t = 0.6
    before = frame_at(w, qtbot, t)
    w.add_key("gaze_x", 0.5, 1.0)
    wait_frame(qtbot, w)
    right = frame_at(w, qtbot, t)
    assert differs(region(w, right, EYES), region(w, before, EYES)) > 1.0
    # Only the eyes move: the mouth is the same.
    assert differs(region(w, right, MOUTH), region(w, before, MOUTH)) < 0.05
    w.add_key("gaze_y", 0.5, -1.0)
    wait_frame(qtbot, w)
    up_right = frame_at(w, qtbot, t)
    assert differs(region(w, up_right, EYES), region(w, right, EYES)) > 0.5
    assert w.timeline.lane_of("gaze_y").param == "gaze_y"

    w.undo.undo()
    wait_frame(qtbot, w)
    assert differs(shown(w), right) < 1e-3
    w.undo.undo()
    wait_frame(qtbot, w)
    assert differs(shown(w), before) < 1e-3
    redo_all(w, qtbot, 2)
    assert differs(shown(w), up_right) < 1e-3


def test_head_pose_keys_change_the_pose(loaded, qtbot):
    w = loaded
    no_generated_blinks(w, qtbot)
    w.inspector.rows["liveliness"].spin.setValue(0.0)   # only the keys move the head
    wait_frame(qtbot, w)
    t = 1.2
    rest = landmarks_at(w, t)
    before = frame_at(w, qtbot, t)
    iod = float(np.linalg.norm(rest[263, :2] - rest[33, :2]))
    checks = (("yaw", 20.0, 0), ("pitch", 15.0, 1), ("roll", 15.0, None))
    for param, value, axis in checks:
        w.add_key(param, 0.5, value)
        wait_frame(qtbot, w)
        lm = landmarks_at(w, t)
        if axis is not None:   # the nose tip swings sideways (yaw) or up/down (pitch)
            assert abs(lm[NOSE_TIP, axis] - rest[NOSE_TIP, axis]) > 0.05 * iod, param
        else:                  # roll tilts the line between the eyes
            d = lm[263, :2] - lm[33, :2]
            assert abs(np.degrees(np.arctan2(d[1], d[0]))) > 5.0
        w.undo.undo()
        wait_frame(qtbot, w)
        assert np.abs(landmarks_at(w, t) - rest).max() < 1e-3, param
        w.undo.redo()
        wait_frame(qtbot, w)
        assert np.abs(landmarks_at(w, t) - lm).max() < 1e-3, param
        w.undo.undo()
        wait_frame(qtbot, w)
    # Nod: an oscillation, so the pose changes over time where it was still.
    w.add_key("nod", 0.0, 10.0)
    wait_frame(qtbot, w)
    ys = [landmarks_at(w, s)[NOSE_TIP, 1] for s in np.arange(1.0, 1.6, 0.04)]
    assert np.ptp(ys) > 0.05 * iod
    assert differs(frame_at(w, qtbot, t), before) > 0.05
    w.undo.undo()
    wait_frame(qtbot, w)
    assert differs(frame_at(w, qtbot, t), before) < 1e-3


def test_keyframes_round_trip_through_a_project(loaded, qtbot, tmp_path):
    w = loaded
    w.add_key("smile", 1.0, 0.7)
    w.add_key("yaw", 0.5, -10.0)
    wait_frame(qtbot, w)
    saved = w.doc.keyframes
    path = tmp_path / "keys.talkie"
    assert w.projects.save_to(path)
    w.undo.undo()
    w.undo.undo()
    wait_frame(qtbot, w)
    assert w.doc.keyframes.empty
    w.projects.open(path)
    qtbot.waitUntil(lambda: w.doc.keyframes == saved, timeout=60_000)
    wait_frame(qtbot, w)
    assert len(w.timeline.lane_of("yaw").items) == 1


def _faint(window, param: str) -> np.ndarray:
    """The faint line of what the face does in ``param``'s lane (made to show it)."""
    _, y = window.timeline.lane_of(param).motion_curve.getData()
    return np.zeros(0) if y is None else np.asarray(y)


def test_the_gaze_and_head_lanes_show_what_the_face_does(loaded, qtbot):
    """Behind the keys, the gaze and head lanes draw the face's own glances and head turns
    (what the keys add to), and a key moves that line with it."""
    w = loaded
    anim = w.doc.animation
    gaze, pose = anim.motion.gaze, np.degrees(anim.motion.pose)
    x = _faint(w, "gaze_x")
    assert len(x) == anim.frame_count and np.abs(x).max() > 0.02   # the glances
    np.testing.assert_allclose(x, gaze[:, 0], atol=1e-6)
    np.testing.assert_allclose(_faint(w, "gaze_y"), gaze[:, 1], atol=1e-6)
    np.testing.assert_allclose(_faint(w, "yaw"), pose[:, 1], atol=1e-5)
    np.testing.assert_allclose(_faint(w, "pitch"), pose[:, 0], atol=1e-5)
    assert len(_faint(w, "smile")) == 0      # the speech draws no smile
    w.add_key("gaze_x", 1.0, 0.5)
    wait_frame(qtbot, w)
    k = w.doc.animation.frame_index(1.0)
    assert abs(_faint(w, "gaze_x")[k] - min(gaze[k, 0] + 0.5, 1.0)) < 1e-4
