"""Does an independent face tracker see every scheduled blink? (issue 14, item 3)

Talkie's own face model is MediaPipe's; the check must not trust it. Here
dlib's 68-point shape predictor (``shape_predictor_68_face_landmarks.dat``
from the ``face-recognition-models`` package; an evaluation-only dependency,
``pip install -e .[eval]``, never shipped: the model was trained on the iBUG
300-W data, whose licence excludes commercial use) reads the eye aspect
ratio (EAR, Soukupová and Čech 2016) of each eye in rendered frames:

- for every blink the app schedules (default settings, the sample voice),
  the frame just before it starts (open) and the frame where the lids are
  most closed (closed);
- a blink is *seen* when, for both eyes, the closed EAR and its ratio to the
  open EAR are no higher than dlib reads on real blinks: the thresholds are
  the 90th percentiles of the same figures on the real blinks of the training
  speaker GRID s1 labelled by eye in ``tests/fixtures/blink_labels.json``
  (middle frame of the blink against the frame three before it), read the
  same way (frames scaled to a long edge of 1024 px). A rendered blink is
  seen when it looks at least as shut as nine real blinks in ten.

The face box is dlib's own frontal detector's on the open frame; where it
finds no face (three-quarter views, paintings) the box around Talkie's
landmarks is used instead (the shape predictor, which reads the lids, is
still dlib's). Portraits: :data:`PORTRAITS` (photos, a real painting (the Mona Lisa,
``assets/samples``), a cartoon (clip art, ``assets/samples``), paintings and drawings made
from the photos with OpenCV's
edge-preserving and bilateral filters, three-quarter views, video stills). Frames
are rendered at a long edge of 1024 px.

dlib's reading of the same shut lids moves by a few hundredths from frame to frame (it
fits its 68 points as one shape, so the mouth and the head move its eye points), and
many blinks read within that of the thresholds: one blink's verdict is partly a draw.
So the report also gives a steadier reading of the lids themselves: at :data:`FRAMES`
frames spread over the voice, each frame rendered twice with the same mouth and head,
lids open and lids shut, and the share of those shut lids dlib reads as shut (the same
two thresholds).

Run: ``python tools/blink_check.py [--out out/blink_check] [--frames 12]`` (writes
``report.md``, ``results.json`` and a contact sheet of the closed frames).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("blink_check")

DATA = ROOT.parent / "shared" / "data"
VOICE = ROOT / "assets" / "samples" / "voice_grid_s1.wav"
#: Percentile of the real blinks' figures that a rendered blink must reach.
PERCENTILE = 90
LABELS = ROOT / "tests" / "fixtures" / "blink_labels.json"
SIZE = 1024
_RIGHT, _LEFT = list(range(36, 42)), list(range(42, 48))
#: dlib's eye corners (subject's right outer, inner; left inner, outer) and Talkie's.
_DLIB_CORNERS, _TALKIE_CORNERS = [36, 39, 42, 45], [33, 133, 362, 263]
#: Where dlib's eye corners on the open portrait lie further than this (mean, inter-ocular
#: distances) from the face's, dlib has not found the eyes and cannot judge a blink: on the
#: portraits here it is 0.012-0.045 where it reads the face, 0.79 on the cameraman.
UNREADABLE_IOD = 0.2
#: Where dlib's own detector finds no face, its box is placed from Talkie's landmarks as
#: the detector places it: a square BOX_SIDE times the eyes-to-chin distance, centred
#: BOX_CENTRE of the way from the eyes' middle to the chin (medians over the twelve
#: portraits here it finds: 1.31 (1.23-1.43) and 0.31 (0.20-0.35)). The eyes-to-chin
#: distance does not shrink as the head turns, as the inter-ocular distance does. Until
#: 2026-12-06 the box was that of all 468 landmarks, forehead to chin, taller than the
#: detector's: on the cameraman (turned 53°) dlib then fitted its eyes 0.79 IOD away.
BOX_SIDE, BOX_CENTRE = 1.31, 0.31
_TALKIE_CHIN = 152
#: Frames per portrait of the steadier reading (lids shut at each, all else as rendered).
FRAMES = 12
#: dlib's shape predictor starts from its mean shape placed in the face box, and a box a
#: pixel or two elsewhere moves its eye points by as much as a change of a few grey levels
#: in the mouth does. Each reading is the median of five: the box, and the box moved this
#: share of its side left, right, up and down (real blinks read the same way).
JITTER = 0.01


def _video_frame(path: Path, index: int) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(c.streams.video[0])):
            if i == index:
                return f.to_ndarray(format="rgb24")
    raise ValueError(f"{path} has no frame {index}")


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from skimage import data

        img = getattr(data, name)()
        return np.dstack([img] * 3) if img.ndim == 2 else img[..., :3]
    return load


def _hopper() -> np.ndarray:
    """Grace Hopper (US Navy photograph, public domain), from matplotlib's sample data."""
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        data = np.frombuffer(f.read(), np.uint8)
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _painting(load: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    """A painting-like rendition: edge-preserving smoothing flattens the skin into
    strokes of colour (OpenCV's recursive edge-preserving filter)."""
    def make() -> np.ndarray:
        bgr = cv2.cvtColor(load(), cv2.COLOR_RGB2BGR)
        out = cv2.edgePreservingFilter(bgr, flags=cv2.RECURS_FILTER, sigma_s=60, sigma_r=0.35)
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    return make


def _drawing(load: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    """An inked-drawing-like rendition: flat colour (bilateral smoothing) under
    thin dark lines where the picture has edges."""
    def make() -> np.ndarray:
        rgb = load()
        grey = cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 5)
        lines = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                      cv2.THRESH_BINARY, 9, 6)
        flat = rgb
        for _ in range(3):
            flat = cv2.bilateralFilter(flat, 9, 40, 7)
        return (flat.astype(np.float32) * (0.25 + 0.75 * lines[..., None] / 255.0)).astype(
            np.uint8)
    return make


