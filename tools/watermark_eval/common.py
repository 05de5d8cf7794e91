"""Settings shared by every stage of the watermark evaluation."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
GRID = ROOT.parent / "shared" / "data" / "grid"
FPS = 25
ATTACKS = ("none", "crf28", "scale50", "crop10", "fps15", "combo")

Frame = NDArray[np.uint8]

# One logger name for every module, so the log reads as it did from one script.
log = logging.getLogger("eval_watermark")
