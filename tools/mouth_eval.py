"""Does the rendered mouth look like the real one? Every validation clip, two motions.

For each clip (GRID s4hq, s30, s33, s34 and CREMA-D 1001 by default), the
portrait is the clip's FIRST frame and the voice is the clip's own audio.
At the frames where the real mouth is most open (:data:`mouth_frames.TOP` frames by the
tracked inner-lip gap), the rendered frame's mouth patch
(:func:`engine.render_eval.mouth_patch`: eye line level, scaled by the
inter-ocular distance) is compared by SSIM with the real video frame's, and
so is the still portrait's; the gain is rendered minus still, averaged over
those frames. All three patches are cut with one tracker's landmarks, the
real video's (the still with its first frame's, a render with them moved by
the render's own motion): the portrait analysis finds the eye corners a pixel
or two away from where the video's tracking does, and a patch cut with the
one against a patch cut with the other loses SSIM on identical pixels (0.67
on CREMA-D NEU's first frame, 0.89 on s4hq sgbc3n's) whatever the renderer
does. Until 2026-12-03 the still and the renders were cut with the portrait
analysis's landmarks. The mean colour inside the inner lips is compared by CIEDE2000
(:func:`engine.render_eval.delta_e2000`) with the real frame's, and so is the
spread of its lightness (:func:`engine.render_eval.inner_mouth_contrast`,
rendered over real): a flat band of the right mean colour has the right ΔE
and a contrast far below 1; and so is its fine detail
(:func:`engine.render_eval.inner_mouth_detail`, rendered over real, at the
video's own resolution): soft teeth read below 1; and its lightness (CIELAB L*, rendered
minus real), which says which way a colour difference goes: an inside in too dim a
light reads below 0. Over every frame of the clip, how much the inside changes from
frame to frame beyond a steady motion (:func:`engine.render_eval.inside_flicker`) is
compared with the real video's: a steady render reads under 1, teeth that pop or
shimmer above it. And how dark the inside is towards its corners over its middle
(:func:`engine.render_eval.inner_mouth_corners`, rendered over real): an inside lit
all round its rim, a frame bevelled into the mouth, reads above 1; read again nearer the
corners, where the lips meet (:data:`TIPS`), a black wedge in each corner reads far
below 1. And how dark the darkest tenth of the inside is
(:func:`engine.render_eval.inner_mouth_dark`, CIELAB L*, rendered minus real): a cavity
lit like a band of brown paint reads far above 0. And how much darker the inside is just
where the teeth end and the lips meet (``|2u - 1|`` 0.8-0.9) than on either side
(:func:`engine.render_eval.corner_band`, rendered and real): a real mouth darkens evenly
into its corners, a black band there reads several times the real one's.

Motion sources (``--motion``, one or more):

- ``gan``: the app's default motion (``engine.Animation`` with default
  settings): what a user gets. When the speech model is replaced, rerun
  this command: it renders with whatever the app ships.
- ``oracle``: the real video's own tracked landmarks replayed on the portrait
  (:func:`engine.render_eval.oracle_motion`): rendering quality without the
  motion model's errors.
- ``phonetic``: the phonetic baseline.
- ``gan-still`` and ``gan-keep``: diagnostics, the app's motion with *Liveliness* 0
  (the head and brows still) and with *Keep the portrait's expression at rest*: what
  the head's motion and the closed rest pose cost or give on this measure.
- ``opening-real``, ``opening-real-course``, ``opening-app-course``: diagnostics
  (:mod:`opening_replay`): is the gain lost to the shape, the course or the amount?

The tracked landmarks come from the prepare-data cache
(:mod:`engine.model.data`, the same ``.npz`` files as ``make model``); clips
missing from it are tracked and added.

``--sets s1 --limit 20`` measures the training speaker instead, to calibrate the
renderer's constants on his own mouth (never reported as validation).

``--portrait widest`` takes each clip's widest-open frame as the portrait instead
(a diagnostic of the mouth closed from a shout and opened again; the still is then
close to the real mouth at the most-open frames, and the gain is negative).
``--portrait half`` takes the frame whose real mouth is open nearest half as wide as at
its widest (lips parted mid-word): the most-open frames then open about twice as wide as
the portrait, past what it shows between its lips.

``--voiced`` picks the most-open frames among those inside a recognised phone
only. It is a diagnostic, not the issue's measure: a speaker who opens her
mouth before the voice starts (s4hq often does, to breathe) gives frames that
no speech-driven face can know about.

Run: ``python tools/mouth_eval.py [--motion gan oracle] [--portrait first|widest|half] [--voiced]
[--out out/mouth_eval]``
(about a minute on 2 cores for the 64 clips once the tracking is cached; the
first run tracks them, about 6 minutes). Writes ``report.md`` and ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import opening_replay  # noqa: E402  (beside this file)
from mouth_frames import most_open, portrait_index, voiced_frames  # noqa: E402

log = logging.getLogger("mouth_eval")

DATA = ROOT.parent / "shared" / "data"
SETS = {
    "s4hq": DATA / "grid" / "s4hq" / "video",
    "s30": DATA / "grid" / "s30" / "video",
    "s33": DATA / "grid" / "s33" / "video",
    "s34": DATA / "grid" / "s34" / "video",
    "crema-1001": DATA / "crema-d" / "1001" / "video",
}
#: The training speaker, never in the default sets: for calibrating the renderer's
#: constants on s1's own mouth (``--sets s1 --limit 20``), never for reporting.
TRAINING = {"s1": DATA / "grid" / "s1" / "video"}
#: Variants of the app's motion (module docstring), not the issue's measure.
DIAGNOSTICS: dict[str, dict] = {"gan-still": {"liveliness": 0.0},
                                 "gan-keep": {"keep_expression": True}}
#: Where the lips meet: the corners' darkness is also read beyond this ``|2u - 1|``
#: (:func:`engine.render_eval.inner_mouth_corners`).
TIPS = 0.85
#: Targets of issue 14.
GAIN_TARGET, DE_MEDIAN, DE_MAX = 0.03, 6.0, 12.0


def decode(path: Path) -> list[np.ndarray]:
    """Every frame of a video as ``(H, W, 3) uint8`` RGB (PyAV)."""
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def tracked(video: Path, cache: Path) -> dict:
    """The prepare-data cache entry of ``video`` (tracked and stored when missing)."""
    from engine.model import data

    path = data.cache_path(video, video.parent.parent, cache)
    if not path.is_file():
        log.info("tracking %s", video.name)
    data.bring_up_to_date(video, path)
    with np.load(path) as d:
        return {k: d[k] for k in ("landmarks", "presence", "fps", "picture_delay")}


def motion_for(source: str, portrait, clip: dict, audio_path: Path, cache: Path,
               breath: float | None = None, portrait_index: int = 0):
    """``(motion track, frame index of a real frame -> track index)`` for one source
    (``portrait_index``: the real frame that is the portrait, for the oracles; ``cache``:
    the prepare-data cache, for s1's shape in :mod:`opening_replay`'s sources)."""
    from engine import Animation, analyse_audio, load_audio
    from engine.render_eval import oracle_motion
    from engine.settings import Settings

    fps = float(clip["fps"])
    if source == "oracle":
        return oracle_motion(clip["landmarks"], fps, portrait_index), (lambda i: i)
    if source in opening_replay.SOURCES:
        def app():
            return motion_for("gan", portrait, clip, audio_path, cache, breath, portrait_index)
        return opening_replay.replay(source, clip, portrait_index, cache, app,
                                     portrait), (lambda i: i)
    rate = min((24, 25, 30, 60), key=lambda r: abs(r - fps))
    audio = analyse_audio(load_audio(audio_path))
    # every other setting the app's default, so that "gan" stays what a user gets
    s = Settings(fps=rate, motion_source="phonetic" if source == "phonetic" else "gan")
    s = s.with_(**DIAGNOSTICS.get(source, {}), **({} if breath is None else {"breath": breath}))
    anim = Animation(portrait, audio, s)
    # the video's frame i shows the sound at delay + i / fps: the track's frame at its middle
    delay = float(clip["picture_delay"])
    return anim.motion, (lambda i: anim.frame_index(delay + (i + 0.5) / fps))


def eval_clip(video: Path, sources: list[str], cache: Path, voiced: bool = False,
              picks: list[int] | None = None, breath: float | None = None,
              portrait_frame: str = "first") -> dict:
    """Per-source SSIM gain and inner-mouth colour difference of one clip (at the
    most-open frames while the voice speaks, with ``voiced``; at ``picks`` when given),
    the portrait being the real frame :func:`portrait_index` picks by ``portrait_frame``."""
    from engine.analysis import analyse_portrait
    from engine.media.image import Image
    from engine.model.data import find_audio
    from engine.render import frame_landmarks, render_frame
    from engine.render_eval import (
        corner_band,
        delta_e2000,
        inner_mouth_contrast,
        inner_mouth_corners,
        inner_mouth_dark,
        inner_mouth_detail,
        inner_mouth_lab,
        inside_flicker,
        mouth_patch,
        mouth_patch_inside,
        ssim,
    )

    clip = tracked(video, cache)
    frames = decode(video)
    n = min(len(frames), clip["landmarks"].shape[0])
    lm = clip["landmarks"][:n]
    at = portrait_index(lm, clip["presence"][:n], portrait_frame)
    portrait = analyse_portrait(Image(frames[at], None, str(video)))
    rig = portrait.rig
    # patches cut with the video tracker's landmarks, as the real frames' (module docstring)
    base = lm[at][:, :2].astype(np.float32)
    to_tracker = base - rig.landmarks[:, :2]
    still_patch = mouth_patch(frames[at], base)
    still_lab = inner_mouth_lab(frames[at], rig.landmarks)
    allowed = voiced_frames(find_audio(video), n, float(clip["fps"]),
                            float(clip["picture_delay"])) if voiced else None
    if picks is None:
        picks = most_open(lm, clip["presence"][:n], allowed=allowed)
    picks = sorted(int(i) for i in picks)
    out: dict = {"clip": video.stem, "frames": picks, "portrait": at}
    # The real mouth patch of every frame, cut once: all of them for the flicker, the picks'
    # for the rest.
    real_patches, real_insides = zip(*(mouth_patch_inside(frames[i], lm[i]) for i in range(n)),
                                     strict=True)
    real = [(real_patches[i], inner_mouth_lab(frames[i], lm[i])) for i in picks]
    real_contrast = [inner_mouth_contrast(frames[i], lm[i]) for i in picks]
    real_detail = [inner_mouth_detail(frames[i], lm[i]) for i in picks]
    real_corners = [inner_mouth_corners(frames[i], lm[i]) for i in picks]
    real_dark = [inner_mouth_dark(frames[i], lm[i]) for i in picks]
    real_tips = [inner_mouth_corners(frames[i], lm[i], TIPS) for i in picks]
    real_band = [b for b in (corner_band(frames[i], lm[i]) for i in picks) if b is not None]
    s_still = [ssim(still_patch, p) for p, _ in real]
    de_still = [delta_e2000(still_lab, c) for _, c in real if c is not None and
                still_lab is not None]
    out["still"] = {"ssim": float(np.mean(s_still)),
                    "de": float(np.mean(de_still)) if de_still else None}
    out["real_flicker"] = inside_flicker(list(real_patches), list(real_insides))
    out["real_band"] = float(np.mean(real_band)) if real_band else None
    pick_at = {i: j for j, i in enumerate(picks)}
    for source in sources:
        motion, index = motion_for(source, portrait, clip, find_audio(video), cache, breath,
                                   at)
        s_r, de_r, dl_r, c_r, c_real, d_r, k_r, dk_r, t_r = [], [], [], [], [], [], [], [], []
        b_r = []
        # Every frame is rendered once: all of them for the flicker, the picks for the rest.
        patches, insides = [], []
        for i in range(n):
            k = index(i)
            img = render_frame(rig, motion, k)
            xy = frame_landmarks(rig, motion, k)
            patch_r, inside_r = mouth_patch_inside(img, xy[:, :2] + to_tracker)
            patches.append(patch_r)
            insides.append(inside_r)
            j = pick_at.get(i)
            if j is None:
                continue
            (patch, lab), c, d = real[j], real_contrast[j], real_detail[j]
            s_r.append(ssim(patch_r, patch))
            lab_r = inner_mouth_lab(img, xy)
            if lab is not None and lab_r is not None:
                de_r.append(delta_e2000(lab_r, lab))
                dl_r.append(float(lab_r[0] - lab[0]))
            c_own = inner_mouth_contrast(img, xy)
            if c is not None and c_own is not None:
                c_r.append(c_own)
                c_real.append(c)
            d_own = inner_mouth_detail(img, xy)
            if d is not None and d_own is not None and d > 0:
                d_r.append(d_own / d)
            dk_own = inner_mouth_dark(img, xy)
            if real_dark[j] is not None and dk_own is not None:
                dk_r.append(dk_own - real_dark[j])
            t_own = inner_mouth_corners(img, xy, TIPS)
            if real_tips[j] is not None and t_own is not None:
                t_r.append(t_own / max(real_tips[j], 1e-6))
            b_own = corner_band(img, xy)
            if b_own is not None:
                b_r.append(b_own)
            k_own = inner_mouth_corners(img, xy)
            if real_corners[j] is not None and k_own is not None:
                k_r.append(k_own / max(real_corners[j], 1e-6))
        steady = inside_flicker(patches, insides)
        out[source] = {"ssim": float(np.mean(s_r)),
                       "flicker": None if steady is None else steady[0],
                       "flicker_max": None if steady is None else steady[1],
                       "gain": float(np.mean(np.subtract(s_r, s_still))),
                       "de": float(np.mean(de_r)) if de_r else None,
                       "de_frames": len(de_r),
                       "dl": float(np.mean(dl_r)) if dl_r else None,
                       "contrast": float(np.mean(c_r)) / max(float(np.mean(c_real)), 1e-9)
                       if c_r else None,
                       "detail": float(np.mean(d_r)) if d_r else None,
                       "corners": float(np.mean(k_r)) if k_r else None,
                       "dark": float(np.mean(dk_r)) if dk_r else None,
                       "tips": float(np.mean(t_r)) if t_r else None,
                       "band": float(np.mean(b_r)) if b_r else None}
    return out


def summary(rows: list[dict], source: str) -> dict:
    """Median and worst over clips of one source."""
    gains = np.array([r[source]["gain"] for r in rows])
    des = np.array([r[source]["de"] for r in rows if r[source]["de"] is not None])
    de_still = np.array([r["still"]["de"] for r in rows if r["still"]["de"] is not None])
    worst = rows[int(np.argmin(gains))]["clip"]
    return {
        "clips": len(rows),
        "ssim_median": float(np.median([r[source]["ssim"] for r in rows])),
        "still_ssim_median": float(np.median([r["still"]["ssim"] for r in rows])),
        "gain_median": float(np.median(gains)),
        "gain_min": float(gains.min()),
        "gain_min_clip": worst,
        "positive": int((gains > 0).sum()),
        "de_median": float(np.median(des)) if len(des) else None,
        "de_max": float(des.max()) if len(des) else None,
        "de_clips": len(des),
        "still_de_median": float(np.median(de_still)) if len(de_still) else None,
        "contrast_median": _median(rows, source, "contrast"),
        "detail_median": _median(rows, source, "detail"),
        "corners_median": _median(rows, source, "corners"),
        "dl_median": _median(rows, source, "dl"),
        "dark_median": _median(rows, source, "dark"),
        "tips_median": _median(rows, source, "tips"),
        "band_median": _median(rows, source, "band"),
        "real_band_median": (float(np.median(real_bands)) if (real_bands := [
            r["real_band"] for r in rows if r.get("real_band") is not None]) else None),
        **_flicker(rows, source),
    }


def _flicker(rows: list[dict], source: str) -> dict:
    """The inside's flicker rendered over real (:func:`engine.render_eval.inside_flicker`):
    the median and the largest ratio of the means over the clips, and on how many clips
    the rendered inside's worst frame changes more than the real one's worst frame."""
    pairs = [(r[source]["flicker"], r[source]["flicker_max"], *r["real_flicker"])
             for r in rows if r[source].get("flicker") is not None and r.get("real_flicker")]
    if not pairs:
        return {"flicker_ratio_median": None, "flicker_ratio_max": None, "flicker_spikes": None}
    ratios = [m / max(rm, 1e-9) for m, _, rm, _ in pairs]
    return {"flicker_ratio_median": float(np.median(ratios)),
            "flicker_ratio_max": float(np.max(ratios)),
            "flicker_spikes": int(sum(mx > rmx for _, mx, _, rmx in pairs))}


def _median(rows: list[dict], source: str, key: str) -> float | None:
    """Median over the clips where ``key`` of ``source`` was measured (None where none was)."""
    vals = [r[source][key] for r in rows if r[source].get(key) is not None]
    return float(np.median(vals)) if vals else None


def markdown(results: dict) -> str:
    """The report table: one row per source and speaker set, then all clips."""
    lines = [
        "| motion | clips | SSIM rendered / still (median) | SSIM gain median | worst gain "
        "(clip) | clips with gain > 0 | inner-mouth ΔE2000 median / max | inner-mouth "
        "contrast, rendered / real (median) | inner-mouth detail, rendered / real (median) | "
        "inner-mouth lightness, rendered − real (CIELAB L*, median) | inside flicker, "
        "rendered / real (median / largest; clips whose worst frame exceeds the real one's) | "
        "inner-mouth corners, rendered / real (median; beyond 0.7 / beyond 0.85) | "
        "inner-mouth dark, rendered − real (CIELAB L* of its darkest tenth, median) | "
        "dark band at the corners, rendered / real (median) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for source, per_set in results["summary"].items():
        for name, s in per_set.items():
            de = ("n/a" if s["de_median"] is None
                  else f"{s['de_median']:.1f} / {s['de_max']:.1f}")
            con, det, dl, cor, tips, dark, band, real_band = (
                ("n/a" if s.get(k) is None else format(s[k], f)) for k, f in
                (("contrast_median", ".2f"), ("detail_median", ".2f"), ("dl_median", "+.1f"),
                 ("corners_median", ".2f"), ("tips_median", ".2f"), ("dark_median", "+.1f"),
                 ("band_median", "+.2f"), ("real_band_median", "+.2f")))
            flick = ("n/a" if s.get("flicker_ratio_median") is None else
                     f"{s['flicker_ratio_median']:.2f} / {s['flicker_ratio_max']:.2f}; "
                     f"{s['flicker_spikes']}")
            lines.append(
                f"| {source} | {name} ({s['clips']}) | {s['ssim_median']:.3f} / "
                f"{s['still_ssim_median']:.3f} | {s['gain_median']:+.3f} | "
                f"{s['gain_min']:+.3f} ({s['gain_min_clip']}) | {s['positive']}/{s['clips']} | "
                f"{de} | {con} | {det} | {dl} | {flick} | {cor} / {tips} | {dark} | "
                f"{band} / {real_band} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--motion", nargs="+", default=["gan", "oracle"],
                    choices=["gan", "oracle", "phonetic", *DIAGNOSTICS,
                             *opening_replay.SOURCES])
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=[*SETS, *TRAINING])
    ap.add_argument("--voiced", action="store_true",
                    help="pick the most-open frames among those inside a spoken phone only "
                         "(a diagnostic: the issue's measure uses every frame)")
    ap.add_argument("--limit", type=int, default=None, help="at most this many clips per set")
    ap.add_argument("--portrait", choices=("first", "widest", "half"), default="first",
                    help="the portrait: each clip's first frame (the issue's measure), the "
                         "frame where its real mouth is widest (a shout, a word caught "
                         "mid-way: how the mouth closes and opens again from it) or where "
                         "it is open half as wide (lips parted: opening past them)")
    ap.add_argument("--breath", type=float, default=None,
                    help="the app's Breath setting for gan and phonetic (default the app's)")
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "mouth_eval")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("engine", "pocketsphinx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    t0 = time.perf_counter()
    rows: dict[str, list[dict]] = {}
    for name in args.sets:
        videos = sorted({**SETS, **TRAINING}[name].glob("*.mp4"))[: args.limit]
        rows[name] = []
        for v in videos:
            r = eval_clip(v, args.motion, args.cache, args.voiced, breath=args.breath,
                          portrait_frame=args.portrait)
            log.info("%s %s: still %.3f %s", name, v.stem, r["still"]["ssim"],
                     " ".join(f"{s} {r[s]['ssim']:.3f} ({r[s]['gain']:+.3f}) "
                              f"dE {r[s]['de'] if r[s]['de'] is None else round(r[s]['de'], 1)}"
                              for s in args.motion))
            rows[name].append(r)
    everything = [r for v in rows.values() for r in v]
    results = {
        "summary": {s: {**{n: summary(v, s) for n, v in rows.items()},
                        "all": summary(everything, s)} for s in args.motion},
        "clips": rows,
        "frames": "voiced" if args.voiced else "all",
        "portrait": args.portrait,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "report.md").write_text(markdown(results))
    sys.stdout.write(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
