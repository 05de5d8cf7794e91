"""Where real speakers look while they speak: the statistics behind ``engine.motion.glances``.

For every clip of a speaker (the prepare-data cache, :mod:`engine.model.data`: the face
mesh tracked on every frame, pocketsphinx's phones; the video decoded again here), the
iris of each eye is found in every frame where both eyes are open (:func:`iris_offset`:
the darkest disk of the iris's size inside the visible eye, to a tenth of a pixel), as an
offset from the eye's middle in eye widths along the eye's own axes. The two eyes move
together (their offsets correlate); their mean, less the clip's median, is the gaze.
Reported per speaker:

- the spread of the gaze over a clip (standard deviation, median over clips), x and y;
- the 1st and 99th percentiles over all frames;
- the glances: a shift of the gaze of at least :data:`GLANCE` eye widths between two
  steady stretches; how many per second of speech, how large, and how many start within
  :data:`NEAR_ONSET_S` of the first phone of a phrase.

GRID s1, the training speaker, sets the glances' constants; the validation speakers
(``--speakers s4hq s30 ...``) are measured only to report how far the generated gaze is
from theirs, never to set anything. GRID's speakers read from a prompter, so their gaze
is stiller than a free speaker's.

Run: ``python tools/measure_gaze.py --cache cache/model/grid [--speakers s1]
[--clips 200] [--json OUT.json]`` (about a minute per 100 clips on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
#: The iris's radius, as a share of the eye's width (an iris is about 12 mm across in
#: an eye opening about 28 mm wide).
IRIS = 0.21
#: Eyes opened less than this (lid gap over width, the mesh's) are blinking or shut.
OPEN = 0.18
#: The eye crop is upsampled this many times before the disk is matched.
UP = 4
#: A glance is a shift of at least this many eye widths, from one steady stretch of
#: :data:`STEADY` frames to the next.
GLANCE = 0.02
STEADY = 3
#: A glance counts as at a phrase's start when it lies this close to its first phone.
NEAR_ONSET_S = 0.4


def iris_offset(rgb: np.ndarray, lm: np.ndarray, eye: int) -> np.ndarray | None:
    """``(2,) float`` the iris's centre of eye ``eye`` (0, 1) in a frame ``(H, W, 3)``
    with landmarks ``lm (468, 2)`` pixels: its offset from the middle of the eye corners,
    along the corner-to-corner axis (image right positive) and across it (down positive),
    in eye widths; None where the eye is shut or too small."""
    from engine.render import topology as topo
    from engine.render.colour import LUMA
    from engine.render.gaze import eye_core, eye_polygon

    poly = eye_polygon(lm, eye)
    core, axis, width = eye_core(lm, eye, poly)
    # image right and down, whichever corner the eye's contours start from
    axis = axis if axis[0] >= 0 else -axis
    normal = np.array([-axis[1], axis[0]])
    up, lo = lm[topo.EYE_UPPER[eye][1:-1]], lm[topo.EYE_LOWER[eye][1:-1]]
    if width < 8 or float(np.median((lo - up) @ normal)) / width < OPEN:
        return None
    x0, y0 = np.floor(core.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(core.max(axis=0)).astype(int) + 3
    if x0 < 0 or y0 < 0 or x1 > rgb.shape[1] or y1 > rgb.shape[0]:
        return None
    grey = (rgb[y0:y1, x0:x1, :3].astype(np.float32) @ LUMA)
    grey = cv2.resize(grey, None, fx=UP, fy=UP, interpolation=cv2.INTER_CUBIC)
    inside = np.zeros(grey.shape, np.uint8)
    cv2.fillPoly(inside, [np.round((core - (x0, y0)) * UP * 16).astype(np.int32)], 1,
                 cv2.LINE_8, 4)
    r = IRIS * width * UP
    k = int(np.ceil(r))
    yy, xx = np.mgrid[-k:k + 1, -k:k + 1]
    disk = (xx**2 + yy**2 <= r * r).astype(np.float32)
    # Mean luma over the disk, counting only pixels inside the eye: the lids and the
    # skin round the eye are not iris.
    num = cv2.filter2D(grey * inside, -1, disk, borderType=cv2.BORDER_CONSTANT)
    den = cv2.filter2D(inside.astype(np.float32), -1, disk, borderType=cv2.BORDER_CONSTANT)
    mean = np.where(den > 0.5 * disk.sum(), num / np.maximum(den, 1e-6), np.inf)
    mean[inside == 0] = np.inf
    if not np.isfinite(mean).any():
        return None
    iy, ix = np.unravel_index(int(np.argmin(mean)), mean.shape)
    pad = np.pad(mean, 1, constant_values=np.inf)  # the neighbours of an edge pixel
    dx = _vertex(pad[iy + 1, ix], pad[iy + 1, ix + 1], pad[iy + 1, ix + 2])
    dy = _vertex(pad[iy, ix + 1], pad[iy + 1, ix + 1], pad[iy + 2, ix + 1])
    # the upsampled pixel centres back to the frame's
    centre = (np.array([ix + dx, iy + dy]) + 0.5) / UP - 0.5 + (x0, y0)
    mid = 0.5 * (lm[topo.EYE_UPPER[eye][0]] + lm[topo.EYE_UPPER[eye][-1]])
    off = centre - mid
    return np.array([off @ axis, off @ normal]) / width


def _vertex(a: float, b: float, c: float) -> float:
    """Where the parabola through ``(-1, a), (0, b), (1, c)`` bottoms out, -0.5..0.5 (0
    where it does not)."""
    curve = a - 2.0 * b + c
    if not np.isfinite(curve) or curve <= 1e-9:
        return 0.0
    return float(np.clip(0.5 * (a - c) / curve, -0.5, 0.5))


def clip_gaze(video: Path, npz: Path) -> tuple[np.ndarray, float, list]:
    """``(gaze (T, 2) float, NaN where unread; fps; phrases)`` of one clip (phrases as
    :func:`engine.audio.prosody.phrases`, seconds)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import decode

    from engine.audio.phones import Phone
    from engine.audio.prosody import phrases

    with np.load(npz) as z:
        lm = z["landmarks"][..., :2].astype(np.float64)
        ok = z["presence"] >= 0.5
        fps = float(z["fps"])
        phones = [Phone(str(lab), float(a), float(b))
                  for lab, (a, b) in zip(z["phone_labels"], z["phone_times"], strict=True)]
    frames = decode(video)
    n = min(len(frames), len(lm))
    gaze = np.full((len(lm), 2), np.nan)
    for i in range(n):
        if not ok[i]:
            continue
        eyes = [iris_offset(frames[i], lm[i], e) for e in (0, 1)]
        if all(e is not None for e in eyes):
            gaze[i] = 0.5 * (eyes[0] + eyes[1])
    gaze -= np.nanmedian(gaze, axis=0)
    return gaze, fps, phrases(phones, len(lm) / fps)


