"""Evaluation of motion sources against real video (numpy + onnxruntime, no torch).

For every validation clip (from the prepare-data cache): take the clip's own
audio and the neutral face from its first frame (canonical frame), generate
motion, and compare with the landmarks tracked in the real video:

- ``r``: Pearson r of the inner-lip opening (13-14), generated vs real, at lag 0;
- ``lag``: the lag in frames (-5..5) that maximises that r (positive = generated
  later than real);
- ``lmd``: mean distance of the 40 lip landmarks (x/y, canonical frame, so in
  units of inter-ocular distance), generated vs real;
- ``sil_open``: mean opening above the neutral face's in silent frames (real
  silence: GRID ``.align`` for s1, loudness 35 dB under the peak otherwise);
  the real video's own value is reported in the ``real`` row;
- ``sil_closed``: the share of silent frames whose opening exceeds the neutral
  face's by less than :data:`CLOSED` (0.02 IOD, about 1.3 mm on an adult face);
- ``std_ratio`` and ``speed_ratio``: the standard deviation of the opening and its
  mean frame-to-frame change, generated over real (1 = as lively as the real
  mouth; an L1-trained generator regresses to the mean and scores below 1).

Sources: the GAN (one or more ONNX models), the phonetic motion
(:func:`engine.motion.phonetic.phonetic_motion` on pocketsphinx phones) and a
loudness baseline (the mean training mouth-opening shape scaled by loudness).
Blink statistics compare the real clips' blinks (eye aspect ratio) with the
blink process the app uses (:func:`engine.motion.blinks.generate_blinks`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.model import dataset as ds
from engine.model.landmarks import LIP_LO, LIP_UP, MOUTH

log = logging.getLogger(__name__)

MAX_LAG = 5
#: A mouth counts as closed when its opening exceeds the neutral face's by less than this (IOD).
CLOSED = 0.02
GRID_DEFAULT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "grid"


def opening_of(shapes: np.ndarray) -> np.ndarray:
    return np.linalg.norm(shapes[:, LIP_UP, :2] - shapes[:, LIP_LO, :2], axis=-1)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.std(a) < 1e-9 or np.std(b) < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def best_lag(gen: np.ndarray, real: np.ndarray, max_lag: int = MAX_LAG) -> int:
    best, lag_best = -2.0, 0
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            r = pearson(gen[lag:], real[: len(real) - lag])
        else:
            r = pearson(gen[:lag], real[-lag:])
        if r > best:
            best, lag_best = r, lag
    return lag_best


def clip_metrics(disp: np.ndarray, clip: ds.Clip) -> dict:
    """Metrics of a generated expression ``disp (T, 468, 3)`` (added to the first frame)."""
    shapes = clip.first[None] + disp
    gen_op = opening_of(shapes)
    real_op = clip.opening
    ok = clip.valid
    mouth = list(MOUTH)
    lmd = float(np.linalg.norm(shapes[ok][:, mouth, :2] - clip.canon[ok][:, mouth, :2],
                               axis=-1).mean())
    base = float(opening_of(clip.first[None])[0])
    sil = clip.silence & ok
    sil_open = float(np.maximum(gen_op[sil] - base, 0).mean()) if sil.any() else float("nan")
    real_sil = float(np.maximum(real_op[sil] - base, 0).mean()) if sil.any() else float("nan")
    closed = float((gen_op[sil] - base < CLOSED).mean()) if sil.any() else float("nan")
    real_closed = float((real_op[sil] - base < CLOSED).mean()) if sil.any() else float("nan")
    real_std = float(np.std(real_op[ok]))
    real_speed = float(np.abs(np.diff(real_op[ok])).mean()) if ok.sum() > 1 else 0.0
    return {"r": pearson(gen_op[ok], real_op[ok]), "lag": best_lag(gen_op, real_op),
            "lmd": lmd, "sil_open": sil_open, "real_sil_open": real_sil,
            "sil_closed": closed, "real_sil_closed": real_closed,
            "std_ratio": float(np.std(gen_op[ok])) / max(real_std, 1e-9),
            "speed_ratio": (float(np.abs(np.diff(gen_op[ok])).mean()) / max(real_speed, 1e-9)
                            if ok.sum() > 1 else float("nan"))}


def loudness_shape(train: list[ds.Clip]) -> tuple[np.ndarray, float]:
    """``(direction (468,3), gain)``: mean expression per unit opening, and opening per unit z.

    The loudness baseline's opening is ``gain * z`` with ``z = clip((dB - (p95 - 35)) / 35, 0, 1)``.
    """
    num = np.zeros((468, 3))
    den = 0.0
    zs, ops = [], []
    for c in train:
        op = c.opening - np.median(c.opening[c.silence]) if c.silence.any() else c.opening
        num += np.tensordot(op, c.expr, axes=1)
        den += float((op * op).sum())
        zs.append(loud_z(c.loudness))
        ops.append(op)
    z = np.concatenate(zs)
    o = np.concatenate(ops)
    gain = float((z * o).sum() / max((z * z).sum(), 1e-9))
    return (num / max(den, 1e-9)).astype(np.float32), gain


def loud_z(loud: np.ndarray) -> np.ndarray:
    ref = float(np.percentile(loud, 95)) - 35.0
    return np.clip((loud - ref) / 35.0, 0.0, 1.0)


def _phones(samples: np.ndarray, memo: Path):
    from engine.audio.phones import Phone, recognise_phones

    if memo.is_file():
        return [Phone(p[0], p[1], p[2]) for p in json.loads(memo.read_text())]
    phones = recognise_phones(samples)
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(json.dumps([[p.label, p.start, p.end] for p in phones]))
    return phones


def _audio_for(clip_path: Path, grid: Path) -> np.ndarray:
    from engine.media.audio import load_audio

    speaker, stem = clip_path.parent.name, clip_path.stem
    for cand in (grid / speaker / "audio" / f"{stem}.flac", grid / speaker / "video" /
                 f"{stem}.mp4"):
        if cand.is_file():
            return load_audio(cand).samples
    raise FileNotFoundError(f"no audio for {speaker}/{stem} under {grid}")


def evaluate_sets(sets: dict[str, list[Path]], sources: dict[str, Callable], grid: Path,
                  memo: Path) -> dict:
    """``{set: {source: {metric: mean}}}`` plus a ``real`` row per set."""
    out: dict = {}
    for name, paths in sets.items():
        rows: dict[str, list[dict]] = {k: [] for k in sources}
        real_sil, real_closed = [], []
        blinks_real, dur_real, seconds = 0, [], 0.0
        for p in paths:
            clip = ds.load_clip(p)
            samples = _audio_for(Path(p), grid)
            ctx = {"samples": samples, "clip": clip,
                   "phones": lambda s=samples, p=p: _phones(
                       s, memo / "phones" / f"{Path(p).parent.name}_{Path(p).stem}.json")}
            for src, fn in sources.items():
                disp = fn(ctx)
                rows[src].append(clip_metrics(disp, clip))
            real_sil.append(rows[next(iter(sources))][-1]["real_sil_open"])
            real_closed.append(rows[next(iter(sources))][-1]["real_sil_closed"])
            blinks_real += len(clip.blinks)
            dur_real += [b.duration for b in clip.blinks]
            seconds += clip.frames / clip.fps
        res = {}
        for src, rs in rows.items():
            res[src] = {k: float(np.nanmean([r[k] for r in rs])) for k in
                        ("r", "lag", "lmd", "sil_open", "sil_closed", "std_ratio",
                         "speed_ratio")}
            res[src]["lag_median"] = float(np.median([r["lag"] for r in rs]))
        res["real"] = {"sil_open": float(np.nanmean(real_sil)),
                       "sil_closed": float(np.nanmean(real_closed)),
                       "blink_rate_per_min": blinks_real / max(seconds, 1e-9) * 60,
                       "blink_mean_duration": float(np.mean(dur_real)) if dur_real else 0.0,
                       "clips": len(paths), "seconds": seconds}
        out[name] = res
    return out


def blink_process_stats(seconds: float = 3600.0, seed: int = 0) -> dict:
    """Rate and mean duration of the app's blink process with its defaults."""
    from engine.motion.blinks import BlinkParams, generate_blinks

    ev = generate_blinks(seconds, BlinkParams(), seed)
    return {"blink_rate_per_min": len(ev) / seconds * 60,
            "blink_mean_duration": float(np.mean([e.duration for e in ev])) if ev else 0.0}


