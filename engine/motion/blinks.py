"""Blink noise: a seeded stochastic process of blink events, and eyelid curves.

Blinks are a renewal process. The gap from the end of one blink to the
onset of the next is ``min_gap`` plus a gamma-distributed wait chosen so that
the long-run rate is ``rate_per_min``; durations are log-normal around
``mean_duration``; depths (how far the lid closes, 1 = fully) are mostly 1
with some partial blinks. The defaults come from blinks measured on the GRID
corpus (speakers s1 and s4hq), see ``assets/motion/README.md``.

The event list is what the artist edits on the timeline: :func:`add_blink`,
:func:`move_blink`, :func:`delete_blink` and :func:`normalise_blinks`
return new sorted lists and never mutate their input.

Time convention: frame ``i`` covers ``[i / fps, (i + 1) / fps)`` and is
sampled at its centre ``(i + 0.5) / fps``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.errors import TalkieError

#: Shortest and longest blink the generator and the editors accept, seconds.
MIN_DURATION = 0.06
MAX_DURATION = 1.0
#: Fractions of a blink's duration spent closing and fully closed; the rest
#: is the (slower) reopening. Real blinks close in ~1/3 of the time they take
#: to reopen.
CLOSE_FRACTION = 0.28
HOLD_FRACTION = 0.10


class BlinkEditError(TalkieError, ValueError):
    """A blink edit that would break the event list (overlap, out of range)."""


@dataclass(frozen=True)
class BlinkEvent:
    """One blink.

    Attributes:
        onset: time the lids start to close, seconds from the start.
        duration: time from onset until the lids are open again, seconds.
        depth: closure at the blink's peak, 0 (none) .. 1 (fully closed).
    """

    onset: float
    duration: float
    depth: float = 1.0

    @property
    def end(self) -> float:
        return self.onset + self.duration

    def to_dict(self) -> dict[str, float]:
        return {"onset": self.onset, "duration": self.duration, "depth": self.depth}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlinkEvent:
        return cls(float(data["onset"]), float(data["duration"]), float(data.get("depth", 1.0)))


@dataclass(frozen=True)
class BlinkParams:
    """Settings of the blink process (defaults measured on GRID).

    Rate: the mean of the two GRID speakers, measured with
    :mod:`engine.motion.blink_detect` (checked by eye on 58 labelled blinks):
    s1 blinks 43.7 times a minute (250 clips of the model's data; 46.9 on the
    150 clips of ``assets/motion/README.md``), s4hq 6.8 (50 clips); the default
    25/min sits between them, where conversation rates in the literature lie
    (about 15-30/min), and s1's own rate made a talking portrait look nervous.
    The rest was measured on 150 GRID s1 clips (7.5 min, 352 blinks; see
    ``assets/motion/README.md``): duration (this module's
    profile) log-normal, mean 226 ms, sigma 0.27 (median full width at half
    closure 115 ms); onset-to-onset CV 0.67 (gamma shape 1/CV^2 = 2.2, kept 2.3).
    Two choices are not straight fits: ``min_gap`` is 0.25 s although s1's
    double blinks follow each other directly, so that every
    blink reads as a separate event on the video; and partial blinks are
    fewer and deeper (20 % at ~0.8) than the 46 % below 0.75 measured,
    because the landmark model's lid closure saturates and is noisy.

    Attributes:
        rate_per_min: mean blinks per minute.
        mean_duration: mean blink duration, seconds.
        min_gap: shortest time from the end of one blink to the next onset, s.
        duration_sigma: log-normal shape (standard deviation of log duration).
        interval_shape: gamma shape of the wait between blinks (1 = Poisson,
            larger = more regular).
        partial_fraction: share of blinks that do not close fully.
        partial_depth: mean depth of those partial blinks.
    """

    rate_per_min: float = 25.0
    mean_duration: float = 0.226
    min_gap: float = 0.25
    duration_sigma: float = 0.27
    interval_shape: float = 2.3
    partial_fraction: float = 0.2
    partial_depth: float = 0.8

    @classmethod
    def from_settings(cls, settings: Any) -> BlinkParams:
        """Params from an :class:`engine.settings.Settings` (blink_rate, blink_duration)."""
        return cls(rate_per_min=float(settings.blink_rate),
                   mean_duration=float(settings.blink_duration))


def _check_params(params: BlinkParams) -> None:
    if not (params.rate_per_min >= 0 and math.isfinite(params.rate_per_min)):
        raise BlinkEditError("The blink rate must be zero or more blinks per minute.")
    if not (MIN_DURATION <= params.mean_duration <= MAX_DURATION):
        raise BlinkEditError(
            f"The blink duration must be between {MIN_DURATION:g} and {MAX_DURATION:g} seconds."
        )
    if params.min_gap < 0:
        raise BlinkEditError("The minimum gap between blinks cannot be negative.")


def generate_blinks(
    duration_s: float, params: BlinkParams | None = None, seed: int = 0
) -> list[BlinkEvent]:
    """Draw blink events for ``duration_s`` seconds.

    Args:
        duration_s: length of the track, seconds.
        params: process settings; default :class:`BlinkParams`.
        seed: the same seed and params give the same events. Events are
            drawn in time order, so a longer track starts with the same events.

    Returns:
        Events sorted by onset, every onset in ``[0, duration_s)``, each
        separated from the previous one's end by at least ``params.min_gap``.
    """
    p = params if params is not None else BlinkParams()
    _check_params(p)
    if duration_s <= 0 or p.rate_per_min <= 0:
        return []
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xB1]))
    mean_interval = 60.0 / p.rate_per_min
    median = p.mean_duration / math.exp(0.5 * p.duration_sigma**2)
    # Wait after min_gap, so that onset-to-onset intervals average mean_interval.
    mean_wait = max(mean_interval - p.mean_duration - p.min_gap, 0.05)
    shape = max(p.interval_shape, 0.2)
    events: list[BlinkEvent] = []
    # Start in the process's equilibrium: the first onset is a uniformly
    # placed point of a typical interval.
    t = float(rng.uniform(0.0, 1.0)) * (p.min_gap + mean_wait)
    while t < duration_s:
        d = float(np.clip(median * math.exp(p.duration_sigma * rng.standard_normal()),
                          MIN_DURATION, MAX_DURATION))
        if rng.uniform() < p.partial_fraction:
            depth = float(np.clip(p.partial_depth + 0.1 * rng.standard_normal(), 0.6, 0.95))
        else:
            depth = 1.0
        events.append(BlinkEvent(round(t, 4), round(d, 4), round(depth, 3)))
        t = t + d + p.min_gap + float(rng.gamma(shape, mean_wait / shape))
    return events


def _fits(events: list[BlinkEvent], i: int, min_gap: float) -> bool:
    e = events[i]
    if i > 0 and e.onset < events[i - 1].end + min_gap - 1e-9:
        return False
    return not (i + 1 < len(events) and events[i + 1].onset < e.end + min_gap - 1e-9)


def _check_event(event: BlinkEvent) -> None:
    if not (event.onset >= 0 and math.isfinite(event.onset)):
        raise BlinkEditError("A blink cannot start before the start of the audio.")
    if not (MIN_DURATION <= event.duration <= MAX_DURATION):
        raise BlinkEditError(
            f"A blink must last between {MIN_DURATION:g} and {MAX_DURATION:g} seconds."
        )
    if not (0.0 <= event.depth <= 1.0):
        raise BlinkEditError("A blink's depth must be between 0 and 1.")


def add_blink(
    events: list[BlinkEvent], event: BlinkEvent, min_gap: float = 0.0
) -> list[BlinkEvent]:
    """A new sorted list with ``event`` added.

    Raises:
        BlinkEditError: the event is invalid or would come closer than
            ``min_gap`` seconds to a neighbour (``min_gap=0`` only forbids overlap).
    """
    _check_event(event)
    out = sorted([*events, event], key=lambda e: e.onset)
    i = out.index(event)
    if not _fits(out, i, min_gap):
        raise BlinkEditError("There is no room for a blink there; it would run into another.")
    return out


def delete_blink(events: list[BlinkEvent], index: int) -> list[BlinkEvent]:
    """A new list without ``events[index]``."""
    if not 0 <= index < len(events):
        raise BlinkEditError("That blink does not exist.")
    return [e for k, e in enumerate(events) if k != index]


def move_blink(
    events: list[BlinkEvent],
    index: int,
    onset: float,
    duration: float | None = None,
    depth: float | None = None,
    min_gap: float = 0.0,
) -> list[BlinkEvent]:
    """A new sorted list with ``events[index]`` moved (and optionally resized).

    Like a drag on a timeline, the new onset is clamped between its
    neighbours (keeping ``min_gap`` to each); a blink cannot jump over another.

    Raises:
        BlinkEditError: the index is invalid or the blink cannot fit between
            its neighbours at all.
    """
    if not 0 <= index < len(events):
        raise BlinkEditError("That blink does not exist.")
    ordered = sorted(events, key=lambda e: e.onset)
    old = events[index]
    k = ordered.index(old)
    new = replace(
        old,
        duration=old.duration if duration is None else float(duration),
        depth=old.depth if depth is None else float(depth),
    )
    lo = ordered[k - 1].end + min_gap if k > 0 else 0.0
    hi = ordered[k + 1].onset - min_gap - new.duration if k + 1 < len(ordered) else math.inf
    if hi < lo - 1e-9:
        raise BlinkEditError("There is no room for that blink between its neighbours.")
    new = replace(new, onset=float(min(max(onset, lo), hi)))
    _check_event(new)
    ordered[k] = new
    return ordered


def normalise_blinks(events: list[BlinkEvent], min_gap: float = 0.0) -> list[BlinkEvent]:
    """Sorted copy of ``events``, dropping invalid ones and any that come
    closer than ``min_gap`` to the previous kept blink (e.g. for a loaded project)."""
    out: list[BlinkEvent] = []
    for e in sorted(events, key=lambda e: e.onset):
        try:
            _check_event(e)
        except BlinkEditError:
            continue
        if out and e.onset < out[-1].end + min_gap - 1e-9:
            continue
        out.append(e)
    return out


def blink_profile(u: np.ndarray) -> np.ndarray:
    """Closure ``0..1`` at phase ``u`` (0 = onset, 1 = end) of a full blink.

    Fast close (smoothstep over :data:`CLOSE_FRACTION`), a brief hold, then a
    slower reopening with an ease-out tail. ``(n,) float64`` in and out.
    """
    u = np.asarray(u, dtype=np.float64)
    out = np.zeros_like(u)
    c, h = CLOSE_FRACTION, CLOSE_FRACTION + HOLD_FRACTION
    a = (u > 0) & (u < c)
    s = u[a] / c
    out[a] = s * s * (3 - 2 * s)
    out[(u >= c) & (u <= h)] = 1.0
    b = (u > h) & (u < 1)
    s = (u[b] - h) / (1 - h)
    out[b] = (1 - s) ** 2 * (1 + 2 * s) * (1 - 0.3 * s)  # ease out, slightly faster start
    return out


def eyelid_track(events: list[BlinkEvent], frame_count: int, fps: float) -> np.ndarray:
    """Per-frame eyelid closure of both eyes.

    Args:
        events: blink events (any order); overlapping blinks take the maximum.
        frame_count: number of frames ``T``.
        fps: frame rate.

    Returns:
        ``(T, 2) float32`` closure, 0 open .. 1 closed; column 0 is the
        subject's right eye, column 1 the left (both blink together). Each
        blink reaches its ``depth`` in at least one frame, even when it is
        shorter than a frame's sampling would otherwise catch.
    """
    closure = np.zeros(frame_count, np.float64)
    if frame_count <= 0:
        return np.zeros((0, 2), np.float32)
    for e in events:
        first = max(int(math.floor(e.onset * fps - 0.5)), 0)
        last = min(int(math.ceil(e.end * fps - 0.5)) + 1, frame_count)
        if last <= first:
            continue
        idx = np.arange(first, last)
        u = ((idx + 0.5) / fps - e.onset) / e.duration
        curve = blink_profile(u) * e.depth
        closure[first:last] = np.maximum(closure[first:last], curve)
        peak_t = e.onset + e.duration * (CLOSE_FRACTION + 0.5 * HOLD_FRACTION)
        pk = int(math.floor(peak_t * fps))
        if 0 <= pk < frame_count:
            closure[pk] = max(closure[pk], e.depth)
    out = np.repeat(closure[:, None], 2, axis=1).astype(np.float32)
    return out


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a ``(T,) bool`` array as ``(first_index, length)``, in order."""
    m = np.asarray(mask, dtype=bool)
    edges = np.diff(np.concatenate(([0], m.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(a), int(b - a)) for a, b in zip(starts, ends, strict=True)]
