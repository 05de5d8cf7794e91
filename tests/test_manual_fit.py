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
from engine.render import frame_landmarks, render_frame
from engine.render import topology as topo
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
    # The eyes close at the scheduled blinks and are open between them: the
    # eye's colours (iris, pupil) leave the eye boxes of the encoded video (moved with
    # the head: its eye corners' shift in that frame).
    corners = [c for e in (mesh.RIGHT_EYE_UPPER, mesh.LEFT_EYE_UPPER) for c in (e[0], e[-1])]

    def eye_share(i: int) -> float:
        dx, dy = np.round((xy[i][corners] - rig.landmarks[corners, :2]).mean(axis=0)).astype(int)
        return float(np.mean([_eye_coloured(frames[i][ys.start + dy:ys.stop + dy,
                                                      xs.start + dx:xs.stop + dx]).mean()
                              for ys, xs in _eye_boxes(CAT_POINTS)]))

    open_share = eye_share(0)
    assert open_share > 0.3
    for k in range(len(BLINKS)):
        assert eye_share(_closed_index(animation, k)) < 0.25 * open_share
    assert eye_share(int(1.3 * animation.fps)) > 0.9 * open_share
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
    project.output = project.output.with_(end=0.6)
    project.save(tmp_path / "p.talkie")
    assert cli_main(["render", "--project", str(tmp_path / "p.talkie"), "-o", str(out),
                     "--size", "226"]) == 0
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert abs(s.codec_context.width - 226) <= 1 and abs(s.codec_context.height - 150) <= 1


DRAWN = ROOT / "assets" / "samples" / "drawn_face.png"
DRAWN_POINTS = ROOT / "assets" / "samples" / "drawn_face.json"
#: Blinks (onset, duration) and the frame of each one's full closure at 25 fps.
BLINKS = ((0.6, 0.2), (1.9, 0.24))


def _fitted_animation(portrait: Path, points: Path, grid: Path) -> engine.Animation:
    image = engine.load_image(portrait)
    landmarks = fit_face(load_points_json(points, image.rgb.shape), image.rgb.shape)
    audio = engine.analyse_audio(engine.load_audio(grid / "s1" / "audio" / f"{CLIP}.flac"))
    blinks = [engine.BlinkEvent(t, d, 1.0) for t, d in BLINKS]
    settings = engine.Settings(motion_source="phonetic")
    return engine.Animation(engine.analyse_portrait(image, landmarks=landmarks), audio,
                            settings, blinks)  # fmt: skip


def _closed_index(animation: engine.Animation, k: int) -> int:
    lids = animation.motion.eyelids[:, 0]
    onset, dur = BLINKS[k]
    i0, i1 = int(onset * animation.fps), int((onset + dur) * animation.fps) + 1
    return i0 + int(np.argmax(lids[i0:i1]))


def _eye_boxes(points: Path) -> list[tuple[slice, slice]]:
    """Per eye, the box spanned by its placed corners and lid points."""
    p = load_points_json(points)
    boxes = []
    for side in ("right", "left"):
        xy = np.array([p[f"{side}_eye_{k}"] for k in ("outer", "inner", "top", "bottom")])
        (x0, y0), (x1, y1) = xy.min(axis=0).astype(int), xy.max(axis=0).astype(int)
        boxes.append((slice(y0, y1 + 1), slice(x0, x1 + 1)))
    return boxes


def _eye_coloured(rgb: np.ndarray) -> np.ndarray:
    """Chelsea's iris (yellow-green, hue above 33 degrees) or pupil (near black)."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    hue = 60.0 * (g - b) / np.maximum(r - b, 1.0)
    return ((r >= g) & (g >= b) & (hue > 33) & (r - b > 25)) | (f.max(axis=2) < 45)


def test_closed_cat_eyes_are_covered_by_fur(grid: Path) -> None:
    """At a full blink the lids cover the cat's big round eyes, corners included."""
    animation = _fitted_animation(CAT, CAT_POINTS, grid)
    open_f = animation.render_frame(0.0)
    for k in range(len(BLINKS)):
        i = _closed_index(animation, k)
        assert animation.motion.eyelids[i].min() > 0.95
        closed_f = animation.render_frame(i / animation.fps)
        shown = total = 0
        for ys, xs in _eye_boxes(CAT_POINTS):
            total += int(_eye_coloured(open_f[ys, xs]).sum())
            shown += int(_eye_coloured(closed_f[ys, xs]).sum())
            # The lid is fur-coloured: no bright smear, no dark hole.
            h = ys.stop - ys.start
            above = open_f[max(ys.start - h, 0) : ys.start, xs].reshape(-1, 3)
            lid = np.median(closed_f[ys, xs].reshape(-1, 3), axis=0)
            assert np.all(np.abs(lid - np.median(above, axis=0)) < 30), (lid, above)
        # Before the eye outline followed the placed lid points: 0.17.
        assert shown < 0.12 * total, shown / total


def test_the_detector_misses_the_drawn_face() -> None:
    assert detect_faces(engine.load_image(DRAWN).rgb) == []


