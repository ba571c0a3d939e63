"""The Verdict panel and its words.

:class:`VerdictPanel` shows a :class:`VerdictCard` per model, the default verdict first, then
one line per face the face path judged (:func:`faces_text`; without a face, whether detection
ran and found none or was off); before them, a message: the
analysis's time, what a Cancel kept (:func:`cancelled_text`) or, with no model installed, how
to add one (:func:`no_model_hint`), and the decoding warnings that limit what was analysed
(:func:`limits_text`: frames left out, bits per channel reduced, alpha discarded, CMYK without
colour management), in the loader's words, as the command line and the reports print them. The cards' lines are in the words of the command line and
the reports (:mod:`forensic_viewer.wording`): :func:`threshold_text`, :func:`confidence_text`,
:func:`odds_text`, :func:`decision_text`, :func:`moved_text` and :func:`mask_text` (what moved a
stacked default verdict, and when its mask need not show why).

For the keyboard and a screen reader (walk-through D, item 7): the panel is named "verdict";
its text can be selected and copied from the keyboard (Tab reaches each line's label); each
card's fold button is named after its model ("details of NAME"), so three cards' buttons are
told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from engine.calibration import brief_reliability, reliability_details
from engine.catalog import BUNDLED_MODELS, user_models_dir
from engine.decode_limits import analysis_limits
from engine.ensemble_provenance import (
    FACE_RULE_NOTE,
    FACE_RULE_PROMISE,
    decided_by_face,
    decided_by_face_alone,
    whole_image_decided,
)
from engine.facepath import face_out_of_range
from engine.formatting import SENTENCE_LIMIT
from engine.types import Analysis, ModelResult
from forensic_viewer.face_marks import face_name, flagged_by, no_face_words
from forensic_viewer.gui.panels import GREY, NEUTRAL, RED, discard, text_label, tint
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.margin_text import margin_words
from forensic_viewer.marked_area import MARKED_AREA, marked_area_words, not_a_finding
from forensic_viewer.probability_source import source_words
from forensic_viewer.scan.face_rates import face_checkpoints, face_rates_for
from forensic_viewer.scan.replay import ScanAnalysis
from forensic_viewer.scan.run_id import shown_start
from forensic_viewer.wording import (
    FACE_PROBABILITY_NOTE,
    MASK_NOT_THE_REASON_LINE,
    confidence_words,
    contribution_details,
    contribution_words,
    decision_words,
    face_range_words,
    face_verdict_words,
    odds_words,
    partial_words,
    plain,
    policy_text,
    range_words,
    threshold_figure,
    verdict_words,
)

NO_MODEL_HINT = (
    "No trained model is installed, so nothing is analysed: the image and its metadata are "
    "shown. To analyse, add a checkpoint (.safetensors): copy it into {bundled} or {user}, or "
    "pick the file with “Add checkpoint…” in the Models panel. To train one: "
    "forensic-train fit --arch crfd-net-compact --data DIR --out FILE.safetensors"
)


def no_model_hint() -> str:
    return NO_MODEL_HINT.format(bundled=BUNDLED_MODELS, user=user_models_dir())


def timing_text(analysis: Analysis) -> str:
    """The Verdict panel's head for a finished analysis: how long it took, or, for one loaded
    from a scan, that it is that scan's recorded result and which run made it. A row opened
    from a scan's table said "analysis took 0.23 s" as if it had run now, though an earlier
    run (another examiner's, a case handed over) made it (a hand-over walk-through,
    2026-12-06, finding 9)."""
    if not isinstance(analysis, ScanAnalysis):
        return f"analysis took {analysis.seconds:.2f} s"
    when = (
        f"made by its run that began {shown_start(analysis.scan_run)}"
        if analysis.scan_run
        else "its run not recorded in the row (written before 2026-12-06)"
    )
    return (
        f"recorded result of the scan in {plain(str(analysis.scan_out))}, not analysed now: "
        f"{when}; that analysis took {analysis.seconds:.2f} s"
    )


def cancelled_text(analysis: Analysis) -> str:
    """The Verdict panel's head for a cancelled analysis: what was kept, the partial maps."""
    finished = "the models below finished" if analysis.results else "no model finished"
    lines = [
        f"analysis cancelled after {analysis.seconds:.2f} s: no default verdict (never built "
        f"from a partial analysis); {finished}. Ctrl+R analyses it again."
    ]
    lines += [
        f"{plain(name)} — {partial_words(p.fraction)}" for name, p in analysis.partial.items()
    ]
    return "\n".join(lines)


