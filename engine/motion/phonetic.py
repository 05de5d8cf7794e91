"""Phonetic mouth motion: timed phones + loudness -> expression coefficients.

The mouth shapes are measured, not invented: ``assets/motion/phonetic_shapes.npz``
(made by ``tools/measure_grid.py`` from GRID s1, see
``assets/motion/README.md``) holds a PCA basis of mouth/jaw/cheek
displacements in the canonical frame and each phone's median shape as basis
coefficients. Coefficient 0 is the rest pose.

Per frame:

1. **Targets.** The phone sounding :data:`LEAD_S` after the frame's centre
   gives the frame's target shape; each phone has a *dominance* (lip
   closures and F/V high, tongue consonants low), after Cohen and Massaro's
   coarticulation model.
2. **Loudness** scales the open/rounded targets (louder = wider open), not
   the closures.
3. **Coarticulation.** Targets blend by dominance-weighted (normalised)
   Gaussian smoothing, so neighbours pull weak consonants but not closures.
   The kernel reaches ~90 ms, so the lips start moving that long before a
   word's first sound. On 20 held-out s1 clips (phones from
   :func:`engine.audio.phones.recognise_phones`), the synthetic lip gap
   correlates with the real one at median r = 0.74 with no extra lead;
   shifting the targets 40 ms earlier lowered it to 0.62, so
   :data:`LEAD_S` is 0 (the measured shapes already carry the timing).
4. **Silence.** Pauses of at least :data:`MIN_PAUSE_S` have target 0; the
   smoothing kernel has finite support, so frames further than its reach
   from speech are exactly 0 (the portrait's rest pose). Speech blips shorter
   than :data:`MIN_SPEECH_S` between pauses are ignored, so the mouth does
   not chatter in pauses.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import ModelError
from engine.paths import asset

log = logging.getLogger(__name__)

#: Viseme classes: name -> ARPAbet phones (upper case, no stress).
VISEME_CLASSES: dict[str, tuple[str, ...]] = {
    "closure": ("M", "B", "P"),
    "labiodental": ("F", "V"),
    "rounded": ("UW", "UH", "OW", "W", "OY", "R", "ER"),
    "postalveolar": ("SH", "ZH", "CH", "JH"),
    "spread": ("IY", "IH", "EY", "Y"),
    "open": ("AA", "AE", "AH", "AO", "AW", "AY", "EH"),
    "dental": ("TH", "DH"),
    "alveolar": ("T", "D", "N", "L", "S", "Z"),
    "velar": ("K", "G", "NG", "HH"),
}
#: Coarticulation dominance of each class (and of silence inside speech).
DOMINANCE: dict[str, float] = {
    "closure": 4.0,
    "labiodental": 3.0,
    "rounded": 1.5,
    "postalveolar": 1.5,
    "spread": 1.0,
    "open": 1.0,
    "dental": 0.8,
    "alveolar": 0.5,
    "velar": 0.4,
}
PAUSE_DOMINANCE = 0.6  # short silence inside speech (e.g. a stop's closure)
SILENCE_DOMINANCE = 2.0  # real pauses
#: Classes whose targets loudness does not scale (they are contacts).
CONTACT_CLASSES = ("closure", "labiodental")
#: Extra shift of the targets ahead of the sound, seconds (0: see module doc).
LEAD_S = 0.0
#: Standard deviation of the coarticulation kernel, seconds (support 2.5 sigma).
SMOOTH_S = 0.035
KERNEL_SIGMAS = 2.5
#: A silence at least this long is a pause (mouth goes to rest).
MIN_PAUSE_S = 0.20
#: A stretch of speech between pauses shorter than this is noise.
MIN_SPEECH_S = 0.08
#: Loudness gain range for open/rounded shapes.
GAIN_MIN, GAIN_MAX = 0.55, 1.25

SHAPES_FILE = ("motion", "phonetic_shapes.npz")
_UPPER_LIP_INNER, _LOWER_LIP_INNER = 13, 14


@dataclass(frozen=True)
class PhoneticShapes:
    """The measured table (see module docstring).

    Attributes:
        basis: ``(K, 468, 3) float32`` canonical units.
        phone_coeffs: lower-case phone -> ``(K,) float32``.
        class_coeffs: viseme class -> ``(K,) float32``.
        stats: the scalar figures stored with the table (blink statistics ...).
    """

    basis: np.ndarray
    phone_coeffs: dict[str, np.ndarray]
    class_coeffs: dict[str, np.ndarray]
    stats: dict[str, float]

    @property
    def k(self) -> int:
        return int(self.basis.shape[0])

    def coeffs_for(self, label: str) -> np.ndarray | None:
        """``(K,) float32`` target of a phone: measured, else its class's; None for silence."""
        lab = label.lower().rstrip("012")
        vec = self.phone_coeffs.get(lab)
        if vec is None:
            cls = phone_class(lab)
            vec = self.class_coeffs.get(cls) if cls is not None else None
        return vec

    def gap_vector(self) -> np.ndarray:
        """``(K,) float32``: inner-lip gap change (14 y - 13 y) per unit coefficient."""
        b = self.basis
        return (b[:, _LOWER_LIP_INNER, 1] - b[:, _UPPER_LIP_INNER, 1]).astype(np.float32)


