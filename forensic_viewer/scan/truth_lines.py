"""What a ground truth says of its masks, one line each naming a mask (no Qt, no file access):
a mask that leaves its image unscored (:func:`faint_line`), a set of masks that look inverted
or none of which marks a pixel (:func:`implausible_line`, the rule ``forensic-train`` refuses
by, :func:`engine.masks.implausible_masks`) and one mask that looks inverted
(:func:`inverted_line`, the viewer's Ground truth panel; :func:`inverted_mask_line`, each of a
scan's masks). ``scan --gt`` and ``analyze --gt``
(:func:`forensic_viewer.scan.groundtruth.evaluate_scan`) and the panel word them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.masks import implausible_masks, inverted_masks
from forensic_viewer.scan.truth_scores import TruthMask


def faint_line(path: str | Path, faint: str) -> str:
    """Why a scan leaves unscored the image of the mask ``path``, not black but marking no pixel
    (``faint``: :attr:`engine.masks.MaskFile.faint`; a mask of 0 and 1 is none: its 1s are
    read). ``scan --gt`` read such a mask as empty and counted its tampered image as authentic: a missed forgery scored
    as a correct authentic image, said only in a warning, while ``forensic-train`` refuses the
    same mask (``trainer.data.records.load_mask``); the two now agree, and the viewer's Ground
    truth panel says this line and scores nothing."""
    return (
        f"{path}: ground-truth mask not scored: {faint}; read as empty it would "
        "count its image as authentic, and forensic-train refuses it too; save the "
        "tampered region as 255"
    )


def implausible_line(
    marked: list[tuple[Path, float]],
    warnings: list[str],
    tampered: bool = True,
    faint: Sequence[Path] = (),
) -> str | None:
    """One line when the tampered images' masks, as (mask, share marked), look inverted or
    none marks a pixel (:func:`engine.masks.implausible_masks`, by which ``forensic-train``
    refuses such a set), saying what the scan did with them; else None. Inverted: the figures
    are computed against them as they are. None marking a pixel: how many images were not
    scored, their masks among ``faint`` (not black, marking nothing: :func:`faint_line`), and
    how many, their masks all black, were scored as authentic (the line said the trainer's
    "nothing to learn masks from", and that the figures were computed against masks it had
    not scored). A warning, not a refusal: the scan's analyses stand without the figures.
    ``tampered`` False: the masks are no set of tampered images' but the one mask given for
    one image (:attr:`~forensic_viewer.scan.groundtruth.TruthSource.one_mask`), and an all-black mask is an authentic image's
    truth, no defect: only whether it looks inverted (a faint mask is left unscored in
    its own line)."""
    found = implausible_masks(marked, warnings) if tampered else inverted_masks(marked)
    if found is None:
        return None
    if any(share > 0 for _, share in marked):  # inverted
        return f"{found[0]}: {found[1]}; the ground-truth figures are computed against them as they are"
    unscored = sum(m in faint for m, _ in marked)
    did = [f"{unscored} not scored (not black, no value above 127: faint)"]
    did = did if unscored else []
    if len(marked) > unscored:
        did.append(f"{len(marked) - unscored} scored as authentic (all black)")
    return (
        f"{found[0]}: no tampered image's mask marks a pixel ({len(marked)} masks): of their "
        f"images, {' and '.join(did)}; a tampered pixel is one above 127, as in masks of 0 "
        "and 255"
    )


def not_said_again(
    problems: list[str], marked: list[tuple[Path, float]], said: list[str]
) -> list[str]:
    """``problems`` less the own lines (``said``: the masks' warnings and the files' problems)
    of the mask that :func:`implausible_line` names when no mask marks a pixel: a faint mask
    is that line's problem, and its own line (that it is not scored) named the same file
    again in a second line (one mask, ``analyze --gt``: two lines for one problem). Kept in
    the file's ``gt.error``."""
    if any(share > 0 for _, share in marked):  # inverted: the named mask's warnings differ
        return problems
    named = f"{marked[0][0]}: "
    return [p for p in problems if not (p in said and p.startswith(named))]


def inverted_mask_line(truth: TruthMask) -> str | None:
    """One line when the mask ``truth`` of one of a scan's images marks more than half of its
    image, short of all of it (:func:`engine.masks.inverted_masks` of that mask alone, as
    :func:`inverted_line` for the viewer); else None. Only the set's rule ran in a scan, so one
    inverted mask among right ones (95 % of its image marked, white = authentic) was scored
    without a word. The line goes into the file's ``warnings`` (``gt.warning``, the report's
    section) and the ``problems``, unless the set's line (:func:`implausible_line`) says the
    masks look inverted; the scoring does not change."""
    share = _share(truth)
    if truth.file is None or inverted_masks([(Path(truth.file), share)]) is None:
        return None
    return (
        f"{truth.file}: this mask marks {share:.0%} of its image: it looks inverted (white = "
        "authentic?) unless its forgery covers most of the image; a mask's white (above 127) "
        "is the tampered region, invert it if so; its image is scored against it as it is"
    )


def inverted_line(truth: TruthMask) -> str | None:
    """One line when the single mask ``truth`` (the viewer's Ground truth panel) marks more
    than half of its image, short of all of it: :func:`engine.masks.inverted_masks`, the rule
    ``forensic-train`` refuses by and a scan warns by, for one mask; else None. A mask of 0
    and 1 says so in its own warning (``truth.warnings``)."""
    found = inverted_masks([(Path(truth.file), _share(truth))])
    if found is None:
        return None
    return f"{found[0]}: {found[1]}; the figures are computed against it as it is"


def _share(truth: TruthMask) -> float:
    """The share of its image the mask ``truth`` marks tampered (0 for an empty mask)."""
    return float(truth.mask.mean()) if truth.mask.size else 0.0


KEPT_PRECISION = (
    "maps at 8 bits (round(255 p) / 255, no pixel moved across its own threshold or 0.5), "
    "flagged when above the threshold"
)


def precision_words(unrecorded: int, files: int) -> str:
    """groundtruth.json's ``precision``: how the scored map files were quantised. A resumed
    scan keeps the maps its earlier runs wrote, and rows written before their ``map_levels``
    was recorded (2026-12-06) may hold plain round(255 p) maps, whose pixels within half a
    level of a threshold can be on its other side; the sentence claimed the kept thresholds
    for every file. ``unrecorded``: the scored files of such rows, of ``files``."""
    if not unrecorded:
        return KEPT_PRECISION
    some = "every file's" if unrecorded == files else f"{unrecorded} of the {files} files'"
    return (
        f"maps at 8 bits, flagged when above the threshold; {some} maps were written before "
        "their encoding was recorded (rows without map_levels, listed in levels_unrecorded): "
        "plain round(255 p) / 255 in scans before 2026-12-06, where a pixel within half a "
        "level of its own threshold or 0.5 can be on its other side, so their counts there "
        "match the mask drawn and the row's forged fraction only to within those pixels"
        + ("" if unrecorded == files else "; the other files' maps keep every pixel's side")
    )


def levels_line(unrecorded: Sequence[str], files: int) -> str | None:
    """``scan --gt``'s line on the scored files whose maps may be plain-rounded (None: none)."""
    if not unrecorded:
        return None
    return (
        f"  maps of {len(unrecorded)} of {files} files written before their encoding was "
        f"recorded (first: {unrecorded[0]}): at their own threshold and 0.5 to within the "
        "8-bit rounding (groundtruth.json's precision)"
    )