LIMITS_HEAD = "what was analysed is limited by its decoding:"


def limits_text(analysis: Analysis) -> str:
    """The decoding warnings of ``analysis``'s evidence that limit what was analysed
    (:func:`engine.decode_limits.analysis_limits`), one a line under :data:`LIMITS_HEAD`, in
    the loader's words; ``""`` when none does. The panel said nothing of a GIF's 12 frames or
    a 16-bit PNG reduced to 8 bits: only the Metadata tab listed them among every warning."""
    limits = analysis_limits(analysis.evidence.warnings)
    return "\n".join([LIMITS_HEAD, *(f"• {plain(w)}" for w in limits)]) if limits else ""


def threshold_text(r: ModelResult) -> str:
    """θ and where it came from, as the analyst reads it (calibrated provenances already
    open with "θ = ...", and saying it twice reads like two thresholds)."""
    if r.threshold_provenance.lstrip().startswith("θ"):
        return r.threshold_provenance
    return f"θ = {r.threshold:.4g}: {r.threshold_provenance}"


def confidence_text(r: ModelResult, source: str | None = None) -> str:
    """``probability 0.81 (calibrated)``, or the uncalibrated score said as such
    (:func:`~forensic_viewer.wording.confidence_words`, the compare panes' words too);
    ``source``: where a default verdict's probability came from when it is a face's."""
    return confidence_words(r.probability, r.score, r.out_of_range, source)


def odds_text(r: ModelResult) -> str | None:
    """Why the card's probability and verdict point opposite ways, when they do
    (:func:`~forensic_viewer.wording.odds_words`): a card read "authentic · probability 0.54"
    with no word on it."""
    return odds_words(r.verdict, r.probability)


def rule_text(r: ModelResult) -> str:
    """The image-level rule as applied, in the words of the command line and the reports
    (:func:`~forensic_viewer.wording.decision_words`: θ's value, and when a face decided an
    ensemble's verdict, so; the score is then the face's, not the stacking's); an ensemble's
    score named for what it is (``stacked score 0.956 > θ 0.5986``), as the card and the
    compare pane both say it."""
    by_face = r.rule == "ensemble" and decided_by_face(r.threshold_provenance)
    words = decision_words(
        {
            "rule": r.rule,
            "verdict": r.verdict,
            "score": r.score,
            "forged_fraction": r.forged_fraction,
            "threshold": r.threshold,
            "face_rule_applied": by_face,
            "face_rule_alone": decided_by_face_alone(r.threshold_provenance),
        }
    )
    if r.rule != "ensemble" or by_face:
        return words
    fused = "stacked" if "stacking" in r.threshold_provenance else "weighted member"
    return f"{fused} {words}"


def decision_text(r: ModelResult) -> str:
    """:func:`rule_text`, plus what a network's compared figure is."""
    words = rule_text(r)
    if r.rule == "ensemble":
        return words
    if r.rule == "forged_fraction":
        return f"{words} (mask: heatmap > {threshold_figure(r.pixel_threshold)})"
    return f"{words} (the score: the sigmoid of the image logit)"


def moved_text(r: ModelResult) -> str | None:
    """For a stacked verdict, what moved its score, largest term first, in one line
    (:func:`~forensic_viewer.wording.contribution_words`); None for any other result."""
    alone = decided_by_face_alone(r.threshold_provenance)  # else its own verdict flagged too
    return contribution_words(r.contributions, by_face=alone)


def mask_text(r: ModelResult) -> str | None:
    """When whole-image statistics carried a stacked "manipulated" verdict
    (:func:`engine.ensemble_provenance.whole_image_decided`), that its mask need not show why: an
    authentic 12 MP photograph read "manipulated, p 0.75" over a mask of scattered specks, and
    nothing said the mask was not the reason. None otherwise."""
    if not whole_image_decided(r.contributions, r.verdict, r.threshold, r.threshold_provenance):
        return None
    return MASK_NOT_THE_REASON_LINE