_CLASS_OF: dict[str, str] = {p.lower(): c for c, ps in VISEME_CLASSES.items() for p in ps}


def phone_class(label: str) -> str | None:
    """Viseme class of a lower-case phone label, ``None`` for silence/unknown."""
    return _CLASS_OF.get(label.lower().rstrip("012"))


@functools.lru_cache(maxsize=1)
def load_shapes() -> PhoneticShapes:
    """The shipped table, loaded once.

    Raises:
        ModelError: the file is missing or damaged.
    """
    path = asset(*SHAPES_FILE)
    try:
        with np.load(path, allow_pickle=False) as d:
            basis = np.asarray(d["basis"], np.float32)
            phones = [str(p) for p in d["phones"]]
            pc = np.asarray(d["phone_coeffs"], np.float32)
            classes = [str(c) for c in d["classes"]]
            cc = np.asarray(d["class_coeffs"], np.float32)
            stats = {k: float(d[k]) for k in d.files if d[k].ndim == 0 and d[k].dtype.kind in "fi"}
    except FileNotFoundError:
        raise ModelError(
            f"The mouth-shape table is missing ({path}). Reinstall Talkie to restore it."
        ) from None
    except Exception as exc:  # noqa: BLE001 - any failure means a damaged file
        raise ModelError(
            f"The mouth-shape table {path} is damaged ({exc}). Reinstall Talkie to restore it."
        ) from exc
    if basis.ndim != 3 or basis.shape[1:] != (468, 3) or pc.shape != (len(phones), basis.shape[0]):
        raise ModelError(
            f"The mouth-shape table {path} is damaged. Reinstall Talkie to restore it."
        )
    for a in (basis, pc, cc):
        a.setflags(write=False)
    return PhoneticShapes(
        basis=basis,
        phone_coeffs=dict(zip(phones, pc, strict=True)),
        class_coeffs=dict(zip(classes, cc, strict=True)),
        stats=stats,
    )


def _clean_phones(phones: Sequence[Any]) -> list[tuple[str, float, float, bool]]:
    """``[(label, start, end, is_pause)]`` with blips removed and pauses marked.

    ``is_pause`` marks silences of at least :data:`MIN_PAUSE_S` (and the
    start/end of the track); shorter silences inside speech stay as ``"sil"``
    with ``is_pause=False``.
    """
    rows = [(str(p.label).lower(), float(p.start), float(p.end)) for p in phones
            if float(p.end) > float(p.start)]
    rows.sort(key=lambda r: r[1])
    # Group into speech runs separated by pauses.
    out: list[tuple[str, float, float, bool]] = []
    for lab, a, b in rows:
        is_sil = lab == "sil" or phone_class(lab) is None
        out.append(("sil" if is_sil else lab, a, b, is_sil and (b - a) >= MIN_PAUSE_S))
    # Start and end silences are pauses whatever their length.
    if out and out[0][0] == "sil":
        out[0] = (*out[0][:3], True)
    if out and out[-1][0] == "sil":
        out[-1] = (*out[-1][:3], True)
    # Remove speech runs (between pauses) shorter than MIN_SPEECH_S.
    i = 0
    while i < len(out):
        if out[i][3]:
            i += 1
            continue
        j = i
        while j < len(out) and not out[j][3]:
            j += 1
        if out[j - 1][2] - out[i][1] < MIN_SPEECH_S:
            for k in range(i, j):
                out[k] = ("sil", out[k][1], out[k][2], True)
        i = j
    return out


def _gaussian_kernel(fps: float) -> np.ndarray:
    sigma = SMOOTH_S * fps
    half = max(int(math.ceil(KERNEL_SIGMAS * sigma)), 1)
    x = np.arange(-half, half + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / max(sigma, 1e-6)) ** 2)
    return k / k.sum()


