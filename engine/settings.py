"""What an artist chooses: the direction of the motion, and the output of an export.

Two kinds of plain data, saved in projects and passed to the engine:

* :class:`Settings`, the *direction*: everything that shapes the motion. A
  change rebuilds the motion (``Animation.with_settings``).
* :class:`OutputOptions`, the *output*: what an export writes (size, quality,
  the stretch, the background behind a transparent portrait). A change never
  rebuilds the motion; :func:`engine.export.export` takes it beside the
  animation.

:data:`LIMITS` is the one table of the numeric limits, with the words the
user reads (label, unit, help). The engine, the command line and the studio
all check values with :func:`validate` and build their controls from the
table, so a value one of them accepts is never refused by another.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from engine.errors import SettingsError
from engine.motion.blinks import MAX_DURATION, MIN_DURATION, BlinkParams
from engine.motion.breath import DEFAULT as DEFAULT_BREATH

MotionSource = Literal["phonetic", "gan"]
MOTION_SOURCES: tuple[MotionSource, ...] = ("gan", "phonetic")
FPS_CHOICES = (24, 25, 30, 60)
#: Default cap of the output's long edge when the size is the portrait's own, pixels.
MAX_LONG_EDGE = 2048
#: RGB 0..255 of the default background behind a transparent portrait (white).
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Limit:
    """The allowed range of one numeric choice, in the words the user reads.

    Attributes:
        lo, hi: inclusive bounds (``hi`` may be ``math.inf``).
        label: the control's name in the studio ("Blink rate").
        unit: what the number counts, for messages ("blinks per minute"), or "".
        help: one sentence for tooltips and ``--help``.
        integer: whole numbers only.
    """

    lo: float
    hi: float
    label: str
    unit: str
    help: str
    integer: bool = False

    def range_text(self) -> str:
        """``"0..90"`` (``"0 or more"`` without an upper bound)."""
        if math.isinf(self.hi):
            return f"{_num(self.lo)} or more"
        return f"{_num(self.lo)}..{_num(self.hi)}"

    def requirement(self) -> str:
        """``"must be a number between 0 and 90 blinks per minute"`` (the rule, for messages)."""
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.integer else "a number"
        if math.isinf(self.hi):
            return f"must be a finite {kind[2:]}, {_num(self.lo)}{unit} or more"
        return f"must be {kind} between {_num(self.lo)} and {_num(self.hi)}{unit}"


def _num(x: float) -> str:
    """A limit as written: whole numbers in full (2147483647, not 2.14748e+09)."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


#: Every numeric choice: field name -> :class:`Limit`. Fields of
#: :class:`Settings` and :class:`OutputOptions`.
LIMITS: dict[str, Limit] = {
    "seed": Limit(0, 2**31 - 1, "Seed", "", "Seed of every random part (blinks, head motion, "
                  "variation): the same seed gives the same animation.", integer=True),
    "mouth_intensity": Limit(0.0, 3.0, "Mouth", "", "How far the mouth opens: 1 = as measured "
                             "on real speech, 0 = closed, 2 or 3 for an expressive or a loud "
                             "voice."),
    "blink_rate": Limit(0.0, 90.0, "Blink rate", "blinks per minute",
                        "Blinks per minute (people blink about 15 to 30 times a minute while "
                        "talking)."),
    "blink_duration": Limit(MIN_DURATION, MAX_DURATION, "Blink length", "seconds",
                            "Mean length of a blink, from closing to open again."),
    "liveliness": Limit(0.0, 2.0, "Liveliness", "", "How lively the head, face and eyes move "
                        "with the speech: 1 = a real speaker's level, 0 keeps them still."),
    "breath": Limit(0.0, 3.0, "Breath", "", "A breath before each phrase: the lips part as the "
                    "speaker draws breath. 1 = as GRID's speaker s1 does (a slight parting), "
                    f"{DEFAULT_BREATH:g} (default) a trace of it that keeps the lips closed, "
                    "0 = none."),
    "size": Limit(16, 8192, "Size", "pixels", "Long edge of the video in pixels (default: the "
                  f"portrait's own, at most {MAX_LONG_EDGE}).", integer=True),
    "crf": Limit(0, 51, "Quality (CRF)", "", "H.264 quality: lower is better and larger (18 is "
                 "visually lossless, 23 the usual default).", integer=True),
    "start": Limit(0.0, math.inf, "Start", "seconds", "Start of the stretch to render, seconds."),
    "end": Limit(0.0, math.inf, "End", "seconds", "End of the stretch to render, seconds "
                 "(default: the end of the voice track)."),
}