def marked_text(r: ModelResult) -> str:
    """``marked area 2.61 % of the pixels (heatmap above 0.45)``, and when the check did not
    flag the file, that this is not a finding (for the default verdict with what its mask marks
    on authentic camera photographs): the mask drawn on an unflagged photograph read as the
    forged part (walk-through L)."""
    words = f"{MARKED_AREA} {marked_area_words(r.forged_fraction, r.pixel_threshold)}"
    if r.verdict == "manipulated":
        return words
    return f"{words}. {not_a_finding(r.mask_on_authentic if r.rule == 'ensemble' else None)}"


def face_rates(analysis: Analysis, loaded: Mapping[str, Any]) -> dict[str, str]:
    """By face model that judged ``analysis``'s faces, the measured rates :func:`faces_text`
    gives beside them: those of the face model ``loaded`` in the viewer now (by name, its
    report figures: ``AnalysisWorker.face_model_figures``), or a scan row's own scan.json's
    (``ScanAnalysis.face_model_figures``), each only when its checkpoint scored the faces
    (``FaceScore.checkpoint_sha256``), else a sentence saying they are not at hand
    (:func:`forensic_viewer.scan.face_rates.face_rates_for`). The loaded model's rates had been
    given beside every face, those of a scan made with another face checkpoint too."""
    scored = face_checkpoints(f.to_dict() for f in analysis.faces)
    if isinstance(analysis, ScanAnalysis):  # its folder's rows: an older one names none
        return face_rates_for(analysis.face_model_figures, scored, unrecorded_theirs=True)
    return face_rates_for(loaded, scored)


def faces_text(analysis: Analysis, reliability: Mapping[str, str] | None = None) -> str:
    """The faces the face path judged, one line per face named by its number and place as the
    report names it (``face 2, x 428 y 635``: numbered alone, a face could not be found among
    several), with each model's verdict on it as the reports give it
    (:func:`~forensic_viewer.wording.face_verdict_words`: score against θ, the face model's
    first; a whole-image model's flag says it leaves the file's verdict alone); when a face
    model's verdict made the default verdict manipulated, that line with the faces it flagged;
    then each face model's measured reliability at its θ (``reliability``: by model, the
    sentence the report gives, :func:`forensic_viewer.scan.results.face_model_figures`, or that
    the scoring checkpoint's are not at hand: :func:`face_rates`): the face model has no card,
    and the default verdict's caveat says its rate is given with it.
    Without a face: that detection ran and found none, so the face rule checked nothing, or
    that it was off (:func:`~forensic_viewer.face_marks.no_face_words`, from
    ``analysis.faces_checked``); "" when that is not known, or faces were found and none judged."""
    if not analysis.faces:
        e = analysis.ensemble
        rule_on = e is not None and FACE_RULE_PROMISE in (e.reliability or "")
        return plain(no_face_words(analysis.faces_checked, face_rule=rule_on))
    whole = set(analysis.results)
    lines = []
    for i, face in enumerate(analysis.faces, start=1):
        scores = sorted(face.face_scores.items(), key=lambda item: item[0] in whole)
        words = "; ".join(  # each model's words hold commas: "score 0.70, θ 0.50"
            face_verdict_words(name, fs.to_dict(), face_model=name not in whole)
            for name, fs in scores
        )
        if words:
            size = (analysis.evidence.width, analysis.evidence.height)  # border cuts too
            marked = face_range_words(face_out_of_range(face.box, size))
            lines.append(f"{face_name(i, face)}: {words}" + (f" ({marked})" if marked else ""))
    if not lines:
        return ""
    face_models = {n for f in analysis.faces for n in f.face_scores if n not in whole}
    head = "Faces, each analysed alone" + (
        f" ({', '.join(sorted(face_models))}: a face model, its θ set on faces)"
        if face_models
        else ""
    )
    e = analysis.ensemble
    if e is not None and decided_by_face(e.threshold_provenance):
        flagged = e.threshold_provenance.split(FACE_RULE_NOTE, 1)[1]
        which = "; ".join(
            face_name(i, f)
            for i, f in enumerate(analysis.faces, start=1)
            if any(n in face_models for n in flagged_by(f))
        )
        count, sep, rest = flagged.partition(";")  # the faces named after "flag the image"
        named = f"{count} ({which}){sep}{rest}" if which else flagged
        lines.append(f"default verdict {verdict_words(e.verdict)} by its {FACE_RULE_NOTE}{named}")
    if any(
        fs.probability is not None
        for f in analysis.faces
        for n, fs in f.face_scores.items()
        if n in face_models
    ):
        lines.append(f"Note: {FACE_PROBABILITY_NOTE}.")
    for name in sorted(face_models):
        rate = (reliability or {}).get(name) or "reliability not measured for this model"
        lines.append(f"{name}, the face model: {rate}")
    return "\n".join(plain(line) for line in [f"{head}:", *lines])


