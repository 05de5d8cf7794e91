"""Speech motion on real data: the rest pose of a portrait caught mid-word, pitch, prosodic
accents, and the head and brow motion that follows them (GRID and CREMA-D clips)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from engine.audio.phones import recognise_phones
from engine.audio.pitch import semitones, yin
from engine.audio.voice import Voice
from engine.media.audio import load_audio
from engine.model import evaluation as ev
from engine.motion import rest
from engine.motion.head import speech_head

ROOT = Path(__file__).resolve().parents[1]

FPS = 25
CLIPS = ("bbaf2n", "lgif2p", "prwd6p")


@pytest.fixture(scope="module")
def voices(grid: Path) -> list[Voice]:
    out = []
    for name in CLIPS:
        x = load_audio(grid / "s1" / "audio" / f"{name}.flac").samples
        out.append(Voice.analyse(x, recognise_phones(x)))
    return out


@pytest.fixture(scope="module")
def s1_clips(grid: Path, tmp_path_factory) -> list:
    """Two s1 clips tracked with the engine's face mesh (prepare-data's own code)."""
    from engine.model.data import prepare_clip
    from engine.model.dataset import load_clip

    out = tmp_path_factory.mktemp("prep")
    clips = []
    for name in CLIPS[:2]:
        p = out / f"{name}.npz"
        prepare_clip(grid / "s1" / "video" / f"{name}.mp4", p)
        clips.append(load_clip(p))
    return clips


# ------------------------------------------------------------------ rest pose ---
def test_rest_closes_a_mouth_caught_mid_word(s1_clips) -> None:
    from engine.model.landmarks import MOUTH

    mouth = list(MOUTH)
    for c in s1_clips:
        j = int(np.argmax(c.opening))
        face = c.canon[j].astype(np.float64)
        assert c.opening[j] > 0.05  # the widest frame is open
        fixed = face + rest.rest_offset(face)
        gaps = rest.lip_gaps(fixed)
        assert np.all(gaps < rest.CLOSED_GAP + 0.006), gaps
        # the estimate is the real rest face (median of the silent frames), not just any
        # closed mouth: its lips are much closer to it than the portrait's are
        before = np.linalg.norm(face[mouth, :2] - c.neutral[mouth, :2], axis=1).mean()
        after = np.linalg.norm(fixed[mouth, :2] - c.neutral[mouth, :2], axis=1).mean()
        assert after < 0.5 * before, (before, after)


@pytest.mark.parametrize("clip", ["crema-d/1001/1001_DFA_ANG_XX", "grid/s34/lbwh5n"])
def test_rest_of_a_mouth_caught_wide_keeps_its_lips_and_width(grid: Path, tmp_path,
                                                                 clip: str) -> None:
    """A mouth caught open past s1's widest (CREMA-D 1001 shouting, 0.31 IOD; GRID s34,
    0.23 and stretched 0.12 IOD wider than her rest): closing it must not thin the lips to
    a line nor leave the mouth stretched. Against the real rest (median of the silent
    frames): CREMA-D's upper and lower lip 0.90 and 0.69 of their thickness, the mouth
    0.052 IOD wider; s34's 1.20, 1.06 and 0.063. Without the lip-shape term 0.57, 0.40
    and 0.095 (CREMA-D); without the nose's width band, s34's mouth 0.159 wider and her
    lips 0.73 and 0.65."""
    from engine.model.data import prepare_clip
    from engine.model.dataset import load_clip

    root, speaker, name = clip.split("/")
    prepare_clip(grid.parent / root / speaker / "video" / f"{name}.mp4",
                 tmp_path / f"{name}.npz")
    c = load_clip(tmp_path / f"{name}.npz")
    j = int(np.argmax(np.where(c.valid, c.opening, -1.0)))
    assert c.opening[j] > 0.2
    face = c.canon[j].astype(np.float64)
    fixed = face + rest.rest_offset(face)
    assert np.all(rest.lip_gaps(fixed) < rest.CLOSED_GAP + 0.006)
    got, real = rest.lip_shape(fixed), rest.lip_shape(c.neutral)
    assert 0.75 * real[0] < got[0] < 1.4 * real[0], (got, real)    # upper lip, middle
    assert 0.6 * real[5] < got[5] < 1.4 * real[5], (got, real)     # lower lip, middle
    assert got[10] < real[10] + 0.07, (got, real)                  # width
    # a nose of no width (no person's) holds nothing: the estimate is left as it was
    no_nose = face.copy()
    no_nose[rest.ALAR[1], 0] = no_nose[rest.ALAR[0], 0]
    left = rest.lip_shape(no_nose + rest.rest_offset(no_nose))
    assert np.isfinite(left).all() and left[10] >= got[10] - 1e-6, (left, got)
    # nor does a drawing's or an animal's (their proportions are their own)
    own = rest.lip_shape(face + rest.rest_offset(face, nose=False))
    assert own[10] > got[10] + 0.005, (own, got)


def test_only_a_persons_mouth_rests_at_its_nose_width(monkeypatch) -> None:
    """The app tells the rest estimate whether the portrait is a person's: a photo or a
    painting is, the cartoon (drawn eyes, flat paint) is not."""
    import engine
    import engine.animation as animation

    asked: list[bool] = []
    real = animation.speech_motion

    def spy(*args, **kwargs):
        asked.append(kwargs["person"])
        return real(*args, **kwargs)

    monkeypatch.setattr(animation, "speech_motion", spy)
    audio = engine.analyse_audio(engine.load_audio(ROOT / "assets" / "samples"
                                                   / "voice_grid_s1.wav"))
    for name, person in (("cartoon_head.png", False), ("mona_lisa.png", True)):
        portrait = engine.analyse_portrait(engine.load_image(ROOT / "assets" / "samples" / name))
        assert engine.Animation(portrait, audio, engine.Settings()).motion is not None
        assert asked[-1] is person, name


def test_the_rest_of_a_smile_meets_in_the_picture(grid: Path) -> None:
    """CREMA-D 1001 smiling (HAP), caught at his widest (frame 28): his lower lip is drawn
    back 0.03 IOD behind the upper one, and his head is tipped. Closed in the face's plane
    alone, the rest left his lips 0.017 IOD apart in the picture (0.009-0.011 in the plane),
    his teeth showing in the slit; closed in depth too (``rest.rest_depth``), 0.012, as
    the other validation portraits' rests (0.011 to 0.015)."""
    from engine import Image, analyse_portrait
    from tests.full_size import video_frame

    rgb = video_frame(grid.parent / "crema-d" / "1001" / "video" / "1001_DFA_HAP_XX.mp4", 28)
    rig = analyse_portrait(Image(rgb, None, "hap")).rig
    face = rig.neutral.astype(np.float64)
    offset = rest.rest_offset(face)
    pairs = np.array(rest.INNER_PAIRS)

    def gap_in_picture(disp: np.ndarray) -> float:
        xy = rig.landmarks[:, :2] + (disp.astype(np.float64) @ rig.to_pixels.T)[:, :2]
        return float(np.median(np.linalg.norm(xy[pairs[2:7, 0]] - xy[pairs[2:7, 1]], axis=1))
                     / rig.iod)

    assert gap_in_picture(offset) > 0.015
    closed = offset + rest.rest_depth(face + offset)
    assert gap_in_picture(closed) < 0.0135
    assert np.allclose(rest.lip_depths(face + closed), rest.CLOSED_DEPTH, atol=1e-4)


