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
3. Register the strips on one another (:func:`register`): the strip runs from
   one inner mouth corner to the other, so the teeth, which stay put while the
   corners move, sit a little wider or narrower and to one side from frame to
   frame; each strip is stretched and shifted across the mouth to match the
   others' median, and the median taken again, a few times.
4. Take the per-pixel median of each registered strip over those frames: s1's
   upper and lower teeth at their real size; and the median of the darkest
   tenth of the inside of the widest mouths: the cavity.
5. Store them with s1's typical cheek and lip colours and the whites of his
   eyes, so that the renderer can carry them to a portrait's light, and his
   median mouth width in those frames, so that it can lay the teeth at their
   real width.

Run: ``python tools/build_mouth_bank.py`` (a few minutes on 2 cores; the
tracking is cached with ``make model``'s).
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
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
#: Least inner-lip gap (IODs) of the frames the lower strip comes from. The renderer lays
#: the upper strip (0.10 IOD tall) in front, so the lower one shows only in gaps wider
#: than that; in narrower frames the strip above s1's lower lip holds his upper teeth.
LOWER_GAP = 0.10
#: The stretches and shifts (fractions of the mouth's width) tried by :func:`register`.
SCALES = np.arange(0.86, 1.1401, 0.02)
SHIFTS = np.arange(-0.06, 0.0601, 0.005)
#: Rows of each strip that :func:`register` compares (the teeth, not the cavity beyond).
REGISTER_ROWS = {"upper": slice(2, 14), "lower": slice(2, 12)}


def highpass(lum: np.ndarray) -> np.ndarray:
    """``(..., W)`` lightness minus its 9-sample running mean across the mouth (the
    edges of the teeth, not the shading); NaN stays NaN."""
    seen = ~np.isnan(lum)
    k = np.ones(9, np.float32) / 9.0

    def box(a: np.ndarray) -> np.ndarray:
        return np.apply_along_axis(np.convolve, -1, a, k, "same")

    mean = box(np.where(seen, lum, 0.0)) / np.maximum(box(seen.astype(np.float32)), 1e-3)
    return np.where(seen, lum - mean, np.nan)


def stretch(a: np.ndarray, scale: float, shift: float) -> np.ndarray:
    """Resample ``a (..., W)`` across its last axis: column ``u`` (0..1) takes the
    value at ``scale * (u - 0.5) + 0.5 + shift``, linearly, clamped at the ends."""
    w = a.shape[-1]
    src = (scale * ((np.arange(w) + 0.5) / w - 0.5) + 0.5 + shift) * w - 0.5
    i0 = np.clip(np.floor(src).astype(int), 0, w - 1)
    i1 = np.clip(i0 + 1, 0, w - 1)
    f = (src - np.floor(src)).astype(np.float32)
    return a[..., i0] * (1.0 - f) + a[..., i1] * f


def register(strips: np.ndarray, rows: slice, rounds: int = 4) -> np.ndarray:
    """Strips ``(N, R, W, 3) float32`` (NaN where unseen), each stretched and shifted
    across the mouth to best match the median of them all.

    The match is the normalised correlation of the edges (:func:`highpass`) in
    ``rows``, searched over :data:`SCALES` x :data:`SHIFTS`; each round matches
    against the median of the previous round's registered strips.
    """
    from engine.render.colour import LUMA

    edges = highpass(strips[:, rows] @ LUMA)
    ref = np.nanmedian(edges, axis=0)
    best = np.tile([1.0, 0.0], (len(strips), 1))
    for n in range(rounds):
        score = np.full(len(strips), -np.inf)
        for scale in SCALES:
            for shift in SHIFTS:
                moved = stretch(edges, scale, shift)
                seen = ~np.isnan(moved)
                a = np.where(seen, moved, 0.0)
                r = np.where(seen, np.nan_to_num(ref)[None], 0.0)
                corr = (a * r).sum((1, 2)) / (np.sqrt((a * a).sum((1, 2)) * (r * r).sum((1, 2)))
                                              + 1e-6)
                better = corr > score
                score[better] = corr[better]
                best[better] = scale, shift
        moved_all = [stretch(e, *b) for e, b in zip(edges, best, strict=True)]
        ref = np.nanmedian(np.stack(moved_all), axis=0)
        log.info("registration round %d: mean correlation %.3f", n + 1, float(score.mean()))
    return np.stack([stretch(s.transpose(2, 0, 1), *b).transpose(1, 2, 0)
                     for s, b in zip(strips, best, strict=True)])


def main(argv: list[str] | None = None) -> int:
    from engine.render import topology as topo
    from engine.render.gaze import whites
    from engine.render.interior import UPPER_IOD, strips
    from engine.render.samples import portrait_colours

    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import decode, tracked

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Strip columns beyond the gap at the mouth corners are unseen in many frames (NaN).
    warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
    for name in ("engine",):
        logging.getLogger(name).setLevel(logging.WARNING)
    videos = sorted(S1.glob("*.mp4"))[:: max(1, 1000 // args.clips)][: args.clips]
    ups: list[np.ndarray] = []
    los: list[np.ndarray] = []
    dark: list[np.ndarray] = []
    skin, lips, widths, whites_ = [], [], [], []
    for n, v in enumerate(videos):
        clip = tracked(v, args.cache)
        lm = clip["landmarks"].astype(np.float64)
        iod = np.linalg.norm(lm[:, 263, :2] - lm[:, 33, :2], axis=1)
        gap = np.linalg.norm(lm[:, 14, :2] - lm[:, 13, :2], axis=1) / iod
        ok = (clip["presence"] >= 0.5) & (gap >= min(LOWER_GAP, UPPER_IOD, CAVITY_GAP))
        if not ok.any():
            continue
        frames = decode(v)
        lip, sk, _ = portrait_colours(frames[0], lm[0].astype(np.float32), float(iod[0]))
        skin.append(sk)
        lips.append(lip)
        eyes = whites(frames[0], lm[0, :, :2])
        if eyes is not None:
            whites_.append(eyes * (skin[0] / sk))
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
                widths.append(np.linalg.norm(xy[topo.LIPS_INNER_UPPER[-1]]
                                             - xy[topo.LIPS_INNER_UPPER[0]]) / iod[i])
            if gap[i] >= LOWER_GAP:
                los.append(lo * norm)
            if gap[i] >= CAVITY_GAP:
                mask = np.zeros(frames[i].shape[:2], np.uint8)
                cv2.fillPoly(mask, [np.round(xy[topo.LIPS_INNER]).astype(np.int32)], 255)
                px = frames[i][mask > 0].astype(np.float32)
                lum = px @ np.array([0.299, 0.587, 0.114], np.float32)
                dark.append(px[lum <= np.percentile(lum, 10)] * norm)
        log.info("%d/%d %s: upper %d lower %d cavity %d", n + 1, len(videos), v.stem,
                 len(ups), len(los), len(dark))
    upper = np.nanmedian(register(np.stack(ups), REGISTER_ROWS["upper"]), axis=0)
    lower = np.nanmedian(register(np.stack(los), REGISTER_ROWS["lower"]), axis=0)
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
        width_iod=np.float32(np.median(widths)),
        whites_rgb=np.median(whites_, axis=0).astype(np.float32),
        frames=np.array([len(ups), len(los), len(dark)], np.int32),
        clips=np.int32(len(videos)),
    )
    log.info("wrote %s: upper teeth from %d frames, lower from %d, cavity from %d; %d clips",
             args.out, len(ups), len(los), len(dark), len(videos))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
