"""Argument parsing and the commands: analyse, render, verify, evaluate, version.

A failing command exits 2 with one line on stderr and no traceback
(``--debug`` shows it). ``verify`` exits 0 for a marked file, 1 for an
unmarked one. Every option is checked before any work starts. Ctrl-C,
SIGTERM or SIGHUP during a render cancels it and leaves no file (exit 130,
143 or 129).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import engine
from cli.progress import ProgressBar

#: The studio opens when the first argument is none of these (``main.py PORTRAIT AUDIO``).
COMMANDS = ("analyse", "render", "verify", "evaluate", "version",
            "prepare-data", "train", "export-model", "evaluate-model")

#: ``render`` option (argparse dest) -> (``"settings"`` | ``"output"``, field).
RENDER_OPTIONS: dict[str, tuple[str, str]] = {
    "fps": ("settings", "fps"), "seed": ("settings", "seed"),
    "mouth_intensity": ("settings", "mouth_intensity"),
    "blink_rate": ("settings", "blink_rate"), "blink_duration": ("settings", "blink_duration"),
    "liveliness": ("settings", "liveliness"), "keep_expression": ("settings", "keep_expression"),
    "breath": ("settings", "breath"),
    "motion": ("settings", "motion_source"),
    "size": ("output", "size"), "crf": ("output", "crf"), "start": ("output", "start"),
    "end": ("output", "end"), "background": ("output", "background"),
}
#: Field -> the option that sets it, for messages.
OPTION_OF = {field: "--" + dest.replace("_", "-") for dest, (_, field) in RENDER_OPTIONS.items()}
#: How to give a face by hand, and the hint for a portrait the detector misses.
FACE_POINTS = "--face points.json (see assets/samples/chelsea_face.json)"
FACE_HINT = ("For a face the detector misses (a drawing, an animal), give its points with "
             f"{FACE_POINTS}.")


def _limit_help(field: str, extra: str = "") -> str:
    limit = engine.LIMITS[field]
    return f"{limit.help} Range {limit.range_text()}{extra}."


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="talkie", description="Make a still portrait speak. Without a command "
        "(main.py [PORTRAIT] [AUDIO] [PROJECT]) the studio opens with those files.")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyse", help="find faces and landmarks, and measure an audio file")
    a.add_argument("portrait", type=Path)
    a.add_argument("audio", type=Path, nargs="?")
    a.add_argument("--json", action="store_true", help="print JSON with all 468 landmarks")

    r = sub.add_parser(
        "render", help="render PORTRAIT speaking AUDIO (or a saved --project) to a video"
    )
    r.add_argument("portrait", type=Path, nargs="?", help="portrait image (or from --project)")
    r.add_argument("audio", type=Path, nargs="?", help="voice track (or from --project)")
    r.add_argument("-o", "--output", type=Path, required=True,
                   help="output: .mp4 (H.264), .mov (ProRes 4444 with alpha), .webm (VP9 with "
                        "alpha), or a name without extension for a folder of PNG frames")
    r.add_argument("--project", type=Path, help="a saved Talkie project: its portrait, audio, "
                   "settings, blinks, keyframes and face; options given here override it")
    d, o = engine.Settings(), engine.OutputOptions()
    r.add_argument("--fps", type=int, choices=engine.FPS_CHOICES, help=f"default {d.fps}")
    r.add_argument("--size", type=int, help=_limit_help("size"))
    r.add_argument("--seed", type=int, help=_limit_help("seed", f", default {d.seed}"))
    r.add_argument("--blink-rate", type=float,
                   help=_limit_help("blink_rate", f", default {d.blink_rate:g}"))
    r.add_argument("--blink-duration", type=float,
                   help=_limit_help("blink_duration", f", default {d.blink_duration:g}"))
    r.add_argument("--liveliness", type=float,
                   help=_limit_help("liveliness", f", default {d.liveliness:g}"))
    r.add_argument("--breath", type=float,
                   help=_limit_help("breath", f", default {d.breath:g}"))
    r.add_argument("--keep-expression", action="store_true", default=None,
                   help=engine.KEEP_EXPRESSION_HELP)
    r.add_argument("--mouth-intensity", type=float,
                   help=_limit_help("mouth_intensity", f", default {d.mouth_intensity:g}"))
    r.add_argument("--motion", choices=engine.MOTION_SOURCES, help=f"default {d.motion_source}")
    r.add_argument("--crf", type=int, help=_limit_help("crf", f", default {o.crf}"))
    r.add_argument("--start", type=float, help=_limit_help("start"))
    r.add_argument("--end", type=float, help=_limit_help("end"))
    r.add_argument("--background", metavar="COLOUR",
                   help="colour behind a transparent portrait (MP4 has no alpha): white "
                   "(default), black, grey, green, #rrggbb or r,g,b")
    r.add_argument("--face", help="which detected face to animate (0 = largest), or a JSON file "
                   "of hand-placed face points for a portrait the detector misses "
                   "(see assets/samples/chelsea_face.json)")
    r.add_argument("--no-watermark", action="store_true",
                   help="leave out the invisible watermark (the metadata still says synthetic)")

    v = sub.add_parser("verify", help="tell whether a video was made by Talkie")
    v.add_argument("file", type=Path)
    v.add_argument("--json", action="store_true")

    e = sub.add_parser("evaluate", help="self-check a rendered MP4: sync, blinks, stillness")
    e.add_argument("video", type=Path)
    e.add_argument("--portrait", type=Path, help="the portrait, to measure change outside the face")
    e.add_argument("--json", action="store_true")

    sub.add_parser("version", help="print the version")

    from cli.model_commands import add_all  # prepare-data, train, export-model, evaluate-model

    add_all(sub)
    from cli.extra_commands import add_extra_commands  # cues, batch

    add_extra_commands(sub)
    return p


def apply_options(project: engine.Project, values: dict[str, Any]) -> engine.Project:
    """``project`` with render options applied (``{dest: value}``; None = not given),
    checked against :data:`engine.LIMITS`.

    Raises:
        TalkieError: an option is out of range; the message names the option.
    """
    settings: dict[str, Any] = {}
    output: dict[str, Any] = {}
    try:
        for dest, value in values.items():
            if value is None or dest not in RENDER_OPTIONS:
                continue
            kind, field = RENDER_OPTIONS[dest]
            if field == "background" and isinstance(value, str):
                value = engine.parse_colour(value)
            (settings if kind == "settings" else output)[field] = value
        project.settings = project.settings.with_(**settings)
        project.output = project.output.with_(**output)
        engine.validate(project.settings, project.output)
    except engine.SettingsError as exc:
        raise _option_error(exc) from exc
    return project


def _option_error(exc: engine.SettingsError) -> engine.TalkieError:
    option = OPTION_OF.get(exc.field)
    if option is None:
        return exc
    return engine.SettingsError(exc.field, option, exc.requirement, exc.value)


def cmd_analyse(args: argparse.Namespace) -> int:
    image = engine.load_image(args.portrait)
    result: dict[str, Any] = {"portrait": str(args.portrait), "width": image.rgb.shape[1],
                              "height": image.rgb.shape[0], "alpha": image.alpha is not None}
    faces = engine.detect_faces(image.rgb)
    result["faces"] = [
        {"box": [round(float(v), 1) for v in f.box], "score": round(float(f.score), 3),
         "landmarks": [[round(float(c), 2) for c in pt] for pt in f.landmarks]}
        for f in faces
    ]
    if args.audio is not None:
        audio = engine.load_audio(args.audio)
        result["audio"] = {"path": str(args.audio), "duration": round(audio.duration, 3),
                           "sample_rate": audio.original_rate,
                           "channels": int(audio.channels),
                           **engine.loudness_summary(audio.samples)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.portrait}: {result['width']}x{result['height']}"
              f"{' with alpha' if result['alpha'] else ''}, {len(faces)} face(s)")
        for i, f in enumerate(result["faces"]):
            x0, y0, x1, y1 = f["box"]
            print(f"  face {i}: box ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}), score {f['score']}, "
                  f"{len(f['landmarks'])} landmarks")
        if not faces:
            print(f"  no face found: use a frontal, well-lit portrait. {FACE_HINT}")
        if "audio" in result:
            au = result["audio"]
            print(f"{args.audio}: {au['duration']:.2f} s, {au['sample_rate']} Hz, "
                  f"{au['channels']} channel(s), loudness {au['rms_dbfs']:.1f} dBFS RMS, "
                  f"peak {au['peak_dbfs']:.1f} dBFS")
    return 0


class Interrupted(engine.Cancelled):
    """A render stopped by a signal; ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        how = "Interrupted" if signum == signal.SIGINT else f"Stopped by {name}"
        super().__init__(f"{how}. Nothing was written.")
        self.exit_code = 128 + signum


