"""The command line's arguments: the subcommands' parser with its option groups (models,
reports, ground truth, workers), the viewer's own, and the refusal of an argument no option
takes by the subcommand it was given to.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.analyses.base import list_analyses
from forensic_viewer.casework import add_audit_parser, add_case_arg
from forensic_viewer.overlays import COLORMAPS, DEFAULT_COLORMAP, NOT_ORDERED

# The subcommands; any other first argument is the viewer's (gui_parser)
COMMANDS = ("analyze", "scan", "probe", "report", "models", "selftest", "audit")
# The first line of forensic_viewer.cli's docstring: what the program is
DESCRIPTION = "``forensic-viewer``: the GUI, and every analysis it can do, headless."


# What is loaded when no --model is given (engine.assembly.default_choice), as every --help says
DEFAULT_MODELS_HELP = (
    "(default: the first ensemble found and the bundled checkpoints it names, with the bundled "
    "face models; every bundled checkpoint when there is no ensemble)"
)


def _add_model_args(p: argparse.ArgumentParser, *, analyses: bool = True) -> None:
    """The model options; ``analyses=False`` for a command that runs no classic analyses
    (``probe`` compares the models' results), so its --help does not offer --analyses."""
    p.add_argument(
        "--model",
        action="append",
        metavar="NAME_OR_FILE",
        help=f"checkpoint name or file, or an ensemble file; repeat for several {DEFAULT_MODELS_HELP}",
    )
    p.add_argument(
        "--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default: auto)"
    )
    p.add_argument(
        "--window",
        type=int,
        help="sliding-window size P (default: the checkpoint's); given, the models run the "
        "exact sliding-window path with it",
    )
    p.add_argument(
        "--stride",
        type=int,
        help="sliding-window step S (default: the checkpoint's); given, the models run the "
        "exact sliding-window path with it",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="windows per forward pass on the exact path; on the fast path, tiles per pass "
        "on CUDA only (default: 8)",
    )
    p.add_argument("--no-faces", action="store_true", help="skip face detection")
    if analyses:
        p.add_argument(
            "--analyses",
            default="",
            metavar="LIST",
            help="classic analyses to run as well, comma-separated "
            f"({', '.join(list_analyses())}) or 'all'; see docs/ANALYSES.md",
        )
        p.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="ANALYSIS.NAME=VALUE",
            help="a parameter of an analysis of --analyses, e.g. ela.quality=75 (Sherloq's; "
            "default 90); repeat for several. Recorded with every result and in scan.json: a "
            "scan is resumed only with the same parameters",
        )
    p.add_argument(
        "--exact",
        action="store_true",
        help="the paper's sliding-window path on PyTorch (the slow reference) instead of the "
        + (
            "fast path; every result's input policy says which ran, and a scan records it in "
            "scan.json"
            if analyses
            else "fast path, for the original and every copy; a --report's input policies "
            "say which ran (probe.json does not record it)"
        ),
    )


def _add_report_args(p: argparse.ArgumentParser, figures: bool = True) -> None:
    g = p.add_argument_group("report")
    g.add_argument(
        "--report",
        metavar="FORMATS",
        help="write a report of the files to --out: html, pdf and/or json, comma-separated "
        "(a JSON sidecar always comes along; an earlier report there is moved whole into "
        "--out/earlier-reports/)",
    )
    if figures:
        _add_figures_arg(g)
    _add_case_info_args(g)


def _add_figures_arg(g: argparse._ActionsContainer) -> None:
    """Which files of a scan's report get figures (``ReportOptions.figures``), and their
    heatmaps' colormap (``FigureStyle.colormap``: the viewer's View ▸ Heatmap colormap)."""
    g.add_argument(
        "--figures",
        choices=("all", "flagged", "none"),
        default="all",
        help="the files whose report sections get figures (evidence, heatmaps): all (default), "
        "flagged (flagged files only: a report of thousands of files stays readable) or none "
        "(tables only); the summary lists every file, and the report's first page says which",
    )
    g.add_argument(
        "--colormap",
        choices=list(COLORMAPS),
        default=DEFAULT_COLORMAP,
        metavar="NAME",
        help=f"the heatmaps' colormap in the report's figures: {', '.join(COLORMAPS)} "
        f"(default: {DEFAULT_COLORMAP}; cividis is made for colour-vision deficiencies; "
        f"{' and '.join(sorted(NOT_ORDERED))} are not perceptually ordered, which the "
        "figures' legends say); report.json records it",
    )


def _add_case_info_args(g: argparse._ActionsContainer) -> None:
    """What a report prints of the case: examiner, case id, notes."""
    g.add_argument("--examiner", default="", help="examiner's name, printed in the report")
    g.add_argument("--case-id", default="", help="case identifier, printed on every report page")
    g.add_argument("--notes", default="", help="case notes for the report")


