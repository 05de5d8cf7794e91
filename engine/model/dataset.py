"""From the prepare-data cache to training arrays (numpy only).

For each clip: canonical landmarks (:func:`engine.face.align.to_canonical`,
the same alignment the app applies to a portrait), head pose, the clip's
neutral face (median canonical shape over its silent frames), the expression
residual, blink events from the eye aspect ratio and their eyelid track, and
the 0.2 s feature window of every frame (:mod:`engine.model.features`).

The expression basis is a PCA of the residuals of the training clips, with
the eyelid landmarks left out (the renderer closes the lids from the eyelid
track, so the model must not close them a second time).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.model import features
from engine.model.landmarks import MOUTH_JAW, mouth_opening

log = logging.getLogger(__name__)

#: Landmarks whose motion belongs to the renderer's eyelid track, not the expression.
EYELID_POINTS = (246, 161, 160, 159, 158, 157, 173, 7, 163, 144, 145, 153, 154, 155,
                 466, 388, 387, 386, 385, 384, 398, 249, 390, 373, 374, 380, 381, 382)


@dataclass
class Clip:
    """One prepared clip, ready for training or evaluation."""

    name: str
    speaker: str
    fps: float
    canon: np.ndarray        # (T, 468, 3) float32
    neutral: np.ndarray      # (468, 3) float32
    first: np.ndarray        # (468, 3) float32, canonical first frame
    expr: np.ndarray         # (T, 468, 3) float32 residual vs neutral
    pose: np.ndarray         # (T, 6) float32 relative to the clip's median
    audio: np.ndarray        # (T, COLS, CHANNELS) float32 model input (features.assemble)
    eyelids: np.ndarray      # (T, 2) float32 closure from blink events
    blinks: list             # [BlinkEvent]
    silence: np.ndarray      # (T,) bool
    loudness: np.ndarray     # (T,) float32 dB
    opening: np.ndarray      # (T,) float32 real inner-lip gap, IOD units
    valid: np.ndarray        # (T,) bool face present
    mel: np.ndarray          # (M, N_MELS) float32 log-mel dB, 10 ms hop (raw, for augmentation)
    phones: np.ndarray       # (M, N_PHONE) float32 one-hot phone classes, 10 ms hop
    f0: np.ndarray           # (M,) float32 pitch, Hz (0 unvoiced)
    aper: np.ndarray         # (M,) float32 aperiodicity 0..1
    #: frames the picture starts after the sound: row ``j`` of the per-frame arrays is
    #: the sound's frame ``j``, shown in the video's frame ``j - video_shift``
    video_shift: int = 0

    @property
    def frames(self) -> int:
        return int(self.canon.shape[0])


def canonical_and_pose(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(T,468,3)`` pixels -> ``(canon (T,468,3), pose (T,6))``; pose per track.POSE_FIELDS.

    Pose: pitch, yaw, roll (radians, the face's rotation in the image), tx, ty
    (eye midpoint shift in units of the clip's median IOD) and log scale, each
    relative to the clip's median.
    """
    from engine.face.align import face_angles, to_canonical

    t_n = lm.shape[0]
    canon = np.zeros((t_n, 468, 3), np.float32)
    ang = np.zeros((t_n, 3))
    scale = np.zeros(t_n)
    for i in range(t_n):
        c, sim = to_canonical(lm[i])
        canon[i] = c
        ang[i] = face_angles(sim)
        scale[i] = 1.0 / sim.scale
    eyes = 0.5 * (lm[:, 33, :2] + lm[:, 263, :2])
    med_scale = float(np.median(scale))
    trans = (eyes - np.median(eyes, 0)) / max(med_scale, 1e-9)
    pose = np.concatenate([ang - np.median(ang, 0), trans,
                           np.log(scale / med_scale)[:, None]], 1).astype(np.float32)
    return canon, pose


def blinks_of(canon: np.ndarray, valid: np.ndarray, fps: float) -> list:
    """Blink events in a clip's tracked landmarks ``(T, 468, 3)``
    (:func:`engine.motion.blink_detect.find_blinks`).

    Depth: peak closure over 0.3, capped at 1 (a lid seen shut on GRID video
    reads as closure 0.25-0.45).
    """
    from engine.motion.blink_detect import closure_signal, find_blinks
    from engine.motion.blinks import BlinkEvent

    out = []
    for b in find_blinks(closure_signal(canon, valid), fps):
        out.append(BlinkEvent(round(b["onset"], 4), round(max(b["duration"], 0.06), 4),
                              round(min(b["peak"] / 0.3, 1.0), 3)))
    return out