#: Signals that cancel a render: Ctrl-C, `kill`/`timeout`/a container stop, a closed terminal.
CANCEL_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                       if hasattr(signal, n))


@contextmanager
def cancelled_by_signals(cancel: engine.CancelToken) -> Iterator[list[int]]:
    """While inside, SIGINT, SIGTERM and SIGHUP cancel ``cancel`` (the work stops at its
    next check and removes its temporary file); the list yields the signals received."""
    received: list[int] = []

    def handler(signum: int, _frame: Any) -> None:
        received.append(signum)
        cancel.cancel()

    previous = {s: signal.signal(s, handler) for s in CANCEL_SIGNALS}
    try:
        yield received
    except engine.Cancelled:
        if received:
            raise Interrupted(received[0]) from None
        raise
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if received:  # a signal after the last check: the file is written, but say so
        note(f"{signal.Signals(received[0]).name} received as the render finished.")


def note(text: str) -> None:
    """A line for the user on stderr (a closed terminal after SIGHUP is not an error)."""
    try:
        print(text, file=sys.stderr, flush=True)
    except OSError:
        pass


def _face_choice(text: str | None, project: engine.Project) -> None:
    """Apply ``--face``: a face number, or a JSON file of hand-placed points (read now)."""
    if text is None:
        return
    if text.strip().lstrip("-").isdigit():
        index = int(text)
        if index < 0:
            raise engine.InputError("--face must be 0 or more (0 = the largest face).")
        project.face_index, project.face_points = index, None
    else:
        project.face_points = engine.load_points_json(Path(text))


