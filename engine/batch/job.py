"""One batch job: is its output finished, and rendering it as ``main.py render`` would."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

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
        from engine.media.formats import check_export_target

        for src in (job.portrait, job.audio):
            if job.output.resolve() == src.resolve():
                raise TalkieError(f"The output {job.output.name} is one of the inputs.")
        check_export_target(job.output)
        opts = job.options
        settings = engine.Settings().with_(
            **{SETTING_OPTIONS[k][0]: v for k, v in opts.items() if k in SETTING_OPTIONS})
        if settings.fps not in engine.FPS_CHOICES:
            raise TalkieError(f"fps must be one of {', '.join(map(str, engine.FPS_CHOICES))}.")
        image = engine.load_image(job.portrait)
        audio = engine.load_audio(job.audio)
        face = str(opts.get("face", "")).strip()
        landmarks = None
        if face and not face.lstrip("-").isdigit():
            points = Path(face)  # made absolute by read_manifest
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
