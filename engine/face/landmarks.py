"""468 face landmarks (MediaPipe's face-mesh model) with onnxruntime.

As in MediaPipe's FaceMesh: the detector's box is turned into a square
region of interest 1.5 times its long side, rotated so that the line
between the eyes (detector keypoints 0 and 1) is level; that square is
warped from the full-resolution image to 192x192 (values in [0, 1], edge
pixels replicated), the model predicts 468 points in that crop, and they are
rotated and scaled back into image pixels. z is scaled like x.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.face import runtime
from engine.face.detector import Detection, shrink_region, square_warp
from engine.paths import asset

log = logging.getLogger(__name__)

INPUT_SIZE = 192
ROI_SCALE = 1.5
#: Below this face-presence probability the crop is taken to hold no face.
MIN_PRESENCE = 0.5
#: A region more than this many times the model input is first shrunk by an
#: integer factor with area averaging, so that the bilinear warp does not alias.
MAX_WARP_FACTOR = 4.0


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels: centre, side, angle (radians, clockwise on screen)."""

    cx: float
    cy: float
    side: float
    angle: float


def roi_from_detection(det: Detection) -> Roi:
    """MediaPipe's detection-to-ROI rule for the face mesh (square 1.5x, eyes level)."""
    x0, y0, x1, y1 = (float(v) for v in det.box)
    (rx, ry), (lx, ly) = det.keypoints[0], det.keypoints[1]
    angle = -math.atan2(-(float(ly) - float(ry)), float(lx) - float(rx))
    angle = (angle + math.pi) % (2 * math.pi) - math.pi
    side = max(x1 - x0, y1 - y0) * ROI_SCALE
    return Roi((x0 + x1) / 2.0, (y0 + y1) / 2.0, side, angle)


class LandmarkModel:
    """The face-mesh model. The session is shared and thread-safe.

    Args:
        model: path of ``face_landmark.onnx`` (default: the shipped one).
    """

    def __init__(self, model: Path | None = None) -> None:
        self.model = Path(model) if model else asset("models", "face_landmark.onnx")

    def crop(self, rgb: np.ndarray, roi: Roi) -> np.ndarray:
        """The model's input for ``roi``: ``(192, 192, 3) uint8``."""
        factor = roi.side / INPUT_SIZE
        if factor <= MAX_WARP_FACTOR:
            return square_warp(
                rgb, (roi.cx, roi.cy), roi.side, roi.angle, INPUT_SIZE, cv2.BORDER_REPLICATE
            )
        # A huge face: shrink the region's bounding box n-fold with area averaging first.
        n = int(factor / 2)
        half = roi.side * 0.75  # > side * sqrt(2) / 2: holds the rotated square
        small, x0, y0 = shrink_region(rgb, roi.cx, roi.cy, half, n)
        centre = ((roi.cx - x0 + 0.5) / n - 0.5, (roi.cy - y0 + 0.5) / n - 0.5)
        return square_warp(small, centre, roi.side / n, roi.angle, INPUT_SIZE, cv2.BORDER_REPLICATE)

    def predict(self, rgb: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """Landmarks of the face in ``roi``.

        Args:
            rgb: ``(H, W, 3) uint8`` RGB at full resolution.
            roi: the region, in pixels of ``rgb``.

        Returns:
            ``(landmarks, presence)``: ``(468, 3) float32`` x/y in pixels of
            ``rgb``, z in the same scale (negative towards the camera), and
            the face-presence probability in [0, 1].
        """
        sess = runtime.session(self.model)
        x = self.crop(rgb, roi).astype(np.float32)[None] * (1.0 / 255.0)
        raw, logit = sess.run(None, {sess.get_inputs()[0].name: x})
        presence = float(1.0 / (1.0 + np.exp(-float(np.clip(logit.reshape(-1)[0], -100, 100)))))
        pts = raw.reshape(468, 3).astype(np.float64) / INPUT_SIZE
        u, v = pts[:, 0] - 0.5, pts[:, 1] - 0.5
        c, s = math.cos(roi.angle), math.sin(roi.angle)
        out = np.empty((468, 3), dtype=np.float32)
        out[:, 0] = (c * u - s * v) * roi.side + roi.cx
        out[:, 1] = (s * u + c * v) * roi.side + roi.cy
        out[:, 2] = pts[:, 2] * roi.side
        return out, presence
