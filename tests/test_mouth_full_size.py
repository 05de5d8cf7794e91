"""The mouth at full size (issue 14), on real portraits and clips (a portrait's own teeth
and tongue: test_mouth_own_teeth.py; the eyes: test_eyes_full_size.py; the inside in the
portrait's light: test_mouth_light.py).

- A portrait with closed lips opens onto GRID s1's real interior, wider than s1 ever
  opens onto a cavity and tongue, tapering into the corners.
- The metrics of ``engine.render_eval`` (SSIM, CIEDE2000) on known values,
  and the mouth measurement of ``tools/mouth_eval.py`` on two validation clips;
  GRID s1's teeth as sharp as the sharpest real video's.
- A painted smile whose lip contours the tracker crosses opens as far as a photo.

Drawn mouths (cartoons, clip art, a face placed by hand on a drawing): test_drawn_mouths.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.render import frame_landmarks, render_frame
from engine.render import topology as topo
from engine.render.lips import mouth_normal
from engine.render_eval import delta_e2000, inner_mouth_lab, ssim
from tests.full_size import (
    LUMA,
    ROOT,
    grace_hopper_1024,
    jaw,
    motion_track,
    polygon_mask,
    portrait_rig,
    video_frame,
)


def test_closed_portrait_opens_onto_a_real_interior(closed_lips, monkeypatch) -> None:
    """A portrait with closed lips: teeth from GRID s1 in the portrait's light, not paint."""
    from engine.render import mouth

    rgb, rig = closed_lips
    assert not rig.open_at_rest
    m = motion_track(jaw(), [0.14])
    xy = frame_landmarks(rig, m, 0)
    inside = polygon_mask(rgb.shape, xy[topo.LIPS_INNER])
    out = render_frame(rig, m, 0)
    px = out[inside].astype(np.float64)
    skin_lum = float(rig.skin_rgb @ LUMA)
    assert 0.2 * skin_lum < float((px @ LUMA).mean()) < 0.9 * skin_lum
    assert float((px @ LUMA).std()) > 8.0  # teeth, gaps and shade: not a flat band
    assert np.all(np.median(px, 0)[:2] >= np.median(px, 0)[1:])  # warm like her light: R>=G>=B
    monkeypatch.setattr(mouth, "bank", lambda: None)  # the flat paint it replaced
    assert not np.array_equal(render_frame(rig, m, 0), out)


def test_wide_mouth_shows_cavity_and_tongue(closed_lips) -> None:
    """Opened wider than GRID s1 ever opens (0.31 IOD, he reaches 0.14), a closed-lipped
    portrait's mouth is not a wall of his teeth over a flat cavity: the middle of the gap
    is dark (deep in the mouth), and under it the tongue, lighter and redder than the
    teeth, rises behind the lower teeth."""
    rgb, rig = closed_lips
    m = motion_track(jaw(), [0.3])
    xy = frame_landmarks(rig, m, 0).astype(np.float64)
    assert np.linalg.norm(xy[14] - xy[13]) / np.linalg.norm(xy[263] - xy[33]) > 0.28
    out = render_frame(rig, m, 0)
    ys, xs = np.nonzero(polygon_mask(rgb.shape, xy[topo.LIPS_INNER]))
    pts = np.stack([xs, ys], 1).astype(np.float64)
    normal = mouth_normal(xy)
    rel = (pts - xy[13]) @ normal / ((xy[14] - xy[13]) @ normal)  # 0 upper lip .. 1 lower
    axis = (xy[291] - xy[61]) / np.linalg.norm(xy[291] - xy[61])
    centre = np.abs((pts - 0.5 * (xy[13] + xy[14])) @ axis) < 0.25 * np.linalg.norm(
        xy[291] - xy[61])
    px = out[ys, xs].astype(np.float64)
    lum = px @ LUMA

    def band(lo: float, hi: float) -> np.ndarray:
        return centre & (rel > lo) & (rel < hi)

    teeth, middle, tongue = band(0.02, 0.15), band(0.4, 0.6), band(0.6, 0.8)
    skin = float(rig.skin_rgb @ LUMA)
    # Before: a flat cavity of s1's colour, 0.34 of the skin's lightness, and no tongue.
    assert np.median(lum[middle]) < 0.2 * skin
    assert np.median(lum[tongue]) > 1.8 * np.median(lum[middle])

    def redness(sel: np.ndarray) -> float:
        return float(np.median(px[sel, 0] / np.maximum(px[sel, 1], 1.0)))

    assert redness(tongue) > redness(teeth) + 0.3


