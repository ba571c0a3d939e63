"""``forensic-train``: train, evaluate and calibrate the networks; make synthetic forgeries.

    forensic-train fit --arch NAME --data DIR[:WEIGHT] ... --out RUN_DIR [options]
    forensic-train pretrain --arch diffforensics-... --data DIR ... --out RUN_DIR [options]
    forensic-train eval --model CKPT|NAME --data DIR [--split val|train|all|choose|test] [--json OUT.json]
    forensic-train calibrate --model CKPT --data DIR [--out CKPT2]
    forensic-train average CKPT CKPT ... --out CKPT   (mean weights: a model soup; then calibrate)
    forensic-train synth SRC_DIR --out DIR [--count N]
    forensic-train synth --kind faces --faces DIR [DIR ...] --out DIR [--count N] [--seed S]
                         [--video-prob P --video-crf LO-HI --video-codecs h264,hevc]
    forensic-train check --data DIR ... [--json]   (counts and problems, before a run)

Every command checks its inputs before any long work and says in one line what is wrong (exit
status 2). Images that cannot be decoded are skipped, counted, and listed at the end. Progress
of ``fit`` goes to stdout as JSON lines and to stderr as a bar; an interrupted run continues with
the same command plus ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from engine.ending import (
    Terminated,
    ignore_stop_signals,
    raise_on_sigterm,
    sigterm_as_interrupt,
    stop_status,
    stop_with_parent,
    stop_words,
)
from engine.environ import relative_path_setting
from engine.errors import ForensicError
from engine.formatting import plain_lines
from trainer.check import add_as_given_arg, add_check_parser
from trainer.data.splits import SPLIT_MODES
from trainer.errors import UsageError
from trainer.plan import DEFAULT_WINDOW, RESUME_NAME
from trainer.plan_args import THETA_CHOICES
from trainer.progress import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_USAGE,
    finished_at_stop,
    guard_output,
)
from trainer.run_folder import RUN_RECORD, RunLocked, holding_run_folders


def _add_data_args(p: argparse.ArgumentParser, *, training: bool) -> None:
    p.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="DIR_OR_JSON[:WEIGHT]",
        help="a Tp/+Gt/(+Au/) folder or a JSON list of [image, mask] pairs; repeat to combine, "
        "optionally with a sampling weight",
    )
    p.add_argument(
        "--split-by",
        default="auto",
        choices=SPLIT_MODES,
        help="how train and validation are separated (auto: by source photograph when the "
        "names carry ids, else by seed)",
    )
    p.add_argument(
        "--val-fraction", type=float, default=0.15, help="share of images for validation"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the split, weights and augmentation"
    )
    p.add_argument(
        "--device", default="auto" if training else "cpu", help="auto | cpu | cuda | cuda:N | mps"
    )
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    add_as_given_arg(p)


def _add_video_args(p: argparse.ArgumentParser, what: str) -> None:
    """``--video-*``: H.264/HEVC coding of ``what`` (trainer.data.augment.video_code)."""
    g = p.add_argument_group(
        f"video coding of {what} (H.264/HEVC, decoded back; needs PyAV: the `video` extra)"
    )
    g.add_argument("--video-prob", type=float, metavar="P", help="share coded (default: none)")
    g.add_argument("--video-crf", metavar="LO-HI", help="CRF range drawn from (default 18-32)")
    g.add_argument("--video-codecs", metavar="h264,hevc", help="codecs drawn from (default h264)")
    g.add_argument("--video-preset", metavar="NAME", help="encoder preset (default medium)")
    g.add_argument(
        "--video-frames",
        type=int,
        choices=(1, 2, 3),
        help="frames coded, the image the last (default 2: a P-frame; 1: an I-frame)",
    )


def _add_fit_args(p: argparse.ArgumentParser) -> None:
    _add_data_args(p, training=True)
    p.add_argument("--arch", required=True, help="registered architecture (forensic-viewer models)")
    p.add_argument("--out", type=Path, required=True, help="run folder for checkpoints and logs")
    p.add_argument(
        "--model-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of the architecture's config, e.g. channels=16,32,64",
    )
    p.add_argument(
        "--init", type=Path, help="initialise from this checkpoint (fine-tuning, stage 2)"
    )
    p.add_argument("--val-data", action="append", help="separate validation data (no split then)")
    p.add_argument(
        "--window",
        type=int,
        help=f"training window / crop size P (default: --init's window, else {DEFAULT_WINDOW})",
    )
    p.add_argument(
        "--stride",
        type=int,
        help="inference stride stored in the checkpoint (default: --init's stride when P is "
        "its window, else P/2)",
    )
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument(
        "--batch-size", type=int, help="samples per step (default: the objective's, 4 for CRFD-Net)"
    )
    p.add_argument("--lr", type=float, help="peak learning rate (default: the objective's)")
    p.add_argument("--weight-decay", type=float, help="(default: the objective's)")
    p.add_argument(
        "--optimizer", choices=("adam", "adamw", "sgd"), help="(default: the objective's)"
    )
    p.add_argument(
        "--schedule", choices=("cosine", "poly", "constant"), help="(default: the objective's)"
    )
    p.add_argument("--warmup", type=int, default=100, help="warm-up steps")
    p.add_argument(
        "--clip-grad",
        type=float,
        help="max gradient norm, 0: off (default: the objective's, Mask2Former's 0.01; else 1.0)",
    )
    p.add_argument("--amp", action="store_true", help="fp16 mixed precision (CUDA only)")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument(
        "--aug",
        choices=("none", "light", "full", "faces", "faces-camera"),
        help="augmentation preset (default: light for "
        "window sampling, full for whole images; see trainer.data.augment)",
    )
    _add_video_args(p, "the training samples, on top of --aug")
    p.add_argument(
        "--authentic-share",
        type=float,
        default=0.5,
        help="CRFD-Net: clean windows per forged window in each epoch (paper: 0)",
    )
    p.add_argument(
        "--val-max-images", type=int, default=0, help="cap validation images per epoch (0: all)"
    )
    p.add_argument(
        "--no-val",
        action="store_true",
        help="no validation: every image of --data trains (none is held out)",
    )
    p.add_argument(
        "--keep-split",
        action="store_true",
        help="with --no-val: hold the validation split out all the same, unvalidated "
        "(calibrate measures on it later)",
    )
    p.add_argument(
        "--checkpoint-minutes",
        type=float,
        default=5.0,
        help="checkpoint interval (minutes; 0: at each epoch and at the end only)",
    )
    p.add_argument("--checkpoint-steps", type=int, default=0, help="also every N steps (0: off)")
    p.add_argument(
        "--log-every",
        type=int,
        default=0,
        help="a step event every N steps (0: at least 50 in the run, at least every 10 steps)",
    )
    p.add_argument(
        "--keep-epochs",
        action="store_true",
        help="also keep each epoch's weights as epoch-N.safetensors (for forensic-train average)",
    )
    p.add_argument(
        "--max-steps",
        type=int,
        default=0,
        help="stop after N steps in total (0: epochs); the schedule still spans --epochs",
    )
    p.add_argument("--name", default="", help="model name stored in the checkpoint")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--nproc",
        type=int,
        default=1,
        metavar="N",
        help="train with N processes on this machine (DistributedDataParallel through torchrun; "
        "--batch-size stays the global batch)",
    )
    nodes = p.add_argument_group(
        "several machines (passed to torchrun; run the same command on each, but --node-rank)"
    )
    nodes.add_argument("--nnodes", type=int, default=1, metavar="M", help="machines (default 1)")
    nodes.add_argument("--node-rank", type=int, default=0, metavar="R", help="this machine's index")
    nodes.add_argument("--master-addr", default="", metavar="HOST", help="node 0's address")
    nodes.add_argument(
        "--master-port", type=int, default=29500, metavar="P", help="open on node 0 (29500)"
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forensic-train", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    _add_fit_args(sub.add_parser("fit", help="train a network on masks"))
    pre = sub.add_parser("pretrain", help="DiffForensics stage 1 (masks ignored)")
    _add_fit_args(pre)
    pre.add_argument(
        "--encoder",
        choices=("auto", "frozen", "trained"),
        default="auto",
        help="stage-1 encoder: frozen (the paper, for pretrained weights) or trained; auto "
        "freezes it only when --model-config encoder_weights=FILE is given",
    )

    e = sub.add_parser("eval", help="metrics of a checkpoint on a data set")
    e.add_argument(
        "--model",
        type=Path,
        required=True,
        help="checkpoint (.safetensors), or the name of a bundled or installed model "
        "(forensic-viewer models lists them; resolved as forensic-viewer's --model NAME)",
    )
    _add_data_args(e, training=False)
    e.add_argument(
        "--split",
        choices=("val", "train", "all", "choose", "test"),
        default="all",
        help="which images to use: val = the whole held-out part; choose / test = its two "
        "halves (docs/VERDICTS.md): choose is what fit and calibrate choose on, test chose "
        "nothing (its note says when an older checkpoint chose on it too)",
    )
    e.add_argument(
        "--trusted-masks",
        action="store_true",
        help="leave tampered images whose mask does not mark what changed (checked against "
        "their authentic source) out of the pixel figures",
    )
    e.add_argument(
        "--json",
        type=Path,
        help="write metrics and per-image results here (default: next to the checkpoint, "
        "CKPT.eval-DATA-SPLIT.json; in the working folder for a bundled or installed model)",
    )
    e.add_argument("--inverted", action="store_true", help="pixel figures as max(map, 1 - map)")
    e.add_argument("--limit", type=int, default=0, help="at most this many images (0: all)")
    e.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="windows per forward pass on the exact path; on the fast path, "
        "tiles per pass on CUDA only (default: 8)",
    )

    c = sub.add_parser("calibrate", help="set θ of the forged-fraction rule (CRFD-Net §3.4)")
    c.add_argument("--model", type=Path, required=True, help="checkpoint (.safetensors)")
    _add_data_args(c, training=False)
    c.add_argument(
        "--val-data",
        action="append",
        metavar="DIR_OR_JSON",
        help="separate validation data (no split then: every --data image is training data)",
    )
    c.add_argument(
        "--out",
        type=Path,
        help="write the calibrated checkpoint here (default: in place; required for a "
        "bundled or installed model, which is never overwritten without it)",
    )
    c.add_argument(
        "--name",
        default="",
        help="the model name the calibrated checkpoint carries (default: the checkpoint's)",
    )
    c.add_argument(
        "--choose",
        choices=THETA_CHOICES,
        default=THETA_CHOICES[0],
        help="which Table-3 threshold to store: best (default) stores the one of the best "
        "balanced accuracy on the validation split, ties to the paper's midpoint",
    )
    c.add_argument(
        "--pixel-threshold",
        default="keep",
        help="heatmap threshold of the mask (and so of the forged fraction): keep the "
        "checkpoint's, a number, or auto (best mean pixel F1 on the validation part) "
        "(default: keep)",
    )
    c.add_argument("--json", type=Path, help="write the calibration figures here")
    c.add_argument(
        "--limit", type=int, default=0, help="at most this many images per side (0: all)"
    )
    c.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="windows per forward pass on the exact path; on the fast path, "
        "tiles per pass on CUDA only (default: 8)",
    )

    n = sub.add_parser(
        "ensemble", help="choose an ensemble's weights (equation 6) on validation data"
    )
    n.add_argument(
        "--model",
        type=Path,
        action="append",
        required=True,
        help="member checkpoint (.safetensors); repeat for each member",
    )
    _add_data_args(n, training=False)
    n.add_argument(
        "--split",
        choices=("val", "train", "all", "choose"),
        default="val",
        help="which images to use (choose: the validation half of the held-out part, "
        "docs/VERDICTS.md; the other half, the test part, chooses nothing)",
    )
    n.add_argument("--out", type=Path, required=True, help="the NAME.ensemble.json to write")
    n.add_argument("--name", help="ensemble name (default: from --out)")
    n.add_argument("--json", type=Path, help="write the chosen weights and all figures here")
    n.add_argument("--limit", type=int, default=0, help="at most this many images (0: all)")
    n.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="windows per forward pass on the exact path; on the fast path, "
        "tiles per pass on CUDA only (default: 8)",
    )

    a = sub.add_parser(
        "average",
        help="average the weights of checkpoints of one configuration (a model soup); "
        "calibrate the result",
    )
    a.add_argument("checkpoints", type=Path, nargs="+", help="checkpoints (.safetensors)")
    a.add_argument("--out", type=Path, required=True, help="the averaged .safetensors to write")

    from trainer import face_model, verdict, verdict_features

    face_model.add_parser(sub)
    verdict.add_parser(sub)
    verdict_features.add_parser(sub)
    s = sub.add_parser("synth", help="make synthetic forgeries with exact masks")
    s.add_argument(
        "src", type=Path, nargs="?", help="folder of authentic photographs (--kind photos)"
    )
    s.add_argument(
        "--kind",
        choices=("photos", "faces"),
        default="photos",
        help="photos: region forgeries of SRC's photographs; faces: face forgeries "
        "(self-blended, swapped, attribute edits) of the faces found in --faces",
    )
    s.add_argument(
        "--faces", type=Path, nargs="+", help="with --kind faces: folders of photographs of faces"
    )
    s.add_argument("--out", type=Path, required=True, help="output folder (Tp/, Gt/, Au/)")
    s.add_argument(
        "--count", type=int, default=0, help="forgeries to make (0: one per source image or face)"
    )
    s.add_argument(
        "--kinds",
        default=None,
        help="comma-separated kinds of forgery (photos: splice,copymove,resample,inpaint,local; "
        "faces: selfblend,swap,eyes,mouth,skin; default: all of the --kind)",
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--per-photo",
        type=int,
        default=0,
        help="photos: this many forgeries of each source photograph (instead of --count)",
    )
    s.add_argument(
        "--camera-half",
        choices=("val", "test"),
        help="photos: only SRC's photographs of that half of the camera photographs "
        "(trainer.verdict_features.photo_part), recorded in OUT/photos.json, for "
        "`forensic-train features --forgeries OUT` (docs/VERDICTS.md section 6)",
    )
    s.add_argument("--no-authentic", action="store_true", help="do not copy the sources to Au/")
    s.add_argument(
        "--margin",
        type=float,
        default=None,
        help="with --kind faces: face crop margin, share of the box on every side (default "
        "0.6; 0.3 is the viewer's face path, engine.facepath.FACE_MARGIN)",
    )
    s.add_argument(
        "--max-crop",
        type=int,
        default=None,
        help="with --kind faces: longer crops are downscaled to this many pixels (default 512; "
        "a face model's window makes its crops look like the face path's)",
    )
    s.add_argument(
        "--crop-size",
        type=int,
        default=None,
        help="with --kind faces: every crop resized to this square (up or down), as the "
        "viewer's face path resizes a face crop to a model's window (overrides --max-crop)",
    )
    _add_video_args(s, "the crops with --kind faces, forgeries and Au/ alike, after the JPEG")
    add_check_parser(sub)
    return p


def _cmd_fit(args: argparse.Namespace, stage: str) -> int:
    # SIGTERM (the training dialog's Stop) while torch and the trainer are imported, seconds
    # before run_fit puts up its own handler, ends as one there would: one line, exit 143,
    # instead of by the signal's default without a word
    with sigterm_as_interrupt():
        from trainer.commands import run_fit

        # recorded in the checkpoint as the user would type it, whatever path launched it
        return run_fit(args, stage, args.command_line)


def _cmd_eval(args: argparse.Namespace) -> int:
    from trainer.commands import run_eval

    return run_eval(args)


def eval_model(spec: Path) -> Path:
    """The checkpoint ``eval --model`` names: a file, or a model's name as ``forensic-viewer
    analyze --model NAME`` resolves it (:func:`engine.catalog.resolve`: a bundled model first,
    then a file named so, then the one header that names it; a name only headers carry, twice
    or more, refused naming the files). One checkpoint: an ensemble file, given or named, is
    refused saying how an ensemble is scored (the engine's refusal, that one checkpoint is
    needed, says nothing of where an ensemble's figures come from)."""
    from engine.catalog import resolve
    from engine.ensemble import ENSEMBLE_SUFFIX

    path = spec if spec.exists() else resolve(str(spec))  # a folder: the loader says so
    if path.name.endswith(ENSEMBLE_SUFFIX):
        raise UsageError(
            path,
            "an ensemble file: eval takes one checkpoint; score an ensemble on a data set "
            f"with `forensic-viewer scan DIR --model {spec} --out OUT --gt DIR` "
            "(docs/GROUND_TRUTH.md)",
        )
    return path


def _cmd_calibrate(args: argparse.Namespace) -> int:
    """``calibrate`` or ``face-model`` (θ of a checkpoint, written beside it or to ``--out``)."""
    if args.command == "face-model":
        from trainer.face_model import run as run_face_model

        return run_face_model(args)
    from trainer.calibrate import run as run_calibrate  # torch and the networks load here

    return run_calibrate(args)


def _cmd_synth(args: argparse.Namespace) -> int:
    from trainer.commands import run_synth

    return run_synth(args)


def _left_behind(args: argparse.Namespace) -> str:
    """What a stop outside ``fit``'s loop leaves, in words: the finished run's checkpoint
    (``args.finished``, set by ``run_fit`` once its loop has run to its end: the stop came while
    the run was ending, however far it had got), the checkpoint an earlier run left in
    ``--out`` (a ``--resume`` stopped before its loop), or nothing to resume."""
    if args.finished is not None:
        return finished_at_stop(args.finished)
    if (args.out / RESUME_NAME).is_file():
        return f"{args.out} holds the run's last checkpoint: continue with --resume"
    return "before the first checkpoint: nothing to resume"


def _device_problem(args: argparse.Namespace) -> str | None:
    """Why the command's ``--device`` is one this machine cannot run on (one line), or None;
    checked before any work with the engine's functions, as ``forensic-viewer analyze`` checks
    it: ``fit --device cuda`` without a GPU decoded the whole data set first, then ended in a
    traceback from the training loop. ``auto`` and ``cpu`` always run (torch is not imported
    for them)."""
    device = getattr(args, "device", None)
    if device is None:  # a subcommand without --device
        return None
    from engine.device_names import device_name_problem

    if (problem := device_name_problem(device)) is not None or device in ("auto", "cpu"):
        return problem
    from engine.devices import resolve_device  # torch

    try:
        resolve_device(device)
    except ValueError as e:
        return str(e)
    return None


def _is_oom(e: BaseException) -> bool:
    return isinstance(e, MemoryError) or "out of memory" in str(e).lower()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 failed, 2 usage or data error, 3 another
    trainer in the run folder, 130, 143 and 129 interrupted). Run as the program (``argv``
    None: the console script, ``python -m``, the training dialog's child), once the command has
    ended in any way further SIGINT, SIGTERM and SIGHUP are ignored
    (:func:`engine.ending.ignore_stop_signals`): a second or third Ctrl+C while torch was torn
    down printed a traceback or killed the process (status -2, not 130). Called with ``argv``
    (tests, scripts) the caller's handlers stay."""
    program = argv is None
    if program:
        # SIGTERM raises Terminated from the program's start until its end, where it is
        # ignored. The commands that handle it themselves (fit's set-up and loop, the launcher
        # of --nproc) put back this handler, never the signal's default: a SIGTERM between a
        # command's end and the stop signals being ignored ended the process by that default
        # without a word (status -15, not 143).
        raise_on_sigterm()
        stop_with_parent()  # started by the training dialog: stops when the viewer dies
        guard_output()  # a reader gone (the viewer crashed) is a stop too, not an error
    try:
        return _main(argv, program)
    except KeyboardInterrupt as e:  # after the command's handlers, before signals are ignored
        if not program and not isinstance(e, Terminated):
            raise  # a caller's Ctrl+C (tests, scripts) is the caller's
        ignore_stop_signals()  # before the line: another signal must not cut it short
        print(f"forensic-train: {stop_words(e)} as its command ended", file=sys.stderr)
        return stop_status(e)
    finally:
        if program:
            ignore_stop_signals()


def _main(argv: list[str] | None, program: bool) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse printed its message already
        return int(e.code or 0)
    if (problem := relative_path_setting()) is not None:  # before any command reads them
        print(f"forensic-train {args.command}: error: {plain_lines(problem)}", file=sys.stderr)
        return EXIT_USAGE
    if (problem := _device_problem(args)) is not None:  # before the data or the ranks
        print(f"forensic-train {args.command}: error: {plain_lines(problem)}", file=sys.stderr)
        return EXIT_USAGE
    # recorded in checkpoints: the arguments given, also when called as main([...])
    given = sys.argv[1:] if argv is None else argv
    from trainer.distributed import Rendezvous, launch, launched_command, world_size

    args.command_line = launched_command(given)
    args.finished = None  # fit's last checkpoint once its run has finished (run_fit sets it)
    launcher = args.command in ("fit", "pretrain") and world_size() == 1
    if launcher and (args.nproc != 1 or args.nnodes != 1):
        nodes = Rendezvous(args.nnodes, args.node_rank, args.master_addr, args.master_port)
        try:
            if args.nproc < 1:
                raise ValueError(f"--nproc must be >= 1, got {args.nproc}")
            nodes.check()
        except ValueError as e:
            print(f"forensic-train {args.command}: error: {plain_lines(e)}", file=sys.stderr)
            return EXIT_USAGE
        return launch(given, args.nproc, nodes)
    t0 = time.monotonic()
    try:
        if args.command in ("fit", "pretrain"):
            return _cmd_fit(args, args.command)
        if args.command == "eval":  # its --json (beside the checkpoint by default) is written
            from trainer.commands import eval_json

            args.model = eval_model(args.model)
            args.json = eval_json(args)
            with holding_run_folders([args.json], f"forensic-train {args.command}"):
                return _cmd_eval(args)
        if args.command in ("calibrate", "face-model"):  # a run folder's weights: held
            written = [args.model, args.out, args.json]  # --json: the figures, written too
            with holding_run_folders(written, f"forensic-train {args.command}"):
                return _cmd_calibrate(args)
        # the commands below lock the run folders their outputs go into, as calibrate does
        if args.command == "ensemble":
            from trainer.commands import run_ensemble

            with holding_run_folders([args.out, args.json], f"forensic-train {args.command}"):
                return run_ensemble(args)
        if args.command == "average":
            from trainer.average import run_average

            with holding_run_folders([args.out], f"forensic-train {args.command}"):
                print(run_average(args.checkpoints, args.out, args.command_line))
            return 0
        if args.command == "check":
            from trainer.check import run as run_check

            return run_check(args)
        if args.command == "verdict":
            from trainer.verdict import run as run_verdict

            # --models / RUN_RECORD: the checkpoints it rewrites are in that folder
            outputs = [args.json, *args.ensemble, args.models / RUN_RECORD]
            with holding_run_folders(outputs, f"forensic-train {args.command}"):
                return run_verdict(args)
        if args.command == "features":
            from trainer.verdict_features import run as run_features

            # the folder of --out holds its .maps too
            with holding_run_folders([args.out], f"forensic-train {args.command}"):
                return run_features(args)
        return _cmd_synth(args)
    except RunLocked as e:  # another trainer in --out: refused before reading or writing there
        print(f"forensic-train {args.command}: error: {plain_lines(e)}", file=sys.stderr)
        return EXIT_BUSY
    except (ForensicError, UsageError) as e:
        print(f"forensic-train {args.command}: error: {plain_lines(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as e:  # Ctrl+C, or SIGTERM: Terminated
        if program:  # before the line: another signal must not cut it or the exit short
            ignore_stop_signals()
        left = f", {_left_behind(args)}" if args.command in ("fit", "pretrain") else ""
        print(
            f"forensic-train {args.command}: {stop_words(e)} after "
            f"{time.monotonic() - t0:.0f} s{left}",
            file=sys.stderr,
        )
        return stop_status(e)
    except (RuntimeError, MemoryError) as e:
        if _is_oom(e):
            print(
                f"forensic-train {args.command}: error: out of memory; try a smaller --batch-size "
                "or --window",
                file=sys.stderr,
            )
            return EXIT_FAILED
        raise
    except FloatingPointError as e:
        print(f"forensic-train {args.command}: error: {plain_lines(e)}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as e:  # a file that cannot be written (a full or read-only disk)
        what = f"{e.filename}: {e.strerror}" if e.filename and e.strerror else str(e)
        print(f"forensic-train {args.command}: error: {plain_lines(what)}", file=sys.stderr)
        return EXIT_FAILED


def print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
