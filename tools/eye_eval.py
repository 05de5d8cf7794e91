"""Does a rendered shut eye look like a real one? Every blink labelled by eye.

For each blink in ``tests/fixtures/blink_labels.json`` (GRID s1, the training
speaker, and s4hq, a validation speaker), the portrait is the video frame three
frames before the blink (eyes open) at a long edge of 1024 px, and Talkie closes
its lids (closure 1, nothing else moving: the renderer alone, not the blink
model). The rendered eyes are compared with the real frame in the middle of the
blink, on patches of both eyes levelled on the eye line and scaled by the
inter-ocular distance (:func:`engine.render_eval.eye_patch`):

- SSIM of rendered and real, and of the still (open) portrait and real; the
  gain is their difference;
- the darkest 2 % of the patch (mean grey level, 0..255), rendered and real:
  the lash line's weight (a shut real eye shows a soft line of lashes, a
  heavy painted one is darker).

The s1 figures may tune the renderer's lid constants
(``engine/render/painted_lids.py``); the s4hq ones are the validation.

Run: ``python tools/eye_eval.py [--sets s1 s4hq] [--out out/eye_eval]``
(about a minute). Writes ``report.md`` and ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("eye_eval")

DATA = ROOT.parent / "shared" / "data" / "grid"
LABELS = ROOT / "tests" / "fixtures" / "blink_labels.json"
SIZE = 1024
#: The open frame is this many frames before the blink's first labelled frame.
BEFORE = 3
#: Share of the patch's darkest pixels that measure the lash line.
DARKEST = 2.0


def blinks(sets: list[str]) -> list[tuple[str, str, int, int]]:
    """``(speaker, clip, open frame, shut frame)`` of every unambiguous labelled blink."""
    labels = json.loads(LABELS.read_text())["clips"]
    out = []
    for key, spans in sorted(labels.items()):
        sp, clip = key.split("/") if "/" in key else ("s1", key)  # keys: s1 clip or speaker/clip
        if sp not in sets:
            continue
        for span in spans:
            if len(span) > 2 or span[0] < BEFORE:  # ambiguous ('h'), or too early
                continue
            out.append((sp, clip, span[0] - BEFORE, (span[0] + span[1]) // 2))
    return out


def darkest(patch: np.ndarray) -> float:
    """Mean grey level (0..255) of the darkest :data:`DARKEST` % of a patch."""
    v = np.sort(patch.ravel())
    return float(v[: max(1, int(len(v) * DARKEST / 100))].mean())


def measure(speaker: str, clip: str, open_i: int, shut_i: int) -> dict:
    from engine.face import detect_faces
    from engine.media.video import iter_frames
    from engine.motion.track import MotionTrack
    from engine.render import PortraitRig, render_frame
    from engine.render_eval import eye_patch, ssim

    frames = list(iter_frames(DATA / speaker / "video" / f"{clip}.mp4"))
    h, w = frames[0].shape[:2]
    f = SIZE / max(h, w)
    size = (round(w * f), round(h * f))
    still = cv2.resize(frames[open_i], size, interpolation=cv2.INTER_CUBIC)
    real = cv2.resize(frames[shut_i], size, interpolation=cv2.INTER_CUBIC)
    faces = detect_faces(still)
    if not faces:
        raise RuntimeError(f"{clip}: no face in frame {open_i}")
    lm = np.asarray(faces[0].landmarks, np.float32)
    real_faces = detect_faces(real)
    real_lm = np.asarray(real_faces[0].landmarks, np.float32) if real_faces else lm
    rig = PortraitRig.build(still, None, lm)
    track = MotionTrack(25.0, np.zeros((1, 468, 3), np.float32), np.ones((1, 1), np.float32),
                        np.zeros((1, 6), np.float32), np.ones((1, 2), np.float32),
                        np.zeros(1, np.float32))
    img = render_frame(rig, track, 0)
    p_real = eye_patch(real, real_lm)
    p_ren = eye_patch(img, lm)
    p_still = eye_patch(still, lm)
    s_ren, s_still = ssim(p_ren, p_real), ssim(p_still, p_real)
    return {"speaker": speaker, "clip": clip, "open": open_i, "shut": shut_i,
            "ssim": round(s_ren, 4), "ssim_still": round(s_still, 4),
            "gain": round(s_ren - s_still, 4),
            "dark": round(darkest(p_ren), 1), "dark_real": round(darkest(p_real), 1),
            "patches": (p_still, p_ren, p_real)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["s1", "s4hq"])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "eye_eval")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("engine").setLevel(logging.WARNING)
    rows = [measure(*b) for b in blinks(args.sets)]
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = [np.concatenate(r.pop("patches"), 1) for r in rows]
    cv2.imwrite(str(args.out / "patches.png"), np.concatenate(sheet, 0))
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    lines = ["| speaker | blinks | SSIM rendered / still (median) | gain: median, > 0 | "
             "darkest 2 %: rendered / real (median) |", "|---|---|---|---|---|"]
    for sp in args.sets:
        rs = [r for r in rows if r["speaker"] == sp]
        if not rs:
            continue
        g = np.array([r["gain"] for r in rs])
        lines.append(
            f"| {sp} | {len(rs)} | {np.median([r['ssim'] for r in rs]):.3f} / "
            f"{np.median([r['ssim_still'] for r in rs]):.3f} | {np.median(g):+.3f}, "
            f"{int((g > 0).sum())}/{len(g)} | {np.median([r['dark'] for r in rs]):.0f} / "
            f"{np.median([r['dark_real'] for r in rs]):.0f} |")
    report = "\n".join(lines) + "\n"
    (args.out / "report.md").write_text(report)
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
