"""Measure the keyframe expression shapes (smile, brow raise) on GRID s1; build the frown.

Reads the per-frame landmarks that ``tools/measure_grid.py`` cached
(``cache/grid_s1/*.npz``, the engine's own face models), aligns every frame
to the canonical frame (``engine.face.align.to_canonical``: pose removed,
inter-ocular distance 1) and takes each frame's displacement from its
clip's median (rest) face. Then:

- **smile**: among frames whose lips are closed (inner-lip gap in the lowest
  30 %), the :data:`TOP` frames with the largest ``corner spread + corner
  rise`` (mouth corners 61/291); their mean displacement minus that of all
  closed-lip frames (so the lip closure itself is not part of the smile), restricted to the
  lower face (weight 1 below the nose tip, fading out above it, as in the
  phonetic basis), lids excluded.
- **brow raise**: the :data:`TOP` frames with the largest mean upward motion
  of the 20 brow landmarks; their mean displacement, restricted to the upper
  face (above the eye corners, fading out towards the nose), lids excluded.
- **frown** (GRID s1 never frowns): constructed, FACS-inspired. AU4 (brow
  lowerer): the brow landmarks move down by the measured brow-raise size and
  towards the midline by half of it, most at the inner ends; AU15 (lip corner
  depressor): the mouth corners move down by the measured smile's corner rise.
  Each landmark displacement is spread to its neighbours with a Gaussian
  (sigma :data:`SPREAD` canonical units) so the skin moves smoothly.

GRID speakers read sentences with a neutral face, so the measured extremes
are small (a faint closed-lip smile, a slight brow lift): they give each
shape's direction, not its size. The smile's size at weight 1 is measured on a
real broad smile: the astronaut portrait (Eileen Collins, smiling with her
teeth showing), whose mouth is that much wider than s1's rest face;
weight 1 widens the mouth as much as that grin (:func:`grin_gain`).
No real raised-brow face is at hand, so the brow raise keeps
:data:`BROW_GAIN` times the measured extreme, a judgement; the README
records the measured sizes.

Writes ``assets/motion/expressions.npz`` (``smile``, ``brow_raise``,
``frown``: ``(468, 3) float32`` canonical displacements at weight 1, plus
``info`` JSON) and the expressions section of ``assets/motion/README.md``.

Usage::

    .venv/bin/python tools/measure_expressions.py [--cache cache/grid_s1]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.face import mesh  # noqa: E402
from engine.face.align import to_canonical  # noqa: E402

OUT = ROOT / "assets" / "motion"
#: How many extreme frames are averaged per shape.
TOP = 50
#: Brow raise at weight 1, as a multiple of the measured extreme (a judgement).
BROW_GAIN = 2.5
#: A real broad smile on another face, to size the smile.
GRIN = ROOT / "assets" / "samples" / "astronaut.png"
#: Gaussian spread (canonical units) of the constructed frown.
SPREAD = 0.12

LIDS = np.unique(np.concatenate([mesh.RIGHT_EYE_UPPER, mesh.RIGHT_EYE_LOWER,
                                 mesh.LEFT_EYE_UPPER, mesh.LEFT_EYE_LOWER]))
BROWS = np.concatenate([mesh.RIGHT_BROW, mesh.LEFT_BROW])
CORNERS = (mesh.MOUTH_RIGHT, mesh.MOUTH_LEFT)


def _smooth(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s * s * (3 - 2 * s)


def lower_weights() -> np.ndarray:
    """1 below the nose tip, fading out over 0.25 units above it."""
    y = mesh.CANONICAL[:, 1]
    y0 = float(mesh.CANONICAL[mesh.NOSE_TIP, 1])
    return _smooth((y - (y0 - 0.25)) / 0.25)


def upper_weights() -> np.ndarray:
    """1 above the eye corners, fading out over 0.2 units below them."""
    y = mesh.CANONICAL[:, 1]
    y0 = float(mesh.CANONICAL[[33, 133, 263, 362], 1].mean())
    return _smooth(((y0 + 0.2) - y) / 0.2)


def mouth_width(face: np.ndarray) -> float:
    """Mouth-corner spread (61 to 291) of a canonical face ``(468, 3)``, IOD units."""
    return float(face[mesh.MOUTH_LEFT, 0] - face[mesh.MOUTH_RIGHT, 0])


def grin_gain(rest: np.ndarray, smile: np.ndarray, grin_image: Path = GRIN) -> dict:
    """Scale that makes the measured smile field widen the mouth as much as a real grin.

    ``rest``: s1's rest face ``(468, 3)``; ``smile``: the unscaled field. Only the
    width is compared: the corners' height depends on how far the grin parts the
    lips, which the closed-lip field does not do. Identity matters too: the same
    grin against s4hq's narrower rest mouth would give a larger gain (reported).
    """
    import engine

    portrait = engine.analyse_portrait(engine.load_image(grin_image))
    grin = to_canonical(np.asarray(portrait.landmarks, np.float64))[0]
    excess = mouth_width(grin) - mouth_width(rest)
    field = mouth_width(rest + smile) - mouth_width(rest)
    return {"grin_width": mouth_width(grin), "rest_width": mouth_width(rest),
            "grin_width_excess": excess, "field_width": field,
            "gain": float(excess / max(field, 1e-9))}


def load(cache: Path) -> tuple[np.ndarray, int, np.ndarray]:
    """``(N, 468, 3)`` displacement of each frame from its clip's median face; clip count;
    the mean of the clips' median (rest) faces ``(468, 3)``."""
    disp, rests = [], []
    files = sorted(cache.glob("*.npz"))
    for f in files:
        with np.load(f) as d:
            lm = d["landmarks"][d["found"]]
        if len(lm) < 10:
            continue
        canon = np.stack([to_canonical(x)[0] for x in lm])
        rest = np.median(canon, axis=0)
        rests.append(rest)
        disp.append((canon - rest).astype(np.float32))
    if not disp:
        raise SystemExit(f"no cached landmarks in {cache}; run tools/measure_grid.py first")
    return np.concatenate(disp), len(disp), np.mean(rests, axis=0)


