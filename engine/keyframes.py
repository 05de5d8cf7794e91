"""Keyframe lanes: expression, gaze and head pose directed on the timeline.

API summary (for gui/ and cli/)::

    from engine.keyframes import Keyframe, Keyframes, LANES, LANE_RANGES, evaluate

    kf = Keyframes()                                # empty: no lane has keys
    kf = kf.add("smile", 1.0, 0.8)                  # new object; replaces a key at the same time
    kf = kf.move("smile", 1.0, 1.5, value=0.6)      # move the key at t=1.0 to t=1.5 (and revalue)
    kf = kf.delete("smile", 1.5)                    # remove the key at t=1.5
    kf["smile"]                                     # tuple[Keyframe, ...] sorted by time
    kf.evaluate("smile", times)                     # (T,) float64 values at times (seconds)
    kf.to_dict() / Keyframes.from_dict(d)           # JSON-friendly {"smile": [[t, v], ...]}
    engine.Animation(portrait, audio, settings, blinks, keyframes=kf)   # drives the motion

Lanes (:data:`LANES`) and value ranges (:data:`LANE_RANGES`, values are
clipped into them):

- ``"smile"``, ``"brow_raise"``, ``"frown"``: 0..1, the weight of a measured
  or constructed expression shape (``assets/motion/expressions.npz``).
- ``"gaze_x"`` (+ = towards the image right), ``"gaze_y"`` (+ = down): -1..1,
  the iris offset as a fraction of its largest travel inside the eye.
- ``"yaw"``, ``"pitch"``, ``"roll"``: degrees, -45..45, the conventions of
  :func:`engine.render.pose.rotation` (+yaw turns the nose to image left,
  +pitch tips the chin down, +roll turns the face clockwise in the image).
- ``"nod"``: amplitude in degrees, 0..20, of a pitch oscillation at
  :data:`NOD_HZ` (see :func:`engine.animation.keyframe_pose`).

Interpolation: ease in and out between neighbouring keys (cubic Hermite with
zero slopes at the keys, i.e. smoothstep), the first key's value held before
it and the last key's after it; an empty lane is 0 everywhere. Keyframes
*add* to the generated motion; they never replace it.

Times are matched with a tolerance of :data:`TIME_EPS` seconds (``move`` and
``delete`` find the key nearest to the given time within it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import ProjectError

#: Expression lanes (0..1).
EXPRESSION_LANES = ("smile", "brow_raise", "frown")
#: Gaze lanes (-1..1).
GAZE_LANES = ("gaze_x", "gaze_y")
#: Head-pose lanes (degrees).
HEAD_LANES = ("yaw", "pitch", "roll", "nod")
#: Every lane, in display order.
LANES = EXPRESSION_LANES + GAZE_LANES + HEAD_LANES
#: ``lane -> (low, high)`` allowed values; values are clipped into the range.
LANE_RANGES: dict[str, tuple[float, float]] = {
    **{k: (0.0, 1.0) for k in EXPRESSION_LANES},
    **{k: (-1.0, 1.0) for k in GAZE_LANES},
    "yaw": (-45.0, 45.0),
    "pitch": (-45.0, 45.0),
    "roll": (-45.0, 45.0),
    "nod": (0.0, 20.0),
}
#: Human-readable lane labels.
LANE_LABELS = {
    "smile": "Smile",
    "brow_raise": "Brow raise",
    "frown": "Frown",
    "gaze_x": "Gaze left/right",
    "gaze_y": "Gaze up/down",
    "yaw": "Yaw (deg)",
    "pitch": "Pitch (deg)",
    "roll": "Roll (deg)",
    "nod": "Nod (deg)",
}
#: Keys closer than this (seconds) are the same key.
TIME_EPS = 1e-3
#: Nod frequency in Hz.
NOD_HZ = 2.0


@dataclass(frozen=True, order=True)
class Keyframe:
    """One key: ``time`` in seconds, ``value`` in the lane's units."""

    time: float
    value: float


def _check_lane(lane: str) -> None:
    if lane not in LANE_RANGES:
        raise ValueError(f"unknown keyframe lane {lane!r}; lanes are {', '.join(LANES)}")


def _clip(lane: str, value: float) -> float:
    lo, hi = LANE_RANGES[lane]
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"keyframe value must be finite, got {value!r}")
    return min(max(v, lo), hi)


def _time(t: float) -> float:
    t = float(t)
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"keyframe time must be a finite number >= 0, got {t!r}")
    return t