def test_ssim_and_ciede2000_reference_values() -> None:
    img = (np.random.default_rng(0).random((72, 106)) * 255).astype(np.uint8)
    assert ssim(img, img) == pytest.approx(1.0)
    assert ssim(img, np.roll(img, 3, axis=1)) < 0.3
    # Sharma, Wu and Dalal (2005), test pairs 1, 7 and 17.
    assert delta_e2000(np.array([50, 2.6772, -79.7751]), np.array([50, 0, -82.7485])) == \
        pytest.approx(2.0425, abs=1e-4)
    assert delta_e2000(np.array([50, 0, 0]), np.array([50, -1, 2])) == \
        pytest.approx(2.3669, abs=1e-4)
    assert delta_e2000(np.array([50, 2.5, 0]), np.array([73, 25, -18])) == \
        pytest.approx(27.1492, abs=1e-4)
    white = np.full((20, 20, 3), 255, np.uint8)
    lm = np.zeros((468, 2))
    lm[topo.LIPS_INNER] = [[2 + 16 * np.cos(a), 10 + 6 * np.sin(a)] for a in
                           np.linspace(0, 2 * np.pi, 20, endpoint=False)]
    assert inner_mouth_lab(white, lm)[0] == pytest.approx(100.0, abs=0.01)


def test_inside_flicker_reference_values() -> None:
    """Steady change (a still or a linear fade) reads 0; one frame 10 levels brighter
    reads 10, 20 and 10 on the frames around it; no frame with enough of an inside, None."""
    from engine.render_eval import inside_flicker

    inside = [np.ones((4, 4), bool)] * 5
    ramp = [np.full((4, 4), 100.0 + 3 * t) for t in range(5)]
    assert inside_flicker(ramp, inside, min_pixels=4) == (0.0, 0.0)
    pop = [np.full((4, 4), 100.0) for _ in range(5)]
    pop[2] = pop[2] + 10.0
    mean, worst = inside_flicker(pop, inside, min_pixels=4)
    assert mean == pytest.approx(40.0 / 3.0) and worst == pytest.approx(20.0)
    assert inside_flicker(pop, [np.zeros((4, 4), bool)] * 5) is None


def test_rendered_inside_steady_through_a_breath(grid: Path, tmp_path_factory) -> None:
    """GRID s4hq sgav2s, the app's own motion: she breathes audibly just before her first
    word. Over the whole clip the rendered inside of the mouth changes from frame to frame
    less than her real one (second difference in time, mean 4.2 against 9.2 grey levels),
    and its worst frame no more than her worst (20.6 against 30.2). Before the pause gate's
    fade stopped at silence proper, the lips parted for the breath, shut for a frame and
    parted again, and her teeth flashed: 34.6."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import eval_clip

    r = eval_clip(grid / "s4hq/video/sgav2s.mp4", ["gan"], tmp_path_factory.mktemp("cache"))
    real_mean, real_worst = r["real_flicker"]
    assert r["gan"]["flicker"] < real_mean, r
    assert r["gan"]["flicker_max"] < real_worst, r


@pytest.mark.parametrize("clip", ["s34/video/lbwh5n.mp4", "s30/video/pgbb4s.mp4"])
def test_rendered_mouth_closer_to_real_than_still(grid: Path, tmp_path_factory, clip) -> None:
    """The real video's tracked face replayed on its first frame: at the frames where
    the real mouth is widest, the render's mouth is closer to the real frame than the
    still portrait's, and its inner colour within CIEDE2000 12 of the real one."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import eval_clip

    r = eval_clip(grid / clip, ["oracle"], tmp_path_factory.mktemp("cache"))
    assert r["oracle"]["gain"] > 0.0, r
    assert r["oracle"]["de"] is not None and r["oracle"]["de"] < 12.0, r
    # Not a flat band: the lightness inside the lips spreads at least 0.45 as far as the
    # real mouth's (0.60 and 0.50 here; 0.51 and 0.44 without restore_contrast).
    assert r["oracle"]["contrast"] is not None and r["oracle"]["contrast"] > 0.45, r
    # As steady from frame to frame as the real mouth (rendered over real 0.63 and 0.37).
    assert r["oracle"]["flicker"] < r["real_flicker"][0], r


