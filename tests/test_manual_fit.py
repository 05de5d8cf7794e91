"""Manual face fitting: a cat the detector misses, fitted from a JSON of points.

The portrait is Chelsea the cat (``assets/samples/chelsea.png``, scikit-image's
``data.chelsea()``, CC0). The detector cannot see her face, so the checks on
the rendered animation use the landmarks of the motion itself
(``engine.render.frame_landmarks``): the mouth opens with the loudness of the
voice and the eyelids close at the scheduled blinks.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

import engine
from cli.main import main as cli_main
from engine.face import detect_faces, mesh
from engine.face.fit import FIT_POINTS, fit_face, load_points_json
from engine.render import frame_landmarks
from tests.conftest import ROOT

CAT = ROOT / "assets" / "samples" / "chelsea.png"
CAT_POINTS = ROOT / "assets" / "samples" / "chelsea_face.json"
CLIP = "bbaf2n"


def test_the_detector_misses_the_cat() -> None:
    assert detect_faces(engine.load_image(CAT).rgb) == []


def test_fit_matches_the_points_and_a_detected_face() -> None:
    from skimage import data

    rgb = data.astronaut()
    lm = detect_faces(rgb)[0].landmarks
    points = {k: lm[i, :2].tolist() for k, i in FIT_POINTS.items()}
    fit = fit_face(points, rgb.shape)
    assert fit.shape == (468, 3) and fit.dtype == np.float32
    for k, i in FIT_POINTS.items():
        assert np.allclose(fit[i, :2], points[k], atol=1e-3)
    iod = np.linalg.norm(lm[263, :2] - lm[33, :2])
    err = np.linalg.norm(fit[:, :2] - lm[:, :2], axis=1) / iod
    assert err.mean() < 0.08  # ten points recover the whole face to within a few percent


def _write(tmp: Path, data: object) -> Path:
    p = tmp / "points.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def test_points_json_errors(tmp_path: Path) -> None:
    shape = (300, 451, 3)
    good = load_points_json(CAT_POINTS, shape)
    assert set(FIT_POINTS) <= set(good)
    with pytest.raises(engine.InputError, match="does not exist"):
        load_points_json(tmp_path / "nope.json")
    with pytest.raises(engine.InputError, match="not valid JSON"):
        load_points_json(_write(tmp_path, "{oops"))
    missing = {k: v for k, v in good.items() if k != "chin"}
    with pytest.raises(engine.InputError, match="missing: chin"):
        load_points_json(_write(tmp_path, {"points": missing}))
    outside = dict(good, chin=[10, 400])
    with pytest.raises(engine.InputError, match="outside the 451x300 picture"):
        load_points_json(_write(tmp_path, outside), shape)
    with pytest.raises(engine.InputError, match="must be \\[x, y\\]"):
        load_points_json(_write(tmp_path, dict(good, chin="low")))
    with pytest.raises(engine.InputError, match="Unknown face point"):
        load_points_json(_write(tmp_path, dict(good, whisker=[1, 2])))


@pytest.fixture(scope="module")
def cat_render(
    grid: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, engine.Animation]:
    out = tmp_path_factory.mktemp("cat") / "cat.mp4"
    audio = grid / "s1" / "audio" / f"{CLIP}.flac"
    blinks = [engine.BlinkEvent(0.6, 0.2, 1.0), engine.BlinkEvent(1.9, 0.24, 1.0)]
    project = engine.Project(
        portrait=CAT, audio=audio, blinks=blinks,
        settings=engine.Settings(motion_source="phonetic"),
        face_points=load_points_json(CAT_POINTS),
    )  # fmt: skip
    pfile = out.parent / "cat.talkie"
    project.save(pfile)
    # The project names the blinks; --face gives the fit (the same points).
    code = cli_main(["render", "--project", str(pfile), "--face", str(CAT_POINTS),
                     "-o", str(out)])
    assert code == 0
    image = engine.load_image(CAT)
    portrait = engine.analyse_portrait(image, landmarks=project.landmarks(image.rgb.shape))
    animation = engine.Animation(
        portrait, engine.analyse_audio(engine.load_audio(audio)), project.settings, blinks
    )
    return out, animation


def test_cli_renders_the_fitted_cat(cat_render: tuple[Path, engine.Animation]) -> None:
    out, animation = cat_render
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == animation.frame_count
    assert frames[0].shape[0] == 300 and abs(frames[0].shape[1] - 451) <= 1  # even for H.264
    rig = animation.portrait.rig
    xy = [frame_landmarks(rig, animation.motion, i) for i in range(animation.frame_count)]
    # The mouth opens with the voice.
    gap = np.array([np.linalg.norm(p[mesh.LOWER_LIP_INNER] - p[mesh.UPPER_LIP_INNER]) for p in xy])
    loud = animation.audio.loudness(animation.fps)[: len(gap)]
    r = np.corrcoef(gap, loud)[0, 1]
    assert r > 0.4, r
    assert gap.max() - gap.min() > 0.03 * rig.iod
    # The eyes close at the scheduled blinks and are open between them.
    lid = np.array([np.linalg.norm(p[159] - p[145]) + np.linalg.norm(p[386] - p[374]) for p in xy])
    open_gap = lid[0]
    for onset, dur in ((0.6, 0.2), (1.9, 0.24)):
        i = int(round((onset + dur / 2) * animation.fps))
        assert lid[i - 1 : i + 2].min() < 0.5 * open_gap
    assert lid[int(1.3 * animation.fps)] > 0.9 * open_gap
    # The video's pixels move where the face is: the mouth region changes over the clip.
    y0, y1 = int(min(p[mesh.UPPER_LIP_INNER, 1] for p in xy)) - 4, 299
    x0, x1 = 225, 300
    crops = np.stack([f[y0:y1, x0:x1].astype(np.float32) for f in frames])
    assert crops.std(axis=0).mean() > 1.0


def test_project_with_fit_points_renders_via_cli(
    cat_render: tuple[Path, engine.Animation], tmp_path: Path
) -> None:
    """``render --project`` alone uses the project's saved face points and keyframes."""
    out = tmp_path / "p.mp4"
    project = engine.Project.load(cat_render[0].parent / "cat.talkie")
    project.keyframes = engine.Keyframes().add("smile", 0.5, 1.0)
    project.settings = project.settings.with_(end=0.6)
    project.save(tmp_path / "p.talkie")
    assert cli_main(["render", "--project", str(tmp_path / "p.talkie"), "-o", str(out),
                     "--size", "226"]) == 0
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert abs(s.codec_context.width - 226) <= 1 and abs(s.codec_context.height - 150) <= 1
