"""Timed phones from speech audio, with pocketsphinx's phone loop.

This is the recogniser set-up Rhubarb Lip Sync uses for its "phonetic"
mode: pocketsphinx 5's US English acoustic model and its phone language
model (``en-us-phone.lm.bin``, both inside the wheel), searched as a phone
loop (``allphone``) with context-independent phones, a language weight of
0.8 and batch cepstral mean normalisation.

Long audio is decoded in chunks of about :data:`CHUNK_SECONDS`, cut at the
quietest point near each chunk's end, so memory stays flat whatever the
length; progress is reported and cancellation checked between chunks.

Labels are lower-case ARPAbet (``"aa"``, ``"b"``, ``"m"`` ...) without
stress digits; every kind of silence and noise (``SIL``, ``+NSN+``,
``+SPN+`` ...) is labelled ``"sil"``. Stretches that the recogniser labels
as speech but whose level is far below the speech around them (breaths,
clicks, room noise) are relabelled ``"sil"`` as well, so that the mouth
does not chatter in pauses.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from engine.cancel import CancelToken, ProgressFn
from engine.errors import ModelError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
#: Label of silence and of every non-speech sound.
SIL = "sil"
#: Target length of one decoding chunk, seconds.
CHUNK_SECONDS = 30.0
#: A chunk is cut at the quietest 10 ms frame within this many seconds of
#: its target end.
CHUNK_SLACK = 5.0
#: Pocketsphinx frame rate (frames per second).
_FRATE = 100
_HOP = SAMPLE_RATE // _FRATE
#: Beam widths. Rhubarb uses 1e-20; on a 60 s GRID concatenation 1e-10 gives
#: the identical phone string (100 % frame agreement) about 20 % faster.
BEAM = 1e-10
PBEAM = 1e-10
LANGUAGE_WEIGHT = 0.8
#: A run of speech phones (a stretch between silences) counts as speech only
#: if at least :data:`MIN_LOUD_FRAMES` of its 10 ms frames are within this
#: many dB of the chunk's speech level (95th percentile of frame level).
#: Lip smacks, clicks and breaths before and after speech fail this test.
NOISE_BELOW_SPEECH_DB = 12.0
MIN_LOUD_FRAMES = 5
#: A run of speech phones whose loudest frame is below this level (dBFS) is
#: noise whatever the rest of the chunk does; digital silence is far below.
ABSOLUTE_FLOOR_DB = -55.0


@dataclass(frozen=True)
class Phone:
    """One recognised phone.

    Attributes:
        label: lower-case ARPAbet phone (``"aa"``, ``"m"`` ...) or ``"sil"``.
        start: start time in seconds from the start of the audio.
        end: end time in seconds (exclusive); ``end > start``.
    """

    label: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def _model_paths() -> tuple[str, str]:
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError(
            "The speech recogniser (pocketsphinx) is not installed. Reinstall Talkie."
        ) from exc
    root = os.path.join(pocketsphinx.get_model_path(), "en-us")
    hmm = os.path.join(root, "en-us")
    lm = os.path.join(root, "en-us-phone.lm.bin")
    if not (os.path.isdir(hmm) and os.path.isfile(lm)):
        raise ModelError(
            "The speech recogniser's English model is missing. Reinstall Talkie."
        )
    return hmm, lm


def _make_decoder() -> object:
    from pocketsphinx import Config, Decoder

    hmm, lm = _model_paths()
    config = Config(
        hmm=hmm,
        allphone=lm,
        lm=None,
        dict=None,
        allphone_ci=True,
        lw=LANGUAGE_WEIGHT,
        beam=BEAM,
        pbeam=PBEAM,
        cmn="batch",
        loglevel="FATAL",
    )
    try:
        return Decoder(config)
    except Exception as exc:  # pocketsphinx raises RuntimeError on bad models
        raise ModelError(
            "The speech recogniser's English model could not be loaded. Reinstall Talkie."
        ) from exc


def _normalise_label(word: str) -> str:
    w = word.strip()
    if not w or w.upper() == "SIL" or (w.startswith("+") and w.endswith("+")):
        return SIL
    if w.startswith("<") or w.startswith("["):
        return SIL
    return w.rstrip("012").lower()


def _frame_db(samples: np.ndarray) -> np.ndarray:
    """``(F,) float32`` level in dBFS of consecutive 10 ms frames."""
    n = len(samples) // _HOP
    if n == 0:
        return np.zeros(0, np.float32)
    frames = np.asarray(samples[: n * _HOP], dtype=np.float32).reshape(n, _HOP)
    power = np.einsum("ij,ij->i", frames, frames) / _HOP
    return (10.0 * np.log10(power + 1e-12)).astype(np.float32)


def _chunk_bounds(samples: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of the decoding chunks, cut at quiet points."""
    n = len(samples)
    chunk = int(CHUNK_SECONDS * SAMPLE_RATE)
    slack = int(CHUNK_SLACK * SAMPLE_RATE)
    bounds: list[tuple[int, int]] = []
    start = 0
    while n - start > chunk + slack:
        lo = start + chunk - slack
        hi = start + chunk + slack
        db = _frame_db(samples[lo:hi])
        # Smooth over 50 ms so a single quiet frame inside a word does not win.
        smooth = np.convolve(db, np.ones(5, np.float32) / 5, mode="same")
        cut = lo + int(np.argmin(smooth)) * _HOP + _HOP // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, n))
    return bounds


