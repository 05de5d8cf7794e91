"""One batch job: is its output finished, and rendering it as ``main.py render`` would."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.batch.manifest import SETTING_OPTIONS, BatchJob
from engine.cancel import CancelToken
from engine.errors import Cancelled, TalkieError
from engine.provenance import sha256_file

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    """What happened to one job; one entry of the report."""

    row: int
    output: str
    status: str  # "done" | "skipped" | "failed" | "cancelled" | "not run" (batch stopped)
    seconds: float = 0.0
    frames: int = 0
    export_id: str | None = None
    worker: str = ""
    error: str | None = None


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
        same = (record.get("portrait_sha256") == sha256_file(job.portrait)
                and record.get("audio_sha256") == sha256_file(job.audio))
    except TalkieError:  # an input that cannot be read fails later, with its reason
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
        from engine.export import export
        from engine.media.files import refuse_input_as_output
        from engine.media.formats import check_export_target
        from engine.project import Project
        from engine.scene import animate, open_portrait, open_voice
        from engine.settings import OutputOptions, Settings, validate

        opts = job.options
        chosen: dict[str, dict[str, Any]] = {"settings": {}, "output": {}}
        for key, value in opts.items():
            if key in SETTING_OPTIONS:
                kind, name, _ = SETTING_OPTIONS[key]
                chosen[kind][name] = value
        project = Project(portrait=job.portrait, audio=job.audio,
                          settings=Settings().with_(**chosen["settings"]),
                          output=OutputOptions().with_(**chosen["output"]))
        validate(project.settings, project.output)
        refuse_input_as_output(job.output, {"portrait": job.portrait, "voice track": job.audio})
        check_export_target(job.output)  # before minutes of analysis
        face = str(opts.get("face", "")).strip()
        if face.lstrip("-").isdigit():
            project.face_index = int(face)
        elif face:
            from engine.face.fit import load_points_json

            project.face_points = load_points_json(Path(face))
        portrait = open_portrait(job.portrait, project.face_index, project.face_points)
        report(0.02)
        voice = open_voice(job.audio, lambda f, m: report(0.02 + 0.18 * f), cancel,
                           output=project.output)
        animation = animate(portrait, voice, project)
        result = export(animation, job.output, project.output,
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
