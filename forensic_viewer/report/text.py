"""The words and numbers of a report, as (label, value) rows shared by the HTML and PDF writers.

Writers only lay these rows out (and escape them), so both formats say the same thing in the
same words. Values are plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.ensemble_provenance import decided_by_face, decided_by_face_alone
from forensic_viewer.audit import AuditStamp
from forensic_viewer.environment import app_text, computed_by, run_environments
from forensic_viewer.margin_text import margin_cell
from forensic_viewer.marked_area import MARKED_AREA_MEANING, UNFLAGGED_FILE, authentic_mask_words
from forensic_viewer.report.cards import calibration_words
from forensic_viewer.report.entry_text import (  # moved_rows: for the tests' import
    compared_words,
    marked_area_cell,
    moved_rows,
    probability_cell,
    score_label,
)
from forensic_viewer.report.limitations import (
    LEAD_WORDS,
    brief_text,
    bundled_training_words,
    is_bundled,
    training_run_figures,
    training_words,
)
from forensic_viewer.report.metadata import hex_may_be_bytes, metadata_values
from forensic_viewer.report.model import (
    FACE_MODEL,
    AnalysisEntry,
    Integrity,
    ModelEntry,
    ReportItem,
)
from forensic_viewer.report.reproduce import ROW as REPRODUCING_ROW
from forensic_viewer.report.reproduce import reproducing_text
from forensic_viewer.scan import triage
from forensic_viewer.scan.command import command_summary
from forensic_viewer.scan.links import error_without_file
from forensic_viewer.scan.results import copies_line
from forensic_viewer.scan.triage import RAN, TRUTH_HEADERS, Cell, analysis_header, truth_texts
from forensic_viewer.scan.walk import passed_over_words
from forensic_viewer.threshold_words import mask_source_words
from forensic_viewer.wording import (
    ENSEMBLE_HEATMAP_MEANING,
    FLAGGED,
    HEATMAP_MEANING,
    NOT_FLAGGED,
    OUT_OF_RANGE,
    decision_words,
    evidence_files_words,
    model_files_words,
    parameters_words,
    policy_text,
    range_words,
    scale_words,
    threshold_figure,
    verdict_words,
)

if TYPE_CHECKING:  # annotations only: the text of a report does not build it
    from forensic_viewer.report.build import AnalysisSummary, ModelSummary, Overview

Rows = list[tuple[str, str]]

INTEGRITY_WORDS = {
    "match": "verified: unchanged since the analysis",
    "mismatch": "CHANGED SINCE THE ANALYSIS",
    "unreadable": "NOT VERIFIED: unreadable at export",
    "not recorded": "no SHA-256 recorded",
}
# a file that could not be analysed was read (its SHA-256 taken), never analysed
INTEGRITY_WORDS_NOT_ANALYSED = {
    "match": "verified: unchanged since it was read (not analysed)",
    "mismatch": "CHANGED SINCE IT WAS READ (not analysed)",
}
SUMMARY_HEADER = ("#", "File", "Status")
# a failed file's Status cell starts so, then "see §N": its error goes in a row of its own
# (summary_error) and whole in the file's section
NOT_ANALYSED = "not analysed:"
# the summary's last column: the check at export, then the digest the file was analysed with
# (``integrity_cell``); for a file changed since, its digest now is in the file's own section
INTEGRITY_HEADER = "Check at export; SHA-256 at load"
# what a heatmap figure draws, by shape and words, not by colour names alone (a reader with a
# colour-vision deficiency sees other colours), the flagged face's box included
LEGEND_TEXT = (
    f"Key: heatmap, {HEATMAP_MEANING}; an ensemble's, {ENSEMBLE_HEATMAP_MEANING}; in the "
    "colormap named above its scale, 0 at the left, 1 at the right; the heatmap is more opaque "
    "where it is higher. Solid outline on a dark edge: the mask (heatmap above the pixel "
    "threshold marked on the scale). Dashed boxes numbered on a dark backing: faces, as in the "
    'faces table. A solid, thicker box tagged FLAGGED (e.g. "2 FLAGGED"): a face a face model '
    "flagged."
)


ANALYSES_TEXT = (
    "Classic analyses measure properties of the file and its pixels (error levels, noise, JPEG "
    "history, copies within the image, metadata). Their maps say what they measure, as stated "
    "for each; none is a probability of manipulation. An ensemble whose card says it uses an "
    "analysis (e.g. the copy-move score) does so in its own verdict; otherwise they change no "
    "verdict. Metadata values are untrusted text from the file."
)
FINDINGS_HEADER = ("Level", "Topic", "Field", "Value", "Note")


def is_digest(v: str) -> bool:
    """Whether ``v`` is a SHA-256 in hex (printed in a fixed-width font)."""
    return len(v) == 64 and all(c in "0123456789abcdef" for c in v)


def num(v: Any, digits: int = 4) -> str:
    """A number for people: ``digits`` significant figures; "—" for none; a list of them
    (an analysis's parameter, e.g. jpeg-ghost's ``qualities``) joined by " / ", "—" when
    empty, never Python's ``[]``."""
    if v is None:
        return "—"
    if isinstance(v, (list, tuple)):
        return " / ".join(num(x, digits) for x in v) or "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def percent(v: float | None) -> str:
    return "—" if v is None else f"{100.0 * v:.2f} %"


