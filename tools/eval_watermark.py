"""Measure the provenance watermark: robustness per attack and false positives.

Default (``--source talkie``): 50 real Talkie exports made with the engine's
own pipeline (``analyse_portrait`` -> ``analyse_audio`` -> ``Animation`` ->
``export``, watermark on, CRF 18), each from a different portrait (the
astronaut sample and frames of different GRID s1/s4hq clips, each with its
own crop, mirror and colour grade, long edge 512-1024 px) and a different
GRID voice clip (3 s). ``--source stills`` instead animates arbitrary photos
(scikit-image) with a whole-frame head sway, marks them with
:class:`engine.provenance.Watermarker` and writes them with
``engine.media.mp4.Mp4Writer``: a harsher stress test (everything moves,
many images are not portraits). Each file is then attacked with PyAV and
checked with :func:`engine.provenance.verify`:

* ``none``: the export as written;
* ``crf28``: H.264 re-encode at CRF 28;
* ``scale50``: downscale to 50% (swscale bicubic), re-encode CRF 23;
* ``crop10``: crop 10% off each edge, re-encode CRF 23;
* ``fps15``: 25 -> 15 fps (frames picked by timestamp), re-encode CRF 23;
* ``combo``: all four at once (crop, scale 50%, 15 fps, CRF 28).

Then it runs ``verify`` over every real GRID clip (s1 and s4hq) to count
false positives and report the null distribution of the detector score.
Writes a Markdown table to ``docs/provenance.md`` (between markers) and a JSON
file with every score.

Usage::

    nice -n 10 .venv/bin/python tools/eval_watermark.py [--exports 50] [--grid-limit N]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.provenance import Watermarker, provenance_tags, verify  # noqa: E402
from engine.provenance.watermark import THRESHOLD  # noqa: E402

log = logging.getLogger("eval_watermark")
GRID = ROOT.parent / "shared" / "data" / "grid"
FPS = 25
ATTACKS = ("none", "crf28", "scale50", "crop10", "fps15", "combo")

Frame = NDArray[np.uint8]


# ------------------------------------------------------------------ sources


def _first_frame(path: Path, index: int = 0) -> Frame:
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i >= index:
                return f.to_ndarray(format="rgb24")
    raise RuntimeError(f"no frame in {path}")


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
        im = cv2.cvtColor(cv2.imread(str(sample), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        out.append(("sample_astronaut", im))
    s4 = sorted((GRID / "s4hq" / "video").glob("*.mp4"))
    s1 = sorted((GRID / "s1" / "video").glob("*.mp4"))
    k = 0
    while len(out) < n:
        src = s4[(k * 7) % len(s4)] if k % 2 == 0 else s1[(k * 97) % len(s1)]
        out.append((f"grid_{src.parent.parent.name}_{src.stem}", _first_frame(src, 10 + k)))
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
        m[:, 2] += (tx, ty)
        yield cv2.warpAffine(base, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


# ------------------------------------------------------------------ writing


def write_mp4(
    path: Path,
    frames: Iterator[Frame],
    width: int,
    height: int,
    fps: int,
    crf: int,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write RGB frames as H.264 MP4: Talkie's Mp4Writer when available, else PyAV."""
    try:
        from engine.media.mp4 import Mp4Writer  # type: ignore[import-not-found]
    except ImportError:
        Mp4Writer = None
    if Mp4Writer is not None and metadata is not None:
        # The exporter's settings (engine/export.py): preset veryfast.
        with Mp4Writer(path, width, height, fps, crf=crf, metadata=metadata,
                       preset="veryfast") as wr:
            for f in frames:
                wr.write(f)
        return
    encode_pyav(path, frames, width, height, fps, crf, metadata or {})


def encode_pyav(
    path: Path,
    frames: Iterator[Frame],
    width: int,
    height: int,
    fps: int | Fraction,
    crf: int,
    metadata: dict[str, str],
) -> None:
    """libx264 yuv420p at ``crf``, +faststart, with container ``metadata``."""
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as c:
        for k, v in metadata.items():
            c.metadata[k] = v
        st = c.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = width, height, "yuv420p"
        st.options = {"crf": str(crf), "preset": "medium"}
        for f in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in st.encode():
            c.mux(p)


