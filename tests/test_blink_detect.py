"""The blink detector against blinks labelled by eye on real GRID video."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.motion.blink_detect import find_blinks
from tests.conftest import ROOT

LABELS = json.loads((ROOT / "tests" / "fixtures" / "blink_labels.json").read_text())["clips"]
#: A spread of labelled clips: four blinks, a pair 3 frames apart, partial blinks, a
#: blink at the clip's start, and s4hq clips with one blink and with none.
CLIPS = ["s1/bgaa8p", "s1/lwwf8p", "s1/pric4p", "s1/lriq7s", "s1/pgbe4p",
         "s4hq/sbwu4a", "s4hq/brwt1n"]


@pytest.fixture(scope="module")
def detected(grid: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    from engine.model.data import prepare_clip
    from engine.model.dataset import load_clip

    out = tmp_path_factory.mktemp("blinks")
    found = {}
    for key in CLIPS:
        speaker, name = key.split("/")
        npz = out / f"{speaker}_{name}.npz"
        prepare_clip(grid / speaker / "video" / f"{name}.mp4", npz)
        clip = load_clip(npz)
        found[key] = [(int(round(b.onset * clip.fps)),
                       int(round((b.onset + b.duration) * clip.fps)) - 1) for b in clip.blinks]
    return found


def _label(key: str) -> list[list]:
    return LABELS[key.split("/")[1] if key.startswith("s1/") else key]


def test_finds_the_blinks_seen_by_eye_and_nothing_else(detected: dict[str, list]) -> None:
    hits = labels = false_alarms = 0
    for key, events in detected.items():
        used: set[int] = set()
        for lab in _label(key):
            labels += 1
            for j, (a, b) in enumerate(events):
                if j not in used and a <= lab[1] + 1 and b >= lab[0] - 1:
                    used.add(j)
                    hits += 1
                    break
        false_alarms += len(events) - len(used)
    assert labels == 20
    assert hits >= 19, (hits, detected)  # measured: 20 of 20
    assert false_alarms == 0, detected


def test_two_blinks_in_one_run_are_two_blinks() -> None:
    fps = 25.0
    closure = np.zeros(50)
    closure[20:23] = [0.2, 0.35, 0.2]  # a blink ...
    closure[24:27] = [0.25, 0.38, 0.22]  # ... and another 4 frames later, no gap between
    closure[23] = 0.08
    events = find_blinks(closure, fps)
    assert len(events) == 2
    assert events[0]["onset"] < events[1]["onset"]


def test_a_slow_downward_glance_is_not_a_blink() -> None:
    closure = np.zeros(60)
    closure[20:40] = np.linspace(0.0, 0.3, 20)  # lids lowered over 0.8 s, held
    closure[40:50] = 0.3
    assert find_blinks(closure, 25.0) == []