def size_bytes(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n} bytes ({n / div:.1f} {unit})"
    return f"{n} bytes"


def case_rows(ov: Overview) -> Rows:
    c = ov.case
    return [
        ("Examiner", c.examiner or "(not given)"),
        ("Case ID", c.case_id or "(not given)"),
        ("Notes", c.notes or "(none)"),
        ("Report generated", ov.generated),
        ("Covers", covers_text(ov.source.title, ov.source.count)),
        *([("Not covered", ov.not_covered)] if ov.not_covered else []),
        *([("Passed over", passed)] if (passed := passed_over_words(ov.source.settings)) else []),
        *figures_rows(ov.options.figures),
        *results_rows(ov.source.results_sha256),
        *audit_rows(c.audit),
        (REPRODUCING_ROW, reproducing_text(ov.source.settings, ov.models)),
    ]


def covers_text(title: str, count: int) -> str:
    """What a report covers: its title and how many files, the count said once ("Analysis
    of 1 evidence file", not "Analysis of 1 evidence file(s): 1 evidence file(s)")."""
    files = evidence_files_words(count)
    return title if title.endswith(files) else f"{title}: {files}"


FIGURES_WORDS = {
    "flagged": "drawn for flagged files only; the summary lists every file",
    "none": "none drawn (tables only); the summary lists every file",
}


def figures_rows(figures: str) -> Rows:
    """The first page's word on a report drawn with figures for some files only (the report
    dialog's Figures, the command line's ``--figures``); none when every file has them."""
    return [("Figures", FIGURES_WORDS[figures])] if figures in FIGURES_WORDS else []


def results_rows(sha256: str | None) -> Rows:
    """The SHA-256 of the results.jsonl a scan's report was read from (none: a viewer's)."""
    return [] if sha256 is None else [("Results read from", f"results.jsonl, SHA-256 {sha256}")]


def audit_rows(stamp: AuditStamp | None) -> Rows:
    """The case audit log's head when the report was written (docs/AUDIT.md): with it,
    ``forensic-viewer audit verify LOG --head HASH`` shows that the log still holds every
    entry up to this report."""
    if stamp is None:
        return []
    return [
        ("Case audit log", stamp.log),
        ("Audit log head", f"{stamp.head} (entry {stamp.entries})"),
    ]


def counts_text(ov: Overview) -> str:
    """The headline: files, and how many the default verdict flags (issue 17: not "at least
    one check", which flags most authentic photographs when several weak models vote); those
    it flags only by verdicts outside the measured range counted apart (a 5x5 image's single
    unmeasured flag read "1 flagged as manipulated")."""
    c = ov.counts
    ens = ov.ensemble_column
    by = f"the default verdict ({ens})" if ens else "at least one model (no ensemble ran)"
    extra = c["flagged_by_any"] - c["flagged"]
    members = f" ({extra} more by a single member only)" if ens and extra > 0 else ""
    files = f"{c['files']} file" + ("" if c["files"] == 1 else "s")
    unmeasured = c["flagged_out_of_range"]
    apart = f"; {unmeasured} more {FLAGGED} only by verdicts {OUT_OF_RANGE}" if unmeasured else ""
    return (
        f"{files}: {c['analysed']} analysed, {c['failed']} failed; "
        f"{c['flagged'] - unmeasured} {FLAGGED} by {by}{members}{apart}; "
        f"{c['evidence_changed']} changed and {c['evidence_unreadable']} unreadable at export"
        + (f", {n} changed between runs" if (n := c["evidence_changed_between_runs"]) else "")
        + (f"; {n} map files not as the scan wrote them" if (n := c["map_files_changed"]) else "")
        + (
            f"; {n} thumbnail files not as the scan wrote them"
            if (n := c.get("thumbnail_files_changed"))
            else ""
        )
        + "."
        + (f" {copies_line(ov.copies, rest=COPIES_REST)}." if ov.copies else "")
        + (f" {outside_count(len(ov.outside))}" if ov.outside else "")
    )


