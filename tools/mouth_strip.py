"""The README's strip: 1024 px crops of the mouth and the eyes, before / after / real.

Each row is a validation clip whose first frame is the portrait, scaled to a
long edge of 1024 px; the motion is the real video's own tracked face
(the "oracle" of ``tools/mouth_eval.py``), so the crops compare rendering
alone. Mouth rows: the frame where the real mouth is widest. Eye rows: the
middle of a blink labelled by eye in ``tests/fixtures/blink_labels.json``,
rendered with the lids shut.

Two steps, so that "before" can come from another checkout of Talkie:

    python tools/mouth_strip.py render --root /path/to/old/checkout --out before.npz
    python tools/mouth_strip.py render --out after.npz
    python tools/mouth_strip.py compose before.npz after.npz --out docs/img/mouth_eyes.png

``--rows parted`` (both steps) takes instead clips whose portrait is the frame where the
real mouth is open half as wide as at its widest (``tools/mouth_eval.py --portrait half``,
lips parted mid-word), so that the widest frame opens past what the portrait shows.

The tracked landmarks come from the prepare-data cache (``tools/mouth_eval.py``
fills it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SIZE = 1024
#: (row label, clip, kind, frame or None for the widest mouth); the portrait is the
#: first frame
ROWS = [
    ("s4hq pwip6a, mouth", "grid/s4hq/video/pwip6a.mp4", "mouth", None),
    ("CREMA-D 1001 HAP, mouth", "crema-d/1001/video/1001_DFA_HAP_XX.mp4", "mouth", None),
    ("s4hq sbwu4a, eyes (real blink)", "grid/s4hq/video/sbwu4a.mp4", "eyes", 15),
]
#: The same, the portrait a frame with parted lips (``--rows parted``)
PARTED = [
    ("CREMA-D 1001 ANG, mouth", "crema-d/1001/video/1001_DFA_ANG_XX.mp4", "mouth", None),
    ("CREMA-D 1001 NEU, mouth", "crema-d/1001/video/1001_DFA_NEU_XX.mp4", "mouth", None),
    ("GRID s34 lbwh5n, mouth", "grid/s34/video/lbwh5n.mp4", "mouth", None),
]


def _frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]


def render(root: Path, cache: Path, parted: bool = False) -> dict:
    """Crops ``(label -> (rendered, real, portrait))`` with the engine found under
    ``root``; with ``parted``, the rows of :data:`PARTED`."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_frames import portrait_index

    sys.path.insert(0, str(root))  # after mouth_eval, which puts this checkout first
    from engine.face import detect_faces
    from engine.face.align import to_canonical
    from engine.motion.track import MotionTrack
    from engine.render import PortraitRig, render_frame

    out = {}
    for label, rel, kind, frame in PARTED if parted else ROWS:
        video = DATA / rel
        speaker = video.parent.parent.name
        with np.load(cache / speaker / (video.stem + ".npz")) as d:
            lm = d["landmarks"].astype(np.float32)
            at = portrait_index(lm, d["presence"], "half") if parted else 0
        frames = _frames(video)
        h, w = frames[0].shape[:2]
        f = SIZE / max(h, w)
        size = (round(w * f), round(h * f))
        big = [cv2.resize(x, size, interpolation=cv2.INTER_CUBIC) for x in frames]
        lm_big = lm * np.float32(f)
        if frame is None:
            iod = np.linalg.norm(lm[:, 263, :2] - lm[:, 33, :2], axis=1)
            frame = int(np.argmax(np.linalg.norm(lm[:, 14, :2] - lm[:, 13, :2], axis=1) / iod))
        rig = PortraitRig.build(big[at], None, detect_faces(big[at])[0].landmarks)
        base, _ = to_canonical(lm_big[at])
        target, _ = to_canonical(lm_big[frame])
        expr = (target - base)[None].astype(np.float32)
        if kind == "eyes":
            expr[:] = 0.0
        track = MotionTrack(25.0, expr, np.ones((1, 1), np.float32), np.zeros((1, 6), np.float32),
                            np.full((1, 2), 1.0 if kind == "eyes" else 0.0, np.float32),
                            np.zeros(1, np.float32))
        img = render_frame(rig, track, 0)
        xy = lm_big[frame, :, :2]
        iod = float(np.linalg.norm(xy[263] - xy[33]))
        if kind == "mouth":
            c = xy[[61, 291, 13, 14]].mean(0)
            half = np.array([0.6, 0.33]) * iod
        else:
            c = xy[[33, 133, 263, 362]].mean(0)
            half = np.array([0.85, 0.25]) * iod
        x0, y0 = (c - half).astype(int)
        x1, y1 = (c + half).astype(int)
        out[label] = (img[y0:y1, x0:x1], big[frame][y0:y1, x0:x1], big[at][y0:y1, x0:x1])
    return out


def compose(before: dict, after: dict, path: Path) -> None:
    """One row per clip: still portrait | before | after | real frame."""
    rows = []
    width = 4 * 360
    for label in before:
        b, real, still = before[label]
        a = after[label][0]
        tiles = [cv2.resize(t, (360, round(360 * t.shape[0] / t.shape[1])),
                            interpolation=cv2.INTER_AREA) for t in (still, b, a, real)]
        row = np.concatenate(tiles, 1)
        bar = np.full((22, width, 3), 255, np.uint8)
        for k, name in enumerate(("portrait", "before", "after", "real frame")):
            cv2.putText(bar, f"{label}: {name}" if k == 0 else name, (6 + 360 * k, 16),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        rows += [bar, row]
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("--root", type=Path, default=ROOT)
    r.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--rows", choices=("first", "parted"), default="first")
    c = sub.add_parser("compose")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.cmd == "render":
        crops = render(args.root.resolve(), args.cache, args.rows == "parted")
        np.savez_compressed(args.out, **{f"{k}|{i}": v[i] for k, v in crops.items()
                                         for i in range(3)})
    else:
        def load(p: Path) -> dict:
            with np.load(p) as d:
                order = [x[0] for x in ROWS + PARTED]
                labels = sorted({k.split("|")[0] for k in d.files}, key=order.index)
                return {k: tuple(d[f"{k}|{i}"] for i in range(3)) for k in labels}
        compose(load(args.before), load(args.after), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
