"""Work ahead of the consumer on worker threads, through a bounded window.

The exporter renders, watermarks and converts frames ``n + 1 .. n + depth``
while the encoder compresses frame ``n``. Both sides spend their time in
NumPy, OpenCV and FFmpeg, which release the GIL, so with spare cores the
export takes about as long as the slower side instead of the sum. At most
``depth`` results wait at any time, so memory stays O(1) frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")


def prefetch(produce: Callable[[S], T], items: Iterable[S], depth: int = 4,
             workers: int = 1) -> Iterator[T]:
    """Yield ``produce(item)`` for each item in order, computed on ``workers`` threads.

    ``produce`` must be safe to call from several threads at once when
    ``workers > 1``. An exception in ``produce`` is raised here, at the item
    that failed. Leaving the loop early (``break``, an exception, closing the
    generator) cancels what has not started and waits for what has, so nothing
    runs on after the caller. ``depth=0`` computes each item here, when it is
    asked for (no thread).
    """
    if depth <= 0:
        yield from (produce(item) for item in items)
        return
    it = iter(items)
    window: deque[Future[T]] = deque()
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="talkie-prefetch") as pool:
        try:
            for item in it:
                window.append(pool.submit(produce, item))
                if len(window) >= depth:
                    break
            while window:
                result = window.popleft().result()
                nxt = next(it, _END)
                if nxt is not _END:
                    window.append(pool.submit(produce, nxt))  # type: ignore[arg-type]
                yield result
        finally:
            for fut in window:
                fut.cancel()


_END = object()
