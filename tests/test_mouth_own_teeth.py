"""A portrait's own teeth and tongue at full size (issue 14), on real portraits and clips
(the rest of the mouth: test_mouth_full_size.py).

- Lips that close over a portrait's own teeth meet with their own texture, in a crease,
  not a dotted line; half-way closed, the teeth between them are the portrait's own.
- A portrait that shows only its upper teeth uncovers lower teeth as the jaw drops.
- A mouth caught wide open (a shout), closed by the rest pose and opened again part way,
  shows its own tongue and lower teeth coming up with the jaw, not a dark gap; a mouth
  wide open over its tongue is read as showing its rows of teeth.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.render import PortraitRig, frame_landmarks, render_frame
from engine.render import topology as topo
from engine.render.lips import mouth_normal
from tests.full_size import (
    LUMA,
    jaw,
    motion_track,
    polygon_mask,
    portrait_rig,
    video_frame,
)


def _closing(rig: PortraitRig) -> np.ndarray:
    """``(468, 3)`` at weight 1 the lips meet a third of the way down the portrait's gap:
    the lower lip and chin come up, the upper lip down (as a rest pose closes a mouth)."""
    n = rig.neutral.astype(np.float64)
    d = np.zeros_like(n)
    up, lo = topo.LIPS_INNER_UPPER[1:-1], topo.LIPS_INNER_LOWER[1:-1]
    meet = n[up] + 0.35 * (n[lo] - n[up])
    d[up], d[lo] = meet - n[up], meet - n[lo]
    d[topo.LIPS_OUTER_UPPER[1:-1]] = 0.5 * d[up]
    d[topo.LIPS_OUTER_LOWER[1:-1]] = 0.8 * d[lo]
    d[topo.CHIN] = 0.6 * d[lo].mean(axis=0)
    return d


@pytest.fixture(scope="module")
def s4hq_teeth(grid: Path) -> tuple[np.ndarray, PortraitRig]:
    """GRID s4hq pwip6a, first frame: parted lips over her own (yellowish) teeth."""
    import av

    with av.open(str(grid / "s4hq" / "video" / "pwip6a.mp4")) as c:
        rgb = next(c.decode(c.streams.video[0])).to_ndarray(format="rgb24")
    rig = portrait_rig(rgb)
    assert rig.open_at_rest and rig.keep_teeth
    return rgb, rig


def test_lips_close_over_own_teeth(s4hq_teeth) -> None:
    rgb, rig = s4hq_teeth
    m = motion_track(_closing(rig), [1.0])
    out = render_frame(rig, m, 0)
    # The portrait's opening, shrunk a little: after closing, all lip.
    xy0 = rig.landmarks[:, :2]
    opening = polygon_mask(rgb.shape, xy0[topo.LIPS_INNER])
    k = max(3, int(0.02 * rig.iod) | 1)
    core = cv2.erode(opening.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    central = core & (np.arange(rgb.shape[1])[None, :] > xy0[topo.LIPS_INNER_UPPER[2], 0]) \
        & (np.arange(rgb.shape[1])[None, :] < xy0[topo.LIPS_INNER_UPPER[-3], 0])
    before, after = rgb[central].astype(np.float64), out[central].astype(np.float64)
    lum_before, lum_after = before @ LUMA, after @ LUMA
    # Her yellowish teeth against her red lips: closer to which colour?
    teeth_rgb = np.median(before[lum_before > np.percentile(lum_before, 50)], 0)
    lip = rig.lip_rgb.astype(np.float64)

    def teeth_like(px: np.ndarray) -> float:
        # By chromaticity, so that the shaded crease where the lips meet is lip.
        def chroma(c: np.ndarray) -> np.ndarray:
            return c / np.maximum(c.sum(axis=-1, keepdims=True), 1.0)
        return float((np.linalg.norm(chroma(px) - chroma(teeth_rgb), axis=1)
                      < np.linalg.norm(chroma(px) - chroma(lip), axis=1)).mean())

    assert teeth_like(before) > 0.4  # her teeth were there
    assert teeth_like(after) < 0.05, "teeth still show between the closed lips"
    # Lip-coloured, and no dark slit where the lips meet.
    lab_lip = cv2.cvtColor(rig.lip_rgb.astype(np.uint8)[None, None], cv2.COLOR_RGB2LAB)[0, 0]
    lab_out = cv2.cvtColor(out[central][None].astype(np.uint8), cv2.COLOR_RGB2LAB)[0]
    assert np.abs(np.median(lab_out[:, 1:].astype(float), 0) - lab_lip[1:]).max() < 12
    lip_lum = float(rig.lip_rgb @ LUMA)
    assert np.percentile(lum_after, 5) > 0.55 * lip_lum, (np.percentile(lum_after, 5), lip_lum)


def test_closed_lips_meet_in_a_crease(smile) -> None:
    """Lips closed over a smile's teeth meet in a shaded crease: the teeth do not
    show through the pixel-wide band left between the two contours (6.6 % of its
    pixels brighter than the lips without the crease, 1.6 % with it)."""
    rgb, rig = smile
    m = motion_track(_closing(rig), [1.0])
    out = render_frame(rig, m, 0)
    xy = frame_landmarks(rig, m, 0)
    poly = np.concatenate([xy[topo.LIPS_INNER_UPPER], xy[topo.LIPS_INNER_LOWER][::-1]])
    band = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(band, [np.round(poly * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    band = cv2.dilate(band, np.ones((3, 3), np.uint8)).astype(bool)
    xs = np.arange(rgb.shape[1])[None, :]
    band &= (xs > xy[topo.LIPS_INNER_UPPER[2], 0]) & (xs < xy[topo.LIPS_INNER_UPPER[-3], 0])
    lum = out[band].astype(np.float64) @ LUMA
    lip = float(rig.lip_rgb @ LUMA)
    assert band.sum() > 100
    assert float((lum > 1.1 * lip).mean()) < 0.03
    assert float(lum.mean()) < lip


def test_rest_pose_closes_teeth_into_a_crease_not_a_dotted_line(s4hq_teeth) -> None:
    """The app's rest pose closes her parted lips to closed lips' gap (0.009-0.014 IOD,
    not to nothing), and the crease where they meet is drawn in full there: her teeth,
    squeezed between the two contours, do not show as a row of dots (the crease's
    roughness 0.86 luma levels; 2.62 when the crease faded out from 0.010 IOD and the rest
    pose's lips got a third to two thirds of it; her still's lip line 9.99)."""
    from engine.motion.rest import CLOSED_GAP, rest_offset
    from engine.render.closed_lips import SEAL_SHUT
    from tests.full_size import crease_roughness

    assert SEAL_SHUT[0] >= CLOSED_GAP.max()

    rgb, rig = s4hq_teeth
    m = motion_track(rest_offset(rig.neutral), [1.0])
    out = render_frame(rig, m, 0)
    xy = frame_landmarks(rig, m, 0)
    gap = float(np.linalg.norm(xy[13, :2] - xy[14, :2])) / rig.iod
    assert 0.005 < gap < 0.016, gap
    assert crease_roughness(out, xy) < 1.5


def test_half_closed_shows_own_teeth_unpainted(s4hq_teeth) -> None:
    """Half-way closed, the lips cover the teeth's edges; what shows between them is
    the portrait's own teeth where they were (the teeth stay with the head)."""
    rgb, rig = s4hq_teeth
    m = motion_track(_closing(rig), [0.5])
    out = render_frame(rig, m, 0)
    xy = frame_landmarks(rig, m, 0)
    gap = polygon_mask(rgb.shape, xy[topo.LIPS_INNER])
    k = max(3, int(0.02 * rig.iod) | 1)
    gap = cv2.erode(gap.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    assert gap.sum() > 50
    diff = np.abs(out[gap].astype(np.float64) - rgb[gap].astype(np.float64)).mean()
    assert diff < 10.0, diff


def test_dropping_lip_uncovers_lower_teeth(s4hq_teeth, monkeypatch) -> None:
    """Her portrait shows upper teeth only: as her jaw drops, lower teeth in her own
    teeth's colour rise behind the lower lip (GRID s1's shape), not a black hole."""
    from engine.render import own_teeth

    rgb, rig = s4hq_teeth
    assert rig.mouth_split[3:6].min() > 0.9  # no lower teeth of her own in the middle
    m = motion_track(jaw(), [0.1])
    xy = frame_landmarks(rig, m, 0)
    # Just above the lower inner lip, across the middle of the mouth.
    lip = xy[topo.LIPS_INNER_LOWER[3:-3]]
    band = np.concatenate([lip, lip[::-1] - [0.0, 0.025 * rig.iod]])
    inside = polygon_mask(rgb.shape, band)
    assert inside.sum() > 30
    out = render_frame(rig, m, 0)[inside].astype(np.float64)
    teeth, cavity = rig.teeth_rgb.astype(np.float64), rig.cavity_rgb.astype(np.float64)
    closer = np.linalg.norm(out - teeth, axis=1) < np.linalg.norm(out - cavity, axis=1)
    assert closer.mean() > 0.6, closer.mean()
    monkeypatch.setattr(own_teeth, "bank", lambda: None)
    hole = render_frame(rig, m, 0)[inside].astype(np.float64)
    assert (hole @ LUMA).mean() < (out @ LUMA).mean() - 15.0


@pytest.mark.parametrize("clip, frame", [("1001_DFA_ANG_XX", 36), ("1001_DFA_FEA_XX", 33)])
def test_shout_closing_part_way_shows_its_own_tongue(grid: Path, clip: str, frame: int) -> None:
    """CREMA-D 1001 at his widest, shouting (ANG, frame 36) and afraid (FEA, 33): no
    upper teeth show, only a dark mouth over his tongue and lower teeth. The rest pose
    closes his jaw; opened again part way (0.11 IOD), his tongue and lower teeth come up
    with the jaw into the dark, as the real video shows them: 4 % of the opening nearer
    his dark than his tongue, on both. Before, the dark stayed with his head in front of
    them and filled half the opening (ANG 50 %); and FEA's darkest line, between his
    tongue and his lower teeth, gave his tongue to his head, squeezed with the dark into
    the opening (23 %)."""
    from engine.motion.rest import rest_offset

    rgb = video_frame(grid.parent / "crema-d" / "1001" / "video" / f"{clip}.mp4", frame)
    rig = portrait_rig(rgb)
    assert rig.keep_teeth and float(rig.rest_gap[3:6].mean()) > 0.25
    assert rig.teeth_end[3:6].max() < 0.1  # no upper teeth of his own in the middle
    # The app's rest pose (his jaw up, his lips closed), opened again by the jaw.
    m = motion_track(rest_offset(rig.neutral) + 0.1 * jaw(), [1.0])
    xy = frame_landmarks(rig, m, 0)
    gap = (xy[14, :2] - xy[13, :2]) @ mouth_normal(xy) / rig.iod
    assert 0.07 < gap < 0.13, gap
    opening = polygon_mask(rgb.shape, xy[topo.LIPS_INNER])
    xs = np.arange(rgb.shape[1])[None, :]
    opening &= (xs > xy[topo.LIPS_INNER_UPPER[3], 0]) & (xs < xy[topo.LIPS_INNER_UPPER[-4], 0])
    assert opening.sum() > 30
    lum = render_frame(rig, m, 0)[opening].astype(np.float64) @ LUMA
    dark = float(rig.cavity_rgb @ LUMA)
    own = polygon_mask(rgb.shape, rig.landmarks[topo.LIPS_INNER, :2])
    tongue = float(np.percentile(rgb[own].astype(np.float64) @ LUMA, 60))
    share = float((lum < dark + 0.5 * (tongue - dark)).mean())
    assert share < 0.2, share


@pytest.mark.parametrize("clip, frame, teeth", [
    ("crema-d/1001/video/1001_DFA_HAP_XX.mp4", 28, True),
    ("crema-d/1001/video/1001_DFA_FEA_XX.mp4", 33, True),
    ("grid/s33/video/bwwy3s.mp4", 27, False),
])
def test_a_mouth_wide_open_over_its_tongue_shows_its_teeth(grid: Path, clip: str, frame: int,
                                                           teeth: bool) -> None:
    """CREMA-D 1001 at his widest, laughing and afraid: rows of upper and lower teeth round
    a large tongue, 0.12 and 0.11 of the opening (under the 0.15 a smile's teeth fill) but
    rows 0.028 and 0.024 IOD tall. They are his own teeth, kept and moved with his jaw,
    not a dark gap. GRID s33's parted lips over a dark mouth show none."""
    rgb = video_frame(grid.parent / clip, frame)
    rig = portrait_rig(rgb)
    assert rig.open_at_rest
    assert rig.keep_teeth is teeth


def test_opening_past_parted_lips_shows_upper_teeth_not_a_hole(grid: Path) -> None:
    """CREMA-D 1001 mid-word (NEU, frame 21): lips parted 0.08 IOD over his lower teeth, his
    upper lip over his upper teeth. Opened further (0.19 IOD), his upper teeth show under
    the lip (GRID s1's, in his light) and the mouth behind them is a shaded cavity: band
    luma 146 under the lip and no pixel of the opening under 30. Before, the gap was his
    darkest tenth, black (luma 17 under the lip; 61 % of the opening under 30)."""
    rgb = video_frame(grid.parent / "crema-d" / "1001" / "video" / "1001_DFA_NEU_XX.mp4", 21)
    rig = portrait_rig(rgb)
    assert rig.keep_teeth and float((rig.teeth_end * rig.rest_gap)[3:6].max()) < 0.01
    m = motion_track(jaw(), [0.1])
    xy = frame_landmarks(rig, m, 0)
    gap = (xy[14, :2] - xy[13, :2]) @ mouth_normal(xy) / rig.iod
    assert 0.15 < gap < 0.25, gap
    out = render_frame(rig, m, 0)
    lip = xy[topo.LIPS_INNER_UPPER[3:-3]]
    under = polygon_mask(rgb.shape, np.concatenate([lip + [0.0, 0.005 * rig.iod],
                                                    lip[::-1] + [0.0, 0.03 * rig.iod]]))
    assert under.sum() > 20
    assert float((out[under].astype(np.float64) @ LUMA).mean()) > 80.0
    inside = out[polygon_mask(rgb.shape, xy[topo.LIPS_INNER])].astype(np.float64) @ LUMA
    assert float((inside < 30.0).mean()) < 0.1


def test_teeth_under_a_dark_band_are_the_lower_ones(grid: Path) -> None:
    """CREMA-D 1001 mid-word (NEU, frame 32): under his upper lip a dark band (luma 44 to
    57, a quarter of his teeth's 176) reaches 0.28-0.34 of the way down, then teeth down
    to the lower lip: his lower teeth, his upper lip over the upper ones. They are the
    jaw's and part from the dark at their top; no upper teeth. Opened to 0.23 IOD, the dark
    stays under the upper lip (luma 74 from a tenth to 0.3 of the way down the gap) and the
    teeth come down with the jaw (174 from 0.6 to 0.8), as in the clip's own widest frame
    (frame 35, 0.21 IOD: 36 and 183). Before, they were read as upper teeth (split 0.72 in
    the middle, 0.31-0.34 at the corners): they stayed under the upper lip (142), a brown
    cavity opened under them (108) with GRID s1's upper teeth slanting down at its sides."""
    rgb = video_frame(grid.parent / "crema-d" / "1001" / "video" / "1001_DFA_NEU_XX.mp4", 32)
    rig = portrait_rig(rgb)
    assert rig.keep_teeth
    assert np.all(rig.teeth_end == 0.0)
    assert np.all((rig.mouth_split > 0.2) & (rig.mouth_split < 0.4)), rig.mouth_split
    m = motion_track(jaw(), [0.1])
    xy = frame_landmarks(rig, m, 0)
    out = render_frame(rig, m, 0)
    under, low = (_across_gap(out, xy, rig.iod, t0, t1) for t0, t1 in ((0.1, 0.3), (0.6, 0.8)))
    assert under < 100.0 and low > 150.0, (under, low)


def _across_gap(out: np.ndarray, xy: np.ndarray, iod: float, t0: float, t1: float) -> float:
    """Mean luma of ``out`` from ``t0`` to ``t1`` of the way from the upper inner lip's
    middle to the lower's, over five columns 0.03 IOD apart along the mouth."""
    n = mouth_normal(xy)
    along = np.array([n[1], -n[0]]) * 0.03 * iod
    a, b = xy[13, :2], xy[14, :2]
    pts = [a + t * (b - a) + k * along for t in np.linspace(t0, t1, 5) for k in range(-2, 3)]
    return float(np.mean([out[int(round(p[1])), int(round(p[0])), :3].astype(np.float64) @ LUMA
                          for p in pts]))


def test_opening_past_a_dark_mouth_shows_teeth_at_both_lips(grid: Path) -> None:
    """CREMA-D 1001 smiling (HAP, frame 0): lips parted 0.09 IOD over the dark of his
    mouth, no teeth. Opened to 0.18 IOD, the teeth behind his lips show right under the
    upper lip and over the lower one (luma 171 and 196 from a tenth to 0.3 of the way
    down the gap and from 0.6 to 0.8), and the dark of the mouth lies between them (53).
    Before, his lips' shadow hung under the upper lip with the teeth laid below it, in
    mid-air (98 under the lip, 152 in the middle)."""
    rgb = video_frame(grid.parent / "crema-d" / "1001" / "video" / "1001_DFA_HAP_XX.mp4", 0)
    rig = portrait_rig(rgb)
    assert rig.open_at_rest and not rig.keep_teeth
    m = motion_track(jaw(), [0.1])
    xy = frame_landmarks(rig, m, 0)
    gap = (xy[14, :2] - xy[13, :2]) @ mouth_normal(xy) / rig.iod
    assert 0.15 < gap < 0.25, gap
    out = render_frame(rig, m, 0)
    upper, middle, lower = (_across_gap(out, xy, rig.iod, t0, t1)
                            for t0, t1 in ((0.1, 0.3), (0.35, 0.5), (0.6, 0.8)))
    assert upper > 140.0 and lower > 140.0
    assert middle < 0.5 * min(upper, lower)


def test_the_mouth_is_dark_behind_its_own_upper_teeth(s4hq_teeth) -> None:
    """s4hq's own upper teeth, her jaw dropped to a gap of 0.24 IOD (wider than she
    opens: *Mouth* 2 to 3): right under their biting edges the mouth is dark (luma 34
    from 0.35 to 0.6 of the way down the gap), not a band of s1's lit cavity brown that
    darkened downwards, away from the teeth (62; ``own_teeth._cavity``)."""
    _, rig = s4hq_teeth
    m = motion_track(jaw(), [0.15])
    xy = frame_landmarks(rig, m, 0)
    gap = (xy[14, :2] - xy[13, :2]) @ mouth_normal(xy) / rig.iod
    assert 0.2 < gap < 0.3, gap
    out = render_frame(rig, m, 0)
    teeth, under = (_across_gap(out, xy, rig.iod, t0, t1) for t0, t1 in ((0.05, 0.25),
                                                                        (0.35, 0.6)))
    assert teeth > 110.0, teeth
    assert under < 45.0, under


def test_teeth_shown_in_a_blurred_mouth_open_as_one_row(grid: Path) -> None:
    """GRID s34 lbwh5n, frame 41 at 1024 px: lips parted over her upper and lower teeth,
    blurred. Beside the middle, where upper teeth reach 0.91 of the gap, a shadow read as a
    dark band over lower teeth (0.34 at two columns): as the jaw dropped the teeth went
    down with it on that side and stayed up on the other, and the mouth tore open on a
    slant. The upper teeth are one row (``lips._one_row``): the gap's darkest point lies
    as deep at 0.3 and at 0.7 of the way along the mouth (0.55 of the gap both; 0.55 and
    0.15 before)."""
    rgb = video_frame(grid / "s34" / "video" / "lbwh5n.mp4", 41)
    h, w = rgb.shape[:2]
    rgb = cv2.resize(rgb, (round(w * 1024 / max(h, w)), round(h * 1024 / max(h, w))),
                     interpolation=cv2.INTER_CUBIC)
    rig = portrait_rig(rgb)
    assert rig.keep_teeth
    assert float(np.ptp(rig.mouth_split[1:-1])) < 0.2, rig.mouth_split
    m = motion_track(jaw(), [0.1])
    xy = frame_landmarks(rig, m, 0)
    out = render_frame(rig, m, 0)
    t = np.linspace(0.05, 0.95, 10)
    darkest = []
    for k in (3, 7):
        a, b = xy[topo.LIPS_INNER_UPPER[k], :2], xy[topo.LIPS_INNER_LOWER[k], :2]
        luma = [out[int(round(p[1])), int(round(p[0])), :3].astype(np.float64) @ LUMA
                for p in (a + s * (b - a) for s in t)]
        darkest.append(float(t[int(np.argmin(luma))]))
    assert abs(darkest[0] - darkest[1]) < 0.2, darkest


def _closed_at_rest(video: Path, frame: int) -> tuple[PortraitRig, np.ndarray, np.ndarray]:
    """``(rig, out, xy)``: a video's frame that shows its teeth, scaled to 1024 px, rigged,
    and rendered closed by the app's rest pose (``(h, w, 3) uint8``, ``(468, 2)`` pixels)."""
    from engine.motion.rest import rest_depth, rest_offset

    rgb = video_frame(video, frame)
    scale = 1024 / max(rgb.shape[:2])
    rig = portrait_rig(cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))
    assert rig.open_at_rest and rig.keep_teeth
    offset = rest_offset(rig.neutral)
    m = motion_track(offset + rest_depth(rig.neutral + offset), [1.0])
    return rig, render_frame(rig, m, 0), frame_landmarks(rig, m, 0)[:, :2]


