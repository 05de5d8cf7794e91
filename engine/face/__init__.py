"""Face analysis: find every face in a picture and its 468 landmarks.

Runs MediaPipe's face detector and face-mesh models (converted to ONNX,
``assets/models``) with onnxruntime, following MediaPipe's FaceMesh so that
the landmarks agree with it (within about a pixel).

>>> faces = detect_faces(rgb)          # (H, W, 3) uint8 RGB
>>> faces[0].landmarks.shape           # largest face first
(468, 3)

Submodules: :mod:`engine.face.mesh` (canonical shape, triangles, landmark
groups) and :mod:`engine.face.align` (pose removal).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.errors import ImageError
from engine.face.detector import INPUT_SIZE as DETECTOR_INPUT
from engine.face.detector import Detection, FaceDetector, weighted_nms
from engine.face.landmarks import MIN_PRESENCE, LandmarkModel, roi_from_detection

log = logging.getLogger(__name__)

#: Smallest face, in pixels (the shorter side of its landmark box), that is
#: worth animating. Smaller faces are still returned by :func:`detect_faces`.
MIN_FACE_SIZE = 64

#: A second, zoomed-in search runs when the whole picture shows no face and
#: its long side is at least this many pixels.
ZOOM_SEARCH_MIN_SIDE = 480
#: Smallest tile of the zoomed search, in pixels.
ZOOM_MIN_TILE = 320
#: Tile stride as a fraction of the tile side.
ZOOM_STEP = 0.6
#: Two faces whose landmark boxes overlap more than this (IoU) are one face.
DUPLICATE_IOU = 0.5


@dataclass(frozen=True, eq=False)
class Face:
    """One face found in an image.

    Attributes:
        box: ``(4,) float32`` x0, y0, x1, y1 in pixels: the bounding box of
            the 468 landmarks (forehead to chin, ear to ear).
        score: detection confidence in [0, 1].
        landmarks: ``(468, 3) float32``: x, y in pixels of the image, z in
            the same scale, negative towards the camera (MediaPipe's face
            mesh numbering and convention).
    """

    box: np.ndarray
    score: float
    landmarks: np.ndarray

    @property
    def size(self) -> float:
        """The shorter side of :attr:`box`, in pixels."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))


