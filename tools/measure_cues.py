"""Dialogue alignment against GRID's word alignment, and recognised against aligned cues.

For every 50th GRID s1 clip (20 clips): the clip's transcript (from its
``.align`` file) is aligned with :func:`engine.audio.align_text.align_phones`;
the distance of the first and last aligned speech phone from GRID's first and
last word edges is measured, and the Rhubarb shapes from free recognition are
compared with those from the aligned text, centisecond by centisecond, over
the aligned speech. Prints the medians and extremes (README, "Mouth cues").

    python tools/measure_cues.py [../shared/data/grid/s1]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.audio.align_text import align_phones  # noqa: E402
from engine.audio.phones import recognise_phones  # noqa: E402
from engine.cues import mouth_cues  # noqa: E402


def shapes_per_cs(phones: list, duration: float) -> np.ndarray:
    out = np.empty(int(round(duration * 100)), object)
    for c in mouth_cues(phones, duration):
        out[int(round(c.start * 100)):int(round(c.end * 100))] = c.shape
    return out


def main(folder: Path) -> None:
    files = sorted((folder / "align").glob("*.align"))[::50][:20]
    edges, agree = [], []
    for f in files:
        rows = [ln.split() for ln in f.read_text().splitlines() if ln.strip()]
        words = [(int(a) / 25000, int(b) / 25000, w) for a, b, w in rows if w != "sil"]
        audio = engine.load_audio(folder / "audio" / f"{f.stem}.flac")
        aligned = align_phones(audio.samples, " ".join(w for _, _, w in words))
        speech = [p for p in aligned if p.label != "sil"]
        edges.append(max(abs(speech[0].start - words[0][0]), abs(speech[-1].end - words[-1][1])))
        a = shapes_per_cs(aligned, audio.duration)
        r = shapes_per_cs(recognise_phones(audio.samples), audio.duration)
        agree.append(float(np.mean(a[a != "X"] == r[a != "X"])))
    print(f"{len(files)} clips; aligned speech edges vs GRID: median "
          f"{np.median(edges) * 1000:.0f} ms, worst {max(edges) * 1000:.0f} ms; recognised "
          f"cues agree with aligned ones over {np.median(agree):.0%} of speech "
          f"(worst {min(agree):.0%})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data/grid/s1")