def test_drawn_face_talks_and_blinks(grid: Path) -> None:
    animation = _fitted_animation(DRAWN, DRAWN_POINTS, grid)
    rig = animation.portrait.rig
    xy = [frame_landmarks(rig, animation.motion, i) for i in range(animation.frame_count)]
    # The mouth opens with the voice.
    gap = np.array([np.linalg.norm(p[mesh.LOWER_LIP_INNER] - p[mesh.UPPER_LIP_INNER]) for p in xy])
    loud = animation.audio.loudness(animation.fps)[: len(gap)]
    assert np.corrcoef(gap, loud)[0, 1] > 0.4
    assert gap.max() - gap.min() > 0.03 * rig.iod
    # The mouth's pixels change where it opens.
    widest = int(np.argmax(gap))
    mouth = (slice(440, 500), slice(260, 380))
    still = animation.render_frame(0.0)[mouth].astype(np.float32)
    talking = animation.render_frame(widest / animation.fps)[mouth].astype(np.float32)
    assert np.abs(talking - still).mean() > 5.0
    # The eyes close at the scheduled blinks and are open between them: the eye
    # whites go, the lid takes the face's flat green, and a lash line is drawn.
    open_f = animation.render_frame(1.3)
    face = np.median(open_f[mouth[0].start - 60 : mouth[0].start - 40, 150:200].reshape(-1, 3), 0)
    for k in range(len(BLINKS)):
        closed_f = animation.render_frame(_closed_index(animation, k) / animation.fps)
        for ys, xs in _eye_boxes(DRAWN_POINTS):
            white_open = (open_f[ys, xs].min(axis=2) > 200).mean()
            white_closed = (closed_f[ys, xs].min(axis=2) > 200).mean()
            assert white_open > 0.2 and white_closed < 0.01, (white_open, white_closed)
            lid = closed_f[ys, xs].reshape(-1, 3).astype(np.float32)
            assert np.all(np.abs(np.median(lid, 0) - face) < 12), (np.median(lid, 0), face)
            ink = (lid.max(axis=1) < 90).mean()  # the lash line: thin, but there
            assert 0.01 < ink < 0.15, ink


def test_placed_lips_are_carried_onto_the_drawn_line() -> None:
    """The bear's mouth is one dark line; its placed corners and lip middles are on it,
    but the lips fitted between them lie 3 to 9 px above it on each side, and opening
    there split the line into streaks on both lips. The analysis carries the inner lips
    onto the line (``engine.render.flat_mouth.onto_drawn_line``), the placed points
    staying where they were put: where the lips meet now lies on the line's ink at all 9
    inner columns (3 before; the line's luma 23-39 on paint of 209)."""
    image = engine.load_image(DRAWN)
    points = load_points_json(DRAWN_POINTS, image.rgb.shape)
    landmarks = fit_face(points, image.rgb.shape)
    analysis = engine.analyse_portrait(image, landmarks=landmarks)
    for name, i in FIT_POINTS.items():
        assert np.array_equal(analysis.landmarks[i], landmarks[i]), name
    rig = analysis.rig
    meet = 0.5 * (rig.landmarks[topo.LIPS_INNER_UPPER] + rig.landmarks[topo.LIPS_INNER_LOWER])
    luma = image.rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    on_line = [luma[int(round(y)), int(round(x))] < 60 for x, y in meet[1:-1, :2]]
    assert all(on_line), on_line
    # A photo is left as placed.
    photo = engine.load_image(ROOT / "assets" / "samples" / "astronaut.png")
    found = detect_faces(photo.rgb)[0].landmarks
    assert np.array_equal(engine.analyse_portrait(photo, landmarks=found).landmarks, found)


def test_the_cats_open_mouth_is_dark_not_a_row_of_teeth() -> None:
    """The cat's tan fur reads as a human skin colour, and she opened onto GRID s1's
    teeth, tinted by her yellow-green eyes read as whites: at her widest frame a pale mint
    block (median luma 97 inside her inner lips, 11 % of it lighter than her fur, green
    0.94 of red). Round eyes mark an animal (``mouth._fill_gap``): a dark mouth with its
    tongue, no teeth across it (median luma 34, none lighter than the fur, green 0.60 of
    red)."""
    import cv2

    image = engine.load_image(CAT)
    landmarks = fit_face(load_points_json(CAT_POINTS, image.rgb.shape), image.rgb.shape)
    portrait = engine.analyse_portrait(image, landmarks=landmarks)
    rig = portrait.rig
    voice = engine.analyse_audio(engine.load_audio(ROOT / "assets" / "samples" /
                                                   "voice_grid_s1.wav"))
    motion = engine.Animation(portrait, voice).motion
    k = int(np.argmax(motion.mouth_open))
    out = render_frame(rig, motion, k)[..., :3].astype(np.float32)
    xy = frame_landmarks(rig, motion, k)[:, :2]
    inside = np.zeros(out.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(np.concatenate([xy[topo.LIPS_INNER_UPPER],
                                                   xy[topo.LIPS_INNER_LOWER][::-1]]))
                          .astype(np.int32)], 1)
    px = out[cv2.erode(inside, np.ones((3, 3), np.uint8)) > 0]
    assert len(px) > 200
    luma = px @ np.array([0.299, 0.587, 0.114], np.float32)
    fur = float(rig.skin_rgb @ np.array([0.299, 0.587, 0.114], np.float32))
    assert np.median(luma) < 0.5 * fur, (np.median(luma), fur)
    assert (luma > fur).mean() < 0.02
    assert np.median(px[:, 1] / np.maximum(px[:, 0], 1.0)) < 0.8
