"""The command line's closing table on faces (walk-through 2026-12-05, face swaps): a face
outside the measured range that decided the default verdict marks it, the face model's rates
are given once, a face cut by the border says so, face models come first, a verdict at the
threshold's edge does not read as a contradiction, and detection that found no face says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.ensemble_provenance import FACE_RULE_CAVEAT
from forensic_viewer.cli import main
from forensic_viewer.cli_table import print_table
from forensic_viewer.wording import (
    BORDER_CUT,
    NOT_USED,
    OUT_OF_RANGE,
    PRIOR_CAVEAT,
    UNCALIBRATED_HERE,
    decision_words,
    face_decision_words,
    range_words,
)
from tests.conftest import write_rgb

FACE_MODEL_RATES = (
    "at this threshold (test part of the project's face crops): 3 % of authentic FASSEG faces "
    "(1 of 36) are flagged"
)


def _face_decided(out_of_range: dict[str, Any] | None) -> dict[str, Any]:
    """A default verdict the face rule decided (walk-through: hand__tiny_swap_in_scene.png)."""
    return {
        "name": "ens",
        "rule": "ensemble",
        "verdict": "manipulated",
        "score": 0.735,
        "forged_fraction": 0.0005,
        "threshold": 0.5986,
        "probability": 0.75,
        "out_of_range": out_of_range,
        "face_rule_applied": True,
        "reliability": "10 % of authentic camera photographs (3 of 30) are flagged"
        + FACE_RULE_CAVEAT,
    }


def _face(box: list[int]) -> dict[str, Any]:
    scores = {
        "crfd": {"score": 0.06, "verdict": "authentic", "threshold": 0.34, "rule": "logit"},
        "faces-model": {
            "score": 0.982907,
            "verdict": "manipulated",
            "threshold": 0.982867,
            "rule": "logit",
            "probability": 0.75,
        },
    }
    return {"box": box, "face_scores": scores}


def _table(capsys, rec: dict[str, Any], rates: dict[str, str] | None = None) -> list[str]:
    print_table([rec], rates)
    return capsys.readouterr().out.splitlines()


def test_a_verdict_the_face_rule_decided_on_a_tiny_face_is_marked_on_the_default_line(
    capsys,
) -> None:
    tiny = {"faces": [{"face": 1, "short_side": 22, "min_side": 48}]}
    rec = {
        "path": "tiny.png",
        "status": "ok",
        "checks": [("default verdict: ens (ensemble)", _face_decided(tiny))],
        "faces": [_face([607, 414, 22, 28])],
        "width": 1200,
        "height": 900,
    }
    lines = _table(capsys, rec)
    assert f"flagged as manipulated ({OUT_OF_RANGE})" in lines[0]
    assert f"p 0.75 ({UNCALIBRATED_HERE})" in lines[0] and "(calibrated)" not in lines[0]
    assert "face rule decided it on face 1 (22 px, below the 48 px measured)" in lines[0]
    face = next(x for x in lines if "\tface 1 " in x)
    assert "a face of 22 px" in face  # the face's own line, as the report's
    # in range: as before, calibrated and unmarked
    rec["checks"] = [("default verdict: ens (ensemble)", _face_decided(None))]
    rec["faces"] = [_face([607, 414, 60, 70])]
    lines = _table(capsys, rec)
    assert OUT_OF_RANGE not in lines[0] and f"p 0.75 (calibrated; {PRIOR_CAVEAT})" in lines[0]


def test_range_words_say_why_faces_and_small_images_are_out_of_range() -> None:
    both = {
        "short_side": 150,
        "min_side": 192,
        "members": ["crfd"],
        "faces": [{"face": 2, "cut_by_border": True}],
    }
    words = range_words(both) or ""
    assert "the image's short side is 150 px" in words
    assert "face 2 (cut by the image border)" in words
    assert words.endswith("so the reliability sentence does not describe this verdict")


def test_a_face_cut_by_the_border_says_so_on_its_line(capsys) -> None:
    rec = {
        "path": "q.png",
        "status": "ok",
        "checks": [],
        "faces": [_face([0, 100, 60, 70]), _face([200, 100, 60, 70])],
        "width": 400,
        "height": 300,
    }
    lines = [x for x in _table(capsys, rec) if "\tface " in x]
    assert BORDER_CUT in lines[0] and OUT_OF_RANGE in lines[0]
    assert BORDER_CUT not in lines[1] and OUT_OF_RANGE not in lines[1]


def test_the_face_models_verdict_comes_first_on_a_face_line(capsys) -> None:
    crfd = {"name": "crfd", "verdict": "authentic", "score": 0.3, "forged_fraction": 0.1}
    rec = {
        "path": "f.png",
        "status": "ok",
        "checks": [("crfd", crfd)],  # the whole-image model
        "faces": [_face([10, 10, 60, 60])],
    }
    (line,) = [x for x in _table(capsys, rec) if "\tface 1 " in x]
    # a whole-image model's result on a face: figures, not a verdict (its θ was set on images)
    assert line.index("faces-model flagged as manipulated") < line.index(f"crfd ({NOT_USED}): ")


def test_a_verdict_at_the_thresholds_edge_prints_the_digits_that_separate_it() -> None:
    fs = {"score": 0.982907, "verdict": "manipulated", "threshold": 0.982867, "rule": "logit"}
    assert face_decision_words(fs) == "score 0.98291 > θ 0.98287"
    fs = {"score": 0.4678, "verdict": "authentic", "threshold": 0.982867, "rule": "logit"}
    assert face_decision_words(fs) == "score 0.4678 ≤ θ 0.9829"  # apart: the usual four
    d = {"rule": "ensemble", "verdict": "manipulated", "score": 0.59862, "threshold": 0.59856}
    assert decision_words(d) == "score 0.59862 > θ 0.59856"
    d = {"rule": "ensemble", "verdict": "authentic", "score": 0.11, "threshold": 0.5986}
    assert decision_words(d) == "score 0.110 ≤ θ 0.5986"
    d = {"rule": "forged_fraction", "verdict": "authentic", "forged_fraction": 0.342299}
    d["threshold"] = 0.342301
    assert decision_words(d) == "marked area 34.2299% ≤ θ 34.2301%"


def test_the_face_models_rates_are_given_once_under_the_face_rules_caveat(capsys) -> None:
    rec = {
        "path": "a.png",
        "status": "ok",
        "checks": [("default verdict: ens (ensemble)", _face_decided(None))],
    }
    lines = _table(capsys, {**rec}, {"faces-model": FACE_MODEL_RATES})
    rates = [x for x in lines if FACE_MODEL_RATES in x]
    assert len(rates) == 1 and rates[0].startswith("face model faces-model")
    assert lines.index(rates[0]) > next(
        i for i, x in enumerate(lines) if x.startswith("default verdict ens:")
    )
    # no caveat printed (no face rule): no face model line either
    plain = _face_decided(None) | {"reliability": "10 % of authentic photographs are flagged"}
    rec["checks"] = [("default verdict: ens (ensemble)", plain)]
    assert not any(FACE_MODEL_RATES in x for x in _table(capsys, rec, {"f": FACE_MODEL_RATES}))


def test_a_scan_whose_detection_found_no_face_says_so(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """Face detection ran and found nothing: "faces  none found", where --no-faces prints
    nothing (the two used to read alike)."""
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "a.png", 70, 90, seed=1)
    base = ["scan", str(d), "--model", str(tiny_checkpoint)]
    assert main([*base, "--out", str(tmp_path / "on")]) == 0
    assert "a.png\tfaces\tnone found" in capsys.readouterr().out.splitlines()
    assert main([*base, "--out", str(tmp_path / "off"), "--no-faces"]) == 0
    assert "none found" not in capsys.readouterr().out


def test_the_report_and_viewer_words_say_it_too() -> None:
    """The report's probability cell and the viewer's card title ("probability 0.75
    (calibrated)" on the walk-through's tiny face) drop "calibrated" for a verdict the face
    rule decided out of range; the report's face line says a border cut."""
    from forensic_viewer.report.face_text import face_verdicts
    from forensic_viewer.report.text import probability_cell
    from forensic_viewer.wording import confidence_words

    off = {"faces": [{"face": 1, "short_side": 22, "min_side": 48}]}
    f = {"probability": 0.75, "verdict": "manipulated", "out_of_range": off}
    assert probability_cell(f) == f"0.75 ({UNCALIBRATED_HERE})"
    assert confidence_words(0.75, 0.735, off) == f"probability 0.75 ({UNCALIBRATED_HERE})"
    # a small image's curve is unmeasured too: below 192 px the default verdict ranks at chance
    small = {"short_side": 150, "min_side": 192}
    assert confidence_words(0.75, 0.735, small) == f"probability 0.75 ({UNCALIBRATED_HERE})"
    assert probability_cell({**f, "out_of_range": small}) == f"0.75 ({UNCALIBRATED_HERE})"
    assert confidence_words(0.75, 0.735, None) == f"probability 0.75 (calibrated; {PRIOR_CAVEAT})"
    assert confidence_words(0.75, 0.735, None, caveat=False) == "probability 0.75 (calibrated)"
    assert BORDER_CUT in face_verdicts(_face([0, 100, 60, 70]), {"crfd"}, (400, 300))
    assert BORDER_CUT not in face_verdicts(_face([0, 100, 60, 70]), {"crfd"})


def test_what_the_reliability_says_of_one_files_faces_is_on_that_files_line(capsys) -> None:
    """The closing reliability line is said once for every file, from the first: the number of
    faces one file had (walk-through 2026-12-06, finding 2) goes on that file's own line."""
    own = "on this file, 17 faces judged by faces-model: at its per-face rate ..."
    many = _face_decided(None)
    many["reliability"] += f"; {own}"
    recs = [
        {"path": p, "status": "ok", "checks": [("default verdict: ens (ensemble)", d)]}
        for p, d in (("group.jpg", many), ("b.png", _face_decided(None)))
    ]
    print_table(recs)
    lines = capsys.readouterr().out.splitlines()
    assert f"group.jpg\tdefault verdict: ens (ensemble)\t{own}" in lines
    assert not any(own in x for x in lines if not x.startswith("group.jpg"))
    closing = [x for x in lines if x.startswith("default verdict ens:")]
    assert closing == [f"default verdict ens: {_face_decided(None)['reliability']}"]