class FaceAnalyzer:
    """Detector plus landmark model; thread-safe, sessions are shared.

    Args:
        detector_model: path of the detector ``.onnx`` (default: shipped).
        landmark_model: path of the face-mesh ``.onnx`` (default: shipped).
    """

    def __init__(self, detector_model: Path | None = None, landmark_model: Path | None = None):
        self.detector = FaceDetector(detector_model)
        self.landmarks = LandmarkModel(landmark_model)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """All faces in ``rgb``, largest first; ``[]`` when there is none.

        Args:
            rgb: ``(H, W, 3) uint8`` RGB (any size; large images are searched on
                a shrunk copy, and landmarks are read at full resolution).

        Raises:
            ImageError: ``rgb`` is not an ``(H, W, 3) uint8`` image.
            ModelError: a model file is missing or damaged.
        """
        rgb = _check_image(rgb)
        faces = self._faces(rgb, self.detector.detect(rgb))
        if not faces and max(rgb.shape[:2]) >= ZOOM_SEARCH_MIN_SIDE:
            for tile in _zoom_tiles(*rgb.shape[:2]):
                faces = self._faces(rgb, self._detect_tiles(rgb, tile))
                if faces:
                    break
        faces = _drop_duplicates(faces)
        faces.sort(key=lambda f: -float((f.box[2] - f.box[0]) * (f.box[3] - f.box[1])))
        log.debug("found %d face(s) in a %dx%d image", len(faces), rgb.shape[1], rgb.shape[0])
        return faces

    def _faces(self, rgb: np.ndarray, dets: list[Detection]) -> list[Face]:
        """Landmarks for each detection; detections the face-mesh model rejects are dropped."""
        faces: list[Face] = []
        for det in dets:
            pts, presence = self.landmarks.predict(rgb, roi_from_detection(det))
            if presence < MIN_PRESENCE:
                log.debug(
                    "dropped a detection (score %.2f): face presence %.2f", det.score, presence
                )
                continue
            box = np.array(
                [pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()],
                dtype=np.float32,
            )
            faces.append(Face(box, float(det.score), pts))
        return faces

    def _detect_tiles(self, rgb: np.ndarray, tile: float) -> list[Detection]:
        """Detect in overlapping square tiles of side ``tile`` pixels.

        The image is shrunk once (area averaging) so that a tile is twice the
        detector's input, then each tile is letterboxed as usual.
        """
        h, w = rgb.shape[:2]
        k = min(1.0, 2.0 * DETECTOR_INPUT / tile)
        small = rgb if k >= 1.0 else cv2.resize(rgb, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        side = tile * k
        step = side * ZOOM_STEP
        sh, sw = small.shape[:2]
        ys, xs = _tile_centres(sh, side, step), _tile_centres(sw, side, step)
        found = [d for cy in ys for cx in xs for d in self.detector.detect(small, (cx, cy, side))]
        log.debug("zoomed search, %.0f px tiles (%d): %d hits", tile, len(xs) * len(ys), len(found))
        if not found:
            return []
        boxes = np.stack([d.box for d in found]) / k
        kps = np.stack([d.keypoints for d in found]) / k
        scores = np.array([d.score for d in found], dtype=np.float32)
        return weighted_nms(boxes, kps, scores)


def _zoom_tiles(h: int, w: int) -> list[float]:
    """Tile sides of the zoomed search, coarse to fine (pixels).

    From 40% of the long side, dividing by 2.5, down to :data:`ZOOM_MIN_TILE`
    or an eighth of the long side, whichever is larger, so that a stage has
    at most about 200 tiles (a final step is added only when it zooms in by
    at least 1.6x).
    """
    smallest = max(float(ZOOM_MIN_TILE), max(h, w) / 8.0)
    sides: list[float] = []
    side = 0.4 * max(h, w)
    while side >= smallest:
        sides.append(side)
        side /= 2.5
    if not sides or sides[-1] >= 1.6 * smallest:
        sides.append(smallest)
    return sides


def _tile_centres(length: int, side: float, step: float) -> list[float]:
    if length <= side:
        return [length / 2.0]
    n = int(np.ceil((length - side) / step)) + 1
    return [float(c) for c in np.linspace(side / 2.0, length - side / 2.0, n)]


def _check_image(rgb: np.ndarray) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ImageError(
            f"The picture could not be analysed: expected an RGB image, got an array of "
            f"shape {arr.shape} and type {arr.dtype}."
        )
    if min(arr.shape[:2]) < 2:
        raise ImageError(
            f"The picture is too small ({arr.shape[1]}x{arr.shape[0]} pixels) to hold a face."
        )
    return np.ascontiguousarray(arr)


def _drop_duplicates(faces: list[Face]) -> list[Face]:
    faces = sorted(faces, key=lambda f: -f.score)
    kept: list[Face] = []
    for f in faces:
        if all(_box_iou(f.box, k.box) <= DUPLICATE_IOU for k in kept):
            kept.append(f)
    return kept


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    ih = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    inter = iw * ih
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


_default: FaceAnalyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> FaceAnalyzer:
    """The shared analyzer using the shipped models."""
    global _default
    with _default_lock:
        if _default is None:
            _default = FaceAnalyzer()
        return _default


def detect_faces(rgb: np.ndarray) -> list[Face]:
    """All faces in an image, largest first; ``[]`` when there is none.

    Args:
        rgb: ``(H, W, 3) uint8`` RGB.

    Returns:
        :class:`Face` objects (box, score, ``(468, 3)`` landmarks in pixels).

    Raises:
        ImageError: ``rgb`` is not an ``(H, W, 3) uint8`` image.
        ModelError: a model file is missing or damaged.
    """
    return default_analyzer().detect(rgb)


__all__ = ["MIN_FACE_SIZE", "Face", "FaceAnalyzer", "default_analyzer", "detect_faces"]
