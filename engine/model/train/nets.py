"""The networks: one generator and three discriminators (torch).

Shapes (B batch, T frames, C = COLS feature columns, M = features.CHANNELS, K basis size):

- :class:`Generator` ``(audio (B,T,C,M), identity (B,468*3), noise (B,T,Z),
  eyelids (B,T,1)) -> (coeffs (B,T,K), pose (B,T,6))``, both in normalised units.
- :class:`FrameD` ``(coeffs (B,T,K), identity) -> (B,T)`` logits.
- :class:`SequenceD` ``(coeffs (B,T,K), pose (B,T,6), eyelids (B,T,1)) -> (B,)`` logits.
- :class:`SyncD` ``(audio (B,N,C,M), mouth (B,N,5,P)) -> (B,N)`` logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from engine.model import features

#: Landmark pairs whose distances describe the neutral face's mouth state: inner-lip
#: gaps (middle, left, right) and outer-lip height. (Mouth width and face proportions
#: are traits of a person; with one training face they only add a way to fail.)
ID_PAIRS = ((13, 14), (82, 87), (312, 317), (0, 17))


@dataclass
class NetConfig:
    k: int = 20
    channels: int = features.CHANNELS
    cols: int = 20
    audio_dim: int = 128
    content_dim: int = 96
    noise_dim: int = 10
    id_dim: int = 16
    hidden: int = 128
    bidirectional: bool = True
    mouth_points: int = 40

    def to_dict(self) -> dict:
        return asdict(self)


class AudioEncoder(nn.Module):
    """One 0.2 s feature window -> a code: a 1-D CNN over time with the features as channels."""

    def __init__(self, channels: int, cols: int, dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(channels, 64, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(64, 64, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(64, 96, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        )
        n = (cols + 1) // 2
        n = (n + 1) // 2
        self.out = nn.Linear(96 * n, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (..., C, M) -> (..., dim)
        lead = x.shape[:-2]
        y = x.reshape(-1, x.shape[-2], x.shape[-1]).transpose(1, 2)
        y = self.net(y).flatten(1)
        return torch.tanh(self.out(y)).reshape(*lead, -1)


class Generator(nn.Module):
    """Audio + identity + noise + eyelid closure -> expression coefficients and pose offsets."""

    id_mean: torch.Tensor  # (468, 3) float32 buffer: the training rest face, canonical units

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.audio = AudioEncoder(cfg.channels, cfg.cols, cfg.audio_dim)
        self.content = nn.GRU(cfg.audio_dim, cfg.content_dim, num_layers=2, batch_first=True,
                              bidirectional=cfg.bidirectional)
        self.noise = nn.GRU(cfg.noise_dim, cfg.noise_dim, batch_first=True)
        # identity: with one training face, the whole face shape cannot be learned (it
        # hurt on s4hq); the generator reads the neutral face's mouth state only: lip
        # gaps and mouth width (IOD units) relative to the training rest face
        self.register_buffer("id_mean", torch.zeros(468, 3))
        self.identity = nn.Sequential(nn.Linear(len(ID_PAIRS), 32), nn.LeakyReLU(0.2),
                                      nn.Linear(32, cfg.id_dim), nn.Tanh())
        cdim = cfg.content_dim * (2 if cfg.bidirectional else 1)
        din = cdim + cfg.noise_dim + 1 + cfg.id_dim
        self.decoder = nn.Sequential(nn.Linear(din, cfg.hidden), nn.LeakyReLU(0.2),
                                     nn.Linear(cfg.hidden, cfg.hidden), nn.LeakyReLU(0.2))
        self.to_coeffs = nn.Linear(cfg.hidden, cfg.k)
        self.to_pose = nn.Linear(cfg.hidden, 6)

    def set_identity_reference(self, neutral_mean) -> None:
        """The training rest face ``(468, 3)``; identity vectors are offsets from it x10."""
        self.id_mean.copy_(torch.as_tensor(neutral_mean, dtype=torch.float32).reshape(468, 3))

    def mouth_state(self, identity: torch.Tensor) -> torch.Tensor:
        """``(B, 1404)`` identity vectors -> ``(B, len(ID_PAIRS))`` lip distances vs rest, x10."""
        face = identity.reshape(-1, 468, 3) / 10.0 + self.id_mean
        a = torch.tensor([p[0] for p in ID_PAIRS])
        b = torch.tensor([p[1] for p in ID_PAIRS])
        d = torch.linalg.vector_norm(face[:, a, :2] - face[:, b, :2], dim=-1)
        d0 = torch.linalg.vector_norm(self.id_mean[a, :2] - self.id_mean[b, :2], dim=-1)
        return torch.clamp((d - d0) * 10.0, -3.0, 3.0)

    def forward(self, audio: torch.Tensor, identity: torch.Tensor, noise: torch.Tensor,
                eyelids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.audio(audio)                       # (B,T,A)
        c, _ = self.content(a)                      # (B,T,Cd)
        z, _ = self.noise(noise)                    # (B,T,Z)
        i = self.identity(self.mouth_state(identity))  # (B,I)
        i = i.unsqueeze(1).expand(-1, a.shape[1], -1)
        h = self.decoder(torch.cat([c, z, eyelids, i], -1))
        return self.to_coeffs(h), 0.5 * torch.tanh(self.to_pose(h))


class FrameD(nn.Module):
    """One frame's face shape (its expression coefficients), given the identity."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.identity = nn.Sequential(nn.Linear(468 * 3, cfg.id_dim), nn.Tanh())
        self.net = nn.Sequential(nn.Linear(cfg.k + cfg.id_dim, 128), nn.LeakyReLU(0.2),
                                 nn.Linear(128, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))

    def forward(self, coeffs: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        i = self.identity(identity).unsqueeze(1).expand(-1, coeffs.shape[1], -1)
        return self.net(torch.cat([coeffs, i], -1)).squeeze(-1)


class SequenceD(nn.Module):
    """A whole motion sequence (expression, head pose, eyelids): conv over time, GRU, classifier."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        din = cfg.k + 6 + 1
        self.conv = nn.Sequential(nn.Conv1d(din, 64, 5, padding=2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(64, 64, 5, padding=2), nn.LeakyReLU(0.2))
        self.gru = nn.GRU(64, 64, batch_first=True)
        self.out = nn.Linear(64, 1)

    def forward(self, coeffs: torch.Tensor, pose: torch.Tensor,
                eyelids: torch.Tensor) -> torch.Tensor:
        x = torch.cat([coeffs, pose, eyelids], -1).transpose(1, 2)
        h = self.conv(x).transpose(1, 2)
        _, last = self.gru(h)
        return self.out(last[-1]).squeeze(-1)


class SyncD(nn.Module):
    """Audio window vs 5-frame mouth snippet: embeddings, squared distance, classifier."""

    def __init__(self, cfg: NetConfig, emb: int = 64) -> None:
        super().__init__()
        self.audio = AudioEncoder(cfg.channels, cfg.cols, emb)
        self.mouth = nn.Sequential(nn.Linear(5 * cfg.mouth_points * 2, 128), nn.LeakyReLU(0.2),
                                   nn.Linear(128, emb), nn.Tanh())
        self.classifier = nn.Linear(1, 1)

    def embed_audio(self, audio: torch.Tensor) -> torch.Tensor:
        return self.audio(audio)

    def score(self, ea: torch.Tensor, mouth: torch.Tensor) -> torch.Tensor:
        """Logits from an audio embedding ``ea (B,N,E)`` and a snippet ``(B,N,5,P,2)``."""
        em = self.mouth(mouth.flatten(-2).flatten(-2))
        d = ((ea - em) ** 2).mean(-1, keepdim=True)
        return self.classifier(d).squeeze(-1)

    def forward(self, audio: torch.Tensor, mouth: torch.Tensor) -> torch.Tensor:
        ea = self.audio(audio)
        em = self.mouth(mouth.flatten(-2).flatten(-2))
        d = ((ea - em) ** 2).mean(-1, keepdim=True)
        return self.classifier(d).squeeze(-1)


def count_parameters(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
