"""Talkie's render and export speed, the H.264 lower bound, and the memory of a long export.

Everything goes through the engine's public API, as the GUI and the CLI do::

    from engine import load_image, load_audio, analyse_portrait, analyse_audio
    from engine import Animation, Settings, export

Inputs: ``assets/samples/astronaut.png`` upscaled to 1024x1024 (from
``skimage.data`` when the sample is not there yet), and GRID s1 sentences
from ``../shared/data/grid/s1/audio/*.flac`` joined to 10 s.

Measured, at 256, 512 and 1024 px (the output's long edge), 25 fps:

- ``render_ms_<size>``: one ``Animation.render_index`` call per frame, median;
- ``export_s_<size>``: ``engine.export`` of the 10 s (render, watermark,
  H.264 + AAC, atomic write), and per frame;
- ``encode_only_s_<size>``: the lower bound: the same frames, already
  rendered and held in memory, encoded alone with PyAV libx264 at the
  export's settings (crf 18, yuv420p, BT.709, profile high, the writer's
  default preset), no audio;
- side by side at 1024 px (``TALKIE_BENCH_PAIRS`` pairs, default 3, one after
  the other so that both meet the same load): encoding the held frames alone,
  then ``engine.export`` (render and watermark overlapped with encoding), then
  the export with the overlap switched off (``engine.export.PIPELINE_DEPTH = 0``,
  the pre-pipeline export); ``export_over_encode_1024`` is the median of the
  pairs' ratios, ``serial_over_encode_1024`` the same for the serial export;
  ``load_1min`` is the load average before and after;
- ``end_to_end_s_1024``: loading + analysis (cold) + motion + export at 1024
  px, the figure an artist waits for (target <= 10 s);
- ``long_peak_rss_mb``: a 10-minute export at 1024 px run as a child process
  (load, analyse, export), its peak resident memory:
  ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a small launcher process
  (Linux carries a parent's peak RSS over fork + exec into a child's
  ``ru_maxrss``, so the big benchmark process must not be the parent), and
  the child's own ``VmHWM`` as a cross-check; target <= 1.5 GB
  (:mod:`bench.long_export`).

Environment: ``TALKIE_BENCH_SIZES`` (``256,512,1024``), ``TALKIE_BENCH_SECONDS``
(10), ``TALKIE_BENCH_LONG_SECONDS`` (600; 0 skips the long run).
A stage that cannot run (an engine module not written yet, a missing input)
reports ``None`` with the reason; nothing here raises.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Inputs, helpers and the long export live in their own modules; the names are
# re-exported here so ``from bench.bench_export import ...`` keeps working.
from bench.export_common import (
    FPS,
    RSS_TARGET_MB,
    _cell,
    _env_int,
    _reason,
    engine_api,
    grid_speech,
    make_portrait,
    write_wav,
)
from bench.export_common import GRID_AUDIO as GRID_AUDIO
from bench.export_common import ROOT as ROOT
from bench.export_common import SAMPLE as SAMPLE
from bench.long_export import _long_child, bench_long
from bench.long_export import _vm_hwm_mb as _vm_hwm_mb

#: x264 presets timed at 1024 px beside the export's own, to show the speed/size trade-off.
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast")


# --------------------------------------------------------------------------- encode-only


def writer_preset() -> str:
    """The x264 preset ``engine.media.mp4.Mp4Writer`` uses by default (export passes none)."""
    try:
        from engine.media.mp4 import Mp4Writer

        default = inspect.signature(Mp4Writer).parameters["preset"].default
        return str(default) if isinstance(default, str) else "medium"
    except Exception:  # noqa: BLE001
        return "medium"


def encode_only(frames: list[np.ndarray], path: Path, crf: int = 18,
                preset: str | None = None) -> float:
    """Seconds to encode ``frames`` (RGB uint8) to H.264 MP4 at the export's settings."""
    import av

    h, w = frames[0].shape[:2]
    h, w = h - h % 2, w - w % 2
    t0 = time.perf_counter()
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height = w, h
        vs.pix_fmt = "yuv420p"
        cc = vs.codec_context
        cc.colorspace = cc.color_primaries = cc.color_trc = 1  # BT.709
        cc.color_range = 1  # limited
        cc.options = {"crf": str(crf), "preset": preset or writer_preset(), "profile": "high"}
        cc.thread_count = 0
        for rgb in frames:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w, :3]), format="rgb24")
            vf = vf.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
            for pkt in vs.encode(vf):
                c.mux(pkt)
        for pkt in vs.encode(None):
            c.mux(pkt)
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- stages


