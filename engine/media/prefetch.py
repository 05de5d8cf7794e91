"""Work ahead of the consumer on a thread, through a bounded queue.

The exporter renders, watermarks and converts frame ``n + 1`` (and a few
more) while the encoder compresses frame ``n``. Both sides spend their time
in NumPy, OpenCV and FFmpeg, which release the GIL, so on two or more cores
the export takes about as long as the slower side instead of the sum.
The queue holds at most ``depth`` results, so memory stays O(1) frames.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, cast

T = TypeVar("T")
S = TypeVar("S")

_DONE = object()


def prefetch(produce: Callable[[S], T], items: Iterable[S], depth: int = 4) -> Iterator[T]:
    """Yield ``produce(item)`` for each item in order, computed on a worker thread.

    An exception in ``produce`` is raised here, at the item that failed.
    Leaving the loop early (``break``, an exception, closing the generator)
    stops the worker and waits for it, so nothing runs on after the caller.
    ``depth=0`` computes each item here, when it is asked for (no thread).
    """
    if depth <= 0:
        yield from (produce(item) for item in items)
        return
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                q.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if stop.is_set() or not put(("ok", produce(item))):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(("error", exc))
            return
        put(_DONE)

    thread = threading.Thread(target=work, name="talkie-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            got = q.get()
            if got is _DONE:
                return
            kind, value = cast("tuple[str, Any]", got)
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()