def caveat_text(ov: Overview) -> str:
    """Beside the headline, on the first page: what a verdict is worth (:data:`~forensic_viewer.
    report.limitations.LEAD_WORDS`), what the verdict words say, and the measured rates of the
    default verdict (of each model when no ensemble ran), in brief (:func:`~forensic_viewer.
    report.limitations.brief_text`: the table of models gives them whole). The caveat had
    stood on page 5 of 33 and "authentic" on page 1 (expert-witness review, 2026-12-05)."""
    ensembles = [m for m in ov.models if m.role == "ensemble"]
    measured = [
        f"{m.name}: {brief_text(m.reliability)}" if m.reliability else f"{m.name}: not measured"
        for m in (ensembles or ov.models)
    ]
    rates = "; ".join(measured) if measured else "none (no model ran)"
    return (
        f"{LEAD_WORDS}: '{FLAGGED}' says that a check's score (a marked-area model's "
        f"marked area) is above its threshold (θ), '{NOT_FLAGGED}' "
        "that it is not (never that the image is authentic), and each check misses some "
        f"manipulations and flags some authentic images. Measured rates: {rates}."
    )


def outside_count(n: int) -> str:
    """The headline's words for ``n`` files read from outside the scanned folder."""
    files = "1 file was" if n == 1 else f"{n} files were"
    return (
        f"{files} read through symbolic links from outside the scanned folder "
        "(Limitations names them)."
    )


COPIES_REST = "each file's own section names the file it copies"


# Under the summary table: what its computed columns are (their names alone do not say).
SUMMARY_NOTE = (
    f"Marked area: {MARKED_AREA_MEANING}. It is the default verdict's (the ensemble's), or the "
    f"largest of the models' when no ensemble ran. {UNFLAGGED_FILE} Faces: faces found ('not "
    "run': face detection was off, or the file could not be analysed). "
    f"{triage.DISAGREEMENT_NOTE} Each model column gives its verdict and calibrated "
    "probability; its θ and decision are in the file's own section."
)


def summary_note(ov: Overview) -> str:
    """:data:`SUMMARY_NOTE`, what the default verdict's mask marks on authentic camera
    photographs when its result records it (``mask_on_authentic``), then each analysis column's figure when it found
    nothing else: the map's percentile said once for the columns that give it (``ela and clone:
    p99: ...``), an analysis's own figure (:data:`~forensic_viewer.scan.triage.CELL_FIGURES`)
    or its findings alone (:data:`~forensic_viewer.scan.triage.FINDINGS_CELLS`) each."""
    names = list(ov.analysis_columns)
    own = {**triage.CELL_FIGURES, **triage.FINDINGS_CELLS}
    p99 = [a for a in names if a not in own]
    notes = [triage.analysis_note(a) for a in names if a in own]
    if p99:
        listed = p99[0] if len(p99) == 1 else f"{', '.join(p99[:-1])} and {p99[-1]}"
        notes.insert(0, f"{listed}: {triage.P99_NOTE}")
    where = "Analysis columns: copy pairs, a score or findings where the analysis has them, else"
    said = next((m.mask_on_authentic for m in ov.models if m.role == "ensemble"), None)
    note = f"{SUMMARY_NOTE} {figure}" if (figure := authentic_mask_words(said)) else SUMMARY_NOTE
    return f"{note} {where} {'; '.join(notes)}." if notes else note


def cell_text(c: Cell | None) -> str:
    return "—" if c is None else c.text


