"""Screenshots of directing: ``python tools/screenshot_lanes.py lanes|fit OUT.png``.

``lanes``: the studio with the sample portrait and voice and a few expression,
gaze and head keys on the timeline. ``fit``: a cat (scikit-image's
``chelsea``, which the face detector misses) with the face placed by hand and
the fitted mesh drawn over it. Runs under Xvfb like ``tools/screenshot.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot import ROOT, SIZE, sample_inputs, start_xvfb  # noqa: E402

#: The points on ``chelsea`` (451 x 300 pixels).
CAT_POINTS = {
    "right_eye_outer": (135.0, 112.0), "right_eye_inner": (205.0, 125.0),
    "left_eye_inner": (300.0, 140.0), "left_eye_outer": (345.0, 128.0),
    "nose_tip": (262.0, 235.0), "mouth_right": (232.0, 262.0), "mouth_left": (288.0, 262.0),
    "upper_lip": (260.0, 255.0), "lower_lip": (260.0, 268.0), "chin": (260.0, 292.0),
}

#: Where the cat's lids are (the eyelid handles, dragged).
CAT_LIDS = {"right_eye_top": (170.0, 90.0), "right_eye_bottom": (172.0, 146.0),
            "left_eye_top": (322.0, 112.0), "left_eye_bottom": (322.0, 162.0)}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("lanes", "fit"):
        raise SystemExit("usage: screenshot_lanes.py lanes|fit OUT.png")
    mode, out = argv[0], Path(argv[1]).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("TALKIE_SHOT_CHILD"):
        return capture(mode, out)
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
    if mode == "lanes":
        window.loader.load_portrait(portrait)
        window.loader.load_audio(voice)
        pump(frame_ready)
        for param, t, v in (("smile", 0.7, 0.0), ("smile", 1.3, 0.9), ("smile", 2.1, 0.2),
                            ("gaze_x", 0.5, 0.0), ("gaze_x", 1.1, -0.7), ("gaze_x", 2.4, 0.5),
                            ("yaw", 0.4, 0.0), ("yaw", 1.6, 25.0), ("yaw", 2.6, -15.0)):
            window.add_key(param, t, v)
        window.timeline.lane_of("gaze_x")
        pump(frame_ready)
        window.seek(1.35)
        pump(frame_ready)
        window.timeline.lane_of("smile").select(1)
    else:
        from PIL import Image
        from skimage import data

        cat = Path(home) / "chelsea.png"
        Image.fromarray(data.chelsea()).save(cat)
        window.loader.load_audio(voice)
        window.loader.load_portrait(cat)
        pump(lambda: not window.loader.busy() and bool(window.banner._buttons))
        window.banner._buttons[0].click()
        for x, y in CAT_POINTS.values():
            window.fitter.place(x, y)
            app.processEvents()
        pump(lambda: window.fitter.landmarks is not None)
        # The cat's eyes are rounder than a person's: drag the eyelid handles onto its lids.
        for name, (x, y) in CAT_LIDS.items():
            window.fitter.move_point(name, x, y)
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
