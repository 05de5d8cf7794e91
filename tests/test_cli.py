"""The command line: exit codes, one-line errors, no traceback, no output on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE_PORTRAIT = ROOT / "assets" / "samples" / "astronaut.png"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def assert_clean_failure(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_version() -> None:
    proc = run("version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("Talkie ")


@pytest.mark.parametrize("command", ["analyse", "render", "verify", "evaluate", "version"])
def test_every_command_has_help(command: str) -> None:
    proc = run(command, "--help")
    assert proc.returncode == 0
    assert "usage:" in proc.stdout


def test_analyse_json_reports_face_and_audio(grid: Path) -> None:
    audio = grid / "s1" / "audio" / "bbaf2n.flac"
    proc = run("analyse", str(SAMPLE_PORTRAIT), str(audio), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["faces"]) == 1
    assert len(report["faces"][0]["landmarks"]) == 468
    assert report["audio"]["sample_rate"] == 16000
    assert abs(report["audio"]["duration"] - 2.978) < 0.01
    assert report["audio"]["rms_dbfs"] < 0


def test_analyse_text_output_is_readable() -> None:
    proc = run("analyse", str(SAMPLE_PORTRAIT))
    assert proc.returncode == 0, proc.stderr
    assert "1 face(s)" in proc.stdout


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path, grid: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    audio = grid / "s1" / "audio" / "bbaf2n.flac"
    for bad in (text, empty, tmp_path / "missing.png"):
        line = assert_clean_failure(run("analyse", str(bad)))
        assert bad.name in line or "does not exist" in line or "not" in line
        out = tmp_path / "out.mp4"
        assert_clean_failure(run("render", str(bad), str(audio), "-o", str(out)))
        assert not out.exists()


def test_render_refuses_unwritable_output_before_work(tmp_path: Path, grid: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "sub" / "out.mp4"  # parent is a regular file: never writable
    audio = grid / "s1" / "audio" / "bbaf2n.flac"
    line = assert_clean_failure(run("render", str(SAMPLE_PORTRAIT), str(audio), "-o", str(out)))
    assert "folder" in line.lower() or "write" in line.lower()
    assert list(tmp_path.iterdir()) == [blocker]


def test_render_rejects_bad_options(tmp_path: Path, grid: Path) -> None:
    audio = grid / "s1" / "audio" / "bbaf2n.flac"
    out = tmp_path / "o.mp4"
    assert_clean_failure(run("render", str(SAMPLE_PORTRAIT), str(audio), "-o", str(out),
                             "--start", "2", "--end", "1"))
    assert_clean_failure(run("render", str(SAMPLE_PORTRAIT), str(audio), "-o",
                             str(tmp_path / "o.avi")))
    assert not out.exists()


def _bad_inputs(tmp_path: Path, grid: Path) -> dict[str, tuple[Path, Path]]:
    """Each user mistake as (portrait, audio); the other input is valid."""
    import wave

    import numpy as np
    from PIL import Image as PILImage

    voice = grid / "s1" / "audio" / "bbaf2n.flac"
    jpeg = tmp_path / "cut.jpg"
    PILImage.open(SAMPLE_PORTRAIT).convert("RGB").save(jpeg, quality=90)
    jpeg.write_bytes(jpeg.read_bytes()[: jpeg.stat().st_size // 2])
    tiny = tmp_path / "tiny.png"
    PILImage.new("RGB", (1, 1)).save(tiny)
    landscape = tmp_path / "landscape.png"
    import skimage.data

    PILImage.fromarray(skimage.data.coffee()).save(landscape)
    empty_wav = tmp_path / "empty.wav"
    with wave.open(str(empty_wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    mp3 = tmp_path / "cut.mp3"
    import av

    with av.open(str(mp3), "w") as out:
        stream = out.add_stream("libmp3lame", rate=16000)
        stream.layout = "mono"
        samples = (np.sin(np.arange(16000 * 3) / 10) * 8000).astype(np.int16)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    mp3.write_bytes(mp3.read_bytes()[:600])
    return {
        "truncated jpeg": (jpeg, voice),
        "1x1 image": (tiny, voice),
        "no face": (landscape, voice),
        "wav without samples": (SAMPLE_PORTRAIT, empty_wav),
        "truncated mp3": (SAMPLE_PORTRAIT, mp3),
        "missing audio": (SAMPLE_PORTRAIT, tmp_path / "nope.wav"),
    }


def test_render_refuses_each_user_mistake_cleanly(tmp_path: Path, grid: Path) -> None:
    cases = _bad_inputs(tmp_path, grid)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for name, (portrait, audio) in cases.items():
        out = out_dir / "talk.mp4"
        line = assert_clean_failure(run("render", str(portrait), str(audio), "-o", str(out)))
        assert len(line) > 30, name
        assert list(out_dir.iterdir()) == [], f"{name} left a file behind"
