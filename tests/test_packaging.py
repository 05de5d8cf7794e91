"""Packaging: the PyInstaller spec, the smoke test's checks, and the frozen build itself.

The quick tests always run. The smoke test of the frozen app runs when
``dist/Talkie/`` exists and is newer than the sources, or when
``TALKIE_PACKAGE_TEST=1`` (then a missing or stale build is rebuilt first,
which takes a few minutes).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP = ROOT / "dist" / "Talkie" / ("Talkie.exe" if sys.platform == "win32" else "Talkie")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def smoke() -> ModuleType:
    return _load("smoke_test")


# --------------------------------------------------------------------------- the spec


def test_spec_is_python_and_names_the_app_from_the_project() -> None:
    text = (PACKAGING / "talkie.spec").read_text(encoding="utf-8")
    ast.parse(text)
    assert "from engine.version import APP_NAME, __version__" in text
    assert "name=APP_NAME" in text
    assert '"assets"' in text and "pocketsphinx" in text


def test_spec_leaves_out_training_and_unused_qt() -> None:
    tree = ast.parse((PACKAGING / "talkie.spec").read_text(encoding="utf-8"))
    names = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and isinstance(n.value, str)}
    for module in ("torch", "tensorflow", "mediapipe", "skimage", "matplotlib", "pytest"):
        assert module in names, module
    for qt in ("QtWebEngineCore", "Qt3DCore", "QtQuick", "QtQml", "QtMultimedia"):
        assert qt in names, qt
    for needed in ("QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGL", "QtOpenGLWidgets"):
        assert needed not in names, f"{needed} must stay in the build"


def test_the_app_never_imports_what_the_spec_excludes() -> None:
    """engine/, gui/ and cli/ must not import torch, skimage, ... at module level."""
    banned = {"torch", "tensorflow", "mediapipe", "skimage", "matplotlib", "pytest", "scipy"}
    training_only = {"engine/model/data.py", "cli/model_commands.py", "engine/model/train.py"}
    offenders = []
    for folder in ("engine", "gui", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in training_only or "/train" in rel:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:  # module level only: lazy imports in functions are fine
                mods: list[str] = []
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    mods = [node.module]
                offenders += [f"{rel}: {m}" for m in mods if m.split(".")[0] in banned]
    assert not offenders, offenders


def test_asset_paths_follow_the_bundle_when_frozen(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    from engine import paths

    assert paths.asset("models").parent == ROOT / "assets"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.asset("samples", "astronaut.png") == tmp_path / "assets/samples/astronaut.png"


# ------------------------------------------------------------------ the smoke test's checks


def test_fatal_lines_catch_missing_modules_and_qt_plugins(smoke: ModuleType) -> None:
    out = "\n".join([
        "starting",
        "ModuleNotFoundError: No module named 'engine.render.mouth'",
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it was '
        "found.",
        "qt.qpa.plugin: could not load the Qt platform plugin \"offscreen\"",
        "[PYI-1234:ERROR] Failed to execute script 'main' due to unhandled exception!",
        "all good",
    ])
    bad = smoke.fatal_lines(out)
    assert len(bad) == 4
    assert not smoke.fatal_lines("Talkie 0.1.0\nexported 75 frames\n")


def _tiny_mp4(path: Path, frames: int = 10, fps: int = 25) -> None:
    import av

    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("aac", rate=16000, layout="mono")
        for i in range(frames):
            img = np.full((48, 64, 3), i * 20, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        n = 16000 * frames // fps
        pcm = (0.1 * np.sin(np.arange(n) / 10)).astype(np.float32).reshape(1, -1)
        af = av.AudioFrame.from_ndarray(pcm, format="flt", layout="mono")
        af.sample_rate, af.pts, af.time_base = 16000, 0, Fraction(1, 16000)
        for p in a.encode(af):
            c.mux(p)
        for p in a.encode(None):
            c.mux(p)


def test_probe_mp4_reads_codecs_size_and_frames(smoke: ModuleType, tmp_path: Path) -> None:
    mp4 = tmp_path / "tiny.mp4"
    _tiny_mp4(mp4)
    info = smoke.probe_mp4(mp4)
    assert info["video"] == ["h264"] and info["audio"] == ["aac"]
    assert (info["width"], info["height"]) == (64, 48)
    assert info["frames"] == 10
    assert info["audio_s"] == pytest.approx(0.4, abs=0.07)


def test_smoke_test_fails_cleanly_without_a_build(smoke: ModuleType, tmp_path: Path) -> None:
    rc = smoke.main(["--app", str(tmp_path / "nothing" / "Talkie"),
                     "--report", str(tmp_path / "smoke.json")])
    assert rc == 1


# --------------------------------------------------------------------------- the frozen build


def _newest_source() -> float:
    files = [ROOT / "main.py", ROOT / "pyproject.toml", *PACKAGING.glob("*.spec")]
    for folder in ("engine", "gui", "cli", "assets"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


def _build_state() -> str:
    if not APP.exists():
        return "missing"
    return "stale" if APP.stat().st_mtime < _newest_source() else "fresh"


@pytest.mark.skipif(
    os.environ.get("TALKIE_PACKAGE_TEST") != "1" and _build_state() != "fresh",
    reason="no fresh frozen build (make package), and TALKIE_PACKAGE_TEST is not 1",
)
def test_frozen_app_smoke(smoke: ModuleType, tmp_path: Path) -> None:
    if _build_state() != "fresh":
        rc = subprocess.call([sys.executable, str(PACKAGING / "build.py")], cwd=ROOT)
        assert rc == 0, "make package failed"
    rc = smoke.main(["--app", str(APP), "--runs", "2", "--report",
                     str(tmp_path / "smoke.json")])
    assert rc == 0, (tmp_path / "smoke.json").read_text()
