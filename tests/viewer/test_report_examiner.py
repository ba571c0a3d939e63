"""Reports as an examiner reads and prints them: a MakerNote summarised instead of dumped as
hex (as recorded at load, rows of earlier versions included), print styles for the HTML and
its folded Metadata printed open, and the classic analyses that ran recorded with how they came
to run (the ensemble's own included).

The checkpoint has random weights: nothing here depends on what a model finds.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from PIL import ExifTags, Image

from engine.analyses import run_analyses
from engine.io import METADATA_VALUE_CAP, load_evidence
from engine.types import Analysis
from forensic_viewer.cli import main
from forensic_viewer.report import ReportSource, item_from_analysis, scan_source, write_report
from forensic_viewer.report.metadata import hex_may_be_bytes, metadata_values
from tests.engine.analyses.conftest import jpeg_bytes, natural
from tests.viewer.test_records import SCHEMA
from tests.viewer.test_report import check_html, flat, pdf_text

MAKER_NOTE = bytes(range(256)) * 12  # 3,072 bytes of proprietary binary
PRINT_MATCHING = bytes(range(200))  # another long binary tag (PrintImageMatching)
HEX_RUN = re.compile(r"[0-9a-f]{129,}")  # more than 64 bytes written out as hex
# both as engine.io records them at load: the whole value's size and SHA-256
MAKER_TEXT = (
    "3,072 bytes of Canon binary data (not decoded), SHA-256 "
    + hashlib.sha256(MAKER_NOTE).hexdigest()
)
PRINT_TEXT = (
    f"200 bytes of binary data (not decoded), SHA-256 {hashlib.sha256(PRINT_MATCHING).hexdigest()}"
)


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
    for text in (flat(" ".join(check_html(camera_report["html"]).text)), flat(pdf)):
        assert MAKER_TEXT in text and PRINT_TEXT in text
        assert "0x01020300" in text  # a short binary value is still shown as it is
        assert not HEX_RUN.search(text.replace(" ", ""))
    assert not HEX_RUN.search(html)


@pytest.fixture
def camera_scan(tmp_path: Path, tiny_checkpoint: Path) -> Path:
    """A scan of the camera JPEG (one model, no faces); its output folder."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    camera_jpeg(evidence / "camera.jpg")
    out = tmp_path / "out"
    args = ["scan", str(evidence), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--no-faces"]) == 0
    return out


def test_a_row_records_a_maker_note_that_a_report_shows_without_the_file(
    camera_scan: Path, tmp_path: Path
) -> None:
    """The row holds the MakerNote's size and SHA-256 (the schema's strings); the report shows
    them from the row though the evidence file has changed since (it is never read for them:
    a report used to read it again and, its hash changed, said only "at least 499 bytes")."""
    [line] = (camera_scan / "results.jsonl").read_text("utf-8").splitlines()
    row = json.loads(line)
    meta = row["evidence"]["metadata"]
    assert meta["EXIF:MakerNote"] == MAKER_TEXT and meta["EXIF:PrintImageMatching"] == PRINT_TEXT
    validator = Draft202012Validator(json.loads(SCHEMA.read_text("utf-8")))
    assert [e.message for e in validator.iter_errors(row)] == []
    Image.new("RGB", (8, 8)).save(row["evidence"]["path"], format="JPEG")  # no EXIF now
    paths = write_report(scan_source(camera_scan), tmp_path / "report", ("html",))
    text = flat(" ".join(check_html(paths["html"]).text))
    assert "WARNING: evidence integrity check failed" in text
    assert MAKER_TEXT in text and PRINT_TEXT in text


def test_a_report_of_a_row_written_before_summarises_its_hex(
    camera_scan: Path, tmp_path: Path
) -> None:
    """Rows written before binary values were summarised at load hold them as hex cut at
    1,000 characters: a whole one is summarised as the loader does now, a cut one says what
    is known, and neither is read again from the evidence file."""

    results = camera_scan / "results.jsonl"
    row = json.loads(results.read_text("utf-8"))
    assert row["evidence"].pop("metadata_format") == 2  # as those rows are: not recorded
    meta = row["evidence"]["metadata"]
    meta["EXIF:MakerNote"] = ("0x" + MAKER_NOTE.hex())[:METADATA_VALUE_CAP]
    meta["EXIF:PrintImageMatching"] = "0x" + PRINT_MATCHING.hex()
    results.write_text(json.dumps(row) + "\n", "utf-8")
    paths = write_report(scan_source(camera_scan), tmp_path / "report", ("html",))
    text = flat(" ".join(check_html(paths["html"]).text))
    assert PRINT_TEXT in text and "0x01020300" in text
    assert (
        "at least 499 bytes of Canon binary data (not decoded; cut off when recorded by an "
        "earlier version: size and SHA-256 unknown)"
    ) in text
    assert not HEX_RUN.search(paths["html"].read_text("utf-8"))
    meta = {"EXIF:Make": "Canon", "EXIF:MakerNote": MAKER_TEXT, "EXIF:Note": "0x" + "ab" * 64}
    assert metadata_values(meta, True) == list(meta.items())  # as recorded: text, 64 bytes


HEX_TEXT = "0x" + "ab" * 90  # text that reads as 90 bytes of hex (an XMP value is cut at 200)


def test_text_written_as_hex_is_shown_as_text(tmp_path: Path) -> None:
    """Any value reading ``0x`` and more than 64 bytes of hex was summarised as "binary data"
    in the panel and every report: a Software tag or an XMP CreatorTool written so was hidden
    from the analyst. The loader records no longer binary value as hex (its size and
    SHA-256), so such a value is text and shown as text; only a row written before it
    recorded ``metadata_format`` may hold bytes so, and is summarised as before."""
    from forensic_viewer.scan.records import EvidenceFacts

    exif = Image.Exif()
    exif[0x0131] = HEX_TEXT  # Software
    path = tmp_path / "edited.jpg"
    xmp = f'<x:xmpmeta><rdf:Description xmp:CreatorTool="{HEX_TEXT}"/></x:xmpmeta>'
    Image.fromarray(natural(48, 64, seed=2)).save(path, exif=exif, xmp=xmp.encode())
    ev = load_evidence(path)
    assert ev.metadata["EXIF:Software"] == ev.metadata["XMP xmp:CreatorTool"] == HEX_TEXT
    shown = dict(metadata_values(ev.metadata))  # the panel's
    assert shown["EXIF:Software"] == shown["XMP xmp:CreatorTool"] == HEX_TEXT
    paths = write_report([item_from_analysis(Analysis(ev, {}))], tmp_path / "report", ("html",))
    assert flat(" ".join(check_html(paths["html"]).text)).count(HEX_TEXT) == 2
    row = EvidenceFacts.from_evidence(ev).to_json()  # as a scan row records it
    assert row["metadata_format"] == 2 and not hex_may_be_bytes(row)
    del row["metadata_format"]  # a row written before
    assert hex_may_be_bytes(row)
    assert dict(metadata_values(row["metadata"], True))["EXIF:Software"].startswith(
        "90 bytes of binary data (not decoded)"
    )


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


def test_the_folded_metadata_prints_open(camera_report: dict[str, Path]) -> None:
    """On screen the Metadata section is folded under its summary; printed, it is open. No
    script does it (the CSP forbids one): the table follows a details holding only the
    summary, hidden by CSS while that is closed except in print."""
    html = camera_report["html"].read_text("utf-8")
    fold = re.search(
        r'<details class="fold"><summary>Metadata \((\d+) fields, untrusted text from the '
        r'file\)</summary></details><table class="kv folded">(.*?)</table>',
        html,
    )
    assert fold is not None
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>', fold[2])
    assert len(rows) == int(fold[1]) and "EXIF:MakerNote" in rows and "EXIF:Make" in rows
    assert MAKER_TEXT in fold[2]
    screen = html[html.index("<style>") : html.index("@media print")]
    hide = "details.fold:not([open]) + .folded { display: none; }"
    assert hide in " ".join(screen.split())
    # the same selector (so as specific), later in the sheet: printed, the table shows
    assert "details.fold:not([open]) + .folded { display: table; }" in _print_rules(html)
    assert "<script" not in html.lower()


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