def frown_shape(brow_size: float, corner_drop: float) -> np.ndarray:
    """The constructed frown (AU4 + AU15), ``(468, 3) float32``."""
    c = mesh.CANONICAL.astype(np.float64)
    handles: list[tuple[int, np.ndarray]] = []
    for brow in (mesh.RIGHT_BROW, mesh.LEFT_BROW):
        xs = c[brow, 0]
        inner = np.abs(xs) <= np.abs(xs).min() + 1e-9
        span = np.abs(xs).max() - np.abs(xs).min()
        for i in brow:
            near = 1.0 - (abs(c[i, 0]) - np.abs(xs).min()) / max(span, 1e-9)  # 1 at the inner end
            dx = -np.sign(c[i, 0]) * 0.5 * brow_size * near
            dy = brow_size * (0.6 + 0.4 * near)
            handles.append((int(i), np.array([dx, dy, 0.0])))
        del inner
    for i in CORNERS:
        handles.append((int(i), np.array([0.0, corner_drop, 0.0])))
    idx = np.array([h[0] for h in handles])
    vec = np.stack([h[1] for h in handles])
    # Gaussian spread, normalised so each handle keeps its own displacement.
    d2 = ((c[:, None, :] - c[None, idx, :]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * SPREAD**2))
    kk = w[idx]
    coef = np.linalg.solve(kk + 1e-6 * np.eye(len(idx)), vec)
    field = w @ coef
    field[LIDS] = 0.0
    upper = c[:, 1] < float(c[[33, 263], 1].mean())
    # Keep brow motion on the upper face and corner motion on the lower face.
    return field.astype(np.float32) * (upper | (lower_weights() > 0))[:, None]


def measure(cache: Path) -> dict:
    disp, clips, rest = load(cache)
    gap = disp[:, mesh.LOWER_LIP_INNER, 1] - disp[:, mesh.UPPER_LIP_INNER, 1]
    spread = disp[:, mesh.MOUTH_LEFT, 0] - disp[:, mesh.MOUTH_RIGHT, 0]
    rise = -(disp[:, mesh.MOUTH_LEFT, 1] + disp[:, mesh.MOUTH_RIGHT, 1]) / 2
    closed = gap < np.percentile(gap, 30)
    score = np.where(closed, spread + rise, -np.inf)
    top_s = np.argsort(score)[-TOP:]
    w_low = lower_weights()
    w_low[LIDS] = 0
    # Contrast with the average closed-lip frame, so that closing the lips
    # (the selection's side effect) is not part of the smile.
    smile = (disp[top_s].mean(axis=0) - disp[closed].mean(axis=0)) * w_low[:, None]
    brow_up = -disp[:, BROWS, 1].mean(axis=1)
    top_b = np.argsort(brow_up)[-TOP:]
    w_up = upper_weights()
    w_up[LIDS] = 0
    brow = disp[top_b].mean(axis=0) * w_up[:, None]
    # Sizes at weight 1.
    grin = grin_gain(rest, smile)
    smile *= grin["gain"]
    brow *= BROW_GAIN
    brow_size = float(-brow[BROWS, 1].mean())
    corner_rise = float(-(smile[CORNERS[0], 1] + smile[CORNERS[1], 1]) / 2)
    frown = frown_shape(brow_size, corner_rise)
    info = {
        "frames": int(len(disp)),
        "clips": clips,
        "top": TOP,
        "smile_gain": grin["gain"],
        "smile_grin": {k: v for k, v in grin.items() if k != "gain"},
        "brow_gain": BROW_GAIN,
        "smile_measured_spread": float(spread[top_s].mean()),
        "smile_measured_rise": float(rise[top_s].mean()),
        "smile_measured_gap": float(gap[top_s].mean()),
        "closed_mean_spread": float(spread[closed].mean()),
        "closed_mean_rise": float(rise[closed].mean()),
        "closed_mean_gap": float(gap[closed].mean()),
        "spread_p99": float(np.percentile(spread, 99)),
        "rise_p99": float(np.percentile(rise, 99)),
        "brow_measured_rise": float(brow_up[top_b].mean()),
        "brow_p99": float(np.percentile(brow_up, 99)),
        "smile_spread_w1": float(smile[mesh.MOUTH_LEFT, 0] - smile[mesh.MOUTH_RIGHT, 0]),
        "smile_rise_w1": corner_rise,
        "brow_rise_w1": brow_size,
        "frown_brow_drop_w1": float(frown[BROWS, 1].mean()),
        "frown_corner_drop_w1": float(frown[list(CORNERS), 1].mean()),
        "spread_sigma": SPREAD,
    }
    return {"smile": smile.astype(np.float32), "brow_raise": brow.astype(np.float32),
            "frown": frown, "info": info}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "grid_s1")
    args = ap.parse_args()
    res = measure(args.cache)
    info = res.pop("info")
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "expressions.npz", **res, info=json.dumps(info))
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
