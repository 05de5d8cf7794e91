"""GRID s1's mouth interior (``assets/mouth/interiors.npz``, ``tools/build_mouth_bank.py``):
teeth that keep their real width, stay rigid in a wide mouth, and strips registered on
one another before their median."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
LUMA = np.array([0.299, 0.587, 0.114])


def test_teeth_keep_their_width_across_mouth_widths() -> None:
    """s1's teeth are laid at his own mouth width, whatever the mouth's: in a mouth
    twice as wide the same tooth lies at the same distance from the middle (not pulled
    out with the corners), and the outer quarter on each side is beyond his teeth."""
    from engine.render.interior import bank, strip

    b = bank()
    assert b is not None
    across = np.linspace(0.1, 0.9, 33, dtype=np.float32)[None, :]  # s1's own mouth
    dist = np.full_like(across, 0.03 * 100.0)  # 0.03 IOD under the lip, IOD 100 px
    own, a_own = strip(b, "upper", across, dist, 100.0, b.width)
    wide_u = (0.5 + (across - 0.5) / 2.0).astype(np.float32)  # the same points, 2x width
    wide, a_wide = strip(b, "upper", wide_u, dist, 100.0, 2.0 * b.width)
    np.testing.assert_allclose(wide, own, atol=0.5)
    np.testing.assert_allclose(a_wide, a_own, atol=1e-5)
    corner = np.full((1, 5), 0.1, np.float32)  # 0.1 of a 2x mouth: 0.3 beyond his corner
    _, a_corner = strip(b, "upper", corner, dist[:, :5], 100.0, 2.0 * b.width)
    assert float(a_corner.max()) == 0.0
    assert float(a_own.mean()) > 0.9

def test_wide_mouth_teeth_do_not_ring_the_corners() -> None:
    """In a wide mouth the lower lip curves up towards the corners; the lower teeth stay
    rigid with the jaw instead of following the lip round into a ring that meets the
    upper teeth: just above the lip, the teeth at the middle are as bright as ever, and
    towards the corners, where the lip has risen over them, it is the dark cavity."""
    from engine.render.interior import bank, fill

    b = bank()
    assert b is not None
    iod, gap, rise = 100.0, 0.20 * 100.0, 0.12 * 100.0
    u = np.linspace(0.0, 1.0, 101, dtype=np.float32)[None, :].repeat(40, 0)
    top = np.zeros_like(u)
    bot = gap - rise * (2.0 * u - 1.0) ** 2  # the lower lip, rising to the corners
    v = np.linspace(0.0, gap, 40, dtype=np.float32)[:, None].repeat(101, 1)
    d_top, d_bot = v - top, bot - v
    hang = (np.zeros_like(u), gap - bot)
    follow = fill(b, u, d_top, d_bot, iod, b.width, 0.2) @ LUMA
    rigid = fill(b, u, d_top, d_bot, iod, b.width, 0.2, hang) @ LUMA
    near_lip = (d_bot > 0.005 * iod) & (d_bot < 0.02 * iod)
    middle = near_lip & (np.abs(u - 0.5) < 0.05)
    side = near_lip & (np.abs(u - 0.5) > 0.28) & (np.abs(u - 0.5) < 0.34)
    assert np.median(rigid[middle]) == pytest.approx(np.median(follow[middle]), rel=0.02)
    assert np.median(rigid[side]) < 0.7 * np.median(follow[side])

def test_bank_registration_undoes_the_mouth_corners_drift() -> None:
    """The teeth strips of frames whose mouth corners sat a little wider, narrower or to
    one side (s1's shipped upper strip, stretched and shifted as between his frames):
    their plain median is blurred, the registered one has the teeth's edges back."""
    sys.path.insert(0, str(ROOT / "tools"))
    from build_mouth_bank import highpass, register, stretch

    from engine.render.interior import bank

    b = bank()
    assert b is not None
    teeth = b.upper.astype(np.float32)
    rng = np.random.default_rng(3)
    frames = np.stack([
        stretch(teeth.transpose(2, 0, 1), s, t).transpose(1, 2, 0)
        + rng.normal(0.0, 4.0, teeth.shape).astype(np.float32)
        for s, t in zip(rng.uniform(0.9, 1.1, 60), rng.uniform(-0.04, 0.04, 60), strict=True)])
    rows = slice(2, 14)

    def edges(strip: np.ndarray) -> float:
        return float(np.nanmean(np.abs(highpass(strip[rows, 8:-8] @ LUMA))))

    plain = edges(np.median(frames, axis=0))
    registered = edges(np.median(register(frames, rows, rounds=2), axis=0))
    truth = edges(teeth)
    assert plain < 0.8 * truth
    assert registered > 0.9 * truth
