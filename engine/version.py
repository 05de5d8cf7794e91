"""The version, read from the installed package metadata, or pyproject.toml from source."""

from __future__ import annotations

import re
from importlib import metadata

from engine.paths import app_root


def _read() -> str:
    try:
        return metadata.version("talkie")
    except metadata.PackageNotFoundError:
        pass
    try:
        text = (app_root() / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return "0+unknown"
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "0+unknown"


__version__ = _read()
APP_NAME = "Talkie"