def load_clip(path: Path | str) -> Clip:
    """Read one ``.npz`` of the prepare-data cache."""
    from engine.audio.phones import Phone
    from engine.media.video import shift_frames
    from engine.motion.blinks import eyelid_track

    p = Path(path)
    with np.load(p) as d:
        lm = d["landmarks"].astype(np.float64)
        presence = d["presence"]
        mel = d["mel"]
        loud = d["loudness"]
        sil = d["silence"].astype(bool)
        fps = float(d["fps"])
        if "f0" not in d.files or "picture_delay" not in d.files:
            raise ValueError(f"{p} was prepared by an older version: run prepare-data again")
        f0, aper = d["f0"], d["aper"]
        shift = int(round(float(d["picture_delay"]) * fps))
        phones = [Phone(str(lab), float(a), float(b)) for lab, (a, b) in
                  zip(d["phone_labels"], d["phone_times"], strict=True)]
    # the landmarks onto the sound's clock, as the loudness, silence and features are
    lm = shift_frames(lm, shift)
    presence = shift_frames(presence, shift, fill=0.0)
    valid = presence >= 0.5
    canon, pose = canonical_and_pose(lm)
    opening = mouth_opening(canon)
    pick = sil & valid
    if pick.sum() < 3:
        pick = valid & (opening <= np.percentile(opening, 20))
    if pick.sum() < 1:
        pick = np.ones(len(canon), bool)
    neutral = np.median(canon[pick], 0).astype(np.float32)
    expr = (canon - neutral).astype(np.float32)
    expr[:, list(EYELID_POINTS)] = 0.0
    t_n = canon.shape[0]
    onehot = features.phone_channels(phones, len(mel))
    audio = features.frame_windows(features.assemble(mel, onehot, f0, aper), t_n, fps)
    blinks = blinks_of(canon, valid, fps)
    return Clip(p.stem, p.parent.name, fps, canon, neutral, canon[0].copy(), expr, pose,
                audio, eyelid_track(blinks, t_n, fps), blinks, sil, loud.astype(np.float32),
                opening, valid, mel.astype(np.float32), onehot, f0.astype(np.float32),
                aper.astype(np.float32), shift)


def with_closed_rest(c: Clip) -> Clip:
    """The clip with its rest face's lips closed by the app's rest estimate
    (:func:`engine.motion.rest.rest_offset`) and its expression measured from there."""
    from engine.motion.rest import rest_offset

    off = rest_offset(c.neutral).astype(np.float32)
    expr = (c.expr - off[None]).astype(np.float32)
    expr[:, list(EYELID_POINTS)] = 0.0
    return dataclasses.replace(c, neutral=(c.neutral + off).astype(np.float32), expr=expr)


#: Bump when :func:`load_clip` derives anything differently: memoised clips of
#: another version are rebuilt. 2: blinks from :mod:`engine.motion.blink_detect`.
#: 3: speaker-independent features (phones, pitch, normalised mel). 4: the landmarks
#: on the sound's clock (``picture_delay``).
CLIP_VERSION = 4


def _stamp(paths: list[Path]) -> list[tuple[int, int] | None]:
    out: list[tuple[int, int] | None] = []
    for p in paths:
        try:
            st = Path(p).stat()
            out.append((int(st.st_size), int(st.st_mtime)))
        except OSError:
            out.append(None)
    return out


def load_clips(paths: list[Path], cache: Path | None = None) -> list[Clip]:
    """Load many clips; ``cache`` (a ``.pkl``) memoises the result."""
    import pickle

    if cache is not None and cache.is_file():
        try:
            with open(cache, "rb") as f:
                stored = pickle.load(f)
            if (stored.get("version") == CLIP_VERSION and stored["paths"] == [str(p) for p in paths]
                    and stored.get("stamp") == _stamp(paths)):
                return stored["clips"]
        except Exception:  # a damaged memo is rebuilt
            pass
    clips = [load_clip(p) for p in paths]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        # a temporary file of its own: two evaluations started together share the memo
        fd, tmp = tempfile.mkstemp(prefix=f".{cache.name}.", dir=cache.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"version": CLIP_VERSION, "paths": [str(p) for p in paths],
                             "clips": clips, "stamp": _stamp(paths)}, f, protocol=4)
            os.replace(tmp, cache)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return clips


