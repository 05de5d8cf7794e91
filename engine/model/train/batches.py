"""Training batches: random crops of prepared clips, with augmentation.

Targets are the real motion, except in silence, where the face rests (a voice track
that stops should leave the lips closed). Augmentation is aimed at voices,
microphones and faces other than GRID s1's: tempo (audio and
motion resampled together), vocal-tract-length warping of the spectrum (other
voices' formants), a random spectral tilt and noise floor (other microphones and
rooms), recogniser errors in the phone channels, and a rest face estimated from
a frame with parted lips (portraits caught mid-word). The features are
normalised after augmentation, exactly as the app normalises a voice track.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from engine.audio.features import hz_to_mel, mel_to_hz
from engine.model import dataset as ds
from engine.model import features
from engine.model.landmarks import MOUTH

if TYPE_CHECKING:
    from engine.model.train.loop import TrainConfig


class Batcher:
    """Random crops of training clips, with augmentation aimed at other voices and faces."""

    def __init__(self, clips: list[ds.Clip], norm: ds.Normalisers, cfg: TrainConfig,
                 rng: np.random.Generator) -> None:
        self.clips = clips
        self.norm = norm
        self.cfg = cfg
        self.rng = rng
        # where the voice is silent the target is the rest face: real lips part there too
        # (breath, lingering), but a face should rest when its voice does
        self.targets = [rest_in_silence(c) for c in clips]
        self.coeffs = [ds.project_expr(e, norm) for e in self.targets]
        self.basis_t = norm.basis.reshape(len(norm.basis), -1).T.astype(np.float32)
        self.mouth = [c.expr[:, list(MOUTH), :2] for c in clips]
        # the mel bands' centre frequencies, for vocal-tract-length warping
        top = hz_to_mel(np.array(features.SAMPLE_RATE / 2.0))
        self.band_mel = np.linspace(0.0, float(top), features.N_MELS + 2)[1:-1]
        self.rest_idents = [self._rest_face(c) for c in clips]
        extra = set(cfg.extra_speakers)
        self.extra_idx = [i for i, c in enumerate(clips) if c.speaker in extra]
        self.main_idx = [i for i, c in enumerate(clips) if c.speaker not in extra]

    def _pick(self) -> int:
        """A training clip's index: ``cfg.extra_share`` of the crops from the extra speakers'
        clips, the rest from s1's; uniform over all clips when only one side has any (the
        draws of a run on s1 alone are those of the recipe before extra speakers)."""
        rng = self.rng
        if not self.extra_idx or not self.main_idx:
            return int(rng.integers(len(self.clips)))
        side = self.extra_idx if rng.uniform() < self.cfg.extra_share else self.main_idx
        return side[int(rng.integers(len(side)))]

    @staticmethod
    def _rest_face(c: ds.Clip) -> np.ndarray:
        """The clip's widest-open frame with its lips closed by the app's rest estimate: what
        the generator sees of a portrait caught mid-word.

        Without the estimate's lip-shape term (``keep_weight=0``), as when the shipped model
        was trained: on s1's widest frames the term moves the 40 lip points by 0.011 IOD
        (median), any change here trains other weights, and a model trained with it was no
        better (docs/model.md, 2026-12-03); so ``make model`` keeps giving back the shipped
        one."""
        from engine.motion.rest import rest_offset

        j = int(np.argmax(c.opening))
        return (c.canon[j] + rest_offset(c.canon[j], keep_weight=0.0)).astype(np.float32)

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

    def _vtln(self, mel: np.ndarray) -> np.ndarray:
        """Vocal-tract-length warping of a log-mel ``(M, N_MELS)`` dB: the spectrum of a voice
        whose formants sit ``alpha`` times higher (alpha log-uniform in the configured range)."""
        lo, hi = self.cfg.vtln
        alpha = float(np.exp(self.rng.uniform(np.log(lo), np.log(hi))))
        src_hz = mel_to_hz(self.band_mel) / alpha
        src = np.interp(hz_to_mel(src_hz), self.band_mel, np.arange(features.N_MELS))
        i0 = np.clip(np.floor(src).astype(int), 0, features.N_MELS - 1)
        i1 = np.clip(i0 + 1, 0, features.N_MELS - 1)
        w = (src - i0)[None, :]
        return ((1 - w) * mel[:, i0] + w * mel[:, i1]).astype(np.float32)

    def _room(self, mel: np.ndarray) -> np.ndarray:
        """Another microphone and room: a random spectral tilt, and half of the time a noise
        floor 15..50 dB under the speech level (added in power)."""
        rng = self.rng
        tilt = float(rng.uniform(-6.0, 6.0)) * np.linspace(-1, 1, features.N_MELS)
        out = mel + tilt[None, :]
        if rng.uniform() < 0.5:
            e = features.energy_db(out)
            speech = float(np.percentile(e, 95)) - 10 * np.log10(features.N_MELS)
            floor = speech - float(rng.uniform(15.0, 50.0))
            ntilt = float(rng.uniform(-10.0, 10.0)) * np.linspace(-1, 1, features.N_MELS)
            noise = floor + ntilt[None, :] + rng.normal(0.0, 2.0, out.shape)
            out = 10.0 * np.log10(10.0 ** (out / 10.0) + 10.0 ** (noise / 10.0))
        return out.astype(np.float32)

    def _phone_noise(self, onehot: np.ndarray) -> np.ndarray:
        """Recogniser errors: each phone run's class is replaced by a random one with
        probability ``cfg.phone_noise``, and the whole track shifts by up to 30 ms."""
        rng = self.rng
        cls = onehot.argmax(1)
        if self.cfg.phone_noise > 0 and len(cls):
            starts = np.flatnonzero(np.r_[True, cls[1:] != cls[:-1]])
            ends = np.r_[starts[1:], len(cls)]
            for a, b in zip(starts, ends, strict=True):
                if rng.uniform() < self.cfg.phone_noise:
                    cls[a:b] = int(rng.integers(features.N_PHONE))
        shift = int(rng.integers(-3, 4))
        if shift:
            cls = np.roll(cls, shift)
        out = np.zeros_like(onehot)
        out[np.arange(len(cls)), cls] = 1.0
        return out

    def _features(self, c: ds.Clip, rate: float) -> np.ndarray:
        """The clip's augmented model features ``(M', CHANNELS)``, resampled by ``rate``."""
        mel, ph, f0, ap = c.mel, c.phones, c.f0, c.aper
        m = len(mel)
        if rate != 1.0:
            src = np.arange(0, m - 1e-6, rate)
            lo = np.floor(src).astype(int)
            hi = np.minimum(lo + 1, m - 1)
            w = (src - lo).astype(np.float32)
            near = np.round(src).astype(int).clip(0, m - 1)
            mel = (1 - w)[:, None] * mel[lo] + w[:, None] * mel[hi]
            ph, f0, ap = ph[near], f0[near], ap[near]
        if self.cfg.vtln:
            mel = self._vtln(mel)
        if self.cfg.level_aug:
            mel = self._room(mel)
        ph = self._phone_noise(ph)
        return features.assemble(mel, ph, f0, ap)

    def sample(self) -> dict[str, torch.Tensor]:
        cfg, rng = self.cfg, self.rng
        out: dict[str, list] = {k: [] for k in
                                ("audio", "coeffs", "pose", "eyelids", "identity", "mj")}
        length = cfg.length
        for _ in range(cfg.batch):
            i = self._pick()
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

            feats = self._features(c, rate)
            # frames of the new clip: frame k of the crop is at new-time (start/rate + k)
            k0 = int(round(start / rate))
            win = features.frame_windows(feats, k0 + length, c.fps)[k0:k0 + length]
            # the identity is the rest face: the clip's own, or (half of the time) the app's
            # estimate from a frame with parted lips; targets stay relative to the real rest
            ident = self.rest_idents[i] if rng.uniform() < cfg.any_frame_neutral else c.neutral
            out["audio"].append(win)
            out["coeffs"].append(interp(self.coeffs[i]))
            out["pose"].append(interp(c.pose) / self.norm.pose_std)
            out["eyelids"].append(interp(c.eyelids[:, :1]))
            out["identity"].append(identity_vector(self._jitter(ident), self.norm))
            out["mj"].append(interp(self.targets[i][:, ds.MOUTH_JAW_IDX]))
        return {k: torch.from_numpy(np.ascontiguousarray(np.stack(v), dtype=np.float32))
                for k, v in out.items()}


#: Frames marked silent by the corpus and this far under the clip's speech level (dB) get
#: the rest face as their target (see :data:`engine.model.train.export.DEEP_SILENCE_DB`).
REST_SILENCE_DB = 30.0


def rest_in_silence(c: ds.Clip) -> np.ndarray:
    """``(T, 468, 3) float32`` the clip's expression with its silent frames at rest."""
    deep = c.silence & (c.loudness < np.percentile(c.loudness, 95) - REST_SILENCE_DB)
    out = c.expr.copy()
    out[deep] = 0.0
    return out


def identity_vector(neutral: np.ndarray, norm: ds.Normalisers) -> np.ndarray:
    """``(468*3,) float32`` identity input: the neutral face minus the training mean, x10."""
    return ((np.asarray(neutral, np.float32) - norm.neutral_mean) * 10.0).reshape(-1)


# ----------------------------------------------------------------------------- model bundle
