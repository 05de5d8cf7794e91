"""Where shipped resources live, from source and from a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path


def app_root() -> Path:
    """The folder that holds ``assets/``: the repo root, or the PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def asset(*parts: str) -> Path:
    """Path of a file under ``assets/``, e.g. ``asset("models", "face_landmark.onnx")``."""
    return app_root().joinpath("assets", *parts)