def _stage(res: dict[str, Any], key: str, unit: str, fn: Callable[[], float | None],
           target: str = "", note: str = "") -> float | None:
    try:
        value = fn()
        res[key] = _cell(value, unit, target, note)
        return value
    except Exception as exc:  # noqa: BLE001 - report, never crash
        logging.getLogger(__name__).debug("stage %s failed", key, exc_info=True)
        res[key] = _cell(None, unit, target, f"not available: {_reason(exc)}")
        return None


def _with_cpu(fn: Callable[[], float | None], cpu: list[float]) -> Callable[[], float | None]:
    """``fn`` that also appends the process CPU time it used (all threads) to ``cpu``."""

    def run() -> float | None:
        c0 = time.process_time()
        value = fn()
        cpu.append(time.process_time() - c0)
        return value

    return run


def bench_sizes(res: dict[str, Any], tmp: Path, seconds: float, sizes: list[int]) -> None:
    try:
        api = engine_api()
    except Exception as exc:  # noqa: BLE001
        res["engine"] = _cell(None, note=f"engine API not available: {_reason(exc)}")
        return

    portrait_png, speech_wav = tmp / "portrait.png", tmp / "speech.wav"
    res["portrait"] = _cell(make_portrait(portrait_png), note="upscaled to 1024x1024")
    write_wav(speech_wav, grid_speech(seconds))
    res["audio"] = _cell(f"GRID s1, {seconds:g} s", note="sentences joined")

    t = {}
    t0 = time.perf_counter()
    try:
        image = api.load_image(portrait_png)
        audio = api.load_audio(speech_wav)
        t["load"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        portrait = api.analyse_portrait(image)
        t["portrait"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        speech = api.analyse_audio(audio)
        t["audio"] = time.perf_counter() - t1
    except Exception as exc:  # noqa: BLE001
        res["analysis"] = _cell(None, note=f"not available: {_reason(exc)}")
        return
    res["load_s"] = _cell(t["load"], "s", note="decode portrait + audio")
    res["analyse_portrait_s"] = _cell(t["portrait"], "s", note="cold: includes model loading")
    res["analyse_audio_s"] = _cell(t["audio"], "s", note=f"phones of {seconds:g} s of speech")

    for size in sizes:
        settings = api.Settings(fps=FPS)
        t1 = time.perf_counter()
        try:
            anim = api.Animation(portrait, speech, settings)
        except Exception as exc:  # noqa: BLE001
            res[f"animation_{size}"] = _cell(None, note=f"not available: {_reason(exc)}")
            continue
        motion_s = time.perf_counter() - t1
        res[f"motion_s_{size}"] = _cell(motion_s, "s", note="Animation(): motion for the clip")
        n = anim.frame_count

        frames: list[np.ndarray] = []

        def render_all(anim: Any = anim, frames: list[np.ndarray] = frames, n: int = n,
                       size: int = size) -> float:
            times, cpus = [], []
            for i in range(n):
                t2, c2 = time.perf_counter(), time.process_time()
                frames.append(anim.render_index(i, size))
                times.append(time.perf_counter() - t2)
                cpus.append(time.process_time() - c2)
            res[f"render_cpu_ms_{size}"] = _cell(1000 * statistics.median(cpus), "ms",
                                                 note="CPU time per frame, all threads")
            return 1000 * statistics.median(times)

        shape = ""
        r = _stage(res, f"render_ms_{size}", "ms", render_all, note=f"median of {n} frames")
        if r is not None and frames:
            shape = "x".join(str(v) for v in frames[0].shape[1::-1])
            res[f"render_ms_{size}"]["note"] += f", {shape}"
        enc = None
        if frames:
            enc_mp4 = tmp / f"enc_{size}.mp4"
            cpu: list[float] = []
            enc = _stage(res, f"encode_only_s_{size}", "s",
                         _with_cpu(functools.partial(encode_only, frames, enc_mp4), cpu),
                         note=f"libx264 crf 18 yuv420p preset {writer_preset()}, no audio")
            if cpu and enc is not None:
                res[f"encode_only_cpu_s_{size}"] = _cell(cpu[0], "s", note="CPU time, all threads")
        if size == 1024 and frames and os.environ.get("TALKIE_BENCH_PRESETS", "1") != "0":
            for preset in PRESETS:
                p = tmp / f"preset_{preset}.mp4"
                sec = _stage(res, f"encode_only_s_1024_{preset}", "s",
                             functools.partial(encode_only, frames, p, 18, preset))
                if sec is not None:
                    mbit = p.stat().st_size * 8 / 1e6 / (n / FPS)
                    res[f"encode_only_s_1024_{preset}"]["note"] = (
                        f"x264 preset {preset}, crf 18: {mbit:.1f} Mbit/s")
                p.unlink(missing_ok=True)
        out = tmp / f"export_{size}.mp4"
        if size == 1024 and frames and enc is not None:
            side_by_side(res, api, anim, frames, tmp, out)
            ex = res.get(f"export_s_{size}", {}).get("value")
            if ex is not None:
                frames.clear()
                e2e = t["load"] + t["portrait"] + t["audio"] + motion_s + ex
                res["end_to_end_s_1024"] = _cell(e2e, "s", "<= 10",
                                                 "load + analysis (cold) + motion + export")
                continue
        frames.clear()

        def run_export(anim: Any = anim, out: Path = out, size: int = size) -> float:
            t2 = time.perf_counter()
            api.export(anim, out, api.OutputOptions(size=size))
            return time.perf_counter() - t2

        ex_cpu: list[float] = []
        ex = _stage(res, f"export_s_{size}", "s", _with_cpu(run_export, ex_cpu),
                    note=f"{n} frames{', ' + shape if shape else ''}, watermark on")
        if ex_cpu and ex is not None:
            res[f"export_cpu_s_{size}"] = _cell(ex_cpu[0], "s", note="CPU time, all threads")
        if ex is not None:
            res[f"export_ms_per_frame_{size}"] = _cell(1000 * ex / n, "ms")
            res[f"export_fps_{size}"] = _cell(n / ex, "fps")
            if enc:
                res[f"export_over_encode_{size}"] = _cell(ex / enc, "x",
                                                          note="export time / encode alone")
        if size == 1024 and ex is not None:
            e2e = t["load"] + t["portrait"] + t["audio"] + motion_s + ex
            res["end_to_end_s_1024"] = _cell(e2e, "s", "<= 10",
                                             "load + analysis (cold) + motion + export")
        out.unlink(missing_ok=True)


def side_by_side(res: dict[str, Any], api: Any, anim: Any, frames: list[np.ndarray],
                 tmp: Path, out: Path) -> None:
    """Encode alone, export (overlapped) and export (serial), pair after pair; see the doc."""
    import importlib

    # By module name: ``engine.export`` as an attribute is the function (engine's lazy API).
    export_module = importlib.import_module("engine.export")

    pairs = max(1, _env_int("TALKIE_BENCH_PAIRS", 3))
    n = len(frames)
    enc, exp, ser, exp_cpu, enc_cpu = [], [], [], [], []
    load0 = os.getloadavg()[0]
    depth = export_module.PIPELINE_DEPTH
    try:
        for _ in range(pairs):
            c0 = time.process_time()
            enc.append(encode_only(frames, tmp / "pair_enc.mp4"))
            enc_cpu.append(time.process_time() - c0)
            for serial, times in ((False, exp), (True, ser)):
                export_module.PIPELINE_DEPTH = 0 if serial else depth
                c0, t0 = time.process_time(), time.perf_counter()
                api.export(anim, out, api.OutputOptions(size=1024))
                times.append(time.perf_counter() - t0)
                if not serial:
                    exp_cpu.append(time.process_time() - c0)
                out.unlink(missing_ok=True)
    except Exception as exc:  # noqa: BLE001
        res["export_s_1024"] = _cell(None, "s", note=f"not available: {_reason(exc)}")
        return
    finally:
        export_module.PIPELINE_DEPTH = depth
    med = statistics.median
    ratios = [e / c for e, c in zip(exp, enc, strict=True)]
    serial_ratios = [e / c for e, c in zip(ser, enc, strict=True)]
    pair_note = f"median of {pairs} pairs"
    res["encode_only_s_1024"] = _cell(med(enc), "s", note=f"{pair_note}: "
                                      + ", ".join(f"{v:.2f}" for v in enc))
    res["encode_only_cpu_s_1024"] = _cell(med(enc_cpu), "s", note="CPU time, all threads")
    res["export_s_1024"] = _cell(med(exp), "s", note=f"{n} frames, watermark on, overlapped; "
                                 + ", ".join(f"{v:.2f}" for v in exp))
    res["export_cpu_s_1024"] = _cell(med(exp_cpu), "s", note="CPU time, all threads")
    res["export_ms_per_frame_1024"] = _cell(1000 * med(exp) / n, "ms")
    res["export_fps_1024"] = _cell(n / med(exp), "fps")
    res["export_over_encode_1024"] = _cell(
        med(ratios), "x", "<= 1.25", "export / encode alone, pair by pair: "
        + ", ".join(f"{r:.2f}" for r in ratios))
    res["export_serial_s_1024"] = _cell(med(ser), "s", note="PIPELINE_DEPTH = 0: render, mark "
                                        "and encode one after the other")
    res["serial_over_encode_1024"] = _cell(
        med(serial_ratios), "x", note="serial export / encode alone: "
        + ", ".join(f"{r:.2f}" for r in serial_ratios))
    res["load_1min"] = _cell(f"{load0:.1f} -> {os.getloadavg()[0]:.1f}",
                             note="load average before and after the pairs (2 cores)")


def main() -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    sizes = [int(s) for s in os.environ.get("TALKIE_BENCH_SIZES", "256,512,1024").split(",")
             if s.strip().isdigit()]
    seconds = float(_env_int("TALKIE_BENCH_SECONDS", 10))
    long_seconds = float(_env_int("TALKIE_BENCH_LONG_SECONDS", 600))
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="talkie-bench-export-") as d:
        tmp = Path(d)
        try:
            bench_sizes(res, tmp, seconds, sizes)
        except Exception as exc:  # noqa: BLE001
            res["sizes"] = _cell(None, note=f"not available: {_reason(exc)}")
            traceback.print_exc()
        if long_seconds > 0 and "engine" not in res:
            try:
                bench_long(res, tmp, long_seconds)
            except Exception as exc:  # noqa: BLE001
                res["long_peak_rss_mb"] = _cell(None, "MB", f"<= {RSS_TARGET_MB:.0f}",
                                                f"not available: {_reason(exc)}")
                traceback.print_exc()
    return res


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--long-child":
        _long_child(*sys.argv[2:6])  # the long child's old entry point, kept working
    else:
        print(json.dumps(main(), indent=2))