def test_rest_leaves_closed_lips_alone(s1_clips) -> None:
    for c in s1_clips:
        sil = np.flatnonzero(c.silence & (c.opening < 0.015))
        assert len(sil)
        assert not rest.rest_offset(c.canon[sil[0]]).any()


def test_crossed_lip_contours_are_parted_to_closed_lips(s1_clips) -> None:
    """s1's closed lips as the tracker draws them are left alone; the same lips drawn
    crossed (the upper inner contour 0.02 IOD below the lower one, as on the Mona Lisa's
    smile) are parted back to the closed lips' gap, symmetrically, the lips' outer
    contours untouched; open lips are left alone."""
    c = s1_clips[0]
    sil = np.flatnonzero(c.silence & (c.opening < 0.015))
    closed = c.canon[sil[0]].astype(np.float64)
    assert not rest.uncrossed_lips(closed).any()
    crossed = closed.copy()
    for u, lo in rest.INNER_PAIRS:
        mid = 0.5 * (crossed[u, 1] + crossed[lo, 1])
        crossed[u, 1], crossed[lo, 1] = mid + 0.01, mid - 0.01
    mend = rest.uncrossed_lips(crossed)
    np.testing.assert_allclose(rest.lip_gaps(crossed + mend), rest.CLOSED_GAP, atol=1e-6)
    moved = np.flatnonzero(np.abs(mend).sum(1))
    assert set(moved) == {i for pair in rest.INNER_PAIRS for i in pair}
    np.testing.assert_allclose(mend[[u for u, _ in rest.INNER_PAIRS], 1],
                               -mend[[lo for _, lo in rest.INNER_PAIRS], 1])
    wide = c.canon[int(np.argmax(np.where(c.valid, c.opening, -1)))]
    assert not rest.uncrossed_lips(wide).any()


