"""Colour constants shared by the renderer."""

from __future__ import annotations

import numpy as np

#: Luma weights of R, G and B (ITU-R BT.601), for brightness comparisons in the portrait.
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
LUMA.setflags(write=False)


def saturation(rgb: np.ndarray) -> float:
    """(max - min) / max of a colour ``(3,)``: 0 for grey, 1 for a pure hue."""
    top = float(np.max(rgb))
    return (top - float(np.min(rgb))) / max(top, 1.0)
