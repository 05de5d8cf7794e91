"""Headless commands of the speech model, for the CLI to attach.

Each command has a parser builder ``add_xxx(subparsers)`` that registers the
subcommand and sets ``func=run_xxx``, and a runner ``run_xxx(args) -> int``
(exit code). torch is imported only inside the training commands, so the app
and its other commands run without it.

    from cli import model_commands
    model_commands.add_all(subparsers)   # prepare-data, train, export-model, evaluate-model
    ...
    return args.func(args)

Also runnable on its own: ``python -m cli.model_commands train --data ...``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
from pathlib import Path

log = logging.getLogger(__name__)

#: PyTorch's CPU kernels round differently on different processors: ATen's vectorised
#: kernels by instruction set, MKL and oneDNN by their own dispatch. On an AMD EPYC with
#: AVX-512 each of the three, switched alone, changed the weights within 60 steps, and
#: the same 4000-step run trained there did not give back the model trained on another
#: machine. Training and export pin all three to AVX2 (every x86-64 CPU since 2013), so
#: that ``make model`` trains the same weights wherever it runs; a value already in the
#: environment wins.
PINNED_CPU_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2",
                      "ONEDNN_MAX_CPU_ISA": "AVX2"}


def pin_cpu_kernels() -> None:
    """Set :data:`PINNED_CPU_KERNELS` on x86-64 unless set; call before torch is imported."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return
    if "torch" in sys.modules:
        log.warning("torch was imported before its CPU kernels were pinned: this run may "
                    "not give the same weights on another machine")
    for key, value in PINNED_CPU_KERNELS.items():
        os.environ.setdefault(key, value)


def _progress_printer(prefix: str):
    def progress(done: int, total: int, message: str) -> None:
        print(f"\r{prefix}: {message}", end="" if done < total else "\n", file=sys.stderr,
              flush=True)
    return progress


# ----------------------------------------------------------------------------- prepare-data
def add_prepare_data(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("prepare-data", help="extract landmarks and audio features of clips")
    p.add_argument("src", type=Path, help="folder of clips, e.g. ../shared/data/grid")
    p.add_argument("--out", type=Path, required=True, help="cache folder")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="at most N clips per speaker")
    p.set_defaults(func=run_prepare_data)
    return p


def run_prepare_data(args: argparse.Namespace) -> int:
    from engine.model.data import prepare

    r = prepare(args.src, args.out, workers=args.workers, limit=args.limit,
                progress=_progress_printer("prepare-data"))
    print(json.dumps(r))
    return 0 if r["failed"] == 0 else 1


# ----------------------------------------------------------------------------- train
def add_train(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train the speech-driven motion GAN (needs torch)")
    p.add_argument("--data", type=Path, required=True, help="cache folder from prepare-data")
    p.add_argument("--out", type=Path, required=True, help="run folder, e.g. runs/NAME")
    p.add_argument("--config", type=Path, default=None, help="JSON file of TrainConfig fields")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--minutes", type=float, default=None, help="stop after this wall time")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-sync-d", action="store_true", help="ablation: no sync discriminator")
    p.add_argument("--no-seq-d", action="store_true", help="ablation: no sequence discriminator")
    p.add_argument("--no-frame-d", action="store_true", help="ablation: no frame discriminator")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a TrainConfig field")
    p.set_defaults(func=run_train)
    return p


def run_train(args: argparse.Namespace) -> int:
    pin_cpu_kernels()
    from engine.model.train.loop import TrainConfig, train

    cfg = TrainConfig()
    if args.config:
        cfg = cfg.replace(**json.loads(Path(args.config).read_text()))
    over: dict = {}
    for kv in args.set:
        k, _, v = kv.partition("=")
        over[k] = json.loads(v) if v[:1] in "0123456789-[{tfn" else v
    for k in ("steps", "minutes", "seed", "threads"):
        if getattr(args, k) is not None:
            over[k] = getattr(args, k)
    if args.no_sync_d:
        over["w_sync"] = 0.0
    if args.no_seq_d:
        over["w_seq"] = 0.0
    if args.no_frame_d:
        over["w_frame"] = 0.0
    cfg = cfg.replace(**over)
    train(args.data, args.out, cfg)
    return 0


# ----------------------------------------------------------------------------- export-model
def add_export_model(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export-model", help="export a checkpoint's generator to ONNX")
    p.add_argument("ckpt", type=Path, help="checkpoint (.pt) or run folder")
    p.add_argument("out", type=Path, help="output .onnx")
    p.set_defaults(func=run_export_model)
    return p


def run_export_model(args: argparse.Namespace) -> int:
    pin_cpu_kernels()  # the export runs the generator too (the pause gate's fit, parity)
    from engine.model.train.export import export_onnx

    r = export_onnx(args.ckpt, args.out)
    print(json.dumps(r))
    return 0


# ----------------------------------------------------------------------------- evaluate-model
def add_evaluate_model(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("evaluate-model", help="compare the model with the baselines on clips")
    p.add_argument("--data", type=Path, required=True, help="cache folder from prepare-data")
    p.add_argument("--model", type=Path, action="append", default=None,
                   help="ONNX model(s) to evaluate (name=path allowed); default the shipped one")
    p.add_argument("--shared", type=Path, default=None,
                   help="the data folder with the audio (default ../shared/data)")
    p.add_argument("--split", type=Path, default=None,
                   help="split.json of a run (its training clips fit the loudness baseline)")
    p.add_argument("--set", dest="sets", action="append", default=None,
                   help="only this validation set or speaker (repeatable): a set's name "
                        "('GRID s4hq') or a speaker ('s33', '1001')")
    p.add_argument("--out", type=Path, default=None, help="write results JSON + Markdown here")
    p.add_argument("--no-phonetic", action="store_true", help="skip the phonetic baseline")
    p.add_argument("--ungated", action="store_true",
                   help="also evaluate each model without its pause gate")
    p.add_argument("--rendered", action="store_true",
                   help="also render every clip and track the rendered mouth (minutes)")
    p.add_argument("--breath", type=float, action="append", default=[],
                   help="also evaluate each model with this Breath setting (repeatable; the "
                        "app's default is always evaluated)")
    p.set_defaults(func=run_evaluate_model)
    return p


def run_evaluate_model(args: argparse.Namespace) -> int:
    from engine.model.evaluation import evaluate_all

    res = evaluate_all(args.data, models=args.model, shared=args.shared, split=args.split,
                       out=args.out, phonetic=not args.no_phonetic, sets=args.sets,
                       ungated=args.ungated, rendered=args.rendered, breaths=args.breath)
    print(res["markdown"])
    return 0


def add_all(sub) -> None:
    """Register prepare-data, train, export-model and evaluate-model on ``sub``."""
    add_prepare_data(sub)
    add_train(sub)
    add_export_model(sub)
    add_evaluate_model(sub)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ap = argparse.ArgumentParser(prog="python -m cli.model_commands")
    sub = ap.add_subparsers(dest="command", required=True)
    add_all(sub)
    args = ap.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
