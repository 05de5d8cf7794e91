"""Mouth cues for 2-D animation: timed phones -> drawn mouth shapes -> cue files.

The same phone analysis that drives the portrait (:mod:`engine.audio.phones`,
or :mod:`engine.audio.align_text` when the dialogue is known) is turned into
the mouth drawings animators swap on a timeline, in the files their tools read:

* **Rhubarb Lip Sync**'s shapes A-F, plus the optional G, H and X, in its
  ``.tsv``, ``.json`` and ``.xml`` layouts (times in seconds, two decimals);
* **Moho / OpenToonz** switch data (``.dat``, first line ``MohoSwitch1``, then
  ``FRAME NAME`` with 1-based frames at a chosen frame rate) with the
  **Preston Blair** drawings AI, E, O, U, WQ, L, FV, MBP, etc and rest, the
  set Papagayo-NG exports.

Rhubarb's shapes (from its documentation): A closed lips (P, B, M); B slightly
open, teeth together (most consonants, EE); C open (EH, AE); D wide open (AA);
E slightly rounded (AO, ER); F puckered (UW, OW, W); G upper teeth on the lower
lip (F, V); H tongue raised for a long L; X rest. Without G, H or X a file
uses B, C and A in their place, as Rhubarb does.

Timing: pauses of at least :data:`MIN_PAUSE_S` are rest; shorter silences
inside speech (a stop's closure, a breath between words) keep the shape
before them, so the mouth does not snap shut between syllables. Boundaries
are snapped to the file's grid (0.01 s for Rhubarb's files, one frame for
``.dat``); a shape shorter than one step is dropped, except a lip closure,
which keeps one step because a missed M/B/P is what viewers notice.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from engine.cancel import CancelToken, ProgressFn
from engine.errors import OutputError, TalkieError

#: Rhubarb Lip Sync's basic shapes and its optional extended ones.
BASIC_SHAPES = "ABCDEF"
EXTENDED_SHAPES = "GHX"
#: What a file uses for an extended shape the artist did not draw.
FALLBACK = {"G": "B", "H": "C", "X": "A"}
#: Preston Blair's mouth drawings, as Papagayo-NG and Moho name them.
PRESTON_BLAIR = ("AI", "E", "O", "U", "WQ", "L", "FV", "MBP", "etc", "rest")
#: A silence at least this long is a pause (rest); shorter ones hold the shape.
MIN_PAUSE_S = 0.2
#: Rhubarb's files are timed in centiseconds.
RHUBARB_STEP = 0.01
#: Frame rates accepted for ``.dat`` files.
DAT_FPS_RANGE = (1.0, 120.0)
FORMATS = {".tsv": "tsv", ".json": "json", ".xml": "xml", ".dat": "dat"}
#: (format, label) for file dialogs.
CUE_FORMATS = (("tsv", "Rhubarb Lip Sync TSV"), ("json", "Rhubarb Lip Sync JSON"),
               ("xml", "Rhubarb Lip Sync XML"), ("dat", "Moho / OpenToonz switch data"))

_RHUBARB_PHONES = {
    "A": "m b p",
    "B": "k g ng s z t d n th dh y iy hh sh zh ch jh",
    "C": "eh ae ah ey ih",
    "D": "aa ay aw",
    "E": "ao er r oy",
    "F": "uw uh ow w",
    "G": "f v",
    "H": "l",
}
_PRESTON_PHONES = {
    "MBP": "m b p",
    "FV": "f v",
    "L": "l",
    "WQ": "w oy",
    "U": "uw uh",
    "O": "ao ow",
    "E": "eh ey iy er",
    "AI": "aa ae ah ay aw ih",
    "etc": "k g ng s z t d n th dh y hh sh zh ch jh r",
}
_RHUBARB_OF = {p: s for s, ps in _RHUBARB_PHONES.items() for p in ps.split()}
_PRESTON_OF = {p: s for s, ps in _PRESTON_PHONES.items() for p in ps.split()}
_CLOSURES = {"A", "MBP"}


class CueError(TalkieError):
    """Bad cue options (format, frame rate, shape set)."""


@dataclass(frozen=True)
class Cue:
    """One mouth drawing held from ``start`` to ``end`` seconds."""

    start: float
    end: float
    shape: str


def shape_of(label: str, preston_blair: bool = False) -> str:
    """The drawing for one phone label (lower-case ARPAbet or ``"sil"``)."""
    lab = label.lower().rstrip("012")
    if preston_blair:
        return _PRESTON_OF.get(lab, "rest" if lab == "sil" else "etc")
    return _RHUBARB_OF.get(lab, "X" if lab == "sil" else "B")


def check_extended(extended: str) -> str:
    """Validate Rhubarb's ``--extendedShapes``-style letters; returns them upper case."""
    ext = extended.upper()
    bad = sorted(set(ext) - set(EXTENDED_SHAPES))
    if bad:
        raise CueError(f"Extended shapes are any of G, H and X, not {', '.join(bad)}.")
    return ext


