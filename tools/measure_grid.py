"""Measure mouth shapes per phone and blink statistics on GRID s1.

Runs the engine's own face models on a bounded, evenly spread subset of the
GRID s1 clips (``../shared/data/grid/s1``), caches the per-frame landmarks in
``cache/grid_s1/`` (gitignored; ``tools/grid_clips.py``), and derives:

- a PCA basis of mouth/jaw/cheek displacements in the canonical frame
  (uncentred, so that coefficient 0 is the rest pose exactly);
- a phone -> mouth-shape table: the mean displacement (as basis
  coefficients) at the centre of each phone, with phone timings from a
  pocketsphinx forced alignment of the clip's transcript;
- per-viseme-class coefficients and descriptors (jaw opening, lip gap,
  lip width, protrusion);
- blinks found from the eye aspect ratio of the lid landmarks: rate per
  minute, duration distribution (log-normal fit), depth;
- the audio-visual lag of mouth opening against loudness.

Writes ``assets/motion/phonetic_shapes.npz`` and ``assets/motion/README.md``
(``tools/grid_readme.py``).

Usage::

    .venv/bin/python tools/measure_grid.py [--clips 150] [--jobs 2]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from grid_clips import (  # noqa: E402
    CACHE,
    FPS,
    GRID_S1,
    choose_clips,
    decode_audio,
    landmarks_for_clip,
    phones_and_method,
    read_align,
    worker,
)
from grid_readme import OUT, write_readme  # noqa: E402

from engine.motion.blink_detect import closure_signal, find_blinks  # noqa: E402
from engine.motion.phonetic import VISEME_CLASSES  # noqa: E402

log = logging.getLogger("measure_grid")

K_BASIS = 8
ALL_PHONES = tuple(p for ps in VISEME_CLASSES.values() for p in ps)


def mouth_weights() -> np.ndarray:
    """``(468,) float32`` weight of each landmark in the mouth/jaw/cheek region.

    1 below the nose tip, fading to 0 over 0.25 canonical units above it, so
    eyes, brows and forehead stay out of the phonetic basis.
    """
    from engine.face import mesh

    y = mesh.CANONICAL[:, 1]
    y0 = float(mesh.CANONICAL[mesh.NOSE_TIP, 1])
    s = np.clip((y - (y0 - 0.25)) / 0.25, 0.0, 1.0)
    return (s * s * (3 - 2 * s)).astype(np.float32)


def best_lag(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[int, float]:
    """Lag (frames; positive = ``a`` lags ``b``) maximising the correlation."""
    best = (0, -2.0)
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            x, y = a[lag:], b[: len(b) - lag]
        else:
            x, y = a[:lag], b[-lag:]
        r = float(np.corrcoef(x, y)[0, 1])
        if r > best[1]:
            best = (lag, r)
    return best


def analyse(names: list[str]) -> dict:
    from engine.audio.features import loudness
    from engine.face import mesh
    from engine.face.align import to_canonical

    w = mouth_weights()
    speech_disp: list[np.ndarray] = []
    centre_disp: dict[str, list[np.ndarray]] = {}
    ears: list[np.ndarray] = []
    frames_total = 0
    gaps_all: list[np.ndarray] = []
    loud_all: list[np.ndarray] = []
    blinks: list[dict[str, float]] = []
    gaps: list[float] = []
    intervals: list[float] = []
    used = 0
    n_forced = 0
    for name in names:
        data = np.load(CACHE / f"{name}.npz")
        lm, found = data["landmarks"], data["found"]
        if found.mean() < 0.95:
            log.warning("%s: face in only %.0f%% of frames; skipped", name, 100 * found.mean())
            continue
        t = len(lm)
        canon = np.full_like(lm, np.nan)
        for i in range(t):
            if found[i]:
                canon[i] = to_canonical(lm[i])[0]
        align = read_align(GRID_S1 / "align" / f"{name}.align")
        times = (np.arange(t) + 0.5) / FPS
        sil = np.zeros(t, bool)
        for a, b, word in align:
            if word in ("sil", "sp"):
                sil |= (times >= a + 0.1) & (times < b - 0.1)
        sil &= found
        if sil.sum() < 5:
            continue
        neutral = np.nanmedian(canon[sil], axis=0)
        disp = (canon - neutral) * w[None, :, None]
        speech = found & ~sil
        speech_disp.append(disp[speech].reshape(int(speech.sum()), -1))
        rows, forced = phones_and_method(name)
        n_forced += int(forced)
        for ph, a, b in rows:
            ph = ph.rstrip("012")
            if ph in ("SIL", "sil") or ph.startswith("+"):
                continue
            k = int(math.floor(0.5 * (a + b) * FPS))
            if 0 <= k < t and found[k]:
                centre_disp.setdefault(ph, []).append(disp[k].ravel())
        # Eyes: closure relative to this clip's open eye (90th percentile).
        closure = closure_signal(canon, found)
        ears.append(closure)
        found_blinks = find_blinks(closure, FPS)
        for x, y in zip(found_blinks, found_blinks[1:], strict=False):
            gaps.append(y["onset"] - x["end"])
            intervals.append(y["onset"] - x["onset"])
        blinks += found_blinks
        frames_total += int(found.sum())
        # AV lag: inner-lip gap against loudness.
        x = decode_audio(GRID_S1 / "audio" / f"{name}.flac")
        loud = loudness(x, FPS)[:t]
        gap = canon[:, mesh.LOWER_LIP_INNER, 1] - canon[:, mesh.UPPER_LIP_INNER, 1]
        m = min(len(loud), t)
        gaps_all.append(np.nan_to_num(gap[:m] - np.nanmedian(gap[sil])))
        loud_all.append(loud[:m])
        used += 1
    log.info("analysed %d clips, %d frames", used, frames_total)

    # --- PCA basis (uncentred: coefficient 0 = rest) ---
    xmat = np.concatenate(speech_disp).astype(np.float64)
    _, sv, vt = np.linalg.svd(xmat, full_matrices=False)
    energy = sv**2 / np.sum(sv**2)
    basis = vt[:K_BASIS].reshape(K_BASIS, 468, 3)
    # Sign convention: each component's mean projection on speech is positive.
    proj = xmat @ vt[:K_BASIS].T
    signs = np.where(proj.mean(axis=0) < 0, -1.0, 1.0)
    basis *= signs[:, None, None]
    flat = basis.reshape(K_BASIS, -1)

    # --- phone table ---
    labels, coeffs, counts = [], [], []
    for ph in ALL_PHONES:
        rows = centre_disp.get(ph, [])
        if not rows:
            continue
        c = np.stack(rows) @ flat.T
        labels.append(ph.lower())
        coeffs.append(np.median(c, axis=0) if len(rows) >= 5 else c.mean(axis=0))
        counts.append(len(rows))
    class_names = list(VISEME_CLASSES)
    class_coeffs = []
    for cls, phs in VISEME_CLASSES.items():
        rows = [r for p in phs for r in centre_disp.get(p, [])]
        class_coeffs.append(np.median(np.stack(rows) @ flat.T, axis=0) if rows
                            else np.zeros(K_BASIS))
        log.info("class %-12s n=%d", cls, len(rows))
    phone_class = [next(c for c, ps in VISEME_CLASSES.items() if p.upper() in ps) for p in labels]

    def describe(c: np.ndarray) -> list[float]:
        d = (c @ flat).reshape(468, 3)
        jaw = d[mesh.CHIN, 1]
        gap = d[mesh.LOWER_LIP_INNER, 1] - d[mesh.UPPER_LIP_INNER, 1]
        width = d[mesh.MOUTH_LEFT, 0] - d[mesh.MOUTH_RIGHT, 0]
        protr = -d[mesh.LIPS_OUTER, 2].mean()
        lower_lip_up = -(d[17, 1] - d[mesh.CHIN, 1])  # lower lip raised relative to chin
        return [float(jaw), float(gap), float(width), float(protr), float(lower_lip_up)]

    descriptors = np.array([describe(c) for c in coeffs], np.float32)
    class_descriptors = np.array([describe(c) for c in class_coeffs], np.float32)

    # --- blinks ---
    minutes = frames_total / FPS / 60.0
    good = [b for b in blinks if not b["edge"]]
    durs = np.array([b["duration"] for b in good])
    fwhm = np.array([b["fwhm"] for b in good])
    peaks = np.array([b["peak"] for b in blinks])
    rises = np.array([b["rise"] for b in blinks])
    logd = np.log(durs) if len(durs) else np.zeros(1)
    full = np.median(peaks) if len(peaks) else 1.0
    # Depth relative to a typical full blink (the model saturates, so only
    # relative depth means anything): rise above baseline / its 90th percentile.
    depth = np.clip(rises / np.percentile(rises, 90), 0, 1) if len(rises) else np.zeros(0)
    gap_arr = np.array(gaps) if gaps else np.array([np.nan])
    iv = np.array(intervals) if intervals else np.array([np.nan])

    # --- AV lag ---
    g = np.concatenate(gaps_all)
    lo = np.concatenate(loud_all)
    lag, r = best_lag(g, lo, 6)

    return {
        "basis": basis.astype(np.float32),
        "energy": energy[:K_BASIS].astype(np.float32),
        "phones": np.array(labels, dtype="U4"),
        "phone_coeffs": np.array(coeffs, np.float32),
        "phone_counts": np.array(counts, np.int32),
        "phone_class": np.array(phone_class, dtype="U16"),
        "classes": np.array(class_names, dtype="U16"),
        "class_coeffs": np.array(class_coeffs, np.float32),
        "descriptor_names": np.array(["jaw_drop", "lip_gap", "lip_width", "protrusion",
                                      "lower_lip_raise"], dtype="U16"),
        "phone_descriptors": descriptors,
        "class_descriptors": class_descriptors,
        "mouth_weights": w,
        "n_clips": np.int32(used),
        "n_frames": np.int32(frames_total),
        "n_forced_aligned": np.int32(n_forced),
        "blink_count": np.int32(len(blinks)),
        "blink_rate_per_min": np.float32(len(blinks) / max(minutes, 1e-9)),
        "blink_duration_median": np.float32(np.median(durs) if len(durs) else np.nan),
        "blink_duration_iqr": np.array(np.percentile(durs, [25, 75]) if len(durs)
                                       else [np.nan, np.nan], np.float32),
        "blink_duration_mean": np.float32(durs.mean() if len(durs) else np.nan),
        "blink_fwhm_median": np.float32(np.median(fwhm) if len(fwhm) else np.nan),
        "blink_lognormal_mu": np.float32(logd.mean()),
        "blink_lognormal_sigma": np.float32(logd.std()),
        "blink_peak_closure_median": np.float32(full),
        "blink_partial_fraction": np.float32((depth < 0.75).mean() if len(depth) else 0),
        "blink_partial_depth": np.float32(depth[depth < 0.75].mean() if (depth < 0.75).any()
                                          else 1.0),
        "blink_gap_p05": np.float32(np.nanpercentile(gap_arr, 5)),
        "blink_gap_min": np.float32(np.nanmin(gap_arr)),
        "blink_interval_median": np.float32(np.nanmedian(iv)),
        "blink_interval_cv": np.float32(np.nanstd(iv) / np.nanmean(iv)),
        "blink_n_intervals": np.int32(len(intervals)),
        "av_lag_frames": np.int32(lag),
        "av_lag_r": np.float32(r),
        "fps": np.float32(FPS),
    }


def held_out(n: int, train: list[str]) -> list[str]:
    """``n`` clips spread over s1 that are not in ``train`` (for validation)."""
    names = sorted(p.stem for p in (GRID_S1 / "align").glob("*.align"))
    chosen = set(train)
    return [x for x in names[3::50] if x not in chosen][:n]


def validate(names: list[str]) -> dict:
    """Synthetic lip gap (engine.motion.phonetic on recognised phones) against
    the real one on held-out clips: correlation and lag, and lag against loudness."""
    from engine.audio.features import loudness
    from engine.audio.phones import recognise_phones
    from engine.face import mesh
    from engine.face.align import to_canonical
    from engine.motion import phonetic

    phonetic.load_shapes.cache_clear()
    rs, lags_real, lags_loud = [], [], []
    for name in names:
        d = np.load(CACHE / f"{name}.npz")
        if d["found"].mean() < 0.95:
            continue
        canon = np.stack([to_canonical(x)[0] for x in np.nan_to_num(d["landmarks"])])
        gap = canon[:, mesh.LOWER_LIP_INNER, 1] - canon[:, mesh.UPPER_LIP_INNER, 1]
        x = decode_audio(GRID_S1 / "audio" / f"{name}.flac")
        loud = loudness(x, FPS)
        t = min(len(gap), len(loud))
        _, _, mouth = phonetic.phonetic_motion(recognise_phones(x), loud, FPS, t)
        real = gap[:t] - np.median(gap[:t][:10])
        rs.append(float(np.corrcoef(mouth, real)[0, 1]))
        lags_real.append(best_lag(mouth, real, 4)[0])
        lags_loud.append(best_lag(mouth, loud[:t], 4)[0])
    return {
        "val_clips": np.int32(len(rs)),
        "val_r_median": np.float32(np.median(rs)),
        "val_lag_real_median": np.float32(np.median(lags_real)),
        "val_lag_loud_within1": np.float32(np.mean(np.abs(lags_loud) <= 1)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=150)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--budget", type=float, default=270.0,
                    help="stop landmark extraction after this many seconds (rerun to resume)")
    ap.add_argument("--cached-only", action="store_true",
                    help="skip extraction; analyse the clips already cached")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("engine").setLevel(logging.WARNING)
    CACHE.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    names = choose_clips(args.clips)
    t0 = time.time()
    todo = [n for n in names if not (CACHE / f"{n}.npz").exists()
            or not (CACHE / f"{n}.phones.json").exists()]
    if args.cached_only:
        names = [n for n in names if (CACHE / f"{n}.npz").exists()]
    elif todo:
        log.info("landmarks for %d clips on %d processes", len(todo), args.jobs)
        with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, 2))) as pool:
            futures = [pool.submit(worker, n) for n in todo]
            for k, fut in enumerate(futures):
                name = fut.result()
                if k % 10 == 0:
                    log.info("%d/%d %s (%.0f s)", k + 1, len(todo), name, time.time() - t0)
                if time.time() - t0 > args.budget:
                    for f in futures:
                        f.cancel()
                    log.warning("budget spent after %d clips; rerun to continue", k + 1)
                    return 2
    res = analyse(names)
    np.savez_compressed(OUT / "phonetic_shapes.npz", **res)
    val = held_out(20, names)
    for name in val:
        landmarks_for_clip(name)
    res.update(validate(val))
    np.savez_compressed(OUT / "phonetic_shapes.npz", **res)
    write_readme(res, time.time() - t0)
    log.info("wrote %s (%.0f s)", OUT / "phonetic_shapes.npz", time.time() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
