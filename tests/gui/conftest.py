"""GUI test fixtures: offscreen Qt, private settings, the studio window, no leftover threads."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TALKIE_NO_SOUND"] = "1"        # never play sound from tests
_HOME = tempfile.mkdtemp(prefix="talkie-gui-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")   # QSettings
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")       # recovery file

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QStandardPaths, QThreadPool  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PORTRAIT = ROOT / "assets" / "samples" / "astronaut.png"


@pytest.fixture(autouse=True)
def no_leftover_threads(qapp):
    """Fail the test if any worker thread (or analysis process) is still running after it."""
    import multiprocessing

    from gui.workers import running_threads

    yield
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if not running_threads() and QThreadPool.globalInstance().activeThreadCount() == 0 \
                and not multiprocessing.active_children():
            break
        time.sleep(0.01)
    left = [t.objectName() for t in running_threads()]
    assert not left, f"threads still running after the test: {left}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert not multiprocessing.active_children(), "an analysis process is still running"


@pytest.fixture
def app(qapp):
    from gui.app import create_app

    QStandardPaths.setTestModeEnabled(True)
    return create_app()


@pytest.fixture
def window(app, qtbot):
    from PySide6.QtWidgets import QMessageBox

    from gui.main_window import MainWindow

    w = MainWindow()
    w.ask_on_close = False
    # A modal question would hang an offscreen test: tests that ask say what they answer.
    w.projects.answer = QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    w.resize(1100, 760)
    w.show()
    yield w
    w.close()


@pytest.fixture(scope="session")
def portrait_path(tmp_path_factory) -> Path:
    if PORTRAIT.exists():
        return PORTRAIT
    from PIL import Image
    from skimage import data

    p = tmp_path_factory.mktemp("portrait") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(p)
    return p


@pytest.fixture(scope="session")
def voice_path(grid) -> Path:
    """A short GRID clip (about 3 s)."""
    return grid / "s1" / "audio" / "bbaf2n.flac"


@pytest.fixture
def loaded(window, qtbot, portrait_path, voice_path):
    """The window with the sample portrait and voice analysed and a frame on screen."""
    window.loader.load_portrait(portrait_path)
    window.loader.load_audio(voice_path)
    wait_frame(qtbot, window)
    return window


def wait_frame(qtbot, window, timeout: int = 60_000) -> None:
    """Wait until the preview shows the current animation's frame at the playhead."""
    qtbot.waitUntil(lambda: not window.loader.busy() and window.doc.animation is not None
                    and not window.doc.building() and window.frame_on_screen(),
                    timeout=timeout)


def wait_opened(qtbot, window, timeout: int = 60_000) -> None:
    """Wait until a project being opened is swapped in and its frame is on screen."""
    qtbot.waitUntil(lambda: not window.projects.opening(), timeout=timeout)
    wait_frame(qtbot, window, timeout)


def shown(window):
    """The preview's pixels as an array."""
    import numpy as np

    img = window.preview.shown_image.convertToFormat(
        window.preview.shown_image.Format.Format_RGB888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.bytesPerLine() * h)
    return buf.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()