def mouth_cues(
    phones: Sequence[Any],
    duration: float,
    step: float = RHUBARB_STEP,
    preston_blair: bool = False,
    extended: str = EXTENDED_SHAPES,
) -> list[Cue]:
    """Cues covering ``[0, duration]`` seconds, boundaries on a ``step`` grid.

    Args:
        phones: objects with ``label``, ``start``, ``end`` (seconds), in time
            order (:class:`engine.audio.phones.Phone`).
        duration: length of the audio, seconds.
        step: time grid, seconds (0.01, or ``1 / fps`` for frame-based files).
        preston_blair: Preston Blair drawings instead of Rhubarb's letters.
        extended: which of Rhubarb's G, H, X the artist drew (ignored for
            Preston Blair).
    """
    ext = check_extended(extended)
    rest = "rest" if preston_blair else "X"
    raw: list[list[Any]] = []  # [start, end, shape]
    for p in phones:
        start, end = max(0.0, float(p.start)), min(duration, float(p.end))
        if end <= start:
            continue
        shape = shape_of(p.label, preston_blair)
        if shape == rest and raw and raw[-1][2] != rest and end - start < MIN_PAUSE_S \
                and end < duration - 1e-6:
            shape = raw[-1][2]  # a short silence inside speech holds the mouth
        if not preston_blair and shape in FALLBACK and shape not in ext:
            shape = FALLBACK[shape]
        raw.append([start, end, shape])
    if not raw:
        raw = [[0.0, duration, rest if preston_blair or "X" in ext else "A"]]
    raw[0][0], raw[-1][1] = 0.0, duration
    return _snap(_merge(raw), duration, step)


