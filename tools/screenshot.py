"""Screenshots of the real studio: ``python tools/screenshot.py [main|lanes|fit] OUT.png``.

Starts ``Xvfb`` when there is no display, runs the app in a child process and
saves its window to OUT.png once the frame is on screen:

- ``main`` (default): the sample portrait and voice, playhead mid-clip;
- ``lanes``: the same with a few expression, gaze and head keys;
- ``fit``: scikit-image's ``chelsea`` cat, which the face detector misses,
  with the face placed by hand and the fitted mesh drawn over it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1600, 1000)
MODES = ("main", "lanes", "fit")

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
    mode = argv.pop(0) if argv and argv[0] in MODES else "main"
    if len(argv) > 1:
        raise SystemExit("usage: screenshot.py [main|lanes|fit] OUT.png")
    out = Path(argv[0] if argv else "out/screenshot.png").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("TALKIE_SHOT_CHILD"):
        return capture(mode, out)
    # The app runs in a child process, so Xvfb is stopped even if Qt aborts.
    xvfb = start_xvfb()
    try:
        env = dict(os.environ, TALKIE_SHOT_CHILD="1")
        return subprocess.call([sys.executable, str(Path(__file__).resolve()), mode, str(out)],
                               env=env, timeout=300)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)


def capture(mode: str, out: Path) -> int:
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

    portrait, voice = sample_inputs()
    if mode in ("main", "lanes"):
        window.loader.load_portrait(portrait)
        window.loader.load_audio(voice)
        pump(frame_ready)
    if mode == "main":
        window.seek(window.doc.duration / 2)
        pump(frame_ready)
    elif mode == "lanes":
        for param, t, v in (("smile", 0.7, 0.0), ("smile", 1.3, 0.9), ("smile", 2.1, 0.2),
                            ("gaze_x", 0.5, 0.0), ("gaze_x", 1.1, -0.7), ("gaze_x", 2.4, 0.5),
                            ("yaw", 0.4, 0.0), ("yaw", 1.6, 25.0), ("yaw", 2.6, -15.0)):
            window.add_key(param, t, v)
        window.timeline.lane_of("gaze_x")
        pump(frame_ready)
        window.seek(1.35)
        pump(frame_ready)
        window.timeline.lane_of("smile").select(1)
    if mode == "fit":
        from PIL import Image
        from skimage import data

        cat = Path(home) / "chelsea.png"
        Image.fromarray(data.chelsea()).save(cat)
        window.loader.load_audio(voice)
        window.loader.load_portrait(cat)
        pump(lambda: not window.loader.busy() and bool(window.banner._buttons))
        window.banner._buttons[0].click()
        from engine.face.fit import FIT_POINTS

        points = json.loads((ROOT / "assets" / "samples" / "chelsea_face.json").read_text())
        points = points["points"]
        for name in FIT_POINTS:
            window.fitter.place(*points[name])
            app.processEvents()
        pump(lambda: window.fitter.landmarks is not None)
        # The cat's eyes are rounder than a person's: drag the eyelid handles onto its lids.
        for name in set(points) - set(FIT_POINTS):
            window.fitter.move_point(name, *points[name])
        pump(lambda: window.fitter.landmarks is not None)
    end = time.monotonic() + 0.7
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    ok = window.grab().save(str(out))
    window.fitter.cancel()
    window.close()
    QApplication.processEvents()
    if not ok:
        raise SystemExit(f"could not write {out}")
    print(out)
    return 0



if __name__ == "__main__":
    raise SystemExit(main())
