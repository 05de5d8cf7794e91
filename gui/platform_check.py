"""Before Qt starts: can its window system plugin load here? If not, say how to fix it.

Qt 6's X11 plugin (``xcb``) needs a dozen system libraries that a fresh
Debian or Ubuntu desktop often lacks (``libxcb-cursor0`` first of all). Without
them Qt aborts with "no Qt platform plugin could be initialized", which tells
a newcomer nothing. :func:`problem` finds the missing libraries (by loading
each, as Qt would) before any Qt window exists, and :func:`apt_line` gives the
one command that installs them. This module imports no Qt.

:data:`XCB_LIBRARIES` is the one list: ``.ci/run`` installs the same packages
and the README names them (``tests/test_platform_check.py`` checks both).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

#: Libraries the xcb plugin loads (``objdump -p libqxcb.so libQt6XcbQpa.so.6``,
#: PySide6 6.x, system libraries only) -> the Debian/Ubuntu package holding it.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libglib-2.0.so.0": "libglib2.0-0",
}


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 plugin: Linux, and ``QT_QPA_PLATFORM`` unset or
    ``xcb``, unless a Wayland session serves Qt's Wayland plugin."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def missing_libraries(loadable: Callable[[str], bool] = _loadable) -> list[str]:
    """The libraries of :data:`XCB_LIBRARIES` that cannot be loaded here."""
    return [so for so in XCB_LIBRARIES if not loadable(so)]


def apt_line(libraries: list[str]) -> str:
    """The one command that installs ``libraries`` on Debian or Ubuntu."""
    packages = sorted({XCB_LIBRARIES[so] for so in libraries})
    return "sudo apt-get install " + " ".join(packages)


def problem(env: Mapping[str, str] | None = None, platform: str = sys.platform,
            loadable: Callable[[str], bool] = _loadable) -> str | None:
    """Why the studio's window cannot open here, with the fix; None when it can.

    Checks what Qt would otherwise report only by aborting: the X11 plugin's
    libraries, and a display to connect to.
    """
    env = os.environ if env is None else env
    if not uses_xcb(env, platform):
        return None
    missing = missing_libraries(loadable)
    if missing:
        return ("Talkie's window needs Qt's X11 libraries, and these are missing: "
                f"{', '.join(missing)}.\nOn Debian or Ubuntu, install them with:\n  "
                f"{apt_line(missing)}")
    if not env.get("DISPLAY"):
        return ("There is no display to open Talkie's window on (DISPLAY is not set). Start "
                "it from a desktop session, or without one under xvfb-run; the command "
                "line (main.py COMMAND) needs no display.")
    return None
