"""Provenance: metadata tags, the invisible watermark and ``verify``, on real data."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.errors import InputError
from engine.provenance import (
    THRESHOLD,
    Watermarker,
    detect,
    parse_tags,
    provenance_tags,
    read_tags,
    verify,
    verify_cli,
)
from engine.provenance.watermark import (
    PERIOD,
    _crc8,
    modulation,
    payload_bits,
    payload_from_export_id,
)

EXPORT_ID = "5eed1234c0ffee00aa55aa55aa55aa55"
FPS = 25


def _grid_portrait(grid: Path) -> np.ndarray:
    """A real face: frame 10 of an s4hq clip, resized to 512 x 410, RGB uint8."""
    clip = sorted((grid / "s4hq" / "video").glob("*.mp4"))[3]
    with av.open(str(clip)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == 10:
                rgb = f.to_ndarray(format="rgb24")
                break
    return cv2.resize(rgb, (512, 410), interpolation=cv2.INTER_AREA)


def _sway(still: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """``n`` frames of ``still`` with a small head-sway motion (like the renderer's)."""
    h, w = still.shape[:2]
    for i in range(n):
        t = i / FPS
        m = cv2.getRotationMatrix2D((w / 2, h * 0.8), 0.5 * math.sin(2.5 * t), 1.0)
        m[:, 2] += (1.2 * math.sin(1.9 * t), 0.8 * math.sin(3.1 * t))
        yield cv2.warpAffine(still, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def _encode(path: Path, frames: Iterator[np.ndarray], w: int, h: int, fps: int, crf: int,
            metadata: dict[str, str] | None = None) -> Path:
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as c:
        for k, v in (metadata or {}).items():
            c.metadata[k] = v
        st = c.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.options = {"crf": str(crf), "preset": "veryfast"}
        for f in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")):
                c.mux(p)
        for p in st.encode():
            c.mux(p)
    return path


def _decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def portrait(grid: Path) -> np.ndarray:
    return _grid_portrait(grid)


@pytest.fixture(scope="module")
def marked_clip(tmp_path_factory: pytest.TempPathFactory, portrait: np.ndarray) -> Path:
    """A 2 s marked export of a real portrait, CRF 18, with provenance tags."""
    wm = Watermarker.for_export(EXPORT_ID, fps=FPS)
    frames = (wm.embed(f, i) for i, f in enumerate(_sway(portrait, 50)))
    tags = provenance_tags("0.1.0", None, None, "phonetic", EXPORT_ID)
    out = tmp_path_factory.mktemp("prov") / "marked.mp4"
    h, w = portrait.shape[:2]
    return _encode(out, frames, w, h, FPS, 18, tags)


def test_marked_clip_is_detected_with_payload(marked_clip: Path) -> None:
    r = verify(marked_clip)
    assert r.marked and r.score >= THRESHOLD + 2
    assert r.export_id == EXPORT_ID[:8]
    assert r.payload == payload_from_export_id(EXPORT_ID)
    assert r.metadata_says_synthetic and r.ids_match is True
    assert "FOUND" in r.summary()
    assert verify_cli(marked_clip)[0] == 0
    json.dumps(r.to_dict())


def _attack(src: Path, dst: Path, kind: str) -> Path:
    frames = _decode(src)
    h, w = frames[0].shape[:2]
    fps, crf = FPS, 23
    if kind == "crf28":
        crf = 28
    elif kind == "scale50":
        w, h = w // 4 * 2, h // 4 * 2
        frames = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames]
    elif kind == "crop10":
        x0, y0 = round(0.1 * w), round(0.1 * h)
        frames = [f[y0 : h - y0, x0 : w - x0] for f in frames]
        h, w = (h - 2 * y0) // 2 * 2, (w - 2 * x0) // 2 * 2
        frames = [f[:h, :w] for f in frames]
    elif kind == "fps15":
        fps = 15
        frames = [frames[int(round(i * FPS / 15))] for i in range(len(frames) * 15 // FPS)]
    return _encode(dst, iter(frames), w, h, fps, crf)


@pytest.mark.parametrize("kind", ["crf28", "scale50", "crop10", "fps15"])
def test_mark_survives_attack(marked_clip: Path, tmp_path: Path, kind: str) -> None:
    attacked = _attack(marked_clip, tmp_path / f"{kind}.mp4", kind)
    r = verify(attacked)
    assert r.marked, f"{kind}: score {r.score:.1f}"
    assert r.score >= THRESHOLD + 1
    assert r.provenance == {}  # re-encoding dropped the tags; the watermark still speaks


def test_unmarked_real_clips_are_not_detected(grid: Path) -> None:
    for clip in (sorted((grid / "s1" / "video").glob("*.mp4"))[0],
                 sorted((grid / "s4hq" / "video").glob("*.mp4"))[0]):
        r = verify(clip)
        assert not r.marked and r.score < THRESHOLD - 2, (clip.name, r.score)
        assert r.export_id is None
        assert verify_cli(clip)[0] == 1


def test_unmarked_version_of_the_same_portrait_is_not_detected(
    tmp_path: Path, portrait: np.ndarray
) -> None:
    h, w = portrait.shape[:2]
    clip = _encode(tmp_path / "plain.mp4", _sway(portrait, 50), w, h, FPS, 18)
    assert not verify(clip).marked


def test_invisible_psnr_and_flat_areas(portrait: np.ndarray) -> None:
    wm = Watermarker.for_export(EXPORT_ID, fps=FPS)
    full = wm.embed(portrait, 5)  # 0.2 s: full strength
    assert full.shape == portrait.shape and full.dtype == np.uint8
    mse = float(np.mean((full.astype(np.float64) - portrait) ** 2))
    assert 10 * math.log10(255**2 / mse) >= 40.0
    # Same change on R, G and B: luminance only, no colour shift.
    d = full.astype(np.int16) - portrait
    inside = (portrait > 8).all(axis=2) & (portrait < 247).all(axis=2)
    assert (d[..., 0] == d[..., 1])[inside].all() and (d[..., 1] == d[..., 2])[inside].all()
    # A flat backdrop stays untouched.
    flat = np.full((256, 320, 3), (90, 120, 160), np.uint8)
    assert np.array_equal(wm.embed(flat, 5), flat)
    # The input is not modified; RGBA is refused.
    before = portrait.copy()
    wm.embed(portrait, 7)
    assert np.array_equal(portrait, before)
    with pytest.raises(ValueError):
        wm.embed(np.zeros((64, 64, 4), np.uint8), 0)


def test_detect_from_frames_in_memory(portrait: np.ndarray) -> None:
    wm = Watermarker(0xDEADBEEF, fps=FPS)
    frames = [wm.embed(f, i) for i, f in enumerate(_sway(portrait, 40))]
    d = detect(frames, fps=FPS)
    assert d.marked and d.payload == 0xDEADBEEF and d.export_id == "deadbeef"
    assert 0.5 < d.confidence <= 1.0
    assert not detect(list(_sway(portrait, 40)), fps=FPS).marked


@pytest.mark.parametrize("cut", [8, 15])
def test_video_cut_mid_wave_still_detected(portrait: np.ndarray, cut: int) -> None:
    """A file whose first frames were cut (timestamps re-based to 0): the
    detector's phase and sign search finds the wave anyway."""
    wm = Watermarker(0x0BADCAFE, fps=FPS)
    frames = [wm.embed(f, i + cut) for i, f in enumerate(_sway(portrait, 40))]
    d = detect(frames, fps=FPS)
    assert d.marked and d.payload == 0x0BADCAFE


def test_export_marks_the_encoders_luma(portrait: np.ndarray, tmp_path: Path) -> None:
    """The H.264 export marks its YUV picture's luma plane (``embed_luma``): found
    with its id, also after halving the size; chroma untouched; invisible."""
    from engine.media.mp4 import Mp4Writer

    wm = Watermarker(0xDEADBEEF, fps=FPS)
    h, w = portrait.shape[:2]
    out = tmp_path / "luma.mp4"
    with Mp4Writer(out, w, h, FPS, crf=18) as writer:
        for i, f in enumerate(_sway(portrait, 60)):
            picture = writer.convert(f)
            clean = [np.frombuffer(memoryview(p), np.uint8).copy() for p in picture.planes]
            wm.embed_luma(Mp4Writer.luma(picture), i)
            marked = [np.frombuffer(memoryview(p), np.uint8) for p in picture.planes]
            assert all(np.array_equal(a, b) for a, b in zip(clean[1:], marked[1:], strict=True))
            if i == 5:  # full strength
                y0, y1 = clean[0].astype(np.float64), marked[0].astype(np.float64)
                assert 10 * math.log10(255**2 / float(np.mean((y1 - y0) ** 2))) >= 40.0
            writer.write(picture)
    r = verify(out)
    assert r.marked and r.score >= THRESHOLD + 2 and r.payload == 0xDEADBEEF
    assert verify(_attack(out, tmp_path / "half.mp4", "scale50")).marked


def test_payload_coding() -> None:
    bits = payload_bits(0x12345678)
    assert bits.shape == (40,) and set(np.unique(bits)) <= {-1, 1}
    assert _crc8(0x12345678) != _crc8(0x12345679)
    assert payload_from_export_id("ABCDEF0123") == 0xABCDEF01
    assert 0 <= payload_from_export_id("not hex at all") < 2**32
    with pytest.raises(ValueError):
        payload_bits(2**32)
    ts = np.arange(0, PERIOD, 1e-3)
    assert abs(float(np.mean([modulation(t) for t in ts]))) < 1e-3
    assert max(abs(modulation(t)) for t in ts) <= 1.0


def test_tags_round_trip(tmp_path: Path) -> None:
    portrait = tmp_path / "p.png"
    portrait.write_bytes(b"portrait bytes")
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"audio bytes")
    tags = provenance_tags("0.1.0", portrait, audio, "gan", EXPORT_ID)
    assert "Synthetic media" in tags["comment"] and "Talkie 0.1.0" in tags["comment"]
    frames = (np.zeros((64, 64, 3), np.uint8) for _ in range(3))
    clip = _encode(tmp_path / "t.mp4", frames, 64, 64, FPS, 23, tags)
    back = read_tags(clip)
    for key in ("comment", "description", "keywords", "creation_time"):
        assert back[key] == tags[key]
    rec = parse_tags(back)
    assert rec["synthetic"] is True and rec["generator"] == "Talkie 0.1.0"
    assert rec["motion_source"] == "gan" and rec["export_id"] == EXPORT_ID
    assert rec["portrait_sha256"] == hashlib.sha256(b"portrait bytes").hexdigest()
    assert rec["audio_sha256"] == hashlib.sha256(b"audio bytes").hexdigest()
    assert rec["created"].endswith("Z") and rec["created"][:4].isdigit()


def test_verify_bad_files(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 8)
    with pytest.raises(InputError):
        verify(corrupt)
    with pytest.raises(InputError):
        verify(tmp_path / "missing.mp4")
    code, text = verify_cli(corrupt)
    assert code == 2 and text.startswith("Error:")
    # A sound-only file has no frames to check.
    sound = tmp_path / "sound.m4a"
    with av.open(str(sound), "w") as c:
        st = c.add_stream("aac", rate=16000)
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                        layout="mono")
        fr.sample_rate = 16000
        for p in st.encode(fr):
            c.mux(p)
        for p in st.encode():
            c.mux(p)
    with pytest.raises(InputError):
        verify(sound)
