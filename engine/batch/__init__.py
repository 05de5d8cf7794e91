"""Batches: a manifest of renders, run on local processes or on a Ray cluster.

A manifest is a CSV file whose header names at least ``portrait``, ``audio``
and ``output`` (any other column is a render option, see :data:`OPTIONS`),
or the same as JSON lines (one object per line). Relative paths are relative
to the manifest's folder. Empty cells take the default.

Running a batch (:func:`run_batch`):

* **Resumable.** A job whose output already exists and carries Talkie's
  provenance record for the same portrait and audio (SHA-256) is skipped.
  Exports are written to a temporary file and renamed at the end, so an
  output that exists is finished. An existing output that is not such a
  render is never overwritten: that job fails and says so.
* **Failures stay local.** A failing job is reported with its one-line reason
  and the others go on.
* **Progress** covers the whole batch, each job weighted by its audio's
  length, with an ETA.
* **Where it runs** is an executor: :class:`LocalExecutor` (a pool of
  processes on this machine) or :class:`engine.batch.ray_cluster.RayExecutor` (tasks
  on a Ray cluster). Neither schedules anything itself: the pool and Ray do.

The per-job work, :func:`run_job`, is what ``main.py render`` does.
"""

from __future__ import annotations

from engine.batch.executors import Executor, InlineExecutor, LocalExecutor, batch_executor
from engine.batch.job import JobResult, finished, job_weight, run_job
from engine.batch.manifest import (
    OPTIONS,
    BatchJob,
    ManifestError,
    read_manifest,
    write_manifest,
)
from engine.batch.run import BatchProgress, BatchReport, run_batch

#: The manifest's option columns (the public API's name for :data:`OPTIONS`).
BATCH_OPTIONS = OPTIONS

__all__ = [
    "BATCH_OPTIONS",
    "OPTIONS",
    "BatchJob",
    "BatchProgress",
    "BatchReport",
    "Executor",
    "InlineExecutor",
    "JobResult",
    "LocalExecutor",
    "batch_executor",
    "ManifestError",
    "finished",
    "job_weight",
    "read_manifest",
    "run_batch",
    "run_job",
    "write_manifest",
]
