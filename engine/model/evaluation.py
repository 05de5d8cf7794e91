"""Validation of motion sources against real talking video (numpy + onnxruntime, no torch).

For every validation clip (from the prepare-data cache) and for **two portraits**
of it, its first frame and the frame where its real mouth is widest, generate
motion from the clip's own audio as the app would (rest pose, mouth, head) and
compare it with the landmarks tracked in the real video:

- ``r``: Pearson r of the inner-lip opening (13-14), generated vs real, at lag 0;
- ``r_speech``: the same from the first to the last phone the recogniser hears (a
  breath before the first word, say, left out);
- ``lag``: the lag in frames (-5..5) that maximises that r (positive = generated
  later than real);
- ``lmd``: mean distance of the 40 lip landmarks (x/y, canonical frame, so in
  inter-ocular distances), generated vs real;
- ``closed``: the share of silent frames (loudness 35 dB under the clip's peak, or
  GRID's ``sil`` where an alignment exists) whose generated opening is below
  :data:`CLOSED` (0.02 IOD, about 1.3 mm on an adult face);
- ``std_ratio``: the standard deviation of the opening, generated over real;
- ``head_ratio``: the standard deviation of the head rotation (root of the summed
  variances of pitch, yaw and roll), generated over real.

Sources (:func:`make_sources`): the app's motion with one or more ONNX models, and
two baselines with the same rest pose and the head sway Talkie had before this
model: phonetic (pocketsphinx phones -> measured mouth shapes) and loudness (the
training clips' mean opening shape scaled by loudness).

Summaries (:mod:`engine.model.eval_summary`) give, per set and over all
validation clips, the median and the worst clip of each metric; for ``closed``,
the share of all silent frames and the worst clip with at least ``MIN_SILENT``
of them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.model import dataset as ds
from engine.model.eval_summary import markdown, summarise
from engine.model.landmarks import LIP_LO, LIP_UP, MOUTH
from engine.model.validation_set import SHARED, VALIDATION, EvalClip, choose_sets, validation_clips

log = logging.getLogger(__name__)

MAX_LAG = 5
#: A generated mouth counts as closed when its inner-lip opening is below this (IOD).
CLOSED = 0.02
PORTRAITS = ("first", "widest")
#: The upper edges of the brows and the eye corners: brow height is the eye corners'
#: mean height less the brows' (canonical units, up positive).
BROWS = [70, 63, 105, 66, 107, 300, 293, 334, 296, 336]
EYE_CORNERS = [33, 133, 362, 263]


def opening_of(shapes: np.ndarray) -> np.ndarray:
    """``(T,)`` inner-lip opening (13-14, x/y) of ``(T, 468, 3)`` canonical shapes."""
    return np.linalg.norm(shapes[:, LIP_UP, :2] - shapes[:, LIP_LO, :2], axis=-1)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.std(a) < 1e-9 or np.std(b) < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def best_lag(gen: np.ndarray, real: np.ndarray, max_lag: int = MAX_LAG) -> int:
    """The lag (frames, -max_lag..max_lag, positive = generated later) where the opening's
    r with the real one peaks (the first such): the self-check's lag curve
    (:func:`engine.evaluate.lag_curve`)."""
    from engine.evaluate import lag_curve

    return int(np.argmax(lag_curve(gen, real, max_lag))) - max_lag


def brow_height(shapes: np.ndarray) -> np.ndarray:
    """``(T,)`` brow height of ``(T, 468, 3)`` canonical shapes (:data:`BROWS`)."""
    return shapes[:, EYE_CORNERS, 1].mean(axis=1) - shapes[:, BROWS, 1].mean(axis=1)


def rotation_std(pose: np.ndarray) -> float:
    """Degrees: root of the summed variances of pitch, yaw and roll of ``(T, 6)`` poses."""
    if len(pose) < 2:
        return 0.0
    return float(np.degrees(np.sqrt(np.var(np.asarray(pose)[:, :3], axis=0).sum())))


def portrait_frame(clip: ds.Clip, choice: str) -> int:
    """The clip's frame used as the portrait: ``"first"`` or ``"widest"`` (real mouth)."""
    if choice == "first":
        return 0
    if choice == "widest":
        op = np.where(clip.valid, clip.opening, -1.0)
        return int(np.argmax(op))
    raise ValueError(f"unknown portrait choice {choice!r}")


