"""``verify``: is this video a Talkie export? Watermark + metadata, one answer.

The CLI (``main.py verify FILE``) and the GUI call :func:`verify_cli` /
:func:`verify`. Exit codes of :func:`verify_cli`: 0 marked, 1 not marked,
2 error (the message is logged and returned on the result line).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.errors import Cancelled, InputError, TalkieError
from engine.provenance.detect import detect
from engine.provenance.metadata import parse_tags, read_tags
from engine.provenance.watermark import DETECT_FRAMES, THRESHOLD

log = logging.getLogger(__name__)

EXIT_MARKED, EXIT_NOT_MARKED, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found in one file.

    Attributes:
        path: the file checked.
        marked: True if the invisible Talkie watermark was found.
        confidence: 0..1 (0.5 at the decision threshold).
        score: detector z-score (unmarked video scores ~3-6; threshold ``THRESHOLD``).
        payload: the 32-bit id read from the watermark, or None.
        export_id: ``payload`` as 8 hex digits, or None.
        tags: all container tags.
        provenance: the Talkie provenance record from the tags (``{}`` if none).
        frames: frames analysed.
    """

    path: Path
    marked: bool
    confidence: float
    score: float
    payload: int | None
    export_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    frames: int = 0

    @property
    def payload_id(self) -> str | None:
        """Alias of ``export_id`` (the 8-hex-digit id carried by the watermark)."""
        return self.export_id

    @property
    def metadata_says_synthetic(self) -> bool:
        return bool(self.provenance.get("synthetic"))

    @property
    def ids_match(self) -> bool | None:
        """Whether the watermark id matches the metadata's export id (None if either is missing)."""
        meta_id = str(self.provenance.get("export_id", ""))
        if not meta_id or self.export_id is None:
            return None
        return meta_id.lower().replace("-", "").startswith(self.export_id)

    @property
    def exit_code(self) -> int:
        return EXIT_MARKED if self.marked else EXIT_NOT_MARKED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (``main.py verify --json``)."""
        return {
            "path": str(self.path),
            "marked": self.marked,
            "confidence": round(self.confidence, 4),
            "score": round(self.score, 2),
            "threshold": THRESHOLD,
            "export_id": self.export_id,
            "frames": self.frames,
            "metadata_says_synthetic": self.metadata_says_synthetic,
            "ids_match": self.ids_match,
            "provenance": self.provenance,
            "tags": self.tags,
        }

    def summary(self) -> str:
        """Plain-text, multi-line report for the CLI and the GUI dialog."""
        lines = [f"File: {self.path.name}"]
        if self.marked:
            lines.append(
                f"Watermark: FOUND. This video carries Talkie's synthetic-media mark "
                f"(confidence {self.confidence:.0%}, score {self.score:.1f}, "
                f"threshold {THRESHOLD:.1f}, {self.frames} frames)."
            )
            if self.export_id:
                lines.append(f"Export id in the watermark: {self.export_id}")
            else:
                lines.append("Export id in the watermark: could not be read (mark too weak).")
        else:
            lines.append(
                f"Watermark: not found (score {self.score:.1f}, threshold {THRESHOLD:.1f}, "
                f"{self.frames} frames). Either it was not made by Talkie, or it was altered "
                "too much for the mark to survive."
            )
        if self.provenance:
            p = self.provenance
            lines.append("Metadata: says this is synthetic media made by "
                         f"{p.get('generator', '?')} on {p.get('created', '?')}.")
            lines.append(f"  motion source: {p.get('motion_source', '?')}")
            lines.append(f"  export id: {p.get('export_id', '?')}")
            lines.append(f"  portrait SHA-256: {p.get('portrait_sha256') or '-'}")
            lines.append(f"  audio SHA-256: {p.get('audio_sha256') or '-'}")
            if self.ids_match is False:
                lines.append("  warning: the watermark's export id differs from the metadata's.")
        else:
            lines.append("Metadata: no Talkie provenance tags (they may have been stripped).")
        return "\n".join(lines)


def verify(
    path: str | Path,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_frames: int = DETECT_FRAMES,
) -> VerifyResult:
    """Check a video for Talkie's watermark and provenance tags.

    Args:
        path: a video file (any container/codec FFmpeg decodes), or the folder
            of a PNG-sequence export.
        progress: ``progress(fraction, message)``; may be None.
        cancel: checked between frames.
        max_frames: frames analysed from the start (48 = ~2 s at 25 fps).

    Raises:
        InputError: the file is missing, a folder, unreadable, a still image,
            or has no video frames.
        Cancelled: ``cancel`` was triggered.
    """
    import av

    from engine.media.video import check_video

    if Path(path).is_dir():  # a PNG-sequence export
        from engine.provenance.sequence import verify_sequence

        return verify_sequence(Path(path), progress, cancel, max_frames)  # type: ignore[no-any-return]
    p = check_video(path)
    prog = progress or no_progress
    tags = read_tags(p)
    try:
        det = detect(p, max_frames=max_frames, progress=prog, cancel=cancel)
    except (Cancelled, TalkieError):
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"{p.name} has no readable video frames.") from exc
    return VerifyResult(
        path=p,
        marked=det.marked,
        confidence=det.confidence,
        score=det.score,
        payload=det.payload,
        export_id=det.export_id,
        tags=tags,
        provenance=parse_tags(tags),
        frames=det.frames,
    )


def verify_cli(path: str | Path) -> tuple[int, str]:
    """What ``main.py verify FILE`` does: returns ``(exit_code, text)``.

    ``exit_code`` is 0 if marked, 1 if not marked, 2 on error; ``text`` is
    :meth:`VerifyResult.summary` or the error sentence. The caller prints it.
    """
    try:
        result = verify(path)
    except TalkieError as exc:
        log.info("verify failed: %s", exc.message)
        return EXIT_ERROR, f"Error: {exc.message}"
    return result.exit_code, result.summary()
