"""Training batches: random crops of prepared clips, with augmentation.

Tempo (audio and motion resampled together), mel-band shift (pitch and
formants), recording level and noise floor, and a randomly chosen neutral
frame, all aimed at voices and faces other than GRID s1's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from engine.model import dataset as ds
from engine.model.landmarks import MOUTH

if TYPE_CHECKING:
    from engine.model.train.loop import TrainConfig


class Batcher:
    """Random crops of training clips, with frequency-shift and tempo augmentation."""

    def __init__(self, clips: list[ds.Clip], norm: ds.Normalisers, cfg: TrainConfig,
                 rng: np.random.Generator) -> None:
        self.clips = clips
        self.norm = norm
        self.cfg = cfg
        self.rng = rng
        self.coeffs = [ds.project(c, norm) for c in clips]
        self.basis_t = norm.basis.reshape(len(norm.basis), -1).T.astype(np.float32)
        self.mouth = [c.expr[:, list(MOUTH), :2] for c in clips]

    def _jitter(self, neutral: np.ndarray) -> np.ndarray:
        """Identity augmentation: s1 is one face, so move its neutral shape towards or past
        MediaPipe's average face and add per-point noise, so that the generator learns
        to work for other faces rather than to rely on s1's."""
        a = self.cfg.id_jitter
        if a <= 0:
            return neutral
        from engine.face.mesh import CANONICAL

        u = float(self.rng.uniform(-a, a))
        noise = self.rng.normal(0.0, 0.01 * a, neutral.shape)
        return (neutral + u * (CANONICAL - self.norm.neutral_mean) + noise).astype(np.float32)

    def _levels(self, mel: np.ndarray) -> np.ndarray:
        """Recording-level augmentation of a normalised log-mel (0 = the clip's speech level).

        Scales the dynamic range below and above the speech level by U(0.6, 1.6) and,
        half of the time, adds a noise floor 20..60 dB under the speech level with a
        random spectral tilt, so that pauses look like pauses whatever the room and the
        microphone (s1's recordings have a ~17 dB floor; other voices differ).
        """
        rng = self.rng
        m = mel * float(rng.uniform(0.6, 1.6))
        if rng.uniform() < 0.5:
            floor = -float(rng.uniform(1.0, 3.0))
            tilt = float(rng.uniform(-0.5, 0.5)) * np.linspace(-1, 1, m.shape[1])
            n = (floor + tilt)[None, :].astype(np.float32)
            m = 0.5 * np.log10(10.0 ** (2 * m) + 10.0 ** (2 * n))
        return np.clip(m, -4.0, 3.0).astype(np.float32)

    def sample(self) -> dict[str, torch.Tensor]:
        cfg, rng = self.cfg, self.rng
        out: dict[str, list] = {k: [] for k in
                                ("audio", "coeffs", "pose", "eyelids", "identity", "mj")}
        length = cfg.length
        for _ in range(cfg.batch):
            i = int(rng.integers(len(self.clips)))
            c = self.clips[i]
            rate = 1.0 + float(rng.uniform(-cfg.tempo, cfg.tempo)) if cfg.tempo > 0 else 1.0
            # target frames sampled at t_k = start + k * rate (in source frames)
            span = (length - 1) * rate
            start = float(rng.uniform(0, max(c.frames - 1 - span, 0)))
            src = np.clip(start + np.arange(length) * rate, 0, c.frames - 1)
            lo = np.floor(src).astype(int)
            hi = np.minimum(lo + 1, c.frames - 1)
            w = (src - lo).astype(np.float32)

            def interp(a: np.ndarray, w=w, lo=lo, hi=hi) -> np.ndarray:
                ww = w.reshape(-1, *([1] * (a.ndim - 1)))
                return (1 - ww) * a[lo] + ww * a[hi]

            # audio: resample the mel columns by the same rate, then cut windows
            mel = c.mel
            if rate != 1.0:
                m_src = np.arange(0, mel.shape[0] - 1e-6, rate)
                ml = np.floor(m_src).astype(int)
                mh = np.minimum(ml + 1, mel.shape[0] - 1)
                mw = (m_src - ml)[:, None].astype(np.float32)
                mel = (1 - mw) * mel[ml] + mw * mel[mh]
            shift = int(rng.integers(-cfg.freq_shift, cfg.freq_shift + 1)) if cfg.freq_shift else 0
            if shift:
                mel = np.roll(mel, shift, axis=1)
                if shift > 0:
                    mel[:, :shift] = mel[:, shift:shift + 1]
                else:
                    mel[:, shift:] = mel[:, shift - 1:shift]
            if cfg.level_aug:
                mel = self._levels(mel)
            # frames of the new clip: frame k of the crop is at new-time (start/rate + k)
            k0 = int(round(start / rate))
            frames_new = k0 + length
            win = ds.features.frame_windows(mel, frames_new, c.fps)[k0:k0 + length]
            # the neutral face: the clip's rest shape, or (half of the time) a random
            # frame, as a portrait may show parted lips or a smile; targets are then
            # relative to that frame, so the generator learns to read the identity's mouth
            if rng.uniform() < cfg.any_frame_neutral:
                j = int(rng.integers(c.frames))
                ref_expr = c.expr[j]
                ident = c.canon[j]
                dc = (ref_expr.reshape(-1) @ self.basis_t) / self.norm.coeff_std
            else:
                ref_expr = np.zeros((468, 3), np.float32)
                ident = c.neutral
                dc = 0.0
            out["audio"].append(win)
            out["coeffs"].append(interp(self.coeffs[i]) - dc)
            out["pose"].append(interp(c.pose) / self.norm.pose_std)
            out["eyelids"].append(interp(c.eyelids[:, :1]))
            out["identity"].append(identity_vector(self._jitter(ident), self.norm))
            out["mj"].append(interp(c.expr[:, ds.MOUTH_JAW_IDX]) - ref_expr[ds.MOUTH_JAW_IDX])
        return {k: torch.from_numpy(np.ascontiguousarray(np.stack(v), dtype=np.float32))
                for k, v in out.items()}


def identity_vector(neutral: np.ndarray, norm: ds.Normalisers) -> np.ndarray:
    """``(468*3,) float32`` identity input: the neutral face minus the training mean, x10."""
    return ((np.asarray(neutral, np.float32) - norm.neutral_mean) * 10.0).reshape(-1)


# ----------------------------------------------------------------------------- model bundle
