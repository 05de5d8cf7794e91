"""Colour constants shared by the renderer."""

from __future__ import annotations

import numpy as np

#: Luma weights of R, G and B (ITU-R BT.601), for brightness comparisons in the portrait.
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
LUMA.setflags(write=False)


def saturation(rgb: np.ndarray) -> float:
    """(max - min) / max of a colour ``(3,)``: 0 for grey, 1 for a pure hue."""
    return float(saturations(np.asarray(rgb, np.float64)))


def saturations(rgb: np.ndarray) -> np.ndarray:
    """:func:`saturation` of each colour of ``(..., 3)``: ``(...)``, float32 at least."""
    rgb = np.asarray(rgb, np.result_type(rgb, np.float32))
    top = rgb.max(axis=-1)
    return (top - rgb.min(axis=-1)) / np.maximum(top, 1.0)
