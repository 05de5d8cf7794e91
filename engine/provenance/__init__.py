"""Provenance: every export says it is synthetic, and Talkie can tell.

Public API, and how the exporter uses it::

    from engine.provenance import Watermarker, new_export_id, provenance_tags

    export_id = new_export_id()
    tags = provenance_tags(version, portrait_path, audio_path,
                           settings.motion_source, export_id)
    wm = Watermarker.for_export(export_id)          # on by default
    with Mp4Writer(out, w, h, fps, audio, rate, crf, metadata=tags) as writer:
        for i in range(n):
            frame = renderer(...)                   # (H, W, 3) uint8 RGB
            writer.write(wm.embed(frame, i))        # ~1-3 ms at 1024x1024

``embed`` needs the final output frame (after any resize, RGB without
alpha). Checking a file::

    result = verify(path, progress, cancel)         # VerifyResult
    code, text = verify_cli(path)                   # main.py verify FILE
"""

from engine.provenance.detect import detect
from engine.provenance.metadata import (
    new_export_id,
    parse_tags,
    provenance_tags,
    read_tags,
    sha256_file,
)
from engine.provenance.verify import (
    EXIT_ERROR,
    EXIT_MARKED,
    EXIT_NOT_MARKED,
    VerifyResult,
    verify,
    verify_cli,
)
from engine.provenance.watermark import THRESHOLD, Detection, Watermarker

__all__ = [
    "EXIT_ERROR",
    "EXIT_MARKED",
    "EXIT_NOT_MARKED",
    "THRESHOLD",
    "Detection",
    "VerifyResult",
    "Watermarker",
    "detect",
    "new_export_id",
    "parse_tags",
    "provenance_tags",
    "read_tags",
    "sha256_file",
    "verify",
    "verify_cli",
]
