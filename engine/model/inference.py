"""Run the shipped motion generator with onnxruntime (no torch).

:meth:`MotionModel.motion` is what :func:`engine.motion.speech.speech_motion` (the app's
speech motion) calls. The model
file is ``assets/models/talkie_motion.onnx``; its constants (fps, sample rate,
window, PCA basis, normalisers, version) come from its metadata
(:mod:`engine.model.metadata`), and the input names and shapes from the loaded
graph. onnxruntime's CUDA provider is used where onnxruntime-gpu finds a GPU,
the CPU otherwise. A missing, damaged or foreign model raises
:class:`engine.errors.ModelError`, so that the caller can fall back to
phonetic motion.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ModelError
from engine.model import metadata
from engine.model.landmarks import LIP_LO, LIP_UP
from engine.model.pause_gate import GateParams, speech_gate

if TYPE_CHECKING:
    from engine.audio.voice import Voice

log = logging.getLogger(__name__)

MODEL_NAME = "talkie_motion.onnx"
#: Frames per generator run, and the context run on each side of a chunk (at the
#: model's 25 fps: 60 s and 4 s). Tracks up to CHUNK frames run in one piece.
CHUNK = 1500
CONTEXT = 100
SUPPORTED_VERSIONS = (1,)
#: The feature set this Talkie computes (:data:`engine.model.features.FEATURES_VERSION`).
FEATURES_VERSION = 2
_LOCK = threading.Lock()
_CACHE: dict[tuple[str, float, int], MotionModel] = {}


def default_model_path() -> Path:
    from engine.paths import asset

    return asset("models", MODEL_NAME)


def providers() -> list[str]:
    """CUDA first when onnxruntime-gpu finds a GPU, then the CPU."""
    import onnxruntime as ort

    avail = ort.get_available_providers()
    out = [p for p in ("CUDAExecutionProvider",) if p in avail]
    return out + ["CPUExecutionProvider"]


@dataclass
class Motion:
    """The generator's output for one track.

    Attributes:
        basis: ``(K + 1, 468, 3) float32`` canonical units (the last row is the
            training mean expression, whose coefficient is 1 x intensity).
        coeffs: ``(T, K + 1) float32``.
        pose: ``(T, 6) float32`` head-pose offsets (pitch, yaw, roll rad, tx, ty, log scale).
        mouth_open: ``(T,) float32`` inner-lip opening relative to the neutral face, >= 0.
    """

    basis: np.ndarray
    coeffs: np.ndarray
    pose: np.ndarray
    mouth_open: np.ndarray


class MotionModel:
    """A loaded generator: an onnxruntime session and its metadata."""

    def __init__(self, path: Path | str | None = None) -> None:
        p = Path(path) if path is not None else default_model_path()
        self.path = p
        if not p.is_file():
            raise ModelError(
                f"The speech model is missing ({p.name} is not in {p.parent}). "
                "Reinstall Talkie, or export one with 'export-model'."
            )
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - onnxruntime is a dependency
            raise ModelError("onnxruntime is not installed, so the speech model cannot run.") \
                from exc
        try:
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            self.session = ort.InferenceSession(str(p), opts, providers=providers())
            raw = self.session.get_modelmeta().custom_metadata_map.get(metadata.KEY)
        except Exception as exc:  # onnxruntime raises its own types for damaged files
            raise ModelError(
                f"The speech model {p.name} is damaged and cannot be loaded. "
                "Reinstall Talkie, or export it again."
            ) from exc
        if raw is None:
            raise ModelError(f"The speech model {p.name} has no Talkie metadata; "
                             "it is not a Talkie motion model.")
        try:
            self.meta = metadata.decode(raw)
        except ValueError as exc:
            raise ModelError(f"The speech model {p.name} is damaged ({exc}).") from exc
        if int(self.meta["version"]) not in SUPPORTED_VERSIONS:
            raise ModelError(f"The speech model {p.name} is version {self.meta['version']}, "
                             "which this Talkie cannot run. Update Talkie.")
        self.inputs = {i.name: i for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
        need = {"audio", "identity", "noise", "eyelids"}
        if not need <= set(self.inputs) or not {"coeffs", "pose"} <= set(self.outputs):
            raise ModelError(f"The speech model {p.name} does not have the expected inputs "
                             f"and outputs (found {sorted(self.inputs)}).")
        shp = self.inputs["noise"].shape
        self.noise_dim = int(shp[-1]) if isinstance(shp[-1], int) else int(self.meta["noise_dim"])
        ident = self.inputs["identity"].shape
        self.identity_dim = int(ident[-1]) if isinstance(ident[-1], int) else 468 * 3
        self.basis = np.asarray(self.meta["basis"], np.float32).reshape(-1, 468, 3)
        self.mean = np.asarray(self.meta["mean"], np.float32).reshape(468, 3)
        self.neutral_mean = np.asarray(self.meta["neutral_mean"], np.float32).reshape(468, 3)
        self.fps = float(self.meta["fps"])
        self.provider = self.session.get_providers()[0]
        #: Fitted on the training clips by export-model; older models carry none.
        self.gate = GateParams.from_dict(self.meta.get("gate"))

    # ------------------------------------------------------------------ inputs
    def check_features(self) -> None:
        """Raise :class:`ModelError` unless the model hears the features this Talkie computes."""
        from engine.model import features

        meta = self.meta
        if (int(meta.get("features_version", 1)) != FEATURES_VERSION
                or int(meta["cols"]) != features.COLS or int(meta["hop"]) != features.HOP):
            raise ModelError("The speech model was made for other audio features than this "
                             "Talkie computes. Update Talkie or re-export the model.")

    def identity_input(self, neutral: np.ndarray | None) -> np.ndarray:
        if neutral is None:
            return np.zeros((1, self.identity_dim), np.float32)
        n = np.asarray(neutral, np.float32).reshape(468, 3)
        return ((n - self.neutral_mean) * float(self.meta["identity_scale"])).reshape(1, -1)

    # ------------------------------------------------------------------ run
    def run(self, feats: np.ndarray, frames: int, seed: int = 0,
            eyelids: np.ndarray | None = None, neutral: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """Raw model output at the model's fps: ``(coeffs (T, K), pose (T, 6))``.

        Args:
            feats: ``(M, CHANNELS) float32`` audio features
                (:meth:`engine.audio.voice.Voice.features`).
        """
        from engine.model import features

        self.check_features()
        t = max(int(frames), 1)
        rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x6A4]))
        noise = (rng.standard_normal((1, t, self.noise_dim)) *
                 float(self.meta["noise_sigma"])).astype(np.float32)
        lids = np.zeros((1, t, 1), np.float32) if eyelids is None else \
            np.asarray(eyelids, np.float32).reshape(-1)[:t].reshape(1, -1, 1)
        if lids.shape[1] < t:
            lids = np.concatenate([lids, np.zeros((1, t - lids.shape[1], 1), np.float32)], 1)
        ident = self.identity_input(neutral)
        coeffs = np.zeros((t, int(self.basis.shape[0])), np.float32)
        pose = np.zeros((t, 6), np.float32)
        # Long tracks run in chunks with context on both sides, so that the windows and
        # the network's activations (about 7 kB per frame) stay bounded whatever the length.
        for a in range(0, t, CHUNK):
            b = min(a + CHUNK, t)
            lo, hi = max(a - CONTEXT, 0), min(b + CONTEXT, t)
            win = features.frame_windows(feats, hi - lo, self.fps, start=lo)
            feeds = {"audio": win[None], "identity": ident, "noise": noise[:, lo:hi],
                     "eyelids": lids[:, lo:hi]}
            try:
                c, p = self.session.run(["coeffs", "pose"], feeds)
            except Exception as exc:
                raise ModelError(f"The speech model failed to run ({exc}).") from exc
            coeffs[a:b] = c[0, a - lo:b - lo]
            pose[a:b] = p[0, a - lo:b - lo]
        return coeffs, pose

    def motion(self, voice: Voice, fps: float, frames: int, seed: int = 0,
               intensity: float = 1.0, blinks: list | None = None,
               neutral: np.ndarray | None = None, gate: bool = True) -> Motion:
        """Motion for ``frames`` frames at ``fps`` (resampled from the model's own fps).

        ``gate``: multiply the expression by :func:`engine.model.pause_gate.speech_gate`
        with the model's fitted constants, so that the face rests in pauses whatever
        the recording's noise floor.
        """
        from engine.motion.blinks import eyelid_track

        frames = max(int(frames), 0)
        dur = frames / float(fps)
        tm = max(int(round(dur * self.fps)), 1)
        lids = eyelid_track(list(blinks or []), tm, self.fps)[:, :1]
        coeffs, pose = self.run(voice.features(), tm, seed, lids, neutral)
        if tm != frames or fps != self.fps:
            src = (np.arange(tm) + 0.5) / self.fps
            dst = (np.arange(frames) + 0.5) / fps
            coeffs = np.stack([np.interp(dst, src, coeffs[:, j]) for j in
                               range(coeffs.shape[1])], 1).astype(np.float32)
            pose = np.stack([np.interp(dst, src, pose[:, j]) for j in range(6)], 1) \
                .astype(np.float32) if frames else np.zeros((0, 6), np.float32)
        k = float(intensity)
        basis = np.concatenate([self.basis, self.mean[None]], 0).astype(np.float32)
        full = np.concatenate([coeffs, np.ones((len(coeffs), 1), np.float32)], 1) * k
        if gate:
            full = full * speech_gate(voice.samples, frames, fps, self.gate,
                                      list(voice.phones))[:, None]
        base = self.neutral_mean if neutral is None else np.asarray(neutral, np.float32)
        disp = np.tensordot(full, basis, axes=1) if len(full) else np.zeros((0, 468, 3))
        gap0 = float(np.linalg.norm(base[LIP_UP, :2] - base[LIP_LO, :2]))
        shape_up = base[LIP_UP, :2] + disp[:, LIP_UP, :2]
        shape_lo = base[LIP_LO, :2] + disp[:, LIP_LO, :2]
        mouth = np.maximum(np.linalg.norm(shape_up - shape_lo, axis=-1) - gap0, 0.0)
        return Motion(basis, full.astype(np.float32), pose, mouth.astype(np.float32))


def load_model(path: Path | str | None = None) -> MotionModel:
    """The model at ``path`` (default the shipped one), cached while its file is unchanged."""
    p = Path(path) if path is not None else default_model_path()
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime, st.st_size)
    except OSError:
        key = (str(p), 0.0, -1)
    with _LOCK:
        m = _CACHE.get(key)
        if m is None:
            m = MotionModel(p)
            _CACHE.clear()
            _CACHE[key] = m
        return m
