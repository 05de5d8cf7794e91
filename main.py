#!/usr/bin/env python3
"""Talkie: ``main.py [PORTRAIT] [AUDIO] [PROJECT]`` opens the studio (with those files);
``main.py COMMAND --help`` for the command line."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    # A frozen build's spawned children re-run this executable with
    # --multiprocessing-fork: they must be caught before the arguments are read.
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if args and args[0].startswith("-psn"):  # macOS passes -psn_ when launched from Finder
        args = args[1:]
    if opens_studio(args):
        from gui.app import main as gui_main

        return gui_main(args)
    from cli.main import main as cli_main

    return cli_main(args)


def opens_studio(args: list[str]) -> bool:
    """No arguments, or files rather than a command: the studio opens with those files.

    A word that is neither a command nor a file (a mistyped command) goes to
    the command line, which says what the commands are.
    """
    from cli.main import COMMANDS

    if not args:
        return True
    first = args[0]
    if first in COMMANDS or first.startswith("-"):
        return False
    return all(Path(a).exists() or Path(a).suffix for a in args)


if __name__ == "__main__":
    sys.exit(main())
