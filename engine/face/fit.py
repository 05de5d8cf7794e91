"""Manual face fitting: the canonical 468-point face fitted to a few placed points.

For portraits the detector misses (cartoons, animals, paintings) or fits
badly, the artist places :data:`FIT_POINTS` (and optionally
:data:`EXTRA_POINTS`) on the picture. :func:`fit_face` maps the canonical
face onto them in two steps:

1. a 2-D similarity (rotation, uniform scale, translation; least squares,
   Umeyama) of the canonical face's x/y onto the points; z is scaled with it;
2. a thin-plate spline (with no extra affine part: the similarity is kept)
   through the residuals at the placed points, applied to every landmark, so
   the placed points are matched exactly and the rest of the face follows
   smoothly.

The result is ``(468, 3) float32`` landmarks in pixels that
``engine.analysis.analyse_portrait(image, landmarks=...)`` and the renderer
use exactly like a detected face.

Points JSON (``main.py render --face POINTS.json``)::

    {"points": {"right_eye_outer": [x, y], ..., "chin": [x, y]}}

(a flat ``{"name": [x, y], ...}`` object is accepted too). Coordinates are
pixels of the portrait, x to the right, y down. "Right" and "left" are the
subject's: the subject's right eye is on the image's left.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.face import mesh
from engine.face.align import umeyama

#: Required points: name -> landmark index (MediaPipe numbering).
FIT_POINTS: dict[str, int] = {
    "right_eye_outer": mesh.RIGHT_EYE_OUTER,  # 33
    "right_eye_inner": mesh.RIGHT_EYE_INNER,  # 133
    "left_eye_inner": mesh.LEFT_EYE_INNER,  # 362
    "left_eye_outer": mesh.LEFT_EYE_OUTER,  # 263
    "nose_tip": mesh.NOSE_TIP,  # 1
    "mouth_right": mesh.MOUTH_RIGHT,  # 61
    "mouth_left": mesh.MOUTH_LEFT,  # 291
    "upper_lip": mesh.UPPER_LIP_INNER,  # 13, lower edge of the upper lip (middle)
    "lower_lip": mesh.LOWER_LIP_INNER,  # 14, upper edge of the lower lip (middle)
    "chin": mesh.CHIN,  # 152
}
#: Optional handles for the eye openings (middle of each lid margin).
EXTRA_POINTS: dict[str, int] = {
    "right_eye_top": 159,
    "right_eye_bottom": 145,
    "left_eye_top": 386,
    "left_eye_bottom": 374,
}
#: Every accepted point name.
ALL_POINTS: dict[str, int] = {**FIT_POINTS, **EXTRA_POINTS}
#: Human-readable labels, for the GUI.
POINT_LABELS: dict[str, str] = {
    "right_eye_outer": "Subject's right eye, outer corner (image left)",
    "right_eye_inner": "Subject's right eye, inner corner",
    "left_eye_inner": "Subject's left eye, inner corner",
    "left_eye_outer": "Subject's left eye, outer corner (image right)",
    "nose_tip": "Nose tip",
    "mouth_right": "Mouth corner, subject's right (image left)",
    "mouth_left": "Mouth corner, subject's left (image right)",
    "upper_lip": "Upper lip, middle of its lower edge",
    "lower_lip": "Lower lip, middle of its upper edge",
    "chin": "Chin",
    "right_eye_top": "Subject's right eye, upper lid (middle)",
    "right_eye_bottom": "Subject's right eye, lower lid (middle)",
    "left_eye_top": "Subject's left eye, upper lid (middle)",
    "left_eye_bottom": "Subject's left eye, lower lid (middle)",
}


def default_points(image_shape: tuple[int, ...]) -> dict[str, tuple[float, float]]:
    """The canonical face's :data:`FIT_POINTS` centred in an image, a starting guess for the GUI."""
    h, w = int(image_shape[0]), int(image_shape[1])
    c = mesh.CANONICAL[:, :2].astype(np.float64)
    idx = list(FIT_POINTS.values())
    span = c[idx].max(axis=0) - c[idx].min(axis=0)
    s = 0.5 * min(w / span[0], h / span[1])
    centre = c[idx].mean(axis=0)
    pts = (c[idx] - centre) * s + (w / 2, h / 2)
    return {k: (float(p[0]), float(p[1])) for k, p in zip(FIT_POINTS, pts, strict=True)}


