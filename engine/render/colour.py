"""Colour constants shared by the renderer."""

from __future__ import annotations

import numpy as np

#: Luma weights of R, G and B (ITU-R BT.601), for brightness comparisons in the portrait.
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
LUMA.setflags(write=False)