def summary_header(ov: Overview) -> list[str]:
    """Columns of the summary table: fixed ones, the default verdict, one per model, the rest."""
    names = ov.model_columns
    ens = ov.ensemble_column
    return [
        *SUMMARY_HEADER,
        *([f"default verdict: {ens} (ensemble)"] if ens else []),
        *names,
        *(analysis_header(a) for a in ov.analysis_columns),
        "Marked area",
        "Faces",
        triage.SPREAD_HEADER,
        *(TRUTH_HEADERS if ov.truth is not None else ()),
        INTEGRITY_HEADER,
    ]


def summary_analysis_columns(ov: Overview) -> range:
    """Where the classic analyses' columns sit in :func:`summary_header` and
    :func:`summary_cells` (empty when none ran), for a layout that puts them apart."""
    start = len(SUMMARY_HEADER) + bool(ov.ensemble_column) + len(ov.model_columns)
    return range(start, start + len(ov.analysis_columns))


def summary_cells(ov: Overview, i: int) -> list[str]:
    """The summary-table cells of item ``i`` (same order as :func:`summary_header`)."""
    r = ov.rows[i]
    status = "analysed" if r.status == "ok" else f"{NOT_ANALYSED} see §{i + 1}"
    cells = [str(i + 1), r.key, status]
    if ov.ensemble_column:
        cells.append(cell_text(r.ensemble))
    cells += [cell_text(r.cell(n)) for n in ov.model_columns]
    for name in ov.analysis_columns:
        a = r.analysis(name)
        cells.append("—" if a is None else a.text)
    cells += [
        percent(r.forged_fraction),
        "not run" if r.faces is None else str(r.faces),
        r.disagreement_text,
        *(truth_texts(r, ov.truth) if ov.truth is not None else ()),
        integrity_cell(ov.integrity[i], r.status == "ok"),
    ]
    return cells


def summary_error(ov: Overview, i: int) -> str | None:
    """The error of item ``i`` when it could not be analysed, for a row of the summary as wide
    as the table under the file's own (None for a file analysed): the problem, without the
    file's absolute path, which the row above names by its key and the file's section
    (§N) by its path with the whole error. In the Status column, with its path, it stood one
    word of a few letters a line, 15 to 20 lines a file."""
    r = ov.rows[i]
    if r.status == "ok":
        return None
    return "error: " + error_without_file(r.error or "(no error recorded)", r.file)


def integrity_words(integ: Integrity, analysed: bool = True) -> str:
    """The check at export in words; of a file not ``analysed`` (its row an error), "since it
    was read": "unchanged since the analysis" stood beside files no analysis ever ran on."""
    own = {} if analysed else INTEGRITY_WORDS_NOT_ANALYSED
    return own.get(integ.status) or INTEGRITY_WORDS[integ.status]


def integrity_cell(integ: Integrity, analysed: bool = True) -> str:
    """The summary's last cell: the check at export and the first 8 hex digits of the SHA-256
    the file was analysed with, so the summary itself identifies each file (the whole digest
    is in the file's own section; more digits break across the narrow column, and a broken
    digest is not found by a search)."""
    words = integrity_words(integ, analysed)
    return f"{words}; SHA-256 {integ.recorded[:8]}…" if integ.recorded else words


def integrity_rows(integ: Integrity, analysed: bool = True) -> Rows:
    return [
        ("SHA-256 check at export", integrity_words(integ, analysed)),
        ("SHA-256 at load", integ.recorded or "—"),
        ("SHA-256 at export", integ.current or "—"),
        ("Checked at", integ.checked_at),
        ("Detail", integ.message),
    ]


def metadata_rows(item: ReportItem) -> Rows:
    """The file's metadata, a binary value (a MakerNote) as its size and SHA-256, never hex;
    text that reads as hex, as text, unless the row may hold bytes so (:func:`hex_may_be_bytes`)."""
    meta: Mapping[str, Any] = item.evidence.get("metadata") or {}
    return metadata_values(meta, hex_may_be_bytes(item.evidence))


def entry_label(e: ModelEntry) -> str:
    """The heading of a model's (or the ensemble's) part in a file's section: the ensemble's
    verdict is the default verdict, and says so."""
    return f"Default verdict: ensemble {e.name}" if e.role == "ensemble" else f"Model {e.name}"