def _sample(name: str) -> Callable[[], np.ndarray]:
    """A portrait shipped in ``assets/samples`` (credits in ``assets/licenses``)."""
    def load() -> np.ndarray:
        from engine.media.image import load_image

        return load_image(ROOT / "assets" / "samples" / name).rgb
    return load


def _frame(rel: str, index: int) -> Callable[[], np.ndarray]:
    return lambda: _video_frame(DATA / rel, index)


#: name -> (kind, loader).
PORTRAITS: dict[str, tuple[str, Callable[[], np.ndarray]]] = {
    "astronaut": ("photo, frontal", _skimage("astronaut")),
    "grace_hopper": ("photo, turned a little, glasses", _hopper),
    "astronaut_painting": ("painting-like", _painting(_skimage("astronaut"))),
    "hopper_painting": ("painting-like", _painting(_hopper)),
    "astronaut_drawing": ("inked drawing", _drawing(_skimage("astronaut"))),
    "hopper_drawing": ("inked drawing", _drawing(_hopper)),
    "grid_s1": ("video still, frontal", _frame("grid/s1/video/bbaf2n.mp4", 0)),
    "grid_s4hq": ("video still, frontal", _frame("grid/s4hq/video/bbaf2a.mp4", 0)),
    "grid_s33": ("video still, frontal", _frame("grid/s33/video/bwwy3s.mp4", 0)),
    "crema_1001": ("video still, frontal", _frame("crema-d/1001/video/1001_DFA_NEU_XX.mp4", 0)),
    "crema_1001_happy": ("video still, smiling (narrowed eyes)", _frame(
        "crema-d/1001/video/1001_DFA_HAP_XX.mp4", 40)),
    "mona_lisa": ("painting (Leonardo), turned a little", _sample("mona_lisa.png")),
    "cameraman": ("photo, turned 53°, black and white", _skimage("camera")),
    "cartoon_head": ("cartoon (clip art), turned three-quarters", _sample("cartoon_head.png")),
}


