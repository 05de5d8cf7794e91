"""The self-check's blink reading (``engine.evaluate``) against blinks labelled by eye.

``main.py evaluate`` re-tracks a rendered video with the face model and counts the
blinks; here it reads real GRID s1 video, whose blinks were labelled frame by frame
(``tests/fixtures/blink_labels.json``), so what it finds can be checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.evaluate import find_blinks
from tests.conftest import ROOT

LABELS = json.loads((ROOT / "tests" / "fixtures" / "blink_labels.json").read_text())["clips"]
#: Clips where the face model reads some blinks shallow: a dip to 0.75 of the open eye
#: missed a blink in each (five of 14), 0.8 finds them all (measured).
CLIPS = ["bgwu9a", "prac7s", "pgbe4p", "briz7s"]


@pytest.fixture(scope="module")
def eye_readings(grid: Path) -> dict[str, np.ndarray]:
    from engine.face import detect_faces
    from engine.media.video import iter_frames
    from engine.motion.blink_detect import eye_openness

    out = {}
    for clip in CLIPS:
        reads = []
        for frame in iter_frames(grid / "s1" / "video" / f"{clip}.mp4"):
            faces = detect_faces(frame)
            reads.append(float(eye_openness(np.asarray(faces[0].landmarks)[None]).mean())
                         if faces else float("nan"))
        out[clip] = np.asarray(reads)
    return out


def test_the_self_check_finds_every_labelled_blink_and_nothing_else(
    eye_readings: dict[str, np.ndarray],
) -> None:
    for clip, ear in eye_readings.items():
        found = find_blinks(ear, 25.0)
        labels = LABELS[clip]
        matched: set[int] = set()
        for lab in labels:
            near = [j for j, (a, n) in enumerate(found) if a <= lab[1] + 1 and a + n >= lab[0]]
            if lab[-1] != "h":  # a partial blink ('h') may or may not read as one
                assert near, (clip, lab, found)
            matched.update(near)
        assert len(matched) == len(found), (clip, labels, found)