FOLD_WORDS = "how θ was set, timing, checkpoint"  # what a card's fold holds
# ... when it also holds what the card's brief reliability leaves out (reliability_details)
FOLD_WITH_RELIABILITY = "how θ was set, the measured reliability in detail, timing, checkpoint"
TITLE_STYLE = "font-weight: bold; margin-top: 6px;"  # a card's title, with its verdict's colour


class FoldCaption(QLabel):
    """The words beside a card's fold arrow, wrapped, and a click on them folds or unfolds
    as the arrow does. They were the arrow's own text, which cannot wrap: with a large font
    (16 pt) that one line asked 400 pixels, wider than the panel, and every line of the cards
    was cut at the panel's edge behind a horizontal scroll bar."""

    def __init__(self, text: str, toggle: QToolButton) -> None:
        super().__init__(text, textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self.toggle = toggle
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.toggle.click()


class VerdictCard:
    """One model's (or the ensemble's) card: the verdict line, then what it is worth (the
    decision and its measured reliability), then a fold with how it was reached (θ and its
    provenance, timing, device and precision, window policy, checkpoint): what an analyst
    reads first stays in view, the long technical part one click away."""

    def __init__(
        self,
        title: QLabel,
        body: QLabel,
        toggle: QToolButton,
        details: QLabel,
        caption: str = FOLD_WORDS,
    ) -> None:
        self.title, self.body, self.toggle, self.details = title, body, toggle, details
        self.fold = QWidget()  # the arrow and its words (FoldCaption), on one row
        row = QHBoxLayout(self.fold)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(toggle, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(FoldCaption(caption, toggle), 1)

    def widgets(self) -> tuple[QWidget, ...]:
        return self.title, self.body, self.fold, self.details

    def set_open(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        if self.toggle.isChecked() != shown:
            self.toggle.setChecked(shown)


class VerdictPanel(QScrollArea):
    """Per model (and the ensemble) a :class:`VerdictCard`, the default verdict first. Plain
    text, wrapped. Whether the cards' details are open is remembered from file to file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("verdict")
        self.setAccessibleDescription("each model's verdict in words, the default verdict first")
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.message = self._label("")
        self._layout.addWidget(self.message)
        self.limits = self._label("")  # limits_text, before the cards
        self.limits.setVisible(False)
        self._layout.addWidget(self.limits)
        self.faces = self._label("")  # under the cards (faces_text)
        self.faces.setStyleSheet("margin-top: 6px;")
        self.faces.setVisible(False)
        self._layout.addWidget(self.faces)
        self._layout.addStretch(1)
        self.setWidget(body)
        self.cards: list[VerdictCard] = []
        self.details_open = False

    @staticmethod
    def _label(text: str) -> QLabel:
        label = text_label(text)
        # by the keyboard too: Tab reaches it, Shift and the arrows select, Ctrl+C copies
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Qt leaves it the mouse's
        return label

    def _clear_cards(self) -> None:
        for card in self.cards:
            for widget in card.widgets():
                self._layout.removeWidget(widget)
                discard(widget)
        self.cards = []

    def show_message(self, text: str) -> None:
        self._clear_cards()
        self.message.setText(text)
        self.limits.setText("")
        self.limits.setVisible(False)
        self.faces.setText("")
        self.faces.setVisible(False)

    def set_details_open(self, shown: bool) -> None:
        """Open or fold every card's details (and the cards of the next files)."""
        self.details_open = shown
        for card in self.cards:
            card.set_open(shown)

    def set_analysis(
        self, analysis: Analysis | None, face_reliability: Mapping[str, str] | None = None
    ) -> None:
        """Cards for ``analysis``'s models and the faces section (:func:`faces_text`, with
        ``face_reliability``: by face model, its measured reliability at θ)."""
        if analysis is None:
            self.show_message("")
            return
        if not analysis.results and not analysis.partial:
            self.show_message(no_model_hint())
            return
        self.show_message(cancelled_text(analysis) if analysis.cancelled else timing_text(analysis))
        self.limits.setText(limits_text(analysis))
        self.limits.setVisible(bool(self.limits.text()))
        results = list(analysis.results.values())
        if analysis.ensemble is not None:  # the default verdict leads, the members follow
            results.insert(0, analysis.ensemble)
        faces = [f.face_scores for f in analysis.faces]
        for r in results:
            ens = r is analysis.ensemble
            source = (  # a face's probability in the image's place (probability_source)
                source_words(
                    r.probability, r.threshold_provenance, r.contributions, faces, analysis.results
                )
                if ens
                else None
            )
            self._add_card(r, lead="default verdict: " if ens else "", source=source)
        self.faces.setText(faces_text(analysis, face_reliability))
        self.faces.setVisible(bool(self.faces.text()))

    def _add_card(self, r: ModelResult, lead: str, source: str | None = None) -> None:
        verdict = verdict_words(r.verdict, out_of_range=bool(r.out_of_range))
        title = self._label(f"{lead}{plain(r.name)} — {verdict} · {confidence_text(r, source)}")
        # a verdict outside the measured range is grey: nothing measured it; "not flagged" is
        # neutral, never green, which reads as "cleared"
        color = GREY if r.out_of_range else RED if r.verdict == "manipulated" else NEUTRAL
        # what the verdict is worth before how θ was set: the measured rates are what an
        # analyst weighs; the provenance is long and technical; first, that nothing measured it
        worth = (
            range_words(r.out_of_range),
            margin_words(r.to_dict()),  # may differ on another processor
            decision_text(r),
            moved_text(r),
            mask_text(r),
            marked_text(r),
            odds_text(r),
            # in brief; the rest in the fold below (reports: the table of models gives it all)
            brief_reliability(r.reliability) or "reliability not measured for this model",
        )
        # the product's own sentences, whole: the reliability runs past plain's 1,000 characters
        # (capped all the same: header strings of a user's checkpoint are in it)
        body = self._label("\n".join(plain(line, SENTENCE_LIMIT) for line in worth if line))
        terms = contribution_details(
            r.contributions, by_face=decided_by_face_alone(r.threshold_provenance)
        )
        more = reliability_details(r.reliability)
        how = (
            threshold_text(r),
            f"measured reliability, in more detail: {more}" if more else None,
            f"the stacked score's terms: {terms}" if terms else None,
            f"{r.seconds:.2f} s on {r.device} ({r.precision}) · " + policy_text(r.input_policy),
            f"checkpoint {Path(r.checkpoint).name} · sha256 {r.checkpoint_sha256[:16]}…",
        )
        details = self._label("\n".join(plain(line) for line in how if line))
        details.setToolTip(tip_text(plain(r.checkpoint)))
        toggle = QToolButton()
        toggle.setAccessibleName(f"details of {plain(r.name)}")  # one button per model
        caption = FOLD_WITH_RELIABILITY if more else FOLD_WORDS
        toggle.setAccessibleDescription(caption)
        toggle.setAutoRaise(True)
        toggle.setCheckable(True)
        card = VerdictCard(title, body, toggle, details, caption)
        card.set_open(self.details_open)
        toggle.toggled.connect(self.set_details_open)
        index = self._layout.indexOf(self.faces)  # after the cards so far, before the faces
        for offset, widget in enumerate(card.widgets()):
            self._layout.insertWidget(index + offset, widget)
        tint(title, color, TITLE_STYLE)  # WCAG AA on the panel, theme after theme
        self.cards.append(card)

    def text(self) -> str:
        """Everything in the cards, folded or not, as text (for tests and copying)."""
        lines = [label.text() for label in (self.message, self.limits) if label.text()]
        for card in self.cards:
            lines += [card.title.text(), card.body.text(), card.details.text()]
        if self.faces.text():
            lines.append(self.faces.text())
        return "\n".join(lines)
