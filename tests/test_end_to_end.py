"""The main job end to end: portrait + GRID speech -> MP4, checked by re-detecting the face.

One render of the sample portrait with a real GRID clip's audio is shared by
the checks below; the self-check re-detects landmarks on every frame.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import engine
from engine.evaluate import SelfCheck, evaluate_video
from tests.conftest import ROOT

PORTRAIT = ROOT / "assets" / "samples" / "astronaut.png"
CLIP = "bbaf2n"  # "bin blue at f two now", with silence at both ends


def read_align(path: Path) -> list[tuple[float, float, str]]:
    """Word alignment in seconds (GRID units are 1/25000 s)."""
    rows = []
    for line in path.read_text().split("\n"):
        if line.strip():
            a, b, w = line.split()
            rows.append((int(a) / 25000, int(b) / 25000, w))
    return rows


# Thresholds per motion source: (mouth-loudness r, widest opening above rest in IOD).
# GRID s1, the only training face, opens his mouth little; the GAN, trained with
# an L1 loss, opens it less than the phonetic table does.
EXPECT = {"gan": (0.3, 0.01), "phonetic": (0.5, 0.02)}


@pytest.fixture(scope="module", params=sorted(EXPECT))
def rendered(
    request: pytest.FixtureRequest, grid: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, engine.Animation]:
    out = tmp_path_factory.mktemp("e2e") / "talk.mp4"
    image = engine.load_image(PORTRAIT)
    audio = engine.load_audio(grid / "s1" / "audio" / f"{CLIP}.flac")
    # Blinks well inside the clip so that the self-check sees each one whole.
    blinks = [engine.BlinkEvent(0.6, 0.2, 1.0), engine.BlinkEvent(1.9, 0.24, 1.0)]
    settings = engine.Settings(motion_source=request.param)
    animation = engine.Animation(
        engine.analyse_portrait(image), engine.analyse_audio(audio), settings, blinks
    )
    assert animation.motion_source == request.param  # no silent fallback
    engine.export(animation, out)
    return out, animation


@pytest.fixture(scope="module")
def check(rendered: tuple[Path, engine.Animation]) -> SelfCheck:
    return evaluate_video(rendered[0], portrait=PORTRAIT)


def test_output_is_a_browser_friendly_mp4(rendered: tuple[Path, engine.Animation]) -> None:
    path, animation = rendered
    with av.open(str(path)) as f:
        v, a = f.streams.video[0], f.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert v.codec_context.profile in ("High", "Main", "Constrained Baseline")
        assert v.codec_context.pix_fmt == "yuv420p"
        frames = sum(1 for _ in f.decode(video=0))
    assert frames == round(animation.duration * animation.fps) == animation.frame_count
    head = path.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or
                                          head.find(b"moov") < head.find(b"mdat"))


def test_face_found_in_every_frame(check: SelfCheck) -> None:
    assert check.face_found_share == 1.0


def test_mouth_follows_loudness_within_one_frame(
    check: SelfCheck, rendered: tuple[Path, engine.Animation]
) -> None:
    assert abs(check.mouth_loudness_lag_frames) <= 1
    assert check.mouth_loudness_r > EXPECT[rendered[1].motion_source][0]


def test_mouth_rests_in_silence(
    grid: Path, rendered: tuple[Path, engine.Animation], tmp_path: Path
) -> None:
    animation = rendered[1]
    words = read_align(grid / "s1" / "align" / f"{CLIP}.align")
    sil = np.zeros(animation.frame_count, dtype=bool)
    for a, b, w in words:
        if w in ("sil", "sp"):
            # Skip the 100 ms next to speech, where the lips legitimately lead and lag.
            sil[int(np.ceil((a + 0.1) * 25)) : int(np.floor((b - 0.1) * 25))] = True
    assert sil.sum() > 20
    # The animation itself: the mouth is at its rest shape in silence, and opens in speech.
    assert np.max(animation.motion.mouth_open[sil]) < 0.002
    assert np.max(animation.motion.mouth_open) > EXPECT[animation.motion_source][1]
    # The video: re-detecting this smiling, teeth-showing mouth moves by up to ~15 % of its
    # gap with the head's motion alone (resampling), as much as speech opens it. So the
    # talking render is compared with the same render, same head and blinks, without
    # mouth motion: in silence the two renders are the same pixels; after H.264 and
    # re-detection they match on average, and in speech they part (measured with the
    # renderer of issue 14: silence mean 2.8 %, max 15 %, the encoder carrying the
    # speech frames' differences into the pauses; speech mean 8 %, max 21 %).
    still = engine.Animation(animation.portrait, animation.audio,
                             animation.settings.with_(mouth_intensity=0.0),
                             animation.blink_events)  # fmt: skip
    for i in np.nonzero(sil)[0][::4]:
        assert np.array_equal(animation.render_index(int(i)), still.render_index(int(i))), i
    openings = []
    for i, a in enumerate((animation, still)):
        out = tmp_path / f"{i}.mp4"
        engine.export(a, out, watermark=False)
        openings.append(np.asarray(evaluate_video(out, portrait=PORTRAIT).mouth_opening))
    talk, rest = openings
    gap = float(np.median(rest[:3]))
    # (H.264's prediction from different earlier frames alone leaves a few per cent.)
    quiet, spoken = np.abs(talk[sil] - rest[sil]) / gap, np.abs(talk[~sil] - rest[~sil]) / gap
    assert quiet.mean() < 0.04, (quiet.mean(), quiet.max())
    assert spoken.mean() > 2.5 * quiet.mean(), (spoken.mean(), quiet.mean())


def test_blinks_as_scheduled(check: SelfCheck, rendered: tuple[Path, engine.Animation]) -> None:
    scheduled = rendered[1].blink_events
    assert check.blinks == len(scheduled)
    for onset, event in zip(check.blink_onsets, scheduled, strict=True):
        assert abs(onset - event.onset) <= 0.12


def test_nothing_moves_outside_the_face(check: SelfCheck) -> None:
    # Frame-to-frame change outside twice the face box, after H.264 at the default quality.
    assert check.outside_change_mean is not None
    assert check.outside_change_mean < 0.5


def test_audio_lasts_as_long_as_video(rendered: tuple[Path, engine.Animation]) -> None:
    path, animation = rendered
    with av.open(str(path)) as f:
        v, a = f.streams.video[0], f.streams.audio[0]
        vdur = float(v.duration * v.time_base)
        adur = float(a.duration * a.time_base)
    assert abs(vdur - adur) <= 1 / animation.fps
