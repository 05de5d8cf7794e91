"""Mp4Writer: a real H.264/AAC round trip read back with PyAV, faststart, metadata,
cancel/abort leaving nothing behind, and unwritable outputs refused up front."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.cancel import CancelToken
from engine.errors import Cancelled, OutputError
from engine.media import Mp4Writer, check_writable, even_size, load_audio
from engine.media.mp4 import _plane
from tests.test_media_audio import (
    assert_sentence,
    best_lag_corr,
    decode_raw,
    resample,
    speech_flac,
)

W, H, FPS = 320, 240, 25


def _frame(i: int) -> np.ndarray:
    f = np.zeros((H, W, 3), np.uint8)
    f[..., 0] = (i * 3) % 256
    f[..., 1] = np.linspace(0, 255, W, dtype=np.uint8)[None, :]
    x = (i * 4) % (W - 20)
    f[100:140, x : x + 20] = 255
    return f


@pytest.fixture(scope="module")
def speech48(grid: Path) -> np.ndarray:
    """GRID speech at 48 kHz stereo, ``(2, M) float32``."""
    x, rate = decode_raw(speech_flac(grid))
    y = resample(x[0], rate, 48000)
    return np.ascontiguousarray(np.stack([y, 0.5 * y]))


def _top_level_boxes(path: Path) -> list[str]:
    data = path.read_bytes()
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        boxes.append(kind.decode("latin-1"))
        pos += size
    return boxes


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_round_trip(tmp_path: Path, speech48: np.ndarray) -> None:
    out = tmp_path / "talk.mp4"
    seen: list[float] = []
    meta = {"title": "Talkie test", "comment": "made by a test", "talkie_seed": "42"}
    audio = speech48[:, : 3 * 48000 - 7000]  # a little shorter than the video: padded
    with Mp4Writer(out, W, H, FPS, audio=audio, audio_rate=48000, metadata=meta,
                   progress=lambda f, m: seen.append(f), total_frames=75,
                   preset="veryfast") as w:
        for i in range(75):
            w.write(_frame(i))
    assert _leftovers(tmp_path) == ["talk.mp4"]
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)

    boxes = _top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart

    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert v.codec_context.pix_fmt == "yuv420p"
        assert v.codec_context.profile in ("High", "Main")
        assert (v.width, v.height) == (W, H)
        assert v.average_rate == FPS
        assert a.rate == 48000 and a.channels == 2
        vdur = float(v.duration * v.time_base)
        adur = float(a.duration * a.time_base)
        assert abs(vdur - 3.0) < 1e-6
        assert abs(adur - vdur) <= 1 / FPS
        assert v.start_time == 0 and a.start_time == 0
        for k, val in meta.items():
            assert c.metadata.get(k) == val, (k, dict(c.metadata))
        frames = list(c.decode(video=0))
    assert len(frames) == 75
    assert frames[0].pts == 0 and frames[0].time == 0.0
    assert [f.pts for f in frames] == sorted(f.pts for f in frames)
    back = frames[10].to_ndarray(format="rgb24")
    assert float(np.abs(back.astype(int) - _frame(10).astype(int)).mean()) < 3.0

    with av.open(str(out)) as c:
        first = next(c.decode(audio=0))
        assert first.pts == 0 and first.time == 0.0

    # The sound survives: same speech, no shift, silence after it ends.
    got = load_audio(out)
    assert abs(got.duration - 3.0) <= 0.010
    ref16 = resample(audio[0] * 0.75, 48000, 16000)  # mean of the two channels
    lag, r = best_lag_corr(ref16, got.samples)
    assert abs(lag) <= 2 and r > 0.99
    tail = got.samples[int(16000 * (audio.shape[1] / 48000 + 0.05)) :]
    assert tail.size > 0 and np.abs(tail).max() < 0.01


def test_long_audio_trimmed_and_chunks_resampled(tmp_path: Path,
                                                 speech48: np.ndarray) -> None:
    # A rate AAC does not take (37800 Hz) arrives in chunks and is longer than the video.
    mono = resample(speech48[0], 48000, 37800)
    chunks = (mono[None, i : i + 5000] for i in range(0, mono.size, 5000))
    out = tmp_path / "trim.mp4"
    fps = Fraction(30000, 1001)
    n = 40
    with Mp4Writer(out, 64, 48, fps, audio=chunks, audio_rate=37800,
                   preset="ultrafast") as w:
        for _ in range(n):
            w.write(np.zeros((48, 64, 3), np.uint8))
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert a.rate == 48000 and a.channels == 1
        assert v.frames == n and v.average_rate == fps
        vdur = float(v.duration * v.time_base)
        assert abs(vdur - n / float(fps)) < 1e-3
        assert abs(float(a.duration * a.time_base) - vdur) <= 1 / float(fps)


def test_silent_video_and_odd_sizes(tmp_path: Path) -> None:
    assert even_size(321, 241) == (320, 240)
    with pytest.raises(ValueError):
        Mp4Writer(tmp_path / "odd.mp4", 321, 240, 25)
    assert _leftovers(tmp_path) == []
    out = tmp_path / "silent.mp4"
    with Mp4Writer(out, 64, 48, 25, preset="ultrafast") as w:
        for i in range(5):
            w.write(np.full((48, 64, 3), i * 40, np.uint8))
        with pytest.raises(ValueError):
            w.write(np.zeros((48, 63, 3), np.uint8))
    assert _leftovers(tmp_path) == []  # a wrong frame aborts the export


@pytest.mark.parametrize("box", [(131, 77, 203, 181), (0, 0, 57, 33), (250, 190, 320, 240),
                                 (0, 100, 320, 101), (10, 10, 10, 40)])
def test_converting_a_box_gives_the_whole_frames_picture(tmp_path: Path, box) -> None:
    """A frame that differs from the still only inside ``box`` (odd, at the edges, a line,
    empty): the box converted and pasted on the still's picture is the whole frame's
    conversion, byte for byte, and the still's picture is left as it was."""
    rng = np.random.default_rng(sum(box))
    still = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    frame = still.copy()
    x0, y0, x1, y1 = box
    frame[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0, 3), dtype=np.uint8)
    with Mp4Writer(tmp_path / "x.mp4", W, H, FPS, preset="ultrafast") as w:
        still_picture = w.convert(still)
        before = [bytes(p) for p in still_picture.planes]
        boxed, whole = w.convert_changed(frame, still_picture, box), w.convert(frame)
        w.write(boxed)
    for a, b in zip(boxed.planes, whole.planes, strict=True):
        assert np.array_equal(_plane(a), _plane(b))
    assert [bytes(p) for p in still_picture.planes] == before
    assert (boxed.colorspace, boxed.color_range) == (whole.colorspace, whole.color_range)


