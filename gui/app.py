"""Start the studio: ``gui.app.main(argv) -> int`` (``python main.py`` calls it)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import engine
from gui.theme import apply_dark_theme

if TYPE_CHECKING:
    from gui.main_window import MainWindow

ORG = "Talkie"


log = logging.getLogger(__name__)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists), named and themed."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(["talkie", *(argv or [])])
    QCoreApplication.setOrganizationName(ORG)
    QCoreApplication.setApplicationName(engine.APP_NAME)
    QCoreApplication.setApplicationVersion(engine.__version__)
    QGuiApplication.setDesktopFileName("talkie")
    apply_dark_theme(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    """Open the studio window; files given on the command line are opened in it."""
    multiprocessing.freeze_support()  # analysis runs in a child process (frozen builds too)
    argv = list(sys.argv[1:] if argv is None else argv)
    from gui.platform_check import problem

    why = problem()
    if why is not None:  # Qt would abort with a message that names no fix
        print(f"error: {why}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    from gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    files = [Path(a) for a in argv if not a.startswith("-")]
    quit_on_signals(app, window)
    smoke_ms = os.environ.get("TALKIE_SMOKE_QUIT_MS")
    if files:
        window.loader.open_paths(files)
    elif not smoke_ms:
        window.projects.offer_recovery()
    if smoke_ms:
        _arm_smoke_test(app, int(smoke_ms))
    code = int(app.exec())
    # A quit that did not close the window (app.exit) must still stop the workers: a
    # thread still running when Python tears Qt down aborts the process.
    window.shutdown()
    from gui.workers import running_threads

    if running_threads():
        # A worker is inside a step that cannot stop half-way (decoding a huge picture on
        # a busy machine) and outlived the bounded wait. The work is already saved or
        # discarded by the user; leave now rather than let Qt abort on a running thread.
        log.warning("leaving with %d worker(s) still running", len(running_threads()))
        logging.shutdown()
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(code)
    return code


def quit_on_signals(app: QApplication, window: MainWindow) -> None:
    """SIGTERM and SIGHUP (logging out, `kill`, a closed terminal) quit at once with the
    work kept in the autosave, offered back at the next start, instead of killing the
    process between two autosaves."""
    from PySide6.QtCore import QTimer

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, window.quit_keeping_work)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handler)
    # Python runs signal handlers only between bytecodes: wake it while Qt's loop waits.
    waker = QTimer(app)
    waker.timeout.connect(lambda: None)
    waker.start(200)


def _arm_smoke_test(app: QApplication, quit_ms: int) -> None:
    """For packaging/smoke_test.py: prove the event loop runs and a spawned child starts, then quit.

    The child matters because analysis runs in a "spawn" process, which in a
    frozen build re-runs the executable itself.
    """
    from PySide6.QtCore import QTimer

    def check() -> None:
        print("talkie-smoke: event loop running", file=sys.stderr, flush=True)
        child = multiprocessing.get_context("spawn").Process(
            target=print, args=("talkie-smoke: child process ran",)
        )
        child.start()
        child.join(60)
        code = 0 if child.exitcode == 0 else 3
        QTimer.singleShot(quit_ms, lambda: app.exit(code))

    QTimer.singleShot(0, check)


if __name__ == "__main__":
    raise SystemExit(main())
