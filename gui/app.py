"""Start the studio: ``gui.app.main(argv) -> int`` (``python main.py`` calls it)."""

from __future__ import annotations

import logging
import multiprocessing
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import engine
from gui.theme import apply_dark_theme

ORG = "Talkie"


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
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    from gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    files = [Path(a) for a in argv if not a.startswith("-")]
    if files:
        window.loader.open_paths(files)
    else:
        window.projects.offer_recovery()
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
