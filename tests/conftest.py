"""Shared fixtures: paths to the real data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GRID = SHARED_DATA / "grid"
ASSETS = ROOT / "assets"


@pytest.fixture(scope="session")
def grid() -> Path:
    """``../shared/data/grid`` (s1/, s4hq/). Read-only."""
    if not GRID.is_dir():
        pytest.fail(f"The GRID data is missing: expected it at {GRID}")
    return GRID


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
