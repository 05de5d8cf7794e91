"""Build ``assets/mouth/interiors.npz``: real mouth interiors of GRID speaker s1.

The renderer fills the gap that opens between the lips of a portrait that
shows none with a real mouth interior, not flat paint
(:mod:`engine.render.interior`). This tool collects it from the training
speaker's clips only (GRID s1, CC BY 4.0; never a validation speaker):

1. Track the face in ``--clips`` s1 clips (the prepare-data cache,
   :mod:`engine.model.data`).
2. From every frame whose inner lips part by at least the strip's height,
   take the strip under the upper inner lip and the strip above the lower one
   (:func:`engine.render.interior.strips`: across the mouth from corner to
   corner, and down from the lip in inter-ocular distances), colour-normalised
   by that clip's cheek colour (s1's light changes between sessions).
3. Take the per-pixel median of each strip over those frames: s1's upper and
   lower teeth at their real size; and the median of the darkest tenth of the
   inside of the widest mouths: the cavity.
4. Store them with s1's typical cheek and lip colours, so that the renderer
   can carry them to a portrait's light.

Run: ``python tools/build_mouth_bank.py`` (a few minutes on 2 cores; the
tracking is cached with ``make model``'s).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("build_mouth_bank")

S1 = ROOT.parent / "shared" / "data" / "grid" / "s1" / "video"
OUT = ROOT / "assets" / "mouth" / "interiors.npz"
#: Least inner-lip gap (inter-ocular distances) of the frames the cavity comes from.
CAVITY_GAP = 0.09


def main(argv: list[str] | None = None) -> int:
    from engine.render import topology as topo
    from engine.render.interior import LOWER_IOD, UPPER_IOD, strips
    from engine.render.rig import _colours

    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import decode, tracked

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("engine",):
        logging.getLogger(name).setLevel(logging.WARNING)
    videos = sorted(S1.glob("*.mp4"))[:: max(1, 1000 // args.clips)][: args.clips]
    ups: list[np.ndarray] = []
    los: list[np.ndarray] = []
    dark: list[np.ndarray] = []
    skin, lips = [], []
    for n, v in enumerate(videos):
        clip = tracked(v, args.cache)
        lm = clip["landmarks"].astype(np.float64)
        iod = np.linalg.norm(lm[:, 263, :2] - lm[:, 33, :2], axis=1)
        gap = np.linalg.norm(lm[:, 14, :2] - lm[:, 13, :2], axis=1) / iod
        ok = (clip["presence"] >= 0.5) & (gap >= min(LOWER_IOD, CAVITY_GAP))
        if not ok.any():
            continue
        frames = decode(v)
        lip, sk, _ = _colours(frames[0], lm[0].astype(np.float32), float(iod[0]))
        skin.append(sk)
        lips.append(lip)
        norm = None  # per-clip light, relative to the first clip's
        for i in np.nonzero(ok)[0]:
            if i >= len(frames):
                continue
            if norm is None:
                norm = np.ones(3, np.float32) if len(skin) == 1 else skin[0] / sk
            xy = lm[i, :, :2]
            up, lo = strips(frames[i], xy)
            if gap[i] >= UPPER_IOD:
                ups.append(up * norm)
            los.append(lo * norm)
            if gap[i] >= CAVITY_GAP:
                mask = np.zeros(frames[i].shape[:2], np.uint8)
                cv2.fillPoly(mask, [np.round(xy[topo.LIPS_INNER]).astype(np.int32)], 255)
                px = frames[i][mask > 0].astype(np.float32)
                lum = px @ np.array([0.299, 0.587, 0.114], np.float32)
                dark.append(px[lum <= np.percentile(lum, 10)] * norm)
        log.info("%d/%d %s: upper %d lower %d cavity %d", n + 1, len(videos), v.stem,
                 len(ups), len(los), len(dark))
    upper = np.nanmedian(np.stack(ups), axis=0)
    lower = np.nanmedian(np.stack(los), axis=0)
    cavity = np.median(np.concatenate(dark), axis=0)
    # Rows beyond the gap at the mouth corners were never seen: the dark of the mouth.
    for strip in (upper, lower):
        strip[np.isnan(strip[..., 0])] = cavity
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        upper=np.clip(upper + 0.5, 0, 255).astype(np.uint8),
        lower=np.clip(lower + 0.5, 0, 255).astype(np.uint8),
        cavity_rgb=cavity.astype(np.float32),
        skin_rgb=skin[0].astype(np.float32),
        lip_rgb=(lips[0] * 1.0).astype(np.float32),
        frames=np.array([len(ups), len(los), len(dark)], np.int32),
        clips=np.int32(len(videos)),
    )
    log.info("wrote %s: upper teeth from %d frames, lower from %d, cavity from %d; %d clips",
             args.out, len(ups), len(los), len(dark), len(videos))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
