"""Screenshot of the real studio: ``python tools/screenshot.py OUT.png``.

Starts ``Xvfb`` when there is no display, opens the sample portrait and voice,
moves the playhead to the middle of the clip, waits for the frame, and saves
the window to OUT.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1600, 1000)


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return None
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed (Debian: apt-get install xvfb).")
    for n in range(99, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", f"{SIZE[0] + 64}x{SIZE[1] + 64}x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            break
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{n}"
    return proc


def sample_inputs() -> tuple[Path, Path]:
    samples = ROOT / "assets" / "samples"
    portrait = samples / "astronaut.png"
    if not portrait.exists():
        from PIL import Image
        from skimage import data

        portrait = Path(tempfile.mkdtemp()) / "astronaut.png"
        Image.fromarray(data.astronaut()).save(portrait)
    voices = sorted(samples.glob("*.wav")) + sorted(samples.glob("*.flac"))
    voice = voices[0] if voices else ROOT.parent / "shared/data/grid/s1/audio/bbaf2n.flac"
    return portrait, voice


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "out/screenshot.png").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("TALKIE_SHOT_CHILD"):
        return capture(out)
    # The app runs in a child process, so Xvfb is stopped even if Qt aborts.
    xvfb = start_xvfb()
    try:
        env = dict(os.environ, TALKIE_SHOT_CHILD="1")
        return subprocess.call([sys.executable, str(Path(__file__).resolve()), str(out)],
                               env=env, timeout=300)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)


def capture(out: Path) -> int:
    # A fresh settings folder: the screenshot shows the default layout.
    home = tempfile.mkdtemp(prefix="talkie-shot-")
    os.environ["XDG_CONFIG_HOME"] = os.path.join(home, "config")
    os.environ["XDG_DATA_HOME"] = os.path.join(home, "data")
    os.environ.setdefault("TALKIE_NO_SOUND", "1")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from gui.app import create_app
    from gui.main_window import MainWindow

    app = create_app()
    window = MainWindow()
    window.ask_on_close = False
    window.resize(*SIZE)
    window.show()
    portrait, voice = sample_inputs()
    window.loader.load_portrait(portrait)
    window.loader.load_audio(voice)

    def pump(ready, timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > end:
                raise SystemExit("timed out waiting for the studio")
            app.processEvents()
            time.sleep(0.01)

    def frame_ready() -> bool:
        return (not window.loader.busy() and window.doc.animation is not None
                and not window.doc.building() and window.frame_on_screen())

    pump(frame_ready)
    window.seek(window.doc.duration / 2)
    pump(frame_ready)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    ok = window.grab().save(str(out))
    window.close()
    QApplication.processEvents()
    if not ok:
        raise SystemExit(f"could not write {out}")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
