"""Build the one-folder Talkie app with PyInstaller (``make package``).

    python packaging/build.py [--dist dist] [--work build/pyinstaller] [--archive]

Runs PyInstaller on ``packaging/talkie.spec`` and reports the build time and
the size of ``dist/Talkie/``; the figures also go to
``out/package.json`` for the README. ``--archive`` also packs
``dist/Talkie-<version>-<platform>.tar.gz`` for release.

PyInstaller must be installed in the running environment
(``pip install 'pyinstaller>=6.10'``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "talkie.spec"


def folder_size(path: Path) -> int:
    """Bytes on disk of every file under ``path`` (like ``du -sb``, symlinks not followed)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            p = Path(dirpath) / f
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def strip_python(folder: Path) -> int:
    """Strip the symbol tables of libpython and the stdlib's extension modules; bytes saved.

    Only these: the interpreter's own files are plain builds, while the wheels'
    libraries (numpy, cv2, av, ...) were rewritten by auditwheel/patchelf, and
    ``strip`` breaks those ("ELF load command address/offset not page-aligned"),
    which is why the spec's global ``strip`` stays off. Linux only.
    """
    tool = shutil.which("strip")
    if not sys.platform.startswith("linux") or tool is None:
        return 0
    internal = folder / "_internal"
    targets = [p for p in internal.glob("libpython3*.so*") if not p.is_symlink()]
    targets += sorted(internal.glob("python3*/lib-dynload/*.so"))
    saved = 0
    for p in targets:
        before = p.stat().st_size
        if subprocess.call([tool, "--strip-unneeded", str(p)]) == 0:
            saved += before - p.stat().st_size
    return saved


def app_dir(dist: Path) -> Path:
    from engine.version import APP_NAME

    return dist / APP_NAME


def executable(dist: Path) -> Path:
    from engine.version import APP_NAME

    exe = app_dir(dist) / (APP_NAME + (".exe" if sys.platform == "win32" else ""))
    return exe


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dist", default=str(ROOT / "dist"))
    ap.add_argument("--work", default=str(ROOT / "build" / "pyinstaller"))
    ap.add_argument("--archive", action="store_true", help="also write a .tar.gz of the app")
    ap.add_argument("--report", default=str(ROOT / "out" / "package.json"))
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from engine.version import APP_NAME, __version__

    if not (ROOT / "main.py").exists():
        print("packaging: main.py is missing; nothing to build", file=sys.stderr)
        return 2
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print("packaging: PyInstaller is not installed (pip install 'pyinstaller>=6.10')",
              file=sys.stderr)
        return 2

    dist, work = Path(args.dist), Path(args.work)
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    print("packaging:", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, cwd=ROOT)
    build_s = time.perf_counter() - t0
    if rc != 0:
        print(f"packaging: PyInstaller failed (exit {rc}) after {build_s:.0f} s", file=sys.stderr)
        return rc
    folder = app_dir(dist)
    exe = executable(dist)
    if not exe.exists():
        print(f"packaging: {exe} was not built", file=sys.stderr)
        return 1
    saved = strip_python(folder)
    build_s = time.perf_counter() - t0
    size = folder_size(folder)
    report = {
        "app": APP_NAME,
        "version": __version__,
        "platform": f"{platform.system()}-{platform.machine()}",
        "folder": str(folder),
        "executable": str(exe),
        "build_s": round(build_s, 1),
        "size_bytes": size,
        "size_mb": round(size / 2**20, 1),
        "stripped_mb": round(saved / 2**20, 1),
        "files": sum(len(f) for _, _, f in os.walk(folder)),
    }
    if args.archive:
        name = f"{APP_NAME}-{__version__}-{platform.system().lower()}-{platform.machine()}.tar.gz"
        arc = dist / name
        t1 = time.perf_counter()
        with tarfile.open(arc, "w:gz", compresslevel=6) as tar:
            tar.add(folder, arcname=f"{APP_NAME}-{__version__}")
        report["archive"] = str(arc)
        report["archive_mb"] = round(arc.stat().st_size / 2**20, 1)
        report["archive_s"] = round(time.perf_counter() - t1, 1)
    out = Path(args.report)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous.update(report)
    out.write_text(json.dumps(previous, indent=2))
    print(f"packaging: built {folder} in {build_s:.0f} s; {report['size_mb']} MB "
          f"in {report['files']} files"
          + (f"; archive {report['archive_mb']} MB" if args.archive else ""))
    if shutil.which("du"):
        subprocess.call(["du", "-sh", str(folder)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
