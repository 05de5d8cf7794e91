"""Export the generator of a checkpoint to ONNX, with its constants in the metadata.

The exported graph takes

- ``audio (1, T, COLS, CHANNELS) float32``: the 0.2 s feature window of each frame
  (:func:`engine.model.features.frame_windows` of :meth:`engine.audio.voice.Voice.features`:
  normalised log-mel, phone classes,
  loudness, pitch, voicing);
- ``identity (1, 1404) float32``: ``(neutral - neutral_mean) * identity_scale``,
  the neutral face in the canonical frame;
- ``noise (1, T, Z) float32``: N(0, noise_sigma) per frame (seeded by the caller);
- ``eyelids (1, T, 1) float32``: eyelid closure 0..1 from the blink events;

and returns ``coeffs (1, T, K)`` in canonical units (multiply by ``basis`` and
add ``mean`` for the expression displacement) and ``pose (1, T, 6)`` offsets
(pitch, yaw, roll rad, tx, ty, log scale). T is dynamic.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.model import features, metadata
from engine.model.dataset import Normalisers
from engine.model.landmarks import CANON_CONVENTION
from engine.model.train.batches import REST_SILENCE_DB
from engine.model.train.nets import Generator, NetConfig

OPSET = 17
log = logging.getLogger(__name__)


class ExportedGenerator(nn.Module):
    """The generator with its output scales folded in."""

    def __init__(self, g: Generator, coeff_std: np.ndarray, pose_std: np.ndarray) -> None:
        super().__init__()
        self.g = g
        self.register_buffer("coeff_std", torch.from_numpy(np.asarray(coeff_std, np.float32)))
        self.register_buffer("pose_std", torch.from_numpy(np.asarray(pose_std, np.float32)))

    def forward(self, audio, identity, noise, eyelids):
        c, p = self.g(audio, identity, noise, eyelids)
        return c * self.coeff_std, p * self.pose_std


def load_checkpoint(path: Path | str) -> tuple[Generator, Normalisers, dict]:
    """``(generator in eval mode, normalisers, checkpoint dict)`` from a ``.pt`` or run folder."""
    p = Path(path)
    if p.is_dir():
        p = p / "ckpt_final.pt" if (p / "ckpt_final.pt").is_file() else p / "ckpt_last.pt"
    st = torch.load(p, map_location="cpu", weights_only=False)
    net = NetConfig(**st["net"])
    g = Generator(net)
    g.load_state_dict(st["g"])
    g.eval()
    return g, Normalisers.from_dict(st["normalisers"]), st


#: The gate must close the mouth where the voice is silent: frames the corpus marks as
#: silence *and* at least this far under the clip's speech level (95th percentile of
#: loudness), dB. GRID's ``sp`` and the lead-in also mark the breath before a word, where
#: real lips part; 30 dB keeps 10 % of s1's frames, 96 % of them marked silent. Training
#: takes the rest face as the target in the same frames.
DEEP_SILENCE_DB = REST_SILENCE_DB


def gate_clips(g: Generator, norm: Normalisers, clips: list) -> list:
    """The pause gate's view of training clips: the real opening and the generator's."""
    from engine.model.landmarks import LIP_LO, LIP_UP
    from engine.model.pause_gate import GateClip
    from engine.model.train.validation import generate

    basis = norm.basis[:, [LIP_UP, LIP_LO], :2]                    # (K, 2, 2)
    mean = norm.mean[[LIP_UP, LIP_LO], :2]
    out = []
    for c in clips:
        coeffs, _ = generate(g, c, norm, 0, int(g.cfg.noise_dim))
        lips = np.tensordot(coeffs * norm.coeff_std, basis, axes=1) + mean  # (T, 2, 2)
        deep = c.silence & (c.loudness < np.percentile(c.loudness, 95) - DEEP_SILENCE_DB)
        cols = np.clip(((np.arange(c.frames) + 0.5) / c.fps * 100).astype(int), 0,
                       len(c.phones) - 1)
        heard = c.phones[cols, 0] < 0.5  # column 0 of the phone channels is silence
        out.append(GateClip(c.loudness, heard, deep, c.opening, c.valid, c.fps,
                            c.neutral[LIP_UP, :2] - c.neutral[LIP_LO, :2],
                            lips[:, 0] - lips[:, 1]))
    return out


def fit_run_gate(ckpt: Path | str, every: int = 5) -> dict:
    """Fit the pause gate on every ``every``-th training clip of the checkpoint's run.

    Returns ``{"gate": GateParams dict, "gate_fit": {...}}``, or ``{}`` (with a warning,
    the model then carries the default constants) when the run has no ``split.json``
    or its clips are gone.
    """
    from engine.model import dataset as ds
    from engine.model.pause_gate import fit_gate

    p = Path(ckpt)
    split = (p if p.is_dir() else p.parent) / "split.json"
    paths = [Path(q) for q in json.loads(split.read_text())["train"][::every]] \
        if split.is_file() else []
    if not paths or not all(q.is_file() for q in paths):
        log.warning("pause gate not fitted: the run's training clips (%s) are not here; "
                    "the model carries the default gate", split)
        return {}
    g, norm, _ = load_checkpoint(ckpt)
    params, fit = fit_gate(gate_clips(g, norm, ds.load_clips(paths)))
    return {"gate": params.to_dict(), "gate_fit": fit}


def _created() -> dict:
    """``{"created": ISO time}`` from ``SOURCE_DATE_EPOCH`` when it is set, else nothing:
    the same run exports the same bytes (reproducible-builds.org's convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        return {}
    return {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))}


