"""How much of GRID s1's teeth his real mouth shows, by how far it opens.

The renderer lays s1's teeth strips (``assets/mouth/interiors.npz``, made by
``tools/build_mouth_bank.py``) from each lip: the lower strip is
``engine.render.interior.LOWER_IOD`` tall whatever the opening. This measures, on his
own video (the training speaker; never a validation one), along the middle of the
mouth from the upper inner lip (13) to the lower one (14), averaged over five columns:

- the height (inter-ocular distances) of the bright run that starts at each lip (the
  teeth: pixels brighter than halfway between the profile's 10th and 90th percentiles,
  the run allowed to start within the first 30 % of the gap from its lip, and counted
  from 8 % of the gap on, past the lip's own edge: the heights are that much short);
- the mean luma 0.01-0.05 IOD from each lip (the teeth's light under the upper lip and
  over the lower one).

Reported per band of the inner-lip gap (medians; heights also at the 75th percentile).
The tracked landmarks come from the prepare-data cache (``make model`` fills it;
``tools/mouth_eval.py`` adds clips it lacks).

Run: ``python tools/measure_teeth_shown.py [--cache cache/model/grid] [--clips 200]``
(about 15 s for 200 clips once they are tracked).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Bands of the inner-lip gap (inter-ocular distances) the figures are given for.
BANDS = ((0.04, 0.06), (0.06, 0.08), (0.08, 0.10), (0.10, 0.11), (0.11, 0.12),
         (0.12, 0.13), (0.13, 0.14), (0.14, 0.20))
#: Samples from lip to lip, and the columns (pixels either side of the middle) averaged.
SAMPLES, COLUMNS = 64, (-2, -1, 0, 1, 2)


def lip_to_lip(grey: np.ndarray, upper: np.ndarray, lower: np.ndarray,
               columns: tuple[int, ...] = COLUMNS, n: int = SAMPLES) -> np.ndarray:
    """``(n,) float32`` grey levels from ``upper`` to ``lower`` (pixels, ``(2,)``), averaged
    over ``columns`` (horizontal offsets, pixels)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = upper[None] + t * (lower - upper)[None]
    rows = [cv2.remap(grey, (pts[:, 0] + dx).astype(np.float32)[None],
                      pts[:, 1].astype(np.float32)[None], cv2.INTER_LINEAR)[0]
            for dx in columns]
    return np.mean(rows, axis=0)


def bright_run(profile: np.ndarray, reach: float = 0.3, skip: float = 0.08) -> float:
    """Share of ``profile`` (from a lip, ``(n,)``) covered by the bright run that starts
    within ``reach`` of it (after ``skip``, the lip's own edge): 0 where none starts."""
    n = len(profile)
    low, high = np.percentile(profile, [10, 90])
    threshold = 0.5 * (low + high)
    k = int(skip * n)
    while k < int(reach * n) and profile[k] < threshold:
        k += 1
    if profile[k] < threshold:
        return 0.0
    start = k
    while k < n and profile[k] >= threshold:
        k += 1
    return (k - start) / (n - 1)


def measure(cache: Path, clips: int) -> list[tuple[float, float, float, float, float]]:
    """``(gap, upper height, lower height, upper luma, lower luma)`` per open frame of s1's
    cached clips (gaps and heights in IODs)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import TRAINING, decode
    from mouth_frames import inner_gaps

    ts = np.linspace(0.0, 1.0, SAMPLES)
    rows = []
    for path in sorted((cache / "s1").glob("*.npz"))[:clips]:
        with np.load(path) as d:
            lm, presence = d["landmarks"][:, :, :2].astype(np.float64), d["presence"]
        gap = inner_gaps(lm)
        picked = np.flatnonzero((gap >= BANDS[0][0]) & (presence >= 0.5))
        if not len(picked):
            continue
        frames = decode(TRAINING["s1"] / f"{path.stem}.mp4")
        for i in picked[picked < len(frames)]:
            grey = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY).astype(np.float32)
            up, lo = lm[i, 13], lm[i, 14]
            down = lip_to_lip(grey, up, lo)
            near = (0.01 / gap[i], 0.05 / gap[i])  # 0.01-0.05 IOD from a lip, as shares
            band = (ts >= near[0]) & (ts <= near[1])
            rows.append((float(gap[i]), bright_run(down) * gap[i],
                         bright_run(down[::-1]) * gap[i],
                         float(down[band].mean()) if band.any() else np.nan,
                         float(down[::-1][band].mean()) if band.any() else np.nan))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--clips", type=int, default=200)
    args = ap.parse_args(argv)
    r = np.array(measure(args.cache, args.clips))
    if not len(r):
        sys.stderr.write(f"no s1 clips in {args.cache}: run make model or prepare-data\n")
        return 1
    lines = [f"{len(r)} open frames of GRID s1",
             "| gap (IOD) | frames | upper teeth shown, median / p75 | lower teeth shown, "
             "median / p75 | luma under the upper lip / over the lower |",
             "|---|---|---|---|---|"]
    for lo, hi in BANDS:
        m = (r[:, 0] >= lo) & (r[:, 0] < hi)
        if m.sum() < 5:
            continue
        u, lw = r[m, 1], r[m, 2]
        lines.append(f"| {lo:.2f}-{hi:.2f} | {m.sum()} | {np.median(u):.3f} / "
                     f"{np.percentile(u, 75):.3f} | {np.median(lw):.3f} / "
                     f"{np.percentile(lw, 75):.3f} | {np.nanmedian(r[m, 3]):.0f} / "
                     f"{np.nanmedian(r[m, 4]):.0f} |")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
