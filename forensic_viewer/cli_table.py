"""The table ``analyze`` and ``scan`` print when they end: per file the default verdict first
(with, when stacked, a line saying what moved its score), then each member, each with its
calibrated probability and what was compared with θ; a line per face the face path judged; the
classic analyses' cells, each followed by its strong findings and notices; then the default
verdict's measured reliability, once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.calibration import DETAILS, brief_reliability, face_rate_sentence
from engine.ensemble_provenance import (
    FACE_RULE_PROMISE,
    decided_by_face,
    decided_by_face_alone,
    file_reliability,
    general_reliability,
    whole_image_decided,
)
from engine.formatting import SENTENCE_LIMIT
from forensic_viewer.marked_area import (
    MARKED_AREA,
    MARKED_AREA_MEANING,
    NOT_A_FINDING_MARK,
    not_a_finding,
)
from forensic_viewer.probability_source import source_words
from forensic_viewer.scan.links import error_without_file
from forensic_viewer.wording import (
    FACE_PROBABILITY_NOTE,
    FLAGGED,
    IMAGE_PROBABILITY_NOTE,
    MASK_NOT_THE_REASON,
    MEMBER_FACE_WORDS,
    PRIOR_CAVEAT,
    calibration_word,
    contribution_words,
    decision_words,
    face_models_first,
    face_range_words,
    face_verdict_words,
    image_size,
    odds_words,
    plain,
    range_words,
    verdict_words,
)

if TYPE_CHECKING:
    from forensic_viewer.scan.records import AnalysisRecord

FINDINGS_SHOWN = 5  # strong findings and notices of one analysis in the table; the rest counted

_CHECK_FIELDS = (
    "name",
    "verdict",
    "score",
    "forged_fraction",
    "threshold",
    "rule",
    "probability",
    "out_of_range",
)


def table_checks(rec: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, figures) per check of a results.jsonl row for the closing table: the default
    verdict (the ensemble's) first and labelled so, the members below it. Only the figures the
    table prints (and the ensemble's reliability and the figure of its mask on authentic
    photographs): a 10,000-file scan keeps them all."""
    checks: list[tuple[str, dict[str, Any]]] = []
    if rec.get("ensemble"):
        ens = {"rule": "ensemble", **rec["ensemble"], **(rec.get("ensemble_details") or {})}
        kept = {k: ens.get(k) for k in (*_CHECK_FIELDS, "reliability", "mask_on_authentic")}
        provenance = str(ens.get("threshold_provenance") or "")
        kept["face_rule_applied"] = decided_by_face(provenance)
        kept["face_rule_alone"] = decided_by_face_alone(provenance)  # as source_words tests it
        kept["source"] = source_words(  # a face's probability in the image's place
            ens.get("probability"),
            provenance,
            ens.get("contributions"),
            [f.get("face_scores") or {} for f in rec.get("faces") or []],
            set(rec.get("models") or {}),
        )
        # what moved a stacked score, and whether the mask need not show it: one line under it
        kept["moved"] = contribution_words(
            ens.get("contributions"), by_face=kept["face_rule_alone"]
        )
        if kept["moved"] and whole_image_decided(
            ens["contributions"], str(ens.get("verdict")), float(ens["threshold"]), provenance
        ):
            kept["moved"] += f"; {MASK_NOT_THE_REASON}"
        checks.append((f"default verdict: {ens['name']} (ensemble)", kept))
    details = rec.get("details") or {}
    for name, d in (rec.get("models") or {}).items():
        d = {"name": name, **d, **(details.get(name) or {})}
        checks.append((name, {k: d.get(k) for k in _CHECK_FIELDS}))
    return checks


TABLE_LIMIT = 1000  # files: a scan of more gets table_summary's lines, not a line per check


def table_summary(
    total: int, verdicts: Mapping[str, int], errors: int, limit: int = TABLE_LIMIT
) -> str:
    """The closing line of a scan of more than ``limit`` files, in place of the
    table: the default verdicts counted (the ensemble's, else the first model's, as the
    table's first line of each file), the errors, and where the table is."""
    counted = ", ".join(
        f"{n:,} {verdict_words(v)}" for v, n in sorted(verdicts.items(), key=lambda x: -x[1])
    )
    return (
        f"{total:,} files (over {limit:,}: no line per file here): default verdicts "
        f"{counted or 'none'}; {errors:,} not analysed. Every file's line is in results.csv "
        "and the reports."
    )


def error_reason(r: Mapping[str, Any]) -> str:
    """An error row's message without the evidence path it begins with (the row's ``file``):
    the table's line names the file by its key already, and the absolute path is in the list of
    failed files printed after it. A message naming no file, or another, is kept whole."""
    return error_without_file(str(r.get("error") or ""), r.get("file"))


