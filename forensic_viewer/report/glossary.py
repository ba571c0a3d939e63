"""The report's "Words used in this report": one plain line for each technical word the report
uses, after its summary (HTML, PDF; report.json's ``glossary``). Page 1 used θ, AUC, CASIA, the
test part and the validation half before any of them was explained, and AUC, FASSEG, stacked,
logit, int8/fp32, the fast path, the cross-processor bound and p99 were never explained
(walk-through L, 2026-12-06). docs/GLOSSARY.md is the project's own, longer list.

A word is listed when the report's own text uses it: the text of its first pages and of its
models, environment and limitations, where every one of these words first stands but the
cross-processor bound, which each verdict's "Margin to θ" row names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from forensic_viewer.margin_text import margin_cell
from forensic_viewer.report import text as T
from forensic_viewer.report.limitations import limitations_text

if TYPE_CHECKING:
    from forensic_viewer.report.build import Overview

HEADING = "Words used in this report"

# (word, how the report writes it, its meaning in one plain line), in the order listed
WORDS: tuple[tuple[str, str, str], ...] = (
    ("θ (threshold)", r"θ",
     "The threshold of a check. A score above it flags the file; at or below it, not."),
    ("AUC", r"\bAUC\b",
     "How well a score separates manipulated from authentic images: 0.5 is chance, 1 is "
     "perfect."),
    ("CASIA", r"\bCASIA\b",
     "A public set of manipulated and authentic images, used to train and to test the models."),
    ("FASSEG", r"\bFASSEG\b",
     "A public set of face photographs, used to test the face model on authentic faces."),
    ("test part, validation half", r"test part|test half|validation half|validation part",
     "The images kept out of training, in two halves. The validation half chose θ; the test "
     "part measured the rates given."),
    ("stacked (default verdict)", r"\bstack",
     "The default verdict adds up the checks' figures with fixed weights and turns the sum "
     "into a probability."),
    ("logit", r"\blogit\b",
     "A score on an open scale before it becomes a probability: 0 is a probability of 0.5."),
    ("int8, fp32", r"\bint8\b|\bfp32\b",
     "How precisely a network computed: fp32 is full precision; int8 is a faster, rounded "
     "form."),
    ("fast path", r"fast path",
     "The default way the networks run: large tiles, faster than the paper's sliding windows."),
    ("cross-processor bound", r"cross-processor bound",
     "How far a score can move when the same analysis runs on another processor."),
    ("p99", r"\bp99\b",
     "The 99th percentile of a map: 99 % of its pixels are at or below this value."),
)  # fmt: skip


def used_words(texts: Iterable[str]) -> list[tuple[str, str]]:
    """(word, meaning) of each of :data:`WORDS` that ``texts`` use, in :data:`WORDS`' order."""
    said = "\n".join(texts)
    return [(word, line) for word, pattern, line in WORDS if re.search(pattern, said)]


def report_words(ov: Overview) -> list[tuple[str, str]]:
    """The words of :func:`used_words` that the report of ``ov`` uses before its files'
    sections (which use no word that these parts do not)."""
    texts = [T.counts_text(ov), T.caveat_text(ov), T.summary_note(ov), *limitations_text(ov)]
    texts += [" ".join(T.summary_header(ov))]
    texts += [f"{k} {v}" for m in ov.models for k, v in T.model_rows(m)]
    texts += [f"{k} {v}" for k, v in T.environment_rows(ov)]
    texts += [" ".join(T.summary_cells(ov, i)) for i in range(len(ov.rows))]
    if ov.models:  # each verdict's "Margin to θ" row, in the words it has beyond the bound
        texts.append(margin_cell({"margin": 1.0, "near_threshold": False, "margin_bound": 0.0}))
    return used_words(texts)
