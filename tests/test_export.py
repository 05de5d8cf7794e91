"""Export: determinism, stretches, silence, too-short audio, cancel."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest

import engine
from engine.errors import AudioError, ProjectError
from engine.evaluate import evaluate_video
from tests.conftest import ROOT

PORTRAIT = ROOT / "assets" / "samples" / "astronaut.png"


@pytest.fixture(scope="module")
def portrait() -> engine.PortraitAnalysis:
    return engine.analyse_portrait(engine.load_image(PORTRAIT))


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


#: Small exports: the tests are about what is written, not its size.
SMALL = engine.OutputOptions(size=256)


def animation_for(portrait: engine.PortraitAnalysis, audio_path: Path,
                  **settings: object) -> engine.Animation:
    audio = engine.analyse_audio(engine.load_audio(audio_path))
    return engine.Animation(portrait, audio, engine.Settings(**settings))


def test_same_inputs_and_seed_give_identical_files(
    portrait: engine.PortraitAnalysis, grid: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    anim = animation_for(portrait, grid / "s1" / "audio" / "bbaf3s.flac", seed=7)
    a = engine.export(anim, tmp_path / "a.mp4", SMALL).path.read_bytes()
    b = engine.export(anim, tmp_path / "b.mp4", SMALL).path.read_bytes()
    assert a == b


def test_stretch_renders_only_that_part(
    portrait: engine.PortraitAnalysis, grid: Path, tmp_path: Path
) -> None:
    anim = animation_for(portrait, grid / "s1" / "audio" / "bbaf3s.flac")
    out = engine.export(anim, tmp_path / "part.mp4", SMALL.with_(start=1.0, end=2.0))
    with av.open(str(out.path)) as f:
        assert sum(1 for _ in f.decode(video=0)) == 25


def test_silence_gives_a_still_face_that_blinks(
    portrait: engine.PortraitAnalysis, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 4, dtype=np.float32))
    anim = animation_for(portrait, wav, liveliness=0.0, blink_rate=20.0)
    m = anim.motion
    # the face holds its rest pose: every frame's displacement is the first one's
    assert np.all(m.coeffs == m.coeffs[0]) and not m.pose.any() and not m.mouth_open.any()
    assert len(anim.blink_events) >= 1
    # 384 px, not SMALL: at 256 px the astronaut's eye is 8 px tall and the face mesh
    # reads her shut lid at 0.74-0.77 of open, astride the self-check's 0.75, so the
    # watermark's noise (which follows the export's id) decided whether it was seen
    out = engine.export(anim, tmp_path / "silence.mp4", SMALL.with_(size=384))
    report = evaluate_video(out.path)
    assert report.face_found_share == 1.0
    assert report.blinks == len(anim.blink_events)
    # below the eyes every frame is the same pixels: the mouth does not move at all
    eyes_y = int(portrait.landmarks[[33, 263], 1].max() + 0.3 * anim.portrait.rig.iod)
    first = anim.render_index(0)
    for i in range(0, anim.frame_count, 7):
        assert np.array_equal(anim.render_index(i)[eyes_y:], first[eyes_y:]), i


def test_audio_shorter_than_a_frame_is_refused(
    portrait: engine.PortraitAnalysis, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "blip.wav", np.full(160, 0.1, dtype=np.float32))  # 10 ms
    with pytest.raises(AudioError, match="short"):
        animation_for(portrait, wav)


def test_cancel_leaves_no_file(
    portrait: engine.PortraitAnalysis, grid: Path, tmp_path: Path
) -> None:
    anim = animation_for(portrait, grid / "s1" / "audio" / "bbaf3s.flac")
    token = engine.CancelToken()

    def progress(fraction: float, _msg: str) -> None:
        if fraction > 0.3:
            token.cancel()

    with pytest.raises(engine.Cancelled):
        engine.export(anim, tmp_path / "c.mp4", SMALL, progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_project_round_trip(tmp_path: Path, grid: Path) -> None:
    project = engine.Project(
        portrait=PORTRAIT.resolve(),
        audio=(grid / "s1" / "audio" / "bbaf3s.flac").resolve(),  # loading resolves links
        settings=engine.Settings(seed=3, mouth_intensity=1.4),
        blinks=[engine.BlinkEvent(1.0, 0.2, 1.0)],
    )
    path = tmp_path / "p.talkie"
    project.save(path)
    loaded = engine.Project.load(path)
    assert loaded == project
    with pytest.raises(ProjectError):
        (tmp_path / "bad.talkie").write_text("{not json")
        engine.Project.load(tmp_path / "bad.talkie")
