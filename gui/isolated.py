"""Run a Qt-free analysis function in a child process, with progress and cancel.

Some engine work holds Python's GIL for long stretches (pocketsphinx decodes a
whole chunk in one call, about 0.1 s of CPU per second of audio). On a thread
that freezes the window; in a child process it cannot. The child reports
``progress(fraction, message)`` through a pipe; cancelling terminates it.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
from typing import Any

import engine

POLL_S = 0.05
#: Niceness of the analysis process: the window keeps the CPU on a busy machine.
WORKER_NICE = 5


def _child(conn, target: str, args: tuple) -> None:
    if hasattr(os, "nice"):
        os.nice(WORKER_NICE)   # leave the CPU to the window
    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    try:
        result = fn(*args, progress=lambda f, m: conn.send(("progress", float(f), str(m))))
    except engine.TalkieError as exc:
        conn.send(("error", type(exc), exc.message))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", None, f"{type(exc).__name__}: {exc}"))
    else:
        conn.send(("ok", result))
    finally:
        conn.close()


def _error(cls: type | None, message: str) -> engine.TalkieError:
    if cls is None:
        return engine.TalkieError(f"Something went wrong: {message}")
    try:
        return cls(message)
    except TypeError:
        return engine.TalkieError(message)


def run_in_process(target: str, args: tuple, progress, cancel) -> Any:
    """Call ``module:function(*args, progress=...)`` in a fresh process and return its result.

    Raises the child's :class:`engine.TalkieError` (same class and message), or
    :class:`engine.Cancelled` after terminating the child when ``cancel`` fires.
    """
    ctx = mp.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(writer, target, args), daemon=True,
                       name=f"talkie-{target.rsplit(':', 1)[-1]}")
    proc.start()
    writer.close()
    try:
        while True:
            if cancel.cancelled:
                raise engine.Cancelled()
            if reader.poll(POLL_S):
                try:
                    msg = reader.recv()
                except EOFError:
                    raise engine.TalkieError(
                        "The analysis stopped unexpectedly. Try again, or use another file."
                    ) from None
                if msg[0] == "progress":
                    progress(msg[1], msg[2])
                elif msg[0] == "ok":
                    return msg[1]
                else:
                    raise _error(msg[1], msg[2])
            elif not proc.is_alive() and not reader.poll(0):
                raise engine.TalkieError(
                    "The analysis stopped unexpectedly. Try again, or use another file.")
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
        reader.close()
