#!/usr/bin/env python3
"""Talkie: with no arguments the studio opens; ``main.py COMMAND --help`` for the CLI."""

from __future__ import annotations

import multiprocessing
import sys


def main(argv: list[str] | None = None) -> int:
    # A frozen build's spawned children re-run this executable with
    # --multiprocessing-fork: they must be caught before the arguments are read.
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-psn"):  # macOS passes -psn_ when launched from Finder
        from gui.app import main as gui_main

        return gui_main([])
    from cli.main import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
