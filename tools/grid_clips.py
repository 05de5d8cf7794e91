"""GRID s1 clips for the measurements: landmarks per frame and phone timings, cached.

Used by ``tools/measure_grid.py``. Per clip, ``cache/grid_s1/<clip>.npz`` holds the
landmarks the engine's own face models find on every frame, and
``<clip>.phones.json`` the phones of a pocketsphinx forced alignment of the
clip's transcript (words from the ``.align`` file, pronunciations from the
cmudict in the pocketsphinx wheel). Both are written once and reused.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("measure_grid")

GRID_S1 = ROOT.parent / "shared" / "data" / "grid" / "s1"
CACHE = ROOT / "cache" / "grid_s1"
FPS = 25.0
ALIGN_UNITS = 25000.0  # .align times are in 1/25000 s
DETECT_EVERY = 10


def decode_audio(path: Path) -> np.ndarray:
    """``(N,) float32`` 16 kHz mono; uses engine.media when present."""
    try:
        from engine.media.audio import load_audio

        return np.asarray(load_audio(path).samples, dtype=np.float32)
    except ImportError:  # pragma: no cover - before engine.media existed
        import av

        out = []
        with av.open(str(path)) as c:
            res = av.AudioResampler(format="s16", layout="mono", rate=16000)
            for f in c.decode(c.streams.audio[0]):
                out += [g.to_ndarray().reshape(-1) for g in res.resample(f)]
            out += [g.to_ndarray().reshape(-1) for g in res.resample(None)]
        return np.concatenate(out).astype(np.float32) / 32768.0


def read_align(path: Path) -> list[tuple[float, float, str]]:
    """``[(start_s, end_s, word)]`` from a GRID .align file."""
    rows = []
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0]) / ALIGN_UNITS, int(parts[1]) / ALIGN_UNITS, parts[2]))
    return rows


def choose_clips(n: int) -> list[str]:
    names = sorted(p.stem for p in (GRID_S1 / "align").glob("*.align"))
    idx = np.unique(np.linspace(0, len(names) - 1, n).round().astype(int))
    return [names[i] for i in idx]


# ------------------------------------------------------- stage 1: per clip ---


def landmarks_for_clip(name: str) -> str:
    """Detect landmarks on every frame of one clip; cache to ``CACHE/name.npz``."""
    out = CACHE / f"{name}.npz"
    if out.exists():
        return name
    from engine.face import MIN_PRESENCE, default_analyzer
    from engine.face.landmarks import roi_from_detection
    from engine.media.video import iter_frames

    # The engine's detector on every DETECT_EVERY-th frame (and after a miss);
    # in between, the face-mesh model reuses the last detection's region, as
    # MediaPipe's own video tracking does. GRID speakers barely move.
    analyzer = default_analyzer()
    lms = []
    found = []
    roi = None
    for k, rgb in enumerate(iter_frames(GRID_S1 / "video" / f"{name}.mp4")):
        pts = None
        if roi is None or k % DETECT_EVERY == 0:
            dets = analyzer.detector.detect(rgb)
            roi = roi_from_detection(dets[0]) if dets else None
        if roi is not None:
            pts, presence = analyzer.landmarks.predict(rgb, roi)
            if presence < MIN_PRESENCE:
                pts, roi = None, None
        if pts is not None:
            lms.append(np.asarray(pts, np.float32))
            found.append(True)
        else:
            lms.append(np.full((468, 3), np.nan, np.float32))
            found.append(False)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, landmarks=np.stack(lms), found=np.array(found))
    os.replace(tmp, out)
    return name


def phones_for_clip(name: str) -> list[tuple[str, float, float]]:
    """Forced-aligned phones ``[(PHONE, start_s, end_s)]`` of one clip (cached)."""
    return phones_and_method(name)[0]


def phones_and_method(name: str) -> tuple[list[tuple[str, float, float]], bool]:
    """Phones of one clip and whether they come from forced alignment (cached)."""
    out = CACHE / f"{name}.phones.json"
    if out.exists():
        data = json.loads(out.read_text())
        if isinstance(data, dict):
            return [tuple(r) for r in data["rows"]], bool(data["forced"])  # type: ignore[misc]
    import pocketsphinx
    from pocketsphinx import Decoder

    words = [w for _, _, w in read_align(GRID_S1 / "align" / f"{name}.align")
             if w not in ("sil", "sp")]
    x = decode_audio(GRID_S1 / "audio" / f"{name}.flac")
    raw = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
    mp = pocketsphinx.get_model_path()
    rows: list[tuple[str, float, float]] = []
    # Two passes (words, then phones and states), as pocketsphinx 5 documents.
    # On about a fifth of the clips the second pass fails; see the fallback.
    for _attempt in range(1):
        try:
            d = Decoder(hmm=os.path.join(mp, "en-us", "en-us"),
                        dict=os.path.join(mp, "en-us", "cmudict-en-us.dict"),
                        loglevel="FATAL")
            d.set_align_text(" ".join(words))
            d.start_utt()
            d.process_raw(raw, full_utt=True)
            d.end_utt()
            d.set_alignment()
            d.start_utt()
            d.process_raw(raw, full_utt=True)
            d.end_utt()
            rows = [(p.name, p.start / 100.0, (p.start + p.duration) / 100.0)
                    for w in d.get_alignment() for p in w]
            break
        except RuntimeError:
            continue
    forced = bool(rows)
    if not rows:
        # Fallback: the .align word spans, each split evenly over its phones.
        log.info("%s: forced alignment failed; splitting the .align words", name)
        pron = cmudict()
        for a, b, w in read_align(GRID_S1 / "align" / f"{name}.align"):
            phs = ["SIL"] if w in ("sil", "sp") else pron.get(w, [])
            for k, ph in enumerate(phs):
                rows.append((ph, a + (b - a) * k / len(phs), a + (b - a) * (k + 1) / len(phs)))
    out.write_text(json.dumps({"forced": forced, "rows": rows}))
    return rows, forced


def cmudict() -> dict[str, list[str]]:
    import pocketsphinx

    path = os.path.join(pocketsphinx.get_model_path(), "en-us", "cmudict-en-us.dict")
    out: dict[str, list[str]] = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] not in out:
                out[parts[0]] = parts[1:]
    return out


def worker(name: str) -> str:
    phones_for_clip(name)
    return landmarks_for_clip(name)


# ------------------------------------------------------------- stage 2 -------