def _tps_kernel(r: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        k = r * r * np.log(r)
    return np.nan_to_num(k)


def thin_plate(ctrl: np.ndarray, values: np.ndarray, query: np.ndarray, scale: float) -> np.ndarray:
    """Thin-plate spline through ``values (N, 2)`` at ``ctrl (N, 2)``, evaluated at ``query``.

    An affine part keeps the system well posed; since the similarity already
    took out the best rigid fit, the residuals (and so the affine part) are small.
    """
    n = len(ctrl)
    c = ctrl / scale
    q = query / scale
    k = _tps_kernel(np.linalg.norm(c[:, None] - c[None], axis=2))
    p = np.hstack([np.ones((n, 1)), c])
    a = np.zeros((n + 3, n + 3))
    a[:n, :n] = k + 1e-9 * np.eye(n)
    a[:n, n:] = p
    a[n:, :n] = p.T
    rhs = np.zeros((n + 3, values.shape[1]))
    rhs[:n] = values
    coef = np.linalg.lstsq(a, rhs, rcond=None)[0]
    kq = _tps_kernel(np.linalg.norm(q[:, None] - c[None], axis=2))
    pq = np.hstack([np.ones((len(q), 1)), q])
    return kq @ coef[:n] + pq @ coef[n:]


def check_points(points: Any, image_shape: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    """Validate placed points; returns ``name -> (2,) float64``.

    Raises:
        InputError: a required point is missing, a name is unknown, a value
            is not two finite numbers, or a point lies outside the image.
    """
    if not isinstance(points, dict):
        raise InputError("The face points must be a table of names to [x, y] pixel positions.")
    unknown = sorted(set(points) - set(ALL_POINTS))
    if unknown:
        raise InputError(
            f"Unknown face point(s): {', '.join(unknown)}. "
            f"The points are: {', '.join(ALL_POINTS)}."
        )
    missing = [k for k in FIT_POINTS if k not in points]
    if missing:
        raise InputError(f"The face points are missing: {', '.join(missing)}.")
    out: dict[str, np.ndarray] = {}
    for name, value in points.items():
        try:
            xy = np.asarray(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            xy = np.zeros(0)
        if xy.shape != (2,) or not all(math.isfinite(v) for v in xy):
            raise InputError(f"The face point {name} must be [x, y] in pixels, got {value!r}.")
        if image_shape is not None:
            h, w = int(image_shape[0]), int(image_shape[1])
            if not (0 <= xy[0] <= w - 1 and 0 <= xy[1] <= h - 1):
                raise InputError(
                    f"The face point {name} ({xy[0]:.0f}, {xy[1]:.0f}) lies outside the "
                    f"{w}x{h} picture."
                )
        out[name] = xy
    return out


def fit_face(points: dict[str, Any], image_shape: tuple[int, ...]) -> np.ndarray:
    """Fit the canonical face to placed points.

    Args:
        points: ``name -> (x, y)`` pixels; every name of :data:`FIT_POINTS`,
            optionally some of :data:`EXTRA_POINTS`.
        image_shape: the portrait's ``(H, W, ...)``; points must lie inside it.

    Returns:
        ``(468, 3) float32`` landmarks in pixels (z in the same scale).

    Raises:
        InputError: see :func:`check_points`; or the points are degenerate
            (the eyes on top of each other).
    """
    pts = check_points(points, image_shape)
    names = list(pts)
    idx = np.array([ALL_POINTS[k] for k in names])
    dst = np.stack([pts[k] for k in names])
    canon = mesh.CANONICAL.astype(np.float64)
    iod = float(np.linalg.norm(pts["left_eye_outer"] - pts["right_eye_outer"]))
    if iod < 4.0:
        raise InputError(
            "The outer eye corners are too close together (less than 4 pixels). "
            "Place the points on a larger face."
        )
    sim = umeyama(canon[idx, :2], dst)
    scale = sim.scale
    xy = sim.apply(canon[:, :2])
    # Eyes whose lids were placed get their whole outline from the placed
    # eye points; the spline then carries the rest of the face along.
    ctrl = dict(zip(idx.tolist(), dst, strict=True))
    for e in range(2):
        outline = _eye_outline(pts, e)
        if outline is not None:
            for name in _EYE_NAMES[e][2:]:
                del ctrl[ALL_POINTS[name]]
            ctrl.update(outline)
    ids = np.array(list(ctrl))
    targets = np.stack(list(ctrl.values()))
    xy = xy + thin_plate(xy[ids], targets - xy[ids], xy, iod)
    xy[ids] = targets  # exact (the spline matches to rounding)
    z = scale * canon[:, 2:3]
    return np.hstack([xy, z]).astype(np.float32)


#: Per eye (subject's right, left): outer corner, inner corner, upper lid, lower lid.
_EYE_NAMES = (
    ("right_eye_outer", "right_eye_inner", "right_eye_top", "right_eye_bottom"),
    ("left_eye_outer", "left_eye_inner", "left_eye_top", "left_eye_bottom"),
)
#: Lid landmarks, outer corner to inner corner.
_LID_UPPER = (mesh.RIGHT_EYE_UPPER, mesh.LEFT_EYE_UPPER)
_LID_LOWER = (mesh.RIGHT_EYE_LOWER, mesh.LEFT_EYE_LOWER)
#: Where the canonical lid points sit along the corner-to-corner axis (fractions).
_LID_STATIONS = np.array([0.0, 0.073, 0.163, 0.296, 0.486, 0.661, 0.83, 0.943, 1.0])
#: Eye roundness (lid gap over corner distance) over which a placed outline
#: changes from an almond (human) to an ellipse (large round animal eyes).
_ROUND_FROM, _ROUND_FULL = 0.4, 0.75


def _eye_outline(pts: dict[str, np.ndarray], eye: int) -> dict[int, np.ndarray] | None:
    """The 14 interior lid points of an eye whose upper and lower lid were both placed.

    The outline runs from corner to corner through the two lid points: an
    almond for a human eye, quarter ellipses for a round one (so that a large
    round animal eye lies inside it, corners included). Each upper point sits
    straight above its lower partner (across the corner-to-corner axis), the
    way the renderer closes a lid, so that a closed lid meets the lower lid
    along its whole length: the placed upper-lid point takes the station
    nearest to it along the axis and the lower-lid point its own, so the
    landmarks 159/145 (386/374) are the placed points only when those are
    above one another.

    Returns:
        ``landmark -> (2,) xy`` of the 14 lid points, or None when the eye's
        lid points are not both placed or do not lie between the corners on
        either side of them.
    """
    outer, inner, top_name, bottom_name = _EYE_NAMES[eye]
    if top_name not in pts or bottom_name not in pts:
        return None
    c0, c1 = pts[outer], pts[inner]
    length = float(np.linalg.norm(c1 - c0))
    if length < 1.0:
        return None
    u = (c1 - c0) / length
    n = np.array([-u[1], u[0]])
    eyes_mid = 0.25 * sum(pts[k] for k in FIT_POINTS if k.endswith(("_outer", "_inner")))
    if n @ (pts["chin"] - eyes_mid) < 0:
        n = -n
    a_t, d_t = (pts[top_name] - c0) @ u / length, (pts[top_name] - c0) @ n / length
    a_b, d_b = (pts[bottom_name] - c0) @ u / length, (pts[bottom_name] - c0) @ n / length
    if not (0.02 < a_t < 0.98 and 0.02 < a_b < 0.98 and d_t < 0.0 < d_b):
        return None
    # Stations along the axis: the lid points take the nearest ones (apart
    # unless they are nearly above one another), the rest are spread between.
    inner_st = _LID_STATIONS[1:-1]
    k_t = 1 + int(np.argmin(np.abs(inner_st - a_t)))
    k_b = 1 + int(np.argmin(np.abs(inner_st - a_b)))
    if abs(a_t - a_b) < 0.04:
        k_t = k_b = 1 + int(np.argmin(np.abs(inner_st - 0.5 * (a_t + a_b))))
    elif k_t == k_b:
        if (a_t < a_b) == (k_t < 7):
            k_b = k_t + 1 if a_t < a_b else k_t - 1
        else:
            k_t = k_b - 1 if a_t < a_b else k_b + 1
    if k_t == k_b:
        anchors = {0: 0.0, k_t: 0.5 * (a_t + a_b), 8: 1.0}
    else:
        anchors = {0: 0.0, k_t: a_t, k_b: a_b, 8: 1.0}
    keys = sorted(anchors)
    stations = np.interp(_LID_STATIONS, _LID_STATIONS[keys], [anchors[k] for k in keys])
    stations[k_t], stations[k_b] = a_t, a_b  # exact, even when they share a station
    # Depth profile: an almond (parabola) blended towards quarter ellipses by roundness.
    t = float(np.clip((d_b - d_t - _ROUND_FROM) / (_ROUND_FULL - _ROUND_FROM), 0.0, 1.0))
    w = t * t * (3.0 - 2.0 * t)

    def depth(a: np.ndarray, a_peak: float, d_peak: float) -> np.ndarray:
        s = np.where(a < a_peak, (a_peak - a) / a_peak, (a - a_peak) / (1.0 - a_peak))
        s = np.clip(s, 0.0, 1.0)
        return d_peak * ((1.0 - w) * (1.0 - s * s) + w * np.sqrt(1.0 - s * s))

    out: dict[int, np.ndarray] = {}
    for lid, a_peak, d_peak in ((_LID_UPPER[eye], a_t, d_t), (_LID_LOWER[eye], a_b, d_b)):
        a = stations[1:-1]
        d = depth(a, a_peak, d_peak)
        xy = c0 + length * (a[:, None] * u + d[:, None] * n)
        for k, i in enumerate(lid[1:-1]):
            out[int(i)] = xy[k]
    out[int(_LID_UPPER[eye][k_t])] = pts[top_name].copy()
    out[int(_LID_LOWER[eye][k_b])] = pts[bottom_name].copy()
    return out


def load_points_json(
    path: Path | str, image_shape: tuple[int, ...] | None = None
) -> dict[str, Any]:
    """Read a points JSON file (see the module docstring) and validate it.

    Returns:
        ``name -> [x, y]`` (plain floats).

    Raises:
        InputError: the file is missing, not JSON, or the points are invalid
            (missing names, bad values, outside the image when ``image_shape`` is given).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"The face points file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"The face points file {path} could not be read.") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"The face points file {path} is not valid JSON (line {exc.lineno}: {exc.msg})."
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("points"), dict):
        data = data["points"]
    pts = check_points(data, image_shape)
    return {k: [float(v[0]), float(v[1])] for k, v in pts.items()}
