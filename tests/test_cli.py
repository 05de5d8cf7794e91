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
