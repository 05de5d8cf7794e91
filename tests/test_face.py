"""engine.face: landmarks agree with MediaPipe's FaceMesh; detection, mesh and alignment.

The reference landmarks in ``fixtures/face_reference.npz`` were made by
``tools/make_face_reference.py`` with MediaPipe 0.10.21's legacy
``solutions.face_mesh`` (static images, no refinement). MediaPipe is not run
here: the same frames are decoded again from ``../shared/data/grid``.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from skimage import data

from engine.errors import ImageError, ModelError
from engine.face import MIN_FACE_SIZE, Face, FaceAnalyzer, detect_faces, mesh
from engine.face.align import Similarity, from_canonical, to_canonical

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "face_reference.npz"
SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
MAX_MEAN_ERROR_PX = 2.0


def _reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as ref:
        return {k: ref[k] for k in ref.files}


REF = _reference()
IDS = [str(i) for i in REF["ids"]]


def _frame(grid: Path, fid: str) -> np.ndarray:
    """Decode one reference frame: ``"s1/clip.mp4#12"`` -> (H, W, 3) uint8 RGB."""
    if fid == "astronaut":
        return data.astronaut()
    rel, index = fid.split("#")
    speaker, clip = rel.split("/")
    with av.open(str(grid / speaker / "video" / clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == int(index):
                return np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    raise AssertionError(f"{fid}: frame not found")


def test_reference_covers_the_done_criterion() -> None:
    assert sum(i.startswith("s1/") for i in IDS) >= 10
    assert sum(i.startswith("s4hq/") for i in IDS) >= 8
    assert len(IDS) - 1 >= 20 and "astronaut" in IDS


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_landmarks_match_mediapipe(grid: Path, index: int) -> None:
    fid = IDS[index]
    rgb = _frame(grid, fid)
    assert rgb.shape == tuple(REF["shapes"][index])
    decoded_same = hashlib.md5(rgb.tobytes()).hexdigest() == str(REF["checksums"][index])
    faces = detect_faces(rgb)
    assert faces, f"{fid}: no face found"
    ref = REF["landmarks"][index]
    err = np.linalg.norm(faces[0].landmarks[:, :2] - ref[:, :2], axis=1)
    assert err.mean() <= MAX_MEAN_ERROR_PX, (
        f"{fid}: mean landmark error {err.mean():.2f} px (max {err.max():.2f})"
        + ("" if decoded_same else "; note: the frame decoded differently from the reference")
    )
    # z follows MediaPipe's scale too (same units as x).
    assert np.abs(faces[0].landmarks[:, 2] - ref[:, 2]).mean() <= MAX_MEAN_ERROR_PX


def test_face_fields_and_largest_first() -> None:
    ast = data.astronaut()
    canvas = np.full((700, 1100, 3), 90, dtype=np.uint8)
    canvas[20:532, 20:532] = ast
    small = cv2.resize(ast, (300, 300), interpolation=cv2.INTER_AREA)
    canvas[350:650, 700:1000] = small
    faces = detect_faces(canvas)
    assert len(faces) == 2
    areas = [float((f.box[2] - f.box[0]) * (f.box[3] - f.box[1])) for f in faces]
    assert areas[0] > areas[1]
    for f in faces:
        assert isinstance(f, Face)
        assert f.box.shape == (4,) and f.box.dtype == np.float32
        assert f.landmarks.shape == (468, 3) and f.landmarks.dtype == np.float32
        assert 0.5 <= f.score <= 1.0
        assert f.box[0] < f.box[2] and f.box[1] < f.box[3]
        inside = (f.landmarks[:, 0] >= f.box[0] - 1e-3) & (f.landmarks[:, 0] <= f.box[2] + 1e-3)
        assert inside.all()
    assert faces[0].box[2] < 540  # the big face is the one on the left
    assert faces[1].box[0] > 690
    assert faces[0].size >= MIN_FACE_SIZE


def test_upscaled_portrait_matches_scaled_reference() -> None:
    """A 1024x1024 portrait (detection on a shrunk copy) gives the same face, scaled."""
    i = IDS.index("astronaut")
    big = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    faces = detect_faces(big)
    assert len(faces) == 1
    err = np.linalg.norm(faces[0].landmarks[:, :2] - 2.0 * REF["landmarks"][i][:, :2], axis=1)
    assert err.mean() <= 2 * MAX_MEAN_ERROR_PX


def test_small_face_in_a_large_picture_is_found() -> None:
    canvas = cv2.resize(data.coffee(), (1800, 1200), interpolation=cv2.INTER_LINEAR)
    canvas[700:1000, 1300:1600] = cv2.resize(data.astronaut(), (300, 300), cv2.INTER_AREA)
    faces = detect_faces(canvas)
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].box
    assert 1300 < x0 < x1 < 1600 and 700 < y0 < y1 < 1000


@pytest.mark.parametrize("name", ["rocket", "coffee"])
def test_picture_without_a_face(name: str) -> None:
    assert detect_faces(getattr(data, name)()) == []


def test_bad_image_is_refused() -> None:
    with pytest.raises(ImageError):
        detect_faces(np.zeros((64, 64), dtype=np.uint8))
    with pytest.raises(ImageError):
        detect_faces(np.zeros((64, 64, 3), dtype=np.float32))


def test_corrupt_or_missing_model(tmp_path: Path) -> None:
    bad = tmp_path / "face_detection_short_range.onnx"
    bad.write_bytes(b"\x08\x07 this is not an onnx model" * 10)
    with pytest.raises(ModelError) as info:
        FaceAnalyzer(detector_model=bad).detect(data.astronaut())
    assert "damaged" in str(info.value) and str(info.value).endswith(".")
    with pytest.raises(ModelError) as info:
        FaceAnalyzer(landmark_model=tmp_path / "nope.onnx").detect(data.astronaut())
    assert "missing" in str(info.value)


def test_concurrent_calls_agree() -> None:
    rgb = data.astronaut()
    expected = detect_faces(rgb)[0].landmarks
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(detect_faces(rgb)[0].landmarks)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for r in results:
        np.testing.assert_allclose(r, expected, atol=1e-3)


def test_mesh_topology() -> None:
    assert mesh.CANONICAL.shape == (468, 3) and mesh.CANONICAL.dtype == np.float32
    assert mesh.TRIANGLES.dtype == np.int32 and 800 <= len(mesh.TRIANGLES) <= 900
    assert set(np.unique(mesh.TRIANGLES).tolist()) == set(range(468))
    assert mesh.EDGES.shape[1] == 2 and (mesh.EDGES[:, 0] < mesh.EDGES[:, 1]).all()
    iod = np.linalg.norm(mesh.CANONICAL[263] - mesh.CANONICAL[33])
    assert iod == pytest.approx(1.0, abs=1e-5)
    # Image-like orientation: forehead above chin (y down), nose towards the viewer (z < 0).
    assert mesh.CANONICAL[mesh.FOREHEAD, 1] < mesh.CANONICAL[mesh.CHIN, 1]
    assert mesh.CANONICAL[mesh.NOSE_TIP, 2] < mesh.CANONICAL[mesh.RIGHT_EYE_OUTER, 2]
    assert mesh.CANONICAL[mesh.RIGHT_EYE_OUTER, 0] < mesh.CANONICAL[mesh.LEFT_EYE_OUTER, 0]
    # Groups: sizes, corners at the ends of the lid contours.
    assert len(mesh.LIPS_OUTER) == 20 and len(mesh.LIPS_INNER) == 20 and len(mesh.FACE_OVAL) == 36
    for up, lo in [
        (mesh.RIGHT_EYE_UPPER, mesh.RIGHT_EYE_LOWER),
        (mesh.LEFT_EYE_UPPER, mesh.LEFT_EYE_LOWER),
    ]:
        assert up[0] == lo[0] and up[-1] == lo[-1]
    assert {33, 133} == {int(mesh.RIGHT_EYE_UPPER[0]), int(mesh.RIGHT_EYE_UPPER[-1])}
    assert {mesh.MOUTH_RIGHT, mesh.MOUTH_LEFT} <= set(mesh.LIPS_OUTER.tolist())
    assert {mesh.UPPER_LIP_INNER, mesh.LOWER_LIP_INNER} <= set(mesh.LIPS_INNER.tolist())
    # Stable points exclude the mouth and jaw.
    assert not set(mesh.STABLE.tolist()) & (set(mesh.LIPS_OUTER.tolist()) | {mesh.CHIN})


def test_inner_lip_polygon_is_simple_in_the_canonical_shape() -> None:
    p = mesh.CANONICAL[mesh.LIPS_OUTER, :2].astype(np.float64)
    area = 0.5 * np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1])
    assert abs(area) > 0.05  # a real, ordered polygon (not a zig-zag)


def _random_similarity(rng: np.random.Generator) -> Similarity:
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return Similarity(float(rng.uniform(0.5, 3.0)), q, rng.normal(size=3) * 100)


def test_to_canonical_removes_pose() -> None:
    faces = detect_faces(data.astronaut())
    lm = faces[0].landmarks
    canon, sim = to_canonical(lm)
    assert canon.shape == (468, 3) and canon.dtype == np.float32
    iod = np.linalg.norm(canon[263] - canon[33])
    assert iod == pytest.approx(1.0, abs=1e-5)
    # Close to the canonical model on the stable points (a real face, not a copy).
    resid = np.linalg.norm(canon[mesh.STABLE] - mesh.CANONICAL[mesh.STABLE], axis=1)
    assert resid.mean() < 0.08
    np.testing.assert_allclose(from_canonical(canon, sim), lm, atol=1e-2)
    # Any rotation, scale and shift of the input gives the same canonical shape.
    rng = np.random.default_rng(1)
    for _ in range(3):
        moved = _random_similarity(rng).apply(lm)
        canon2, _ = to_canonical(moved)
        np.testing.assert_allclose(canon2, canon, atol=1e-4)


def test_open_mouth_does_not_tilt_the_pose() -> None:
    lm = detect_faces(data.astronaut())[0].landmarks.copy()
    _, sim = to_canonical(lm)
    jaw = np.setdiff1d(np.arange(468), mesh.STABLE)
    below = jaw[lm[jaw, 1] > lm[mesh.NOSE_TIP, 1] + 5]
    lm[below, 1] += 15.0  # drop the jaw
    _, sim2 = to_canonical(lm)
    np.testing.assert_allclose(sim2.R, sim.R, atol=1e-6)


def test_a_face_turned_far_from_the_camera_is_flagged() -> None:
    """The cameraman (scikit-image, a real photo turned about 53 degrees; his fitted lip
    contour lies partly on the background) is flagged; the frontal astronaut and the Mona
    Lisa (turned about 19 degrees) are not, nor a face placed by hand."""
    from engine.analysis import TURNED_DEG, analyse_portrait
    from engine.media.image import Image, load_image

    def analysis(rgb: np.ndarray):
        return analyse_portrait(Image(np.ascontiguousarray(rgb), None, "portrait"))

    camera = cv2.resize(np.dstack([data.camera()] * 3), (1024, 1024))
    turned = analysis(camera)
    assert abs(turned.yaw_deg) > 45
    assert len(turned.warnings) == 1 and f"{abs(turned.yaw_deg):.0f}°" in turned.warnings[0]
    for rgb in (data.astronaut(), load_image(SAMPLES / "mona_lisa.png").rgb):
        frontal = analysis(rgb)
        assert abs(frontal.yaw_deg) < TURNED_DEG / 2 and frontal.warnings == ()
    by_hand = analyse_portrait(Image(camera, None, "portrait"), landmarks=turned.landmarks)
    assert by_hand.warnings == ()