def clip_metrics(disp: np.ndarray, pose: np.ndarray, clip: ds.Clip, frame: int,
                 speech: tuple[int, int] | None = None) -> dict:
    """Metrics of generated motion for one clip and one portrait frame.

    Args:
        disp: ``(T, 468, 3)`` displacement from the portrait's face, canonical units.
        pose: ``(T, 6)`` generated head pose (radians in the first three columns).
        clip: the real clip.
        frame: the portrait's frame in the clip.
        speech: ``(first, end)`` frames from the first to the last recognised speech
            phone; gives ``r_speech``, the opening's r inside them (what a speaker does
            before and after speaking, a breath, say, left out).
    """
    shapes = clip.canon[frame][None] + disp
    gen_op = opening_of(shapes)
    real_op = clip.opening
    ok = clip.valid
    mouth = list(MOUTH)
    lmd = float(np.linalg.norm(shapes[ok][:, mouth, :2] - clip.canon[ok][:, mouth, :2],
                               axis=-1).mean())
    sil = clip.silence & ok
    real_head = rotation_std(clip.pose[ok])
    inside = np.zeros_like(ok)
    if speech is not None:
        inside[speech[0]:speech[1]] = True
    inside &= ok
    return {
        "r": pearson(gen_op[ok], real_op[ok]), "lag": best_lag(gen_op, real_op), "lmd": lmd,
        "r_speech": pearson(gen_op[inside], real_op[inside]) if inside.sum() >= 3
        else float("nan"),
        "closed": float((gen_op[sil] < CLOSED).mean()) if sil.any() else float("nan"),
        "real_closed": float((real_op[sil] < CLOSED).mean()) if sil.any() else float("nan"),
        "silent_frames": int(sil.sum()),
        "std_ratio": float(np.std(gen_op[ok])) / max(float(np.std(real_op[ok])), 1e-9),
        "head_ratio": rotation_std(pose[ok]) / max(real_head, 1e-9),
        "brow_ratio": float(np.std(brow_height(shapes)[ok]))
        / max(float(np.std(brow_height(clip.canon)[ok])), 1e-9),
        "real_head_deg": real_head, "real_open_std": float(np.std(real_op[ok])),
    }


# ----------------------------------------------------------------------------- sources
#: A source maps (clip, portrait frame) to (disp (T, 468, 3), pose (T, 6)).
Source = Callable[[EvalClip, int], tuple[np.ndarray, np.ndarray]]


def _old_sway(ec: EvalClip) -> np.ndarray:
    """The head motion Talkie had before the prosody model: seeded sinusoids, amount 1."""
    from engine.motion.head import head_motion
    from engine.motion.phonetic import speech_activity

    c = ec.clip
    return head_motion(c.frames, c.fps, 1.0, 0, speech_activity(ec.phones(), c.frames, c.fps))