# ------------------------------------------------------------------ pitch ---
def test_yin_finds_the_pitch_of_harmonic_tones() -> None:
    sr = 16000
    t = np.arange(sr) / sr
    for f in (85.0, 140.0, 230.0, 380.0):
        x = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, 6)).astype(np.float32) * 0.2
        f0, aper = yin(x)
        mid = f0[10:-10]
        assert (mid > 0).all() and np.median(np.abs(mid - f) / f) < 0.01, f
    f0, _ = yin(np.random.default_rng(0).normal(0, 0.1, sr).astype(np.float32))
    assert (f0 > 0).mean() < 0.2  # noise is mostly unvoiced


def test_pitch_of_real_voices_is_in_their_range(voices, grid) -> None:
    for v in voices:  # GRID s1, a man
        f = v.f0[v.f0 > 0]
        assert 0.1 < len(f) / len(v.f0) < 0.8
        assert 80 < np.median(f) < 160
    x = load_audio(next((grid / "s4hq" / "audio").glob("*.flac"))).samples  # a woman
    f0, _ = yin(x)
    assert 170 < np.median(f0[f0 > 0]) < 300
    st = semitones(f0)
    assert abs(np.median(st[f0 > 0])) < 0.5


# ------------------------------------------------------------------ prosody ---
def test_accents_are_the_syllables_of_a_grid_sentence(voices, grid) -> None:
    for name, v in zip(CLIPS, voices, strict=True):
        words = [w for w in (grid / "s1" / "align" / f"{name}.align").read_text().split()[2::3]
                 if w not in ("sil", "sp")]
        assert len(words) == 6
        # six words, one to two syllables each ("seven" has two, "w" three)
        assert 4 <= len(v.accents) <= 11, [a.time for a in v.accents]
        speech = [p for p in v.phones if p.label != "sil"]
        t0, t1 = speech[0].start, speech[-1].end
        assert all(t0 - 0.05 <= a.time <= t1 + 0.05 for a in v.accents)
        assert max(a.strength for a in v.accents) > 0.6
        assert len(v.phrases) >= 1


# ------------------------------------------------------------------ head ---
def test_speech_head_follows_accents_and_scales_with_liveliness(voices) -> None:
    for v in voices:
        n = int(round(v.duration * FPS))
        still, brows0 = speech_head(v, FPS, n, 0.0, seed=1)
        assert not still.any() and not brows0.any()
        pose, brows = speech_head(v, FPS, n, 1.0, seed=1)
        again, _ = speech_head(v, FPS, n, 1.0, seed=1)
        np.testing.assert_array_equal(pose, again)
        assert not np.array_equal(pose, speech_head(v, FPS, n, 1.0, seed=2)[0])
        double, _ = speech_head(v, FPS, n, 2.0, seed=1)
        np.testing.assert_allclose(double, 2 * pose, atol=1e-6)
        # a real speaker's level: about 1.4 degrees of rotation (std) over a sentence
        assert 0.5 < ev.rotation_std(pose) < 3.0
        # the head nods down (positive pitch) around the strongest accent, more than in
        # the leading silence
        top = max(v.accents, key=lambda a: a.strength)
        k = int(top.time * FPS)
        lead = int(v.phrases[0].start * FPS) - 8
        assert pose[k - 4:k + 3, 0].max() > pose[: max(lead, 1), 0].max() + np.radians(0.5)
        assert brows[k - 4:k + 3].max() > 0.05 and brows.max() <= 1.0