def make_sources(models: dict[str, Path], train: list[ds.Clip] | None,
                 phonetic: bool = True, raw: bool = True) -> dict[str, Callable]:
    from engine.model.inference import MotionModel

    sources: dict[str, Callable] = {}
    for name, path in models.items():
        m = MotionModel(path)

        def gan(ctx, m=m, gate=True):
            c = ctx["clip"]
            mo = m.motion(ctx["samples"], c.fps, c.frames, seed=0, blinks=c.blinks,
                          neutral=c.first, gate=gate)
            return np.tensordot(mo.coeffs, mo.basis, axes=1)
        sources[name] = gan
        if raw:
            sources[f"{name} (no pause gate)"] = lambda ctx, gan=gan: gan(ctx, gate=False)
    if phonetic:
        from engine.motion.phonetic import phonetic_motion

        def phon(ctx):
            c = ctx["clip"]
            basis, coeffs, _ = phonetic_motion(ctx["phones"](), c.loudness, c.fps, c.frames)
            return np.tensordot(coeffs, basis, axes=1)
        sources["phonetic"] = phon
    if train:
        direction, gain = loudness_shape(train)

        def loudb(ctx):
            c = ctx["clip"]
            return (gain * loud_z(c.loudness))[:, None, None] * direction[None]
        sources["loudness"] = loudb
    return sources


