"""The generator on whole clips during training: its motion and how well it follows the
real mouth (mean mouth-opening r and mouth landmark distance)."""

from __future__ import annotations

import numpy as np
import torch

from engine.model import dataset as ds
from engine.model.landmarks import MOUTH
from engine.model.train.batches import identity_vector
from engine.model.train.nets import Generator


@torch.no_grad()
def generate(g: Generator, clip: ds.Clip, norm: ds.Normalisers, seed: int = 0,
             noise_dim: int = 10, sigma: float = 0.33) -> tuple[np.ndarray, np.ndarray]:
    """Normalised ``(coeffs (T,K), pose (T,6))`` for a clip, its rest face as the identity."""
    gen = torch.Generator().manual_seed(seed)
    t = clip.frames
    noise = torch.randn(1, t, noise_dim, generator=gen) * sigma
    audio = torch.from_numpy(clip.audio[None])
    ident = torch.from_numpy(identity_vector(clip.neutral, norm)[None])
    eyel = torch.from_numpy(np.ascontiguousarray(clip.eyelids[None, :, :1]))
    c, p = g(audio, ident, noise, eyel)
    return c[0].numpy(), p[0].numpy()


def validate(g: Generator, clips: list[ds.Clip], norm: ds.Normalisers,
             noise_dim: int, sigma: float) -> dict:
    """Mean per-clip mouth-opening r and mouth LMD (IOD units) on ``clips``."""
    from engine.model.evaluation import opening_of, pearson

    was = g.training
    g.eval()
    rs, lmds = [], []
    basis = norm.basis.reshape(len(norm.basis), -1)
    mouth = list(MOUTH)
    for c in clips:
        coeffs, _ = generate(g, c, norm, 0, noise_dim, sigma)
        disp = ((coeffs * norm.coeff_std) @ basis).reshape(-1, 468, 3) + norm.mean
        shape = c.neutral[None] + disp
        rs.append(pearson(opening_of(shape), c.opening))
        lmds.append(float(np.linalg.norm(shape[:, mouth, :2] - c.canon[:, mouth, :2],
                                         axis=-1).mean()))
    g.train(was)
    return {"r": float(np.mean(rs)) if rs else float("nan"),
            "lmd": float(np.mean(lmds)) if lmds else float("nan")}