WARNING_LINES = 20  # the decoders' warnings printed after the table; the rest counted


def warnings_mark(n: int) -> str:
    """The cell that marks a file's first line in the table when its decoding warned."""
    return f"{n} warning{'' if n == 1 else 's'} (below)"


def warning_lines(records: list[dict[str, Any]], limit: int = WARNING_LINES) -> list[str]:
    """The decoders' warnings of the files (each record's ``warnings``: a name that is not
    its format, frames left out, colours converted, bytes after the image's end), one line
    each naming the file, the first ``limit`` of them, then how many more and where: a
    10,000-file scan of phone photographs with trailers must not bury its summary line. None
    when no file warned. results.csv's ``warnings`` column and results.jsonl hold every one."""
    every = [(r["path"], w) for r in records for w in r.get("warnings") or ()]
    if not every:
        return []
    files = sum(bool(r.get("warnings")) for r in records)
    lines = [
        f"warnings: {len(every):,} on {files:,} file{'' if files == 1 else 's'} "
        "(results.csv's warnings column and results.jsonl hold each):"
    ]
    lines += [f"  {path}: {w}" for path, w in every[:limit]]
    if len(every) > limit:
        lines.append(f"  … and {len(every) - limit:,} more in results.jsonl")
    return lines


def print_table(records: list[dict[str, Any]], face_rates: Mapping[str, str] | None = None) -> None:
    """One line per check of each file, the default verdict (the ensemble's) first, each with
    what was compared with θ, the first marked when the file's decoding warned
    (:func:`warning_lines` prints the warnings); a line per face the face path judged (the
    face models' verdicts first, then the whole-image models', and why the face is outside
    the measured range when it is: small, or cut by the image's border), or "none found"
    when detection ran and found none; under the default verdict, what its reliability says
    of the file alone (the number of faces judged:
    :func:`engine.ensemble_provenance.many_faces_words`); then, once per ensemble, what its θ
    was measured to do in brief (:func:`engine.calibration.brief_reliability`, and where all
    figures are: its model card), and when that says the face rule is on, each face model's
    own rates (``face_rates``: name -> its reliability sentence, scan.json's
    ``face_model_figures``; :func:`engine.calibration.face_rate_sentence`); and what the
    marked area is, once, when a line gave it (:mod:`forensic_viewer.marked_area`), with what
    the default verdict's mask marks on authentic photographs when its rows record it.
    Each calibrated p says what it assumes (:data:`~forensic_viewer.wording.PRIOR_CAVEAT`)."""
    # imported here: engine.facepath brings torch, and this module is read by the command
    # line's light paths; the table is printed after a scan, which loaded it
    from engine.facepath import face_out_of_range

    face_rates = face_rates or {}
    reliability: dict[str, str] = {}
    mask_figure: dict[str, Any] | None = None  # the first ensemble's mask_on_authentic
    face_p = against = marked = whole_on_faces = False
    for r in records:
        path = plain(r["path"])
        if r["status"] != "ok":
            print(f"{path}: ERROR {plain(error_reason(r))}")
            continue
        mark = f"\t{warnings_mark(len(r['warnings']))}" if r.get("warnings") else ""
        if mark and not r["checks"]:  # no line of its own to mark
            print(f"{path}{mark}")
        for label, d in r["checks"]:
            p = d.get("probability")
            against = against or odds_words(str(d.get("verdict")), p) is not None
            off = range_words(d.get("out_of_range"))
            said = calibration_word(d.get("out_of_range"))
            if d.get("source"):  # "calibrated on face crops" in it, "calibrated" said so
                said = d["source"] if said == "calibrated" else f"{said}; {d['source']}"
            if p is not None and not off:  # what the probability assumes, at the number
                said += f"; {PRIOR_CAVEAT}"
            confidence = (
                f"p {p:.2f} ({said})"
                if p is not None
                else f"score {d['score']:.3f} (not calibrated)"
            )
            verdict = verdict_words(d["verdict"], out_of_range=bool(off))
            verdict = verdict if off else f"{verdict:<{len(FLAGGED)}}"
            line = f"{path}\t{plain(label)}\t{verdict}\t{confidence}\t" + plain(decision_words(d))
            if d.get("rule") != "forged_fraction":  # that rule's line says it already
                line += f"\t{MARKED_AREA} {100 * d['forged_fraction']:.2f}%"
            marked = True
            if d["verdict"] != "manipulated":  # beside the figure, whichever line gave it
                line += f" ({NOT_A_FINDING_MARK})"
            if off:  # beside the verdict it qualifies, never in a note below the table
                line += f"\t{plain(off)}"
            print(line + mark)
            mark = ""  # the file's first line only
            if d.get("moved"):
                print(f"{path}\t{plain(label)}\t{plain(d['moved'])}")
            if d.get("rule") == "ensemble" and mask_figure is None:
                mask_figure = d.get("mask_on_authentic")
            if d.get("rule") == "ensemble" and d.get("reliability"):
                said = str(d["reliability"])  # once for every file; its own part on its line
                reliability.setdefault(str(d["name"]), general_reliability(said))
                if own := file_reliability(said):
                    print(f"{path}\t{plain(label)}\t{whole_line(own)}")
        whole = {d.get("name") for _, d in r["checks"] if d.get("rule") != "ensemble"}
        for i, face in enumerate(r.get("faces") or [], start=1):
            if face.get("face_scores"):
                x, y, w, h = face.get("box", (0, 0, 0, 0))
                verdicts = "; ".join(  # as the reports and the Verdict panel give them
                    plain(face_verdict_words(name, fs, face_model=name not in whole))
                    for name, fs in face_models_first(face["face_scores"], whole)
                )
                # its own name: "marked" says whether a line gave a marked area (the note's)
                outside = face_range_words(face_out_of_range((x, y, w, h), image_size(r)))
                if outside:
                    verdicts += f"\t{outside}"
                print(f"{path}\tface {i} (x {x}, y {y}, {w} x {h})\t{verdicts}")
                whole_on_faces = whole_on_faces or any(n in whole for n in face["face_scores"])
                face_p = face_p or any(
                    fs.get("probability") is not None for fs in face["face_scores"].values()
                )
        if r.get("faces_checked") and not r.get("faces"):  # else read as --no-faces
            print(f"{path}\tfaces\tnone found")
        for name, text in r.get("analyses") or ():
            print(f"{path}\t{plain(name)}\t{plain(text)}")
    for name, sentence in reliability.items():  # in brief; all figures are on its card
        more = f". All figures: forensic-viewer models {name}" if DETAILS in sentence else ""
        print(f"default verdict {plain(name)}: {whole_line(brief_reliability(sentence) + more)}")
    if any(FACE_RULE_PROMISE in sentence for sentence in reliability.values()):
        for name, rates in face_rates.items():  # the caveat's promise: the face model's rates
            if line := face_rate_sentence(name, rates):
                print(plain(line))
    if marked:  # what the figure is, once; the authentic photographs' figure of the first
        print(f"{MARKED_AREA}: {MARKED_AREA_MEANING}. {not_a_finding(mask_figure)}")
    if against:
        print(f"probabilities: {IMAGE_PROBABILITY_NOTE}")
    if face_p:
        print(f"faces: {FACE_PROBABILITY_NOTE}")
    if whole_on_faces:  # why those results are figures, said once (the reports' words)
        print(f"faces: a whole-image model's result on a face is {MEMBER_FACE_WORDS}")


