"""Smoke test of the frozen Talkie app (``dist/Talkie/``), run after ``make package``.

    python packaging/smoke_test.py [--app dist/Talkie/Talkie] [--runs 3]

1. Starts the frozen GUI offscreen (``QT_QPA_PLATFORM=offscreen``) with
   ``TALKIE_SMOKE_QUIT_MS``, which makes the app quit that many milliseconds
   after its event loop starts; it must exit 0 in time, and its output must
   show no missing module, no missing Qt plugin and no traceback. The wall
   time minus the quit delay is the start-up time (first run, then the
   median of the warm runs).
2. Runs the frozen CLI: ``Talkie version`` (must print the project's version)
   and ``Talkie render`` on the bundled sample portrait and voice at
   ``--size 256``; the MP4 is checked with PyAV: H.264 video of the right size
   and frame count, AAC audio, nothing else.
3. Prints the package size (and file count) and writes every figure to
   ``out/smoke.json``.

Exit status 0 when every check passes, 1 otherwise. This script needs only
the standard library and PyAV, never the source tree's engine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "Talkie"
FPS = 25
QUIT_MS = 300
#: What main.py prints (stderr) when the smoke timer starts, i.e. the event loop runs.
LOOP_MARKER = "talkie-smoke: event loop running"
#: What a child process started with multiprocessing's "spawn" context prints in the
#: smoke run: the analysis path of gui/isolated.py, which in a frozen app only works
#: when main.py calls multiprocessing.freeze_support() before reading its arguments.
CHILD_MARKER = "talkie-smoke: child process ran"

#: Output that means the bundle is broken, whatever the exit status.
FATAL_PATTERNS = [
    r"No module named",
    r"ModuleNotFoundError",
    r"ImportError",
    r"could not (load|find) the Qt platform plugin",
    r"This application failed to start because no Qt platform plugin",
    r"Cannot load library",
    r"cannot open shared object file",
    r"Traceback \(most recent call last\)",
    r"Failed to execute script",
    r"\[PYI-\d+:ERROR\]",
]
_FATAL = re.compile("|".join(FATAL_PATTERNS), re.IGNORECASE)


def fatal_lines(text: str) -> list[str]:
    """Lines of ``text`` that show a missing module, Qt plugin or library, or a crash."""
    return [line for line in text.splitlines() if _FATAL.search(line)]


@dataclass
class Report:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, ok, detail))
        mark = "ok  " if ok else "FAIL"
        print(f"[smoke] {mark} {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def default_app() -> Path:
    exe = APP_NAME + (".exe" if sys.platform == "win32" else "")
    return ROOT / "dist" / APP_NAME / exe


def bundle_root(app: Path) -> Path:
    """The folder that holds ``assets/`` in the bundle (PyInstaller 6: ``_internal``)."""
    for cand in (app.parent / "_internal", app.parent, app.parent.parent / "Resources"):
        if (cand / "assets").is_dir():
            return cand
    return app.parent / "_internal"


def folder_size(path: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            p = Path(dirpath) / n
            if not p.is_symlink():
                total += p.stat().st_size
                files += 1
    return total, files


def run(cmd: list[str], env: dict[str, str], timeout: float,
        marker: str | None = None) -> tuple[int | None, str, float, float | None]:
    """``(exit code or None on timeout, stdout+stderr, wall seconds, marker seconds)``.

    ``marker seconds`` is when the first output line containing ``marker``
    arrived, counted from the start (``None`` if it never did).
    """
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace")
    lines: list[str] = []
    seen: list[float] = []

    def pump() -> None:
        assert p.stdout is not None
        for line in p.stdout:
            if marker and not seen and marker in line:
                seen.append(time.perf_counter() - t0)
            lines.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        rc: int | None = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    wall = time.perf_counter() - t0
    reader.join(timeout=10)
    return rc, "".join(lines), wall, (seen[0] if seen else None)


def clean_env(tmp: Path) -> dict[str, str]:
    """The user's environment without Python or Qt settings that could mask a broken bundle."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "QT_", "TALKIE_")) and k not in ("VIRTUAL_ENV",)}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["HOME"] = str(tmp / "home")  # no settings from the developer's own session
    env["XDG_CONFIG_HOME"] = str(tmp / "home" / ".config")
    env["XDG_CACHE_HOME"] = str(tmp / "home" / ".cache")
    env["XDG_RUNTIME_DIR"] = str(tmp / "runtime")
    for d in ("home/.config", "home/.cache", "runtime"):
        (tmp / d).mkdir(parents=True, exist_ok=True)
    os.chmod(tmp / "runtime", 0o700)
    return env


def expected_version() -> str | None:
    try:
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return m.group(1) if m else None


