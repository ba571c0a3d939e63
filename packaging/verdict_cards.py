"""Write the evidence-size verdict section into every bundled model card (issue 17).

    python packaging/verdict_cards.py runs/verdict/report.json

From the report of ``forensic-train verdict`` (choices made on the validation part, figures on
the test part), each card gets a section "Verdict at evidence size (issue 17)": the image
statistic, θ and why, the calibrated probability, the figures of the **test part** (image AUC
with its bootstrap interval, balanced accuracy, what is flagged per group, a reliability
diagram) with what the test part nonetheless took part in choosing (a checkpoint's epoch and
pixel threshold, an equation-6 ensemble's weights: :func:`checkpoint_choices`,
:func:`eq6_chosen_on`), and the card's old "held-out validation split" heading is corrected:
those images chose checkpoints and that day's θ and weights, so its figures are optimistic; its
"Threshold θ" section, written with the checkpoint, is headed as replaced. The ensemble card also
gets its stacking weights, localization choice and a new regression floor (its heatmap changed).
The section is replaced when the script runs again.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
BEGIN = "<!-- verdict-section: written by packaging/verdict_cards.py -->"
END = "<!-- /verdict-section -->"
OLD_HEADING = "## Measured on the held-out validation split"
# the validation half of that part and the test part together, as the card's first figures were
# measured: these images chose the checkpoint's epoch and the θ (and weights) of that time
PREVIOUS_HEADING = (
    "## Measured on the validation split (not held out: it chose the checkpoint, θ and weights)"
)
NEW_HEADING = (
    "## Measured when the card was written, on the whole held-out part (not held out: these "
    "images chose the checkpoint's epoch and that day's θ and weights)"
)
# the θ section model_card.py wrote with the checkpoint: replaced by the verdict section's θ
OLD_THETA_HEADING = "## Threshold θ\n"
NEW_THETA_HEADING = (
    "## Threshold θ when the card was written (replaced: the θ in use is the one under "
    '"Verdict at evidence size" above)\n'
)
DEVIATIONS = {
    "m2f-ensemble": "Deviation from the paper: the paper's ensemble pairs Swin-T and Swin-S "
    "backbones; this one pairs a nano Swin and an EfficientNet-Lite0 Mask2Former-style network "
    "(the only two this machine could train), and both are at chance on detection.",
    "crfd-net-compact": "Deviations from the paper: CRFD-Net reads the CEM noise residual only; "
    "this compact variant reads the RGB image beside the residual. By default the product tiles "
    "the image as the card's Input line says (overlap-crop tiles, engine/fastpath.py), not with "
    "§3.3's average of overlapping windows (the sliding-window fusion Table 5 ablates as "
    '"SWF"), which `--exact` runs. θ is the rule above (the best balanced accuracy among '
    "thresholds flagging at most 5 % of the camera photographs' validation half, "
    "docs/VERDICTS.md section 2), not §3.4's midpoint θ = (p_real^max + p_fake^min) / 2: on "
    "CASIA the two ranges overlap, so the midpoint separates nothing, and it bounds no false "
    "alarm rate at evidence size.",
    "m2f-swin-nano": "Not in the default set since issue 17: its detection is at chance on the "
    "validation part, and its heatmap did not improve the ensemble's.",
}


def _pct(pair: list[int]) -> str:
    k, n = pair
    return f"{k} of {n} ({100.0 * k / n:.0f} %)" if n else "none measured"


def _reliability_table(cal: dict[str, Any]) -> str:
    rows = cal.get("reliability", {}).get("bins", [])
    if not rows:
        return "(no reliability diagram: too few test images)"
    lines = [
        "| predicted probability | mean predicted | observed share tampered | images |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {lo:.1f}-{hi:.1f} | {p:.2f} | {o:.2f} | {n:.0f} |" for lo, hi, p, o, n in rows]
    return "\n".join(lines)


def held_out_part(split: dict[str, Any], test_images: int) -> int:
    """The number of images of the held-out part on which the run or calibration whose split
    record is ``split`` (a checkpoint's ``training.split`` or ``decision.details.split``) chose,
    when that part held the test part too; 0 when it chose on the validation half alone.

    A record chose on the test part when its validation images are not the validation half
    (no ``CHOSE_ON`` of :data:`~trainer.data.splits.CHOOSE_HALF`) and outnumber the
    ``test_images``: the two-way split's held-out part, of which the test part is a half
    (every bundled run before 2026-12-05: 199 images, these 109 among them). A separate
    validation file of the validation half alone is smaller than the test part."""
    from trainer.data.splits import CHOOSE_HALF, CHOSE_ON

    return max(
        (
            int(r["val_images"])
            for r in split.values()
            if isinstance(r, dict)
            and "val_images" in r
            and r.get(CHOSE_ON) != CHOOSE_HALF
            and int(r["val_images"]) > test_images
        ),
        default=0,
    )


def checkpoint_choices(training: dict[str, Any], details: dict[str, Any], test_images: int) -> str:
    """What of a network the test part took part in choosing, in words ("" when nothing):
    the epoch its run kept (``best.safetensors``) and the pixel threshold its calibrate chose
    on the same part (``pixel_threshold_choice``); θ and the probability curve of issue 17 are
    the validation half's."""
    epoch = held_out_part(training.get("split") or {}, test_images)
    if not epoch:
        return ""
    pixel = (
        ", and so was its pixel threshold (the mask's)"
        if "pixel_threshold_choice" in details
        and held_out_part(details.get("split") or {}, test_images)
        else ""
    )
    kept = (
        "its weights average the best epoch of its training on the {n}-image held-out part of "
        'the two-way split (`fit/best.safetensors` under "How it was made") with epochs '
        "fine-tuned from it"
        if training.get("averaged_from")
        else "its checkpoint is the best epoch of its training on the {n}-image held-out part of "
        'the two-way split (`best.safetensors` under "How it was made")'
    ).format(n=epoch)
    return (
        f"But {kept}, these {test_images} CASIA images among them{pixel}: for that choice the "
        "test figures are optimistic."
    )


def _test_block(c: dict[str, Any], chosen: str = "", caveat: str = "") -> str:
    """The test part's figures; ``chosen`` says what the validation half chose (θ, curve,
    weights), ``caveat`` what the test part itself took part in choosing ("" when nothing)."""
    lo, hi = c["test_image_auc_interval"]
    flagged = c["calibration"].get("reliability", {}).get("flagged", {})
    kinds = ", ".join(f"{k} {v:.0%}" for k, v in c.get("test_detection_by_kind", {}).items())
    n = c["test_images"]
    chosen = chosen or "Its θ and probability curve"
    return f"""**Test part** ({n["tampered"]} tampered and {n["authentic"]} authentic CASIA images
from source photographs in no other part, and {n["camera"]} camera photographs of 1-16 MP in the
calibration half's complement). {chosen} were chosen on the CASIA validation
half and the camera photographs' validation half, not on these images.{" " + caveat if caveat else ""}

| figure | value |
| --- | --- |
| image AUC (95 % bootstrap interval) | {c["test_image_auc"]:.3f} ({lo:.2f}-{hi:.2f}) |
| balanced accuracy at θ | {c["test_balanced_accuracy"]:.3f} |
| tampered CASIA images flagged, by kind | {kinds} |
{chr(10).join(f"| {g} flagged at θ | {_pct(v)} |" for g, v in flagged.items())}

{_diagram(c["calibration"])}"""


def _no_probability(calibration: dict[str, Any]) -> str:
    """Why no probability is shown for a stored calibration, "" when one is: a Platt curve with
    a slope <= 0 (stored before 2026-12-05: the analyses show no probability for it,
    ``engine.calibration.Calibration.from_dict``), or none fitted at all (``forensic-train
    verdict`` refused one: ``engine.calibration.refused_calibration``), so neither does its
    card."""
    if "a" not in calibration:
        why = calibration.get("no_calibration") or "none was stored"
        return f"no probability curve was fitted ({why})"
    if float(calibration["a"]) <= 0.0:
        return (
            f"its stored probability curve runs backwards (slope {float(calibration['a']):.3g}: "
            "a higher statistic would read as less likely tampered)"
        )
    return ""


def _diagram(calibration: dict[str, Any]) -> str:
    if why := _no_probability(calibration):
        return f"No reliability diagram: {why}, so no probability is shown for it."
    return (
        "Reliability diagram of the calibrated probability on the test part:\n\n"
        + _reliability_table(calibration)
    )


def model_section(name: str, c: dict[str, Any], caveat: str = "") -> str:
    """A network's section; ``caveat`` is :func:`checkpoint_choices` of its checkpoint."""
    lo, hi = c["val_image_auc_interval"]
    stat = (
        "the mean of its window logits (the largest, used before, grows with the number of "
        "windows: a 12 MP photograph has about 165)"
        if c["aggregate"] == "mean"
        else "its forged fraction (a share of pixels, which does not grow with image size)"
    )
    if c["aggregate"] == "mean" and c.get("detect_side"):
        stat = (
            f"the mean of its window logits on the image reduced to at most {c['detect_side']} "
            "pixels on its long side, in a pass of its own (the heatmap stays at full "
            "resolution; at full resolution a 12 MP photograph has about 165 windows, most of "
            'which never see a forgery\'s edge: docs/VERDICTS.md, "Detection at evidence size")'
        )
    chance = (
        "**At chance on detection**: its validation image-AUC interval contains 0.5, so it gets no "
        "vote in the default verdict.\n\n"
        if c["at_chance"]
        else ""
    )
    cal = c["calibration"]
    if why := _no_probability(cal):
        probability = (
            f"{why[:1].upper()}{why[1:]}, so the viewer, scan rows and reports show no "
            'probability for it ("not calibrated"); the measured reliability at θ below is shown.'
        )
    else:
        probability = (
            "Next to its verdict the viewer, scan rows and reports show a calibrated\n"
            f"probability: Platt scaling of the statistic, fitted on {cal['fitted_on']}."
        )
    return f"""## Verdict at evidence size (issue 17)

Image statistic: {stat}. {c["provenance"]}. Validation image AUC {c["val_image_auc"]:.3f} (95 % interval
{lo:.2f}-{hi:.2f}). {probability}

{chance}{_test_block(c, caveat=caveat)}
"""


# What the test part took part in choosing for an ensemble: its members' epochs (the card's
# "Test part" caveat)
MEMBERS_CHOSEN = "its members' checkpoints are the best epochs on the whole held-out part"
# A stacked ensemble's caveat in the card, which packaging/ensemble_figures.py stores in the
# ensemble file too (``optimistic``: what every result then says beside its counts)
STACKED_OPTIMISTIC = f"{MEMBERS_CHOSEN}, these images among them (see their cards)"


def ensemble_section(
    name: str,
    e: dict[str, Any],
    models: dict[str, Any],
    stored: dict[str, Any] | None = None,
    weights_chosen_on: int = 0,
) -> str:
    """The ensemble card's section from its figures ``e`` in the report and ``stored``, the
    ensemble file's calibration (``forensic-train verdict`` writes an equation-6 ensemble's
    test reliability and flagged counts into the file only, not into the report's figures).
    ``weights_chosen_on``: the images of the held-out part, test part included, on which an
    equation-6 ensemble's weights and pixel threshold were chosen (:func:`eq6_chosen_on`)."""
    d = e["detection"]
    from engine.ensemble_provenance import stacking_input_words
    from trainer.verdict import FORGERIES_VAL

    forged = FORGERIES_VAL in d["val_flagged"]
    parts = []
    if "weights" in d:
        # "analysis:clone +2.22" read as another check than the "copy-move analysis" beside it
        w = ", ".join(f"{stacking_input_words(k)} {v:+.3g}" for k, v in d["weights"].items())
        parts.append(
            f"Detection: a logistic regression (stacking) over the statistics of the members that "
            f"are not at chance ({', '.join(e['voters'])}) and the copy-move analysis's score "
            f"(1 when it finds a cloned pair), fitted on the validation part"
            + (
                " and the project-made forgeries of the camera validation half's full-size "
                "photographs"
                if forged
                else ""
            )
            + f": bias {d['bias']:.3g}, "
            f"weights {w}. Its output is the calibrated probability. This replaces equation 6 for "
            "detection (a mean of scores cannot give a member no vote)."
        )
    else:
        parts.append(
            "Detection: equation 6 over the members' scores; every member is at chance on "
            "validation, so this verdict is no better than a coin and says so."
        )
    if e.get("dropped"):
        parts.append(f"Left out of the ensemble: {', '.join(e['dropped'])}.")
    loc = e.get("localization")
    if loc:
        t = loc["test"]
        tw = loc["test_without_clone"]
        parts.append(
            f"Localization: weights {json.dumps(loc['weights'])}, mask = fused heatmap > "
            f"{loc['pixel_threshold']:g}"
            + (
                "; when the copy-move analysis finds a cloned pair its map of both copies "
                "replaces the heatmap"
                + (
                    f", keeping the copies whose mean fused heatmap reaches "
                    f"{loc['copy_keep_ratio']:g} of the hottest copy's (the networks point at "
                    "the pasted copy)"
                    if loc.get("copy_keep_ratio")
                    else ""
                )
                if loc["clone_replaces"]
                else ""
            )
            + f". Chosen by mean pixel F1 on the validation part's tampered images whose mask "
            f"agrees with the image ({loc['trusted_masks']} of the held-out part's; CASIA's "
            "text-category copy-moves share one mask per three images and most are wrong, "
            "trainer/data/mask_audit.py). Test part: pixel F1 "
            f"{t['pixel_f1']:.3f} (splices {t.get('pixel_f1_splice', float('nan')):.3f}, "
            f"copy-moves {t.get('pixel_f1_copy-move', float('nan')):.3f}; without the copy-move "
            f"rule {tw['pixel_f1']:.3f}, copy-moves {tw.get('pixel_f1_copy-move', float('nan')):.3f})."
        )
    val = "; ".join(f"{k}: {_pct(v)}" for k, v in d["val_flagged"].items())
    where = (
        "the CASIA validation part and the project-made forgeries of the camera validation "
        "half's full-size photographs (docs/VERDICTS.md section 6)"
        if forged
        else "the CASIA validation part"
    )
    parts.append(
        f"θ = {d['threshold']:.4g} on the {'probability' if 'weights' in d else 'fused score'}: "
        f"the best balanced accuracy on {where} "
        f"among thresholds flagging at most 5 % of the camera photographs' "
        f"validation half (flagged on validation: {val})."
    )
    if name in DEVIATIONS:
        parts.append(DEVIATIONS[name])
    parts.append(
        f"The figures below are the {'stacked verdict' if 'weights' in d else 'ensemble'}'s; a "
        "face rule (docs/FACES.md), where the ensemble has one, can only add flags to them."
    )
    calibration = d.get("calibration") or stored or {"reliability": {"flagged": {}}}
    block = {**d, "calibration": calibration}
    members = MEMBERS_CHOSEN
    if "weights" in d:
        chosen = "Its stacking weights, θ" + (" and localization" if loc else "")
        caveat = f"But {STACKED_OPTIMISTIC}: optimistic for that."
    else:
        chosen = "Its θ and probability curve"
        caveat = (
            f"But its equation-6 weights and pixel threshold were chosen before issue 17 on the "
            f'{weights_chosen_on}-image held-out part ("How the weights were chosen"), these '
            f"images among them, and {members}: the test figures are measured on images that "
            "chose its weights, and are optimistic."
            if weights_chosen_on
            else ""
        )
    return (
        "## Verdict at evidence size (issue 17)\n\n"
        + "\n\n".join(parts)
        + "\n\n"
        + _test_block(block, chosen, caveat)
        + "\n"
    )


def eq6_chosen_on(card_text: str) -> int:
    """The number of images on which an equation-6 ensemble's weights were chosen, from its
    card's "How the weights were chosen" (``forensic-train ensemble``'s description), when they
    were the two-way split's held-out part (``--split val``: the test part among them); 0 when
    they were the validation half (``--split choose``) or the card does not say."""
    found = re.search(r"weights and thresholds chosen on (\d+) images \(val split", card_text)
    return int(found.group(1)) if found else 0


def write_section(card: Path, section: str) -> None:
    text = card.read_text(encoding="utf-8")
    text = text.replace(OLD_HEADING, NEW_HEADING).replace(PREVIOUS_HEADING, NEW_HEADING)
    text = text.replace(OLD_THETA_HEADING, NEW_THETA_HEADING)
    text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n*", "", text, flags=re.S)
    block = f"{BEGIN}\n{section}{END}\n\n"
    at = text.find("\n## ", text.find("\n## ") + 1) if "\n## " in text else -1
    text = text[: at + 1] + block + text[at + 1 :] if at >= 0 else text + "\n" + block
    card.write_text(text, encoding="utf-8")


def refresh_sha(card: Path, checkpoint: Path) -> None:
    """The card's ``File SHA-256`` line after the header was rewritten (tensors unchanged)."""
    from engine.checkpoints import file_sha256

    text = card.read_text(encoding="utf-8")
    text = re.sub(
        r"File SHA-256: `[0-9a-f]{64}`", f"File SHA-256: `{file_sha256(checkpoint)}`", text
    )
    card.write_text(text, encoding="utf-8")


def refresh_ensemble_floor(card: Path, ensemble: Path) -> None:
    """A new regression floor: the ensemble's heatmap changed with its localization."""
    sys.path.insert(0, str(ROOT / "packaging"))
    from model_card import ensemble_sample_figures

    sample, f1, auc = ensemble_sample_figures(ensemble)
    floor = round(max(0.0, f1 * 0.7), 3)
    auc_floor = round(0.5 + 0.7 * max(0.0, auc - 0.5), 3)
    text = card.read_text(encoding="utf-8")
    text = re.sub(
        r"regression-floor: .*\n\n\(measured F1 [0-9.]+ and AUC [0-9.]+",
        f"regression-floor: {sample} pixel-f1 {floor} pixel-auc {auc_floor}\n\n"
        f"(measured F1 {f1:.3f} and AUC {auc:.3f}",
        text,
    )
    card.write_text(text, encoding="utf-8")


OLD_WEIGHTS = "## How the weights were chosen\n"
OLD_WEIGHTS_NOW = (
    "## How the weights were chosen before issue 17 (equation 6; replaced, kept for the record)\n"
)
# an equation-6 ensemble keeps its weights and pixel threshold: only θ was set by issue 17
KEPT_WEIGHTS_NOW = "## How the weights were chosen (before issue 17; equation 6, still in use)\n"


def refresh_ensemble_head(card: Path, ensemble: Path) -> None:
    """The card's opening paragraph and member table as the ensemble file now is (a classic
    analysis by the name readers see: ``analysis:clone`` is the copy-move analysis)."""
    from engine.ensemble_provenance import stacking_input_words

    ens = json.loads(ensemble.read_text(encoding="utf-8"))
    stack = ens.get("stacking")
    rows = "\n".join(
        f"| {m['model']} | "
        + (
            f"{stack['weights'].get(m['model'], 0.0):+.3g}"
            if stack
            else f"{m['detection_weight']:g}"
        )
        + f" | {m['localization_weight']:g} |"
        for m in ens["members"]
    )
    if stack:
        rows += "\n" + "\n".join(
            f"| {stacking_input_words(k)} | {v:+.3g} | "
            + (
                (
                    "replaces the heatmap when it finds a pair"
                    + (
                        f" (the copies reaching {ens['copy_keep_ratio']:g} of the hottest "
                        "copy's fused heat)"
                        if ens.get("copy_keep_ratio")
                        else ""
                    )
                )
                if ens.get("localization_analyses")
                else "0"
            )
            + " |"
            for k, v in stack["weights"].items()
            if k.startswith("analysis:")
        )
    how = (
        "detection by logistic stacking (a deviation from §3.5's equation 6, see below), "
        "localization by equation 6"
        if stack
        else "equation 6 (`papers/mask2former-ddl.md` §3.5) for detection and localization"
    )
    head = (
        f"**Ensemble** of {len(ens['members'])} bundled networks: {how}. File: `{ensemble.name}`; "
        f'verdict "manipulated" when the {"probability" if stack else "fused score"} exceeds '
        f"{ens['threshold']:.4g}; mask = fused heatmap > {ens['pixel_threshold']:g}.\n\n"
        f"| member | {'stacking weight' if stack else 'detection weight'} | localization weight |\n"
        f"| --- | --- | --- |\n{rows}\n\n"
    )
    text = card.read_text(encoding="utf-8")
    start = text.index("\n\n") + 2  # after the title
    end = text.index("## How the weights")
    text = text[:start] + head + text[end:]
    now = OLD_WEIGHTS_NOW if stack else KEPT_WEIGHTS_NOW
    text = text.replace(OLD_WEIGHTS, now).replace(OLD_WEIGHTS_NOW, now)
    card.write_text(text, encoding="utf-8")


def main(report_path: str) -> int:
    from engine.checkpoints import read_meta

    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    for name, c in report["models"].items():
        card = MODELS / f"{name}.md"
        if card.is_file():
            extra = f"\n{DEVIATIONS[name]}\n" if name in DEVIATIONS else ""
            meta = read_meta(MODELS / f"{name}.safetensors")
            n = c["test_images"]
            caveat = checkpoint_choices(
                meta.training, meta.decision.details, n["tampered"] + n["authentic"]
            )
            write_section(card, model_section(name, c, caveat) + extra)
            refresh_sha(card, MODELS / f"{name}.safetensors")
            print(f"wrote the verdict section of {card}")
    for file_name, e in report["ensembles"].items():
        name = file_name.removesuffix(".ensemble.json")
        card = MODELS / f"{name}.md"
        if card.is_file():
            stored = json.loads((MODELS / file_name).read_text(encoding="utf-8"))
            chosen_on = eq6_chosen_on(card.read_text(encoding="utf-8"))
            section = ensemble_section(
                name, e, report["models"], stored.get("calibration"), chosen_on
            )
            write_section(card, section)
            refresh_ensemble_floor(card, MODELS / file_name)
            refresh_ensemble_head(card, MODELS / file_name)
            print(f"wrote the verdict section of {card}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