def _decode_chunk(decoder: object, samples: np.ndarray) -> list[tuple[str, int, int]]:
    """``(label, start_frame, end_frame_exclusive)`` for one chunk (100 fps)."""
    pcm = np.clip(samples, -1.0, 1.0)
    pcm *= 32767.0
    raw = pcm.astype("<i2").tobytes()
    del pcm
    decoder.start_utt()  # type: ignore[attr-defined]
    decoder.process_raw(raw, full_utt=True)  # type: ignore[attr-defined]
    decoder.end_utt()  # type: ignore[attr-defined]
    out = []
    for seg in decoder.seg():  # type: ignore[attr-defined]
        out.append((_normalise_label(seg.word), int(seg.start_frame), int(seg.end_frame) + 1))
    return out


def _gate_noise(
    segs: list[tuple[str, int, int]], db: np.ndarray
) -> list[tuple[str, int, int]]:
    """Relabel as silence the runs of speech phones that are far quieter than speech."""
    if len(db) == 0:
        return [(SIL, a, b) for _, a, b in segs]
    speech_level = float(np.percentile(db, 95))
    threshold = max(speech_level - NOISE_BELOW_SPEECH_DB, ABSOLUTE_FLOOR_DB)
    out = list(segs)
    i = 0
    while i < len(out):
        if out[i][0] == SIL:
            i += 1
            continue
        j = i
        while j < len(out) and out[j][0] != SIL:
            j += 1
        a, b = out[i][1], out[j - 1][2]
        loud = int(np.count_nonzero(db[a:b] > threshold))
        if loud < MIN_LOUD_FRAMES:
            for k in range(i, j):
                out[k] = (SIL, out[k][1], out[k][2])
        i = j
    return out


def _tidy(phones: list[Phone], duration: float) -> list[Phone]:
    """Contiguous phones covering ``[0, duration]``; gaps become sil; sils merged."""
    out: list[Phone] = []
    t = 0.0
    for p in phones:
        start = max(p.start, t)
        end = min(p.end, duration)
        if end <= start + 1e-9:
            continue
        if start > t + 1e-9:
            out.append(Phone(SIL, t, start))
        out.append(Phone(p.label, start, end))
        t = end
    if duration > t + 1e-9:
        out.append(Phone(SIL, t, duration))
    merged: list[Phone] = []
    for p in out:
        if merged and merged[-1].label == p.label == SIL:
            merged[-1] = Phone(SIL, merged[-1].start, p.end)
        else:
            merged.append(p)
    return merged


def recognise_phones(
    samples: np.ndarray,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[Phone]:
    """Recognise timed phones in speech.

    Args:
        samples: ``(N,) float32`` mono audio at 16 kHz in [-1, 1].
        progress: called as ``progress(fraction, message)`` between chunks.
        cancel: checked between chunks; raises :class:`engine.errors.Cancelled`.

    Returns:
        Phones in time order, contiguous, covering ``[0, N / 16000]`` seconds;
        silence and noise labelled ``"sil"``. Empty input gives ``[]``.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    duration = len(x) / SAMPLE_RATE
    if len(x) == 0:
        return []
    decoder = _make_decoder()
    bounds = _chunk_bounds(x)
    phones: list[Phone] = []
    for k, (a, b) in enumerate(bounds):
        if cancel is not None:
            cancel.check()
        if progress is not None:
            progress(k / len(bounds), "Recognising phones")
        chunk = x[a:b]
        db = _frame_db(chunk)
        if len(db) == 0 or float(np.max(db)) < ABSOLUTE_FLOOR_DB:
            segs = []  # silence: no need to decode
        else:
            segs = _gate_noise(_decode_chunk(decoder, chunk), db)
        offset = a / SAMPLE_RATE
        for label, fa, fb in segs:
            phones.append(Phone(label, offset + fa / _FRATE, offset + fb / _FRATE))
        log.debug("phones: chunk %d/%d %.1f-%.1f s, %d segments",
                  k + 1, len(bounds), a / SAMPLE_RATE, b / SAMPLE_RATE, len(segs))
    if cancel is not None:
        cancel.check()
    if progress is not None:
        progress(1.0, "Recognising phones")
    return _tidy(phones, duration)
