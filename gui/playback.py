"""Playback: sound through sounddevice, and a clock the picture follows.

With an output device the clock is the audio stream's own position (samples
handed to the device minus its latency), so picture and sound cannot drift.
Without one (no PortAudio, no device: CI, this machine) playback runs silently
on a monotonic timer and says so once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SoundDevices:
    output: bool
    input: bool
    output_reason: str = ""
    input_reason: str = ""


_DEVICES: SoundDevices | None = None


def sound_devices(refresh: bool = False) -> SoundDevices:
    """Which sound devices exist, and if not, why (cached)."""
    global _DEVICES
    if _DEVICES is not None and not refresh:
        return _DEVICES
    if os.environ.get("TALKIE_NO_SOUND"):
        why = "Sound is switched off (TALKIE_NO_SOUND is set)."
        _DEVICES = SoundDevices(False, False, why, why)
        return _DEVICES
    try:
        import sounddevice as sd
    except (OSError, ImportError):
        why = "The sound library PortAudio is not installed (Debian: libportaudio2)."
        _DEVICES = SoundDevices(False, False, why, why)
        return _DEVICES
    found = {}
    for kind in ("output", "input"):
        try:
            sd.query_devices(kind=kind)
            found[kind] = ""
        except Exception:  # noqa: BLE001 - PortAudioError or ValueError: no device
            found[kind] = ("No sound output device was found." if kind == "output"
                           else "No microphone (sound input device) was found.")
    _DEVICES = SoundDevices(not found["output"], not found["input"],
                            found["output"], found["input"])
    return _DEVICES


class Player(QObject):
    """Plays a clip from a position, optionally looping a range; reports the position."""

    positionChanged = Signal(float)
    playingChanged = Signal(bool)
    notice = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._samples = np.zeros((0, 1), dtype=np.float32)
        self._rate = 16000
        self._duration = 0.0
        self._stream = None
        self._lock = threading.Lock()
        self._read = 0
        self._start_t = 0.0
        self._started = 0.0
        self._loop: tuple[float, float] | None = None
        self._playing = False
        self._told = False
        self.silent = False
        self._timer = QTimer(self)
        self._timer.setInterval(15)
        self._timer.timeout.connect(self._tick)

    def set_audio(self, samples: np.ndarray | None, rate: int) -> None:
        """``samples``: ``(N,)`` mono or ``(C, N)`` channels, float32."""
        self.stop()
        if samples is None:
            self._samples = np.zeros((0, 1), dtype=np.float32)
            self._duration = 0.0
            return
        a = np.asarray(samples, dtype=np.float32)
        self._samples = np.ascontiguousarray(a.reshape(1, -1).T if a.ndim == 1 else a.T)
        self._rate = int(rate)
        self._duration = self._samples.shape[0] / self._rate

    @property
    def playing(self) -> bool:
        return self._playing

    def set_loop(self, loop: tuple[float, float] | None) -> None:
        self._loop = loop if loop and loop[1] - loop[0] > 0.02 else None

    def position(self) -> float:
        if not self._playing:
            return self._start_t
        if self._stream is not None:
            with self._lock:
                read = self._read
            latency = float(getattr(self._stream, "latency", 0.0) or 0.0)
            t = read / self._rate - latency
            lo = self._loop[0] if self._loop else self._start_t
            return max(t, lo)
        return self._start_t + (time.monotonic() - self._started)

    def play(self, t: float) -> None:
        if self._duration <= 0:
            return
        self.stop_stream()
        if self._loop and not self._loop[0] <= t < self._loop[1]:
            t = self._loop[0]
        if t >= self._duration - 1e-3:
            t = 0.0
        self._start_t = t
        self._started = time.monotonic()
        self._read = int(t * self._rate)
        self._open_stream()
        self._playing = True
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if not self._playing:
            return
        t = self.position()
        self.stop_stream()
        self._playing = False
        self._timer.stop()
        self._start_t = t
        self.playingChanged.emit(False)
        self.positionChanged.emit(t)

    def stop(self) -> None:
        was = self._playing
        self.stop_stream()
        self._playing = False
        self._timer.stop()
        if was:
            self.playingChanged.emit(False)

    def seek(self, t: float) -> None:
        if self._playing:
            self.play(t)
        else:
            self._start_t = t

    # ---------------------------------------------------------------- device
    def _open_stream(self) -> None:
        devices = sound_devices()
        if not devices.output:
            self.silent = True
            if not self._told:
                self._told = True
                self.notice.emit(f"{devices.output_reason} Playing silently.")
            return
        try:
            import sounddevice as sd

            stream = sd.OutputStream(samplerate=self._rate, channels=self._samples.shape[1],
                                     dtype="float32", callback=self._callback)
            stream.start()
            self._stream = stream
            self.silent = False
        except Exception as exc:  # noqa: BLE001 - any device failure: play silently
            log.warning("sound output failed: %s", exc)
            self._stream = None
            self.silent = True
            if not self._told:
                self._told = True
                self.notice.emit(f"The sound device could not be opened ({exc}). "
                                 "Playing silently.")

    def stop_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # noqa: BLE001
                log.debug("closing the sound stream failed", exc_info=True)

    def _callback(self, outdata, frames, time_info, status) -> None:  # noqa: ARG002
        with self._lock:
            pos = self._read
            end = self._samples.shape[0]
            a = b = None
            if self._loop:
                a, b = (int(x * self._rate) for x in self._loop)
                end = min(end, b)
            n = 0
            while n < frames:
                take = min(frames - n, end - pos)
                if take <= 0:
                    if a is None:
                        break
                    pos = a
                    continue
                outdata[n:n + take] = self._samples[pos:pos + take]
                n += take
                pos += take
            outdata[n:] = 0.0
            self._read = pos

    # ----------------------------------------------------------------- clock
    def _tick(self) -> None:
        t = self.position()
        if self._loop:
            a, b = self._loop
            if t >= b:
                if self._stream is None:
                    self._start_t, self._started = a, time.monotonic()
                t = a if self._stream is None else t
        elif t >= self._duration:
            self.stop()
            self._start_t = self._duration
            self.positionChanged.emit(self._duration)
            return
        self.positionChanged.emit(min(t, self._duration))