def entry_rows(e: ModelEntry, source: str | None = None) -> Rows:
    """One model's (or the ensemble's) figures on one file, ``source`` where its probability
    came from when it is a face's (:meth:`ReportItem.probability_source`); for a check that
    did not run, only that fact and why."""
    if e.status != RAN:
        return [("Status", "NOT RUN"), ("Why", e.note or "—")]
    f = e.figures
    policy = f.get("input_policy") or {}
    off = range_words(f.get("out_of_range"))
    how = str(f.get("threshold_provenance"))  # whether a face flagged the file (alone)
    rows: Rows = [
        ("Verdict", verdict_words(f.get("verdict")) + (f" ({off})" if off else "")),
        *([("Margin to θ", m)] if (m := margin_cell(f)) is not None else []),
        ("Probability (calibrated)", probability_cell(f, source)),
        # in brief: the table of models gives it whole (:func:`brief_text`)
        ("Reliability at θ", brief_text(str(f.get("reliability") or "")) or "not measured"),
        (
            "Decision",
            decision_words(
                {
                    **f,
                    "face_rule_applied": decided_by_face(how),
                    "face_rule_alone": decided_by_face_alone(how),
                }
            ),
        ),
        *moved_rows(f),
        (score_label(f), num(f.get("score"))),
        ("Marked area", marked_area_cell(f, e.role == "ensemble")),
        (
            "θ (threshold)",
            f"{num(f.get('threshold'))}, rule {f.get('rule', '—')}{compared_words(f)}",
        ),
        ("θ provenance", str(f.get("threshold_provenance") or "—")),
        (
            "Pixel threshold (mask)",
            f"{threshold_figure(f.get('pixel_threshold'))}: "
            + mask_source_words(e.role, e.threshold_calibrated),
        ),
    ]
    if e.viewer_threshold is not None:
        rows.append(
            (
                "Viewer's threshold slider",
                f"{threshold_figure(e.viewer_threshold)} when this report was written; the mask "
                f"here is drawn at {threshold_figure(f.get('pixel_threshold'))}",
            )
        )
    if f.get("image_logit") is not None:
        rows.append(("Image logit (the score is its sigmoid)", num(f.get("image_logit"))))
    if e.role == "ensemble":
        rows.append(("Members", ", ".join(map(str, policy.get("members") or [])) or "—"))
    else:
        rows += [
            ("Architecture", str(f.get("architecture") or "—")),
            ("Checkpoint", str(f.get("checkpoint") or "—")),
            ("Checkpoint SHA-256", str(f.get("checkpoint_sha256") or "—")),
            ("Input", policy_text(policy)),
        ]
    if ran := model_files_words(policy.get("model_files")):
        rows.append(("Model files run", "; ".join(ran)))
    rows += [
        ("Device, precision", f"{f.get('device', '—')}, {f.get('precision', '—')}"),
        ("Time", "—" if f.get("seconds") is None else f"{float(f['seconds']):.2f} s"),
        ("Heatmap used for the figure", e.heatmap_precision),
    ]
    return rows


FACE_INPUT = {FACE_MODEL: "each face found, on its own (the face path; no whole-image result)"}


def reduced_text(m: ModelSummary) -> str:
    """How many of the model's files had their image score from a reduced view: the size of
    that view is each file's own (given in its section), so the summary gives the count."""
    if not m.reduced:
        return ""
    low = m.detect_side_min or m.detect_side
    sides = f"{m.detect_side}" if low == m.detect_side else f"{low} to {m.detect_side}"
    text = (
        f"; image score from the image reduced to a long side of {sides} pixels on "
        f"{m.reduced} of {m.files} file(s) (each file's section gives its size)"
    )
    return text + (", from the image as it is on the others" if m.reduced < m.files else "")


