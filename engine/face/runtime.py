"""onnxruntime sessions for the face models: created lazily, once, thread-safely.

CUDA is used when onnxruntime-gpu provides it, the CPU otherwise. A missing
or damaged model file raises :class:`engine.errors.ModelError`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import onnxruntime as ort

from engine.errors import ModelError

log = logging.getLogger(__name__)

_lock = threading.Lock()
_sessions: dict[Path, ort.InferenceSession] = {}


def providers() -> list[str]:
    """Execution providers to use, best first."""
    available = ort.get_available_providers()
    chosen = [p for p in ("CUDAExecutionProvider",) if p in available]
    return [*chosen, "CPUExecutionProvider"]


def _options() -> ort.SessionOptions:
    opts = ort.SessionOptions()
    # These models are small (0.4-2.4 MB, a few MFLOP): more than a couple of
    # threads only adds synchronisation cost, and the machine is shared with
    # the renderer and the GUI.
    opts.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return opts


def session(path: Path) -> ort.InferenceSession:
    """The cached inference session for the model at ``path``.

    Raises:
        ModelError: the file is missing or is not a valid ONNX model.
    """
    path = Path(path).resolve()
    with _lock:
        cached = _sessions.get(path)
        if cached is not None:
            return cached
        if not path.is_file():
            raise ModelError(
                f"The face model file {path.name} is missing (looked in {path.parent}). "
                "Reinstall Talkie to restore it."
            )
        try:
            try:
                sess = ort.InferenceSession(
                    str(path), sess_options=_options(), providers=providers()
                )
            except Exception:
                if providers() == ["CPUExecutionProvider"]:
                    raise
                # onnxruntime-gpu installed but no usable GPU/driver: use the CPU.
                log.warning("could not use the GPU for %s; using the CPU", path.name)
                sess = ort.InferenceSession(
                    str(path), sess_options=_options(), providers=["CPUExecutionProvider"]
                )
        except Exception as exc:  # onnxruntime raises several untyped errors
            raise ModelError(
                f"The face model file {path} is damaged and cannot be loaded. "
                "Reinstall Talkie to restore it."
            ) from exc
        log.info("loaded %s with %s", path.name, sess.get_providers()[0])
        _sessions[path] = sess
        return sess


def clear_cache() -> None:
    """Forget every cached session (tests, or after replacing a model file)."""
    with _lock:
        _sessions.clear()
