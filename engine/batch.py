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
  processes on this machine) or :class:`engine.batch_ray.RayExecutor` (tasks
  on a Ray cluster). Neither schedules anything itself: the pool and Ray do.

The per-job work, :func:`run_job`, is what ``main.py render`` does.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import multiprocessing
import os
import queue
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from engine.cancel import CancelToken
from engine.errors import Cancelled, InputError, TalkieError

log = logging.getLogger(__name__)

REQUIRED = ("portrait", "audio", "output")
_BOOL = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False}


def _choice(*values: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in values:
            raise ValueError(f"one of {', '.join(values)}")
        return text
    return parse


def _number(kind: type) -> Callable[[str], Any]:
    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> Any:
        try:
            x = float(text)
        except ValueError:
            raise ValueError(what) from None
        if not math.isfinite(x) or (kind is int and not x.is_integer()):
            raise ValueError(what)
        return kind(x)
    return parse


def _bool(text: str) -> bool:
    try:
        return _BOOL[text.lower()]
    except KeyError:
        raise ValueError("yes or no") from None


#: Option column -> parser (from the cell's text). Names as ``main.py render``'s
#: options, ``-`` or ``_`` alike.
OPTIONS: dict[str, Callable[[str], Any]] = {
    "fps": _number(int), "size": _number(int), "seed": _number(int),
    "blink_rate": _number(float), "blink_duration": _number(float),
    "head_motion": _number(float), "mouth_intensity": _number(float),
    "motion": _choice("gan", "phonetic"), "crf": _number(int),
    "start": _number(float), "end": _number(float),
    "face": str, "watermark": _bool,
}
#: Option -> :class:`engine.settings.Settings` field.
SETTING_FIELDS = {"fps": "fps", "size": "size", "seed": "seed", "blink_rate": "blink_rate",
                  "blink_duration": "blink_duration", "head_motion": "head_motion",
                  "mouth_intensity": "mouth_intensity", "motion": "motion_source",
                  "crf": "crf", "start": "start", "end": "end"}


class ManifestError(InputError):
    """The manifest cannot be used at all (missing columns, unknown option, bad file)."""


@dataclass(frozen=True)
class BatchJob:
    """One row of a manifest.

    Attributes:
        row: the row's line number in the manifest (the header is line 1 of a CSV).
        portrait, audio, output: absolute paths.
        options: render options parsed from the other columns (see :data:`OPTIONS`).
        error: why the row cannot run (a bad cell), or ``None``.
    """

    row: int
    portrait: Path
    audio: Path
    output: Path
    options: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class JobResult:
    """What happened to one job; one entry of the report."""

    row: int
    output: str
    status: str  # "done" | "skipped" | "failed" | "cancelled"
    seconds: float = 0.0
    frames: int = 0
    export_id: str | None = None
    worker: str = ""
    error: str | None = None


# --------------------------------------------------------------------------- manifest


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ManifestError(f"The manifest {path.name} was not found.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"The manifest {path.name} could not be read ({exc}).") from exc
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first.lstrip().startswith("{"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{path.name} line {n} is not JSON ({exc.msg}).") from exc
            if not isinstance(obj, dict):
                raise ManifestError(f"{path.name} line {n} is not a JSON object.")
            yield n, obj
        return
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None:
        raise ManifestError(f"The manifest {path.name} is empty.")
    for n, row in enumerate(reader, start=2):
        if None in row:
            raise ManifestError(f"{path.name} line {n} has more cells than the header.")
        if any((v or "").strip() for v in row.values()):
            yield n, row


def read_manifest(path: str | Path) -> list[BatchJob]:
    """Parse a CSV or JSON-lines manifest (see the module docstring).

    Rows with a bad cell come back with ``error`` set, so that they fail alone.

    Raises:
        ManifestError: unreadable file, no rows, a missing required column,
            an unknown column, or two rows writing the same output.
    """
    p = Path(path)
    base = p.resolve().parent
    jobs: list[BatchJob] = []
    for n, raw in _rows(p):
        row = {_norm(str(k)): v for k, v in raw.items()}
        missing = [c for c in REQUIRED if c not in row]
        if missing:
            raise ManifestError(f"{p.name} line {n} has no {', '.join(missing)} "
                                "(the columns portrait, audio and output are required).")
        unknown = sorted(set(row) - set(REQUIRED) - set(OPTIONS))
        if unknown:
            raise ManifestError(f"{p.name}: unknown column {', '.join(unknown)}; render options "
                                f"are {', '.join(sorted(OPTIONS))}.")
        paths = {c: str(row[c] or "").strip() for c in REQUIRED}
        error = next((f"the {c} cell is empty" for c in REQUIRED if not paths[c]), None)
        options: dict[str, Any] = {}
        for name, parse in OPTIONS.items():
            value = row.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                options[name] = value if isinstance(value, bool) else parse(str(value).strip())
            except ValueError as exc:
                error = error or f"{name} must be {exc}, not {value!r}"
        portrait, audio, output = (base / os.path.expanduser(paths[c]) if paths[c] else base
                                   for c in REQUIRED)
        jobs.append(BatchJob(n, portrait, audio, output, options, error))
    if not jobs:
        raise ManifestError(f"The manifest {p.name} has no jobs.")
    seen: dict[str, int] = {}
    for job in jobs:
        key = os.path.normcase(str(job.output.resolve()))
        if key in seen and job.error is None:
            raise ManifestError(f"{p.name} lines {seen[key]} and {job.row} write the same "
                                f"output {job.output.name}.")
        seen[key] = job.row
    return jobs


# --------------------------------------------------------------------------- one job


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def finished(job: BatchJob) -> bool:
    """True when ``job.output`` exists and is Talkie's render of the job's inputs.

    Raises:
        TalkieError: the output exists but is something else (never overwritten).
    """
    if not job.output.exists():
        return False
    from engine.provenance import parse_tags
    from engine.provenance.sequence import read_output_tags

    try:
        record = parse_tags(read_output_tags(job.output))
    except TalkieError:
        record = {}
    try:
        same = (record.get("portrait_sha256") == _sha256(job.portrait)
                and record.get("audio_sha256") == _sha256(job.audio))
    except OSError:
        same = False
    if record and same:
        return True
    raise TalkieError(f"{job.output.name} already exists and is not Talkie's render of this "
                      "portrait and audio; it is left alone. Remove it or choose another output.")


def run_job(
    job: BatchJob,
    progress: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
) -> JobResult:
    """Render one job as ``main.py render`` would; never raises for a job's own failure.

    Whether the output is already finished is the caller's check (:func:`finished`).

    Args:
        job: the job.
        progress: ``progress(fraction)`` of this job, 0..1.
        cancel: stops the job (the result is ``failed`` with "Cancelled").
    """
    import engine

    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    report = progress or (lambda f: None)
    cancel = cancel or CancelToken()

    def fail(message: str) -> JobResult:
        log.info("job at line %d failed: %s", job.row, message)
        return JobResult(job.row, str(job.output), "failed", time.perf_counter() - started,
                         worker=worker, error=message)

    if job.error:
        return fail(job.error)
    try:
        from engine.media.formats import check_output

        for src in (job.portrait, job.audio):
            if job.output.resolve() == src.resolve():
                raise TalkieError(f"The output {job.output.name} is one of the inputs.")
        check_output(job.output)
        opts = job.options
        settings = engine.Settings().with_(
            **{SETTING_FIELDS[k]: v for k, v in opts.items() if k in SETTING_FIELDS})
        image = engine.load_image(job.portrait)
        audio = engine.load_audio(job.audio)
        face = str(opts.get("face", "")).strip()
        landmarks = None
        if face and not face.lstrip("-").isdigit():
            points = Path(face) if Path(face).is_absolute() else job.portrait.parent / face
            landmarks = engine.fit_face(engine.load_points_json(points, image.rgb.shape),
                                        image.rgb.shape)
        portrait = engine.analyse_portrait(image, face_index=int(face) if face.lstrip("-")
                                           .isdigit() else 0, landmarks=landmarks)
        report(0.02)
        analysis = engine.analyse_audio(
            audio, progress=lambda f, m: report(0.02 + 0.18 * f), cancel=cancel)
        animation = engine.Animation(portrait, analysis, settings)
        result = engine.export(animation, job.output,
                               progress=lambda f, m: report(0.2 + 0.8 * f), cancel=cancel,
                               watermark=bool(opts.get("watermark", True)))
    except Cancelled as exc:
        return replace(fail(exc.message), status="cancelled")
    except TalkieError as exc:
        return fail(exc.message)
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the batch
        log.exception("job at line %d", job.row)
        return fail(f"unexpected {type(exc).__name__}: {exc}")
    report(1.0)
    return JobResult(job.row, str(job.output), "done", time.perf_counter() - started,
                     frames=result.frames, export_id=result.export_id, worker=worker)


def job_weight(job: BatchJob) -> float:
    """Expected work of a job: its audio's length in seconds (1 when unknown)."""
    try:
        import av

        with av.open(str(job.audio)) as c:
            if c.duration:
                return max(float(c.duration) / 1e6, 0.1)
    except Exception:  # noqa: BLE001 - a missing or broken file fails later, with its reason
        pass
    return 1.0


# --------------------------------------------------------------------------- executors

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


# --------------------------------------------------------------------------- the batch


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
        out = {"done": 0, "skipped": 0, "failed": 0, "cancelled": 0}
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
    report.finished = _now()
    report.seconds = time.perf_counter() - started
    _write_report(report, report_path)
    emit(force=True)
    return report


def write_manifest(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write ``rows`` as a CSV manifest (header from the first row); for tools and tests."""
    rows = list(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