def test_teeth_as_sharp_as_the_sharpest_real_video(grid: Path, tmp_path_factory,
                                                   monkeypatch) -> None:
    """s4hq's video (720x576) is the sharpest here: her real motion replayed on three of
    her closed-lipped first frames, GRID s1's teeth at her widest frames carry as much
    fine detail as her real mouth does (rendered over real 1.09 / 1.26 / 0.98, median
    1.09; 0.94 / 1.06 / 0.86 before the strips were sharpened), without the halos of
    over-sharpening (under 1.5)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import eval_clip

    from engine.render import interior

    cache = tmp_path_factory.mktemp("cache")
    clips = ["bbilzs", "bbwgza", "bgim8s"]
    detail = [eval_clip(grid / "s4hq" / "video" / f"{c}.mp4", ["oracle"], cache)["oracle"]
              ["detail"] for c in clips]
    assert 1.0 <= float(np.median(detail)) < 1.5, detail
    # ... and the unsharpened strips do not reach it (the check can fail).
    monkeypatch.setattr(interior, "SHARPEN", 0.0)
    interior.bank.cache_clear()
    try:
        soft = eval_clip(grid / "s4hq" / "video" / f"{clips[0]}.mp4", ["oracle"], cache)
    finally:
        interior.bank.cache_clear()
    assert soft["oracle"]["detail"] < detail[0] - 0.05, (soft["oracle"]["detail"], detail)


def test_mouth_patches_registered_by_one_tracker(grid: Path, tmp_path_factory) -> None:
    """The real frame, the still and the render are cut with the same tracker's landmarks:
    compared at the first frame itself, the still and the unmoved render are the real
    frame (cut with the portrait analysis's landmarks instead, the same pixels scored
    0.67 on CREMA-D NEU and 0.89 on s4hq sgbc3n)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mouth_eval import eval_clip

    r = eval_clip(grid / "s4hq/video/sgbc3n.mp4", ["oracle"], tmp_path_factory.mktemp("cache"),
                  picks=[0])
    assert r["still"]["ssim"] == pytest.approx(1.0, abs=1e-9), r
    assert r["oracle"]["ssim"] > 0.999, r


def test_interior_contrast_restored_about_its_mean() -> None:
    """The lightness spread grows by the factor, the weighted mean lightness and each
    pixel's channel ratios stay."""
    from engine.render.mouth_light import restore_contrast

    rng = np.random.default_rng(1)
    color = (40 + 120 * rng.random((30, 40, 1)) * np.array([1.0, 0.8, 0.6])).astype(np.float32)
    weight = rng.random((30, 40)).astype(np.float32)
    before = color.copy()
    restore_contrast(color, weight, 1.2)
    y0, y1 = before @ LUMA, color @ LUMA
    mean = float((y0 * weight).sum() / weight.sum())
    assert float((y1 * weight).sum() / weight.sum()) == pytest.approx(mean, rel=1e-4)
    assert np.allclose(y1 - mean, 1.2 * (y0 - mean), atol=1e-2)
    assert np.allclose(color[..., 1] / color[..., 0], before[..., 1] / before[..., 0], atol=1e-4)


