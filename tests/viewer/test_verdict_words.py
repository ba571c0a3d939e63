"""Where a person reads a verdict it says what was measured: "flagged as manipulated" or "not
flagged", never "authentic" (expert-witness review, 2026-12-05: "crfd-net-compact authentic
p=0.43" on a real CASIA splice, for a model that leaves 68 % of them unflagged); the caveat
that a verdict is a lead stands beside the report's headline, not on page 5 of 33; the stored
values stay "manipulated" and "authentic" (results.jsonl, the JSON report's fields)."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader

from forensic_viewer.cli_table import print_table, table_summary
from forensic_viewer.report.limitations import LEAD_WORDS
from forensic_viewer.scan.probe import row_cells
from forensic_viewer.scan.triage import DISAGREEMENT_NOTE, Cell
from forensic_viewer.wording import (
    FLAGGED,
    NOT_FLAGGED,
    PRIOR_CAVEAT,
    face_decision_words,
    separating_decimals,
    verdict_words,
)
from tests.viewer.conftest import scan_cli
from tests.viewer.test_report import flat, make_evidence


def test_one_function_says_every_verdict_in_the_same_words() -> None:
    assert verdict_words("manipulated", 0.94) == "flagged as manipulated, p 0.94"
    assert verdict_words("authentic", 0.43) == "not flagged, p 0.43"
    assert verdict_words("authentic", None, 0.12) == "not flagged, score 0.12"
    assert verdict_words("manipulated") == FLAGGED and verdict_words("authentic") == NOT_FLAGGED
    # the triage table's and the reports' summary cells
    assert Cell("m", "ran", 0.4, "authentic", probability=0.43).text == "not flagged, p 0.43"
    cell = Cell("m", "ran", 0.9, "manipulated", probability=0.74, out_of_range=True)
    assert cell.text == "flagged as manipulated (outside the measured range), p 0.74"
    # the robustness probe's table (its dialog, the command line, the reports)
    row = {"derivation": "jpeg-70", "model": "m", "verdict": "authentic", "verdict_changed": True,
           "original_verdict": "manipulated", "score": 0.3, "probability": None, "iou": None}  # fmt: skip
    assert row_cells(row)[2] == "not flagged (was flagged as manipulated)"
    # the disagreement column says what is measured, not who is "sure"
    assert "sure" not in DISAGREEMENT_NOTE and "opposite sides of their θ" in DISAGREEMENT_NOTE


def test_the_command_lines_table_says_flagged_or_not_flagged(capsys) -> None:
    checks = [
        ("crfd", {"name": "crfd", "verdict": "authentic", "score": 0.4, "probability": 0.43,
                  "forged_fraction": 0.01, "threshold": 0.34, "rule": "forged_fraction"}),
    ]  # fmt: skip
    print_table([{"path": "a.jpg", "status": "ok", "checks": checks}])
    line = capsys.readouterr().out.splitlines()[0]
    # "authentic" only in what the probability assumes, never as the verdict
    assert "\tnot flagged" in line and PRIOR_CAVEAT in line
    assert "authentic" not in line.replace(PRIOR_CAVEAT, "")
    assert "2 flagged as manipulated, 1 not flagged" in table_summary(
        3, {"manipulated": 2, "authentic": 1}, 0
    )


def test_the_reports_say_the_caveat_beside_the_headline_and_flagged_words(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = make_evidence(tmp_path / "evidence")
    out = tmp_path / "out"
    scan_cli(folder, out, tiny_checkpoint, "--report", "html,pdf,json")
    capsys.readouterr()
    first = flat(PdfReader(str(out / "report.pdf")).pages[0].extract_text())
    assert LEAD_WORDS in first and "Measured rates:" in first  # on page 1, by the headline
    html = (out / "report.html").read_text(encoding="utf-8")
    summary = html.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert LEAD_WORDS in summary
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["caveat"].startswith(LEAD_WORDS)
    # the tiny model's θ is on its marked area: its score f / (f + θ) passes 0.5 there, so
    # "the score is above its θ" was untrue of it (a researcher's walk-through, 2026-12-06)
    assert "score (a marked-area model's marked area) is above its threshold (θ)" in doc["caveat"]
    # the text says flagged / not flagged; the stored values stay as they were
    stored = {m["verdict"] for row in doc["summary"] for m in row["models"].values()}
    stored |= {v for row in doc["summary"] for v in row["verdicts"].values()}
    assert stored - {None} and stored - {None} <= {"manipulated", "authentic"}  # None: failed
    said = flat(summary)
    assert ("not flagged" in said or FLAGGED in said) and "authentic p=" not in said
    text = flat(" ".join(p.extract_text() for p in PdfReader(str(out / "report.pdf")).pages))
    assert "'authentic' verdict" not in text and "A 'not flagged' verdict says only" in text
    assert "Verdict not flagged" in text or f"Verdict {FLAGGED}" in text


def test_a_probability_on_thetas_scale_is_never_shown_as_theta_on_either_side() -> None:
    """The stacked default verdict's p is its score, on θ's scale: at two decimals a score
    just under θ 0.5986 and one just over both read "p 0.60" (defence walk-through, 2026-12-06);
    they get the decimals that tell them from θ, as the Decision row's do."""
    theta = 0.5985638695345132
    below = Cell("e", "ran", 0.5981, "authentic", 0.0, theta, probability=0.5981)
    above = Cell("e", "ran", 0.6040, "manipulated", 0.0, theta, probability=0.6040)
    assert below.text == f"{NOT_FLAGGED}, p 0.598"
    assert above.text == f"{FLAGGED}, p 0.604"
    # a member's p is not on θ's scale (θ is on its score): two decimals, as before
    member = Cell("m", "ran", 0.7, "authentic", 0.0, 0.5986, probability=0.5981)
    assert member.text == f"{NOT_FLAGGED}, p 0.60"
    assert verdict_words("authentic", 0.31, threshold=0.5986) == f"{NOT_FLAGGED}, p 0.31"


def test_a_score_a_few_millionths_above_theta_prints_above_it() -> None:
    """Up to 8 decimals, as many as make a score and its θ print differently: at 6, a face
    verdict read "score 0.982901 > θ 0.982901", a contradiction on its face."""
    fs = {"score": 0.98290074, "threshold": 0.98290071, "verdict": "manipulated"}
    assert face_decision_words(fs) == "score 0.98290074 > θ 0.98290071"
    assert separating_decimals(0.12345671, 0.12345674, 4) == 8
    assert separating_decimals(0.123456781, 0.123456782, 4) == 8  # no further than 8
    assert separating_decimals(0.5, 0.5, 4) == 4
