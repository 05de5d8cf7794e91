"""Timed phones from speech and its dialogue text (forced alignment).

When the artist knows what is said, aligning that text is far more reliable
than recognising free phones: the words are given, only their timing is
searched. pocketsphinx 5 does it in two passes over the same audio: the
first finds the words' boundaries in a grammar built from the text
(``set_align_text``), the second finds each phone inside them
(``set_alignment``). On GRID s1 ``bbaf2n`` the word boundaries land within
40 ms of the corpus's hand-checked alignment.

Words missing from pocketsphinx's pronouncing dictionary (CMUdict, 134 000
English words) cannot be aligned; :func:`align_phones` then raises
:class:`TextAlignmentError` naming them, and callers fall back to the phone
loop (:func:`engine.audio.phones.recognise_phones`).
"""

from __future__ import annotations

import logging
import os
import re

import numpy as np

from engine.audio.phones import (
    SAMPLE_RATE,
    Phone,
    _model_paths,
    _normalise_label,
    _tidy,
)
from engine.cancel import CancelToken
from engine.errors import TalkieError

log = logging.getLogger(__name__)

_FRATE = 100  # pocketsphinx frames per second
#: Longest audio aligned in one piece, seconds (the search holds every frame).
MAX_ALIGN_SECONDS = 600.0
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class TextAlignmentError(TalkieError):
    """The dialogue text could not be aligned with the audio."""


def dialogue_words(text: str) -> list[str]:
    """The words of a dialogue text, lower case, punctuation dropped.

    >>> dialogue_words("Bin blue, at F two -- now!")
    ['bin', 'blue', 'at', 'f', 'two', 'now']
    """
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _decoder() -> object:
    from pocketsphinx import Config, Decoder

    hmm, _ = _model_paths()
    dictionary = os.path.join(os.path.dirname(hmm), "cmudict-en-us.dict")
    return Decoder(Config(hmm=hmm, dict=dictionary, lm=None, loglevel="FATAL"))


def align_phones(
    samples: np.ndarray, text: str, cancel: CancelToken | None = None
) -> list[Phone]:
    """Phones of ``text`` timed against ``samples``.

    Args:
        samples: ``(N,) float32`` mono audio at 16 kHz in [-1, 1].
        text: what is said (any punctuation and case).
        cancel: checked between the two passes.

    Returns:
        Phones as :func:`engine.audio.phones.recognise_phones` gives them:
        contiguous, lower-case ARPAbet, silences ``"sil"``, covering the audio.

    Raises:
        TextAlignmentError: no words, unknown words, audio too long, or the
            words cannot be fitted to the audio.
    """
    words = dialogue_words(text)
    if not words:
        raise TextAlignmentError("The dialogue text has no words.")
    duration = len(samples) / SAMPLE_RATE
    if duration > MAX_ALIGN_SECONDS:
        raise TextAlignmentError(
            f"Dialogue text is used for up to {MAX_ALIGN_SECONDS / 60:.0f} minutes of audio; "
            f"this track is {duration / 60:.1f} minutes."
        )
    decoder = _decoder()
    unknown = sorted({w for w in words if decoder.lookup_word(w) is None})  # type: ignore[attr-defined]
    if unknown:
        shown = ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        raise TextAlignmentError(f"These words are not in the pronouncing dictionary: {shown}.")
    pcm = (np.clip(np.nan_to_num(samples), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    try:
        decoder.set_align_text(" ".join(words))  # type: ignore[attr-defined]
        _decode(decoder, pcm)
    except RuntimeError as exc:  # pocketsphinx's way of saying the search failed
        raise TextAlignmentError("The dialogue text does not fit the audio.") from exc
    if decoder.hyp() is None:  # type: ignore[attr-defined]
        raise TextAlignmentError("The dialogue text does not fit the audio.")
    word_segs = [(str(sg.word), int(sg.start_frame), int(sg.end_frame) + 1)
                 for sg in decoder.seg()]  # type: ignore[attr-defined]
    if cancel is not None:
        cancel.check()
    phones: list[Phone] = []
    try:
        decoder.set_alignment()  # type: ignore[attr-defined]
        _decode(decoder, pcm)
        alignment = decoder.get_alignment()  # type: ignore[attr-defined]
    except RuntimeError:
        alignment = None
    if alignment is not None:
        for word in alignment:
            for ph in word:
                start = ph.start / _FRATE
                phones.append(Phone(_normalise_label(ph.name), start,
                                    start + ph.duration / _FRATE))
    else:
        # The phone pass of pocketsphinx 5 sometimes fails to finish (3 of 20 GRID
        # clips) although the word pass succeeded: keep the words' times and share
        # each word's span among its dictionary phones.
        log.info("phone alignment failed; splitting the aligned words evenly")
        phones = _split_words(decoder, word_segs)
    log.info("aligned %d words, %d phones over %.1f s", len(words), len(phones), duration)
    return _tidy(phones, duration)


def _split_words(decoder: object, segs: list[tuple[str, int, int]]) -> list[Phone]:
    out: list[Phone] = []
    for word, a, b in segs:
        filler = word.startswith(("<", "["))
        pron = None if filler else decoder.lookup_word(word.split("(")[0])  # type: ignore[attr-defined]
        labels = pron.split() if pron else ["sil"]
        step = (b - a) / len(labels) / _FRATE
        for k, label in enumerate(labels):
            t = a / _FRATE + k * step
            out.append(Phone(_normalise_label(label), t, t + step))
    return out


def _decode(decoder: object, pcm: bytes) -> None:
    decoder.start_utt()  # type: ignore[attr-defined]
    decoder.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
    decoder.end_utt()  # type: ignore[attr-defined]
