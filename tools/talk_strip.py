"""Render real talking videos from one of their own frames and put the render beside them.

For each clip given (a validation speaker's video and audio under ../shared/data), the
portrait is the clip's first frame or the frame where its real mouth is widest; Talkie
animates it with the clip's own voice through the public engine API (face detection,
phones, the shipped model, the renderer), and the strip shows, for a few frames spread
over the speech, the real frame above the rendered one, cropped around the face.

    python tools/talk_strip.py OUT.png crema-d/1001/1001_DFA_ANG_XX grid/s4hq/bbaf2a \\
        [--portrait first|widest] [--frames 6] [--size 200] [--mp4 OUT_DIR] [--mouth 3]

``--mp4`` also writes each render (full length, with sound) beside the real video, for
watching them side by side.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"

import engine  # noqa: E402


def clip_paths(spec: str) -> tuple[Path, Path]:
    """``root/speaker/stem`` -> (video, audio) under ../shared/data."""
    root, speaker, stem = spec.split("/")
    base = SHARED / root / speaker
    return base / "video" / f"{stem}.mp4", base / "audio" / f"{stem}.flac"


def real_frames(video: Path) -> list[np.ndarray]:
    from engine.media.video import iter_frames

    return list(iter_frames(video))


def widest_frame(frames: list[np.ndarray]) -> int:
    """The frame whose detected inner lips are furthest apart (relative to the eyes)."""
    from engine.face import detect_faces
    from engine.model.landmarks import iod, mouth_opening

    best, best_v = 0, -1.0
    for i, f in enumerate(frames):
        faces = detect_faces(f)
        if faces:
            lm = np.asarray(faces[0].landmarks, np.float64)
            v = float(mouth_opening(lm[None])[0]) / max(iod(lm), 1e-6)
            if v > best_v:
                best, best_v = i, v
    return best


def crop_box(anim: engine.Animation, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = anim.portrait.faces[anim.portrait.face_index].box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0), 0.75 * max(x1 - x0, y1 - y0)
    h, w = shape[:2]
    return (int(max(0, cx - half)), int(max(0, cy - half)), int(min(w, cx + half)),
            int(min(h, cy + half)))


def tile(img: np.ndarray, box: tuple[int, int, int, int], size: int, label: str) -> np.ndarray:
    x0, y0, x1, y1 = box
    t = cv2.resize(np.ascontiguousarray(img[y0:y1, x0:x1, :3]), (size, size),
                   interpolation=cv2.INTER_AREA if x1 - x0 > size else cv2.INTER_CUBIC)
    cv2.putText(t, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                cv2.LINE_AA)
    return t


def strip_for(spec: str, choice: str, n: int, size: int, mp4_dir: Path | None,
              mouth: float = 1.0) -> np.ndarray:
    video, audio_path = clip_paths(spec)
    frames = real_frames(video)
    j = 0 if choice == "first" else widest_frame(frames)
    with tempfile.TemporaryDirectory() as tmp:
        # the still stays on disk while the strip is made: an export records its hash
        still = Path(tmp) / "portrait.png"
        cv2.imwrite(str(still), cv2.cvtColor(frames[j], cv2.COLOR_RGB2BGR))
        portrait = engine.analyse_portrait(engine.load_image(still))
        return _strip(spec, choice, n, size, mp4_dir, mouth, frames, j, portrait)


def _strip(spec: str, choice: str, n: int, size: int, mp4_dir: Path | None, mouth: float,
           frames: list[np.ndarray], j: int, portrait: engine.PortraitAnalysis) -> np.ndarray:
    video, audio_path = clip_paths(spec)
    audio = engine.analyse_audio(engine.load_audio(audio_path))
    from engine.media.video import picture_delay, video_info

    fps = video_info(video)[2]
    delay = picture_delay(video, audio_path)  # the real frame k shows the sound at delay + k / fps
    settings = engine.Settings(fps=min(engine.FPS_CHOICES, key=lambda f: abs(f - fps)),
                               mouth_intensity=mouth)
    anim = engine.Animation(portrait, audio, settings)
    if mp4_dir is not None:
        mp4_dir.mkdir(parents=True, exist_ok=True)
        tag = f"_mouth{mouth:g}" if mouth != 1.0 else ""
        engine.export(anim, mp4_dir / f"{Path(spec).name}_{choice}{tag}.mp4")
    speech = [p for p in audio.phones if p.label != "sil"]
    t0, t1 = speech[0].start, speech[-1].end
    times = [0.0] + [float(t) for t in np.linspace(t0, t1, n - 1)]  # rest, then speech
    box = crop_box(anim, frames[0].shape)
    top, bottom = [], []
    for t in times:
        k = min(max(int((t - delay) * fps), 0), len(frames) - 1)
        top.append(tile(frames[k], box, size, f"real {t:.2f} s"))
        bottom.append(tile(anim.render_frame(t), box, size, f"Talkie {t:.2f} s"))
    head = np.zeros((22, size * len(times), 3), np.uint8)
    label = f"{spec}: portrait = {choice} frame ({j}); {anim.motion_source}; Mouth {mouth:g}"
    cv2.putText(head, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)
    return np.vstack([head, np.hstack(top), np.hstack(bottom)])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("clips", nargs="+", help="root/speaker/stem under ../shared/data")
    ap.add_argument("--portrait", choices=("first", "widest"), action="append")
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--mp4", type=Path, default=None)
    ap.add_argument("--mouth", type=float, action="append",
                    help="the Mouth direction (repeatable: one row each; default 1)")
    args = ap.parse_args()
    rows = []
    for spec in args.clips:
        for choice in args.portrait or ["first"]:
            for mouth in args.mouth or [1.0]:
                rows.append(strip_for(spec, choice, args.frames, args.size, args.mp4, mouth))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
