"""Talkie's studio: a PySide6 front end that uses only the engine's public API."""

from gui.pyside_workaround import pin_singletons

pin_singletons()