@pytest.mark.parametrize("clip, frame", [("1001_DFA_HAP_XX", 28), ("1001_DFA_FEA_XX", 33)])
def test_closed_lips_carry_no_row_of_teeth(grid: Path, clip: str, frame: int) -> None:
    """CREMA-D 1001 caught smiling and afraid with his teeth showing, at 1024 px, closed
    by the app's rest pose: the tracker's lower inner-lip contour lies a few pixels inside
    his teeth, and the lower lip carried their tips up to the crease as a row of light
    bumps. The rim of his lower lip (0.02 IOD under the contour, its middle) holds no
    pixels lighter than his lips by 15 % or greener (58 of 238 and 48 of 210 before; none
    now)."""
    rig, out, xy = _closed_at_rest(
        grid.parent / "crema-d" / "1001" / "video" / f"{clip}.mp4", frame)
    lower = xy[topo.LIPS_INNER_LOWER][2:-2]
    rim = polygon_mask(out.shape, np.concatenate([lower, lower[::-1] + [0, 0.02 * rig.iod]]))
    px = out[rim][:, :3].astype(np.float64)
    lip = rig.lip_rgb.astype(np.float64)
    light = px @ LUMA > 1.15 * float(lip @ LUMA)
    greener = px[:, 1] / np.maximum(px[:, 0], 1.0) > lip[1] / lip[0] + 0.12
    assert rim.sum() > 150
    assert float((light | greener).mean()) < 0.03, ((light | greener).sum(), rim.sum())