# ------------------------------------------------------------------ attacks


def _decode(path: Path) -> Iterator[av.VideoFrame]:
    with av.open(str(path)) as c:
        yield from c.decode(video=0)


def attack(src: Path, dst: Path, name: str) -> None:
    """Apply attack ``name`` (see module doc) to ``src``, writing ``dst``."""
    with av.open(str(src)) as c:
        w, h = c.streams.video[0].width, c.streams.video[0].height
    crf = 28 if name in ("crf28", "combo") else 23
    fps = 15 if name in ("fps15", "combo") else FPS
    crop = name in ("crop10", "combo")
    scale = name in ("scale50", "combo")
    x0, y0 = (int(round(w * 0.1)), int(round(h * 0.1))) if crop else (0, 0)
    cw, ch = w - 2 * x0, h - 2 * y0
    ow, oh = (cw // 4 * 2, ch // 4 * 2) if scale else (cw // 2 * 2, ch // 2 * 2)

    def frames() -> Iterator[Frame]:
        step = FPS / fps
        nxt = 0.0
        for i, vf in enumerate(_decode(src)):
            if i + 1e-9 < nxt:
                continue
            nxt += step
            if scale:
                # Crop first (in RGB), then let swscale resize like ffmpeg's scale filter.
                rgb = vf.to_ndarray(format="rgb24")[y0 : y0 + ch, x0 : x0 + cw]
                small = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
                yield small.reformat(
                    width=ow, height=oh, interpolation="BICUBIC"
                ).to_ndarray(format="rgb24")
            else:
                yield vf.to_ndarray(format="rgb24")[y0 : y0 + oh, x0 : x0 + ow]

    encode_pyav(dst, frames(), ow, oh, fps, crf, {})


# ------------------------------------------------------------------ metrics


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
            img = cv2.cvtColor(
                cv2.imread(str(ROOT / "assets" / "samples" / "astronaut.png")), cv2.COLOR_BGR2RGB
            )
        elif k % 2 == 0:
            src = s4[(k * 7) % len(s4)]
            name, img = f"s4hq_{src.stem}", _first_frame(src, 10)
        else:
            src = s1[(k * 97) % len(s1)]
            name, img = f"s1_{src.stem}", _first_frame(src, 10)
        h, w = img.shape[:2]
        z = rng.uniform(0.72, 1.0)
        ch, cw = int(h * z), int(w * z)
        y0 = int(rng.uniform(0, h - ch) * 0.5)
        x0 = int((w - cw) / 2 + rng.uniform(-0.5, 0.5) * (w - cw) / 2)
        img = img[y0 : y0 + ch, x0 : x0 + cw]
        if rng.random() < 0.5:
            img = img[:, ::-1]
        gain = rng.uniform(0.85, 1.15, 3)
        img = np.clip(img.astype(np.float32) * gain + rng.uniform(-12, 12), 0, 255)
        long_edge = int(rng.choice([512, 576, 640, 720, 768, 896, 1024]))
        s = long_edge / max(img.shape[:2])
        size = (int(round(img.shape[1] * s)), int(round(img.shape[0] * s)))
        img = cv2.resize(img.astype(np.uint8), size, interpolation=cv2.INTER_CUBIC)
        path = workdir / f"portrait_{k:02d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        yield f"{name}_{k}", path, long_edge
        k += 1


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
            settings = engine.Settings(size=long_edge, seed=made, crf=18)
            anim = engine.Animation(portrait, analysis, settings)
            out = workdir / f"export_{made:02d}.mp4"
            res = engine.export(anim, out)
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


def run_talkie(n: int, workdir: Path) -> list[dict[str, object]]:
    """Make ``n`` real exports, attack each, verify; one record per export."""
    rows: list[dict[str, object]] = []
    for name, out, export_id, p in make_talkie_exports(n, workdir):
        with av.open(str(out)) as c:
            size = f"{c.streams.video[0].width}x{c.streams.video[0].height}"
        row: dict[str, object] = {"source": name, "size": size, "psnr": round(p, 2),
                                  "export_id": export_id[:8]}
        for a in ATTACKS:
            path = out if a == "none" else workdir / f"{out.stem}_{a}.mp4"
            if a != "none":
                attack(out, path, a)
            r = verify(path)
            row[a] = {"marked": r.marked, "score": round(r.score, 2),
                      "id_ok": r.payload_id == export_id[:8]}
            if a != "none":
                path.unlink()
        out.unlink()
        log.info("%s", json.dumps(row))
        rows.append(row)
    return rows


def run_exports(n: int, workdir: Path, seconds: float) -> list[dict[str, object]]:
    """Make ``n`` marked exports, attack each, verify; one record per export."""
    rows: list[dict[str, object]] = []
    sources = portrait_sources(n)
    rng = np.random.default_rng(1234)
    embed_ms: list[float] = []
    for k, (name, still) in enumerate(sources):
        long_edge = int(rng.choice([512, 640, 720, 768, 896, 1024]))
        export_id = uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | k).hex
        wm = Watermarker.for_export(export_id, FPS)
        first = next(talkie_like_frames(still, long_edge, seconds, k))
        h, w = first.shape[:2]
        full = wm.embed(first, 5)  # frame 5 (0.2 s) is at full strength
        p = psnr(first, full)
        vis, vis_frac = flat_visibility(first, full)

        def marked(still: Frame = still, le: int = long_edge, k: int = k,
                   wm: Watermarker = wm) -> Iterator[Frame]:
            for i, f in enumerate(talkie_like_frames(still, le, seconds, k)):
                t = time.perf_counter()
                out = wm.embed(f, i)
                embed_ms.append((time.perf_counter() - t) * 1000)
                yield out

        tags = provenance_tags("eval", None, None, "eval", export_id)
        out = workdir / f"export_{k:02d}.mp4"
        write_mp4(out, marked(), w, h, FPS, 18, tags)
        row: dict[str, object] = {
            "source": name, "size": f"{w}x{h}", "psnr": round(p, 2),
            "flat_max": round(vis, 2), "flat_changed": round(vis_frac, 4),
            "export_id": export_id[:8],
        }
        for a in ATTACKS:
            path = out if a == "none" else workdir / f"export_{k:02d}_{a}.mp4"
            if a != "none":
                attack(out, path, a)
            r = verify(path)
            row[a] = {"marked": r.marked, "score": round(r.score, 2),
                      "id_ok": r.payload_id == export_id[:8]}
            if a != "none":
                path.unlink()
        out.unlink()
        log.info("%s", json.dumps(row))
        rows.append(row)
    if embed_ms:
        log.info("embed mean %.2f ms/frame", float(np.mean(embed_ms)))
    return rows


