"""Fit the *Breath* default on the training speaker, by the pause gate's rule.

GRID s1 parts his lips before he speaks (``tools/measure_breath.py``); the app
can replay that breath before every phrase, scaled by *Breath*
(:mod:`engine.motion.breath`). How much of it by default is chosen here the way
the pause gate's constants are (:func:`engine.model.pause_gate.fit_gate`): on
s1's clips only, of the amounts that leave the generated mouth closed (under
:data:`~engine.model.pause_gate.CLOSED_IOD`) in at least
:data:`~engine.model.pause_gate.MIN_CLOSED` of the silent frames, the one whose
opening follows his real one best (mean Pearson r), each clip animated as the app
animates it (:func:`engine.motion.speech.speech_motion`, the shipped model) from
two portraits, its first frame and its widest-mouthed one, as ``evaluate-model``
does. Silent frames are the gate's: marked ``sil`` by GRID's alignment *and*
30 dB under the clip's speech level (:data:`engine.model.train.export.DEEP_SILENCE_DB`).

The validation speakers never enter it. Clips: a run's ``split.json``, every 5th
training clip (the gate's) or, with ``--held-out``, s1's 50 held-out clips.

Run: ``python tools/fit_breath.py [--run runs/main] [--held-out]`` (about a minute
and a half on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("fit_breath")

S1 = ROOT.parent / "shared" / "data" / "grid" / "s1"
#: The amounts tried: 1 is s1's own mean breath.
AMOUNTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def s1_clips(paths: Sequence[Path | str], memo: Path) -> list:
    """``EvalClip`` of each prepared s1 clip (``.npz``), with its audio from ``../shared``."""
    from engine.model import dataset as ds
    from engine.model.validation_set import EvalClip, audio_for

    out = []
    for p in map(Path, paths):
        out.append(EvalClip(p.stem, "s1", ds.load_clip(p), audio_for(S1, p.stem), memo,
                            S1 / "video" / f"{p.stem}.mp4"))
    return out


def score(clips: Sequence, amount: float) -> tuple[float, float]:
    """``(mean r, closed)`` over the clips and both portraits at one *Breath* amount:
    the generated opening's Pearson r with the real one, and the share of the silent
    frames (module docstring) where it is under the closure threshold."""
    from engine.model.evaluation import (
        PORTRAITS,
        opening_of,
        pearson,
        portrait_face,
        portrait_frame,
    )
    from engine.model.pause_gate import CLOSED_IOD
    from engine.model.train.export import DEEP_SILENCE_DB
    from engine.motion.speech import speech_motion

    rs, closed, silent = [], 0, 0
    for ec in clips:
        c = ec.clip
        deep = c.silence & c.valid & (c.loudness < np.percentile(c.loudness, 95) - DEEP_SILENCE_DB)
        for choice in PORTRAITS:
            face, _ = portrait_face(ec, portrait_frame(c, choice))
            m = speech_motion(ec.voice, c.fps, c.frames, face, blinks=c.blinks, breath=amount)
            op = opening_of(face[None] + np.tensordot(m.coeffs, m.basis, axes=1))
            rs.append(pearson(op[c.valid], c.opening[c.valid]))
            closed += int((op[deep] < CLOSED_IOD).sum())
            silent += int(deep.sum())
    return float(np.nanmean(rs)), closed / max(silent, 1)


def fit(scores: dict[float, tuple[float, float]]) -> float:
    """The amount with the best r among those that close enough (the pause gate's rule;
    ties keep the smaller amount); when none does, the one that closes most."""
    from engine.model.pause_gate import MIN_CLOSED

    def key(a: float) -> tuple:
        r, closed = scores[a]
        return (1, round(r, 3), -a) if closed >= MIN_CLOSED else (0, closed, -a)
    return max(scores, key=key)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / "runs" / "main",
                    help="the run whose split.json names s1's clips")
    ap.add_argument("--held-out", action="store_true", help="s1's held-out clips instead")
    ap.add_argument("--cache", type=Path, default=ROOT / "cache" / "model" / "grid")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("engine").setLevel(logging.WARNING)  # one line per clip loaded
    split = json.loads((args.run / "split.json").read_text())
    names = split["val_s1"] if args.held_out else split["train"][::5]
    paths = [args.cache / "s1" / Path(p).name for p in names]
    clips = s1_clips(paths, args.cache / "_memo")
    scores = {a: score(clips, a) for a in AMOUNTS}
    for a, (r, closed) in scores.items():
        log.info("breath %.1f: mean r %.3f, closed in silence %.1f %%", a, r, 100 * closed)
    log.info("fitted on %d clips of s1: breath %.1f", len(clips), fit(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
