"""``python -m bench`` (``make bench``): run every benchmark, write ``out/bench.md``.

Each ``bench/bench_*.py`` module that defines ``main() -> dict`` is run in a
process of its own (a crash, a missing engine module or a blown memory budget
in one cannot take the others down), and so is :mod:`bench.peers`. The dicts
become one markdown table, headed by a summary with the ratios the README
quotes, and the raw results are kept in ``out/bench.json``.

What ``main()`` may return (anything JSON-serialisable; nested dicts are
flattened to ``a.b`` names)::

    {"metric": 12.3,                                   # a bare value
     "other": {"value": 4.5, "unit": "ms", "target": "<= 10", "note": "..."},
     "skipped": {"value": None, "note": "why it could not run"}}

Options:
    --only NAME[,NAME]   run only these modules (e.g. ``export,peers``)
    --keep FILE          with --only: take the other modules' results from an
                         earlier ``bench.json`` (marked as such in the table)
    --quick              shorter long-export run (60 s instead of 10 min)
    --out DIR            where bench.md / bench.json go (default ``out``)
    --timeout S          per-module time limit in seconds (default 3 h)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

#: Runs one module's ``main()`` in a child process and writes its result (or error) as JSON.
_RUNNER = r"""
import importlib, json, sys, traceback
name, out = sys.argv[1], sys.argv[2]
try:
    mod = importlib.import_module(name)
    fn = getattr(mod, "main", None)
    if fn is None:
        res = {"__error__": "the module has no main()"}
    else:
        res = fn()
        if not isinstance(res, dict):
            res = {"result": res}
except BaseException as exc:  # noqa: BLE001 - the harness reports everything
    res = {"__error__": f"{type(exc).__name__}: {exc}",
           "__traceback__": traceback.format_exc(limit=6)}
with open(out, "w", encoding="utf-8") as f:
    json.dump(res, f, default=str)
"""


def discover() -> list[str]:
    """Module names of every ``bench/bench_*.py``, then ``bench.peers``."""
    names = sorted(f"bench.{p.stem}" for p in BENCH.glob("bench_*.py"))
    if (BENCH / "peers" / "__init__.py").exists():
        names.append("bench.peers")
    return names


def run_module(name: str, timeout: float, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """``(result dict, wall seconds)``; failures come back as ``{"__error__": reason}``."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="talkie-bench-") as tmp:
        out = Path(tmp) / "result.json"
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _RUNNER, name, str(out)],
                cwd=ROOT,
                env=env,
                timeout=timeout,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except subprocess.TimeoutExpired:
            return {"__error__": f"timed out after {timeout:.0f} s"}, time.perf_counter() - t0
        wall = time.perf_counter() - t0
        if out.exists():
            try:
                return json.loads(out.read_text(encoding="utf-8")), wall
            except ValueError as exc:
                return {"__error__": f"unreadable result ({exc})"}, wall
        tail = " | ".join(proc.stdout.strip().splitlines()[-3:])
        return {"__error__": f"the process died (exit {proc.returncode}): {tail}"}, wall


# --------------------------------------------------------------------------- formatting


def fmt(value: Any) -> str:
    if value is None:
        return "not available"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        a = abs(value)
        if a == 0:
            return "0"
        if a >= 100:
            return f"{value:,.0f}"
        if a >= 10:
            return f"{value:.1f}"
        if a >= 0.01:
            return f"{value:.3g}" if a < 1 else f"{value:.2f}"
        return f"{value:.2e}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _is_cell(d: dict[str, Any]) -> bool:
    return "value" in d and set(d) <= {"value", "unit", "target", "note", "ok"}