def audio_seconds(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        n = 0
        rate = s.rate or s.codec_context.sample_rate
        for frame in c.decode(s):
            n += frame.samples
        return n / rate


def probe_mp4(path: Path) -> dict[str, object]:
    """Codecs, size and decoded frame count of an MP4 (PyAV)."""
    import av

    info: dict[str, object] = {}
    with av.open(str(path)) as c:
        info["format"] = c.format.name
        info["video"] = [s.codec_context.name for s in c.streams.video]
        info["audio"] = [s.codec_context.name for s in c.streams.audio]
        info["other_streams"] = len(c.streams) - len(c.streams.video) - len(c.streams.audio)
        v = c.streams.video[0]
        info["width"], info["height"] = v.codec_context.width, v.codec_context.height
        info["pix_fmt"] = v.codec_context.pix_fmt
        info["fps"] = float(v.average_rate) if v.average_rate else None
        info["frames"] = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        info["audio_s"] = (sum(f.samples for f in c.decode(audio=0)) / c.streams.audio[0].rate
                           if c.streams.audio else 0.0)
    return info


#: Qt platform plugins a desktop user needs, per OS (the smoke test itself runs offscreen).
PLATFORM_PLUGINS = {
    "linux": ("libqxcb.so", "libqwayland.so", "libqoffscreen.so"),
    "darwin": ("libqcocoa.dylib", "libqoffscreen.dylib"),
    "win32": ("qwindows.dll", "qoffscreen.dll"),
}


def check_qt_plugins(app: Path, rep: Report) -> None:
    """The desktop platform plugins are in the bundle; report their unresolved libraries."""
    root = bundle_root(app)
    folder = next(iter(root.glob("PySide6/Qt/plugins/platforms")), None) or next(
        iter(root.rglob("plugins/platforms")), None)
    key = "linux" if sys.platform.startswith("linux") else sys.platform
    want = PLATFORM_PLUGINS.get(key, ())
    have = {p.name for p in folder.iterdir()} if folder else set()
    missing = [w for w in want if w not in have]
    rep.check("Qt platform plugins bundled", folder is not None and not missing,
              f"{', '.join(w for w in want if w in have)}"
              + (f"; MISSING {', '.join(missing)}" if missing else ""))
    if key != "linux" or folder is None or not (folder / "libqxcb.so").exists():
        return
    # Libraries neither bundled nor installed here; a user's desktop usually has them.
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(
        [str(root), str(root / "PySide6" / "Qt" / "lib")]))
    try:
        out = subprocess.run(["ldd", str(folder / "libqxcb.so")], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    except OSError:
        return
    absent = sorted({ln.split()[0] for ln in out.splitlines() if "not found" in ln})
    rep.figures["xcb_unresolved_libs"] = absent
    if absent:
        print(f"[smoke] note: the X11 (xcb) plugin needs {', '.join(absent)}, neither bundled nor "
              "installed on this machine; install them before `make package` to bundle them",
              flush=True)


def check_gui(app: Path, env: dict[str, str], runs: int, rep: Report) -> None:
    genv = dict(env, TALKIE_SMOKE_QUIT_MS=str(QUIT_MS))
    times = []
    for k in range(runs):
        rc, out, wall, loop_s = run([str(app)], genv, timeout=180, marker=LOOP_MARKER)
        bad = fatal_lines(out)
        name = f"GUI start {k + 1}/{runs} (offscreen, quits {QUIT_MS} ms into its event loop)"
        if rc is None:
            rep.check(name, False, "did not quit within 180 s: does main.py honour "
                                   "TALKIE_SMOKE_QUIT_MS?" + _tail(out))
            return
        if not rep.check(name, rc == 0 and not bad,
                         f"exit {rc}, {wall:.2f} s" + (_tail("\n".join(bad) or out)
                                                      if rc or bad else "")):
            return
        if loop_s is not None and k == 0 and not rep.check(
                "GUI runs a spawned child process (the analysis path)", CHILD_MARKER in out,
                "" if CHILD_MARKER in out else
                f"no {CHILD_MARKER!r}: main.py must call multiprocessing.freeze_support() "
                "first, and the smoke hook start a spawn child" + _tail(out)):
            return
        # Start-up = until the event loop runs: the marker's arrival when main.py
        # prints it, else the wall time less the quit delay (includes shutdown).
        times.append(loop_s if loop_s is not None else max(0.0, wall - QUIT_MS / 1000))
        rep.figures["startup_measured_by"] = "marker" if loop_s is not None else "wall - quit delay"
    rep.figures["startup_first_s"] = round(times[0], 2)
    if len(times) > 1:
        rep.figures["startup_warm_s"] = round(statistics.median(times[1:]), 2)


def check_cli(app: Path, env: dict[str, str], tmp: Path, size: int, rep: Report) -> None:
    rc, out, wall, _ = run([str(app), "version"], env, timeout=120)
    want = expected_version()
    rep.figures["cli_version_s"] = round(wall, 2)
    rep.check("CLI version", rc == 0 and not fatal_lines(out) and (want is None or want in out),
              f"exit {rc}, {wall:.2f} s, printed {out.strip()[:80]!r}, expected {want}")

    root = bundle_root(app)
    samples = root / "assets" / "samples"
    portrait = samples / "astronaut.png"
    voices = [samples / "grid_s1_bbaf2n.flac"] + sorted(
        p for p in samples.glob("*") if p.suffix.lower() in (".flac", ".wav", ".mp3", ".m4a"))
    voice = next((p for p in voices if p.exists()), None)
    if not rep.check("bundled samples", portrait.exists() and voice is not None,
                     f"{portrait.name}, {voice.name if voice else 'no voice sample'} in {samples}"):
        return
    assert voice is not None
    mp4 = tmp / "smoke.mp4"
    cmd = [str(app), "render", str(portrait), str(voice), "-o", str(mp4), "--size", str(size)]
    rc, out, wall, _ = run(cmd, env, timeout=900)
    rep.figures["cli_render_s"] = round(wall, 2)
    bad = fatal_lines(out)
    if not rep.check("CLI render", rc == 0 and not bad and mp4.exists(),
                     f"exit {rc}, {wall:.1f} s" + (_tail("\n".join(bad) or out)
                                                  if rc or bad or not mp4.exists() else "")):
        return
    info = probe_mp4(mp4)
    seconds = audio_seconds(voice)
    frames = int(round(seconds * FPS))
    rep.figures["render_mp4"] = info
    rep.check("MP4 streams", info["video"] == ["h264"] and info["audio"] == ["aac"]
              and info["other_streams"] == 0,
              f"video {info['video']}, audio {info['audio']}")
    long_edge = max(int(info["width"]), int(info["height"]))  # type: ignore[call-overload]
    rep.check("MP4 size", size - 1 <= long_edge <= size,
              f"{info['width']}x{info['height']}, {info['pix_fmt']}")
    rep.check("MP4 frame count", abs(int(info["frames"]) - frames) <= 1,  # type: ignore[call-overload]
              f"{info['frames']} frames, expected {frames} ({seconds:.3f} s at {FPS} fps)")
    a_s = float(info["audio_s"])  # type: ignore[arg-type]
    rep.check("MP4 audio length", abs(a_s - frames / FPS) <= 0.1,
              f"{a_s:.3f} s of sound for {frames / FPS:.3f} s of video")
    rc, out, wall, _ = run([str(app), "verify", str(mp4)], env, timeout=300)
    rep.figures["cli_verify_exit"] = rc
    last = out.strip().splitlines()[-1][:100] if out.strip() else ""
    rep.check("CLI verify (runs, imports complete)", rc is not None and not fatal_lines(out),
              f"exit {rc}, {wall:.1f} s: {last}")


def _tail(text: str, n: int = 8) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()][-n:]
    return ("\n    " + "\n    ".join(lines)) if lines else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", default=str(default_app()), help="the frozen executable")
    ap.add_argument("--runs", type=int, default=3, help="GUI starts to time (first = cold)")
    ap.add_argument("--size", type=int, default=256, help="render's long edge, px")
    ap.add_argument("--report", default=str(ROOT / "out" / "smoke.json"))
    ap.add_argument("--skip-gui", action="store_true")
    ap.add_argument("--skip-render", action="store_true")
    args = ap.parse_args(argv)

    app = Path(args.app).absolute()
    rep = Report()
    if not rep.check("frozen app exists", app.is_file() and os.access(app, os.X_OK), str(app)):
        print("[smoke] build it first: make package", file=sys.stderr)
        return 1
    size, files = folder_size(app.parent)
    rep.figures["package_mb"] = round(size / 2**20, 1)
    rep.figures["package_files"] = files
    print(f"[smoke] package: {app.parent} {size / 2**20:.1f} MB in {files} files", flush=True)
    with tempfile.TemporaryDirectory(prefix="talkie-smoke-") as d:
        tmp = Path(d)
        env = clean_env(tmp)
        check_qt_plugins(app, rep)
        if not args.skip_gui:
            check_gui(app, env, max(1, args.runs), rep)
        if not args.skip_render:
            check_cli(app, env, tmp, args.size, rep)
    figs = rep.figures
    print(f"[smoke] package size {figs.get('package_mb')} MB ({files} files); start-up to the "
          f"event loop: first {figs.get('startup_first_s')} s, "
          f"warm {figs.get('startup_warm_s')} s; "
          f"'version' {figs.get('cli_version_s')} s; render {figs.get('cli_render_s')} s")
    out = Path(args.report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"ok": rep.ok, "figures": figs,
                               "checks": [{"name": n, "ok": o, "detail": dt}
                                          for n, o, dt in rep.checks]}, indent=2, default=str))
    print(f"[smoke] {'PASSED' if rep.ok else 'FAILED'} "
          f"({sum(o for _, o, _ in rep.checks)}/{len(rep.checks)} checks)")
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
