"""load_image: formats, EXIF orientation, alpha, 16-bit and greyscale, and bad inputs."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from engine.errors import ImageError, InputError
from engine.media.image import MAX_PIXELS, MIN_SIDE, Image, load_image
from tests.test_media_audio import assert_sentence


@pytest.fixture(scope="module")
def portrait(grid: Path) -> np.ndarray:
    """A real face: the first frame of a GRID s1 video, ``(288, 360, 3) uint8`` RGB."""
    video = sorted((grid / "s1" / "video").glob("*.mp4"))[0]
    with av.open(str(video)) as c:
        frame = next(c.decode(video=0))
        return frame.to_ndarray(format="rgb24")


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> None:
    assert a.shape == b.shape
    assert float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean()) < tol


@pytest.mark.parametrize("ext,tol", [("png", 0.0), ("jpg", 4.0), ("webp", 6.0), ("bmp", 0.0),
                                     ("tiff", 0.0)])
def test_formats(tmp_path: Path, portrait: np.ndarray, ext: str, tol: float) -> None:
    path = tmp_path / f"face.{ext}"
    PILImage.fromarray(portrait).save(path)
    im = load_image(path)
    assert isinstance(im, Image)
    assert im.rgb.dtype == np.uint8 and im.rgb.flags.c_contiguous
    assert im.alpha is None and im.path == str(path)
    assert (im.width, im.height) == (360, 288)
    if tol == 0.0:
        np.testing.assert_array_equal(im.rgb, portrait)
    else:
        _close(im.rgb, portrait, tol)


@pytest.mark.parametrize("orientation,expect", [
    (3, lambda a: a[::-1, ::-1]),
    (6, lambda a: np.rot90(a, -1)),  # stored rotated: shown turned 90 degrees clockwise
    (8, lambda a: np.rot90(a, 1)),
])
def test_exif_orientation(tmp_path: Path, portrait: np.ndarray, orientation: int,
                          expect: object) -> None:
    path = tmp_path / f"o{orientation}.jpg"
    pil = PILImage.fromarray(portrait)
    exif = pil.getexif()
    exif[0x0112] = orientation
    pil.save(path, quality=95, exif=exif)
    im = load_image(path)
    want = expect(portrait)  # type: ignore[operator]
    _close(im.rgb, np.ascontiguousarray(want), 4.0)


def test_rgba_alpha_kept(tmp_path: Path, portrait: np.ndarray) -> None:
    h, w = portrait.shape[:2]
    alpha = np.zeros((h, w), np.uint8)
    cv2.circle(alpha, (w // 2, h // 2), 100, 255, -1)
    path = tmp_path / "cut-out.png"
    PILImage.fromarray(np.dstack([portrait, alpha])).save(path)
    im = load_image(path)
    assert im.rgb.shape == (h, w, 3) and im.alpha is not None
    assert im.alpha.shape == (h, w) and im.alpha.dtype == np.uint8
    np.testing.assert_array_equal(im.alpha, alpha)
    np.testing.assert_array_equal(im.rgb, portrait)


def test_palette_and_grey_alpha(tmp_path: Path, portrait: np.ndarray) -> None:
    pal = tmp_path / "pal.png"
    PILImage.fromarray(portrait).convert("P").save(pal, transparency=0)
    im = load_image(pal)
    assert im.alpha is not None and im.alpha.shape == portrait.shape[:2]
    la = tmp_path / "la.png"
    grey = np.asarray(PILImage.fromarray(portrait).convert("L"))
    PILImage.fromarray(np.dstack([grey, np.full_like(grey, 128)])).save(la)
    im = load_image(la)
    assert im.alpha is not None and int(im.alpha[0, 0]) == 128
    np.testing.assert_array_equal(im.rgb, np.repeat(grey[..., None], 3, axis=2))


def test_greyscale_to_rgb(tmp_path: Path, portrait: np.ndarray) -> None:
    grey = np.asarray(PILImage.fromarray(portrait).convert("L"))
    path = tmp_path / "grey.png"
    PILImage.fromarray(grey).save(path)
    im = load_image(path)
    assert im.rgb.shape == portrait.shape
    for c in range(3):
        np.testing.assert_array_equal(im.rgb[..., c], grey)


def test_16bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.linspace(0, 65535, 256 * 128).reshape(128, 256).astype(np.uint16)
    path = tmp_path / "ramp16.png"
    PILImage.fromarray(ramp).save(path)
    assert PILImage.open(path).mode.startswith("I")
    im = load_image(path)
    want = np.round(ramp / 257.0).astype(np.uint8)
    assert np.abs(im.rgb[..., 0].astype(int) - want).max() <= 1
    assert im.rgb[..., 1].max() == 255 and im.rgb.min() == 0
    assert len(np.unique(im.rgb)) > 200  # the full range survives, not clipped at 255


@pytest.mark.parametrize("ext", ["png", "tiff"])
def test_16bit_colour(tmp_path: Path, portrait: np.ndarray, ext: str) -> None:
    deep = portrait.astype(np.uint16) * 257  # the same picture at 16 bits
    path = tmp_path / f"deep.{ext}"
    assert cv2.imwrite(str(path), np.ascontiguousarray(deep[..., ::-1]))
    im = load_image(path)
    assert np.abs(im.rgb.astype(int) - portrait.astype(int)).max() <= 1


# --------------------------------------------------------------------------- bad inputs


def _refused(path: Path) -> str:
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert isinstance(info.value, InputError)
    assert_sentence(str(info.value))
    return str(info.value)


def test_truncated_jpeg(tmp_path: Path, portrait: np.ndarray) -> None:
    full = tmp_path / "full.jpg"
    PILImage.fromarray(portrait).save(full, quality=90)
    data = full.read_bytes()
    for frac in (0.3, 0.6, 0.95):
        cut = tmp_path / f"cut{frac}.jpg"
        cut.write_bytes(data[: int(len(data) * frac)])
        assert "damaged" in _refused(cut)


def test_text_renamed_png(tmp_path: Path) -> None:
    path = tmp_path / "face.png"
    path.write_text("This is a shopping list, not a picture.\n" * 20)
    assert "not an image" in _refused(path)


def test_empty_missing_and_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert "empty" in _refused(empty)
    assert "does not exist" in _refused(tmp_path / "nowhere.png")
    _refused(tmp_path)


def test_tiny_image(tmp_path: Path) -> None:
    for size in [(1, 1), (MIN_SIDE - 1, 500)]:
        path = tmp_path / f"tiny{size[0]}.png"
        PILImage.new("RGB", size).save(path)
        assert "too small" in _refused(path)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header declares ``width x height`` RGB but holds one row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (1 + 3 * width))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))


def test_huge_image_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    _png_header_only(path, 12000, 12000)
    assert 12000 * 12000 > MAX_PIXELS
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        msg = _refused(path)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 1.0
    assert peak < 20_000_000  # 12000^2 RGB would be 432 MB
    assert "too large" in msg and "12000x12000" in msg
    # Past Pillow's own decompression-bomb limit the message is still ours.
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 20000, 20000)
    assert "too large" in _refused(bomb)


def test_colour_profiles(tmp_path: Path, portrait: np.ndarray,
                         caplog: pytest.LogCaptureFixture) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tagged = tmp_path / "srgb.png"
    PILImage.fromarray(portrait).save(tagged, icc_profile=srgb)
    np.testing.assert_array_equal(load_image(tagged).rgb, portrait)  # sRGB: untouched
    broken = tmp_path / "broken.png"
    PILImage.fromarray(portrait).save(broken, icc_profile=b"not a colour profile")
    with caplog.at_level("WARNING", logger="engine.media.image"):
        np.testing.assert_array_equal(load_image(broken).rgb, portrait)
    assert any("colour profile" in r.getMessage() for r in caplog.records)