@pytest.mark.parametrize("clip", ["lbaq3p", "pgbq8s"])
def test_closed_lower_lip_is_out_of_the_open_mouths_shade(grid: Path, clip: str) -> None:
    """GRID s4hq smiling over her teeth (first frames at 1024 px), closed by the app's rest
    pose: the inner part of her lower lip, in the shade of her open mouth in the portrait,
    came up with the lip as a brown band under the crease (0.78 and 0.79 of the lip's
    lightness 0.01-0.03 IOD under the inner contour, against its body's, along the
    middle two fifths of the mouth). Real closed lips read 0.87 there (GRID s1's and s4hq's
    most closed frames; ``closed_lips.CREASE_SHADE``), and hers now 0.88 and 0.88."""
    rig, out, xy = _closed_at_rest(grid / "s4hq" / "video" / f"{clip}.mp4", 0)
    inner, outer = xy[topo.LIPS_INNER_LOWER][3:-3], xy[topo.LIPS_OUTER_LOWER][3:-3]
    down = np.array([0.0, rig.iod])
    rim = polygon_mask(out.shape, np.concatenate([inner + 0.01 * down,
                                                  inner[::-1] + 0.03 * down]))
    body = polygon_mask(out.shape, np.concatenate([inner + 0.55 * (outer - inner),
                                                   (inner + 0.9 * (outer - inner))[::-1]]))
    assert rim.sum() > 200 and body.sum() > 200
    lum = out[..., :3].astype(np.float64) @ LUMA
    ratio = float(np.median(lum[rim]) / np.median(lum[body]))
    assert 0.83 < ratio < 0.95, ratio
