"""Talkie's engine: a Qt-free core behind a small public API.

The GUI and the CLI use only the names below::

    from engine import load_image, load_audio, analyse_portrait, analyse_audio
    from engine import Animation, Settings, export, Project

Attributes are imported lazily so that ``import engine`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_API = {
    "__version__": "engine.version",
    "APP_NAME": "engine.version",
    "Settings": "engine.settings",
    "FPS_CHOICES": "engine.settings",
    "Project": "engine.project",
    "TalkieError": "engine.errors",
    "InputError": "engine.errors",
    "ImageError": "engine.errors",
    "AudioError": "engine.errors",
    "NoFaceError": "engine.errors",
    "FaceTooSmallError": "engine.errors",
    "OutputError": "engine.errors",
    "ProjectError": "engine.errors",
    "ModelError": "engine.errors",
    "Cancelled": "engine.errors",
    "CancelToken": "engine.cancel",
    "Image": "engine.media.image",
    "load_image": "engine.media.image",
    "Audio": "engine.media.audio",
    "load_audio": "engine.media.audio",
    "Face": "engine.face",
    "PortraitAnalysis": "engine.analysis",
    "AudioAnalysis": "engine.analysis",
    "analyse_portrait": "engine.analysis",
    "analyse_audio": "engine.analysis",
    "Animation": "engine.animation",
    "BlinkEvent": "engine.motion.blinks",
    "Keyframe": "engine.keyframes",
    "Keyframes": "engine.keyframes",
    "LANES": "engine.keyframes",
    "FIT_POINTS": "engine.face.fit",
    "fit_face": "engine.face.fit",
    "load_points_json": "engine.face.fit",
    "Phone": "engine.audio.phones",
    "log_mel": "engine.audio.features",
    "export": "engine.export",
    "ExportResult": "engine.export",
    "verify": "engine.provenance",
    "cue_phones": "engine.cues",
    "write_cues": "engine.cues",
    "check_cue_outputs": "engine.cues",
    "CUE_FORMATS": "engine.cues",
    "EXPORT_FORMATS": "engine.media.formats",
    "format_for": "engine.media.formats",
    "check_export_target": "engine.media.formats",
    "read_manifest": "engine.batch",
    "run_batch": "engine.batch",
    "batch_executor": "engine.batch",
    "BATCH_OPTIONS": "engine.batch",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from engine.analysis import AudioAnalysis, PortraitAnalysis, analyse_audio, analyse_portrait
    from engine.animation import Animation
    from engine.audio.features import log_mel
    from engine.audio.phones import Phone
    from engine.batch import BATCH_OPTIONS, batch_executor, read_manifest, run_batch
    from engine.cancel import CancelToken
    from engine.cues import CUE_FORMATS, check_cue_outputs, cue_phones, write_cues
    from engine.errors import (
        AudioError,
        Cancelled,
        FaceTooSmallError,
        ImageError,
        InputError,
        ModelError,
        NoFaceError,
        OutputError,
        ProjectError,
        TalkieError,
    )
    from engine.export import ExportResult, export
    from engine.face import Face
    from engine.face.fit import FIT_POINTS, fit_face, load_points_json
    from engine.keyframes import LANES, Keyframe, Keyframes
    from engine.media.audio import Audio, load_audio
    from engine.media.formats import EXPORT_FORMATS, check_export_target, format_for
    from engine.media.image import Image, load_image
    from engine.motion.blinks import BlinkEvent
    from engine.project import Project
    from engine.provenance import verify
    from engine.settings import FPS_CHOICES, Settings
    from engine.version import APP_NAME, __version__
