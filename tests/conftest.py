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