#: The words for the choices that are not numbers.
OTHER_LABELS = {"fps": "Frame rate", "motion_source": "Motion",
                "keep_expression": "Keep the portrait's expression at rest",
                "background": "Background"}

KEEP_EXPRESSION_HELP = ("By default Talkie relaxes the face to closed lips at rest; this keeps "
                        "the portrait's own expression instead.")


def _error(name: str, rule: str, value: Any) -> SettingsError:
    label = LIMITS[name].label if name in LIMITS else OTHER_LABELS[name]
    return SettingsError(name, label, rule, value)


def check_number(name: str, value: Any) -> float:
    """``value`` as a number within ``LIMITS[name]``.

    Raises:
        SettingsError: not a number, not finite, not whole where it must be,
            or out of range; the message names the setting and its range.
    """
    limit = LIMITS[name]
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    ok = math.isfinite(number) and limit.lo <= number <= limit.hi
    if ok and limit.integer and number != int(number):
        ok = False
    if not ok:
        raise _error(name, limit.requirement(), value)
    return number


def _check_choice(name: str, value: Any, choices: tuple[Any, ...], rule: str) -> None:
    if isinstance(value, bool) or value not in choices:
        raise _error(name, rule, value)


@dataclass(frozen=True)
class Settings:
    """The direction: everything that shapes the motion.

    Attributes:
        fps: frame rate, one of :data:`FPS_CHOICES` (the motion is made per frame).
        seed: seed of every stochastic part (blinks, head motion, noise).
        mouth_intensity: the mouth, 0..3, 1 = as measured; below 1 the mouth moves
            less, above it opens wider (an expressive or a shouting voice opens two
            or three times as wide as GRID's calm ones: :mod:`engine.motion.wider`).
        blink_rate: blinks per minute (default 25: between the two GRID
            speakers measured, 43.7 and 6.8; see :class:`BlinkParams`).
        blink_duration: mean blink duration in seconds (default: measured).
        liveliness: 0..2, how much the head and face move with the speech;
            1 = a real speaker's level, 0 keeps the head still. (Projects
            saved before it existed called it ``head_motion``.)
        keep_expression: keep the portrait's own expression at rest instead
            of relaxing the face to closed lips.
        breath: 0..3, the lips part before each phrase as the speaker draws
            breath; 1 = as measured on GRID s1, 0 = none; the default, a trace of
            it fitted on s1, leaves them closed (:mod:`engine.motion.breath`).
        motion_source: ``"gan"`` or ``"phonetic"``.

    Ranges are in :data:`LIMITS`; :meth:`validate` checks them.
    """

    fps: int = 25
    seed: int = 0
    mouth_intensity: float = 1.0
    blink_rate: float = BlinkParams.rate_per_min
    blink_duration: float = BlinkParams.mean_duration
    liveliness: float = 1.0
    keep_expression: bool = False
    motion_source: MotionSource = "gan"
    breath: float = DEFAULT_BREATH

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def validate(self) -> Settings:
        """Check every field; returns ``self`` so that calls chain.

        Raises:
            SettingsError: the first field out of its range, with its name.
        """
        _check_choice("fps", self.fps, FPS_CHOICES,
                      "must be one of " + ", ".join(map(str, FPS_CHOICES)) + " frames per second")
        for name in ("seed", "mouth_intensity", "blink_rate", "blink_duration", "liveliness",
                     "breath"):
            check_number(name, getattr(self, name))
        if not isinstance(self.keep_expression, bool):
            raise _error("keep_expression", "must be true or false", self.keep_expression)
        _check_choice("motion_source", self.motion_source, MOTION_SOURCES,
                      "must be " + " or ".join(MOTION_SOURCES))
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Settings from saved data (unknown keys ignored; not validated).

        Reads ``head_motion``, the old name of ``liveliness``. Settings saved before
        *Breath* existed kept the lips still before a phrase, and keep them so.
        """
        data = dict(data)
        if "head_motion" in data and "liveliness" not in data:
            data["liveliness"] = data["head_motion"]
        data.setdefault("breath", 0.0)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class OutputOptions:
    """What an export writes, apart from the motion.

    Attributes:
        size: long edge of the output in pixels; ``None`` means the
            portrait's own, capped at :data:`MAX_LONG_EDGE`.
        crf: H.264 quality (lower is better), 0..51.
        start: start of the rendered stretch in seconds.
        end: end of the rendered stretch in seconds, ``None`` = to the end.
        background: ``(r, g, b)`` 0..255 painted behind a transparent
            portrait by formats without alpha (MP4); default white.

    Ranges are in :data:`LIMITS`; :meth:`validate` checks them. Formats
    that keep alpha can ignore ``background``.
    """

    size: int | None = None
    crf: int = 18
    start: float = 0.0
    end: float | None = None
    background: tuple[int, int, int] = WHITE

    def with_(self, **changes: Any) -> OutputOptions:
        return replace(self, **changes)

    def validate(self, duration: float | None = None) -> OutputOptions:
        """Check every field, and the stretch against ``duration`` (seconds) when given.

        Raises:
            SettingsError: a field is out of range, ``end`` is not after
                ``start``, or ``start`` is at or past the end of the audio.
        """
        if self.size is not None:
            check_number("size", self.size)
        check_number("crf", self.crf)
        start = check_number("start", self.start)
        if self.end is not None:
            end = check_number("end", self.end)
            if end <= start:
                raise _error("end", f"must come after the start, {start:g} s", self.end)
        if duration is not None and start >= duration:
            raise _error("start", f"must be before the end of the voice track, {duration:.2f} s",
                         self.start)
        bg = self.background
        if (not isinstance(bg, tuple | list) or len(bg) != 3
                or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255
                           for c in bg)):
            raise _error("background", "must be a colour (three numbers 0..255)", bg)
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["background"] = list(self.background)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputOptions:
        """Options from saved data (unknown keys ignored; not validated)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("background"), list):
            values["background"] = tuple(values["background"])
        return cls(**values)


def parse_colour(text: str) -> tuple[int, int, int]:
    """``"white"``, ``"black"``, ``"#rrggbb"`` or ``"r,g,b"`` -> ``(r, g, b)`` 0..255.

    Raises:
        SettingsError: the text is none of these.
    """
    named = {"white": WHITE, "black": (0, 0, 0), "grey": (128, 128, 128),
             "gray": (128, 128, 128), "green": (0, 177, 64)}
    t = text.strip().lower()
    if t in named:
        return named[t]
    try:
        if t.startswith("#") and len(t) == 7:
            rgb = tuple(int(t[i:i + 2], 16) for i in (1, 3, 5))
        else:
            rgb = tuple(int(p) for p in t.split(","))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
        raise _error("background", "must be a colour name (white, black, grey, green), "
                            "#rrggbb or r,g,b", text)
    return rgb[0], rgb[1], rgb[2]


def validate(settings: Settings, output: OutputOptions | None = None,
             duration: float | None = None) -> None:
    """Check the direction and (when given) the output against the one table of limits.

    Raises:
        SettingsError: the first value out of range, naming the setting.
    """
    settings.validate()
    if output is not None:
        output.validate(duration)
