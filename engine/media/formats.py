"""Export formats, chosen by the output's name, and the writer for each.

=========  ===============================  =====  ===============================
output     what is written                  alpha  provenance carried
=========  ===============================  =====  ===============================
``.mp4``   H.264 + AAC                      no*    tags + watermark
``.mov``   ProRes 4444 + PCM                yes    tags + watermark
``.webm``  VP9 + Opus                       yes    Matroska tags + watermark
``NAME``   folder of PNGs + WAV + JSON      yes    PNG text chunks, JSON + watermark
=========  ===============================  =====  ===============================

\\* MP4 has no alpha: a transparent portrait is flattened onto a background.
A name without an extension (or an existing Talkie PNG-sequence folder) is a
PNG sequence (:mod:`engine.media.png_sequence`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import OutputError


@dataclass(frozen=True)
class OutputFormat:
    """One export format.

    Attributes:
        key: ``"mp4" | "mov" | "webm" | "png"``.
        label: for menus and messages.
        suffix: the file's extension, ``""`` for a PNG-sequence folder.
        keeps_alpha: whether transparency survives.
    """

    key: str
    label: str
    suffix: str
    keeps_alpha: bool

    def writer_class(self) -> Any:
        if self.key == "mov":
            from engine.media.alpha_video import ProResWriter

            return ProResWriter
        if self.key == "webm":
            from engine.media.alpha_video import WebmWriter

            return WebmWriter
        if self.key == "png":
            from engine.media.png_sequence import PngSequenceWriter

            return PngSequenceWriter
        from engine.media.mp4 import Mp4Writer

        return Mp4Writer


EXPORT_FORMATS = (
    OutputFormat("mp4", "MP4 video (H.264)", ".mp4", False),
    OutputFormat("mov", "QuickTime ProRes 4444 with alpha", ".mov", True),
    OutputFormat("webm", "WebM VP9 with alpha", ".webm", True),
    OutputFormat("png", "PNG sequence with alpha (folder)", "", True),
)
BY_KEY = {f.key: f for f in EXPORT_FORMATS}


def format_for(path: str | os.PathLike[str]) -> OutputFormat:
    """The format an output name asks for.

    Raises:
        OutputError: an extension Talkie does not write.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    for f in EXPORT_FORMATS:
        if f.suffix and suffix == f.suffix:
            return f
    if not suffix or p.is_dir():
        return BY_KEY["png"]
    raise OutputError(f"Talkie cannot write {p.name}: use .mp4, .mov (ProRes 4444 with alpha), "
                      ".webm (VP9 with alpha), or a name without an extension for a folder of "
                      "PNG frames.")


def check_export_target(path: str | os.PathLike[str]) -> Path:
    """Check, before any work, that ``path`` can be written in its format; absolute path.

    Raises:
        OutputError: see :func:`engine.media.mp4.check_writable`; for a PNG
            sequence, the name exists and is not a Talkie sequence.
    """
    from engine.media.mp4 import check_writable

    p = Path(path).expanduser().absolute()
    if format_for(p).key != "png":
        return check_writable(p)
    from engine.media.png_sequence import is_sequence

    if p.exists() and not (p.is_dir() and is_sequence(p)):
        raise OutputError(f"{p.name} already exists and is not a Talkie PNG sequence. "
                          "Choose another name for the folder.")
    check_writable(p.with_name(p.name + ".png"))
    return p

