"""Verify every export under every attack, and measure the detector's null
distribution (false positives) over the unmarked GRID clips."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from engine.provenance import Watermarker, provenance_tags, verify

from .attacks import attack
from .common import ATTACKS, FPS, GRID, Frame, log
from .exports import (
    flat_visibility,
    make_talkie_exports,
    portrait_sources,
    psnr,
    talkie_like_frames,
)
from .media import write_mp4


def score_attacks(out: Path, export_id: str, row: dict[str, object]) -> dict[str, object]:
    """Attack ``out`` every way, verify each result into ``row``; return ``row``.

    Deletes ``out`` and each attacked copy once verified, so the temporary
    directory never holds more than one export's files.
    """
    for a in ATTACKS:
        path = out if a == "none" else out.with_name(f"{out.stem}_{a}.mp4")
        if a != "none":
            attack(out, path, a)
        r = verify(path)
        row[a] = {"marked": r.marked, "score": round(r.score, 2),
                  "id_ok": r.payload_id == export_id[:8]}
        if a != "none":
            path.unlink()
    out.unlink()
    log.info("%s", json.dumps(row))
    return row


def run_talkie(n: int, workdir: Path) -> list[dict[str, object]]:
    """Make ``n`` real exports, attack each, verify; one record per export."""
    rows: list[dict[str, object]] = []
    for name, out, export_id, p in make_talkie_exports(n, workdir):
        with av.open(str(out)) as c:
            size = f"{c.streams.video[0].width}x{c.streams.video[0].height}"
        row: dict[str, object] = {"source": name, "size": size, "psnr": round(p, 2),
                                  "export_id": export_id[:8]}
        rows.append(score_attacks(out, export_id, row))
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
        rows.append(score_attacks(out, export_id, row))
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
