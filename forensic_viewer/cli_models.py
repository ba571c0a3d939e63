"""``forensic-viewer models [NAME]``: the architectures, checkpoints and ensembles installed,
or one of them described: its model card, or for a checkpoint without one (trained by the user)
what its header says of its training, and its header as JSON (alone with --json). NAME is
chosen as ``--model NAME`` chooses: a checkpoint or ensemble file by its path, else a name in
the search folders (``--extra DIR`` adds one).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.ensemble import ENSEMBLE_SUFFIX
from engine.errors import CheckpointError, ForensicError
from engine.files import not_regular_reason, read_regular_text, suffix_is
from forensic_viewer.cli_exit import UsageError
from forensic_viewer.wording import plain, plain_lines

if TYPE_CHECKING:
    from engine.assembly import ModelEntry


def cmd_models(args: argparse.Namespace) -> int:
    from engine.assembly import available_models  # torch: not for --help or --version
    from engine.models import get_spec, list_models

    if args.name and Path(args.name).is_file():  # a file named by its path, as --model takes it
        return _describe_file(Path(args.name), args.json)
    listing = available_models(args.extra)
    if args.name:
        entry = _named_checkpoint(args.name, listing.checkpoints)
        if entry is not None:
            return _describe_checkpoint(entry, args.json)
        for e in listing.ensembles:
            if args.name in (e.path.name, e.name):
                return _describe_ensemble(e.path)
        _refuse_left_out(args.name, args.extra)
        raise UsageError(
            f"no checkpoint or ensemble named '{args.name}' (a file elsewhere: give its path, "
            "or its folder with --extra DIR)"
        )
    print("Architectures:")
    for name in list_models():
        print(f"  {name:<24} {get_spec(name).description}")
    print("\nCheckpoints:")
    if not listing.checkpoints:
        print("  (none installed: train one with `forensic-train fit`)")
    for e in listing.checkpoints:
        if e.meta is None:
            continue
        metrics = e.meta.metrics
        figs = ", ".join(
            f"{k} {v}" if isinstance(v, int) else f"{k} {v:.3f}"  # counts stay counts
            for k, v in metrics.items()
            if isinstance(v, float | int) and not isinstance(v, bool)
        )
        # a checkpoint's name, path and header are the user's files: escapes shown, not obeyed
        name, arch = plain(e.name), plain(e.meta.architecture)
        provenance = plain(e.meta.decision.provenance)
        print(f"  {name:<24} {arch:<20} {e.origin:<8} {plain(e.path)}")
        print(f"  {'':<24} input: {input_words(e.meta)}")
        rule = e.meta.decision
        print(f"  {'':<24} θ {rule.threshold:.4g} {theta_scale(rule)} ({provenance})")
        if figs:  # the training run's own validation split (report/text.py says why it matters)
            print(f"  {'':<24} training-run validation split: {figs}")
    if listing.ensembles:
        print("\nEnsembles:")
        for e in listing.ensembles:
            print(f"  {plain(e.name):<24} {plain(e.path)}")
    # not "unreadable": a header of an architecture this program lacks is read, and one out
    # of bounds is read and refused
    for line in listing.problems:
        print(f"  left out: {plain(line)}", file=sys.stderr)
    for line in listing.clashes:
        print(f"warning: {plain(line)}", file=sys.stderr)
    return 0


def _describe_file(path: Path, as_json: bool) -> int:
    """``models FILE``: the checkpoint or ensemble file ``path`` described as a listed one
    (``models NAME`` searched only the listing, so a file ``--model FILE`` takes was "no
    checkpoint or ensemble named" it); a header it refuses is the loader's one line."""
    from engine.assembly import describe_model

    if path.name.endswith(ENSEMBLE_SUFFIX):
        return _describe_ensemble(path)
    if not suffix_is(path, ".safetensors"):
        raise UsageError(
            f"{plain(path)}: not a checkpoint: `models FILE` describes a .safetensors "
            f"checkpoint written by forensic-train or an ensemble file (*{ENSEMBLE_SUFFIX})"
        )
    return _describe_checkpoint(describe_model(path), as_json)


def _refuse_left_out(name: str, extra: Sequence[str]) -> None:
    """The reason, naming the file, when ``name`` is the file name or stem of a checkpoint in
    the search folders that the listing left out (its header refused): "no checkpoint named"
    it contradicted the listing's own line about the file."""
    from engine.assembly import describe_model
    from engine.catalog import search_dirs

    for folder in search_dirs(extra):
        for path in (folder / name, folder / f"{name}.safetensors"):
            if suffix_is(path, ".safetensors") and path.is_file():
                describe_model(path)  # raises the CheckpointError of its header


def _describe_checkpoint(entry: ModelEntry, as_json: bool) -> int:
    header = None if entry.meta is None else json.loads(entry.meta.to_json())
    if as_json and header is not None:
        print(json.dumps(header, indent=2))
        return 0
    card = _card_text(entry.path.with_suffix(".md"), "its header follows")
    if card is not None:
        print(plain_lines(card))
        if entry.meta is not None and (said := probability_line(entry.meta)):
            print(f"\nFrom its header: {said}")  # the card says only "Platt scaling"
    elif entry.meta is not None:
        print(plain_lines(_header_summary(entry.path, entry.meta)))
        print("\nIts header (JSON; alone with --json):")
        print(json.dumps(header, indent=2))
    return 0


def _describe_ensemble(path: Path) -> int:
    stem = path.name.removesuffix(ENSEMBLE_SUFFIX)
    card = _card_text(path.with_name(stem + ".md"), "the ensemble file follows")
    if card is None:
        try:
            card = read_regular_text(path)
        except (OSError, ValueError) as err:
            raise UsageError(f"{path}: cannot be read: {_why_unreadable(err)}") from None
    print(plain_lines(card))
    return 0


def _named_checkpoint(name: str, checkpoints: Sequence[ModelEntry]) -> ModelEntry | None:
    """The checkpoint ``name`` names, chosen as ``--model NAME`` chooses
    (:func:`engine.catalog.by_name`: a bundled model first, then a file named so, then the one
    header of that name), None when none. When others answer to the name too, a note on stderr
    names them and says which is described and why. When only headers carry the name, twice
    or more, a :class:`UsageError` lists the files: it took the first of them silently, though
    the listing warns that ``--model NAME`` refuses such a name (a run's best, last and
    calibrated checkpoints all carry the run's name)."""
    from engine.catalog import by_name

    named = [e for e in checkpoints if name in (e.name, e.path.stem, e.path.name)]
    files = ", ".join(f"{plain(e.path)} ({e.origin})" for e in named)
    try:
        path = by_name(name, checkpoints)
    except CheckpointError:
        stems = " or ".join(f"`models {plain(e.path.stem)}`" for e in named[:2])
        raise UsageError(
            f"{len(named)} checkpoints are named {plain(name)} by their headers: {files}; name "
            f"one by its file name ({stems}, with the same --extra)"
        ) from None
    chosen = next((e for e in named if e.path == path), None)
    if chosen is not None and len(named) > 1:
        why = "bundled" if chosen.origin == "bundled" else "its file is named so"
        print(
            f"forensic-viewer: note: {len(named)} checkpoints answer to {plain(name)}: {files}; "
            f"described: {plain(chosen.path)} ({why}), the one `--model {plain(name)}` uses",
            file=sys.stderr,
        )
    return chosen


def _header_summary(path: Path, meta: Any) -> str:
    """What a checkpoint without a model card (one the user trained) says of itself, in the
    words the training dialog's install review uses (:mod:`trainer.review`: steps, validation
    figures with their image counts, θ and where it came from, warnings), and what it was
    trained on; the raw header alone was all ``models NAME`` printed for it."""
    from engine.calibration import Calibration
    from trainer.review import review_checkpoint

    lines = [f"No model card beside {path.name}; from its header:", ""]
    try:
        lines.append(review_checkpoint(path).text())
    except ForensicError as err:
        lines.append(f"(its training summary cannot be read: {err})")
    training = meta.training
    data = [_data_words(d) for d in training.get("data") or [] if isinstance(d, dict)]
    if data:
        lines.append("trained on: " + ", ".join(data))
    if training.get("init"):
        sha = training.get("init_sha256") or "not recorded"
        lines.append(f"started from: {training['init']} (SHA-256 {sha})")
    if calibration := Calibration.from_dict(meta.decision.calibration):
        lines.append(f"probability calibrated on: {calibration.fitted_on or 'not recorded'}")
        lines.append(probability_line(meta) or "")
    elif isinstance(why := meta.decision.calibration.get("no_calibration"), str) and why:
        lines.append(f"probability: not calibrated ({why})")  # refused when fitted (verdict)
    elif meta.decision.calibration:  # as the analyses read it: none (a slope <= 0, say)
        lines.append("probability: not calibrated (its stored calibration is unusable)")
    if training.get("command"):
        lines.append(f"command: {training['command']}")
    return "\n".join(lines)


def _data_words(record: dict[str, Any]) -> str:
    """A training data set as ``models NAME`` says it: its path and, when the header records
    it, the digest of its content (``trainer.setup.data_digest``) and its image count."""
    words = str(record.get("path"))
    if isinstance(record.get("sha256"), str):
        words += f" (content SHA-256 {record['sha256']}, {record.get('images', '?')} images)"
    return words


def probability_line(meta: Any) -> str | None:
    """``probability: p = σ(a·x + b) ...`` of a checkpoint's header, with its a and b
    (:func:`forensic_viewer.report.cards.calibration_words`); None without a calibration."""
    from forensic_viewer.report.cards import calibration_words

    said = calibration_words(meta.decision.calibration, meta.decision.rule)
    return None if said is None else f"probability: {said}"


def _card_text(card: Path, instead: str) -> str | None:
    """The model card ``card`` (beside a checkpoint or an ensemble, which may be in a folder of
    the user's), or None when there is none. It is read through
    :func:`engine.files.read_regular_text`: a named pipe named like a card had ``models NAME``
    wait for a writer forever. One that cannot be read is a note on stderr naming it, and what
    is shown ``instead``."""
    try:
        return read_regular_text(card)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        print(
            f"forensic-viewer: note: {plain(card)}: cannot be read: {_why_unreadable(e)}; "
            f"{instead}",
            file=sys.stderr,
        )
        return None


def _why_unreadable(e: OSError | ValueError) -> str:
    """The reason in a one-line "<file>: cannot be read: <reason>"."""
    if isinstance(e, OSError):
        return not_regular_reason(e) or e.strerror or str(e)
    return "not UTF-8 text" if isinstance(e, UnicodeDecodeError) else str(e)


def input_words(meta: Any) -> str:
    """What a checkpoint is run on, from its header's input policy (an architecture's own
    description cannot say it: one architecture is trained at several window sizes): the fast
    path's tiles that ``analyze`` runs by default and the sliding windows of ``--exact`` (the
    listing named only the windows, which the default analysis does not run)."""
    policy = meta.input_policy
    if meta.scope == "faces":
        return f"each detected face cropped and resized to {policy.window} px"
    if policy.mode == "resize":
        return f"the whole image resized to {policy.window} px"
    from engine.fastpath import plan_for  # the tiles analyze runs by default (the card's words)
    from engine.tiling import Tiling

    sliding = f"sliding windows of {policy.window} px at stride {policy.stride}"
    fast = plan_for(meta.architecture, policy)
    if fast.tiling is not Tiling.OVERLAP_CROP:
        return sliding
    return (
        f"by default overlap-crop tiles of {fast.tile} px (a {fast.margin}-px margin cropped "
        f"where tiles meet); with --exact {sliding}"
    )


def theta_scale(rule: Any) -> str:
    """What a checkpoint's θ is compared with, in the words of results.csv's columns
    (:func:`engine.decision.threshold_applies_to`), whatever its provenance sentence says:
    an older one read "θ = 0.6779 on the mean of the window logits", a logit, though θ is
    compared with the score σ(image logit) (found by a researcher's walk-through)."""
    if rule.rule == "forged_fraction":
        return (
            "on the forged fraction (the share of pixels above the pixel threshold "
            f"{rule.pixel_threshold:g}; not on the score)"
        )
    return "on the score, σ(image logit) in [0, 1] (not on the logit)"
