"""Background work: one-shot jobs and latest-wins services, all on QThreads.

* :class:`Job` runs ``fn(progress, cancel)`` once on its own thread and reports
  ``progressed``, ``succeeded`` or ``failed`` (queued to the GUI thread).
* :class:`LatestWins` is a persistent thread for work where only the newest
  request matters (preview frames while scrubbing, rebuilding the animation
  while a slider moves): a new request replaces any request still waiting.

Every thread started here is tracked, so tests can check none is left running.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, QTimer, Signal

from engine import CancelToken, TalkieError

log = logging.getLogger(__name__)

_LIVE: set[QThread] = set()          # strong refs while a Job runs
_SERVICES: set[QThread] = set()    # LatestWins threads until stopped

#: What a :class:`Job` runs: ``work(progress, cancel) -> result``.
Work = Callable[[Callable[[float, str], None], CancelToken], Any]

#: Shortest interval between two progress signals of one job, seconds.
PROGRESS_INTERVAL = 0.05


#: Niceness of worker threads (Linux): the GUI thread wins the CPU on a busy machine.
WORKER_NICE = 5


def lower_priority() -> None:
    """Make the calling thread (or process) yield the CPU to the GUI thread.

    Linux applies ``setpriority`` to one thread when given its id; elsewhere
    this does nothing (QThread priorities are ignored by most schedulers).
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
        except OSError:
            pass


def user_message(exc: BaseException) -> str:
    """The sentence to show for an exception raised by a job."""
    if isinstance(exc, TalkieError):
        return exc.message
    return f"Something went wrong: {exc.__class__.__name__}: {exc}"


def running_threads() -> list[QThread]:
    """Every thread started by this module that is still running."""
    return [t for t in list(_LIVE) + list(_SERVICES) if t.isRunning()]


def shutdown_all(timeout_ms: int = 5000) -> None:
    """Cancel every job, stop every service and wait for their threads, at most
    ``timeout_ms`` in all: only when the studio quits (a thread still running
    when Qt tears down would crash it)."""
    for t in list(_SERVICES):
        if isinstance(t, LatestWins):
            t.stop()
    for t in list(_LIVE):
        if isinstance(t, Job):
            t.cancel()
    deadline = time.monotonic() + timeout_ms / 1000
    for t in list(_LIVE) + list(_SERVICES):
        t.wait(max(1, int((deadline - time.monotonic()) * 1000)))


class Job(QThread):
    """Run ``fn(progress, cancel) -> result`` once on a new thread."""

    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Work, name: str = "job", parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._fn = fn
        self.token = CancelToken()
        self._last = 0.0
        self.finished.connect(self._forget)

    def start(self, *args: Any) -> None:  # type: ignore[override]
        _LIVE.add(self)
        super().start(*args)

    def cancel(self) -> None:
        self.token.cancel()

    def _progress(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.progressed.emit(float(fraction), message)

    def run(self) -> None:
        lower_priority()
        try:
            result = self._fn(self._progress, self.token)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI
            if not isinstance(exc, TalkieError):
                log.exception("job %s failed", self.objectName())
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)

    def _forget(self) -> None:
        # Drop the last reference later, never inside this object's own signal.
        QTimer.singleShot(0, lambda: _LIVE.discard(self))


class LatestWins(QThread):
    """A persistent worker thread that only ever runs the newest request.

    ``submit(fn, tag)`` returns a ticket; ``done(ticket, tag, result)`` or
    ``error(ticket, tag, exc)`` follow. A request submitted while another
    waits replaces it, so a burst of scrubs renders only the last position.
    """

    done = Signal(int, object, object)
    error = Signal(int, object, object)

    def __init__(self, name: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._cond = threading.Condition()
        self._pending: tuple[int, Any, Callable[[], Any]] | None = None
        self._ticket = 0
        self._stopping = False
        self._busy = False
        self.finished.connect(lambda: _SERVICES.discard(self))

    @property
    def latest_ticket(self) -> int:
        return self._ticket

    def idle(self) -> bool:
        """True when nothing is pending or running."""
        with self._cond:
            return self._pending is None and not self._busy

    def submit(self, fn: Callable[[], Any], tag: Any = None) -> int:
        with self._cond:
            if self._stopping:
                return self._ticket
            self._ticket += 1
            self._pending = (self._ticket, tag, fn)
            self._cond.notify()
        if not self.isRunning():
            _SERVICES.add(self)
            self.start()
        return self._ticket

    def stop(self) -> None:
        """Stop after the request now running, without waiting for it (the GUI thread
        never blocks on a worker); :func:`shutdown_all` waits at exit."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._cond.notify()
        if not self.isRunning():
            _SERVICES.discard(self)

    def run(self) -> None:
        lower_priority()
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                ticket, tag, fn = self._pending  # type: ignore[misc]
                self._pending = None
                self._busy = True
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - reported to the GUI
                if not isinstance(exc, TalkieError):
                    log.exception("%s request failed", self.objectName())
                self.error.emit(ticket, tag, exc)
            else:
                self.done.emit(ticket, tag, result)
            finally:
                with self._cond:
                    self._busy = False