def test_speech_head_nods_most_and_tilts_about_as_much_as_it_turns(voices) -> None:
    """Real speakers move their heads mostly by nodding, and tilt them nearly as much as
    they turn them (rotation std over GRID s4hq's and CREMA-D 1001's clips, degrees:
    pitch 0.64 and 2.14, yaw 0.43 and 0.68, roll 0.36 and 0.38). Over s1's three voices and
    eight seeds the generated head's median pitch / yaw is 2.6 and roll / yaw 1.2 (before
    the forty-fifth session's balance, 1.7 and 0.4: a head that turned three times as much
    as it tilted)."""
    ratios = []
    for v in voices:
        n = int(round(v.duration * FPS))
        for seed in range(8):
            pose, _ = speech_head(v, FPS, n, 1.0, seed=seed)
            pitch, yaw, roll = np.std(pose[:, :3], axis=0)
            ratios.append((pitch / yaw, roll / yaw))
    pitch_yaw, roll_yaw = np.median(ratios, axis=0)
    assert pitch_yaw > 1.5, pitch_yaw
    assert 0.5 < roll_yaw < 1.5, roll_yaw


def test_speech_head_drops_as_it_nods(voices) -> None:
    """The head turns about the neck, behind the face: as it tips down, the face drops
    (CREMA-D's actor 0.73 IOD per radian of pitch). Before 2026-12-08 the generated
    head's height did not follow its pitch (slope about 0: the sway alone)."""
    slopes = []
    for v in voices:
        n = int(round(v.duration * FPS))
        for seed in range(4):
            pose, _ = speech_head(v, FPS, n, 1.0, seed=seed)
            pitch = pose[:, 0] - pose[:, 0].mean()
            drop = pose[:, 4] - pose[:, 4].mean()
            slopes.append(float(pitch @ drop / (pitch @ pitch)))
    assert 0.5 < np.median(slopes) < 1.0, slopes
    still, _ = speech_head(voices[0], FPS, 50, 0.0)
    assert not still.any()


# ------------------------------------------------------------------ breath ---
def test_breath_parts_the_lips_before_each_phrase_after_a_pause() -> None:
    from engine.audio.prosody import Phrase
    from engine.motion.breath import breath_shape, breath_weights
    from engine.motion.speech import opening

    phrases = [Phrase(1.0, 1.8), Phrase(1.9, 2.5), Phrase(3.4, 4.0)]
    for fps in (25, 30):
        w = breath_weights(phrases, fps, int(4.2 * fps))
        t = (np.arange(len(w)) + 0.5) / fps
        # before 1.0 s and 3.4 s (pauses of 1 s and 0.9 s), not before 1.9 s (0.1 s)
        for start in (1.0, 3.4):
            before = (t > start - 0.6) & (t < start)
            assert 0.02 < w[before].max() < 0.026, (fps, start)   # s1's 0.023 IOD
            assert start - 0.25 < t[before][np.argmax(w[before])] < start - 0.08
        assert not w[(t > 1.0) & (t < 3.4 - 0.6)].any()             # nothing in speech
        assert not w[(t > 1.8) & (t < 1.9)].any()
        assert not w[t > 3.4].any()
    assert breath_weights(phrases, 25, 100, 0.0).sum() == 0.0
    # the shape parts the inner lips by one unit per unit of weight
    rest = np.zeros((468, 3), np.float32)
    lips = opening(rest, breath_shape()[None], np.array([[0.0], [0.02]], np.float32))
    assert lips[1] == pytest.approx(0.02, abs=1e-5)


def test_breath_only_adds_before_phrases(voices) -> None:
    """On real speech: with Breath 1 the lips part before the first word and nothing else
    changes; at 0 they are closed there; by default they part by a trace, well under the
    0.02 IOD below which the evaluation counts lips as closed."""
    from engine.face import mesh
    from engine.model.evaluation import CLOSED
    from engine.motion.breath import DEFAULT, breath_weights
    from engine.motion.speech import speech_motion

    v = voices[0]
    frames = int(v.duration * FPS)
    portrait = mesh.CANONICAL.astype(np.float32)
    off = speech_motion(v, FPS, frames, portrait, source="phonetic", breath=0.0)
    default = speech_motion(v, FPS, frames, portrait, source="phonetic")
    on = speech_motion(v, FPS, frames, portrait, source="phonetic", breath=1.0)
    first = int(v.phrases[0].start * FPS)
    before = slice(first - 8, first - 2)
    assert off.mouth_open[before].max() < 0.005
    assert on.mouth_open[before].max() > 0.015
    assert 0.2 * 0.023 < default.mouth_open[before].max() - off.mouth_open[before].max() \
        < 0.5 * CLOSED
    assert 0.0 < DEFAULT < 0.5
    # the same rows with the breath's added before the rest's
    assert np.array_equal(on.coeffs[:, :-2], off.coeffs[:, :-1])
    still = breath_weights(v.phrases, FPS, frames) == 0
    assert still.sum() > frames // 2
    assert np.allclose(on.mouth_open[still], off.mouth_open[still], atol=1e-6)
    assert np.allclose(default.mouth_open[still], off.mouth_open[still], atol=1e-6)