def run_grid(limit: int | None, frames: int) -> list[tuple[str, float]]:
    """Detector score of every real GRID clip (unmarked): the null distribution."""
    clips = sorted((GRID / "s1" / "video").glob("*.mp4")) + sorted(
        (GRID / "s4hq" / "video").glob("*.mp4")
    )
    if limit:
        clips = clips[:: max(1, len(clips) // limit)][:limit]
    out: list[tuple[str, float]] = []
    from engine.provenance.detect import detect

    for i, c in enumerate(clips):
        d = detect(c, max_frames=frames)  # the first 2.4 s (60 frames at 25 fps)
        out.append((f"{c.parent.parent.name}/{c.name}", d.score))
        if i % 200 == 0:
            log.info("grid %d/%d", i, len(clips))
    return out


def write_report(rows: list[dict[str, object]], null: list[tuple[str, float]], doc: Path,
                 elapsed: float, description: str, marker: str = "eval") -> str:
    n = len(rows)
    lines = [
        "| attack | detected | rate | export id read | min score | median score |",
        "|---|---|---|---|---|---|",
    ]
    for a in ATTACKS:
        rs = [r[a] for r in rows if isinstance(r.get(a), dict)]
        det = sum(1 for r in rs if r["marked"])  # type: ignore[index]
        ids = sum(1 for r in rs if r["id_ok"])  # type: ignore[index]
        sc = [float(r["score"]) for r in rs]  # type: ignore[index]
        lines.append(
            f"| {a} | {det}/{n} | {100 * det / max(n, 1):.1f}% | {ids}/{n} | "
            f"{min(sc):.1f} | {float(np.median(sc)):.1f} |"
        )
    ps = [float(r["psnr"]) for r in rows]  # type: ignore[arg-type]
    vis = [float(r.get("flat_max", 0.0)) for r in rows]  # type: ignore[arg-type]
    frac = [float(r.get("flat_changed", 0.0)) for r in rows]  # type: ignore[arg-type]
    scores = np.array([s for _, s in null]) if null else np.zeros(1)
    fp = int((scores >= THRESHOLD).sum()) if null else 0
    worst = max(null, key=lambda x: x[1]) if null else ("-", 0.0)
    lines += [
        "",
        f"- Files: {n}. {description}",
        f"- PSNR of marked vs unmarked frame: min {min(ps):.1f} dB, mean {np.mean(ps):.1f} dB.",
    ]
    if any("flat_max" in r for r in rows):
        lines.append(
            f"- Flat areas (local sd < 1 grey level): largest change {max(vis):.0f} grey "
            f"level(s); share of flat pixels changed at all: mean {100 * np.mean(frac):.1f}%, "
            f"max {100 * max(frac):.1f}%."
        )
    lines += [
        f"- False positives over {len(null)} real GRID clips (unmarked): **{fp}**. "
        f"Null scores: mean {scores.mean():.2f}, sd {scores.std():.2f}, "
        f"max {scores.max():.2f} ({worst[0]}); threshold {THRESHOLD:.1f} "
        f"(margin {THRESHOLD - scores.max():.2f}, i.e. "
        f"{(THRESHOLD - scores.mean()) / max(scores.std(), 1e-9):.1f} sd above the null mean).",
        f"- Evaluation time: {elapsed / 60:.1f} min on a shared 2-core CPU.",
    ]
    table = "\n".join(lines)
    text = doc.read_text() if doc.exists() else ""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{table}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text += "\n" + block + "\n"
    doc.write_text(text)
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exports", type=int, default=50)
    ap.add_argument("--source", choices=("talkie", "stills"), default="talkie")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--grid-limit", type=int, default=0, help="0 = all 1050 clips")
    ap.add_argument("--grid-frames", type=int, default=60)
    ap.add_argument("--skip-grid", action="store_true")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "provenance.md")
    ap.add_argument("--json", type=Path, default=ROOT / "out" / "eval_watermark.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        if args.source == "talkie":
            rows = run_talkie(args.exports, Path(tmp))
            desc = ("Real Talkie exports (engine.export, watermark on, CRF 18, 25 fps, 3 s), "
                    "each from a different portrait variant (astronaut sample, GRID s1/s4hq "
                    "frames; random crop, mirror, colour grade; long edge 512-1024 px) and a "
                    "different GRID voice clip.")
        else:
            rows = run_exports(args.exports, Path(tmp), args.seconds)
            desc = (f"Stress test: {args.seconds:g} s clips of scikit-image photos and GRID "
                    "frames (many not portraits) with a whole-frame head sway, marked and "
                    "written with Mp4Writer (CRF 18, veryfast), long edge 512-1024 px.")
    null = [] if args.skip_grid else run_grid(args.grid_limit or None, args.grid_frames)
    table = write_report(rows, null, args.doc, time.time() - t0, desc, args.source)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"exports": rows, "grid": null}, indent=1))
    log.info("\n%s", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


