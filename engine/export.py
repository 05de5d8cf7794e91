"""Export: stream rendered frames and the original audio into a video or a PNG sequence.

The output's name chooses the format (:mod:`engine.media.formats`): H.264/AAC
``.mp4``, ProRes 4444 ``.mov`` and VP9 ``.webm`` with alpha, or a folder of PNGs.
The motion comes from the :class:`Animation` (its direction, ``Settings``);
what is written comes from :class:`engine.settings.OutputOptions` (size,
quality, stretch, background), so exporting at another size never rebuilds
the motion. Frames are rendered, watermarked and converted for the encoder on
worker threads, a few frames ahead of the encoder (:mod:`engine.media.prefetch`),
so both run at once and memory stays flat whatever the length of the audio.
The writer works on a temporary file or folder and renames it at the end: a
cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from engine.animation import Animation
from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.errors import TalkieError
from engine.media.files import refuse_input_as_output
from engine.media.formats import check_export_target, format_for
from engine.media.image import flatten
from engine.media.mp4 import Mp4Writer
from engine.media.prefetch import prefetch
from engine.provenance import Watermarker, provenance_tags, sha256_file
from engine.settings import MAX_LONG_EDGE, OutputOptions
from engine.version import __version__

log = logging.getLogger(__name__)

#: Frames rendered ahead of the encoder (each 3-16 MB at 1024-2048 px); 0 renders
#: and encodes one after the other on one thread (the benchmark's reference).
PIPELINE_DEPTH = 6
#: Threads that render ahead. Rendering and marking a 1024 px frame takes
#: longer than x264 needs to encode it, so one thread alone keeps the encoder
#: waiting about a quarter of the time (measured); two keep it fed.
PIPELINE_WORKERS = 2
#: OpenCV's own threads during an export: the frame pipeline and the encoder
#: already keep the cores busy, and OpenCV splitting each call across threads
#: on top costs CPU time (the watermark: 5.6 ms of CPU a 1024 px frame on two
#: threads against 4.2 ms on one).
EXPORT_CV_THREADS = 1


@contextlib.contextmanager
def _cv_threads(n: int) -> Iterator[None]:
    """Run with OpenCV's thread count at ``n`` (process-wide), then restore it."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(n)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        path: the MP4 file.
        frames: number of video frames.
        width, height: frame size in pixels.
        seconds: wall time of the export.
        export_id: the id carried by the watermark and the metadata.
    """

    path: Path
    frames: int
    width: int
    height: int
    seconds: float
    export_id: str


def frame_range(animation: Animation, output: OutputOptions) -> range:
    """Frame indices of the stretch between the output's start and end.

    Raises:
        SettingsError: the stretch is empty or starts past the end of the audio.
    """
    output.validate(animation.duration)
    fps = animation.fps
    first = max(0, int(round(output.start * fps)))
    last = animation.frame_count if output.end is None else int(round(output.end * fps))
    last = min(last, animation.frame_count)
    if last <= first:
        end = "the end" if output.end is None else f"{output.end:.2f} s"
        raise TalkieError(f"The stretch to render is empty (from {output.start:.2f} s to {end} "
                          f"of a {animation.duration:.2f} s voice track).")
    return range(first, last)


def export_id_for(animation: Animation, frames: range, output: OutputOptions | None = None) -> str:
    """A 32-hex-digit id derived from everything that shapes the output.

    The same inputs, settings, output options, blinks and version give the
    same id, so that re-rendering gives the same pictures, watermark included
    (x264's threaded encoder may still, rarely, write them as other bytes); any
    change gives another id.
    """
    a = animation
    record = {
        "portrait": sha256_file(a.portrait.image.path),
        "audio": sha256_file(a.audio.audio.path),
        "settings": a.settings.to_dict(),
        "blinks": [[b.onset, b.duration, b.depth] for b in a.blink_events],
        "face": [a.portrait.face_index, hashlib.sha256(a.portrait.landmarks.tobytes()).hexdigest()],
        "frames": [frames.start, frames.stop],
        "version": __version__,
    }
    if output is not None:
        record["output"] = output.to_dict()
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:32]


def check_output(animation: Animation, out_path: Path | str) -> Path:
    """Check, before any work, that ``out_path`` can be written and is none of the inputs.

    Returns:
        ``out_path`` as an absolute path.

    Raises:
        OutputError: see :func:`engine.media.formats.check_export_target`, or
            the output is the portrait or the voice track itself.
    """
    refuse_input_as_output(out_path, {"portrait": animation.portrait.image.path,
                                      "voice track": animation.audio.audio.path})
    return check_export_target(out_path)


def export_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def _even(n: int) -> int:
    return n - (n % 2)


def export(
    animation: Animation,
    out_path: Path | str,
    output: OutputOptions | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    watermark: bool = True,
) -> ExportResult:
    """Render the animation's stretch to ``out_path``.

    Args:
        animation: what to render (its settings give the frame rate).
        out_path: the file to write, replaced atomically when done; its name
            chooses the format (:func:`engine.media.formats.format_for`):
            ``.mp4``, ``.mov``, ``.webm``, or a PNG-sequence folder.
        output: size, quality, stretch and background (default
            :class:`OutputOptions`). The size is the long edge (default: the
            portrait's own, capped at 2048 px), rounded down to even
            dimensions. A transparent portrait keeps its alpha in formats
            that have one, and is flattened onto ``output.background`` in MP4.
        progress, cancel: see :mod:`engine.cancel`.
        watermark: embed the invisible provenance mark.

    Raises:
        SettingsError: an output option is out of range or the stretch is empty.
        OutputError: the output cannot be written, or is one of the inputs.
        Cancelled: ``cancel`` was triggered; no file is left.
    """
    output = output or OutputOptions()
    frames = frame_range(animation, output)
    fmt = format_for(out_path)
    out = check_output(animation, out_path)
    cancel = cancel or CancelToken()
    started = time.perf_counter()
    fps = animation.fps
    size = output.size
    w0, h0 = animation.portrait.size
    if size is None and max(w0, h0) > MAX_LONG_EDGE:
        size = MAX_LONG_EDGE

    probe = animation.render_index(frames[0], size)
    height, width = _even(probe.shape[0]), _even(probe.shape[1])

    audio = animation.audio.audio
    rate = audio.original_rate
    a0 = int(round(frames.start / fps * rate))
    a1 = int(round(frames.stop / fps * rate))
    track = audio.iter_original(a0, a1)  # chunks: an hour of audio never sits in memory twice

    export_id = export_id_for(animation, frames, output)
    tags = provenance_tags(
        version=__version__,
        portrait_path=animation.portrait.image.path,
        audio_path=audio.path,
        motion_source=animation.motion_source,
        export_id=export_id,
        created=export_time(),
    )
    marker = Watermarker.for_export(export_id, fps=fps) if watermark else None
    total = len(frames)
    transparent = probe.ndim == 3 and probe.shape[2] == 4
    alpha = fmt.keeps_alpha and transparent
    if transparent and not alpha:
        log.info("the portrait has transparency: flattened onto %s", output.background)
    log.info("export %s (%s%s): %d frames %dx%d @ %d fps", out, fmt.key,
             ", alpha" if alpha else "", total, width, height, fps)
    with _cv_threads(EXPORT_CV_THREADS), fmt.writer_class()(
        out,
        width,
        height,
        fps,
        audio=track,
        audio_rate=rate,
        crf=output.crf,
        metadata=tags,
    ) as writer:

        # H.264's picture is 8-bit YUV 4:2:0: the mark goes on its luma plane after
        # the conversion (half the CPU time of marking R, G and B before it). The
        # alpha formats' writers (its subclasses) keep the mark on R, G and B.
        h264 = not alpha and type(writer) is Mp4Writer
        if h264:
            # Outside the face's box every frame is the portrait: its picture is
            # converted once, and each frame's only inside the box.
            still, box = animation.unmoving(size)
            still_picture = writer.convert(np.ascontiguousarray(
                flatten(still[:height, :width], output.background)))

        def produce(item: tuple[int, int]) -> object:
            """Render, mark and convert one frame (on a prefetch thread)."""
            n, i = item
            frame = (probe if n == 0 else animation.render_index(i, size))[:height, :width]
            rgb = np.ascontiguousarray(frame[..., :3] if alpha
                                       else flatten(frame, output.background))
            if h264:
                picture = writer.convert_changed(rgb, still_picture, box)
                if marker is not None:  # time in the file: n / fps
                    marker.embed_luma(Mp4Writer.luma(picture), n)
                return picture
            if marker is not None:
                rgb = marker.embed(rgb, n)
            if alpha:
                rgb = np.concatenate([rgb, frame[..., 3:4]], axis=2)
            return writer.convert(rgb)

        for n, picture in enumerate(prefetch(produce, enumerate(frames), PIPELINE_DEPTH,
                                             PIPELINE_WORKERS)):
            cancel.check()
            writer.write(picture)
            if n % 5 == 0 or n == total - 1:
                elapsed = time.perf_counter() - started
                eta = elapsed / (n + 1) * (total - n - 1)
                progress((n + 1) / total, f"frame {n + 1}/{total}, {math.ceil(eta)} s left")
        cancel.check()
    seconds = time.perf_counter() - started
    log.info("export done in %.1f s (%.1f fps)", seconds, total / max(seconds, 1e-9))
    return ExportResult(out, total, width, height, seconds, export_id)