def build_metadata(st: dict, norm: Normalisers) -> dict:
    net = st["net"]
    cfg = st.get("config", {})
    return {
        "format": metadata.FORMAT,
        "version": int(st.get("version", 1)),
        "trained_steps": int(st.get("step", 0)),
        **_created(),
        "fps": 25.0,
        "sample_rate": features.SAMPLE_RATE,
        "window_s": features.WINDOW_S,
        "hop": features.HOP,
        "win": features.WIN,
        "n_fft": features.N_FFT,
        "n_mels": features.N_MELS,
        "cols": features.COLS,
        "channels": features.CHANNELS,
        "features_version": features.FEATURES_VERSION,
        "phone_classes": list(features.PHONE_CLASSES),
        "noise_dim": int(net["noise_dim"]),
        "noise_sigma": float(cfg.get("noise_sigma", 0.33)),
        "identity_scale": 10.0,
        "canonical": CANON_CONVENTION,
        "basis": np.asarray(norm.basis, np.float32),
        "mean": np.asarray(norm.mean, np.float32),
        "coeff_std": np.asarray(norm.coeff_std, np.float32),
        "pose_std": np.asarray(norm.pose_std, np.float32),
        "neutral_mean": np.asarray(norm.neutral_mean, np.float32),
        "data": "GRID audio-visual corpus "
                + " and ".join(["s1", *sorted(cfg.get("extra_speakers") or {})])
                + " (CC BY 4.0; Cooke, Barker, Cunningham and Shao, JASA 2006)",
    }


def example_inputs(net: dict, t: int = 50, seed: int = 0) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(1, t, features.COLS, features.CHANNELS, generator=gen),
            torch.randn(1, 468 * 3, generator=gen) * 0.1,
            torch.randn(1, t, int(net["noise_dim"]), generator=gen) * 0.33,
            torch.rand(1, t, 1, generator=gen))


def export_onnx(ckpt: Path | str, out: Path | str, check: bool = True) -> dict:
    """Write ``out`` (atomically). Returns ``{"path", "bytes", "parity_max_abs"}``."""
    import onnx

    g, norm, st = load_checkpoint(ckpt)
    model = ExportedGenerator(g, norm.coeff_std, norm.pose_std).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.onnx")
    args = example_inputs(st["net"])
    dyn = {"audio": {1: "T"}, "noise": {1: "T"}, "eyelids": {1: "T"},
           "coeffs": {1: "T"}, "pose": {1: "T"}}
    with torch.no_grad():
        torch.onnx.export(model, args, str(tmp), input_names=["audio", "identity", "noise",
                                                                "eyelids"],
                          output_names=["coeffs", "pose"], dynamic_axes=dyn, opset_version=OPSET,
                          dynamo=False)
    m = onnx.load(str(tmp))
    meta = {**build_metadata(st, norm), **fit_run_gate(ckpt)}
    entry = m.metadata_props.add()
    entry.key = metadata.KEY
    entry.value = metadata.encode(meta)
    m.producer_name = "talkie"
    m.doc_string = ("Talkie speech-driven motion generator. Trained on the GRID audio-visual "
                    "corpus (CC BY 4.0; Cooke, Barker, Cunningham and Shao, JASA 2006).")
    onnx.checker.check_model(m)
    onnx.save(m, str(tmp))
    os.replace(tmp, out)
    result = {"path": str(out), "bytes": out.stat().st_size, "gate": meta.get("gate")}
    if check:
        result["parity_max_abs"] = parity(model, out)
    return result


def parity(model: nn.Module, path: Path | str, lengths=(7, 75, 300)) -> float:
    """Largest |torch - onnxruntime| over outputs for random inputs of several lengths."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    generator: Any = model.g
    net_noise = int(generator.cfg.noise_dim)
    for i, t in enumerate(lengths):
        args = example_inputs({"noise_dim": net_noise}, t, seed=100 + i)
        with torch.no_grad():
            ref = [x.numpy() for x in model(*args)]
        got = sess.run(None, {n: a.numpy() for n, a in
                              zip(("audio", "identity", "noise", "eyelids"), args, strict=True)})
        worst = max(worst, *(float(np.abs(a - b).max()) for a, b in zip(ref, got, strict=True)))
    return worst