def predictor():
    """dlib's detector and 68-point shape predictor."""
    import dlib

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: pip install -e .[eval] (dlib-bin, face-recognition-models)")
    dat = Path(spec.submodule_search_locations[0]) / "models" / \
        "shape_predictor_68_face_landmarks.dat"
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(dat))


def ear(points: np.ndarray) -> float:
    """Eye aspect ratio of 6 eye points ``(6, 2)`` in dlib's order."""
    p = points
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4]))
                 / (2.0 * np.linalg.norm(p[0] - p[3])))


def dlib_points(models, rgb: np.ndarray, box) -> np.ndarray:
    """``(68, 2) float64`` dlib's landmarks in ``box``, pixels."""
    _, shape_pred = models
    s = shape_pred(rgb, box)
    return np.array([[s.part(i).x, s.part(i).y] for i in range(68)], np.float64)


def eye_ears(models, rgb: np.ndarray, box) -> np.ndarray:
    """``(2,)`` EAR of the subject's right and left eye (dlib's 68 points): the median of
    its readings in the face box and in the box moved by :data:`JITTER` of its side each
    way, so that a verdict does not hang on where a box fell to the pixel."""
    import dlib

    step = max(1, round(JITTER * box.width()))
    reads = []
    for dx, dy in ((0, 0), (-step, 0), (step, 0), (0, -step), (0, step)):
        moved = dlib.rectangle(box.left() + dx, box.top() + dy, box.right() + dx,
                               box.bottom() + dy)
        pts = dlib_points(models, rgb, moved)
        reads.append([ear(pts[_RIGHT]), ear(pts[_LEFT])])
    return np.median(np.array(reads), axis=0)


def corner_error(models, rgb: np.ndarray, box, landmarks: np.ndarray) -> float:
    """Mean distance (inter-ocular distances) of dlib's four eye corners from Talkie's
    ``landmarks (468, 2+)``: how well dlib has found the eyes it is asked to read."""
    d = dlib_points(models, rgb, box)[_DLIB_CORNERS]
    t = np.asarray(landmarks, np.float64)[_TALKIE_CORNERS, :2]
    iod = max(float(np.linalg.norm(t[3] - t[0])), 1e-6)
    return float(np.linalg.norm(d - t, axis=1).mean() / iod)


def face_box(models, rgb: np.ndarray, landmarks: np.ndarray):
    """``(dlib.rectangle, source)``: dlib's own detection, else the box of Talkie's landmarks."""
    import dlib

    detector, _ = models
    found = detector(rgb, 1)
    if len(found):
        return max(found, key=lambda r: r.width() * r.height()), "dlib"
    lm = np.asarray(landmarks, np.float64)[:, :2]
    eyes = lm[_TALKIE_CORNERS].mean(0)
    down = lm[_TALKIE_CHIN] - eyes
    centre = eyes + BOX_CENTRE * down
    half = 0.5 * BOX_SIDE * float(np.linalg.norm(down))
    return dlib.rectangle(int(centre[0] - half), int(centre[1] - half),
                          int(centre[0] + half), int(centre[1] + half)), "talkie"


