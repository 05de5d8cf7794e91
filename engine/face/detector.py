"""BlazeFace face detection (MediaPipe's short-range model) with onnxruntime.

This follows MediaPipe's ``face_detection_short_range`` graph so that the
landmarks downstream agree with MediaPipe's own FaceMesh:

1. the image (or a square region of it) is letterboxed to 128x128 with a
   bilinear warp, black padding, values in [-1, 1];
2. the 896 SSD anchors are decoded in numpy: box centre/size and six
   keypoints per anchor, score = sigmoid(logit clipped to +-100);
3. detections scoring >= 0.5 are merged with weighted non-maximum
   suppression (IoU > 0.3).

Keypoints, in order: subject's right eye, left eye, nose tip, mouth centre,
right ear tragion, left ear tragion.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.face import runtime
from engine.paths import asset

log = logging.getLogger(__name__)

INPUT_SIZE = 128
MIN_SCORE = 0.5
NMS_IOU = 0.3
#: Regions more than this many times the detector input are first shrunk by an
#: integer factor with area averaging, so that the bilinear warp does not alias.
MAX_WARP_FACTOR = 6.0


@dataclass(frozen=True, eq=False)
class Detection:
    """One detected face.

    Attributes:
        box: ``(4,) float32`` x0, y0, x1, y1 in image pixels (BlazeFace's box:
            brows to mouth, roughly).
        keypoints: ``(6, 2) float32`` x, y in image pixels.
        score: confidence in [0, 1].
    """

    box: np.ndarray
    keypoints: np.ndarray
    score: float


def ssd_anchors(
    input_size: int = INPUT_SIZE,
    strides: tuple[int, ...] = (8, 16, 16, 16),
    interpolated_scale: bool = True,
) -> np.ndarray:
    """BlazeFace's SSD anchor centres, ``(N, 2) float32`` in [0, 1] (x, y).

    The layout of MediaPipe's ``SsdAnchorsCalculator`` with fixed anchor
    size and one aspect ratio: consecutive layers with the same stride share
    a grid; each layer adds one anchor per cell, two with the interpolated
    scale. Short range gives 16*16*2 + 8*8*6 = 896 anchors.
    """
    per_layer = 2 if interpolated_scale else 1
    out = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        n = (j - i) * per_layer
        size = math.ceil(input_size / strides[i])
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        centres = np.stack([(xs + 0.5) / size, (ys + 0.5) / size], axis=-1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, n, axis=1).reshape(-1, 2))
        i = j
    return np.concatenate(out).astype(np.float32)


_ANCHORS = ssd_anchors()


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``(4,)`` box with ``(N, 4)`` boxes (x0, y0, x1, y1)."""
    ix0 = np.maximum(box[0], boxes[:, 0])
    iy0 = np.maximum(box[1], boxes[:, 1])
    ix1 = np.minimum(box[2], boxes[:, 2])
    iy1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU
) -> list[Detection]:
    """MediaPipe's weighted non-maximum suppression.

    The best remaining detection absorbs every detection overlapping it by
    IoU > ``iou`` (itself included); the merged box and keypoints are their
    score-weighted means and its score is the best one's.

    Args:
        boxes: ``(N, 4)`` x0, y0, x1, y1.
        keypoints: ``(N, K, 2)``.
        scores: ``(N,)``.
    """
    order = np.argsort(-scores, kind="stable")
    out: list[Detection] = []
    while order.size:
        best = order[0]
        overlap = _iou(boxes[best], boxes[order]) > iou
        overlap[0] = True
        group = order[overlap]
        w = scores[group].astype(np.float64)
        box = (boxes[group] * w[:, None]).sum(0) / w.sum()
        kps = (keypoints[group] * w[:, None, None]).sum(0) / w.sum()
        out.append(Detection(box.astype(np.float32), kps.astype(np.float32), float(scores[best])))
        order = order[~overlap]
    return out


