"""Before Qt starts: a missing X11 library or display is found and named, with the fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from gui.platform_check import XCB_LIBRARIES, problem, uses_xcb
from tests.conftest import ROOT

DESKTOP = {"DISPLAY": ":0"}


def test_a_hidden_library_is_named_with_the_apt_line_that_installs_it() -> None:
    hidden = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    why = problem(DESKTOP, "linux", loadable=lambda so: so not in hidden)
    assert why is not None
    assert "libxcb-cursor.so.0" in why and "libxkbcommon-x11.so.0" in why
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0" in why
    assert problem(DESKTOP, "linux", loadable=lambda so: True) is None


def test_only_the_x11_plugin_is_checked() -> None:
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({}, "darwin")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux") and uses_xcb({}, "linux")
    assert problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", loadable=lambda so: False) is None
    assert "DISPLAY" in (problem({}, "linux", loadable=lambda so: True) or "")


def test_the_real_libraries_of_this_machine() -> None:
    """On this machine the check agrees with the dynamic loader (ldd of Qt's plugin)."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():  # pragma: no cover - not a Linux wheel
        return
    ldd = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
    missing = set(re.findall(r"(\S+) => not found", ldd))
    found = problem(DESKTOP, "linux")
    assert (found is None) == (not missing & set(XCB_LIBRARIES)), (found, missing)


def test_the_studio_says_why_it_cannot_open_without_a_display(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(env, XDG_CONFIG_HOME=str(tmp_path)))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert "could not be initialized" not in proc.stderr   # Qt's own abort never comes


def test_ci_and_readme_name_the_same_packages() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    pairs = dict(re.findall(r"(lib[\w.+-]+\.so\.\d+):([\w.+-]+)", ci))
    assert pairs == {so: pkg for so, pkg in XCB_LIBRARIES.items()}
    readme = (ROOT / "README.md").read_text()
    missing = [pkg for pkg in XCB_LIBRARIES.values() if pkg not in readme]
    assert not missing, f"the README does not name {missing}"
