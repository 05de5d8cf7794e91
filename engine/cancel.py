"""Progress reporting and cancellation shared by every long job."""

from __future__ import annotations

import threading
from collections.abc import Callable

from engine.errors import Cancelled

#: ``progress(fraction, message)``: fraction in [0, 1].
ProgressFn = Callable[[float, str], None]


class CancelToken:
    """A thread-safe flag a worker checks between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()


def no_progress(fraction: float, message: str) -> None:
    """A progress callback that ignores everything."""