def test_wide_mouth_inside_tapers_into_its_corners(closed_lips) -> None:
    """The painted inside of a wide mouth follows its lips into the corners: where the
    lips are still far apart near a corner it is fully painted (it used to fade over the
    last 8 % of the width whatever the gap, which cut a wide mouth off square), and where
    they come together at the corner it fades with them."""
    from engine.render.mouth import paint_mouth
    from engine.render.pose import frame_vertices, head_landmarks

    rgb, rig = closed_lips
    m = motion_track(jaw(), [0.2])
    xy = frame_landmarks(rig, m, 0).astype(np.float64)
    verts, _ = frame_vertices(rig, xy, head_landmarks(rig, m, 0))
    iod = float(np.linalg.norm(xy[263] - xy[33]))
    canvases = []
    for level in (0, 255):      # alpha from two plain canvases: out = a * paint + (1 - a) * bg
        out = np.full(rgb.shape, level, np.uint8)
        paint_mouth(out, rig, verts, iod)
        canvases.append(out[..., :3].astype(np.float64))
    alpha = 1.0 - (canvases[1] - canvases[0]).mean(axis=2) / 255.0
    ys, xs = np.nonzero(polygon_mask(rgb.shape, xy[topo.LIPS_INNER]))
    pts = np.stack([xs, ys], 1).astype(np.float64)
    c0, c1 = xy[topo.LIPS_INNER_UPPER[0]], xy[topo.LIPS_INNER_UPPER[-1]]
    u = (pts - c0) @ (c1 - c0) / float(np.sum((c1 - c0) ** 2))
    a = alpha[ys, xs]
    near = ((u > 0.03) & (u < 0.05)) | ((u > 0.95) & (u < 0.97))
    middle = (u > 0.4) & (u < 0.6)
    assert near.sum() > 20 and np.median(a[middle]) > 0.95
    assert np.median(a[near]) > 0.9 * np.median(a[middle])       # 1.0 (0.46 before)
    # at the corners themselves the lips meet, and the inside fades with them
    corner = (u < 0.01) | (u > 0.99)
    assert corner.sum() >= 5 and np.median(a[corner]) < 0.5


def test_inner_mouth_corners_and_dark_tell_a_real_mouth_from_a_flat_band(grid: Path) -> None:
    """How dark the inside is towards its corners over its middle
    (``engine.render_eval.inner_mouth_corners``): a real shout, CREMA-D 1001's angry line
    at its widest frame, reads about half (0.48), and still 0.45 where its lips meet
    (beyond 0.85); the same mouth filled with one flat colour, a mouth guard, reads 1. The
    darkest tenth of its inside (``inner_mouth_dark``) is near black, CIELAB L* 8.7; the
    flat fill's is its own colour's, 41.5. (Rendered mouths against the real ones:
    test_mouth_light.py, ``test_inside_as_light_as_the_real_mouth``.)"""
    from engine.face import detect_faces
    from engine.render_eval import inner_mouth_corners, inner_mouth_dark

    video = grid.parent / "crema-d" / "1001" / "video" / "1001_DFA_ANG_XX.mp4"
    real = video_frame(video, 36)
    lm = detect_faces(real)[0].landmarks
    shout = inner_mouth_corners(real, lm)
    assert shout is not None and 0.35 < shout < 0.6, shout
    tips = inner_mouth_corners(real, lm, 0.85)
    assert tips is not None and 0.3 < tips < 0.6, tips
    dark = inner_mouth_dark(real, lm)
    assert dark is not None and dark < 15.0, dark
    flat = real.copy()
    inside = polygon_mask(real.shape, lm[topo.LIPS_INNER, :2])
    flat[inside] = np.median(real[inside], axis=0)
    assert inner_mouth_corners(flat, lm) == pytest.approx(1.0, abs=0.02)
    assert inner_mouth_dark(flat, lm) > dark + 25.0


