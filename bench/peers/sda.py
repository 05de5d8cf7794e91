"""The SDA pixel generator (Vougioukas, Petridis and Pantic, IJCV 2019), re-implemented.

ARCHITECTURAL RE-IMPLEMENTATION WITH RANDOM WEIGHTS, for timing only. It is
written from the layer description in the paper ("Realistic Speech-Driven
Facial Animation with GANs", section 3 and its architecture figure), not from
the authors' code, and it has never been trained: its output is noise. Speed
does not depend on the weight values, so it tells how long the published
generator takes per frame on this CPU.

What the paper describes and this module builds:

- identity encoder: 6 strided 2-D convolutions (batch norm, ReLU) from one
  96x128 still frame (3 x 128 high x 96 wide) down to a latent code; the
  activations of every layer are kept for the decoder's U-Net skips;
- audio encoder: a 1-D CNN over one 0.2 s window of raw 16 kHz audio (3200
  samples) per video frame; the first layer has a kernel of 80 and a stride of
  16; strided layers then reduce it to a 256-d code;
- content: a 2-layer GRU (256 units) over the audio codes;
- noise: N(0, 0.33) 10-d noise through a 1-layer GRU (10 units);
- frame decoder: [content | noise | identity] -> transposed convolutions
  back to 3 x 128 x 96, concatenating the identity encoder's activations at
  every scale (U-Net), tanh output.

Widths follow the usual doubling (64 ... 1024) of the DCGAN-style encoders the
paper builds on; the identity code is 128-d. These widths are our reading,
stated here so that anyone can change them and re-time.
"""

from __future__ import annotations

import torch
from torch import nn

#: Frame size (height, width) the SDA model paints.
FRAME_HW = (128, 96)
#: Samples of 16 kHz audio per video frame's window (0.2 s).
AUDIO_WINDOW = 3200
FPS = 25

ID_DIM = 128
CONTENT_DIM = 256
NOISE_DIM = 10
ENC_CHANNELS = (64, 128, 256, 512, 1024)


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class IdentityEncoder(nn.Module):
    """6 conv layers: 128x96 -> 64x48 -> 32x24 -> 16x12 -> 8x6 -> 4x3 -> 1x1 code."""

    def __init__(self) -> None:
        super().__init__()
        chans = (3, *ENC_CHANNELS)
        self.down = nn.ModuleList(_down(a, b) for a, b in zip(chans[:-1], chans[1:], strict=True))
        self.to_code = nn.Sequential(nn.Conv2d(ENC_CHANNELS[-1], ID_DIM, (4, 3)), nn.Tanh())

    def forward(self, still: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        x = still
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        return self.to_code(x).flatten(1), skips


class AudioEncoder(nn.Module):
    """1-D CNN: 3200 raw samples -> 256-d; first layer kernel 80, stride 16."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv1d(1, 16, 80, stride=16, padding=32, bias=False),  # 3200 -> 200
            nn.BatchNorm1d(16),
            nn.ReLU(inplace=True),
        ]
        chans = (16, 32, 64, 128, 256, 512)
        for a, b in zip(chans[:-1], chans[1:], strict=True):  # 200 -> 100 -> 50 -> 25 -> 12 -> 6
            layers += [
                nn.Conv1d(a, b, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm1d(b),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.Conv1d(512, CONTENT_DIM, 6), nn.Tanh()]  # 6 -> 1
        self.net = nn.Sequential(*layers)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """``(N, 3200)`` -> ``(N, 256)``."""
        return self.net(windows.unsqueeze(1)).flatten(1)


class FrameDecoder(nn.Module):
    """[content | noise | identity] -> 3 x 128 x 96 with U-Net skips from the identity encoder."""

    def __init__(self) -> None:
        super().__init__()
        z = CONTENT_DIM + NOISE_DIM + ID_DIM
        self.project = nn.Sequential(
            nn.ConvTranspose2d(z, ENC_CHANNELS[-1], (4, 3), bias=False),  # 1x1 -> 4x3
            nn.BatchNorm2d(ENC_CHANNELS[-1]),
            nn.ReLU(inplace=True),
        )
        rev = ENC_CHANNELS[::-1]  # 1024, 512, 256, 128, 64
        ups = []
        for i in range(len(rev) - 1):  # 4x3 -> 8x6 -> 16x12 -> 32x24 -> 64x48
            ups.append(_up(rev[i] * 2, rev[i + 1]))
        self.up = nn.ModuleList(ups)
        self.out = nn.Sequential(
            nn.ConvTranspose2d(rev[-1] * 2, 3, 4, stride=2, padding=1), nn.Tanh()  # -> 128x96
        )

    def forward(self, z: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        x = self.project(z[:, :, None, None])
        for layer, skip in zip(self.up, reversed(skips[1:]), strict=True):
            x = layer(torch.cat([x, skip.expand(x.shape[0], -1, -1, -1)], 1))
        return self.out(torch.cat([x, skips[0].expand(x.shape[0], -1, -1, -1)], 1))


class SDAGenerator(nn.Module):
    """The whole generator, in two calling styles.

    - :meth:`forward`: a clip, ``(1, 3, 128, 96)`` still + ``(T, 3200)`` windows
      -> ``(T, 3, 128, 96)`` frames (the batched, offline way).
    - :meth:`step`: one frame at a time with carried GRU states, the identity
      encoding computed once (the streaming way an interactive app would run it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.identity = IdentityEncoder()
        self.audio = AudioEncoder()
        self.content = nn.GRU(CONTENT_DIM, CONTENT_DIM, num_layers=2, batch_first=True)
        self.noise = nn.GRU(NOISE_DIM, NOISE_DIM, num_layers=1, batch_first=True)
        self.decoder = FrameDecoder()

    def forward(self, still: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
        code, skips = self.identity(still)
        t = windows.shape[0]
        content, _ = self.content(self.audio(windows).unsqueeze(0))
        noise, _ = self.noise(torch.randn(1, t, NOISE_DIM) * 0.33)
        z = torch.cat([content[0], noise[0], code.expand(t, -1)], 1)
        return self.decoder(z, skips)

    def encode_identity(self, still: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return self.identity(still)

    def step(
        self,
        identity: tuple[torch.Tensor, list[torch.Tensor]],
        window: torch.Tensor,
        state: tuple[torch.Tensor | None, torch.Tensor | None],
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        code, skips = identity
        h_content, h_noise = state
        content, h_content = self.content(self.audio(window).unsqueeze(1), h_content)
        noise, h_noise = self.noise(torch.randn(1, 1, NOISE_DIM) * 0.33, h_noise)
        z = torch.cat([content[:, 0], noise[:, 0], code], 1)
        return self.decoder(z, skips), (h_content, h_noise)


def make_inputs(frames: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random still ``(1, 3, 128, 96)`` and ``(frames, 3200)`` audio windows."""
    g = torch.Generator().manual_seed(seed)
    still = torch.rand(1, 3, *FRAME_HW, generator=g) * 2 - 1
    windows = (torch.rand(frames, AUDIO_WINDOW, generator=g) * 2 - 1) * 0.1
    return still, windows
