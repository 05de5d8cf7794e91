"""Transparency kept: a cut-out portrait exported to ProRes 4444 .mov, VP9 .webm and a
PNG sequence; decoded again, the alpha is the render's, the provenance reads back and
the watermark is found. MP4 has no alpha."""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

import engine
from engine.errors import OutputError
from engine.media.formats import format_for
from tests.conftest import ROOT

PORTRAIT = ROOT / "assets" / "samples" / "astronaut.png"
SECONDS = 1.2


@pytest.fixture(scope="module")
def cutout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The astronaut cut out along a soft ellipse: an RGBA PNG, as an artist's cut-out."""
    bgr = cv2.imread(str(PORTRAIT))
    h, w = bgr.shape[:2]
    alpha = np.zeros((h, w), np.uint8)
    cv2.ellipse(alpha, (w // 2 - 20, h // 2 - 30), (150, 200), 0, 0, 360, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 4)
    path = tmp_path_factory.mktemp("cutout") / "cutout.png"
    cv2.imwrite(str(path), np.dstack([bgr, alpha]))
    return path


@pytest.fixture(scope="module")
def animation(cutout: Path, grid: Path) -> engine.Animation:
    portrait = engine.analyse_portrait(engine.load_image(cutout))
    audio = engine.analyse_audio(engine.load_audio(grid / "s1" / "audio" / "bbaf2n.flac"))
    return engine.Animation(portrait, audio, engine.Settings(motion_source="phonetic"))


OUTPUT = engine.OutputOptions(size=256, end=SECONDS)


def decoded_rgba(path: Path) -> list[np.ndarray]:
    """Every frame as ``(H, W, 4) uint8`` RGBA, decoded with FFmpeg (libvpx for VP9 alpha)."""
    if path.is_dir():
        files = sorted(path.glob(f"{path.name}_*.png"))
        return [cv2.cvtColor(cv2.imread(str(f), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
                for f in files]
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        if stream.codec_context.name == "vp9":  # FFmpeg's own VP9 decoder drops alpha
            dec = av.CodecContext.create("libvpx-vp9", "r")
            frames = [f for p in c.demux(stream) for f in dec.decode(p)]  # last: flush
        else:
            frames = list(c.decode(stream))
        return [f.to_ndarray(format="rgba") for f in frames]


@pytest.mark.parametrize(("name", "codec", "worst"), [
    ("talk.mov", "prores", 2),  # 16-bit alpha: rounding only
    ("talk.webm", "vp9", 12),   # lossy alpha plane, at the soft edge
    ("talk", "png", 0),         # lossless
])
def test_alpha_survives_a_decode_and_the_file_says_what_it_is(
    animation: engine.Animation, tmp_path: Path, name: str, codec: str, worst: int
) -> None:
    out = tmp_path / name
    result = engine.export(animation, out, OUTPUT)
    frames = decoded_rgba(out)
    assert len(frames) == result.frames == round(SECONDS * 25)
    expect = [animation.render_index(i, 256)[:, :, 3] for i in (0, len(frames) // 2)]
    for got, want in zip((frames[0], frames[len(frames) // 2]), expect, strict=True):
        alpha = got[..., 3].astype(int)
        assert alpha.shape == want.shape
        assert np.abs(alpha - want).max() <= worst
        assert np.abs(alpha - want).mean() < 0.5
        assert alpha.min() == 0 and alpha.max() == 255  # transparent corners, opaque face
    check = engine.verify(out)
    assert check.marked and check.metadata_says_synthetic
    assert check.provenance["export_id"] == result.export_id
    if codec == "png":
        record = json.loads((out / "talk.talkie.json").read_text())
        assert record["fps"] == 25 and record["frames"] == result.frames
        assert (out / "talk.wav").is_file()
    else:
        with av.open(str(out)) as c:
            assert c.streams.video[0].codec_context.name == codec
            assert c.streams.audio, "the sound is in the file"


@pytest.mark.parametrize("name", ["opaque.mp4", "opaque.mov", "opaque.webm"])
def test_an_opaque_portrait_is_marked_in_every_video_format(
    grid: Path, tmp_path: Path, name: str
) -> None:
    """H.264 is marked on its luma plane, the alpha formats on R, G and B; an opaque
    portrait takes either path according to the format, and the mark is found."""
    portrait = engine.analyse_portrait(engine.load_image(PORTRAIT))
    audio = engine.analyse_audio(engine.load_audio(grid / "s1" / "audio" / "bbaf2n.flac"))
    anim = engine.Animation(portrait, audio, engine.Settings(motion_source="phonetic"))
    out = tmp_path / name
    result = engine.export(anim, out, OUTPUT)
    check = engine.verify(out)
    assert check.marked, check.score
    assert check.provenance["export_id"] == result.export_id


def test_png_sequence_is_numbered_for_after_effects_and_blender(
    animation: engine.Animation, tmp_path: Path
) -> None:
    out = tmp_path / "shot_010"
    engine.export(animation, out, OUTPUT)
    names = sorted(p.name for p in out.glob("*.png"))
    # NAME_00001.png ... : one prefix, an underscore, five digits from 1, no gaps.
    assert names[0] == "shot_010_00001.png"
    assert names == [f"shot_010_{i:05d}.png" for i in range(1, len(names) + 1)]
    from PIL import Image

    with Image.open(out / names[0]) as im:
        assert im.mode == "RGBA"
        assert "synthetic" in im.text["Description"] and im.text["Software"].startswith("Talkie")
    # Exporting again replaces the sequence; a folder that is not one is never touched.
    engine.export(animation, out, OUTPUT)
    assert sorted(p.name for p in out.glob("*.png")) == names
    other = tmp_path / "holiday"
    other.mkdir()
    (other / "photo.jpg").write_bytes(b"mine")
    with pytest.raises(OutputError, match="not a Talkie PNG sequence"):
        engine.export(animation, other, OUTPUT)
    assert [p.name for p in other.iterdir()] == ["photo.jpg"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_mp4_has_no_alpha_and_unknown_extensions_are_refused(tmp_path: Path) -> None:
    assert not format_for(tmp_path / "a.mp4").keeps_alpha
    assert format_for(tmp_path / "a.MOV").key == "mov"
    with pytest.raises(OutputError, match=r"\.mov \(ProRes 4444"):
        format_for(tmp_path / "a.avi")