def whole_line(text: str) -> str:
    """The product's own sentence (a reliability sentence of the scan's rows) as one line, not
    cut: :func:`plain` caps untrusted text at 1,000 characters, and the default verdict's
    reliability runs past that, so its closing words (the face rule's) were cut to "…". Capped
    at :data:`~engine.formatting.SENTENCE_LIMIT`: header strings of a user's file are in it."""
    return plain(text, SENTENCE_LIMIT)


def analysis_lines(analyses: Sequence[AnalysisRecord]) -> list[tuple[str, str]]:
    """(analysis, text) lines of the table for one file's classic analyses: each one's cell as
    the triage table words it, then its strong findings and notices (of any analysis: the
    metadata analysis's, the JPEG analyses' "aligned double JPEG compression ...") in the
    panel's order, at most :data:`FINDINGS_SHOWN` each; information rows stay in the files."""
    from forensic_viewer.scan.triage import analysis_cell  # the scan's modules: at first use

    lines = []
    for a in analyses:
        lines.append((a.name, analysis_cell(a.name, a).text))
        said = [f for f in a.findings if f.level in ("strong", "notice")]
        said.sort(key=lambda f: f.level != "strong")
        for f in said[:FINDINGS_SHOWN]:
            note = f" ({f.note})" if f.note else ""
            lines.append((a.name, f"{f.level}: {f.topic}, {f.key}: {f.value}{note}"))
        if len(said) > FINDINGS_SHOWN:
            more = len(said) - FINDINGS_SHOWN
            lines.append((a.name, f"… and {more:,} more findings in results.jsonl"))
    return lines
