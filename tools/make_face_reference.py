"""Make the face-landmark reference fixture with MediaPipe's own FaceMesh.

Run once, in the throwaway venv that has ``mediapipe==0.10.21`` (plus
``av`` and ``scikit-image``, the same versions as the app's venv so that
frames decode identically)::

    /work/convenv/bin/python tools/make_face_reference.py

It runs the legacy ``mediapipe.solutions.face_mesh`` API
(``static_image_mode=True``, ``refine_landmarks=False``) on 12 frames of
``../shared/data/grid/s1``, 10 frames of ``../shared/data/grid/s4hq`` and
scikit-image's astronaut, and writes ``tests/fixtures/face_reference.npz``:

- ``ids (N,) str``: ``"s1/<clip>.mp4#<frame>"``, ``"s4hq/<clip>.mp4#<frame>"``
  or ``"astronaut"``; frames are counted from 0 in decode order;
- ``landmarks (N, 468, 3) float32``: MediaPipe's landmarks in pixels of that
  frame (x, y; z scaled by the image width, as MediaPipe does);
- ``shapes (N, 3) int32``: the frame's (H, W, 3);
- ``checksums (N,) str``: md5 of the decoded RGB frame, so a test can tell
  a decoder change from a landmark change.

The images are not stored: the test decodes the same frames again. It also
saves the astronaut as ``assets/samples/astronaut.png``.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import av
import mediapipe as mp
import numpy as np
from PIL import Image
from skimage import data

log = logging.getLogger("make_face_reference")

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT.parent / "shared" / "data" / "grid"
OUT = ROOT / "tests" / "fixtures" / "face_reference.npz"
SAMPLE = ROOT / "assets" / "samples" / "astronaut.png"
FRAMES = {"s1": 12, "s4hq": 10}


def read_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based, decode order) of a video as (H, W, 3) uint8 RGB."""
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    raise IndexError(f"{path} has no frame {index}")


def pick_frames() -> list[tuple[str, Path, int]]:
    """Evenly spaced clips; the frame index cycles so that the mouth shapes vary."""
    picks = []
    for speaker, count in FRAMES.items():
        clips = sorted((GRID / speaker / "video").glob("*.mp4"))
        step = len(clips) / count
        for k in range(count):
            clip = clips[int(k * step)]
            index = 8 + (k * 11) % 60
            picks.append((f"{speaker}/{clip.name}#{index}", clip, index))
    return picks


def landmarks_px(mesh: mp.solutions.face_mesh.FaceMesh, rgb: np.ndarray) -> np.ndarray | None:
    result = mesh.process(rgb)
    if not result.multi_face_landmarks:
        return None
    h, w = rgb.shape[:2]
    faces = []
    for face in result.multi_face_landmarks:
        pts = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float64)
        faces.append(pts * np.array([w, h, w]))
    # Largest face first (by landmark bounding-box area), as engine.face does.
    faces.sort(key=lambda p: -np.ptp(p[:, 0]) * np.ptp(p[:, 1]))
    return faces[0].astype(np.float32)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if mp.__version__ != "0.10.21":
        log.warning("mediapipe %s: the reference should come from 0.10.21", mp.__version__)
    items: list[tuple[str, np.ndarray]] = [
        (fid, read_frame(clip, idx)) for fid, clip, idx in pick_frames()
    ]
    astronaut = data.astronaut()
    items.append(("astronaut", astronaut))

    ids, lms, shapes, sums = [], [], [], []
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True,
        max_num_faces=4,
        refine_landmarks=False,
        min_detection_confidence=0.5,
    ) as mesh:
        for fid, rgb in items:
            pts = landmarks_px(mesh, rgb)
            if pts is None:
                log.warning("%s: MediaPipe found no face; skipped", fid)
                continue
            ids.append(fid)
            lms.append(pts)
            shapes.append(rgb.shape)
            sums.append(hashlib.md5(rgb.tobytes()).hexdigest())
            log.info(
                "%s: %dx%d, face width %.0f px", fid, rgb.shape[1], rgb.shape[0], np.ptp(pts[:, 0])
            )

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        ids=np.array(ids),
        landmarks=np.stack(lms).astype(np.float32),
        shapes=np.array(shapes, dtype=np.int32),
        checksums=np.array(sums),
    )
    log.info("wrote %s: %d images", OUT, len(ids))
    SAMPLE.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(astronaut).save(SAMPLE, optimize=True)
    log.info("wrote %s", SAMPLE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
