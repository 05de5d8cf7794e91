"""Batch manifests: CSV with a header row, or JSON lines; one :class:`BatchJob` per row."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from engine.errors import InputError

REQUIRED = ("portrait", "audio", "output")
_BOOL = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False}


def _choice(*values: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in values:
            raise ValueError(f"one of {', '.join(values)}")
        return text
    return parse


def _number(kind: type) -> Callable[[str], Any]:
    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> Any:
        try:
            x = float(text)
        except ValueError:
            raise ValueError(what) from None
        if not math.isfinite(x) or (kind is int and not x.is_integer()):
            raise ValueError(what)
        return kind(x)
    return parse


def _bool(text: str) -> bool:
    try:
        return _BOOL[text.lower()]
    except KeyError:
        raise ValueError("yes or no") from None


def _parser_for(hint: Any) -> Callable[[str], Any]:
    """A cell parser for a settings field's type (int, float, bool, str, Literal, X | None)."""
    if get_origin(hint) is Literal:
        return _choice(*(str(a) for a in get_args(hint)))
    if get_origin(hint) in (Union, UnionType):
        return _parser_for(next(a for a in get_args(hint) if a is not type(None)))
    if hint is bool:
        return _bool
    if hint in (int, float):
        return _number(hint)
    return str


def _setting_options() -> dict[str, tuple[str, Callable[[str], Any]]]:
    """Column -> (Settings field, parser), from :class:`engine.settings.Settings` itself,
    so that the manifest takes exactly the options ``render`` does."""
    from engine.settings import Settings

    hints = get_type_hints(Settings)
    out = {f.name: (f.name, _parser_for(hints[f.name])) for f in fields(Settings)
           if f.init}
    if "motion_source" in out:
        out["motion"] = out.pop("motion_source")  # render's --motion
    return out


#: Option column -> (:class:`engine.settings.Settings` field, parser of the cell's text).
#: Names as ``main.py render``'s options, ``-`` or ``_`` alike.
SETTING_OPTIONS = _setting_options()
#: Every option column -> parser: the settings, plus the face and the watermark.
OPTIONS: dict[str, Callable[[str], Any]] = {
    **{k: parse for k, (_, parse) in SETTING_OPTIONS.items()}, "face": str, "watermark": _bool}


class ManifestError(InputError):
    """The manifest cannot be used at all (missing columns, unknown option, bad file)."""


@dataclass(frozen=True)
class BatchJob:
    """One row of a manifest.

    Attributes:
        row: the row's line number in the manifest (the header is line 1 of a CSV).
        portrait, audio, output: absolute paths.
        options: render options parsed from the other columns (see :data:`OPTIONS`).
        error: why the row cannot run (a bad cell), or ``None``.
    """

    row: int
    portrait: Path
    audio: Path
    output: Path
    options: dict[str, Any] = field(default_factory=dict)
    error: str | None = None



# --------------------------------------------------------------------------- manifest


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ManifestError(f"The manifest {path.name} was not found.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"The manifest {path.name} could not be read ({exc}).") from exc
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first.lstrip().startswith("{"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{path.name} line {n} is not JSON ({exc.msg}).") from exc
            if not isinstance(obj, dict):
                raise ManifestError(f"{path.name} line {n} is not a JSON object.")
            yield n, obj
        return
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None:
        raise ManifestError(f"The manifest {path.name} is empty.")
    for n, row in enumerate(reader, start=2):
        if None in row:
            raise ManifestError(f"{path.name} line {n} has more cells than the header.")
        if any((v or "").strip() for v in row.values()):
            yield n, row


def read_manifest(path: str | Path) -> list[BatchJob]:
    """Parse a CSV or JSON-lines manifest (see the module docstring).

    Rows with a bad cell come back with ``error`` set, so that they fail alone.

    Raises:
        ManifestError: unreadable file, no rows, a missing required column,
            an unknown column, or two rows writing the same output.
    """
    p = Path(path)
    base = p.resolve().parent
    jobs: list[BatchJob] = []
    for n, raw in _rows(p):
        row = {_norm(str(k)): v for k, v in raw.items()}
        missing = [c for c in REQUIRED if c not in row]
        if missing:
            raise ManifestError(f"{p.name} line {n} has no {', '.join(missing)} "
                                "(the columns portrait, audio and output are required).")
        unknown = sorted(set(row) - set(REQUIRED) - set(OPTIONS))
        if unknown:
            raise ManifestError(f"{p.name}: unknown column {', '.join(unknown)}; render options "
                                f"are {', '.join(sorted(OPTIONS))}.")
        paths = {c: str(row[c] or "").strip() for c in REQUIRED}
        error = next((f"the {c} cell is empty" for c in REQUIRED if not paths[c]), None)
        options: dict[str, Any] = {}
        for name, parse in OPTIONS.items():
            value = row.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                options[name] = value if isinstance(value, bool) else parse(str(value).strip())
            except ValueError as exc:
                error = error or f"{name} must be {exc}, not {value!r}"
        face = str(options.get("face", ""))
        if face and not face.strip().lstrip("-").isdigit():  # a points file, like the paths
            options["face"] = str(base / os.path.expanduser(face.strip()))
        portrait, audio, output = (base / os.path.expanduser(paths[c]) if paths[c] else base
                                   for c in REQUIRED)
        jobs.append(BatchJob(n, portrait, audio, output, options, error))
    if not jobs:
        raise ManifestError(f"The manifest {p.name} has no jobs.")
    seen: dict[str, int] = {}
    for job in jobs:
        key = os.path.normcase(str(job.output.resolve()))
        if key in seen and job.error is None:
            raise ManifestError(f"{p.name} lines {seen[key]} and {job.row} write the same "
                                f"output {job.output.name}.")
        seen[key] = job.row
    return jobs


def write_manifest(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write ``rows`` as a CSV manifest (header from the first row); for tools and tests."""
    rows = list(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
