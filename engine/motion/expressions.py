"""The measured expression shapes: smile, brow raise and frown (``assets/motion/expressions.npz``).

Made by ``tools/measure_expressions.py``; see ``assets/motion/EXPRESSIONS.md``. The
keyframe lanes add them at the artist's weights, and the speech head motion raises
the brows on accented syllables.
"""

from __future__ import annotations

import functools

import numpy as np

from engine.errors import ModelError
from engine.keyframes import EXPRESSION_LANES


@functools.lru_cache(maxsize=1)
def expression_shapes() -> np.ndarray:
    """``(3, 468, 3) float32`` smile, brow raise and frown at weight 1, canonical units
    (in the order of :data:`engine.keyframes.EXPRESSION_LANES`), read-only."""
    from engine.paths import asset

    path = asset("motion", "expressions.npz")
    try:
        with np.load(path) as data:
            shapes = np.stack([np.asarray(data[k], np.float32) for k in EXPRESSION_LANES])
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(
            f"The expression shapes ({path}) are missing or damaged. Reinstall Talkie."
        ) from exc
    shapes.setflags(write=False)
    return shapes


def shape(name: str) -> np.ndarray:
    """``(468, 3) float32`` one shape by its lane name (``"smile"``, ``"brow_raise"``...)."""
    return expression_shapes()[EXPRESSION_LANES.index(name)]
