"""``tools/opening_replay.py``: an opening replayed along GRID s1's one mouth shape opens
the face's inner lips as far as the real video's, frame by frame (real GRID clips)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from tests.full_size import ROOT


def test_real_opening_replayed_along_s1s_shape(grid: Path, tiny_data: Path) -> None:
    """GRID s4hq's first clip from its first frame: the replayed track's inner-lip opening,
    on the canonical face of that frame, is the real one at every frame (to 5 % of its
    range: 4 % here, the lips' own shape, not s1's, near closed); s1's shape opens the
    lips by one IOD per unit, whatever else it moves."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import tracked
    from opening_replay import real_opening, replay, s1_shape

    from engine.face.align import to_canonical
    from engine.model.evaluation import opening_of

    video = sorted((grid / "s4hq" / "video").glob("*.mp4"))[0]
    clip = tracked(video, tiny_data)
    track = replay("opening-real", clip, 0, tiny_data)
    real = real_opening(clip["landmarks"])
    base = to_canonical(np.asarray(clip["landmarks"][0], np.float32))[0]
    replayed = opening_of(base[None] + np.tensordot(track.coeffs, track.basis, axes=1))
    spread = float(np.ptp(real))
    assert spread > 0.05  # she opens her mouth: the check can fail
    assert float(np.abs(replayed - real).max()) < 0.05 * spread
    shape = s1_shape(tiny_data)
    assert abs(float(opening_of((base + shape)[None])[0] - opening_of(base[None])[0]) - 1.0) \
        < 0.1
