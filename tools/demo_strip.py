"""Write a strip of demo frames (mouth closed, mouth open, blinking) for the README.

Usage: python tools/demo_strip.py [OUT.png] [--portrait IMAGE] [--voice AUDIO]
Renders the bundled sample (or the given portrait and voice) through the public engine
API and crops around the face.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402

SAMPLES = ROOT / "assets" / "samples"


def main(out: Path, portrait: Path = SAMPLES / "astronaut.png",
         voice: Path = SAMPLES / "voice_grid_s1.wav") -> None:
    image = engine.load_image(portrait)
    audio = engine.load_audio(voice)
    anim = engine.Animation(engine.analyse_portrait(image), engine.analyse_audio(audio),
                            engine.Settings())
    m = anim.motion
    closed = int(np.argmin(m.mouth_open[:20] + m.eyelids[:20].sum(axis=1)))
    opened = int(np.argmax(m.mouth_open - 10 * m.eyelids.sum(axis=1)))
    blink = int(np.argmax(m.eyelids.sum(axis=1)))
    x0, y0, x1, y1 = anim.portrait.faces[0].box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 0.9 * max(x1 - x0, y1 - y0)
    h, w = image.rgb.shape[:2]
    a, b = int(max(0, cy - half)), int(min(h, cy + half))
    c, d = int(max(0, cx - half)), int(min(w, cx + half))
    tiles = []
    for label, i in (("rest, in silence", closed), ("speaking", opened), ("blink", blink)):
        tile = np.ascontiguousarray(anim.render_index(i)[a:b, c:d, :3])
        tile = cv2.resize(tile, (320, int(320 * (b - a) / (d - c))), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, f"{label} (frame {i})", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(np.hstack(tiles), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, nargs="?", default=ROOT / "docs" / "img" / "demo_strip.png")
    ap.add_argument("--portrait", type=Path, default=SAMPLES / "astronaut.png")
    ap.add_argument("--voice", type=Path, default=SAMPLES / "voice_grid_s1.wav")
    args = ap.parse_args()
    main(args.out, args.portrait, args.voice)