def square_warp(
    rgb: np.ndarray,
    centre: tuple[float, float],
    side: float,
    angle: float,
    out_size: int,
    border: int,
) -> np.ndarray:
    """Crop a rotated square of ``rgb`` into an ``(out_size, out_size, 3) uint8`` image.

    Mirrors MediaPipe's CPU ``ImageToTensorCalculator``: the square's corners
    (OpenCV ``boxPoints``, pixel centres at integer coordinates) map onto the
    output's corners, with a bilinear ``warpPerspective``.

    Args:
        rgb: ``(H, W, 3) uint8``.
        centre: square centre (x, y) in pixels.
        side: side in pixels.
        angle: rotation in radians, clockwise on screen.
        out_size: output side in pixels.
        border: ``cv2.BORDER_CONSTANT`` (black) or ``cv2.BORDER_REPLICATE``.
    """
    src = cv2.boxPoints((centre, (side, side), math.degrees(angle))).astype(np.float32)
    s = float(out_size)
    dst = np.array([[0.0, s], [0.0, 0.0], [s, 0.0], [s, s]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(
        rgb, m, (out_size, out_size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0
    )


def shrink_region(
    rgb: np.ndarray, cx: float, cy: float, half: float, n: int
) -> tuple[np.ndarray, int, int]:
    """Crop the square ``cx +- half``, ``cy +- half`` (clipped) and shrink it n-fold.

    Area averaging with an integer factor (OpenCV's fast path): pixel ``(i, j)``
    of the result averages ``rgb[y0 + n*j : y0 + n*(j+1), x0 + n*i : ...]``, so a
    point ``x`` of ``rgb`` is at ``(x - x0 + 0.5) / n - 0.5`` in the result.

    Returns:
        ``(small, x0, y0)``: the shrunk ``uint8`` crop and the crop's origin in ``rgb``.
    """
    h, w = rgb.shape[:2]
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(w, int(math.ceil(cx + half)) + 1), min(h, int(math.ceil(cy + half)) + 1)
    part = rgb[y0:y1, x0:x1]
    small = cv2.resize(part, None, fx=1.0 / n, fy=1.0 / n, interpolation=cv2.INTER_AREA)
    return small, x0, y0


class FaceDetector:
    """BlazeFace short range. The session is shared and thread-safe.

    Args:
        model: path of ``face_detection_short_range.onnx`` (default: the
            shipped one).
    """

    def __init__(self, model: Path | None = None) -> None:
        self.model = Path(model) if model else asset("models", "face_detection_short_range.onnx")

    def detect(
        self,
        rgb: np.ndarray,
        region: tuple[float, float, float] | None = None,
        min_score: float = MIN_SCORE,
    ) -> list[Detection]:
        """Detect faces in ``rgb`` or in a square region of it.

        Args:
            rgb: ``(H, W, 3) uint8`` RGB.
            region: ``(cx, cy, side)`` pixels of a square to search; default
                the whole image, letterboxed (centred, padded to a square).
            min_score: detection threshold.

        Returns:
            Detections in image pixels, best score first (not yet size-sorted).
        """
        sess = runtime.session(self.model)
        h, w = rgb.shape[:2]
        if region is None:
            region = (w / 2.0, h / 2.0, float(max(w, h)))
        cx, cy, side = region
        src, x_off, y_off, n = rgb, 0, 0, 1
        if side / INPUT_SIZE > MAX_WARP_FACTOR:
            # Large region: crop it and shrink it n-fold with area averaging
            # first, so that the bilinear warp below does not alias.
            n = int(side / INPUT_SIZE / 2)
            src, x_off, y_off = shrink_region(rgb, cx, cy, side / 2, n)
        # Region in the pixels of ``src`` (pixel centres at integers).
        lcx, lcy = (cx - x_off + 0.5) / n - 0.5, (cy - y_off + 0.5) / n - 0.5
        lside = side / n
        tile = square_warp(src, (lcx, lcy), lside, 0.0, INPUT_SIZE, cv2.BORDER_CONSTANT)
        x = tile.astype(np.float32)[None] * (2.0 / 255.0) - 1.0
        raw, logits = sess.run(None, {sess.get_inputs()[0].name: x})
        raw = raw.reshape(-1, 16)
        scores = 1.0 / (
            1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0))
        )
        keep = np.flatnonzero(scores >= min_score)
        if keep.size == 0:
            return []
        raw, scores, anchors = raw[keep], scores[keep], _ANCHORS[keep]
        # Decode into [0, 1] tensor coordinates, then into (possibly shrunk) pixels.
        centre = raw[:, 0:2] / INPUT_SIZE + anchors
        size = raw[:, 2:4] / INPUT_SIZE
        boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
        kps = raw[:, 4:16].reshape(-1, 6, 2) / INPUT_SIZE + anchors[:, None, :]
        x0, y0 = lcx - lside / 2.0, lcy - lside / 2.0
        shift = (n - 1) / 2.0
        boxes = (boxes * lside + np.array([x0, y0, x0, y0])) * n + shift
        boxes += np.array([x_off, y_off] * 2)
        kps = (kps * lside + np.array([x0, y0])) * n + shift + np.array([x_off, y_off])
        dets = weighted_nms(boxes, kps, scores)
        log.debug("detector: %d candidates -> %d faces", keep.size, len(dets))
        return dets
