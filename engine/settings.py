"""Settings an artist directs. Plain data: saved in projects, passed to the engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from engine.motion.blinks import BlinkParams

MotionSource = Literal["phonetic", "gan"]
FPS_CHOICES = (24, 25, 30, 60)
MAX_LONG_EDGE = 2048


@dataclass(frozen=True)
class Settings:
    """Everything that shapes the animation and the export.

    Attributes:
        fps: output frame rate, one of :data:`FPS_CHOICES`.
        size: long edge of the output in pixels; ``None`` means the
            portrait's own, capped at :data:`MAX_LONG_EDGE`.
        seed: seed of every stochastic part (blinks, head motion, noise).
        mouth_intensity: scales mouth motion, 0..2, 1 = as measured.
        blink_rate: blinks per minute (default 25: between the two GRID
            speakers measured, 43.7 and 6.8; see :class:`BlinkParams`).
        blink_duration: mean blink duration in seconds (default: measured).
        liveliness: 0..2, how much the head and brows move with the speech; 1 = a real
            speaker's level, 0 keeps the head still. (Older projects: ``head_motion``.)
        keep_expression: keep the portrait's own expression at rest instead of
            relaxing the face to closed lips.
        motion_source: ``"gan"`` or ``"phonetic"``.
        crf: H.264 quality (lower is better), 0..51.
        start: start of the rendered stretch in seconds.
        end: end of the rendered stretch in seconds, ``None`` = to the end.
    """

    fps: int = 25
    size: int | None = None
    seed: int = 0
    mouth_intensity: float = 1.0
    blink_rate: float = BlinkParams.rate_per_min
    blink_duration: float = BlinkParams.mean_duration
    liveliness: float = 1.0
    keep_expression: bool = False
    motion_source: MotionSource = "gan"
    crf: int = 18
    start: float = 0.0
    end: float | None = None

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        if "head_motion" in data and "liveliness" not in data:
            data = {**data, "liveliness": data["head_motion"]}
        return cls(**{k: v for k, v in data.items() if k in known})