def glances(x: np.ndarray) -> list[tuple[int, float]]:
    """``[(frame, size in eye widths)]``: sideways shifts of the gaze ``x (T,)`` of at least
    :data:`GLANCE` between the means of the :data:`STEADY` frames before and after. (Only
    sideways: the lids and lashes move the vertical reading by as much as a glance.)"""
    gaze = x[:, None]
    out: list[tuple[int, float]] = []
    t = STEADY
    while t + STEADY <= len(gaze):
        before, after = gaze[t - STEADY:t], gaze[t:t + STEADY]
        if np.isnan(before).any() or np.isnan(after).any():
            t += 1
            continue
        size = float(np.linalg.norm(after.mean(axis=0) - before.mean(axis=0)))
        if size >= GLANCE:
            # the steepest step near here is the glance
            steps = [float(np.linalg.norm(gaze[j + STEADY - 1:j + STEADY + 2].mean(0)
                                          - gaze[j - 1:j + 1].mean(0)))
                     if not np.isnan(gaze[j - 1:j + STEADY + 2]).any() else 0.0
                     for j in range(t - 1, min(t + 2, len(gaze) - STEADY - 1))]
            out.append((t - 1 + int(np.argmax(steps)) if steps else t, size))
            t += STEADY
        else:
            t += 1
    return out


