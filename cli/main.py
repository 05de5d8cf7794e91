"""Argument parsing and the commands: analyse, render, verify, evaluate, version.

A failing command exits 2 with one line on stderr and no traceback
(``--debug`` shows it). ``verify`` exits 0 for a marked file, 1 for an
unmarked one. Ctrl-C during a render cancels it and leaves no file.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import engine
from cli.progress import ProgressBar


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="talkie", description="Make a still portrait speak.")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyse", help="find faces and landmarks, and measure an audio file")
    a.add_argument("portrait", type=Path)
    a.add_argument("audio", type=Path, nargs="?")
    a.add_argument("--json", action="store_true", help="print JSON with all 468 landmarks")

    r = sub.add_parser(
        "render", help="render PORTRAIT speaking AUDIO (or a saved --project) to an MP4"
    )
    r.add_argument("portrait", type=Path, nargs="?", help="portrait image (or from --project)")
    r.add_argument("audio", type=Path, nargs="?", help="voice track (or from --project)")
    r.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    r.add_argument("--project", type=Path, help="a saved Talkie project: its portrait, audio, "
                   "settings, blinks, keyframes and face; options given here override it")
    d = engine.Settings()
    r.add_argument("--fps", type=int, choices=engine.FPS_CHOICES, help=f"default {d.fps}")
    r.add_argument("--size", type=int, help="long edge in pixels (default: the portrait's own, "
                   "at most 2048)")
    r.add_argument("--seed", type=int, help=f"default {d.seed}")
    r.add_argument("--blink-rate", type=float,
                   help=f"blinks per minute (default {d.blink_rate:.1f})")
    r.add_argument("--blink-duration", type=float,
                   help=f"seconds (default {d.blink_duration:.3f})")
    r.add_argument("--liveliness", type=float, help="how much the head and brows move with "
                   "the speech: 1 = a real speaker's level (default), 0 keeps the head still")
    r.add_argument("--keep-expression", action="store_true", default=None,
                   help="keep the portrait's own expression at rest (default: relax the face "
                   "to closed lips)")
    r.add_argument("--mouth-intensity", type=float, help="default 1")
    r.add_argument("--motion", choices=("gan", "phonetic"), help=f"default {d.motion_source}")
    r.add_argument("--crf", type=int, help=f"H.264 quality, lower is better (default {d.crf})")
    r.add_argument("--start", type=float, help="seconds (default 0)")
    r.add_argument("--end", type=float, help="seconds")
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
    return p


#: ``render`` option -> Settings field.
_SETTING_OPTIONS = {
    "fps": "fps", "size": "size", "seed": "seed", "mouth_intensity": "mouth_intensity",
    "blink_rate": "blink_rate", "blink_duration": "blink_duration",
    "liveliness": "liveliness", "keep_expression": "keep_expression",
    "motion": "motion_source", "crf": "crf",
    "start": "start", "end": "end",
}


def _validate(s: engine.Settings, output: Path) -> None:
    if s.size is not None and not 16 <= s.size <= 8192:
        raise engine.TalkieError("--size must be between 16 and 8192 pixels.")
    if s.blink_rate < 0 or s.blink_rate > 120:
        raise engine.TalkieError("--blink-rate must be between 0 and 120 blinks per minute.")
    if not 0.05 <= s.blink_duration <= 1.0:
        raise engine.TalkieError("--blink-duration must be between 0.05 and 1 second.")
    if not 0 <= s.liveliness <= 2:
        raise engine.TalkieError("--liveliness must be between 0 and 2.")
    if not 0 <= s.mouth_intensity <= 3:
        raise engine.TalkieError("--mouth-intensity must be between 0 and 3.")
    if not 0 <= s.crf <= 51:
        raise engine.TalkieError("--crf must be between 0 and 51.")
    if s.start < 0 or (s.end is not None and s.end <= s.start):
        raise engine.TalkieError("--end must come after --start, and --start must be 0 or more.")
    if output.suffix.lower() != ".mp4":
        raise engine.TalkieError("The output must be an .mp4 file.")


def cmd_analyse(args: argparse.Namespace) -> int:
    image = engine.load_image(args.portrait)
    result: dict[str, Any] = {"portrait": str(args.portrait), "width": image.rgb.shape[1],
                              "height": image.rgb.shape[0], "alpha": image.alpha is not None}
    from engine.face import detect_faces

    faces = detect_faces(image.rgb)
    result["faces"] = [
        {"box": [round(float(v), 1) for v in f.box], "score": round(float(f.score), 3),
         "landmarks": [[round(float(c), 2) for c in pt] for pt in f.landmarks]}
        for f in faces
    ]
    if args.audio is not None:
        from engine.audio.levels import loudness_summary

        audio = engine.load_audio(args.audio)
        result["audio"] = {"path": str(args.audio), "duration": round(audio.duration, 3),
                           "sample_rate": audio.original_rate,
                           "channels": int(audio.channels),
                           **loudness_summary(audio.samples)}
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
            print("  no face found: use a frontal, well-lit portrait")
        if "audio" in result:
            au = result["audio"]
            print(f"{args.audio}: {au['duration']:.2f} s, {au['sample_rate']} Hz, "
                  f"{au['channels']} channel(s), loudness {au['rms_dbfs']:.1f} dBFS RMS, "
                  f"peak {au['peak_dbfs']:.1f} dBFS")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    project = engine.Project.load(args.project) if args.project is not None else engine.Project()
    portrait_path = args.portrait or project.portrait
    audio_path = args.audio or project.audio
    if portrait_path is None or audio_path is None:
        raise engine.TalkieError(
            "render needs a PORTRAIT and an AUDIO file, or a --project that names them."
        )
    overrides = {field: getattr(args, opt) for opt, field in _SETTING_OPTIONS.items()
                 if getattr(args, opt) is not None}
    settings = project.settings.with_(**overrides)
    _validate(settings, args.output)
    from engine.media.mp4 import check_writable

    face_index = project.face_index
    points_file: Path | None = None
    if args.face is not None:
        if args.face.strip().lstrip("-").isdigit():
            face_index = int(args.face)
        else:
            points_file = Path(args.face)
    check_writable(args.output)  # fail before minutes of analysis
    cancel = engine.CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        image = engine.load_image(portrait_path)
        audio = engine.load_audio(audio_path)
        if points_file is not None:
            from engine.face.fit import fit_face, load_points_json

            landmarks = fit_face(load_points_json(points_file, image.rgb.shape), image.rgb.shape)
        elif args.face is None:
            landmarks = project.landmarks(image.rgb.shape)
        else:
            landmarks = None
        portrait = engine.analyse_portrait(image, face_index=face_index, landmarks=landmarks)
        analysis = engine.analyse_audio(audio, progress=ProgressBar("analyse"), cancel=cancel)
        animation = engine.Animation(portrait, analysis, settings, project.blinks,
                                     project.keyframes)
        for warning in animation.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        result = engine.export(animation, args.output, progress=ProgressBar("render "),
                               cancel=cancel, watermark=not args.no_watermark)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"wrote {result.path} ({result.frames} frames, {result.width}x{result.height}, "
          f"{result.seconds:.1f} s)", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    result = engine.verify(args.file)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(result.summary())
    return 0 if result.marked else 1


def cmd_evaluate(args: argparse.Namespace) -> int:
    from engine.evaluate import evaluate_video

    report = evaluate_video(args.video, portrait=args.portrait)
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
        print(f"\n{exc.message}", file=sys.stderr)
        return 130
    except engine.TalkieError as exc:
        if args.debug:
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nCancelled. Nothing was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line unless --debug
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 2