def portrait_face(ec: EvalClip, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """``(face, mend)``: the portrait's face as the app rigs it (closed lips drawn crossed
    by the tracker parted, :func:`engine.motion.rest.uncrossed_lips`), and that change,
    ``(468, 3)`` canonical units: part of every source's displacement from the frame."""
    from engine.motion.rest import uncrossed_lips

    mend = uncrossed_lips(ec.clip.canon[frame])
    return ec.clip.canon[frame] + mend, mend


def _rest(ec: EvalClip, frame: int) -> np.ndarray:
    """Displacement from the portrait frame to its rest face (the baselines' start)."""
    from engine.motion.rest import rest_offset

    face, mend = portrait_face(ec, frame)
    return mend + rest_offset(face)


def loudness_shape(train: list[ds.Clip]) -> tuple[np.ndarray, float]:
    """``(direction (468,3), gain)``: mean expression per unit opening, and opening per unit z.

    The loudness baseline's opening is ``gain * z`` with ``z = clip((dB - (p95 - 35)) / 35, 0, 1)``.
    """
    num = np.zeros((468, 3))
    den = 0.0
    zs, ops = [], []
    for c in train:
        op = c.opening - np.median(c.opening[c.silence]) if c.silence.any() else c.opening
        num += np.tensordot(op, c.expr, axes=1)
        den += float((op * op).sum())
        zs.append(loud_z(c.loudness))
        ops.append(op)
    z = np.concatenate(zs)
    o = np.concatenate(ops)
    gain = float((z * o).sum() / max((z * z).sum(), 1e-9))
    return (num / max(den, 1e-9)).astype(np.float32), gain


def loud_z(loud: np.ndarray) -> np.ndarray:
    ref = float(np.percentile(loud, 95)) - 35.0
    return np.clip((loud - ref) / 35.0, 0.0, 1.0)


def make_sources(models: dict[str, Path], train: list[ds.Clip] | None,
                 phonetic: bool = True, ungated: bool = False,
                 breaths: tuple[float, ...] = ()) -> dict[str, Source]:
    """The app's motion with each model, as the app makes it by default (and without its
    pause gate, and with each *Breath* setting in ``breaths``), and the baselines."""
    from engine.motion.breath import DEFAULT as default
    from engine.motion.speech import speech_motion

    variants = [(True, default)] + ([(False, default)] if ungated else []) + \
        [(True, b) for b in breaths if b != default]
    sources: dict[str, Source] = {}
    for name, path in models.items():
        for gate, breath in variants:
            def gan(ec: EvalClip, frame: int, path=path, gate=gate, breath=breath
                    ) -> tuple[np.ndarray, np.ndarray]:
                c = ec.clip
                face, mend = portrait_face(ec, frame)
                m = speech_motion(ec.voice, c.fps, c.frames, face, blinks=c.blinks,
                                  model=path, gate=gate, breath=breath)
                return np.tensordot(m.coeffs, m.basis, axes=1) + mend, m.pose
            label = name if gate else f"{name}, no pause gate"
            sources[f"{label}, breath {breath:g}" if breath != default else label] = gan
    if phonetic:
        from engine.motion.phonetic import phonetic_motion

        def phon(ec: EvalClip, frame: int) -> tuple[np.ndarray, np.ndarray]:
            c = ec.clip
            basis, coeffs, _ = phonetic_motion(ec.phones(), c.loudness, c.fps, c.frames)
            disp = np.tensordot(coeffs, basis, axes=1) + _rest(ec, frame)
            return disp, _old_sway(ec)
        sources["phonetic baseline"] = phon
    if train:
        direction, gain = loudness_shape(train)

        def loudb(ec: EvalClip, frame: int) -> tuple[np.ndarray, np.ndarray]:
            c = ec.clip
            disp = (gain * loud_z(c.loudness))[:, None, None] * direction[None] + _rest(ec, frame)
            return disp, _old_sway(ec)
        sources["loudness baseline"] = loudb
    return sources


# ----------------------------------------------------------------------------- rendered
def rendered_opening(ec: EvalClip, frame: int, model: Path | None, size: int = 512
                     ) -> np.ndarray:
    """``(T,)`` inner-lip opening (IOD units) of the *rendered* video, re-tracked.

    The portrait is the clip's real frame ``frame`` (faces found by the app's detector);
    the motion is the app's (:func:`engine.motion.speech.speech_motion`); every frame is
    rendered at ``size`` px and tracked again with the face mesh, as the real video was.
    """
    from engine.analysis import analyse_portrait
    from engine.face.align import to_canonical
    from engine.media.image import Image
    from engine.media.video import iter_frames
    from engine.model.data import track_frames
    from engine.model.landmarks import mouth_opening
    from engine.motion.blinks import eyelid_track
    from engine.motion.speech import speech_motion
    from engine.motion.track import MotionTrack
    from engine.render import render_frame

    c = ec.clip
    shown = min(max(frame - c.video_shift, 0), c.frames - 1)  # the video's own frame
    still = next(f for i, f in enumerate(iter_frames(ec.video)) if i == shown)
    portrait = analyse_portrait(Image(rgb=still, alpha=None, path=str(ec.video)))
    m = speech_motion(ec.voice, c.fps, c.frames, portrait.rig.neutral, blinks=c.blinks,
                      model=model)
    track = MotionTrack(c.fps, m.basis, m.coeffs, m.pose, eyelid_track(c.blinks, c.frames,
                                                                          c.fps), m.mouth_open)
    lm, _ = track_frames(render_frame(portrait.rig, track, i, size) for i in range(c.frames))
    return np.asarray([mouth_opening(to_canonical(x)[0][None])[0] for x in lm], np.float32)


def rendered_rows(clips: list[EvalClip], models: dict[str, Path]) -> list[dict]:
    """``r`` and ``lag`` of the re-tracked render's mouth against the real one."""
    rows = []
    for ec in clips:
        for choice in PORTRAITS:
            frame = portrait_frame(ec.clip, choice)
            for name, path in models.items():
                op = rendered_opening(ec, frame, path)
                ok = ec.clip.valid
                rows.append({"set": ec.set, "speaker": ec.clip.speaker, "clip": ec.name,
                             "portrait": choice, "source": f"{name} (rendered)",
                             "r": pearson(op[ok], ec.clip.opening[ok]),
                             "lag": best_lag(op, ec.clip.opening)})
        log.info("rendered %s/%s", ec.clip.speaker, ec.name)
    return rows


# ----------------------------------------------------------------------------- running
def evaluate_clips(clips: list[EvalClip], sources: dict[str, Source]) -> list[dict]:
    """One row per (clip, portrait, source) with :func:`clip_metrics`."""
    rows = []
    for ec in clips:
        span = ec.speech_span()
        for choice in PORTRAITS:
            frame = portrait_frame(ec.clip, choice)
            for src, fn in sources.items():
                disp, pose = fn(ec, frame)
                m = clip_metrics(disp, pose, ec.clip, frame, span)
                rows.append({"set": ec.set, "speaker": ec.clip.speaker, "clip": ec.name,
                             "portrait": choice, "frame": frame, "source": src, **m})
        log.info("evaluated %s/%s", ec.clip.speaker, ec.name)
    return rows


def evaluate_all(data: Path | str, models: list | None = None, shared: Path | str | None = None,
                 split: Path | str | None = None, out: Path | str | None = None,
                 phonetic: bool = True, sets: list[str] | None = None,
                 ungated: bool = False, rendered: bool = False,
                 breaths: tuple[float, ...] = ()) -> dict:
    """Evaluate models and baselines on the validation sets; ``{"rows", "summary", "markdown"}``.

    Args:
        data: the prepare-data cache (validation speakers and s1 for the loudness baseline).
        models: ONNX models, ``name=path`` or a path; default the shipped one.
        shared: ``../shared/data`` (audio).
        split: a run's ``split.json``; its training clips fit the loudness baseline.
        out: write ``eval.json`` and ``eval.md`` here.
        sets: validation set names (default all of :data:`VALIDATION`).
        ungated: also evaluate each model without its pause gate.
        rendered: also render every clip and re-track the rendered mouth
            (:func:`rendered_rows`; minutes).
        breaths: also evaluate each model with these *Breath* settings (the app's
            default, :data:`engine.motion.breath.DEFAULT`, is always evaluated).
    """
    data = Path(data)
    named: dict[str, Path] = {}
    for m in models or []:
        s = str(m)
        k, _, v = s.partition("=") if "=" in s else ("", "", s)
        named[k or ("gan" if not named else Path(v).stem)] = Path(v)
    if not named:
        from engine.model.inference import default_model_path
        named["gan"] = default_model_path()
    if split:
        train_paths = json.loads(Path(split).read_text())["train"]
    else:
        train_paths = [str(p) for p in sorted((data / "s1").glob("*.npz"))]
    train = ds.load_clips([Path(p) for p in train_paths[::5]], data / "_memo" / "eval_train.pkl") \
        if train_paths else []
    chosen = VALIDATION if sets is None else choose_sets(sets)
    clips = validation_clips(data, Path(shared) if shared else SHARED, chosen)
    rows = evaluate_clips(clips, make_sources(named, train, phonetic, ungated, tuple(breaths)))
    if rendered:
        rows += rendered_rows(clips, named)
    summary = summarise(rows, lambda r: r["set"])
    summary.update(summarise(rows, lambda r: "all validation clips"))
    summary.update(summarise(rows, lambda r: f"all, portrait = {r['portrait']} frame"))
    md = markdown(summary)
    if out:
        o = Path(out)
        o.mkdir(parents=True, exist_ok=True)
        (o / "eval.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
        (o / "eval.md").write_text(md + "\n")
    return {"rows": rows, "summary": summary, "markdown": md}
