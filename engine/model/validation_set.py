"""The validation clips: which unseen speakers, and each clip loaded with its sound and
phones for :mod:`engine.model.evaluation` (``EvalClip`` serves the tools that fit on s1's
own clips the same way).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.audio.voice import Voice
from engine.errors import InputError
from engine.model import dataset as ds

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
#: Validation sets: name -> (root under ../shared/data, speaker folders). No model or
#: constant is ever fitted on these speakers.
VALIDATION: dict[str, tuple[str, tuple[str, ...]]] = {
    "GRID s30/s33/s34": ("grid", ("s30", "s33", "s34")),
    "CREMA-D 1001": ("crema-d", ("1001",)),
    "GRID s4hq": ("grid", ("s4hq",)),
}


@dataclass
class EvalClip:
    """A validation clip with what every source needs."""

    name: str
    set: str
    clip: ds.Clip
    samples: np.ndarray          # (N,) float32, 16 kHz
    memo: Path
    video: Path

    @functools.cached_property
    def voice(self) -> Voice:
        """The clip's audio analysed as the app analyses a voice track."""
        return Voice.analyse(self.samples, self.phones())

    def phones(self) -> list:
        from engine.audio.phones import Phone, recognise_phones

        path = self.memo / "phones" / f"{self.clip.speaker}_{self.clip.name}.json"
        if path.is_file():
            return [Phone(p[0], p[1], p[2]) for p in json.loads(path.read_text())]
        phones = recognise_phones(self.samples)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([[p.label, p.start, p.end] for p in phones]))
        return phones

    def speech_span(self) -> tuple[int, int] | None:
        """``(first, end)`` frames from the first to the last recognised speech phone."""
        said = [p for p in self.phones() if p.label != "sil"]
        if not said:
            return None
        fps = self.clip.fps
        return int(said[0].start * fps), int(np.ceil(said[-1].end * fps))


def audio_for(speaker_dir: Path, stem: str) -> np.ndarray:
    """16 kHz samples of a clip: ``audio/<stem>.flac``, else the video's own sound."""
    from engine.media.audio import load_audio

    for cand in (speaker_dir / "audio" / f"{stem}.flac", speaker_dir / "video" / f"{stem}.mp4"):
        if cand.is_file():
            return load_audio(cand).samples
    raise FileNotFoundError(f"no audio for {stem} under {speaker_dir}")


def choose_sets(names: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The validation sets named by ``names``: each a set's name (``"GRID s4hq"``) or one of
    its speakers (``"s4hq"``, ``"s33"``, ``"1001"``), any case; a speaker named alone is
    evaluated alone.

    Raises:
        InputError: a name that is no validation set or speaker (the message lists them).
    """
    chosen: dict[str, tuple[str, tuple[str, ...]]] = {}
    for raw in names:
        key = raw.strip().lower()
        found = False
        for name, (root, speakers) in VALIDATION.items():
            if key == name.lower():
                chosen[name] = (root, speakers)
                found = True
            elif key in speakers:
                label = name if len(speakers) == 1 else f"{name.split()[0]} {key}"
                chosen[label] = (root, (key,))
                found = True
        if not found:
            known = ", ".join([*VALIDATION, *(sp for _, sps in VALIDATION.values() for sp in sps)])
            raise InputError(f"No validation set or speaker is called {raw!r}. "
                             f"Choose from: {known}.")
    return chosen


def validation_clips(data: Path, shared: Path = SHARED,
                     sets: dict[str, tuple[str, tuple[str, ...]]] | None = None
                     ) -> list[EvalClip]:
    """Every prepared clip of the validation sets (``data/<speaker>/<clip>.npz``)."""
    out = []
    for name, (root, speakers) in (sets or VALIDATION).items():
        for sp in speakers:
            for p in sorted((Path(data) / sp).glob("*.npz")):
                clip = ds.load_clip(p)
                folder = Path(shared) / root / sp
                out.append(EvalClip(p.stem, name, clip, audio_for(folder, p.stem),
                                    Path(data) / "_memo", folder / "video" / f"{p.stem}.mp4"))
    return out
