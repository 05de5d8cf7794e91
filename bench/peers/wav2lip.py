"""The Wav2Lip generator (Prajwal et al., ACM MM 2020), re-implemented.

Prajwal, Mukhopadhyay, Namboodiri and Jawahar, ACM Multimedia 2020.

ARCHITECTURAL RE-IMPLEMENTATION WITH RANDOM WEIGHTS, for timing only. It is
written from the paper's description of the generator ("A Lip Sync Expert Is
All You Need for Speech to Lip Generation In The Wild", section 3.3), not
from the authors' code, and it has never been trained. Speed does not depend
on the weight values.

What the paper describes and this module builds:

- identity (face) encoder: a stack of residual convolutional blocks over a
  96x96 face crop with 6 channels: the target frame with its lower half
  masked, concatenated with a reference frame of the same identity (pose
  prior); the activations of every scale are kept for skip connections;
- speech encoder: a stack of 2-D convolutions (with residual blocks) over an
  80 (mel bands) x 16 (mel frames, 0.2 s) log-mel window, down to one vector;
- face decoder: the concatenated face and speech embeddings upsampled with
  transposed convolutions and residual blocks, with skip connections from
  the face encoder at every scale, to a 3 x 96 x 96 image (sigmoid).

Every convolution is conv + batch norm + ReLU; a "residual" block adds its
input. Widths (16 ... 512) double with every halving of the resolution, as
usual for this family; they are our reading, stated so that they can be
changed and re-timed.
"""

from __future__ import annotations

import torch
from torch import nn

SIZE = 96
MEL_BANDS = 80
MEL_STEPS = 16


class ConvBlock(nn.Module):
    """conv + BN + ReLU, optionally ``x + f(x)``."""

    def __init__(
        self,
        cin: int,
        cout: int,
        k: int | tuple[int, int] = 3,
        s: int | tuple[int, int] = 1,
        p: int | tuple[int, int] = 1,
        residual: bool = False,
        transpose: bool = False,
        output_padding: int = 0,
    ) -> None:
        super().__init__()
        conv: nn.Module
        if transpose:
            conv = nn.ConvTranspose2d(cin, cout, k, s, p, output_padding=output_padding, bias=False)
        else:
            conv = nn.Conv2d(cin, cout, k, s, p, bias=False)
        self.body = nn.Sequential(conv, nn.BatchNorm2d(cout))
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        if self.residual:
            y = y + x
        return torch.relu(y)


def _stage(cin: int, cout: int, n_res: int, **down: object) -> nn.Sequential:
    blocks: list[nn.Module] = [ConvBlock(cin, cout, **down)]  # type: ignore[arg-type]
    blocks += [ConvBlock(cout, cout, residual=True) for _ in range(n_res)]
    return nn.Sequential(*blocks)


class FaceEncoder(nn.Module):
    """6 x 96 x 96 -> 512 x 1 x 1, keeping every scale (96, 48, 24, 12, 6, 3, 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.stages = nn.ModuleList(
            [
                _stage(6, 16, 0, k=7, s=1, p=3),  # 96
                _stage(16, 32, 2, s=2),  # 48
                _stage(32, 64, 3, s=2),  # 24
                _stage(64, 128, 2, s=2),  # 12
                _stage(128, 256, 2, s=2),  # 6
                _stage(256, 512, 1, s=2),  # 3
                nn.Sequential(ConvBlock(512, 512, k=3, s=1, p=0), ConvBlock(512, 512, k=1, p=0)),
            ]
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class SpeechEncoder(nn.Module):
    """1 x 80 x 16 log-mel -> 512 x 1 x 1."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            _stage(1, 32, 2),  # 80 x 16
            _stage(32, 64, 2, s=(3, 1)),  # 27 x 16
            _stage(64, 128, 2, s=3),  # 9 x 6
            _stage(128, 256, 2, s=(3, 2)),  # 3 x 3
            ConvBlock(256, 512, k=3, s=1, p=0),  # 1 x 1
            ConvBlock(512, 512, k=1, p=0),
        )

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.net(mel)


class FaceDecoder(nn.Module):
    """(512 speech + skips) -> 3 x 96 x 96."""

    def __init__(self) -> None:
        super().__init__()
        up = dict(transpose=True, k=3, s=2, p=1, output_padding=1)
        self.stages = nn.ModuleList(
            [
                nn.Sequential(ConvBlock(512, 512, k=1, p=0)),  # 1 (speech)
                nn.Sequential(  # 1 -> 3
                    ConvBlock(1024, 512, k=3, s=1, p=0, transpose=True),
                    ConvBlock(512, 512, residual=True),
                ),
                _stage(1024, 512, 2, **up),  # 3 -> 6
                _stage(768, 384, 2, **up),  # 6 -> 12
                _stage(512, 256, 2, **up),  # 12 -> 24
                _stage(320, 128, 2, **up),  # 24 -> 48
                _stage(160, 64, 2, **up),  # 48 -> 96
            ]
        )
        self.out = nn.Sequential(
            ConvBlock(80, 32), nn.Conv2d(32, 3, 1), nn.Sigmoid()
        )

    def forward(self, speech: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        x = speech
        for stage, skip in zip(self.stages, reversed(feats), strict=True):
            x = torch.cat([stage(x), skip], 1)
        return self.out(x)


class Wav2LipGenerator(nn.Module):
    """``(N, 6, 96, 96)`` faces + ``(N, 1, 80, 16)`` mels -> ``(N, 3, 96, 96)``.

    Wav2Lip has no recurrent state: every frame is independent, so the
    streaming case is simply N = 1 and the offline case is N = fps.
    """

    def __init__(self) -> None:
        super().__init__()
        self.face = FaceEncoder()
        self.speech = SpeechEncoder()
        self.decoder = FaceDecoder()

    def forward(self, faces: torch.Tensor, mels: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.speech(mels), self.face(faces))


def make_inputs(frames: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    faces = torch.rand(frames, 6, SIZE, SIZE, generator=g)
    mels = torch.randn(frames, 1, MEL_BANDS, MEL_STEPS, generator=g)
    return faces, mels
