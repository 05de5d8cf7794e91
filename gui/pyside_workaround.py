"""Work around a reference-counting bug of PySide6 6.12 on CPython 3.11.

PySide6 6.12 releases one reference too many to ``True``/``None`` when a
Python ``QGraphicsItem.itemChange`` override runs (pyqtgraph overrides it in
every item). After a few hundred items are added or removed the singleton's
count reaches zero and the interpreter aborts ("deallocating True"), usually at
exit. CPython 3.12 made these singletons immortal, so the bug is harmless
there; on 3.11 we give them the same effectively-infinite count.
"""

from __future__ import annotations

import ctypes
import sys

_DONE = False


def pin_singletons() -> None:
    """Make ``True``, ``False`` and ``None`` effectively immortal (once, CPython < 3.12)."""
    global _DONE
    if _DONE or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for obj in (True, False, None):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _DONE = True