def split_clips(data: Path, held_out: int = 50, seed: int = 0, train_speaker: str = "s1",
                extra: dict[str, int] | None = None,
                watch: tuple[str, ...] = ("s4hq",)) -> dict:
    """``{"train": [...], "val_s1": [...], "val_<speaker>": [...], "<speaker>": [...]}``
    lists of ``.npz`` paths.

    ``held_out`` clips of ``train_speaker`` and ``extra[speaker]`` clips of each extra
    training speaker, drawn with ``seed``, are kept out of training (``val_<speaker>``);
    every clip of a ``watch`` speaker not trained on is listed under its name (the
    training log follows the model on it).
    """
    data = Path(data)
    rng = np.random.default_rng(seed)
    out: dict = {"train": []}
    for sp, n in {train_speaker: held_out, **(extra or {})}.items():
        clips = sorted((data / sp).glob("*.npz"))
        idx = rng.permutation(len(clips))
        hold = set(idx[: min(n, max(len(clips) - 1, 0))].tolist())
        out["train"] += [str(p) for i, p in enumerate(clips) if i not in hold]
        out[f"val_{sp}"] = [str(p) for i, p in enumerate(clips) if i in hold]
    for sp in watch:
        if sp not in (extra or {}):
            out[sp] = [str(p) for p in sorted((data / sp).glob("*.npz"))]
    return out


def save_split(split: dict, path: Path) -> None:
    path.write_text(json.dumps(split, indent=1))


@dataclass
class Normalisers:
    """PCA basis and the scales of the model's outputs."""

    mean: np.ndarray        # (468, 3) mean expression (added back)
    basis: np.ndarray       # (K, 468, 3) orthonormal directions (flattened)
    coeff_std: np.ndarray   # (K,) std of the training coefficients
    pose_std: np.ndarray    # (6,)
    neutral_mean: np.ndarray  # (468, 3) mean neutral face of the training clips

    def to_dict(self) -> dict:
        return {k: getattr(self, k).tolist() for k in
                ("mean", "basis", "coeff_std", "pose_std", "neutral_mean")}

    @classmethod
    def from_dict(cls, d: dict) -> Normalisers:
        return cls(**{k: np.asarray(v, np.float32) for k, v in d.items()})


def fit_normalisers(clips: list[Clip], k: int = 20) -> Normalisers:
    """PCA of the training expressions (K components) and pose scales."""
    x = np.concatenate([c.expr[c.valid].reshape(-1, 468 * 3) for c in clips], 0)
    mean = x.mean(0)
    sub = (x[:: max(1, len(x) // 8000)] - mean).astype(np.float64)
    _, s, vt = np.linalg.svd(sub, full_matrices=False)
    basis = vt[:k]
    coeffs = sub @ basis.T
    std = coeffs.std(0) + 1e-6
    var = (s ** 2)
    log.info("PCA: %d components keep %.1f%% of the expression variance", k,
             100 * var[:k].sum() / var.sum())
    pose = np.concatenate([c.pose[c.valid] for c in clips], 0)
    return Normalisers(mean.reshape(468, 3).astype(np.float32),
                       basis.reshape(k, 468, 3).astype(np.float32), std.astype(np.float32),
                       (pose.std(0) + 1e-6).astype(np.float32),
                       np.mean([c.neutral for c in clips], 0).astype(np.float32))


def project(clip: Clip, norm: Normalisers) -> np.ndarray:
    """``(T, K) float32`` normalised PCA coefficients of a clip's expression."""
    return project_expr(clip.expr, norm)


def project_expr(expr: np.ndarray, norm: Normalisers) -> np.ndarray:
    """``(T, K) float32`` normalised PCA coefficients of expressions ``(T, 468, 3)``."""
    x = (expr - norm.mean).reshape(len(expr), -1)
    return ((x @ norm.basis.reshape(len(norm.basis), -1).T) / norm.coeff_std).astype(np.float32)


MOUTH_JAW_IDX = np.array(MOUTH_JAW)