def model_rows(m: ModelSummary) -> Rows:
    rows: Rows = [
        ("Role", m.role),
        ("Architecture", m.architecture or "—"),
        ("Checkpoint", m.checkpoint or "—"),
        ("Checkpoint SHA-256", m.checkpoint_sha256 or "—"),
        ("Decision rule, θ", f"{m.rule}, θ = {num(m.threshold)}"),
        ("θ provenance", m.provenance or "—"),
        ("Reliability at θ", m.reliability or "not measured (no calibration in this model)"),
        ("Pixel threshold", threshold_figure(m.pixel_threshold)),
        (
            "Input",
            policy_text(m.input_policy) + reduced_text(m)
            if m.role == "model"
            else FACE_INPUT.get(m.role, "—"),
        ),
        (
            "Device, precision",
            f"{', '.join(sorted(m.devices)) or '—'}, {', '.join(sorted(m.precisions)) or '—'}",
        ),
        ("Files analysed", str(m.files)),
    ]
    if m.model_files:  # what OpenVINO ran beside the checkpoint (more than one: rows differ)
        rows.insert(-1, ("Model files run", "; ".join(sorted(m.model_files))))
    card = m.card
    if m.role == "model":
        if card is None:
            rows.append(("Model card", "not available"))
        else:
            rows.append(("Model card", card.source))
            if card.metrics:  # the trainer's own figures: say which split they come from
                rows.append(
                    ("Training-run figures", training_run_figures(card.metrics, card.training))
                )
                rows += [(f"Training-run validation: {k}", num(v)) for k, v in card.metrics.items()]
            if is_bundled(m.checkpoint):  # its record names the build machine's folders
                rows.append(("Training", bundled_training_words(m.checkpoint)))
            elif how := training_words(card.training):
                rows.append(("Training", how))
            if card.created:
                rows.append(("Checkpoint created", card.created))
            if said := calibration_words(card.calibration, card.rule):
                rows.append(("Probability", said))
    return rows


def _params_text(params: Mapping[str, Any]) -> str:
    return parameters_words(params, num)


def analysis_rows(a: AnalysisEntry) -> Rows:
    """One classic analysis on one file: what ran, its score and its map's meaning (in the
    words of :func:`~forensic_viewer.wording.scale_words`); for one that did not run, why."""
    if not a.ran or a.record is None:
        return [("Status", "NOT RUN"), ("Why", a.note or "—")]
    r = a.record
    rows: Rows = [
        ("Method", f"{r.provenance.method} (version {r.provenance.version}; source and "
         "parameters under Classic analyses)"),
        ("Time", f"{r.seconds:.2f} s"),
    ]  # fmt: skip
    if r.score is not None:
        rows.append(("Score", f"{num(r.score)} ({r.score_label or 'no label'})"))
    m = r.map
    if m is None:
        rows.append(("Map", "none for this file"))
    else:
        rows += [
            ("Map", f"{m.meaning.label} ({scale_words(m.meaning.scale)})"),
            ("Map unit", m.meaning.unit),
            ("High values", m.meaning.high),
            (
                "Map statistics",
                f"mean {num(m.mean)}, 99th percentile {num(m.p99)}, max {num(m.max)}",
            ),
            ("Map used for the figure", a.map_precision),
        ]
    if r.pairs or "pairs" in r.extras:
        rows.append(("Copy pairs found", str(len(r.pairs))))
    for i, p in enumerate(r.pairs, start=1):
        rows.append((f"Pair {i}", pair_text(p)))
    rows += [("Warning", w) for w in r.warnings]
    return rows


def pair_text(p: Any) -> str:
    """``pair_text(ClonePair)``: where both copies are and how one maps onto the other."""
    sx, sy, sw, sh = p.source_box
    tx, ty, tw, th = p.target_box
    return (
        f"x {sx}, y {sy}, {sw} x {sh} ↔ x {tx}, y {ty}, {tw} x {th}; rotation "
        f"{p.rotation_deg + 0.0:.1f}°, scale {p.scale:.3f}; {p.detector}, {p.matches} matches, "
        f"{p.area} px, correlation {p.correlation:.3f}"
    )


def finding_rows(a: AnalysisEntry) -> list[list[str]]:
    """[level, topic, field, value, note] per finding (strong first, then notices, then info);
    values are the file's untrusted text, already escaped by the engine."""
    if a.record is None:
        return []
    order = {"strong": 0, "notice": 1, "info": 2}
    found = sorted(a.record.findings, key=lambda f: order.get(str(f.level), 3))
    return [[str(f.level), f.topic, f.key, f.value, f.note or "—"] for f in found]


def analysis_summary_rows(a: AnalysisSummary) -> Rows:
    return [
        ("Method", a.method),
        ("Source", a.source),
        ("Implementation version", a.version_text),
        (
            "Parameters",
            _params_text(a.params) + (" (other files: other values)" if a.varied else ""),
        ),
        ("Files analysed", str(a.files)),
        ("How it ran", "; ".join(a.how) or "—"),
    ]


SCAN_CODE = "scan.json's environment.code"  # where a scan's code identity is in full


