"""GRID s1's mouth interior (``assets/mouth/interiors.npz``, ``tools/build_mouth_bank.py``):
teeth that keep their real width, stay rigid in a wide mouth, strips registered on
one another before their median, and teeth as sharp on a large mouth as the picture is,
changing smoothly as the head scales."""

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
    towards the corners, where the lip has risen over them, it is what lies behind them
    (the cavity, the tongue)."""
    from engine.render.interior import TONGUE_FRONT, bank, cavity_shade, fill, lay_tongue

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
    # what lies behind the teeth: the cavity and the tongue
    behind = cavity_shade(u, d_top, d_bot, iod)[..., None] * b.cavity_rgb
    lay_tongue(behind, b.lip_rgb, 0.2, u, d_top, d_bot, iod, front=TONGUE_FRONT * iod,
               rigid=(hang[1], gap))
    behind = behind @ LUMA
    assert np.median(rigid[middle]) == pytest.approx(np.median(follow[middle]), rel=0.02)
    assert np.median(rigid[side]) == pytest.approx(np.median(behind[side]), rel=0.05)
    assert np.median(follow[side]) > 1.25 * np.median(behind[side])


def test_tongue_stands_on_the_middle_of_the_lip_not_on_its_curve() -> None:
    """In a smile's crescent (a lower lip rising steeply to the corners) the tongue is a
    dome standing on the middle of the lower lip: its top edge lies where it lies under a
    flat lip, and towards the corners the risen lip covers it, so that the dark of the
    cavity shows there. Following the lip column by column, its top edge ran parallel to
    both lips, a band in the crescent's shape."""
    from engine.render.interior import lay_tongue

    iod, gap = 100.0, 20.0
    lip = np.array([200.0, 120.0, 110.0], np.float32)
    u = np.linspace(0.0, 1.0, 101, dtype=np.float32)[None, :].repeat(60, 0)
    v = np.linspace(-20.0, gap, 60, dtype=np.float32)[:, None].repeat(101, 1)
    flat = np.zeros((60, 101, 3), np.float32)
    lay_tongue(flat, lip, 0.25, u, v, gap - v, iod, rigid=(np.zeros_like(u), gap))
    # a broad dome, between the lower canines: it still shows 0.8 of the way to a corner
    # (it ended at 0.7, a narrow strip behind the lower teeth)
    reach = np.abs(2.0 * u[0] - 1.0)[(flat[..., 0] > 1.0).any(axis=0)]
    assert 0.8 < float(reach.max()) < 0.9
    for rise in (6.0, 12.0):
        bot = gap - rise * (2.0 * u - 1.0) ** 2
        top = -rise * (2.0 * u - 1.0) ** 2  # the crescent: both lips curve up
        rigid = np.zeros_like(flat)
        lay_tongue(rigid, lip, 0.25, u, v - top, bot - v, iod, rigid=(gap - bot, gap))
        column = np.zeros_like(flat)
        lay_tongue(column, lip, 0.25, u, v - top, bot - v, iod)
        inside = v < bot
        np.testing.assert_allclose(rigid[inside], flat[inside], atol=1e-3)
        # beside the middle, the column-wise tongue rises with the lip: its top edge is
        # higher than a flat lip's (more rows covered above the flat dome's edge)
        side = np.abs(u[0] - 0.5) > 0.25
        covered = [((img[..., 0] > 1.0) & inside)[:, side].sum() for img in (column, rigid)]
        assert covered[0] > 1.3 * covered[1]


