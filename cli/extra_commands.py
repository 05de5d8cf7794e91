"""Commands for the animator's pipeline, registered on ``main.py``'s parser: cues, batch."""

from __future__ import annotations

from typing import Any


def add_extra_commands(sub: Any) -> None:
    """Add ``cues`` and ``batch`` to the ``main.py`` sub-parsers ``sub``."""
    from cli.batch import add_parser as add_batch
    from cli.cues import add_parser as add_cues

    add_cues(sub)
    add_batch(sub)