def _add_resume_args(p: argparse.ArgumentParser, report: bool = False) -> None:
    p.add_argument(
        "--accept-edited-results",
        action="store_true",
        help=(
            "report although OUT/results.jsonl changed after its last run ended (its rows are "
            "taken as they now read; the report and the case log say so)"
            if report
            else "resume although --out/results.jsonl changed after its last run ended (its "
            "rows are taken as they now read; scan.json, the report and the case log say so)"
        )
        + ". Without it such a folder is refused (exit 2): docs/RESULTS.md",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forensic-viewer", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse image files")
    a.add_argument("images", nargs="+", type=Path)
    a.add_argument("--out", type=Path, required=True, help="output folder")
    _add_gt_arg(a, one_mask=True)
    _add_model_args(a)
    _add_report_args(a)
    _add_resume_args(a)
    add_case_arg(a)
    from forensic_viewer.scan.jobs import jobs_arg

    s = sub.add_parser("scan", help="analyse every image in a folder (resumable)")
    s.add_argument("folder", type=Path)
    s.add_argument("--out", type=Path, required=True, help="output folder")
    s.add_argument("--recursive", action="store_true", help="descend into sub-folders")
    s.add_argument(
        "--jobs",
        type=jobs_arg,
        default=None,
        metavar="N",
        help="worker processes (own models, cores // N threads each); 1: this process; auto "
        "(default): one per core on the CPU for 30+ files; with --ray, actors (every CPU)",
    )
    s.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="analyse on Ray actors (pip install 'forensic-viewer[cluster]'): the cluster at "
        "ADDRESS, or without one a local Ray instance on this machine (docs/CLUSTER.md)",
    )
    _add_gt_arg(s)
    _add_model_args(s)
    _add_report_args(s)
    _add_resume_args(s)
    add_case_arg(s)
    r = sub.add_parser(
        "probe",
        help="robustness probe: analyse derived copies of IMAGE (JPEG re-saves, 50 %%, blur, "
        "social-media chain) and compare them with it; writes probe.json and maps (docs/PROBE.md)",
    )
    r.add_argument("image", type=Path)
    r.add_argument("--out", type=Path, required=True, help="output folder")
    _add_model_args(r, analyses=False)
    _add_report_args(r, figures=False)
    add_case_arg(r)
    w = sub.add_parser(
        "report",
        help="write the report of a scan output folder as it stands, without a run (a copied "
        "folder: evidence not at its recorded path is named in the report; docs/RESULTS.md)",
    )
    w.add_argument("out", type=Path, metavar="OUT", help="the --out folder of an analyze or scan")
    w.add_argument(
        "--format",
        default="html,pdf",
        metavar="FORMATS",
        help="html, pdf and/or json, comma-separated (default: html,pdf; a JSON sidecar always "
        "comes along; an earlier report in OUT is moved whole into OUT/earlier-reports/)",
    )
    _add_figures_arg(w)
    _add_case_info_args(w)
    _add_resume_args(w, report=True)
    add_case_arg(w)
    t = sub.add_parser(
        "selftest",
        help="check the installation: versions, bundled model files against their cards, and "
        "an analysis of the bundled samples against the cards' regression floors (exit 0/1)",
    )
    t.add_argument(
        "--device",
        default="auto",
        help="device of the test analyses: auto | cpu | cuda | cuda:N | mps (default: auto, "
        "the one analyze takes)",
    )
    m = sub.add_parser("models", help="list architectures and checkpoints, or print a model card")
    m.add_argument("name", nargs="?")
    m.add_argument("--extra", action="append", default=[], help="another folder of checkpoints")
    m.add_argument(
        "--json",
        action="store_true",
        help="with NAME: a checkpoint's header as JSON alone (for scripts), not its card",
    )
    add_audit_parser(sub)
    return p


# An option asked for by a name it does not have, with what the command does instead
RESUME_HINTS = {
    "scan": "a scan resumes when run again with the same --out",
    "analyze": "analyze resumes when run again with the same --out",
}


def parse_command(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by ``parser``; arguments no option or positional takes are refused by
    the (sub)command they were given to, with its usage, not the top-level usage that
    ``parse_args`` printed (``usage: forensic-viewer [-h] {analyze,scan,...}`` for a
    ``scan ... --resume``), and ``--resume`` with what the command does instead."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = _chosen_subparser(parser, args)
        hint = RESUME_HINTS.get(args.command) if "--resume" in extra else None
        sub.error(
            f"unrecognized arguments: {' '.join(extra)}" + (f" ({hint})" if hint else "")
        )  # exits 2, as argparse's own usage errors do
    return args


def _chosen_subparser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The innermost (sub)parser ``args`` went through (``audit verify``: verify's)."""
    for action in parser._actions:  # argparse offers no public way to the chosen subparser
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                return _chosen_subparser(chosen, args)
    return parser


def _add_gt_arg(p: argparse.ArgumentParser, one_mask: bool = False) -> None:
    also = "; for one image also its mask file, or Negative (authentic)" if one_mask else ""
    p.add_argument(
        "--gt",
        type=Path,
        metavar="DIR",
        help="score the results against true masks: an IMDL-BenCo folder (Tp/ + Gt/, optional "
        f"Au/) or a JSON list of [image, mask] pairs{also}; docs/GROUND_TRUTH.md",
    )


def gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="forensic-viewer",
        description="Open the viewer (or run: forensic-viewer "
        "{analyze,scan,probe,report,models,selftest,audit} --help).",
    )
    p.add_argument("--version", action="store_true", help="print the versions and exit")
    p.add_argument("images", nargs="*", help="image files or folders to open")
    p.add_argument(
        "--model",
        action="append",
        metavar="NAME_OR_FILE",
        help="checkpoint name or file, or an ensemble file, to load at start; repeat for several "
        + DEFAULT_MODELS_HELP,
    )
    p.add_argument(
        "--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default: auto)"
    )
    add_case_arg(p, gui=True)
    return p
