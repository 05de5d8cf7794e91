"""``main.py batch MANIFEST``: many renders, on local processes or a Ray cluster."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import engine


def add_parser(sub: Any) -> None:
    columns = ", ".join(sorted(k.replace("_", "-") for k in engine.BATCH_OPTIONS))
    b = sub.add_parser(
        "batch", help="render every row of a manifest (CSV or JSON lines), resumably",
        description="Render the jobs of MANIFEST: a CSV file whose header names portrait, "
        f"audio and output (other columns are render options: {columns}), "
        "or the same as JSON lines. Outputs already rendered from the same "
        "inputs are skipped; a failing job is reported and the others go on. Exit 0 only "
        "when every job succeeded, 1 when some failed, 2 when the manifest is unusable.")
    b.add_argument("manifest", type=Path)
    b.add_argument("--workers", type=int, default=1,
                   help="jobs at once on this machine (default 1)")
    b.add_argument("--ray", metavar="auto|local|ADDRESS",
                   help="run the jobs on a Ray cluster: 'auto' joins the cluster started "
                        "with 'ray start' on this machine, ADDRESS another one "
                        "(host:6379 or ray://host:10001), 'local' starts one here; "
                        "needs the cluster extra (pip install -e '.[cluster]')")
    b.add_argument("--cpus-per-job", type=float, default=1.0,
                   help="with --ray: CPUs Ray reserves for each job (default 1)")
    b.add_argument("--report", type=Path,
                   help="JSON report (default: MANIFEST's name + .report.json beside it)")
    b.add_argument("--redo", action="store_true",
                   help="render again outputs that are already finished")
    b.set_defaults(func=cmd_batch)


class BatchLine:
    """``batch [#####     ]  42%  3/10 done, 1 failed  ETA 1:20`` on stderr."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = 0.0
        self.shown_final = False

    def __call__(self, p: Any) -> None:
        now = time.monotonic()
        final = p.done + p.failed + p.skipped == p.total
        if self.shown_final or (not final and now - self.last < (0.2 if self.tty else 5.0)):
            return
        self.shown_final = final
        self.last = now
        filled = int(round(self.width * p.fraction))
        eta = "" if p.eta_s is None or final else \
            f"  ETA {int(p.eta_s) // 60}:{int(p.eta_s) % 60:02d}"
        counts = f"{p.done + p.skipped}/{p.total} done" + (f", {p.failed} failed"
                                                            if p.failed else "")
        line = (f"batch [{'#' * filled}{' ' * (self.width - filled)}] "
                f"{p.fraction * 100:3.0f}%  {counts}{eta}")
        self.stream.write(line + ("\r" if self.tty and not final else "\n"))
        self.stream.flush()


def cmd_batch(args: argparse.Namespace) -> int:
    jobs = engine.read_manifest(args.manifest)
    report_path = args.report or args.manifest.with_name(args.manifest.name + ".report.json")
    executor = engine.batch_executor(args.workers, args.ray, args.cpus_per_job)
    print(f"batch: {len(jobs)} jobs from {args.manifest.name} on {executor.description}",
          file=sys.stderr)
    line = BatchLine()

    def result(r: Any) -> None:
        if r.status == "failed" and not cancel.cancelled:
            print(f"{chr(10) if line.tty else ''}failed: line {r.row} ({Path(r.output).name}): "
                  f"{r.error}", file=sys.stderr)

    cancel = engine.CancelToken()
    # Ctrl-C, `kill`, a closed terminal: stop, keep what is finished, report.
    stops = [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    handlers = {s: signal.signal(s, lambda *_: cancel.cancel()) for s in stops}
    try:
        report = engine.run_batch(jobs, executor, report_path, str(args.manifest),
                                  on_progress=line, on_result=result, cancel=cancel,
                                  redo=args.redo)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    c = report.counts
    print(f"batch: {c['done']} rendered, {c['skipped']} already finished, {c['failed']} failed"
          + (f", {c['cancelled']} cancelled" if c["cancelled"] else "")
          + (f", {c['not run']} not started" if c["not run"] else "")
          + f" in {report.seconds:.1f} s; report {report_path}", file=sys.stderr)
    if report.cancelled:
        print("Cancelled: finished outputs are kept; run the same command to resume.",
              file=sys.stderr)
        return 130
    return 0 if report.ok else 1