def rows_of(prefix: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten a result dict into rows ``{metric, value, unit, target, note}``."""
    rows: list[dict[str, Any]] = []
    for key, val in data.items():
        if key.startswith("__"):
            continue
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(val, dict) and _is_cell(val):
            rows.append({"metric": name, **val})
        elif isinstance(val, dict):
            rows.extend(rows_of(name, val))
        else:
            rows.append({"metric": name, "value": val})
    return rows


def _get(results: dict[str, dict[str, Any]], module: str, *path: str) -> float | None:
    node: Any = results.get(module, {})
    for p in path:
        if not isinstance(node, dict):
            return None
        node = node.get(p)
    if isinstance(node, dict):
        node = node.get("value")
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summary_rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, Any, str, str]]:
    """The headline figures and ratios: ``(what, value, target, note)``."""
    ex, peers = "bench.bench_export", "bench.peers"
    rows: list[tuple[str, Any, str, str]] = []
    for size in (256, 512, 1024):
        rows.append((f"Talkie render, ms/frame @ {size}px",
                     _get(results, ex, f"render_ms_{size}"), "", "median, one frame per call"))
    for size in (256, 512, 1024):
        rows.append((f"Talkie export of 10 s, s @ {size}px",
                     _get(results, ex, f"export_s_{size}"), "", "render + watermark + H.264/AAC"))
    e2e = _get(results, ex, "end_to_end_s_1024")
    rows.append(("Talkie 10 s @ 1024px incl. loading + analysis, s", e2e, "<= 10",
                 "" if e2e is None else ("met" if e2e <= 10 else "MISSED")))
    enc = _get(results, ex, "encode_only_s_1024")
    exp = _get(results, ex, "export_s_1024")
    rows.append(("H.264 encode alone, same 250 frames @ 1024px, s", enc, "", "lower bound"))
    rows.append(("ratio: Talkie export / encode alone @ 1024px",
                 _get(results, ex, "export_over_encode_1024") or _ratio(exp, enc), "<= 1.25",
                 "wall, median of side-by-side pairs; load "
                 + str(results.get(ex, {}).get("load_1min", {}).get("value"))))
    rows.append(("ratio: export without the overlap / encode alone @ 1024px",
                 _get(results, ex, "serial_over_encode_1024"), "",
                 "PIPELINE_DEPTH = 0, same pairs"))
    rows.append(("ratio: Talkie export / encode alone @ 1024px, CPU time",
                 _ratio(_get(results, ex, "export_cpu_s_1024"),
                        _get(results, ex, "encode_only_cpu_s_1024")), "",
                 "process CPU, all threads: robust to a busy machine"))
    for size in (256, 512):
        rows.append((f"ratio: Talkie export / encode alone @ {size}px",
                     _get(results, ex, f"export_over_encode_{size}"), "", ""))
    rss = _get(results, ex, "long_peak_rss_mb")
    long_s = _get(results, ex, "long_audio_s")
    rows.append((f"peak RSS of a {fmt((long_s or 600) / 60)}-minute export @ 1024px, MB", rss,
                 "<= 1536", "" if rss is None else ("met" if rss <= 1536 else "MISSED")))
    sda_s = _get(results, peers, "sda", "stream_ms_median")
    sda_b = _get(results, peers, "sda", "batched_ms_median")
    w2l_s = _get(results, peers, "wav2lip", "stream_ms_median")
    w2l_b = _get(results, peers, "wav2lip", "batched_ms_median")
    note = "re-implementation, random weights"
    rows.append(("SDA generator (96x128), ms/frame, streaming / batched", _pair(sda_s, sda_b), "",
                 note))
    rows.append(("Wav2Lip generator (96x96), ms/frame, streaming / batched", _pair(w2l_s, w2l_b),
                 "", note))
    r1024 = _get(results, ex, "render_ms_1024")
    e_frame = _get(results, ex, "export_ms_per_frame_1024")
    if r1024 is not None:
        rows.append(("ratio: Talkie render @ 1024px : SDA : Wav2Lip (streaming, Talkie = 1)",
                     _triple(r1024, sda_s, w2l_s), "", "per frame"))
    if e_frame is not None:
        rows.append(("ratio: Talkie export @ 1024px : SDA : Wav2Lip (batched, Talkie = 1)",
                     _triple(e_frame, sda_b, w2l_b), "",
                     "Talkie's time includes H.264 encoding, the peers' does not"))
    return rows


def _pair(a: float | None, b: float | None) -> str | None:
    if a is None and b is None:
        return None
    return f"{fmt(a)} / {fmt(b)}"


def _triple(t: float, s: float | None, w: float | None) -> str:
    return f"1 : {fmt(_ratio(s, t))} : {fmt(_ratio(w, t))}"


def render_markdown(results: dict[str, dict[str, Any]], walls: dict[str, float],
                    meta: dict[str, Any]) -> str:
    lines = [
        "# Talkie benchmarks",
        "",
        f"Machine: {meta['machine']}; {meta['cpus']} CPU(s); Python {meta['python']}; "
        f"load average at start {meta['load']}. Run {meta['when']} (UTC), "
        f"{meta['wall']:.0f} s in all.",
        "",
        "SDA and Wav2Lip are **architectural re-implementations** written for this benchmark "
        "from the papers' layer descriptions (bench/peers/), with **random weights**: they "
        "show how fast those generators run on this CPU (torch, 2 threads), not what they "
        "look like. Their face detection, cropping and mel features are not timed.",
        "",
        "## Summary",
        "",
        "| what | value | target | note |",
        "|---|---|---|---|",
    ]
    for what, value, target, note in summary_rows(results):
        lines.append(f"| {what} | {fmt(value)} | {target} | {note} |")
    lines += ["", "## All results", "", "| benchmark | metric | value | unit | target | note |",
              "|---|---|---|---|---|---|"]
    for name, data in results.items():
        short = name.removeprefix("bench.")
        if "__error__" in data:
            lines.append(f"| {short} | (all) | not available | | | {fmt(data['__error__'])} |")
            continue
        for row in rows_of("", data):
            lines.append(
                f"| {short} | {row['metric']} | {fmt(row.get('value'))} | "
                f"{fmt(row.get('unit', ''))} | {fmt(row.get('target', ''))} | "
                f"{fmt(row.get('note', ''))} |"
            )
        kept = data.get("__kept__", "")
        lines.append(f"| {short} | (wall time of the module) | {fmt(walls[name])} | s | | "
                     f"{kept} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated module names (export,peers)")
    ap.add_argument("--quick", action="store_true", help="60 s long-export run, not 10 min")
    ap.add_argument("--out", default=str(ROOT / "out"))
    ap.add_argument("--timeout", type=float, default=3 * 3600)
    ap.add_argument("--keep", default="", help="earlier bench.json for the modules not run")
    args = ap.parse_args(argv)

    names = discover()
    if args.only:
        want = {w.strip().removeprefix("bench.").removeprefix("bench_")
                for w in args.only.split(",")}
        names = [n for n in names if n.removeprefix("bench.").removeprefix("bench_") in want]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if args.quick:
        env.setdefault("TALKIE_BENCH_LONG_SECONDS", "60")

    started = time.time()
    meta: dict[str, Any] = {
        "machine": f"{platform.system()} {platform.machine()} {platform.processor() or ''}".strip(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "when": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)),
    }
    results: dict[str, dict[str, Any]] = {}
    walls: dict[str, float] = {}
    for name in names:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            results[name], walls[name] = run_module(name, args.timeout, env)
        except Exception as exc:  # noqa: BLE001 - never let one module stop the table
            results[name] = {"__error__": f"{type(exc).__name__}: {exc}"}
            walls[name] = 0.0
            traceback.print_exc()
        err = results[name].get("__error__")
        status = f"not available: {err}" if err else "ok"
        print(f"[bench] {name}: {status} ({walls[name]:.1f} s)", file=sys.stderr, flush=True)
    meta["wall"] = time.time() - started
    if args.keep:
        try:
            old = json.loads(Path(args.keep).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"[bench] --keep {args.keep}: {exc}", file=sys.stderr)
        else:
            when = old.get("meta", {}).get("when", "earlier")
            for name in discover():
                if name not in results and name in old.get("results", {}):
                    results[name] = old["results"][name]
                    results[name]["__kept__"] = f"from the run of {when}"
                    walls[name] = float(old.get("wall_s", {}).get(name, 0.0))
            results = {n: results[n] for n in discover() if n in results}

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md = render_markdown(results, walls, meta)
    (out / "bench.md").write_text(md, encoding="utf-8")
    (out / "bench.json").write_text(
        json.dumps({"meta": meta, "results": results, "wall_s": walls}, indent=2, default=str),
        encoding="utf-8",
    )
    print(md)
    print(f"[bench] wrote {out / 'bench.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
