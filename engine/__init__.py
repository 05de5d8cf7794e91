"""Talkie's engine: a Qt-free core behind a small public API.

The studio (``gui/``) and the command line (``cli/``) use only the names
below, imported from ``engine`` itself; docs/architecture.md documents each
one, and ``tests/test_public_api.py`` checks that the two agree and that
every name is used. Attributes are imported lazily so that ``import engine``
stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

_API = {
    "__version__": "engine.version",
    "APP_NAME": "engine.version",
    "Settings": "engine.settings",
    "OutputOptions": "engine.settings",
    "LIMITS": "engine.settings",
    "FPS_CHOICES": "engine.settings",
    "MOTION_SOURCES": "engine.settings",
    "KEEP_EXPRESSION_HELP": "engine.settings",
    "validate": "engine.settings",
    "parse_colour": "engine.settings",
    "Project": "engine.project",
    "TalkieError": "engine.errors",
    "InputError": "engine.errors",
    "NoFaceError": "engine.errors",
    "OutputError": "engine.errors",
    "SettingsError": "engine.errors",
    "Cancelled": "engine.errors",
    "CancelToken": "engine.cancel",
    "Image": "engine.media.image",
    "load_image": "engine.media.image",
    "load_audio": "engine.media.audio",
    "refuse_input_as_output": "engine.media.files",
    "detect_faces": "engine.face",
    "PortraitAnalysis": "engine.analysis",
    "AudioAnalysis": "engine.analysis",
    "analyse_portrait": "engine.analysis",
    "analyse_audio": "engine.analysis",
    "open_portrait": "engine.scene",
    "open_voice": "engine.scene",
    "animate": "engine.scene",
    "Animation": "engine.animation",
    "add_blink": "engine.motion.blinks",
    "move_blink": "engine.motion.blinks",
    "delete_blink": "engine.motion.blinks",
    "BlinkEvent": "engine.motion.blinks",
    "Keyframes": "engine.keyframes",
    "LANE_RANGES": "engine.keyframes",
    "FIT_POINTS": "engine.face.fit",
    "EXTRA_POINTS": "engine.face.fit",
    "POINT_LABELS": "engine.face.fit",
    "fit_face": "engine.face.fit",
    "load_points_json": "engine.face.fit",
    "MESH_EDGES": "engine.face.mesh",
    "loudness_summary": "engine.audio.levels",
    "export": "engine.export",
    "ExportResult": "engine.export",
    "verify": "engine.provenance",
    "evaluate_video": "engine.evaluate",
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


class _PublicApi(types.ModuleType):
    """Keeps ``engine.export`` the function: importing the submodule of the same name
    would otherwise replace it with the module (the import system sets the attribute)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _API.get(name) == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _PublicApi


if TYPE_CHECKING:  # pragma: no cover
    from engine.analysis import AudioAnalysis, PortraitAnalysis, analyse_audio, analyse_portrait
    from engine.animation import Animation
    from engine.audio.levels import loudness_summary
    from engine.batch import BATCH_OPTIONS, batch_executor, read_manifest, run_batch
    from engine.cancel import CancelToken
    from engine.cues import CUE_FORMATS, check_cue_outputs, cue_phones, write_cues
    from engine.errors import (
        Cancelled,
        InputError,
        NoFaceError,
        OutputError,
        SettingsError,
        TalkieError,
    )
    from engine.evaluate import evaluate_video
    from engine.export import ExportResult, export
    from engine.face import detect_faces
    from engine.face.fit import EXTRA_POINTS, FIT_POINTS, POINT_LABELS, fit_face, load_points_json
    from engine.face.mesh import MESH_EDGES
    from engine.keyframes import LANE_RANGES, Keyframes
    from engine.media.audio import load_audio
    from engine.media.files import refuse_input_as_output
    from engine.media.formats import EXPORT_FORMATS, check_export_target, format_for
    from engine.media.image import Image, load_image
    from engine.motion.blinks import BlinkEvent, add_blink, delete_blink, move_blink
    from engine.project import Project
    from engine.provenance import verify
    from engine.scene import animate, open_portrait, open_voice
    from engine.settings import (
        FPS_CHOICES,
        KEEP_EXPRESSION_HELP,
        LIMITS,
        MOTION_SOURCES,
        OutputOptions,
        Settings,
        parse_colour,
        validate,
    )
    from engine.version import APP_NAME, __version__