def test_a_painted_smile_opens_as_far_as_a_photo(grid: Path) -> None:
    """The Mona Lisa's closed smile, whose inner lip contours the tracker draws crossed
    (0.02 IOD), speaks an unseen voice (GRID s33) with its lips parting as far as the
    astronaut photo's: the rig parts the contours to closed lips' usual gap first.
    Measured p90 of the rendered opening over the astronaut's: 0.96 (0.52 before). At
    rest the render is the painting itself (before, 67 pixels of her lip line differed
    by up to 13 levels)."""
    from engine import Animation, analyse_audio, load_audio
    from engine.analysis import analyse_portrait
    from engine.media.image import load_image
    from engine.motion.rest import CLOSED_GAP, TOLERANCE, lip_gaps

    audio = analyse_audio(load_audio(grid / "s33" / "audio" / "bwwy3s.flac"))
    p90 = {}
    for name in ("mona_lisa.png", "astronaut.png"):
        p = analyse_portrait(load_image(ROOT / "assets" / "samples" / name))
        assert np.all(lip_gaps(p.rig.neutral) > CLOSED_GAP - TOLERANCE - 1e-6), name
        still = render_frame(p.rig, motion_track(np.zeros((468, 3)), [0.0]), 0)
        assert np.array_equal(still[..., :3], p.image.rgb), name
        anim = Animation(p, audio)
        xy = [frame_landmarks(p.rig, anim.motion, i) for i in range(anim.frame_count)]
        gap = [np.linalg.norm(f[13, :2] - f[14, :2]) / p.rig.iod for f in xy]
        p90[name] = float(np.percentile(gap, 90))
    assert p90["mona_lisa.png"] > 0.8 * p90["astronaut.png"], p90


def test_teeth_as_soft_as_the_picture(grid: Path) -> None:
    """At 1024 px, s1's teeth laid in a dropped jaw read as soft as the picture's own
    edges around the mouth (``PortraitRig.blur``; ``tools/teeth_detail.py`` reads both):
    Grace Hopper's sharp photo 1.01 against 0.97 pixels (1.58 before the fine copies),
    the Mona Lisa's sfumato 1.37 against 1.47 (0.99 before), GRID s33's video still
    scaled up 2.8 times 1.76 against 2.15 (1.43 before). With the picture's softness
    ignored (taken as a sharp photo's), s33's teeth read 1.01: the check can fail."""
    import dataclasses

    sys.path.insert(0, str(ROOT / "tools"))
    from teeth_detail import teeth_blur

    from engine.media.image import load_image

    def at_1024(rgb: np.ndarray) -> np.ndarray:
        f = 1024 / max(rgb.shape[:2])
        return cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)

    s33 = video_frame(grid / "s33" / "video" / "bwwy3s.mp4", 0)
    mona = load_image(ROOT / "assets" / "samples" / "mona_lisa.png").rgb
    motion = motion_track(jaw(), [0.0, 0.06])
    for name, rgb in (("hopper", grace_hopper_1024()), ("mona", mona), ("s33", s33)):
        rig = portrait_rig(at_1024(rgb))
        teeth = teeth_blur(render_frame(rig, motion, 1), frame_landmarks(rig, motion, 1))
        assert teeth is not None and 0.7 * rig.blur < teeth < 1.15 * rig.blur, \
            (name, teeth, rig.blur)
    sharp = dataclasses.replace(rig, blur=1.0)
    teeth = teeth_blur(render_frame(sharp, motion, 1), frame_landmarks(sharp, motion, 1))
    assert teeth is not None and teeth < 0.6 * rig.blur, (teeth, rig.blur)