def test_overwrites_atomically(tmp_path: Path) -> None:
    out = tmp_path / "again.mp4"
    out.write_bytes(b"old")
    with Mp4Writer(out, 64, 48, 25, preset="ultrafast") as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
        assert out.read_bytes() == b"old"  # untouched until close()
    assert out.stat().st_size > 100 and _leftovers(tmp_path) == ["again.mp4"]


# --------------------------------------------------------------------------- cancel


def test_abort_midway_leaves_nothing(tmp_path: Path, speech48: np.ndarray) -> None:
    out = tmp_path / "gone.mp4"
    w = Mp4Writer(out, W, H, FPS, audio=speech48, preset="ultrafast")
    for i in range(30):
        w.write(_frame(i))
    parts = [p for p in _leftovers(tmp_path) if p.startswith(".gone.mp4.part-")]
    assert len(parts) == 1  # the hidden temporary file beside the target
    w.abort()
    assert _leftovers(tmp_path) == []
    w.abort()  # idempotent


def test_cancel_token_and_exceptions_leave_nothing(tmp_path: Path,
                                                   speech48: np.ndarray) -> None:
    token = CancelToken()
    out = tmp_path / "cancelled.mp4"
    with pytest.raises(Cancelled):
        with Mp4Writer(out, W, H, FPS, audio=speech48, cancel=token, preset="ultrafast") as w:
            for i in range(75):
                if i == 20:
                    token.cancel()
                w.write(_frame(i))
    assert _leftovers(tmp_path) == []

    with pytest.raises(RuntimeError, match="render failed"):
        with Mp4Writer(out, W, H, FPS, audio=speech48, preset="ultrafast") as w:
            w.write(_frame(0))
            raise RuntimeError("render failed")
    assert _leftovers(tmp_path) == []

    with pytest.raises(OutputError) as info:
        Mp4Writer(out, W, H, FPS, preset="ultrafast").close()  # no frames
    assert_sentence(str(info.value))
    assert _leftovers(tmp_path) == []


def test_a_killed_exports_part_file_is_removed_by_the_next(tmp_path: Path) -> None:
    """SIGKILL leaves the hidden part file; the next export to that name removes it,
    but not the part file of an export still running, nor another name's."""
    import os
    import subprocess

    dead_pid = subprocess.Popen(["true"])  # a process that has ended
    dead_pid.wait()
    stale = tmp_path / f".take.mp4.part-{dead_pid.pid}-0123abcd"
    old_style = tmp_path / ".take.mp4.part-89abcdef"          # before the pid was in the name
    running = tmp_path / f".take.mp4.part-{os.getppid()}-4567cdef"
    other = tmp_path / f".other.mp4.part-{dead_pid.pid}-0123abcd"
    for f in (stale, old_style, running, other):
        f.write_bytes(b"half a video")
    with Mp4Writer(tmp_path / "take.mp4", 64, 48, 25, preset="ultrafast") as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
    left = _leftovers(tmp_path)
    assert stale.name not in left and old_style.name not in left
    assert running.name in left and other.name in left and "take.mp4" in left


def test_a_name_too_long_is_refused_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="too long"):
        check_writable(tmp_path / ("a" * 250 + ".mp4"))  # no room for the part file's suffix


# --------------------------------------------------------------------------- unwritable


@pytest.mark.parametrize("where", ["missing-folder", "parent-is-file", "proc", "is-folder"])
def test_unwritable_output_refused_before_work(tmp_path: Path, where: str) -> None:
    if where == "missing-folder":
        out = tmp_path / "no" / "such" / "folder" / "x.mp4"
    elif where == "parent-is-file":
        (tmp_path / "file.txt").write_text("x")
        out = tmp_path / "file.txt" / "x.mp4"
    elif where == "proc":
        out = Path("/proc/talkie-test.mp4")  # read-only even for root
    else:
        out = tmp_path
    with pytest.raises(OutputError) as info:
        check_writable(out)
    assert_sentence(str(info.value))
    if where == "proc":  # the folder exists: "no such file or directory" would mislead
        assert "does not accept new files" in str(info.value)
    with pytest.raises(OutputError):
        Mp4Writer(out, 64, 48, 25)
    assert not out.is_file()
