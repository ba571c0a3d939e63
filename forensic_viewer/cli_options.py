"""What a command's options ask for, checked before anything is loaded or written, and the
Analyzer they make: --window/--stride, --jobs/--ray, --model/--device (without loading a model:
``_check_models``), --analyses, --report; the header check that refuses every file of a run
before its models load (``_refused_early``, ``_refused_scan``; ``analyze``'s ``_all_refused``
loads none and writes their rows); ``build_analyzer``, or with
worker processes the recipe each assembles it from.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forensic_viewer.cli_exit import UsageError, _error
from forensic_viewer.wording import plain


def _jobs(args: argparse.Namespace) -> int:
    """--jobs as given (after :func:`_resolve_jobs`), else 1 (or for a command without it)."""
    jobs = getattr(args, "jobs", None)
    return 1 if jobs is None else jobs


def _resolve_jobs(args: argparse.Namespace, files: int) -> None:
    """A scan's ``--jobs auto`` (or none given) made a number for ``files`` files to analyse
    (:func:`forensic_viewer.scan.jobs.auto_jobs`); with --ray, None (Ray's own default)."""
    if getattr(args, "jobs", 1) in (None, "auto"):
        from forensic_viewer.scan.jobs import auto_jobs

        args.jobs = None if _on_ray(args) else auto_jobs(files, args.device)
        if args.jobs and args.jobs > 1:  # said, since the analyst did not ask for it
            print(f"{args.jobs} worker processes (--jobs auto; --jobs 1: one)", file=sys.stderr)


def _on_ray(args: argparse.Namespace) -> bool:
    """Whether --ray was given (with or without an address)."""
    return getattr(args, "ray", None) is not None


def _check_window_args(args: argparse.Namespace) -> None:
    """Refuse a bad --window or --stride (a usage error)."""
    if args.window is not None and args.window < 1:
        raise UsageError(f"--window must be >= 1, got {args.window}")
    if args.stride is not None and args.stride < 1:
        raise UsageError(f"--stride must be >= 1, got {args.stride}")
    if args.window and args.stride and args.stride > args.window:
        raise UsageError(f"--stride ({args.stride}) must not exceed --window ({args.window})")


def _check_workers(args: argparse.Namespace) -> None:
    """Refuse a --jobs below 1, --ray without Ray and --ray with a --device cuda:N its actors
    cannot see (usage errors)."""
    jobs = getattr(args, "jobs", None)
    if isinstance(jobs, int) and jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {jobs}")
    if _on_ray(args):
        from forensic_viewer.scan.ray_pool import ray_available, ray_device_problem, ray_missing

        if (problem := ray_device_problem(getattr(args, "device", "auto"))) is not None:
            raise UsageError(problem)
        if not ray_available():
            raise UsageError(f"--ray needs {ray_missing()}")


def _check_models(args: argparse.Namespace) -> None:
    """Refuse, without loading any model, what :func:`build_analyzer` would refuse first, for
    a run that stops before it (every file refused by the header check); the checks that need
    no torch first, so a mistake they find is said at once, not after the seconds torch takes:
    a --device of no kind of device (for --ray too: a name no node has), no model installed
    for a run without --model, a --model that is a file or the name of one in the models
    folders (found by the names alone); only then a --model named otherwise (the headers
    are read) and a --device this machine may lack (its workers' machine: a Ray cluster's
    nodes are not this one, and are left to them)."""
    from engine import catalog  # no torch
    from engine.device_names import device_name_problem

    if (problem := device_name_problem(args.device)) is not None:
        raise UsageError(problem)
    if not args.model and not catalog.bundled_checkpoint_files():
        raise UsageError(catalog.NO_MODEL_INSTALLED)
    names = [m for m in args.model or () if not catalog.found_by_file_name(m)]
    if names:
        from engine.assembly import resolve_models  # torch

        _, problems = resolve_models(names)
        if problems:
            raise UsageError(problems[0])
    if not _on_ray(args) and args.device not in ("auto", "cpu"):
        from engine.devices import resolve_device  # torch

        resolve_device(args.device)  # ValueError: a usage error, as when the models load


def _analyses(args: argparse.Namespace) -> tuple[str, ...]:
    """The --analyses names, checked before any model is loaded."""
    from engine.analyses import parse_analyses

    try:
        names = parse_analyses(getattr(args, "analyses", "") or "")
    except ValueError as e:
        raise UsageError(f"--analyses: {e}") from e
    _analysis_params(args, names)
    return names


def _analysis_params(args: argparse.Namespace, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The --param values per analysis (``engine.analyses.parse_overrides``: each checked by
    its analysis's own rules), only for analyses of ``names`` (--analyses)."""
    from engine.analyses import parse_overrides

    try:
        params = parse_overrides(getattr(args, "param", None) or ())
    except ValueError as e:
        raise UsageError(f"--param {e}") from e
    for name in params:
        if name not in names:
            raise UsageError(f"--param: analysis {name} is not among --analyses; add it there")
    return params


def _report_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """The --report formats, checked before any analysis so a typo costs no time."""
    if not getattr(args, "report", None):
        return ()
    from forensic_viewer.report import parse_formats

    try:
        return parse_formats(args.report)
    except ValueError as e:
        raise UsageError(f"--report: {e}") from e


def build_analyzer(args: argparse.Namespace, weights: bool | None = None):  # -> Analyzer
    """The Analyzer of ``--model``/``--device``/``--window``/``--stride``/``--no-faces``/
    ``--exact`` (assembled as the batch dialog does: :func:`engine.assembly.assemble_analyzer`);
    with ``--jobs N`` > 1 the recipe each worker process assembles it from. ``weights`` given:
    in this process whatever --jobs says, False: its checkpoints only described (settings, no
    network: a resume with nothing new to analyse)."""
    from engine.assembly import NoModelError, assemble_analyzer, choose_analysis_params

    _check_window_args(args)
    _check_workers(args)
    jobs = _jobs(args)
    settings = {
        "device": args.device,
        "window": args.window,
        "stride": args.stride,
        "batch_size": args.batch_size,
        "faces": not args.no_faces,
        "exact": args.exact,
    }
    params = _analysis_params(args, _analyses(args)) if hasattr(args, "analyses") else {}
    if weights is None and (jobs > 1 or _on_ray(args)):  # each worker assembles the same
        from forensic_viewer.scan.pool_worker import AnalyzerRecipe

        models = None if args.model is None else tuple(args.model)
        if settings["faces"]:  # each worker falls back as this process would
            from engine.faces import mtcnn_missing

            _say_face_fallback(args, mtcnn_missing())
        return AnalyzerRecipe(models=models, **settings, analysis_params=params)
    try:
        analyzer = assemble_analyzer(args.model, **settings, weights=weights is not False)
    except NoModelError as e:
        raise UsageError(str(e)) from e
    _say_face_fallback(args, getattr(analyzer.faces, "note", None) if analyzer.faces else None)
    try:
        choose_analysis_params(analyzer, params)
    except ValueError as e:  # an analysis the ensemble runs for its verdict
        raise UsageError(f"--param: {e}") from e
    return analyzer


def _say_face_fallback(args: argparse.Namespace, note: str | None) -> None:
    """Warn, once per command, that face detection fell back to the Haar cascade (``note``:
    :func:`engine.faces.fallback_note`, what, why and the pip command). Only the viewer said
    it: a wheel install's ``analyze`` reported a Haar "face" on the authentic Hubble sample
    with no word of the fallback (an installer's walk-through, 2026-12-06)."""
    if note and not getattr(args, "face_fallback_said", False):
        print(f"forensic-viewer: warning: {plain(note)}", file=sys.stderr)
        args.face_fallback_said = True


def _refused_early(args: argparse.Namespace, images: list[Path]) -> bool:
    """Whether every image is over the file-size, pixel or decode-memory limit by its size or
    header (read alone: no pixel decoded), each said in load_evidence's one line naming the
    file (absolute, as a scan names it); then nothing else is done, no model loaded (about
    10 s) to refuse them after, but a --model or --device the command could not have run with
    is said first (:func:`_check_models`: a usage error). With an image the limit admits, the
    run goes on. ``probe``'s (its output folder holds no rows); ``analyze``'s is
    :func:`_all_refused`."""
    from forensic_viewer.scan.refused import refused_files

    refusals = refused_files(images)
    if refusals:
        _check_models(args)
    for line in refusals:
        _error(line)
    return bool(refusals)


def _all_refused(args: argparse.Namespace, images: list[Path], out: Path) -> bool:
    """Whether ``analyze`` refuses every image by its size or header (read alone: no pixel
    decoded) and none has a finished row in ``out`` (:func:`~forensic_viewer.scan.refused.refused_images`):
    its run then loads no model (about 10 s) and writes each file's error row, with its
    SHA-256, as a run among other files does. A --model or --device the command could not
    have run with is said first (:func:`_check_models`: a usage error). Until 2026-12-06 such
    a run wrote nothing: a file refused alone had no row, where among others it had one."""
    from forensic_viewer.scan.refused import refused_images

    if not refused_images(images, out):
        return False
    _check_models(args)
    return True


def _refused_scan(args: argparse.Namespace, folder: Path, files: list[tuple[Path, str]]) -> bool:
    """Whether the header check refuses every file of the listing (see
    :mod:`forensic_viewer.scan.refused`): then the scan's one line and, under ``failed:`` as a
    scan lists its failures, each file's line, before any model is loaded (about 10 s) or
    the case log, the output folder or its lock is touched; a --model or --device the scan
    could not have run with is said first instead (:func:`_check_models`: a usage error)."""
    from forensic_viewer.scan.refused import refused_by_headers, refused_line

    refusals = refused_by_headers(files, args.out)
    if refusals:
        _check_models(args)
        _error(refused_line(folder, len(refusals)))
        print("failed:", file=sys.stderr)
        for line in refusals:
            print(f"  {plain(line)}", file=sys.stderr)
    return bool(refusals)
