"""A dark theme for media work: Fusion palette, a small style sheet, pyqtgraph colours."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BG = "#1e1f22"
PANEL = "#26282c"
BASE = "#17181a"
TEXT = "#d8dadf"
DIM = "#8a8f98"
ACCENT = "#4aa3ff"
PLAYHEAD = "#ff5a4f"
BLINK = "#ffc247"
MOUTH = "#58d68d"
WAVE = "#6fb7ff"
WARN = "#e8a33c"
ERROR = "#e5534b"

STYLE = f"""
QMainWindow, QDialog {{ background: {BG}; }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 8px; }}
QToolBar {{ background: {PANEL}; border: none; spacing: 4px; padding: 3px; }}
QToolButton {{ padding: 4px 6px; border-radius: 4px; }}
QToolButton:hover {{ background: #34373c; }}
QToolButton:checked {{ background: #2f4d6e; }}
QStatusBar {{ background: {PANEL}; color: {DIM}; }}
QGroupBox {{ border: 1px solid #34373c; border-radius: 6px; margin-top: 14px;
             padding: 8px 6px 6px 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {DIM}; }}
QLabel#timeReadout {{ font-family: monospace; font-size: 13pt; color: {TEXT};
                      background: {BASE}; border-radius: 4px; padding: 2px 8px; }}
QLabel#hint {{ color: {DIM}; }}
QFrame#banner {{ border-radius: 6px; padding: 2px; }}
QFrame#banner[level="info"] {{ background: #23384f; }}
QFrame#banner[level="warning"] {{ background: #4d3b1c; }}
QFrame#banner[level="error"] {{ background: #552826; }}
QProgressBar {{ border: 1px solid #34373c; border-radius: 4px; text-align: center;
                background: {BASE}; min-height: 14px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::groove:horizontal {{ height: 4px; background: #3a3d42; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {ACCENT}; width: 12px; margin: -5px 0;
                              border-radius: 6px; }}
QSlider::sub-page:horizontal {{ background: #2f6fb0; border-radius: 2px; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion with a dark palette; also sets pyqtgraph's default colours."""
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: BG,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#0b0c0d",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: DIM,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5d6169"))
    app.setPalette(pal)
    app.setStyleSheet(STYLE)
    pg.setConfigOptions(background=BASE, foreground=DIM, antialias=True)
