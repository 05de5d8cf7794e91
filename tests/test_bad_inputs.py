"""The command line never loses work: inputs are never overwritten, interruptions leave no
file, every option is checked before work starts, and the messages say what to do.

Each case is one row of the README's table "Bad inputs and interruptions".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image as PILImage

from tests.conftest import ROOT, two_faces
from tests.test_cli import SAMPLE_PORTRAIT, assert_clean_failure, run


@pytest.fixture(scope="module")
def voice(grid: Path) -> Path:
    return grid / "s1" / "audio" / "bbaf2n.flac"


def _voice_mp4(src: Path, out: Path) -> Path:
    """The GRID clip's sound in an MP4 (like a recorded interview)."""
    with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
        stream = dst.add_stream("aac", rate=16000, layout="mono")
        for frame in inp.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return out


def test_an_output_that_is_an_input_is_refused(tmp_path: Path, voice: Path) -> None:
    interview = _voice_mp4(voice, tmp_path / "interview.mp4")
    face = tmp_path / "face.mp4"                      # a PNG portrait named .mp4
    shutil.copy(SAMPLE_PORTRAIT, face)
    link = tmp_path / "link.mp4"
    link.symlink_to(interview)
    hard = tmp_path / "hard.mp4"
    os.link(interview, hard)
    project = tmp_path / "scene.mp4"                  # a project named .mp4
    project.write_text('{"format": "talkie-project", "format_version": 2}')
    before = {p: p.read_bytes() for p in (interview, face, project)}
    cases = [
        (["render", str(SAMPLE_PORTRAIT), str(interview), "-o", str(interview)], "voice track"),
        (["render", str(face), str(interview), "-o", str(face)], "portrait"),
        (["render", str(SAMPLE_PORTRAIT), str(interview), "-o", str(link)], "voice track"),
        (["render", str(SAMPLE_PORTRAIT), str(interview), "-o",
          str(tmp_path / "sub" / ".." / "hard.mp4")], "voice track"),
        (["render", str(SAMPLE_PORTRAIT), str(interview), "--project", str(project),
          "-o", str(project)], "project"),
    ]
    (tmp_path / "sub").mkdir()
    for args, what in cases:
        line = assert_clean_failure(run(*args))
        assert f"is the {what} itself" in line, line
    assert {p: p.read_bytes() for p in before} == before
    assert not [p for p in tmp_path.iterdir() if ".part-" in p.name]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_cancels_a_render_like_ctrl_c(tmp_path: Path, voice: Path,
                                               sig: signal.Signals) -> None:
    """`timeout`, `kill`, a closed terminal or a container stop: a message, no file."""
    out = tmp_path / "talk.mp4"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "render", str(SAMPLE_PORTRAIT), str(voice),
         "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(".part-" in p.name for p in tmp_path.iterdir()):  # the export has begun
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert f"Stopped by {sig.name}. Nothing was written." in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_options_are_checked_before_any_work(tmp_path: Path, voice: Path) -> None:
    out = tmp_path / "o.mp4"
    cases = {
        ("--start", "nan"): "--start must be",
        ("--end", "inf"): "--end must be",
        ("--blink-rate", "nan"): "--blink-rate must be",
        ("--liveliness", "3"): "--liveliness must be",
        ("--breath", "4"): "--breath must be",
        ("--blink-duration", "0.05"): "--blink-duration must be",
        ("--start", "99"): "--start must be before the end of the voice track",
        ("--face", "5"): "There is no face 5 in this picture: 1 face was found",
        ("--background", "pink"): "--background must be",
    }
    for option, expected in cases.items():
        proc = run("render", str(SAMPLE_PORTRAIT), str(voice), "-o", str(out), *option)
        line = assert_clean_failure(proc)   # one line: no analysis progress was printed
        assert expected in line, (option, line)
        assert "unexpected" not in line
    assert list(tmp_path.iterdir()) == []


