"""Reports as an examiner reads and prints them: a MakerNote summarised instead of dumped as
hex, print styles for the HTML, and the classic analyses that ran recorded with how they came
to run (the ensemble's own included).

The checkpoint has random weights: nothing here depends on what a model finds.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from engine.analyses import run_analyses
from engine.io import load_evidence
from engine.types import Analysis
from forensic_viewer.cli import main
from forensic_viewer.report import ReportSource, item_from_analysis, scan_source, write_report
from forensic_viewer.report.metadata import metadata_values
from tests.engine.analyses.conftest import jpeg_bytes, natural
from tests.viewer.test_report import check_html, flat, pdf_text

MAKER_NOTE = bytes(range(256)) * 12  # 3,072 bytes of proprietary binary
PRINT_MATCHING = bytes(range(200))  # another long binary tag (PrintImageMatching)
HEX_RUN = re.compile(r"[0-9a-f]{129,}")  # more than 64 bytes written out as hex


def camera_jpeg(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0xC4A5] = PRINT_MATCHING
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[0x927C] = MAKER_NOTE
    sub[0x9101] = b"\x01\x02\x03\x00"  # ComponentsConfiguration: short, printed as it is
    Image.fromarray(natural(48, 64, seed=2)).save(path, exif=exif, quality=90)
    return path


@pytest.fixture
def camera_report(tmp_path: Path) -> dict[str, Path]:
    """The viewer's report of a camera JPEG, the metadata analysis asked for in the panel."""
    ev = load_evidence(camera_jpeg(tmp_path / "camera.jpg"))
    analysis = Analysis(ev, {}, analyses=run_analyses(["metadata"], ev))
    return write_report(
        [item_from_analysis(analysis)], tmp_path / "report", ("html", "pdf", "json")
    )


def test_a_maker_note_is_its_size_sha_and_maker_never_hex(camera_report: dict[str, Path]) -> None:
    html = camera_report["html"].read_text("utf-8")
    _, pdf = pdf_text(camera_report["pdf"])
    digest = hashlib.sha256(MAKER_NOTE).hexdigest()[:16]
    # the recorded hex was cut at 1,000 characters: size and SHA-256 are the file's whole value
    want = f"3,072 bytes of Canon binary data (not decoded), SHA-256 {digest}"
    other = f"200 bytes of binary data (not decoded), SHA-256 {hashlib.sha256(PRINT_MATCHING).hexdigest()[:16]}"
    for text in (flat(" ".join(check_html(camera_report["html"]).text)), flat(pdf)):
        assert want in text and other in text
        assert "0x01020300" in text  # a short binary value is still shown as it is
        assert not HEX_RUN.search(text.replace(" ", ""))
    assert not HEX_RUN.search(html)


def test_a_cut_off_maker_note_of_a_changed_file_says_only_what_is_known(tmp_path: Path) -> None:
    path = camera_jpeg(tmp_path / "camera.jpg")
    ev = load_evidence(path)
    rows = dict(metadata_values(ev.metadata, str(path), "0" * 64, readable=True))
    assert rows["EXIF:MakerNote"] == (
        "at least 499 bytes of Canon binary data (not decoded; cut off when recorded: size and "
        "SHA-256 unknown)"
    )  # the bytes on disk no longer hash to the recorded SHA-256: not read for the value
    rows = dict(metadata_values(ev.metadata, None, None, readable=False))
    assert rows["EXIF:PrintImageMatching"].startswith("200 bytes of binary data")  # not cut off
    assert rows["EXIF:Make"] == "Canon"


def _print_rules(html: str) -> str:
    """The body of the HTML's ``@media print`` block."""
    start = html.index("@media print")
    depth, i = 0, html.index("{", start)
    for j in range(i, len(html)):
        depth += {"{": 1, "}": -1}.get(html[j], 0)
        if depth == 0:
            return " ".join(html[i + 1 : j].split())
    raise AssertionError("unclosed @media print block")


def test_the_html_report_prints_cleanly(camera_report: dict[str, Path]) -> None:
    html = camera_report["html"].read_text("utf-8")
    assert "@media print" in html
    rules = _print_rules(html)
    assert re.search(r"body \{[^}]*background: #fff", rules)  # nothing dark forced on paper
    assert re.search(r"h1, h2, h3, h4[^{]*\{[^}]*break-after: avoid", rules)
    assert re.search(r"\.figure[^{]*\{[^}]*break-inside: avoid", rules)
    assert re.search(r"thead \{[^}]*display: table-header-group", rules)
    assert re.search(r"(^|[ }])a \{[^}]*text-decoration: none", rules)
    # header rows repeat only from a <thead>: no table starts with a bare header row
    assert "<table><tr><th" not in html and "<thead><tr><th>Level</th>" in html


@pytest.fixture
def ensemble_scan(tmp_path: Path, tiny_checkpoint: Path) -> Path:
    """A scan whose default ensemble runs the copy-move analysis for its own verdict, with
    ELA asked for besides (``--analyses ela``)."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "small.jpg").write_bytes(jpeg_bytes(natural(64, 80, seed=4), 90))
    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny.safetensors").write_bytes(tiny_checkpoint.read_bytes())
    ensemble = models / "own.ensemble.json"
    members = {"members": [{"model": "tiny.safetensors"}]}
    ensemble.write_text(json.dumps({**members, "localization_analyses": {"clone": "replace"}}))
    out = tmp_path / "out"
    args = ["scan", str(evidence), "--out", str(out), "--model", str(ensemble), "--no-faces"]
    assert main([*args, "--analyses", "ela"]) == 0
    return out


def test_report_settings_record_each_analysis_that_ran_and_how(
    ensemble_scan: Path, tmp_path: Path
) -> None:
    paths = write_report(scan_source(ensemble_scan), tmp_path / "report", ("html", "json"))
    settings = json.loads(paths["json"].read_text("utf-8"))["settings"]
    ran = settings["analyses"]
    assert ran["clone"]["how"] == ["as part of the default verdict (ensemble own)"]
    assert ran["ela"]["how"] == ["asked for"]
    assert ran["clone"]["files"] == ran["ela"]["files"] == 1
    assert ran["clone"]["version"] and "params" in ran["clone"]
    text = flat(" ".join(check_html(paths["html"]).text))
    assert "How it ran as part of the default verdict (ensemble own)" in text


def test_a_viewer_reports_settings_name_the_analyses_asked_for(
    camera_report: dict[str, Path],
) -> None:
    settings = json.loads(camera_report["json"].read_text("utf-8"))["settings"]
    assert settings["analyses"]["metadata"]["how"] == ["asked for"]


def test_an_analysis_asked_for_that_ran_on_no_file_stays_in_the_settings(tmp_path: Path) -> None:
    ev = load_evidence(camera_jpeg(tmp_path / "camera.jpg"))
    asked = {"noise": {"version": "1", "params": {}}}
    source = ReportSource.from_items(
        [item_from_analysis(Analysis(ev, {}))], settings={"analyses": asked}
    )
    paths = write_report(source, tmp_path / "report", ("json",))
    settings = json.loads(paths["json"].read_text("utf-8"))["settings"]
    assert settings["analyses"] == {"noise": {**asked["noise"], "how": ["asked for"], "files": 0}}
