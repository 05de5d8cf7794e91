"""Batch jobs as Ray tasks: the same :func:`engine.batch.run_job` on a cluster's nodes.

Ray places the tasks (each reserves ``cpus_per_job`` CPUs) and retries a task
whose node dies; Talkie only submits them and collects the results as they
finish. Progress comes back through a Ray queue (an actor).

Every node needs Talkie's Python dependencies (``pip install -e '.[cluster]'``
or the same packages) and must see the manifest's files at the same paths
(a shared folder: NFS, SMB, a cloud bucket mounted with the same path). The
code itself travels with the job: Ray ships this checkout to every node as
the job's working directory (about 30 MB, once per batch).

Needs the optional ``cluster`` extra (``ray``).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from engine.batch.job import JobResult, run_job
from engine.batch.manifest import BatchJob
from engine.cancel import CancelToken
from engine.errors import TalkieError
from engine.paths import app_root

log = logging.getLogger(__name__)

#: What Ray does not ship to the nodes (besides what .gitignore names).
SHIP_EXCLUDES = ["out", "runs", "cache", "build", "dist", "tests",
                 "docs", "bench", "tools", "packaging", "*.mp4", "*.mov", "*.webm"]


def _ray_job(job: BatchJob, events: Any) -> JobResult:
    """Runs on a Ray worker."""
    import ray

    def progress(f: float) -> None:
        try:
            events.put_nowait((job.row, f))
        except Exception:  # noqa: BLE001 - a full or lost queue only costs progress lines
            pass

    result = run_job(job, progress)
    node = ray.get_runtime_context().get_node_id()
    return replace(result, worker=f"{socket.gethostname()}:{os.getpid()} node {node[:12]}")


class RayExecutor:
    """Run jobs as Ray tasks.

    Args:
        address: ``"auto"`` (the cluster ``ray start`` runs on this machine),
            ``"local"`` (start a one-machine cluster for this batch), or a
            cluster address (``host:6379``, ``ray://host:10001``).
        cpus_per_job: CPUs each task reserves; Ray runs as many tasks at once
            as the cluster's CPUs allow.
    """

    def __init__(self, address: str, cpus_per_job: float = 1.0) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise TalkieError("Ray is not installed. Install the cluster extra: "
                              "pip install -e '.[cluster]'") from None
        self.address = address
        self.cpus_per_job = cpus_per_job
        self.description = f"Ray ({address})"
        self._owns_connection = False

    def connect(self) -> None:
        """Join the cluster (unless this process already has); fills ``description``."""
        import ray

        if ray.is_initialized():
            return
        runtime_env = {"working_dir": str(app_root()), "excludes": SHIP_EXCLUDES}
        kwargs: dict[str, Any] = {"runtime_env": runtime_env, "log_to_driver": False,
                                  "logging_level": logging.WARNING}
        try:
            if self.address == "local":
                ray.init(include_dashboard=False, **kwargs)
            else:
                ray.init(address=self.address, **kwargs)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise TalkieError(f"Could not join the Ray cluster at {self.address} "
                              f"({str(exc).splitlines()[0][:200]}). Start one with "
                              "'ray start --head', or use --ray local.") from exc
        self._owns_connection = True
        cpus = ray.cluster_resources().get("CPU", 0)
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        self.description = (f"Ray ({self.address}): {nodes} node(s), "
                            f"{cpus:g} CPUs, {self.cpus_per_job:g} per job")

    def run(self, jobs: list[BatchJob], on_progress: Callable[[int, float], None],
            cancel: CancelToken) -> Iterator[JobResult]:
        import ray
        from ray.util.queue import Queue

        self.connect()
        try:
            events = Queue(maxsize=10000)
            task = ray.remote(num_cpus=self.cpus_per_job, max_retries=1)(_ray_job)
            refs = {task.remote(job, events): job for job in jobs}
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1, timeout=0.25)
                self._drain(events, on_progress)
                for ref in done:
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayError as exc:  # the task itself died
                        job = refs[ref]
                        yield JobResult(job.row, str(job.output), "failed",
                                        error=f"the Ray task failed: {str(exc).splitlines()[0]}")
                if cancel.cancelled:
                    for ref in pending:
                        ray.cancel(ref)
                    return
            self._drain(events, on_progress)
        finally:
            if self._owns_connection:
                ray.shutdown()
                self._owns_connection = False

    @staticmethod
    def _drain(events: Any, on_progress: Callable[[int, float], None]) -> None:
        while True:
            try:
                row, f = events.get_nowait()
            except (queue.Empty, Exception):  # noqa: BLE001 - ray.util.queue.Empty
                return
            on_progress(row, f)