def cmd_render(args: argparse.Namespace) -> int:
    project = engine.Project.load(args.project) if args.project is not None else engine.Project()
    project.portrait = args.portrait or project.portrait
    project.audio = args.audio or project.audio
    if project.portrait is None or project.audio is None:
        raise engine.InputError(
            "render needs a PORTRAIT and an AUDIO file, or a --project that names them."
        )
    apply_options(project, {dest: getattr(args, dest) for dest in RENDER_OPTIONS})
    output_format = engine.format_for(args.output)  # .mp4, .mov, .webm or a PNG folder
    engine.refuse_input_as_output(args.output, {"portrait": project.portrait,
                                                "voice track": project.audio,
                                                "project": args.project})
    engine.check_export_target(args.output)  # fail before minutes of analysis
    _face_choice(args.face, project)
    cancel = engine.CancelToken()
    with cancelled_by_signals(cancel):
        try:
            portrait = engine.open_portrait(project.portrait, project.face_index,
                                            project.face_points)
        except engine.NoFaceError as exc:
            if project.face_points is not None or exc.faces:
                raise
            raise engine.NoFaceError(f"{exc.message} {FACE_HINT}") from exc
        cancel.check()
        for warning in portrait.warnings:
            note(f"warning: {warning} By hand: {FACE_POINTS}.")
        faces = len(portrait.faces)
        if faces > 1:
            note(f"note: {faces} faces were found; animating face {portrait.face_index}"
                 f"{' (the largest)' if portrait.face_index == 0 else ''}. Choose another "
                 f"with --face N (0 to {faces - 1}; see `main.py analyse`).")
        if portrait.image.alpha is not None and not output_format.keeps_alpha:
            r, g, b = project.output.background
            note(f"note: the portrait has transparency; MP4 keeps no alpha, so it is flattened "
                 f"onto rgb({r}, {g}, {b}). Choose the colour with --background, or keep the "
                 "alpha with a .mov, .webm or PNG-sequence output.")
        try:  # a --start past the end fails after decoding, before the analysis
            voice = engine.open_voice(project.audio, ProgressBar("analyse"), cancel,
                                      output=project.output)
        except engine.SettingsError as exc:
            raise _option_error(exc) from exc
        animation = engine.animate(portrait, voice, project)
        for warning in animation.warnings:
            note(f"warning: {warning}")
        result = engine.export(animation, args.output, project.output,
                               progress=ProgressBar("render "), cancel=cancel,
                               watermark=not args.no_watermark)
    note(f"wrote {result.path} ({result.frames} frames, {result.width}x{result.height}, "
         f"{result.seconds:.1f} s)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    result = engine.verify(args.file)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(result.summary())
    return 0 if result.marked else 1


def cmd_evaluate(args: argparse.Namespace) -> int:
    report = engine.evaluate_video(args.video, portrait=args.portrait)
    print(json.dumps(report.to_dict(), indent=None if args.json else 2))
    return 0


def main(argv: list[str]) -> int:
    debug = "--debug" in argv  # accepted anywhere on the line, not only before the command
    args = _parser().parse_args([a for a in argv if a != "--debug"])
    args.debug = debug
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    commands = {"analyse": cmd_analyse, "render": cmd_render, "verify": cmd_verify,
                "evaluate": cmd_evaluate}
    if args.command == "version":
        print(f"{engine.APP_NAME} {engine.__version__}")
        return 0
    try:
        if args.command not in commands:  # the model commands carry their own handler
            return int(args.func(args) or 0)
        return commands[args.command](args)
    except engine.Cancelled as exc:
        note(f"\n{exc.message}")
        return int(getattr(exc, "exit_code", 130))
    except engine.TalkieError as exc:
        if args.debug:
            raise
        note(f"error: {exc.message}")
        return 2
    except KeyboardInterrupt:
        note("\nInterrupted. Nothing was written.")
        return 130
    except Exception as exc:  # a bug: still one line unless --debug
        if args.debug:
            raise
        note(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)")
        return 2
