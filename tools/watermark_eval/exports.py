"""The marked test exports: their source images, their frames, the real Talkie
exports, and how visible the mark is in them."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from engine.provenance import Watermarker

from .common import FPS, GRID, ROOT, Frame, log
from .media import first_frame, read_rgb

# ------------------------------------------------------------------ sources


def portrait_sources(n: int) -> list[tuple[str, Frame]]:
    """``n`` varied RGB stills: scikit-image photos, the shipped sample, GRID faces."""
    import skimage.data as sk

    out: list[tuple[str, Frame]] = []
    for name in (
        "astronaut", "chelsea", "coffee", "rocket", "camera", "moon", "coins",
        "clock", "immunohistochemistry", "brick", "grass", "gravel", "cell",
    ):
        im = np.asarray(getattr(sk, name)())
        if im.ndim == 2:
            im = np.repeat(im[:, :, None], 3, axis=2)
        out.append((name, np.ascontiguousarray(im[:, :, :3]).astype(np.uint8)))
    sample = ROOT / "assets" / "samples" / "astronaut.png"
    if sample.exists():
        out.append(("sample_astronaut", read_rgb(sample)))
    s4 = sorted((GRID / "s4hq" / "video").glob("*.mp4"))
    s1 = sorted((GRID / "s1" / "video").glob("*.mp4"))
    k = 0
    while len(out) < n:
        src = s4[(k * 7) % len(s4)] if k % 2 == 0 else s1[(k * 97) % len(s1)]
        out.append((f"grid_{src.parent.parent.name}_{src.stem}", first_frame(src, 10 + k)))
        k += 1
    return out[:n]


def talkie_like_frames(still: Frame, long_edge: int, seconds: float, seed: int) -> Iterator[Frame]:
    """Frames of ``still`` resized to ``long_edge`` with a gentle head-sway motion.

    Yields ``(H, W, 3) uint8`` RGB, H and W even. The motion (+-1.5 px, +-0.6 deg
    around a point low in the frame) stands in for the renderer's head motion.
    """
    h0, w0 = still.shape[:2]
    s = long_edge / max(h0, w0)
    w, h = int(round(w0 * s / 2)) * 2, int(round(h0 * s / 2)) * 2
    base = cv2.resize(still, (w, h), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    rng = np.random.default_rng(seed)
    ph = rng.uniform(0, 2 * math.pi, 3)
    for i in range(int(round(seconds * FPS))):
        t = i / FPS
        ang = 0.6 * math.sin(2 * math.pi * 0.4 * t + ph[0])
        tx = 1.5 * math.sin(2 * math.pi * 0.3 * t + ph[1])
        ty = 1.0 * math.sin(2 * math.pi * 0.5 * t + ph[2])
        m = cv2.getRotationMatrix2D((w / 2, h * 0.8), ang, 1.0)
        m[:, 2] += np.array((tx, ty))
        yield cast(Frame, cv2.warpAffine(base, m, (w, h), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_REFLECT))


def talkie_portraits(n: int, workdir: Path, seed: int = 7) -> Iterator[tuple[str, Path, int]]:
    """Endless varied portraits as PNG files: ``(name, path, long_edge)``.

    Sources: the shipped astronaut sample and frame 10 of GRID clips (s4hq
    and s1 alternately, a different clip each time); each gets a random
    zoom crop (72-100% of the frame, around the face), a random mirror and
    a random colour grade, and a random long edge in 512..1024.
    """
    rng = np.random.default_rng(seed)
    s4 = sorted((GRID / "s4hq" / "video").glob("*.mp4"))
    s1 = sorted((GRID / "s1" / "video").glob("*.mp4"))
    k = 0
    while True:
        if k % 10 == 0:
            name = "astronaut"
            img = read_rgb(ROOT / "assets" / "samples" / "astronaut.png")
        elif k % 2 == 0:
            src = s4[(k * 7) % len(s4)]
            name, img = f"s4hq_{src.stem}", first_frame(src, 10)
        else:
            src = s1[(k * 97) % len(s1)]
            name, img = f"s1_{src.stem}", first_frame(src, 10)
        h, w = img.shape[:2]
        z = rng.uniform(0.72, 1.0)
        ch, cw = int(h * z), int(w * z)
        y0 = int(rng.uniform(0, h - ch) * 0.5)
        x0 = int((w - cw) / 2 + rng.uniform(-0.5, 0.5) * (w - cw) / 2)
        img = img[y0 : y0 + ch, x0 : x0 + cw]
        if rng.random() < 0.5:
            img = img[:, ::-1]
        gain = rng.uniform(0.85, 1.15, 3)
        graded = np.clip(img.astype(np.float32) * gain + rng.uniform(-12, 12), 0, 255)
        long_edge = int(rng.choice([512, 576, 640, 720, 768, 896, 1024]))
        s = long_edge / max(graded.shape[:2])
        size = (int(round(graded.shape[1] * s)), int(round(graded.shape[0] * s)))
        img = cast(Frame, cv2.resize(graded.astype(np.uint8), size, interpolation=cv2.INTER_CUBIC))
        path = workdir / f"portrait_{k:02d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        yield f"{name}_{k}", path, long_edge
        k += 1


# ------------------------------------------------------------------ visibility


def psnr(a: Frame, b: Frame) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0**2 / mse)


def flat_visibility(a: Frame, b: Frame) -> tuple[float, float]:
    """On flat areas of ``a`` (local luminance sd < 1 grey level over 15 px):
    (largest |change| in grey levels, fraction of those pixels changed at all)."""
    g = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(g, (15, 15))
    sd = np.sqrt(np.maximum(cv2.blur(g * g, (15, 15)) - mean * mean, 0))
    flat = sd < 1.0
    if not flat.any():
        return 0.0, 0.0
    d = np.abs(b.astype(np.int16) - a.astype(np.int16)).max(axis=2)[flat]
    return float(d.max()), float((d > 0).mean())


# ------------------------------------------------------------------ exports


def make_talkie_exports(n: int, workdir: Path) -> Iterator[tuple[str, Path, str, float]]:
    """``n`` real Talkie exports: ``(portrait name, mp4 path, export id, PSNR dB)``.

    PSNR compares frame 5 of the export's own render with and without the
    mark (before encoding).
    """
    import engine
    from engine.errors import TalkieError

    audios = sorted((GRID / "s1" / "audio").glob("*.flac"))[::20] + sorted(
        (GRID / "s4hq" / "audio").glob("*.flac")
    )
    made = 0
    for name, png, long_edge in talkie_portraits(n, workdir):
        if made >= n:
            return
        voice = audios[(made * 7) % len(audios)]
        try:
            image = engine.load_image(png)
            portrait = engine.analyse_portrait(image)
            audio = engine.load_audio(voice)
            analysis = engine.analyse_audio(audio)
            settings = engine.Settings(seed=made)
            anim = engine.Animation(portrait, analysis, settings)
            out = workdir / f"export_{made:02d}.mp4"
            res = engine.export(anim, out, engine.OutputOptions(size=long_edge, crf=18))
            plain = np.ascontiguousarray(anim.render_index(5, long_edge)[:, :, :3])
            plain = plain[: res.height, : res.width]
            marked = Watermarker.for_export(res.export_id, settings.fps).embed(plain, 5)
            p = psnr(plain, marked)
        except TalkieError as exc:
            log.info("skip %s: %s", name, exc)
            continue
        finally:
            png.unlink(missing_ok=True)
        made += 1
        yield f"{name}+{voice.stem}", out, res.export_id, p