def scaled(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` resized to a long edge of :data:`SIZE`."""
    h, w = rgb.shape[:2]
    f = SIZE / max(h, w)
    return cv2.resize(rgb, (round(w * f), round(h * f)),
                      interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def calibrate(models, clips: list[str] | None = None) -> dict:
    """dlib's EAR on the real s1 blinks labelled by eye (all, or those of ``clips``):
    thresholds for *seen*."""
    import av

    labels = json.loads(LABELS.read_text())["clips"]
    closed, ratio = [], []
    for clip, spans in labels.items():
        if clips is not None and clip not in clips:
            continue
        path = DATA / "grid" / "s1" / "video" / f"{clip}.mp4"
        if not path.is_file():
            continue  # (the s4hq clips: validation speaker, not used to set thresholds)
        with av.open(str(path)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
        for span in spans:
            if len(span) > 2 or span[0] < 3:  # ambiguous ('h'), or no open frame before it
                continue
            shut = scaled(frames[(span[0] + span[1]) // 2])
            before = scaled(frames[span[0] - 3])
            found = models[0](before, 1)
            if not len(found):
                continue
            box = max(found, key=lambda r: r.width() * r.height())
            e_open, e_shut = eye_ears(models, before, box), eye_ears(models, shut, box)
            closed.append(float(e_shut.max()))
            ratio.append(float((e_shut / e_open).max()))
    return {"blinks": len(closed),
            "ear_closed": float(np.percentile(closed, PERCENTILE)),
            "ratio": float(np.percentile(ratio, PERCENTILE)),
            "ear_closed_median": float(np.median(closed)),
            "ratio_median": float(np.median(ratio))}


def check(name: str, rgb: np.ndarray, models, audio, limits: dict, frames: int = FRAMES
          ) -> dict:
    """Every scheduled blink of one portrait: open and closed EAR, seen or not."""
    from engine import Animation
    from engine.analysis import analyse_portrait
    from engine.media.image import Image
    from engine.render import frame_landmarks

    rgb = scaled(rgb)
    anim = Animation(analyse_portrait(Image(rgb, None, name)), audio)
    lids = anim.motion.eyelids.mean(axis=1)
    box0, _ = face_box(models, rgb, anim.portrait.rig.landmarks)
    corners = corner_error(models, rgb, box0, anim.portrait.rig.landmarks)
    blinks = []
    sheet = []
    for b in anim.blink_events:
        start = anim.frame_index(b.onset)
        end = min(anim.frame_index(b.onset + b.duration) + 1, anim.frame_count)
        if end <= start:
            continue
        shut = start + int(np.argmax(lids[start:end]))
        before = max(start - 2, 0)
        img_open = anim.render_index(before)
        img_shut = anim.render_index(shut)
        box, src = face_box(models, img_open, frame_landmarks(anim.portrait.rig, anim.motion,
                                                             before))
        e_open = eye_ears(models, img_open, box)
        e_shut = eye_ears(models, img_shut, box)
        seen = _seen(e_open, e_shut, limits)
        blinks.append({"onset": round(b.onset, 3), "closure": round(float(lids[shut]), 3),
                       "ear_open": e_open.round(3).tolist(), "ear_closed": e_shut.round(3).tolist(),
                       "box": src, "seen": seen})
        if len(sheet) < 1:
            lm = anim.portrait.rig.landmarks
            eyes = lm[[33, 133, 263, 362], :2]
            c = eyes.mean(0)
            r = int(0.75 * anim.portrait.rig.iod)
            x0, y0 = max(int(c[0] - r), 0), max(int(c[1] - r // 2), 0)
            sheet.append(np.concatenate([im[y0:y0 + r, x0:x0 + 2 * r]
                                         for im in (img_open, img_shut)], 1))
    shut_read, read = lids_read_shut(anim, models, limits, frames)
    log.info("%s: %d/%d blinks seen, shut lids read shut at %d/%d frames (dlib's eye corners "
             "%.3f IOD off)", name, sum(b["seen"] for b in blinks), len(blinks), shut_read,
             read, corners)
    return {"blinks": blinks, "sheet": sheet[0] if sheet else None,
            "corner_error": round(corners, 4), "frames_read_shut": [shut_read, read]}


def _seen(e_open: np.ndarray, e_shut: np.ndarray, limits: dict) -> bool:
    """Both eyes at least as shut, to dlib, as nine real blinks in ten."""
    return bool(np.all(e_shut <= limits["ratio"] * e_open)
                and np.all(e_shut <= limits["ear_closed"]))


def lids_read_shut(anim, models, limits: dict, frames: int) -> tuple[int, int]:
    """``(read shut, frames read)``: at how many of up to ``frames`` frames spread over the
    animation dlib reads the lids as shut when they are: each frame rendered with the lids
    open and shut, its mouth, head and gaze as they are (the same face box for both)."""
    import dataclasses

    from engine.render import frame_landmarks, render_frame

    rig, motion = anim.portrait.rig, anim.motion
    n = anim.frame_count
    count = 0
    picked = np.unique(np.linspace(min(5, n - 1), max(n - 6, 0), frames).astype(int))
    for k in picked:
        lids = motion.eyelids.copy()
        lids[k] = 0.0
        img_open = render_frame(rig, dataclasses.replace(motion, eyelids=lids.copy()), int(k))
        lids[k] = 1.0
        img_shut = render_frame(rig, dataclasses.replace(motion, eyelids=lids), int(k))
        box, _ = face_box(models, img_open, frame_landmarks(rig, motion, int(k)))
        count += _seen(eye_ears(models, img_open, box), eye_ears(models, img_shut, box), limits)
    return count, len(picked)


def main(argv: list[str] | None = None) -> int:
    from engine import analyse_audio, load_audio

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=list(PORTRAITS))
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "blink_check")
    ap.add_argument("--frames", type=int, default=FRAMES,
                    help="frames per portrait of the steadier reading (lids shut at each)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("engine").setLevel(logging.WARNING)
    models = predictor()
    audio = analyse_audio(load_audio(VOICE))
    limits = calibrate(models)
    log.info("real s1 blinks (%d): closed EAR <= %.3f, closed/open <= %.3f (%d%%)",
             limits["blinks"], limits["ear_closed"], limits["ratio"], PERCENTILE)
    results, sheets = {}, []
    for name in args.only or list(PORTRAITS):
        kind, load = PORTRAITS[name]
        r = check(name, load(), models, audio, limits, args.frames)
        results[name] = {"kind": kind, "blinks": r["blinks"], "corner_error": r["corner_error"],
                         "frames_read_shut": r["frames_read_shut"]}
        if r["sheet"] is not None:
            s = r["sheet"]
            sheets.append(cv2.resize(s, (512, round(512 * s.shape[0] / s.shape[1]))))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps({"limits": limits, "portraits": results},
                                                      indent=1))
    lines = ["| portrait | kind | blinks seen | shut lids read shut (frames) | "
             "EAR open → closed (median, both eyes) | dlib's eye corners off by (IOD) |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        bl = r["blinks"]
        seen = sum(b["seen"] for b in bl)
        eo = np.median([b["ear_open"] for b in bl]) if bl else float("nan")
        ec = np.median([b["ear_closed"] for b in bl]) if bl else float("nan")
        off = r["corner_error"]
        note = " (dlib does not find the eyes)" if off > UNREADABLE_IOD else ""
        fr = r["frames_read_shut"]
        lines.append(f"| {name} | {r['kind']} | {seen}/{len(bl)} | {fr[0]}/{fr[1]} | "
                     f"{eo:.2f} → {ec:.2f} | {off:.3f}{note} |")
    lines.append(f"\nSeen: both eyes' closed EAR <= {limits['ear_closed']:.3f} and closed/open "
                 f"<= {limits['ratio']:.3f}, the {PERCENTILE}th percentiles over "
                 f"{limits['blinks']} real GRID s1 blinks labelled by eye (medians "
                 f"{limits['ear_closed_median']:.3f} and {limits['ratio_median']:.3f}). "
                 f"Shut lids read shut: at {args.frames} frames spread over the voice, the "
                 "frame rendered with the lids open and with them shut, mouth and head as "
                 "they are, read by the same thresholds.")
    report = "\n".join(lines) + "\n"
    (args.out / "report.md").write_text(report)
    if sheets:
        cv2.imwrite(str(args.out / "closed.png"),
                    cv2.cvtColor(np.concatenate(sheets, 0), cv2.COLOR_RGB2BGR))
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
