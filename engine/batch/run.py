"""Running a batch: skip what is finished, run the rest, report and show progress."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.batch.executors import Executor
from engine.batch.job import JobResult, finished, job_weight
from engine.batch.manifest import BatchJob
from engine.cancel import CancelToken
from engine.errors import TalkieError


@dataclass
class BatchReport:
    """The JSON report of a batch (``to_dict``), written after every finished job."""

    manifest: str
    backend: str
    started: str
    jobs: list[JobResult] = field(default_factory=list)
    finished: str | None = None
    seconds: float = 0.0
    cancelled: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out = {"done": 0, "skipped": 0, "failed": 0, "cancelled": 0, "not run": 0}
        for j in self.jobs:
            out[j.status] += 1
        return out

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(j.status in ("done", "skipped") for j in self.jobs)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "talkie.batch-report/1", "manifest": self.manifest,
                "backend": self.backend, "started": self.started, "finished": self.finished,
                "seconds": round(self.seconds, 2), "cancelled": self.cancelled,
                "counts": self.counts, "ok": self.ok,
                "jobs": [asdict(j) for j in sorted(self.jobs, key=lambda j: j.row)]}


@dataclass
class BatchProgress:
    """Whole-batch progress passed to the caller's callback."""

    fraction: float
    done: int
    failed: int
    skipped: int
    total: int
    eta_s: float | None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_report(report: BatchReport, path: Path | None) -> None:
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run_batch(
    jobs: list[BatchJob],
    executor: Executor,
    report_path: Path | None = None,
    manifest: str = "",
    on_progress: Callable[[BatchProgress], None] | None = None,
    on_result: Callable[[JobResult], None] | None = None,
    cancel: CancelToken | None = None,
    redo: bool = False,
) -> BatchReport:
    """Run every job (see the module docstring); returns the report (also written to
    ``report_path`` after each job). ``redo`` re-renders outputs that are finished
    (never an output that is not Talkie's render of the job's inputs)."""
    cancel = cancel or CancelToken()
    report = BatchReport(manifest, executor.description, _now())
    started = time.perf_counter()
    todo: list[BatchJob] = []
    for job in jobs:
        try:
            if job.error is None and finished(job) and not redo:
                report.jobs.append(JobResult(job.row, str(job.output), "skipped"))
                if on_result:
                    on_result(report.jobs[-1])
                continue
        except TalkieError as exc:
            report.jobs.append(JobResult(job.row, str(job.output), "failed", error=exc.message))
            if on_result:
                on_result(report.jobs[-1])
            continue
        todo.append(job)  # with ``redo``, a finished render is replaced atomically at its end
    weights = {j.row: job_weight(j) for j in todo}
    total_w = sum(weights.values()) or 1.0
    frac = dict.fromkeys(weights, 0.0)
    t_work = time.perf_counter()
    last = [0.0]

    def emit(force: bool = False) -> None:
        if on_progress is None:
            return
        now = time.perf_counter()
        if not force and now - last[0] < 0.2:
            return
        last[0] = now
        f = sum(weights[r] * frac[r] for r in frac) / total_w
        elapsed = now - t_work
        eta = elapsed / f * (1 - f) if f > 0.01 else None
        c = report.counts
        on_progress(BatchProgress(f, c["done"], c["failed"], c["skipped"], len(jobs), eta))

    def progressed(row: int, f: float) -> None:
        if row in frac:
            frac[row] = max(frac[row], min(1.0, f))
        emit()

    _write_report(report, report_path)
    try:
        for result in executor.run(todo, progressed, cancel):
            frac[result.row] = 1.0
            report.jobs.append(result)
            if on_result:
                on_result(result)
            _write_report(report, report_path)
            emit(force=True)
    except KeyboardInterrupt:
        cancel.cancel()
    report.cancelled = cancel.cancelled
    ran = {j.row for j in report.jobs}
    report.jobs += [JobResult(j.row, str(j.output), "not run") for j in todo if j.row not in ran]
    report.finished = _now()
    report.seconds = time.perf_counter() - started
    _write_report(report, report_path)
    emit(force=True)
    return report
