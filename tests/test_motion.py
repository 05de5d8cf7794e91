"""Phonetic mouth motion, blink noise and head motion (real GRID audio)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.audio.features import frame_count, loudness
from engine.audio.phones import Phone, recognise_phones
from engine.media.audio import load_audio
from engine.motion import blinks as bl
from engine.motion.blinks import BlinkEvent, BlinkParams, eyelid_track, generate_blinks
from engine.motion.head import MAX_ROTATION_DEG, MAX_SHIFT, activity_envelope, head_motion
from engine.motion.phonetic import load_shapes, phonetic_motion

FPS = 25
CLIPS = ["bbaf2n", "lgif2p", "prwd6p", "swwv9a", "lbwr5a", "srbo5a"]


@pytest.fixture(scope="module")
def analysed(grid: Path) -> list[tuple[str, np.ndarray, list[Phone], list]]:
    out = []
    for name in CLIPS:
        x = load_audio(grid / "s1" / "audio" / f"{name}.flac").samples
        rows = []
        for line in (grid / "s1" / "align" / f"{name}.align").read_text().splitlines():
            a, b, w = line.split()
            rows.append((int(a) / 25000, int(b) / 25000, w))
        out.append((name, x, recognise_phones(x), rows))
    return out


# ------------------------------------------------------------------ mouth ---


def test_table_is_small_and_complete() -> None:
    sh = load_shapes()
    assert sh.basis.dtype == np.float32 and sh.basis.shape[1:] == (468, 3)
    assert 4 <= sh.k <= 12
    for p in ("ay", "iy", "uw", "b", "p", "f", "v"):  # measured on GRID s1
        assert p in sh.phone_coeffs, p
    for cls in ("closure", "labiodental", "rounded", "spread", "open"):
        assert cls in sh.class_coeffs, cls
    gap = sh.gap_vector()
    # Open vowels open the lips more than closures do (unmeasured phones use their class).
    for open_ph, closed_ph in (("ay", "b"), ("aa", "m"), ("ae", "p")):
        assert sh.coeffs_for(open_ph) @ gap > sh.coeffs_for(closed_ph) @ gap + 0.02


def test_mouth_rests_in_silence_and_follows_loudness(analysed) -> None:
    rs = []
    for name, x, ph, align in analysed:
        n = frame_count(len(x) / 16000, FPS)
        loud = loudness(x, FPS)
        basis, coeffs, mouth = phonetic_motion(ph, loud, FPS, n)
        assert basis.shape[1:] == (468, 3) and coeffs.shape == (n, basis.shape[0])
        assert mouth.shape == (n,) and mouth.dtype == np.float32
        t = (np.arange(n) + 0.5) / FPS
        speech_peak = float(mouth.max())
        assert speech_peak > 0.03, name
        for a, b, w in align:
            if w != "sil":
                continue
            inside = (t > a + 0.2) & (t < b - 0.2)
            # Rest: exactly zero coefficients, far within 10 % of the opening range.
            assert np.all(coeffs[inside] == 0.0), name
            assert np.all(mouth[inside] <= 0.1 * speech_peak), name
        rs.append(np.corrcoef(mouth, loud)[0, 1])
    assert np.median(rs) > 0.4, rs


def test_mouth_intensity_and_exact_silence() -> None:
    sh = load_shapes()
    phones = [Phone("sil", 0, 1.0), Phone("aa", 1.0, 1.3), Phone("m", 1.3, 1.4),
              Phone("iy", 1.4, 1.7), Phone("sil", 1.7, 3.0)]
    loud = np.full(75, -20.0, np.float32)
    _, c1, m1 = phonetic_motion(phones, loud, FPS, 75)
    _, c0, m0 = phonetic_motion(phones, loud, FPS, 75, intensity=0.0)
    _, c2, _ = phonetic_motion(phones, loud, FPS, 75, intensity=2.0)
    assert not c0.any() and not m0.any()
    np.testing.assert_allclose(c2, 2 * c1, rtol=1e-5, atol=1e-7)
    assert not c1[:20].any() and not c1[-25:].any()
    assert m1[27:32].max() > 0.5 * (sh.coeffs_for("aa") @ sh.gap_vector())
    # The lips lead the sound: motion starts before the first phone (t = 1.0 s).
    first = int(np.flatnonzero(np.abs(c1).sum(axis=1) > 0)[0])
    assert (first + 0.5) / FPS < 1.0


def test_no_chatter_from_blips_in_pauses() -> None:
    phones = [Phone("sil", 0, 1.0), Phone("k", 1.0, 1.05), Phone("sil", 1.05, 2.0)]
    _, coeffs, mouth = phonetic_motion(phones, np.full(50, -40.0, np.float32), FPS, 50)
    assert not coeffs.any() and not mouth.any()


# ----------------------------------------------------------------- blinks ---


def test_blinks_deterministic_gap_and_rate() -> None:
    p = BlinkParams(rate_per_min=15.0, mean_duration=0.25, min_gap=0.6)
    a = generate_blinks(3600.0, p, seed=7)
    b = generate_blinks(3600.0, p, seed=7)
    c = generate_blinks(3600.0, p, seed=8)
    assert a == b and a != c
    onsets = np.array([e.onset for e in a])
    assert np.all(np.diff(onsets) > 0) and onsets[0] >= 0 and onsets[-1] < 3600
    gaps = np.array([n.onset - e.end for e, n in zip(a, a[1:], strict=False)])
    assert gaps.min() >= p.min_gap - 1e-3
    assert len(a) / 60.0 == pytest.approx(15.0, rel=0.08)
    assert np.mean([e.duration for e in a]) == pytest.approx(0.25, rel=0.08)
    assert all(0 < e.depth <= 1 for e in a)
    # A longer track starts with the same blinks.
    assert generate_blinks(60.0, p, seed=7) == [e for e in a if e.onset < 60.0]
    assert generate_blinks(10.0, BlinkParams(rate_per_min=0.0), 1) == []


def test_blink_editing() -> None:
    ev = [BlinkEvent(1.0, 0.2), BlinkEvent(3.0, 0.2)]
    added = bl.add_blink(ev, BlinkEvent(2.0, 0.2), min_gap=0.5)
    assert [e.onset for e in added] == [1.0, 2.0, 3.0] and len(ev) == 2
    with pytest.raises(bl.BlinkEditError):
        bl.add_blink(ev, BlinkEvent(1.1, 0.2), min_gap=0.5)
    moved = bl.move_blink(added, 1, 2.9, min_gap=0.5)  # clamped before its neighbour
    assert moved[1].onset == pytest.approx(3.0 - 0.5 - 0.2)
    moved = bl.move_blink(added, 1, 0.0, min_gap=0.5)
    assert moved[1].onset == pytest.approx(1.2 + 0.5)
    assert bl.delete_blink(added, 0) == added[1:]
    norm = bl.normalise_blinks([BlinkEvent(2.0, 0.2), BlinkEvent(1.0, 0.2),
                                BlinkEvent(1.1, 0.2), BlinkEvent(5.0, 9.0)], min_gap=0.3)
    assert [e.onset for e in norm] == [1.0, 2.0]
    assert BlinkEvent.from_dict(norm[0].to_dict()) == norm[0]


def test_eyelid_track_peaks_at_depth_and_is_asymmetric() -> None:
    ev = [BlinkEvent(1.0, 0.3, 1.0), BlinkEvent(2.0, 0.12, 0.7), BlinkEvent(3.0, 0.25, 0.5)]
    lids = eyelid_track(ev, 100, FPS)
    assert lids.shape == (100, 2) and lids.dtype == np.float32
    np.testing.assert_array_equal(lids[:, 0], lids[:, 1])
    for e in ev:
        a, b = int(e.onset * FPS), int(math.ceil(e.end * FPS)) + 1
        assert lids[a:b, 0].max() == pytest.approx(e.depth, abs=1e-6)
    assert lids[:20].max() == 0 and lids.min() >= 0 and lids.max() <= 1
    # Fast close, slower open (high frame rate to see the shape).
    hi = eyelid_track([BlinkEvent(0.5, 0.3)], 600, 600.0)[:, 0]
    above = np.flatnonzero(hi > 0.05)
    k = int(np.argmax(hi))
    assert (k - above[0]) < 0.6 * (above[-1] - k)


# ------------------------------------------------------------------- head ---


def test_head_motion_amount_bounds_and_seed() -> None:
    n = 25 * 120
    act = np.ones(n, np.float32)
    assert not head_motion(n, FPS, 0.0, 1, act).any()
    a = head_motion(n, FPS, 1.0, 1, act)
    assert a.shape == (n, 6) and a.dtype == np.float32
    np.testing.assert_array_equal(a, head_motion(n, FPS, 1.0, 1, act))
    assert not np.array_equal(a, head_motion(n, FPS, 1.0, 2, act))
    rot = np.degrees(np.abs(a[:, :3])).max(axis=0)
    assert rot.max() <= MAX_ROTATION_DEG + 1e-4 and rot[:2].min() > 0.5
    assert np.abs(a[:, 3:5]).max() <= MAX_SHIFT + 1e-6
    assert np.abs(a[:, 5]).max() <= 0.01 + 1e-6
    # Low frequency: frame-to-frame steps are tiny compared with the range.
    assert np.abs(np.diff(a[:, 0])).max() < 0.05 * np.ptp(a[:, 0])


def test_head_calms_in_long_silence() -> None:
    n = 25 * 40
    act = np.zeros(n, np.float32)
    act[: 25 * 10] = 1.0
    act[25 * 30:] = 1.0
    # short pauses inside speech keep it moving
    act[25 * 5: 25 * 5 + 5] = 0.0
    pose = head_motion(n, FPS, 1.0, 4, act)
    quiet = np.abs(pose[25 * 16: 25 * 24])
    assert np.all(quiet == 0.0)
    assert np.abs(pose[25 * 1: 25 * 9]).max() > 0
    env = activity_envelope(act, FPS)
    assert env[25 * 5: 25 * 5 + 5].min() > 0.9
    assert env[25 * 11] < 0.5 and env[25 * 12] < 0.1
    assert not head_motion(n, FPS, 1.0, 4, np.zeros(n, np.float32)).any()
