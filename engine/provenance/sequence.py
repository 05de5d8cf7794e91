"""Provenance of a PNG-sequence export (:mod:`engine.media.png_sequence`).

The container tags live in the folder's ``NAME.talkie.json`` (and, as PNG text
chunks, in every frame); the watermark is found in the frames as in a video,
at the frame rate the JSON file records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.cancel import CancelToken, ProgressFn, no_progress
from engine.errors import InputError
from engine.media.png_sequence import SIDECAR_SUFFIX, sequence_frames


def sequence_record(folder: Path) -> dict[str, Any]:
    """The folder's JSON record (frame rate, frame count, tags).

    Raises:
        InputError: the folder is not a Talkie PNG sequence.
    """
    path = folder / f"{folder.name}{SIDECAR_SUFFIX}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{folder.name} is a folder, not a video or a Talkie PNG sequence "
                         f"(no {path.name} in it).") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name} could not be read ({exc}).") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path.name} is not a Talkie PNG-sequence record.")
    return data


def read_output_tags(path: str | Path) -> dict[str, str]:
    """Container tags of any Talkie output: a video file or a PNG-sequence folder."""
    from engine.provenance.metadata import read_tags

    p = Path(path)
    if p.is_dir():
        tags = sequence_record(p).get("tags", {})
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}
    return read_tags(p)


def _gray_frames(files: list[Path]) -> Iterator[np.ndarray]:
    for f in files:
        gray = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise InputError(f"{f.name} is not a readable PNG.")
        yield gray


def verify_sequence(
    folder: Path,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_frames: int | None = None,
) -> Any:
    """:func:`engine.provenance.verify` for a PNG-sequence folder; a ``VerifyResult``."""
    from engine.provenance.detect import detect
    from engine.provenance.metadata import parse_tags
    from engine.provenance.verify import VerifyResult
    from engine.provenance.watermark import DETECT_FRAMES

    record = sequence_record(folder)
    files = sequence_frames(folder)
    if not files:
        raise InputError(f"{folder.name} has no frames.")
    fps = float(record.get("fps") or 25.0)
    limit = max_frames or DETECT_FRAMES
    det = detect(_gray_frames(files[:limit]), fps=fps, max_frames=limit,
                 progress=progress or no_progress, cancel=cancel)
    tags = read_output_tags(folder)
    return VerifyResult(path=folder, marked=det.marked, confidence=det.confidence,
                        score=det.score, payload=det.payload, export_id=det.export_id,
                        tags=tags, provenance=parse_tags(tags), frames=det.frames)