class Keyframes(Mapping[str, tuple[Keyframe, ...]]):
    """Immutable ``lane -> tuple[Keyframe, ...]`` (sorted by time, unique times).

    Every lane of :data:`LANES` is a key of the mapping (empty lanes map to
    ``()``). Editing methods return a new object; equal contents compare equal.
    """

    __slots__ = ("_lanes",)

    def __init__(self, lanes: Mapping[str, Any] | None = None) -> None:
        data: dict[str, tuple[Keyframe, ...]] = {k: () for k in LANES}
        for lane, keys in (lanes or {}).items():
            _check_lane(lane)
            by_time: dict[float, Keyframe] = {}
            for k in keys:
                kf = k if isinstance(k, Keyframe) else Keyframe(float(k[0]), float(k[1]))
                kf = Keyframe(_time(kf.time), _clip(lane, kf.value))
                by_time[round(kf.time / TIME_EPS)] = kf
            data[lane] = tuple(sorted(by_time.values()))
        self._lanes = data

    # Mapping protocol
    def __getitem__(self, lane: str) -> tuple[Keyframe, ...]:
        return self._lanes[lane]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lanes)

    def __len__(self) -> int:
        return len(self._lanes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Keyframes):
            return NotImplemented
        return self._lanes == other._lanes

    def __hash__(self) -> int:
        return hash(tuple(self._lanes.items()))

    def __repr__(self) -> str:
        used = {k: v for k, v in self._lanes.items() if v}
        return f"Keyframes({used!r})"

    @property
    def empty(self) -> bool:
        """No lane has any key."""
        return not any(self._lanes.values())

    def used_lanes(self) -> tuple[str, ...]:
        """Lanes with at least one key, in :data:`LANES` order."""
        return tuple(k for k in LANES if self._lanes[k])

    # editing (each returns a new Keyframes)
    def _replace(self, lane: str, keys: list[Keyframe]) -> Keyframes:
        lanes: dict[str, Any] = dict(self._lanes)
        lanes[lane] = keys
        return Keyframes(lanes)

    def _find(self, lane: str, time: float) -> int:
        keys = self._lanes[lane]
        if not keys:
            return -1
        i = int(np.argmin([abs(k.time - time) for k in keys]))
        return i if abs(keys[i].time - time) <= TIME_EPS else -1

    def add(self, lane: str, time: float, value: float) -> Keyframes:
        """Add a key (a key already at ``time`` is replaced)."""
        _check_lane(lane)
        keys = [k for k in self._lanes[lane] if abs(k.time - float(time)) > TIME_EPS]
        keys.append(Keyframe(_time(time), _clip(lane, value)))
        return self._replace(lane, keys)

    def move(
        self, lane: str, time: float, new_time: float, value: float | None = None
    ) -> Keyframes:
        """Move the key at ``time`` to ``new_time`` (and set its value if given).

        A key already at ``new_time`` is replaced. Raises ``KeyError`` when
        there is no key at ``time``.
        """
        _check_lane(lane)
        i = self._find(lane, float(time))
        if i < 0:
            raise KeyError(f"no {lane} key at {time:.3f} s")
        old = self._lanes[lane][i]
        v = old.value if value is None else value
        keys = [k for j, k in enumerate(self._lanes[lane]) if j != i]
        keys = [k for k in keys if abs(k.time - float(new_time)) > TIME_EPS]
        keys.append(Keyframe(_time(new_time), _clip(lane, v)))
        return self._replace(lane, keys)

    def delete(self, lane: str, time: float) -> Keyframes:
        """Remove the key at ``time``. Raises ``KeyError`` when there is none."""
        _check_lane(lane)
        i = self._find(lane, float(time))
        if i < 0:
            raise KeyError(f"no {lane} key at {time:.3f} s")
        return self._replace(lane, [k for j, k in enumerate(self._lanes[lane]) if j != i])

    def clear(self, lane: str | None = None) -> Keyframes:
        """Remove every key of ``lane`` (every lane when None)."""
        if lane is None:
            return Keyframes()
        _check_lane(lane)
        return self._replace(lane, [])

    def count_after(self, time: float) -> int:
        """How many keys (all lanes) lie later than ``time`` seconds."""
        return sum(1 for keys in self._lanes.values() for k in keys if k.time > time + TIME_EPS)

    def until(self, time: float) -> Keyframes:
        """A copy without the keys later than ``time`` seconds."""
        return Keyframes({lane: [k for k in keys if k.time <= time + TIME_EPS]
                          for lane, keys in self._lanes.items()})

    # evaluation
    def evaluate(self, lane: str, times: Any) -> np.ndarray:
        """See :func:`evaluate`."""
        return evaluate(self._lanes[lane], times)

    # persistence
    def to_dict(self) -> dict[str, list[list[float]]]:
        """``{lane: [[time, value], ...]}`` for lanes with keys (JSON-friendly)."""
        return {k: [[kf.time, kf.value] for kf in v] for k, v in self._lanes.items() if v}

    @classmethod
    def from_dict(cls, data: Any) -> Keyframes:
        """Inverse of :meth:`to_dict`. Raises ProjectError for malformed data."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ProjectError("The keyframes in this project are damaged (not lanes of keys).")
        try:
            lanes = {str(k): [(float(t), float(v)) for t, v in keys] for k, keys in data.items()}
            return cls(lanes)
        except (TypeError, ValueError) as exc:
            raise ProjectError(f"The keyframes in this project are damaged ({exc}).") from exc


def ease(u: np.ndarray) -> np.ndarray:
    """Smoothstep ``3u^2 - 2u^3`` on ``u`` clipped to 0..1 (cubic Hermite, zero end slopes)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def evaluate(keys: tuple[Keyframe, ...] | list[Keyframe], times: Any) -> np.ndarray:
    """Values of a lane's keys at ``times`` (seconds).

    Ease in and out between neighbouring keys; the first value is held
    before the first key and the last after the last key; no keys gives 0.

    Returns:
        ``float64`` array of the shape of ``times``.
    """
    t = np.asarray(times, dtype=np.float64)
    if not keys:
        return np.zeros_like(t)
    kt = np.array([k.time for k in keys], dtype=np.float64)
    kv = np.array([k.value for k in keys], dtype=np.float64)
    if len(keys) == 1:
        return np.full_like(t, kv[0])
    j = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
    t0, t1 = kt[j], kt[j + 1]
    u = (t - t0) / np.maximum(t1 - t0, 1e-12)
    return kv[j] + (kv[j + 1] - kv[j]) * ease(u)


def frame_times(frames: int, fps: float) -> np.ndarray:
    """``(T,)`` the time (seconds) at which frame ``i`` is sampled: ``i / fps``."""
    return np.arange(frames, dtype=np.float64) / float(fps)
