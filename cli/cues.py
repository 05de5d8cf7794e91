"""``main.py cues AUDIO -o OUT``: mouth cues for 2-D animation (:mod:`engine.cues`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import engine


def add_parser(sub: Any) -> None:
    c = sub.add_parser(
        "cues", help="write mouth cues for 2-D animation (Rhubarb .tsv/.json/.xml, Moho .dat)",
        description="Recognise the phones of AUDIO and write the mouth shapes an animator "
        "swaps: Rhubarb Lip Sync's shapes A-F (+ G, H, X) as .tsv, .json or .xml, or "
        "Moho/OpenToonz switch data (.dat) with the Preston Blair drawings.")
    c.add_argument("audio", type=Path, help="voice track (any audio, or a video's sound)")
    c.add_argument("-o", "--output", type=Path, action="append", required=True,
                   help="cue file; the suffix chooses the format (.tsv .json .xml .dat); "
                        "repeat for several files from one analysis")
    c.add_argument("--format", choices=("tsv", "json", "xml", "dat"),
                   help="the format, whatever the suffix")
    c.add_argument("--fps", type=float, default=24.0,
                   help="frame rate of .dat files (default 24)")
    c.add_argument("--extended-shapes", default="GHX", metavar="LETTERS",
                   help="which of Rhubarb's optional shapes G, H, X you drew (default GHX; "
                        "'' for none: B, C and A stand in)")
    text = c.add_mutually_exclusive_group()
    text.add_argument("--dialog", type=Path, metavar="FILE",
                      help="a text file with what is said: the words are aligned to the "
                           "audio instead of recognised (English)")
    text.add_argument("--text", help="what is said, given on the command line")
    c.set_defaults(func=cmd_cues)


def cmd_cues(args: argparse.Namespace) -> int:
    from cli.progress import ProgressBar

    dialogue_file = [args.dialog] if args.dialog is not None else []
    outputs = engine.check_cue_outputs(args.output, args.format, args.fps,
                                       args.extended_shapes, [args.audio, *dialogue_file])
    dialogue = args.text
    if args.dialog is not None:
        try:
            dialogue = args.dialog.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise engine.InputError(f"The dialogue file {args.dialog.name} could not be read "
                                    f"({getattr(exc, 'strerror', None) or exc}).") from exc
    audio = engine.load_audio(args.audio)
    phones, warning = engine.cue_phones(audio.samples, dialogue, progress=ProgressBar("phones"))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    for out, fmt in outputs:
        path = engine.write_cues(out, phones, audio.duration, args.audio, fps=args.fps,
                                 extended=args.extended_shapes, fmt=fmt)
        print(f"wrote {path} ({fmt})", file=sys.stderr)
    return 0
