"""Where batch jobs run on this machine: in this process, or a pool of processes."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from engine.batch.job import JobResult, run_job
from engine.batch.manifest import BatchJob
from engine.cancel import CancelToken


class Executor(Protocol):
    """Runs jobs somewhere; yields results as they finish and relays progress."""

    description: str

    def run(self, jobs: list[BatchJob], on_progress: Callable[[int, float], None],
            cancel: CancelToken) -> Iterator[JobResult]: ...


class InlineExecutor:
    """One job after another in this process (``--workers 1``)."""

    description = "1 worker (this process)"

    def run(self, jobs: list[BatchJob], on_progress: Callable[[int, float], None],
            cancel: CancelToken) -> Iterator[JobResult]:
        for job in jobs:
            if cancel.cancelled:
                return
            yield run_job(job, lambda f, r=job.row: on_progress(r, f), cancel)  # type: ignore[misc]


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them through ``stop``."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_job(job: BatchJob, events: Any, stop: Any) -> JobResult:
    """Worker-process side of :class:`LocalExecutor`."""
    cancel = CancelToken()

    def progress(f: float) -> None:
        if stop.is_set():
            cancel.cancel()
        events.put((job.row, f))

    return run_job(job, progress, cancel)


class LocalExecutor:
    """A pool of ``workers`` processes on this machine (``concurrent.futures``)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local worker processes"

    def run(self, jobs: list[BatchJob], on_progress: Callable[[int, float], None],
            cancel: CancelToken) -> Iterator[JobResult]:
        ctx = multiprocessing.get_context("spawn")  # no forked onnxruntime/x264 threads
        with ctx.Manager() as manager:
            events, stop = manager.Queue(), manager.Event()
            with ProcessPoolExecutor(self.workers, mp_context=ctx,
                                     initializer=_ignore_sigint) as pool:
                of: dict[Future[JobResult], BatchJob] = {
                    pool.submit(_pool_job, job, events, stop): job for job in jobs}
                pending = set(of)
                try:
                    while pending:
                        done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                        _drain(events, on_progress)
                        for fut in done:
                            if fut.cancelled():
                                continue
                            try:
                                yield fut.result()
                            except Exception as exc:  # noqa: BLE001 - the worker process died
                                job = of[fut]
                                yield JobResult(job.row, str(job.output), "failed", error=(
                                    "the worker process stopped unexpectedly "
                                    f"({type(exc).__name__}; out of memory?)"))
                        if cancel.cancelled:
                            stop.set()
                            for fut in pending:
                                fut.cancel()
                finally:
                    stop.set()
                    for fut in pending:
                        fut.cancel()
            _drain(events, on_progress)


def _drain(events: Any, on_progress: Callable[[int, float], None]) -> None:
    while True:
        try:
            row, f = events.get_nowait()
        except (queue.Empty, EOFError, OSError):
            return
        on_progress(row, f)


def batch_executor(workers: int = 1, ray: str | None = None,
                   cpus_per_job: float = 1.0) -> Executor:
    """Where a batch runs: this process (1 worker), a process pool, or a Ray cluster.

    Args:
        workers: jobs at once on this machine (ignored with ``ray``).
        ray: ``"auto"``, ``"local"`` or a cluster address (see
            :class:`engine.batch.ray_cluster.RayExecutor`); joined here, so a
            wrong address fails before any work.
        cpus_per_job: with ``ray``, the CPUs each task reserves.

    Raises:
        TalkieError: ``workers < 1``, ``cpus_per_job <= 0``, Ray missing or unreachable.
    """
    from engine.errors import TalkieError

    if workers < 1:
        raise TalkieError("--workers must be 1 or more.")
    if not cpus_per_job > 0:
        raise TalkieError("--cpus-per-job must be more than 0.")
    if ray:
        from engine.batch.ray_cluster import RayExecutor

        executor = RayExecutor(ray, cpus_per_job=cpus_per_job)
        executor.connect()
        return executor
    return InlineExecutor() if workers == 1 else LocalExecutor(workers)
