"""How sharp are the teeth at full size? (issue 14, item 2: "keep it sharp at 1024 px")

Every portrait of the blink check (``tools/blink_check.py``: photos, the Mona Lisa,
paintings and drawings made from the photos, video stills), scaled to a long edge of
1024 px, is animated by the app (default settings) with the sample voice, and the
:data:`FRAMES` frames where its mouth is widest are rendered. Reported per portrait,
means over those frames:

- *inside*: the fine detail inside the inner lips (mean absolute high-pass of the
  luma, sigma 1 pixel: :func:`engine.render_eval.inner_mouth_detail`), grey levels;
- *skin*: the same over a band of skin 0.04 to 0.12 IOD outside the outer lips;
- their ratio. Real open mouths read 4.9 to 7.5 (the validation videos at their own
  size, the six widest frames of each clip): teeth edges are the sharpest thing in a
  face. A portrait that shows its own teeth keeps them (the ratio is its own);
- *corners / middle*: how dark the inside is towards the mouth's corners over its
  middle third (:func:`engine.render_eval.inner_mouth_corners`). Real open mouths read
  0.43 to 0.56 at their widest (CREMA-D 1001, quartiles), s4hq 0.49 to 0.53; an inside
  lit all round its rim reads higher;
- *edge blur*: how soft the picture's own edges are around the mouth
  (:func:`engine.render.samples.edge_blur`, what the rig measures), and *teeth blur*: the
  same read inside the rendered inner lips (:func:`teeth_blur`, median over the frames),
  pixels. Teeth as sharp as the picture read about the same. Both are this checkout's
  measures, whichever checkout renders (``--root``).

Run: ``python tools/teeth_detail.py [--size 1024] [--only NAME ...] [--crops OUT.png]``
(a few seconds). ``--crops`` also writes the mouths at the wider opening, one per
portrait; ``--root`` renders with the engine of another checkout (for "before");
``--mouth 3`` animates them at that *Mouth* setting (a wide mouth, a shout), ``--voice``
with another voice (CREMA-D's angry line, say).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
#: Width of one mouth in the ``--crops`` picture, pixels (1.1 x 0.45 IOD around it).
CROP = 320

VOICE = ROOT / "assets" / "samples" / "voice_grid_s1.wav"
#: The frames of the sample voice where the mouth is widest, rendered for each portrait.
FRAMES = 6
#: The band of skin around the outer lips (IOD).
BAND = (0.04, 0.12)


def skin_detail(rgb: np.ndarray, landmarks: np.ndarray, iod: float) -> float:
    """Mean absolute high-pass (sigma 1 pixel) of the luma over the band :data:`BAND`
    outside the outer lips; ``landmarks (468, 2+)`` pixels."""
    from engine.render import topology as topo

    outer = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(outer, [np.round(landmarks[topo.LIPS_OUTER, :2]).astype(np.int32)], 1)

    def grown(r: float) -> np.ndarray:
        k = 2 * max(int(round(r * iod)), 1) + 1
        return cv2.dilate(outer, np.ones((k, k), np.uint8)).astype(bool)

    band = grown(BAND[1]) & ~grown(BAND[0])
    y = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(y - cv2.GaussianBlur(y, (0, 0), 1.0))[band].mean())


@functools.cache
def _voice(path: Path):
    """The voice analysed once for every portrait (phones, loudness, pitch)."""
    from engine import analyse_audio, load_audio

    return analyse_audio(load_audio(path))


@functools.cache
def _own(name: str):
    """This checkout's ``engine/render_eval.py`` or ``engine/render/samples.py`` (``name``
    is the path under engine/), whichever engine renders: the measures stay the same."""
    spec = importlib.util.spec_from_file_location(
        f"_teeth_detail_{name.replace('/', '_')}", ROOT / "engine" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def teeth_blur(rgb: np.ndarray, landmarks: np.ndarray) -> float | None:
    """How soft the edges inside the inner lips are (the teeth and the gaps between
    them), pixels, as :func:`engine.render.samples.edge_sigma` reads them (the strongest
    fifth of the gradients there; the lips' own edge, two pixels in, left out). None
    where there are too few edges (a small mouth, or one showing no teeth)."""
    found = _own("render_eval").inner_mouth_box(rgb, landmarks, inset=2)
    if found is None:
        return None
    grey, inside = found
    return _own("render/samples").edge_sigma(grey, inside, share=0.2, min_edges=10)


def measure(rgb: np.ndarray, mouth: float = 1.0, voice: Path = VOICE) -> dict:
    """``{"iod", "mouth_px", "blur", "teeth_blur", "inside", "skin", "ratio", "corners",
    "crop"}`` of one portrait (module docstring; ``crop`` the mouth at the widest frame,
    :data:`CROP` pixels wide, ``uint8`` RGB), animated by ``voice`` at the *Mouth* setting
    ``mouth``."""
    from engine import Animation, analyse_portrait
    from engine.errors import TalkieError
    from engine.media.image import Image
    from engine.render import frame_landmarks, render_frame
    from engine.render import topology as topo
    from engine.settings import Settings

    try:
        portrait = analyse_portrait(Image(rgb, None, "portrait"))
    except TalkieError as exc:
        raise ValueError(str(exc)) from exc
    rig = portrait.rig
    motion = Animation(portrait, _voice(voice), Settings(fps=25, mouth_intensity=mouth)).motion
    widest = [int(k) for k in np.argsort(motion.mouth_open)[::-1][:FRAMES]]
    inside, skin, blurs, corners = [], [], [], []
    for k in widest:
        img = render_frame(rig, motion, k)
        xy = frame_landmarks(rig, motion, k)
        iod = float(np.linalg.norm(xy[topo.EYE_OUTER[1], :2] - xy[topo.EYE_OUTER[0], :2]))
        d = _own("render_eval").inner_mouth_detail(img, xy)
        if d is not None:
            inside.append(d)
            skin.append(skin_detail(img, xy, iod))
        t = teeth_blur(img, xy)
        if t is not None:
            blurs.append(t)
        c = _own("render_eval").inner_mouth_corners(img, xy)
        if c is not None:
            corners.append(c)
    if not inside:
        raise ValueError("the mouth is too small to measure")
    img = render_frame(rig, motion, widest[0])
    xy = frame_landmarks(rig, motion, widest[0])
    c = xy[topo.LIPS_OUTER, :2].mean(axis=0)
    half = np.array([0.55 * rig.iod, 0.225 * rig.iod])
    (x0, y0), (x1, y1) = (np.round(c - half).astype(int), np.round(c + half).astype(int))
    crop = img[max(y0, 0):y1, max(x0, 0):x1]
    crop = cv2.resize(crop, (CROP, int(round(CROP * crop.shape[0] / crop.shape[1]))),
                      interpolation=cv2.INTER_CUBIC)
    lm = rig.landmarks
    i, s = float(np.mean(inside)), float(np.mean(skin))
    return {"iod": float(rig.iod), "mouth_px": float(np.ptp(lm[topo.LIPS_OUTER, 0])),
            "blur": _own("render/samples").edge_blur(rgb, lm, rig.iod),
            "teeth_blur": float(np.median(blurs)) if blurs else float("nan"),
            "inside": i, "skin": s, "ratio": i / max(s, 1e-6),
            "corners": float(np.mean(corners)) if corners else float("nan"), "crop": crop}


def main(argv: list[str] | None = None) -> int:
    import blink_check

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=list(blink_check.PORTRAITS))
    ap.add_argument("--size", type=int, default=blink_check.SIZE)
    ap.add_argument("--crops", type=Path, default=None)
    ap.add_argument("--mouth", type=float, default=1.0,
                    help="the Mouth setting (2 or 3: a wide mouth, a shout)")
    ap.add_argument("--voice", type=Path, default=VOICE,
                    help="the voice that animates them (default the sample voice)")
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="the Talkie checkout whose engine renders (default this one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.root))
    blink_check.SIZE = args.size
    crops = []
    rows = ["| portrait | kind | IOD, px | mouth, px | edge blur, px | teeth blur, px | inside | "
            "skin | inside / skin | corners / middle |", "|---" * 10 + "|"]
    for name in args.only or list(blink_check.PORTRAITS):
        kind, load = blink_check.PORTRAITS[name]
        try:
            m = measure(blink_check.scaled(load()), args.mouth, args.voice)
        except ValueError as exc:
            rows.append(f"| {name} | {kind} | {exc} | | | | | | | |")
            continue
        rows.append(f"| {name} | {kind} | {m['iod']:.0f} | {m['mouth_px']:.0f} | "
                    f"{m['blur']:.2f} | {m['teeth_blur']:.2f} | {m['inside']:.2f} | "
                    f"{m['skin']:.2f} | {m['ratio']:.2f} | {m['corners']:.2f} |")
        crops.append(m["crop"])
    sys.stdout.write("\n".join(rows) + "\n")
    if args.crops is not None and crops:
        h = max(c.shape[0] for c in crops)
        sheet = np.concatenate([np.pad(c, ((0, h - c.shape[0]), (0, 2), (0, 0))) for c in crops],
                               axis=1)
        args.crops.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.crops), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
