"""Shared fixtures: paths to the real data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GRID = SHARED_DATA / "grid"
ASSETS = ROOT / "assets"
#: A speech model small enough to train in seconds (tests of the training code).
TINY_NET = {"audio_dim": 32, "content_dim": 24, "hidden": 32, "id_dim": 8}


@pytest.fixture(scope="session")
def grid() -> Path:
    """``../shared/data/grid`` (s1/, s4hq/). Read-only."""
    if not GRID.is_dir():
        pytest.fail(f"The GRID data is missing: expected it at {GRID}")
    return GRID


@pytest.fixture(scope="module")
def closed_lips(grid: Path) -> tuple:
    """GRID s4hq bbaf2a, frame 12 and its rig: her lips closed, no teeth showing (the
    full-size mouth tests)."""
    from tests.full_size import closed_lips_frame, portrait_rig

    rgb = closed_lips_frame(grid)
    return rgb, portrait_rig(rgb)


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


def two_faces(portrait: Path, out: Path) -> Path:
    """``portrait`` beside its mirror image: a picture with two faces, saved to ``out``."""
    from PIL import Image

    one = Image.open(portrait).convert("RGB")
    two = Image.new("RGB", (one.width * 2, one.height))
    two.paste(one, (0, 0))
    two.paste(one.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (one.width, 0))
    two.save(out)
    return out


@pytest.fixture(scope="session")
def tiny_data(grid: Path, tmp_path_factory) -> Path:
    """A prepare-data cache: 3 s1 clips and 1 s4hq clip (real GRID)."""
    from engine.model.data import prepare_clip

    out = tmp_path_factory.mktemp("cache")
    s1 = sorted((grid / "s1" / "video").glob("*.mp4"))[:3]
    s4 = sorted((grid / "s4hq" / "video").glob("*.mp4"))[:1]
    for v in s1:
        prepare_clip(v, out / "s1" / f"{v.stem}.npz")
    for v in s4:
        prepare_clip(v, out / "s4hq" / f"{v.stem}.npz")
    return out


@pytest.fixture(scope="module")
def smile():
    """The astronaut at 1024 px (smiling, eyes open) and its rig."""
    from tests.full_size import astronaut_1024

    return astronaut_1024()