def test_messages_say_what_is_wrong(tmp_path: Path, voice: Path) -> None:
    long_out = tmp_path / ("a" * 250 + ".mp4")
    line = assert_clean_failure(run("render", str(SAMPLE_PORTRAIT), str(voice), "-o",
                                    str(long_out)))
    assert "too long" in line
    long_in = tmp_path / ("b" * 260 + ".png")
    line = assert_clean_failure(run("render", str(long_in), str(voice), "-o",
                                    str(tmp_path / "o.mp4")))
    assert "too long" in line
    assert "is a folder" in assert_clean_failure(run("verify", str(tmp_path)))
    assert "still image, not a video" in assert_clean_failure(run("verify",
                                                                   str(SAMPLE_PORTRAIT)))
    assert "does not exist" in assert_clean_failure(run("evaluate", str(tmp_path / "no.mp4")))
    line = assert_clean_failure(run("render", str(SAMPLE_PORTRAIT), str(voice), "-o",
                                    "/proc/talkie.mp4"))
    assert "does not accept new files" in line
    wall = tmp_path / "wall.png"
    grad = np.tile(np.linspace(40, 200, 320, dtype=np.uint8), (240, 1))
    PILImage.fromarray(np.dstack([grad, grad, grad])).save(wall)
    line = assert_clean_failure(run("render", str(wall), str(voice), "-o",
                                    str(tmp_path / "o.mp4")))
    assert "No face was found" in line and "--face points.json" in line


def test_several_faces_say_which_is_animated(tmp_path: Path, voice: Path) -> None:
    pair = two_faces(SAMPLE_PORTRAIT, tmp_path / "pair.png")
    out = tmp_path / "pair.mp4"
    proc = run("render", str(pair), str(voice), "-o", str(out), "--size", "128", "--end", "0.2")
    assert proc.returncode == 0, proc.stderr
    assert "2 faces were found; animating face 0 (the largest)" in proc.stderr
    assert "--face N (0 to 1" in proc.stderr


def test_a_transparent_portrait_is_flattened_onto_the_background(tmp_path: Path,
                                                                 voice: Path) -> None:
    """The colour stored under transparent pixels (here red) must not show in the video."""
    rgba = np.asarray(PILImage.open(SAMPLE_PORTRAIT).convert("RGBA")).copy()
    rgba[:, :96, :3] = (255, 0, 0)
    rgba[:, :96, 3] = 0
    cut_out = tmp_path / "cut_out.png"
    PILImage.fromarray(rgba).save(cut_out)
    for args, colour in (((), (255, 255, 255)), (("--background", "#000000"), (0, 0, 0))):
        out = tmp_path / f"flat{colour[0]}.mp4"
        proc = run("render", str(cut_out), str(voice), "-o", str(out), "--end", "0.2", *args)
        assert proc.returncode == 0, proc.stderr
        assert "transparency" in proc.stderr and "--background" in proc.stderr
        with av.open(str(out)) as c:
            frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
        edge = frame[40:-40, 8:80].reshape(-1, 3).mean(axis=0)
        assert np.abs(edge - colour).max() < 12, edge


def test_paths_without_a_command_open_the_studio(tmp_path: Path, voice: Path) -> None:
    """Quitting while they are still being analysed stops the workers first (a thread
    still running when Qt is torn down aborted the process)."""
    big = tmp_path / "big.jpg"   # 36 megapixels: still being analysed at the quit
    PILImage.open(SAMPLE_PORTRAIT).convert("RGB").resize((6000, 6000)).save(big, quality=85)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TALKIE_SMOKE_QUIT_MS="0",
               TALKIE_NO_SOUND="1", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), str(big), str(voice)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "event loop running" in proc.stderr and "Destroyed while thread" not in proc.stderr
    typo = run("rendr", str(SAMPLE_PORTRAIT))      # a mistyped command is not a file
    assert typo.returncode == 2 and "invalid choice: 'rendr'" in typo.stderr


def test_make_demo_creates_its_output_folder() -> None:
    recipe = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, MAKEFLAGS="")).stdout.splitlines()
    render = next(i for i, ln in enumerate(recipe) if "main.py render" in ln)
    assert "mkdir -p out" in recipe[:render]