def test_breath_default_is_fitted_by_the_pause_gates_rule() -> None:
    """``tools/fit_breath.py`` keeps the best r among amounts that close at least 95 % of
    the silent frames (ties: the smaller), else the one that closes most."""
    sys.path.insert(0, str(ROOT / "tools"))
    from fit_breath import fit

    scores = {0.0: (0.886, 0.977), 0.3: (0.8901, 0.957), 0.4: (0.8904, 0.945),
              1.0: (0.95, 0.80)}
    assert fit(scores) == 0.3
    assert fit({0.0: (0.5, 0.90), 0.5: (0.9, 0.80)}) == 0.0
    assert fit({0.2: (0.8, 0.96), 0.3: (0.8, 0.96)}) == 0.2


def test_evaluation_can_measure_the_breath_settings() -> None:
    from engine.model.inference import default_model_path
    from engine.motion.breath import DEFAULT

    sources = ev.make_sources({"gan": default_model_path()}, None, phonetic=False,
                              ungated=True, breaths=(0.0, 1.0, DEFAULT))
    # "gan" is the app's default Breath; others are named
    assert list(sources) == ["gan", "gan, no pause gate", "gan, breath 0", "gan, breath 1"]


# ------------------------------------------------------------- wider mouth ---
def test_mouth_above_one_opens_wider_without_swelling_the_lips(voices) -> None:
    """*Mouth* 2 on real speech: the lips part twice as far as at 1, frame by frame, along
    s1's measured way of opening wider; scaling the whole motion instead (as *Mouth* did)
    swells the lower lip and pulls the corners in far more."""
    from engine.face import mesh
    from engine.motion.speech import speech_motion

    v = voices[1]
    frames = int(v.duration * FPS)
    portrait = mesh.CANONICAL.astype(np.float32)
    one = speech_motion(v, FPS, frames, portrait)
    two = speech_motion(v, FPS, frames, portrait, intensity=2.0)
    half = speech_motion(v, FPS, frames, portrait, intensity=0.5)
    talking = one.mouth_open > 0.02
    assert talking.sum() > 10
    ratio = two.mouth_open[talking] / one.mouth_open[talking]
    assert np.allclose(ratio, 2.0, atol=0.05), ratio
    assert np.allclose(half.mouth_open, 0.5 * one.mouth_open, atol=2e-3)
    # the speech model's own rows are untouched, the rest stays the last row
    assert np.array_equal(two.coeffs[:, :-2], one.coeffs[:, :-1])
    assert np.array_equal(two.basis[-1], one.basis[-1])

    def shape(m) -> np.ndarray:
        return portrait[None] + np.tensordot(m.coeffs, m.basis, axes=1)

    scaled = portrait[None] + 2.0 * (shape(one) - portrait[None])
    wide, base = shape(two)[talking], shape(one)[talking]
    scaled = scaled[talking]

    def lower_lip(s: np.ndarray) -> np.ndarray:     # outer (17) below inner (14) edge
        return s[:, 17, 1] - s[:, 14, 1]

    def width(s: np.ndarray) -> np.ndarray:         # outer corners 61-291
        return np.abs(s[:, 291, 0] - s[:, 61, 0])

    swell_wide = np.median(lower_lip(wide) - lower_lip(base))
    swell_scaled = np.median(lower_lip(scaled) - lower_lip(base))
    assert swell_wide < 0.4 * swell_scaled, (swell_wide, swell_scaled)
    pull_wide = np.median(np.abs(width(wide) - width(base)))
    pull_scaled = np.median(np.abs(width(scaled) - width(base)))
    assert pull_wide < 0.6 * pull_scaled, (pull_wide, pull_scaled)
