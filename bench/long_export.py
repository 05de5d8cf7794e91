"""The memory of a long export: a 10-minute export at 1024 px in a child process.

Not a benchmark module of its own (``python -m bench`` runs only
``bench/bench_*.py``): :func:`bench_long` is called by
:func:`bench.bench_export.main` and fills ``long_*`` results.

The child (``python -m bench.long_export --long-child PORTRAIT SPEECH OUT
REPORT``) runs the whole app path (load, analyse, export) and reports its own
``VmHWM`` at each step. Its peak resident memory is
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a small launcher process
(Linux carries a parent's peak RSS over fork + exec into a child's
``ru_maxrss``, so the big benchmark process must not be the parent); target
<= 1.5 GB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.export_common import (
    FPS,
    ROOT,
    RSS_TARGET_MB,
    _cell,
    engine_api,
    grid_speech,
    make_portrait,
    write_wav,
)

#: ``python -m`` name of this module, which the launcher runs with ``--long-child``.
CHILD_MODULE = "bench.long_export"

#: Runs ``argv[2:]``, writes its ``RUSAGE_CHILDREN.ru_maxrss`` to ``argv[1]``, exits with its code.
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def _vm_hwm_mb() -> float | None:
    """Peak RSS of this process's own address space (Linux ``VmHWM``), MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _long_child(portrait: str, speech: str, out: str, report: str) -> None:
    """Runs in the child process: the whole app path, timed, at 1024 px."""
    api = engine_api()

    imports_mb = _vm_hwm_mb()
    t0 = time.perf_counter()
    image = api.load_image(portrait)
    audio = api.load_audio(speech)
    anim = api.Animation(api.analyse_portrait(image), api.analyse_audio(audio),
                         api.Settings(fps=FPS))
    t1 = time.perf_counter()
    analysis_mb = _vm_hwm_mb()
    result = api.export(anim, out, api.OutputOptions(size=1024))
    t2 = time.perf_counter()
    Path(report).write_text(json.dumps({
        "peak_mb_after_imports": imports_mb,
        "peak_mb_after_analysis": analysis_mb,
        "vm_hwm_mb": _vm_hwm_mb(),
        "analysis_s": t1 - t0,
        "export_s": t2 - t1,
        "frames": anim.frame_count,
        "size": [getattr(result, "width", None), getattr(result, "height", None)],
    }))


def bench_long(res: dict[str, Any], tmp: Path, seconds: float) -> None:
    portrait_png, speech_wav = tmp / "portrait.png", tmp / "long.wav"
    if not portrait_png.exists():
        make_portrait(portrait_png)
    write_wav(speech_wav, grid_speech(seconds))
    out, report = tmp / "long.mp4", tmp / "long.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    rss_out = tmp / "rss.txt"
    t0 = time.perf_counter()
    # A small launcher process runs the export and reads RUSAGE_CHILDREN. Not a
    # direct child of this process: Linux carries a parent's peak RSS over
    # fork + exec into the child's ru_maxrss, and this process holds frames.
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(rss_out), sys.executable, "-m",
         CHILD_MODULE, "--long-child",
         str(portrait_png), str(speech_wav), str(out), str(report)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    err = proc.stderr.decode(errors="replace")
    wall = time.perf_counter() - t0
    res["long_audio_s"] = _cell(seconds, "s", note="GRID s1 joined")
    if proc.returncode != 0 or not report.exists() or not rss_out.exists():
        tail = " | ".join(err.strip().splitlines()[-2:])
        res["long_peak_rss_mb"] = _cell(None, "MB", f"<= {RSS_TARGET_MB:.0f}",
                                        f"the export failed (exit {proc.returncode}): {tail}")
        return
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    kib = int(rss_out.read_text()) / (1024 if sys.platform == "darwin" else 1)
    rss_mb = kib / 1024
    info = json.loads(report.read_text())
    res["long_peak_rss_mb"] = _cell(rss_mb, "MB", f"<= {RSS_TARGET_MB:.0f}",
                                    "whole app path in a child process: "
                                    "getrusage(RUSAGE_CHILDREN).ru_maxrss")
    res["long_rss_ok"] = _cell(rss_mb <= RSS_TARGET_MB)
    if info.get("vm_hwm_mb") is not None:
        res["long_vm_hwm_mb"] = _cell(info["vm_hwm_mb"], "MB",
                                      note="the child's own VmHWM (/proc), cross-check")
    res["long_peak_mb_after_imports"] = _cell(info["peak_mb_after_imports"], "MB",
                                              note="engine imported, nothing loaded")
    res["long_peak_mb_after_analysis"] = _cell(info["peak_mb_after_analysis"], "MB",
                                               note="inputs loaded, analysed, motion built")
    res["long_analysis_s"] = _cell(info["analysis_s"], "s")
    res["long_export_s"] = _cell(info["export_s"], "s", note=f"{info['frames']} frames")
    res["long_export_fps"] = _cell(info["frames"] / info["export_s"], "fps")
    res["long_wall_s"] = _cell(wall, "s", note="child process, start to exit")
    out.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--long-child":
        _long_child(*sys.argv[2:6])
    else:
        sys.exit(f"usage: python -m {CHILD_MODULE} --long-child PORTRAIT SPEECH OUT REPORT")
