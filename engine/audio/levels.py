"""Whole-track level figures for reports."""

from __future__ import annotations

import numpy as np


def _dbfs(x: float) -> float:
    return float(20.0 * np.log10(max(x, 1e-10)))


def loudness_summary(samples: np.ndarray) -> dict[str, float]:
    """RMS and peak level of ``(N,) float32`` samples, in dBFS (0 dB = full scale).

    Returns:
        ``{"rms_dbfs": ..., "peak_dbfs": ...}``; silence gives -200 dB.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return {"rms_dbfs": -200.0, "peak_dbfs": -200.0}
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    peak = float(np.max(np.abs(x)))
    return {"rms_dbfs": round(_dbfs(rms), 2), "peak_dbfs": round(_dbfs(peak), 2)}
