"""A one-line progress bar with ETA on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws ``label [#####     ]  42%  ETA 3 s`` on stderr, at most 10 times a second."""

    def __init__(self, label: str, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.label = label
        self.stream = stream
        self.width = width
        self.started = time.perf_counter()
        self._last = 0.0
        self._tty = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, fraction: float, message: str = "") -> None:
        if fraction <= 0.0:  # nothing done yet: an empty bar before an error is just noise
            return
        now = time.perf_counter()
        if fraction < 1.0 and now - self._last < (0.1 if self._tty else 2.0):
            return
        self._last = now
        fraction = min(max(fraction, 0.0), 1.0)
        elapsed = now - self.started
        eta = elapsed / fraction * (1 - fraction) if fraction > 0 else float("nan")
        filled = int(round(self.width * fraction))
        bar = "#" * filled + " " * (self.width - filled)
        eta_text = f"ETA {eta:4.0f} s" if fraction < 1 and eta == eta else f"{elapsed:5.1f} s"
        line = f"{self.label} [{bar}] {fraction * 100:3.0f}%  {eta_text}"
        end = "\r" if self._tty and fraction < 1 else "\n"
        self.stream.write(line + end)
        self.stream.flush()