def _merge(cues: list[list[Any]]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for c in cues:
        if out and out[-1][2] == c[2]:
            out[-1][1] = c[1]
        elif out:
            c = [out[-1][1], c[1], c[2]]  # contiguous: gaps belong to the shape before
            out.append(c)
        else:
            out.append(list(c))
    return out


def _snap(cues: list[list[Any]], duration: float, step: float) -> list[Cue]:
    """Snap boundaries to multiples of ``step``; closures keep at least one step."""
    last = max(1, int(round(duration / step)))
    bounds = [0] + [min(last, int(round(c[1] / step))) for c in cues]
    bounds[-1] = last
    shapes = [c[2] for c in cues]
    for i, shape in enumerate(shapes):
        if bounds[i + 1] <= bounds[i] and shape in _CLOSURES and bounds[i] < last:
            bounds[i + 1] = bounds[i] + 1  # borrowed from the next shape
            for j in range(i + 2, len(bounds)):
                bounds[j] = max(bounds[j], bounds[j - 1])
    kept: list[list[Any]] = []
    for i, shape in enumerate(shapes):
        a, b = bounds[i], bounds[i + 1]
        if b <= a:
            continue
        if kept and kept[-1][2] == shape:
            kept[-1][1] = b
        else:
            kept.append([a, b, shape])
    return [Cue(round(a * step, 6), min(duration, round(b * step, 6)), s) for a, b, s in kept]


# --------------------------------------------------------------------------- files


def _t(seconds: float) -> str:
    return f"{seconds:.2f}"


def to_tsv(cues: Sequence[Cue], duration: float, rest: str = "X") -> str:
    """Rhubarb's TSV: ``start<TAB>shape`` per cue, then the end time with the rest shape."""
    lines = [f"{_t(c.start)}\t{c.shape}" for c in cues]
    lines.append(f"{_t(duration)}\t{rest}")
    return "\n".join(lines) + "\n"


def to_json(cues: Sequence[Cue], duration: float, sound_file: str) -> str:
    """Rhubarb's JSON: ``metadata`` (soundFile, duration) and ``mouthCues`` (start, end, value)."""
    rows = ",\n".join(
        f'    {{ "start": {_t(c.start)}, "end": {_t(c.end)}, "value": {json.dumps(c.shape)} }}'
        for c in cues
    )
    return (
        "{\n"
        '  "metadata": {\n'
        f'    "soundFile": {json.dumps(sound_file, ensure_ascii=False)},\n'
        f'    "duration": {_t(duration)}\n'
        "  },\n"
        '  "mouthCues": [\n'
        f"{rows}\n"
        "  ]\n"
        "}\n"
    )


def to_xml(cues: Sequence[Cue], duration: float, sound_file: str) -> str:
    """Rhubarb's XML: ``rhubarbResult`` with ``metadata`` and ``mouthCues/mouthCue``."""
    rows = "\n".join(
        f'    <mouthCue start="{_t(c.start)}" end="{_t(c.end)}">{c.shape}</mouthCue>'
        for c in cues
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<rhubarbResult>\n"
        "  <metadata>\n"
        f"    <soundFile>{escape(sound_file)}</soundFile>\n"
        f"    <duration>{_t(duration)}</duration>\n"
        "  </metadata>\n"
        "  <mouthCues>\n"
        f"{rows}\n"
        "  </mouthCues>\n"
        "</rhubarbResult>\n"
    )


def to_dat(cues: Sequence[Cue], duration: float, fps: float) -> str:
    """Moho switch data: ``MohoSwitch1``, then ``FRAME NAME`` (frame 1 = time 0).

    ``cues`` must lie on the ``1 / fps`` grid (:func:`mouth_cues` with
    ``step=1/fps``). The last line puts the mouth at rest at the end frame.
    """
    lines = ["MohoSwitch1"]
    last_frame = 0
    for c in cues:
        frame = 1 + int(round(c.start * fps))
        if frame == last_frame:
            continue
        lines.append(f"{frame} {c.shape}")
        last_frame = frame
    lines.append(f"{max(1 + int(round(duration * fps)), last_frame + 1)} rest")
    return "\n".join(lines) + "\n"


def cue_format(path: Path, fmt: str | None = None) -> str:
    """``"tsv" | "json" | "xml" | "dat"``: ``fmt`` if given, else from the file's suffix."""
    if fmt:
        if fmt not in FORMATS.values():
            raise CueError(f"Unknown cue format {fmt!r}: use tsv, json, xml or dat.")
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise CueError(f"{path.name}: the cue file must end in .tsv, .json, .xml or .dat "
                       "(or give --format).")
    return found


def check_cue_outputs(
    paths: Sequence[str | Path],
    fmt: str | None = None,
    fps: float = 24.0,
    extended: str = EXTENDED_SHAPES,
    inputs: Sequence[str | Path] = (),
) -> list[tuple[Path, str]]:
    """Check every cue option and output before any analysis; ``(path, format)`` pairs.

    Raises:
        CueError: an unknown format, a ``.dat`` frame rate out of range, bad
            extended shapes.
        OutputError: an output is one of ``inputs`` or cannot be written.
    """
    from engine.media.mp4 import check_writable

    check_extended(extended)
    outs = [(Path(p), cue_format(Path(p), fmt)) for p in paths]
    if any(f == "dat" for _, f in outs) and not (
            math.isfinite(fps) and DAT_FPS_RANGE[0] <= fps <= DAT_FPS_RANGE[1]):
        raise CueError(f"The .dat frame rate must be between {DAT_FPS_RANGE[0]:g} and "
                       f"{DAT_FPS_RANGE[1]:g} fps.")
    taken = {Path(i).expanduser().resolve() for i in inputs}
    for out, _ in outs:
        if out.expanduser().resolve() in taken:
            raise OutputError(f"{out.name} is an input; choose another name for the cues.")
        check_writable(out)
    return outs


def render_cues(
    fmt: str,
    phones: Sequence[Any],
    duration: float,
    sound_file: str | Path,
    fps: float = 24.0,
    extended: str = EXTENDED_SHAPES,
) -> str:
    """The text of one cue file (see the module docstring for the layouts)."""
    if fmt == "dat":
        if not DAT_FPS_RANGE[0] <= fps <= DAT_FPS_RANGE[1] or not math.isfinite(fps):
            raise CueError(f"The .dat frame rate must be between {DAT_FPS_RANGE[0]:g} and "
                           f"{DAT_FPS_RANGE[1]:g} fps.")
        cues = mouth_cues(phones, duration, 1.0 / fps, preston_blair=True)
        return to_dat(cues, duration, fps)
    ext = check_extended(extended)
    cues = mouth_cues(phones, duration, RHUBARB_STEP, extended=ext)
    sound = str(Path(sound_file).resolve())
    if fmt == "tsv":
        return to_tsv(cues, duration, "X" if "X" in ext else "A")
    if fmt == "json":
        return to_json(cues, duration, sound)
    return to_xml(cues, duration, sound)


def cue_phones(
    samples: Any,
    text: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> tuple[list[Any], str | None]:
    """Phones for cues: aligned to ``text`` when given, else recognised.

    Returns ``(phones, warning)``; ``warning`` says why the text was not used
    (unknown words, text that does not fit), in which case the phones come
    from the phone loop as without text.
    """
    from engine.audio.phones import recognise_phones

    if text and text.strip():
        from engine.audio.align_text import TextAlignmentError, align_phones

        try:
            return align_phones(samples, text, cancel=cancel), None
        except TextAlignmentError as exc:
            warning = f"{exc.message} The dialogue text was not used."
    else:
        warning = None
    return recognise_phones(samples, progress=progress, cancel=cancel), warning


def write_cues(
    path: str | Path,
    phones: Sequence[Any],
    duration: float,
    sound_file: str | Path,
    fps: float = 24.0,
    extended: str = EXTENDED_SHAPES,
    fmt: str | None = None,
) -> Path:
    """Write one cue file, its format from ``fmt`` or the suffix; returns the path.

    Raises:
        CueError: unknown format, bad frame rate or shapes.
        OutputError: the file cannot be written.
    """
    out = Path(path)
    text = render_cues(cue_format(out, fmt), phones, duration, sound_file, fps, extended)
    return write_text_atomic(out, text)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8, LF) to ``path`` through a hidden temporary file and a rename."""
    from engine.media.mp4 import check_writable

    out = check_writable(path)
    tmp = out.with_name(f".{out.name}.part-{secrets.token_hex(4)}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Writing {out.name} failed ({exc.strerror or exc}).") from exc
    return out