def test_upper_teeth_edge_holds_its_arch_whatever_the_lip() -> None:
    """The upper teeth are rigid with the head: two upper lips of different curves over
    the same mouth middle put the teeth's edge in the same place (its distance from the
    lip plus the lip's position is the same at every column), and that edge rises
    towards the corners by the smile arc."""
    from engine.render.interior import SMILE_ARC, rigid_hang

    iod = 100.0
    u = np.linspace(0.0, 1.0, 41)[None, :]
    bot = np.full_like(u, 20.0)
    edges = []
    for curve in (0.0, 8.0, 16.0):  # a flat lip, and lips curving down to the corners
        top = curve * (2.0 * u - 1.0) ** 2
        hang_top, hang_bot = rigid_hang(u, top, bot, 0.0, 20.0, iod)
        edges.append(top - hang_top)  # where a fixed row of the strip lies, pixels
        np.testing.assert_allclose(hang_bot, 0.0)
    np.testing.assert_allclose(edges[1], edges[0], atol=1e-9)
    np.testing.assert_allclose(edges[2], edges[0], atol=1e-9)
    assert float(edges[0][0, 0] - edges[0][0, 20]) == pytest.approx(-SMILE_ARC * iod)


def test_cavity_shade_has_no_crease() -> None:
    """The cavity darkens smoothly into a wide mouth: down any column its light has no
    kink where the distances to the two lips are equal (the distance to the nearer lip
    did, and its ridges ran diagonally into the corners as a bevelled frame), and it is
    darker towards the corners than at the middle next to the lips."""
    from engine.render.interior import CAVITY_DEEP, cavity_shade

    iod, gap = 100.0, 16.0
    v = np.linspace(0.0, gap, 161)[:, None]
    u = np.full((161, 1), 0.5)
    shade = cavity_shade(u, v, gap - v, iod)[:, 0].astype(np.float64)
    bend = np.abs(np.diff(shade, 2))
    # a smooth profile's second differences are all alike; a kink is one spike
    assert bend.max() < 3.0 * np.median(bend) + 1e-7
    assert float(shade.min()) < 0.8
    wide = np.linspace(0.0, 1.0, 101)[None, :]
    lip = cavity_shade(wide, np.full_like(wide, 0.5), np.full_like(wide, 30.0), iod)[0]
    assert float(lip[0]) < 0.6 and float(lip[50]) > 0.95
    assert float(lip.min()) >= CAVITY_DEEP - 1e-6


def test_tongue_lit_where_it_shows_over_the_lower_teeth() -> None:
    """A wide mouth's tongue is lit from the front: over the lower teeth's edges (where it
    shows) it is as light as it gets, and it darkens back to its top edge, so what shows
    is not a flat band: where it is opaque, it spans 1.27 times in lightness there (laid
    from the lip regardless of the teeth, the part that shows spanned 1.18)."""
    from engine.render.interior import TONGUE_SHARE, lay_tongue

    iod, gap, front = 100.0, 24.0, 5.0
    d_bot = np.linspace(0.0, gap, 97)[:, None]
    u = np.full_like(d_bot, 0.5)
    lip = np.array([180.0, 90.0, 90.0], np.float32)
    top = TONGUE_SHARE * gap - 0.03 * iod  # the dome's top at the middle, less its soft edge
    seen = (d_bot[:, 0] > front) & (d_bot[:, 0] < top)
    spans = []
    for f in (front, 0.0):
        color = np.zeros((97, 1, 3), np.float32)
        lay_tongue(color, lip, 0.24, u, gap - d_bot, d_bot, iod, front=f)
        y = (color @ LUMA)[:, 0]
        spans.append(float(y[seen].max() / y[seen].min()))
        if f:
            assert float(y[d_bot[:, 0] <= front].min()) >= float(y[seen].max()) - 1e-3
    assert spans[0] > 1.24 and spans[0] > spans[1] + 0.06, spans

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