def _convolve_rows(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Same-length convolution along axis 0 of ``(T,)`` or ``(T, K)``."""
    half = len(kernel) // 2
    pad = [(half, half)] + [(0, 0)] * (x.ndim - 1)
    xp = np.pad(x, pad)
    out = np.zeros_like(x, dtype=np.float64)
    for j, kv in enumerate(kernel):
        out += kv * xp[j : j + len(x)]
    return out


def phonetic_motion(
    phones: Sequence[Any],
    loudness_db: np.ndarray,
    fps: float,
    frame_count: int,
    intensity: float = 1.0,
    shapes: PhoneticShapes | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mouth motion from phones and loudness.

    Args:
        phones: timed phones (objects with ``label``, ``start``, ``end`` in
            seconds, e.g. :class:`engine.audio.phones.Phone`); ``"sil"`` = silence.
        loudness_db: ``(T,) float32`` loudness per frame in dB
            (:func:`engine.audio.features.loudness`); shorter arrays are padded
            with silence.
        fps: frame rate.
        frame_count: ``T``.
        intensity: scales the motion, 0..2 (1 = as measured).
        shapes: the table; default the shipped one.

    Returns:
        ``(basis, coeffs, mouth_open)``: ``basis (K, 468, 3) float32`` canonical
        units; ``coeffs (T, K) float32`` (exactly 0 in pauses); ``mouth_open
        (T,) float32`` inner-lip opening (13-14) relative to rest, canonical
        units, clipped at 0.
    """
    sh = shapes if shapes is not None else load_shapes()
    k = sh.k
    t = max(int(frame_count), 0)
    coeffs = np.zeros((t, k), np.float32)
    if t == 0:
        return sh.basis, coeffs, np.zeros(0, np.float32)
    rows = _clean_phones(phones)
    target = np.zeros((t, k), np.float64)
    weight = np.full(t, SILENCE_DOMINANCE, np.float64)
    speech = np.zeros(t, bool)
    contact = np.zeros(t, bool)
    ts = (np.arange(t) + 0.5) / fps + LEAD_S
    starts = np.array([r[1] for r in rows]) if rows else np.zeros(0)
    idx = np.searchsorted(starts, ts, side="right") - 1
    for i in range(t):
        j = int(idx[i])
        if j < 0 or ts[i] >= rows[j][2]:
            continue  # no phone: silence
        lab, _, _, is_pause = rows[j]
        if lab == "sil":
            if not is_pause:
                weight[i] = PAUSE_DOMINANCE
            continue
        cls = phone_class(lab)
        vec = sh.coeffs_for(lab)
        if vec is None or cls is None:
            continue
        target[i] = vec
        weight[i] = DOMINANCE.get(cls, 1.0)
        speech[i] = True
        contact[i] = cls in CONTACT_CLASSES

    # Loudness gain (sampled at the same lead), relative to this track's speech.
    loud = np.full(t, -100.0, np.float64)
    ld = np.asarray(loudness_db, np.float64).reshape(-1)[:t]
    loud[: len(ld)] = ld
    if speech.any():
        shift = int(round(LEAD_S * fps))
        loud_s = np.concatenate([loud[shift:], np.full(shift, loud[-1])]) if shift else loud
        lo, hi = np.percentile(loud_s[speech], [10, 90])
        z = np.clip((loud_s - lo) / max(hi - lo, 3.0), 0.0, 1.2)
        gain = np.clip(GAIN_MIN + (1.0 - GAIN_MIN) * z / 0.8, GAIN_MIN, GAIN_MAX)
        scale = np.where(speech & ~contact, gain, 1.0)
        target *= scale[:, None]

    kernel = _gaussian_kernel(fps)
    num = _convolve_rows(target * weight[:, None], kernel)
    den = _convolve_rows(weight, kernel)
    out = num / np.maximum(den, 1e-9)[:, None]
    # Exact rest wherever the kernel sees no speech.
    near_speech = _convolve_rows(speech.astype(np.float64), np.ones(len(kernel))) > 0
    out[~near_speech] = 0.0
    coeffs = (out * float(np.clip(intensity, 0.0, 2.0))).astype(np.float32)
    mouth_open = np.maximum(coeffs @ sh.gap_vector(), 0.0).astype(np.float32)
    return sh.basis, coeffs, mouth_open


def speech_activity(phones: Sequence[Any], frame_count: int, fps: float) -> np.ndarray:
    """``(T,) float32``: 1 where a speech phone (after blip removal) covers the frame centre."""
    act = np.zeros(max(frame_count, 0), np.float32)
    tc = (np.arange(len(act)) + 0.5) / fps
    for lab, a, b, _ in _clean_phones(phones):
        if lab != "sil":
            act[(tc >= a) & (tc < b)] = 1.0
    return act


def build_motion_track(
    phones: Sequence[Any],
    loudness_db: np.ndarray,
    fps: float,
    frame_count: int,
    settings: Any = None,
    blinks: Sequence[Any] | None = None,
) -> Any:
    """Phonetic expression + head motion + eyelids as one :class:`MotionTrack`.

    Args:
        phones, loudness_db, fps, frame_count: as :func:`phonetic_motion`.
        settings: :class:`engine.settings.Settings` (mouth_intensity, seed,
            liveliness, blink_rate, blink_duration); default ``Settings()``.
        blinks: blink events; ``None`` generates them from the settings' seed.

    Returns:
        :class:`engine.motion.track.MotionTrack` with ``T = frame_count``.
    """
    from engine.motion.blinks import BlinkParams, eyelid_track, generate_blinks
    from engine.motion.head import head_motion
    from engine.motion.track import MotionTrack
    from engine.settings import Settings

    s = settings if settings is not None else Settings()
    basis, coeffs, mouth_open = phonetic_motion(
        phones, loudness_db, fps, frame_count, s.mouth_intensity
    )
    if blinks is None:
        blinks = generate_blinks(frame_count / fps, BlinkParams.from_settings(s), s.seed)
    activity = speech_activity(phones, frame_count, fps)
    pose = head_motion(frame_count, fps, s.liveliness, s.seed, activity)
    eyelids = eyelid_track(list(blinks), frame_count, fps)
    return MotionTrack(fps=float(fps), basis=basis, coeffs=coeffs, pose=pose,
                       eyelids=eyelids, mouth_open=mouth_open)