def measure(cache: Path, speaker: str, clips: int, generated: bool = False) -> dict:
    """The speaker's gaze statistics (module docstring); with ``generated``, also the
    spread of the app's glances (:func:`engine.motion.glances.speech_gaze`, Liveliness 1)
    over the same clips' phrases, in eye widths, and its ratio to the real spread with
    the measure's noise taken out."""
    from engine.motion.glances import speech_gaze
    from engine.motion.track import TRAVEL_X, TRAVEL_Y

    root = "crema-d" if speaker.isdigit() else "grid"
    videos = sorted((SHARED / root / speaker / "video").glob("*.mp4"))
    paths = [(v, cache / speaker / f"{v.stem}.npz") for v in videos]
    paths = [p for p in paths if p[1].exists()]
    paths = paths[:: max(1, len(paths) // clips)][:clips]
    spreads, every, sizes, near, speech_s, steps, made = [], [], [], 0, 0.0, [], []
    for k, (video, npz) in enumerate(paths):
        gaze, fps, said = clip_gaze(video, npz)
        onsets = [p.start for p in said]
        read = gaze[~np.isnan(gaze).any(axis=1)]
        if len(read) < 10:
            continue
        spreads.append(read.std(axis=0))
        dx = np.abs(np.diff(gaze[:, 0]))
        steps += list(dx[~np.isnan(dx)])
        every.append(read)
        found = glances(gaze[:, 0])
        sizes += [s for _, s in found]
        near += sum(any(abs(f / fps - o) <= NEAR_ONSET_S for o in onsets) for f, _ in found)
        speech_s += len(gaze) / fps
        if generated:
            g = speech_gaze(said, fps, len(gaze), 1.0, k) * np.array([TRAVEL_X, TRAVEL_Y])
            made.append(g.std(axis=0))
    allg = np.concatenate(every)
    noise = float(np.median(steps)) / np.sqrt(2.0) * 1.4826
    out = {
        "speaker": speaker, "clips": len(spreads),
        "std_x": float(np.median([s[0] for s in spreads])),
        "std_y": float(np.median([s[1] for s in spreads])),
        "p1_p99_x": [float(v) for v in np.percentile(allg[:, 0], [1, 99])],
        "p1_p99_y": [float(v) for v in np.percentile(allg[:, 1], [1, 99])],
        "glances_per_s": len(sizes) / max(speech_s, 1e-9),
        "glance_size_median": float(np.median(sizes)) if sizes else 0.0,
        "glance_size_p90": float(np.percentile(sizes, 90)) if sizes else 0.0,
        "glances_near_onset": near / max(len(sizes), 1),
        # what a steady eye's reading wanders from frame to frame: the measure's noise
        "noise_x": noise,
    }
    if generated:
        real = np.sqrt(max(out["std_x"] ** 2 - noise**2, 1e-12))
        out["generated_std_x"] = float(np.median([m[0] for m in made]))
        out["generated_std_y"] = float(np.median([m[1] for m in made]))
        out["ratio_x"] = out["generated_std_x"] / real
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    ap.add_argument("--speakers", nargs="+", default=["s1"])
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--generated", action="store_true",
                    help="also the app's glances over the same clips' phrases")
    args = ap.parse_args(argv)
    rows = [measure(args.cache, s, args.clips, args.generated) for s in args.speakers]
    for r in rows:
        print(json.dumps(r))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
