"""*Mouth* above 1: the mouth opens wider the way a real one does.

Scaling the whole speech motion by *Mouth* also scales what does not grow with
the opening (the corners' pull, the rounding of an "o", how far the lower lip's
outer edge drops past its inner one): at 2 or 3 a wide mouth became a ring of
swollen lips. Above 1 the speech model's motion is kept as it is and the extra
opening, ``(intensity - 1)`` times the opening it already has, follows the way
GRID s1's face moves between wide and wider (``tools/measure_opening.py``,
``assets/motion/opening.npz`` and ``OPENING.md``: on his clips it was not fitted
on, it predicts his widest lip shapes from his moderate ones 4 times closer than
scaling does).
"""

from __future__ import annotations

import functools

import numpy as np

from engine.paths import asset


@functools.cache
def direction() -> np.ndarray:
    """``(468, 3) float32`` canonical displacement that parts the inner lips by 1 IOD."""
    with np.load(asset("motion", "opening.npz")) as z:
        d = z["direction"].astype(np.float32)
    d.setflags(write=False)
    return d


def open_wider(basis: np.ndarray, coeffs: np.ndarray, extra: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Insert :func:`direction` before the last basis row (the rest, which stays last)
    with coefficient ``extra (T,)``, the extra opening per frame (IOD).

    Args:
        basis: ``(K, 468, 3) float32``; coeffs: ``(T, K) float32``.
    """
    b = np.concatenate([basis[:-1], direction()[None], basis[-1:]], 0)
    e = np.asarray(extra, np.float32).reshape(-1, 1)
    c = np.concatenate([coeffs[:, :-1], e, coeffs[:, -1:]], 1)
    return b.astype(np.float32), c.astype(np.float32)