def environment_rows(ov: Overview) -> Rows:
    env = ov.export_environment
    rows: Rows = [
        ("Application", app_text(env, whole=True)),
        ("Python", str(env.get("python"))),
        ("Platform", str(env.get("platform"))),
    ]
    rows += [("Processor", str(env["cpu"]))] if env.get("cpu") else []
    rows += [(f"Library: {k}", str(v)) for k, v in (env.get("libraries") or {}).items()]
    s = ov.source.settings
    rows += command_rows(s)
    if "source" in s:  # a scan's (a viewer report's: its face models' figures and detector)
        rows.append(("Scan source", str(s.get("source"))))
        rows.append(("Scan device", str(s.get("device") or "—")))
        w, st = s.get("window"), s.get("stride")
        rows.append(
            (
                "Window / stride override",
                "none (each checkpoint's own)" if w is None and st is None else f"{w} / {st}",
            )
        )
        rows.append(("Ensemble", str(s.get("ensemble") or "none")))
        if isinstance(s.get("faces"), Mapping):
            rows.append(("Face detector", detector_text(s["faces"].get("detector"))))
        scan_env = s.get("environment") or {}
        if scan_env:
            rows.append(
                (
                    "At scan time",
                    f"{app_text(scan_env, SCAN_CODE)}, Python "
                    f"{scan_env.get('python')}, {computed_by(scan_env)}, {scan_env.get('time')}",
                )
            )
        if runs := run_environments(s):  # a resumed scan's rows, from runs that differ
            rows.append(
                (
                    "Runs in other environments",
                    "the rows come from runs that ran in different environments (each row's "
                    "run field names the run that made it): " + "; ".join(runs),
                )
            )
    elif isinstance(s.get("faces"), Mapping):  # the viewer's report: the detector it used
        rows.append(("Face detector", detector_text(s["faces"].get("detector"))))
    return rows


def detector_text(name: Any) -> str:
    """A scan's face detector (scan.json's ``faces.detector``) as its report says it: the
    Haar fallback with why its faces' rates are not the face models' measured ones and the
    command that adds MTCNN (:func:`engine.faces.fallback_note`; a wheel install's scan had
    used it unsaid)."""
    from engine.faces import MEASURED_DETECTOR, PIP_FACENET, UNMEASURED_DETECTOR

    if name in (None, MEASURED_DETECTOR):
        return str(name or "not recorded")
    return (
        f"{name}: the fallback when the MTCNN detector is not installed; the face models' θ "
        f"and rates were measured on MTCNN's faces ({UNMEASURED_DETECTOR}); `{PIP_FACENET}` "
        "adds MTCNN"
    )


def runs_text(said: Mapping[str, Any]) -> str:
    """The "Runs" row of a scan resumed over several runs (:func:`command_summary`'s): how
    many the analyses come from (not a run that analysed no file: a rerun for its reports),
    and each one whose end was never recorded (killed), by its start."""
    runs, idle = int(said["runs"]), int(said.get("runs_without_analyses") or 0)
    killed = [str(k) for k in said.get("runs_killed") or []]
    if not idle:
        text = f"{runs}: the analyses come from all of them"
    elif idle >= runs:
        text = f"{runs}: none of them analysed a file (their files failed)"
    else:
        their = "its" if idle == 1 else "their"
        text = (
            f"{runs}: the analyses come from {runs - idle} of them ({idle} analysed no "
            f"file: {their} files were done before, or failed again)"
        )
    if killed:
        who = "one" if len(killed) == 1 else f"{len(killed)}"
        text += (
            f"; {who} ended without recording its end (killed, or scan.json could not be "
            "written; the rows it finished are kept): started " + ", ".join(killed)
        )
    return text + (
        "; the command above is the last one's (scan.json's earlier_runs holds the others')"
    )


def command_rows(settings: Mapping[str, Any]) -> Rows:
    """The command that made the results and where it ran (:func:`command_summary`): a scan's
    from scan.json, one image's or a probe's from the report's settings."""
    said = command_summary(settings, scan="source" in settings)
    rows: Rows = [("Command", said["text"])]
    if said.get("cwd"):
        rows.append(("Working directory", str(said["cwd"])))
    rows += [("About the command", d) for d in said.get("differs", [])]
    if "runs" in said:
        rows.append(("Runs", runs_text(said)))
        rows.append(("Command of the first run", said["first_run"]))
    return rows
