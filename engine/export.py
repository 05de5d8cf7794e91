"""Export: stream rendered frames and the original audio into an H.264/AAC MP4.

The motion comes from the :class:`Animation` (its direction, ``Settings``);
what is written comes from :class:`engine.settings.OutputOptions` (size,
quality, stretch, background), so exporting at another size never rebuilds
the motion. Frames are rendered and written one at a time, so memory stays flat whatever
the length of the audio. The writer works on a temporary file and renames it
at the end: a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from engine.animation import Animation
from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.errors import TalkieError
from engine.media.files import refuse_input_as_output
from engine.media.image import flatten
from engine.media.mp4 import Mp4Writer, check_writable
from engine.provenance import Watermarker, provenance_tags, sha256_file
from engine.settings import MAX_LONG_EDGE, OutputOptions
from engine.version import __version__

log = logging.getLogger(__name__)


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
    same id, so that re-rendering gives a byte-identical file; any change
    gives another id.
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
        OutputError: see :func:`engine.media.mp4.check_writable`, or the
            output is the portrait or the voice track itself.
    """
    refuse_input_as_output(out_path, {"portrait": animation.portrait.image.path,
                                      "voice track": animation.audio.audio.path})
    return check_writable(out_path)


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
    """Render the animation's stretch to the MP4 ``out_path``.

    Args:
        animation: what to render (its settings give the frame rate).
        out_path: the ``.mp4`` to write; replaced atomically when done.
        output: size, quality, stretch and background (default
            :class:`OutputOptions`). The size is the long edge (default: the
            portrait's own, capped at 2048 px), rounded down to even
            dimensions for yuv420p. A transparent portrait is flattened onto
            ``output.background``.
        progress, cancel: see :mod:`engine.cancel`.
        watermark: embed the invisible provenance mark.

    Raises:
        SettingsError: an output option is out of range or the stretch is empty.
        OutputError: the output cannot be written, or is one of the inputs.
        Cancelled: ``cancel`` was triggered; no file is left.
    """
    output = output or OutputOptions()
    frames = frame_range(animation, output)
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
    if probe.ndim == 3 and probe.shape[2] == 4:
        log.info("the portrait has transparency: flattened onto %s", output.background)

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
    log.info("export %s: %d frames %dx%d @ %d fps", out, total, width, height, fps)
    with Mp4Writer(
        out,
        width,
        height,
        fps,
        audio=track,
        audio_rate=rate,
        crf=output.crf,
        metadata=tags,
    ) as writer:
        for n, i in enumerate(frames):
            cancel.check()
            frame = probe if n == 0 else animation.render_index(i, size)
            rgb = np.ascontiguousarray(flatten(frame[:height, :width], output.background))
            if marker is not None:
                rgb = marker.embed(rgb, n)  # the file's own frame number: its time is n / fps
            writer.write(rgb)
            if n % 5 == 0 or n == total - 1:
                elapsed = time.perf_counter() - started
                eta = elapsed / (n + 1) * (total - n - 1)
                progress((n + 1) / total, f"frame {n + 1}/{total}, {math.ceil(eta)} s left")
        cancel.check()
    seconds = time.perf_counter() - started
    log.info("export done in %.1f s (%.1f fps)", seconds, total / max(seconds, 1e-9))
    return ExportResult(out, total, width, height, seconds, export_id)