def _lay_upper(iod: float, shipped: bool = False, blur: float = 1.0) -> np.ndarray:
    """s1's upper teeth laid as on a mouth of s1's width under an IOD of ``iod`` pixels,
    one output pixel per pixel, in a picture whose edges are ``blur`` pixels soft:
    ``(rows, cols) float`` luma. ``shipped``: straight from the shipped 96-sample strip,
    as before the fine copies."""
    import cv2

    from engine.render.interior import UPPER_IOD, WIDTH, bank, strip

    b = bank()
    assert b is not None
    cols, rows = int(round(b.width * iod)), int(round(0.08 * iod))
    u = np.broadcast_to(((np.arange(cols) + 0.5) / cols).astype(np.float32), (rows, cols))
    dist = np.broadcast_to((np.arange(rows, dtype=np.float32) + 0.5)[:, None], (rows, cols))
    if shipped:
        mx = (u * WIDTH - 0.5).astype(np.float32)
        my = (dist / (UPPER_IOD * iod) * b.upper.shape[0] - 0.5).astype(np.float32)
        img = cv2.remap(b.upper, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        return img.astype(np.float32) @ LUMA
    img, _ = strip(b, "upper", np.ascontiguousarray(u), np.ascontiguousarray(dist), iod,
                   b.width, blur=blur)
    return img @ LUMA


def _detail(y: np.ndarray) -> float:
    """Mean absolute high-pass (sigma 1 pixel) away from the borders, grey levels."""
    import cv2

    hp = y - cv2.GaussianBlur(y.astype(np.float32), (0, 0), 1.0)
    return float(np.abs(hp[1:-1, 6:-6]).mean())


def test_teeth_stay_sharp_on_a_large_mouth() -> None:
    """A mouth 110 pixels wide (Grace Hopper's photo at 1024 px; s1's own is 30 video
    pixels) in a sharp picture (edges 1 pixel soft, as a photo's): the teeth come from the
    fine copy, with more than half again the fine detail of the shipped strip
    interpolated (1.7 times measured), and no halo (no value beyond the strip's own
    range). In a picture as soft as a video still scaled up three times (edges 2 pixels
    soft: GRID s1's and s33's first frames at 1024 px) they are blurred to match, softer
    than the shipped strip interpolated (0.8 against 1.1), not sharper than its lips."""
    from engine.render.interior import bank

    b = bank()
    assert b is not None
    iod = 220.0
    fine, soft = _lay_upper(iod), _lay_upper(iod, shipped=True)
    assert _detail(fine) > 1.5 * _detail(soft), (_detail(fine), _detail(soft))
    lum = b.upper.astype(np.float32) @ LUMA
    assert fine.min() >= lum.min() - 2.0 and fine.max() <= lum.max() + 2.0
    blurred = _detail(_lay_upper(iod, blur=2.0))
    assert blurred < 0.5 * _detail(fine) and blurred < _detail(soft), (blurred, _detail(fine))


def test_teeth_change_smoothly_as_the_head_scales() -> None:
    """The copies are blended by the mouth's size: a head that grows by 1 % changes its
    teeth by under half a grey level wherever its size lies, also where one copy hands
    over to the next (with the nearest copy alone, by up to 6.5 levels there, even with
    copies 1/32 octave apart: each copy's samples lie elsewhere on the teeth's edges)."""
    from engine.render.interior import WIDTH, bank, strip

    b = bank()
    assert b is not None
    u = np.broadcast_to(np.linspace(0.05, 0.95, 200, dtype=np.float32), (30, 200))
    share = np.broadcast_to(np.linspace(0.0, 0.08, 30, dtype=np.float32)[:, None], (30, 200))
    exact = WIDTH * 2.0 ** (1 / 4) / b.width  # the IOD where copy 1 is laid alone

    def teeth(iod: float) -> np.ndarray:
        img, _ = strip(b, "upper", np.ascontiguousarray(u), np.ascontiguousarray(share * iod),
                       iod, b.width)
        return img @ LUMA

    # every 1/64 octave over a quarter octave: wherever a nearest copy would change
    jumps = [float(np.abs(teeth(iod * 1.005) - teeth(iod / 1.005)).max())
             for iod in exact * 2.0 ** (np.arange(17) / 64)]
    assert max(jumps) < 2.0, jumps


def test_a_portrait_knows_how_soft_it_is() -> None:
    """``PortraitRig.blur`` (:func:`engine.render.samples.edge_blur`), the softness the
    teeth are drawn at: the astronaut at 1024 px reads as a sharp photo (1.05 pixels),
    and the same picture blurred by a Gaussian of sigma 2, 3 and 8 pixels reads 1.97, 2.62
    and 5.32 (their edges' sigma, sqrt(1.05^2 + s^2), is 2.26, 3.18 and 8.07); with edge
    thresholds fixed in grey levels the last found too few edges and read as sharp."""
    import cv2

    from tests.full_size import astronaut_1024, portrait_rig

    rgb, rig = astronaut_1024()
    assert 0.8 < rig.blur < 1.25
    softer = [portrait_rig(cv2.GaussianBlur(rgb, (0, 0), s)).blur for s in (2.0, 3.0, 8.0)]
    assert 1.7 < softer[0] < 2.6 and softer[0] + 0.4 < softer[1] < 3.6, softer
    assert softer[2] > 4.0, softer


def test_shock_filter_turns_a_blurred_step_back_into_a_step() -> None:
    """:func:`engine.render.shock.shock` on a step from 50 to 150 blurred by a Gaussian
    of sigma 3 pixels: the 10-90 % rise, 8 pixels wide, is gone after the shipped 30
    iterations (4 pixels after 10), the step is where the ramp was steepest, and no value
    leaves the step's range (an unsharp mask would overshoot it)."""
    import cv2

    from engine.render.shock import shock

    step = np.where(np.arange(64) < 32, 50.0, 150.0).astype(np.float32)
    soft = cv2.GaussianBlur(np.tile(step, (16, 1)), (0, 0), 3.0, borderType=cv2.BORDER_REPLICATE)

    def rise(row: np.ndarray) -> int:
        return int(np.sum((row > 60.0) & (row < 140.0)))

    sharp = shock(soft, 30, 2.0)
    assert rise(soft[8]) >= 7 and rise(sharp[8]) <= 3, (rise(soft[8]), rise(sharp[8]))
    assert 49.5 <= float(sharp.min()) and float(sharp.max()) <= 150.5
    assert abs(int(np.argmin(np.abs(sharp[8] - 100.0))) - 31.5) <= 1.5


def test_teeth_shown_measured_from_each_lip(grid: Path) -> None:
    """``tools/measure_teeth_shown.py`` on real frames of GRID s1 (bbaf2n): where his mouth
    opens moderately (nearest 0.07 IOD) the profile from each lip finds a bright run of
    teeth, the two within the gap; where it is widest, his lower teeth and no upper ones
    (at his widest the upper teeth lie in the lip's shadow, as the tool reports over his
    clips). On a profile without a run within the first 30 % from the lip it finds none."""
    sys.path.insert(0, str(ROOT / "tools"))
    import cv2
    from measure_teeth_shown import bright_run, lip_to_lip
    from mouth_eval import decode
    from mouth_frames import inner_gaps

    from engine.face import detect_faces

    frames = decode(grid / "s1" / "video" / "bbaf2n.mp4")
    gaps = []
    for f in frames[::2]:
        lm = detect_faces(f)[0].landmarks[:, :2].astype(np.float64)
        gaps.append((float(inner_gaps(lm[None])[0]), f, lm))

    def runs(pick: tuple) -> tuple[float, float]:
        _, frame, lm = pick
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
        down = lip_to_lip(grey, lm[13], lm[14])
        return bright_run(down), bright_run(down[::-1])

    upper, lower = runs(min(gaps, key=lambda g: abs(g[0] - 0.07)))
    assert 0.0 < upper < 1.0 and 0.0 < lower < 1.0 and upper + lower <= 1.0, (upper, lower)
    widest = max(gaps, key=lambda g: g[0])
    upper, lower = runs(widest)
    assert widest[0] > 0.1 and upper == 0.0 and lower > 0.3, (widest[0], upper, lower)
    flat = np.concatenate([np.full(30, 40.0), np.full(34, 200.0)])  # teeth start at 47 %
    assert bright_run(flat) == 0.0
    # counted from the lip's own edge on (8 % of the 64 samples, 5)
    assert bright_run(flat[::-1]) == pytest.approx((34 - 5) / 63)