def markdown(results: dict, blink_model: dict | None = None) -> str:
    lines = []
    for name, res in results.items():
        real = res["real"]
        lines.append(f"**{name}** ({real['clips']} clips, {real['seconds']:.0f} s)\n")
        lines.append("| source | mouth-opening r (higher better) | mouth LMD / IOD (lower better) "
                     "| lag, frames (mean / median) | opening in silence / IOD "
                     "| closed in silence | opening std, gen / real | speed, gen / real |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for src, m in res.items():
            if src == "real":
                continue
            lines.append(f"| {src} | {m['r']:.3f} | {m['lmd']:.4f} | {m['lag']:+.2f} / "
                         f"{m['lag_median']:+.0f} | {m['sil_open']:.4f} | "
                         f"{100 * m['sil_closed']:.0f}% | {m['std_ratio']:.2f} | "
                         f"{m['speed_ratio']:.2f} |")
        lines.append(f"| real video | 1 | 0 | 0 | {real['sil_open']:.4f} | "
                     f"{100 * real['sil_closed']:.0f}% | 1 | 1 |")
        lines.append("")
        lines.append(f"Blinks in the real clips: {real['blink_rate_per_min']:.1f}/min, mean "
                     f"{real['blink_mean_duration'] * 1000:.0f} ms.")
        lines.append("")
    if blink_model:
        lines.append(f"Blink process (app defaults): {blink_model['blink_rate_per_min']:.1f}/min, "
                     f"mean {blink_model['blink_mean_duration'] * 1000:.0f} ms.")
    return "\n".join(lines)


def evaluate_all(data: Path | str, models: list | None = None, grid: Path | str | None = None,
                 split: Path | str | None = None, out: Path | str | None = None,
                 phonetic: bool = True, s4hq: bool = True, val_s1: bool = True) -> dict:
    """Evaluate models and baselines; returns ``{"results", "markdown"}``."""
    data = Path(data)
    grid = Path(grid) if grid else GRID_DEFAULT
    named: dict[str, Path] = {}
    for m in models or []:
        s = str(m)
        if "=" in s:
            k, v = s.split("=", 1)
            named[k] = Path(v)
        else:
            named["gan" if not named else Path(s).stem] = Path(s)
    if not named:
        from engine.model.inference import default_model_path
        named["gan"] = default_model_path()
    if split:
        sp = json.loads(Path(split).read_text())
    else:
        sp = ds.split_clips(data)
    sets: dict[str, list[Path]] = {}
    if s4hq and sp.get("s4hq"):
        sets["s4hq"] = [Path(p) for p in sp["s4hq"]]
    if val_s1 and sp.get("val_s1"):
        sets["s1 held-out"] = [Path(p) for p in sp["val_s1"]]
    train = ds.load_clips([Path(p) for p in sp["train"][::5]], data / "_memo" / "eval_train.pkl")
    sources = make_sources(named, train, phonetic)
    results = evaluate_sets(sets, sources, grid, data / "_memo")
    bm = blink_process_stats()
    md = markdown(results, bm)
    if out:
        o = Path(out)
        o.mkdir(parents=True, exist_ok=True)
        (o / "eval.json").write_text(json.dumps({"results": results, "blink_process": bm},
                                                indent=1))
        (o / "eval.md").write_text(md + "\n")
    return {"results": results, "blink_process": bm, "markdown": md}
