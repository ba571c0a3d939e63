"""The results format: a real scan's rows against the published JSON Schema, the typed
writer and reader round trip, and rows of earlier versions that still read, resume, triage
and report.

The checkpoints have random weights: these tests check the format, never that a finding is
right.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from engine.errors import ForensicError
from engine.io import load_evidence
from engine.types import Evidence, FaceScore, ModelResult
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.maps import map_name, save_heatmap_png
from forensic_viewer.scan.records import (
    ErrorRecord,
    EvidenceFacts,
    FaceRecord,
    FileRecord,
    ModelFigures,
    NonFiniteResult,
    RecordError,
    as_record,
    check_finite,
    parse_line,
    record_from_json,
    record_line,
    record_to_json,
)
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import ResultIndex, read_records
from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.triage import NOT_RUN, RAN, triage_row, triage_rows
from forensic_viewer.scan.walk import iter_images, rel_key
from tests.conftest import make_tiny_checkpoint, write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _checkpoint(path: Path, name: str, seed: int) -> Path:
    return make_tiny_checkpoint(path, name, seed)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real scan: two models, an ensemble of them, face detection, a photograph with a face,
    a plain image, a damaged PNG and a text file named like an image. Returns the output."""
    from engine.ensemble import Ensemble, Member
    from engine.faces import FaceDetector
    from engine.pipeline import Analyzer

    skdata = pytest.importorskip("skimage.data")
    root = tmp_path_factory.mktemp("records")
    ev = root / "evidence"
    (ev / "sub").mkdir(parents=True)
    Image.fromarray(skdata.astronaut()).resize((256, 256)).save(ev / "face.jpg", quality=92)
    write_rgb(ev / "sub" / "plain.png", 40, 50, seed=3)
    (ev / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    (ev / "notes.png").write_text("not an image")
    analyzer = Analyzer(
        [str(_checkpoint(root / "a.safetensors", "tiny", 0)),
         str(_checkpoint(root / "b.safetensors", "tiny2", 1))],
        device="cpu",
        ensemble=Ensemble("pair", [Member("tiny"), Member("tiny2")]),
        faces=FaceDetector(),
    )  # fmt: skip
    out = root / "out"
    files = [(p, rel_key(p, ev)) for p in iter_images(ev, True)]
    summary = run_scan(files, analyzer, out, source=str(ev))
    assert (summary.done, len(summary.failed)) == (2, 2)
    return out


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]


def test_every_row_of_a_real_scan_matches_the_schema(
    scanned: Path, validator: Draft202012Validator
) -> None:
    rows = {r["path"]: r for r in _rows(scanned)}
    assert set(rows) == {"face.jpg", "sub/plain.png", "broken.png", "notes.png"}
    face = rows["face.jpg"]  # the scan covered what the schema describes
    assert face["faces_checked"] is True and face["faces"] and face["ensemble"]["name"] == "pair"
    assert set(face["faces"][0]["face_scores"]) == {"tiny", "tiny2"}  # the face path ran
    for name, fs in face["faces"][0]["face_scores"].items():  # the checkpoint that judged it
        assert fs["checkpoint_sha256"] == face["details"][name]["checkpoint_sha256"]
    broken = rows["broken.png"]
    assert broken["status"] == "error"
    # the bytes were read though not decoded: their SHA-256 is recorded
    assert broken["sha256"] == _sha256(scanned.parent / "evidence" / "broken.png")
    for row in rows.values():
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(row)]
        assert errors == [], row["path"]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda r: r["models"]["tiny"].update(score="0.5"),  # a number as text
        lambda r: r.pop("sha256"),  # a required field
        lambda r: r["models"]["tiny"].pop("heatmap"),  # a required field, nested
        lambda r: r.update(status="done"),
        lambda r: r.update(error="oops"),  # an analysed file has no error
        lambda r: r["faces"][0].update(box=[1, 2, 3]),
        lambda r: r.pop("ensemble_details"),  # the ensemble comes with its figures
        lambda r: r["details"]["tiny"].update(verdict="maybe"),
        lambda r: r.update(scores={}),  # a field the format does not have
        lambda r: r["face_maps"].update(tiny="maps/face.jpg.tiny.png"),  # not a face map's name
    ],
)
def test_the_schema_rejects_a_row_that_breaks_the_format(
    scanned: Path, validator: Draft202012Validator, break_it: Any
) -> None:
    row = next(r for r in _rows(scanned) if r["path"] == "face.jpg")
    assert validator.is_valid(row)
    broken = copy.deepcopy(row)
    break_it(broken)
    assert not validator.is_valid(broken)


def test_the_schema_takes_an_ensembles_mask_figure_and_rejects_a_half_one(
    scanned: Path, validator: Draft202012Validator
) -> None:
    """``ensemble_details.mask_on_authentic`` (since 2026-12-06): both figures, as numbers."""
    row = copy.deepcopy(next(r for r in _rows(scanned) if r["path"] == "face.jpg"))
    row["ensemble_details"]["mask_on_authentic"] = {"median": 0.0309, "largest": 0.1106}
    assert validator.is_valid(row)
    row["ensemble_details"]["mask_on_authentic"] = {"median": 0.0309}
    assert not validator.is_valid(row)


def test_the_schema_rejects_an_error_row_that_breaks_the_format(
    scanned: Path, validator: Draft202012Validator
) -> None:
    row = next(r for r in _rows(scanned) if r["path"] == "broken.png")
    assert validator.is_valid(row)
    assert not validator.is_valid({**row, "models": {"tiny": {}}})
    assert not validator.is_valid({k: v for k, v in row.items() if k != "error"})
    assert not validator.is_valid({**row, "sha256": "not a hash"})


def test_writer_reader_writer_gives_the_same_bytes(scanned: Path) -> None:
    lines = (scanned / "results.jsonl").read_bytes().splitlines(keepends=True)
    assert len(lines) == 4
    for line in lines:
        record = parse_line(line)
        assert record is not None
        assert record_line(record) == line
        assert record_to_json(record_from_json(json.loads(line))) == json.loads(line)
    records = read_records(scanned)
    face = records["face.jpg"]
    assert isinstance(face, FileRecord) and isinstance(records["notes.png"], ErrorRecord)
    assert [m.name for m in face.models] == ["tiny", "tiny2"] and face.ensemble is not None
    assert face.ensemble.figures is not None and face.ensemble.figures.rule == "ensemble"
    assert face.evidence is not None and face.evidence.sha256 == face.sha256
    assert face.thumbnail and (scanned / face.thumbnail).is_file()


def test_the_csv_is_made_from_the_records(scanned: Path) -> None:
    rows = {r["path"]: r for r in csv.DictReader(open(scanned / "results.csv", encoding="utf-8"))}
    face = read_records(scanned)["face.jpg"]
    assert isinstance(face, FileRecord) and face.ensemble is not None
    assert rows["face.jpg"]["ensemble.score"] == f"{face.ensemble.score:.6f}"
    assert rows["face.jpg"]["tiny2.heatmap"] == map_name("face.jpg", "tiny2")
    assert rows["face.jpg"]["faces"] == str(len(face.faces))
    # no detector looked at the file that failed: no count, not "0 faces"
    assert rows["broken.png"]["tiny.score"] == "" and rows["broken.png"]["faces"] == ""
    best = max(f.face_scores["tiny2"].score for f in face.faces)
    assert rows["face.jpg"]["faces.tiny2.score_max"] == f"{best:.6f}"
    assert rows["sub/plain.png"]["faces.tiny.score_max"] == ""  # no face: no face score
    faces = ["faces", "faces.tiny.score_max", "faces.tiny2.score_max"]
    header = list(rows["face.jpg"])
    at = header.index("fs_times.modified")  # then the file-system times, the warnings, ...
    assert header[at - 3 : at] == faces
    # ... and what each verdict compared with θ: the tiny models' forged fraction, the
    # ensemble's score
    assert rows["face.jpg"]["tiny.rule"] == "forged_fraction"
    assert rows["face.jpg"]["tiny.decision_value"] == rows["face.jpg"]["tiny.forged_fraction"]
    assert rows["face.jpg"]["ensemble.decision_value"] == rows["face.jpg"]["ensemble.score"]


def test_face_maps_are_written_read_back_and_shown_again(scanned: Path) -> None:
    """Issue 20's face path in scans: each model's face map is saved beside its heatmap, named in
    the row, 0 outside the faces' crops, and rebuilt when the row is shown again."""
    from engine.io import load_evidence
    from forensic_viewer.scan.maps import face_map_name, read_heatmap_png
    from forensic_viewer.scan.replay import analysis_from_record

    records = read_records(scanned)
    face, plain = records["face.jpg"], records["sub/plain.png"]
    assert isinstance(face, FileRecord) and isinstance(plain, FileRecord)
    assert dict(face.face_maps) == {m: face_map_name("face.jpg", m) for m in ("tiny", "tiny2")}
    plain_row = next(r for r in _rows(scanned) if r["path"] == "sub/plain.png")
    assert dict(plain.face_maps) == {} and "face_maps" not in plain_row
    size = (face.height, face.width)
    inside = np.zeros(size, bool)
    for f in face.faces:  # the crops are the boxes grown by a margin: the boxes are inside
        x, y, w, h = f.box
        inside[y : y + h, x : x + w] = True
    for file in face.face_maps.values():
        heat = read_heatmap_png(scanned / file, size)
        assert heat[inside].max() > 0  # the face crop was analysed and pasted back
        assert heat[0, 0] == 0.0 and heat[-1, -1] == 0.0  # the image's corners are no face
    evidence = load_evidence(scanned.parent / "evidence" / "face.jpg")
    again = analysis_from_record(face, scanned, evidence)
    assert set(again.face_maps) == {"tiny", "tiny2"}
    assert again.faces_checked is True  # the Verdict panel then says "none found" of a row
    stored = read_heatmap_png(scanned / face.face_maps["tiny"], size)
    assert np.array_equal(again.face_maps["tiny"], stored)


FACE_SCORES = {
    "stub": {"score": 0.625, "verdict": "manipulated", "probability": 0.8},
    "other": {"score": 0.25, "verdict": "authentic"},  # no calibration: no probability
}


@pytest.mark.parametrize("with_scores", [False, True])
def test_face_records_round_trip_with_and_without_face_scores(
    tmp_path: Path, with_scores: bool, validator: Draft202012Validator
) -> None:
    file = write_rgb(tmp_path / "a.png", 24, 32)
    row = previous_row(file)
    if with_scores:
        row["faces"][0]["face_scores"] = copy.deepcopy(FACE_SCORES)
    line = (json.dumps(row, allow_nan=False) + "\n").encode("utf-8")
    record = parse_line(line)
    assert isinstance(record, FileRecord)
    assert record_line(record) == line  # byte for byte, old rows and new
    assert validator.is_valid(row)
    (face,) = record.faces
    region = face.to_region()
    if with_scores:
        assert face.face_scores["stub"] == FaceScore(0.625, "manipulated", 0.8)
        assert face.face_scores["other"] == FaceScore(0.25, "authentic", None)
        assert region.to_dict()["face_scores"] == FACE_SCORES
    else:
        assert face.face_scores == {} and "face_scores" not in region.to_dict()
    assert FaceRecord.from_region(region) == face


def test_a_face_score_of_the_wrong_type_is_not_a_record(tmp_path: Path) -> None:
    row = previous_row(write_rgb(tmp_path / "a.png", 24, 32))
    row["faces"][0]["face_scores"] = {"stub": {"score": "high", "verdict": "manipulated"}}
    with pytest.raises(RecordError, match=r"faces\[0\]\.face_scores\.stub"):
        record_from_json(row)


def test_a_non_finite_face_score_names_the_model(tmp_path: Path) -> None:
    record = record_from_json(previous_row(write_rgb(tmp_path / "a.png", 24, 32)))
    assert isinstance(record, FileRecord)
    face = dataclasses.replace(
        record.faces[0], face_scores={"stub": FaceScore(float("nan"), "authentic")}
    )
    with pytest.raises(NonFiniteResult, match="model 'stub'"):
        check_finite(dataclasses.replace(record, faces=(face,)))


def test_figures_and_evidence_facts_are_the_engines_field_for_field(tmp_path: Path) -> None:
    """The row's details and evidence are ModelResult.to_dict() / Evidence.to_dict(): a field
    added in the engine fails here until the format (and its schema) says what to do."""
    ev = load_evidence(write_rgb(tmp_path / "e.png", 8, 8))
    heat = np.zeros((8, 8), np.float32)
    result = ModelResult(
        name="m", architecture="x", checkpoint="c", checkpoint_sha256="0" * 64,
        rule="logit", score=0.25, verdict="authentic", forged_fraction=0.0, threshold=0.5,
        pixel_threshold=0.5, threshold_provenance="p", input_policy={"size": (4, 4)},
        device="cpu", precision="fp32", seconds=0.5, heatmap=heat, mask=heat > 0.5,
        image_logit=-1.1, probability=0.3, reliability="at this threshold: ... are flagged",
        out_of_range={"short_side": 8, "min_side": 192},
        contributions=[{"input": "bias", "label": "bias", "kind": "bias", "value": 1.0,
                        "weight": -0.5, "contribution": -0.5}],
        mask_on_authentic={"median": 0.03, "largest": 0.11}, pixel_threshold_calibrated=True,
        code_versions={"checkpoint": "1", "program": "2"},
    )  # fmt: skip
    figures = ModelFigures.from_result(result).to_json()
    assert list(figures) == list(result.to_dict()) and figures == result.to_dict()
    # an uncalibrated, unstacked model's row on an image in range has none of these fields
    # (rows of earlier versions round-trip)
    result.probability, result.reliability, result.out_of_range = None, "", None
    result.contributions = result.mask_on_authentic = result.pixel_threshold_calibrated = None
    result.code_versions = None
    figures = ModelFigures.from_result(result).to_json()
    optional = {"probability", "reliability", "out_of_range", "contributions", "mask_on_authentic"}
    optional.add("pixel_threshold_calibrated")  # an ensemble's: its file records no choice
    optional.add("code_versions")  # the checkpoint's architecture code is the one that ran
    assert not optional & set(figures)
    facts = EvidenceFacts.from_evidence(ev).to_json()
    assert list(facts) == list(ev.to_dict()) and facts == ev.to_dict()
    again = ModelFigures.from_result(result).to_result(heat)
    assert again.to_dict() == result.to_dict() and again.mask is not None


def test_evidence_is_recorded_by_its_absolute_path_and_where_its_bytes_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file named by a relative path through a symbolic link: the row says the absolute
    path as named (not one relative to where the command ran) and the link's target."""
    (tmp_path / "store").mkdir()
    (tmp_path / "case").mkdir()
    target = write_rgb(tmp_path / "store" / "e.png", 8, 8)
    (tmp_path / "case" / "link.png").symlink_to(target)
    monkeypatch.chdir(tmp_path)
    facts = EvidenceFacts.from_evidence(load_evidence(Path("case/link.png")))
    assert facts.path == str(tmp_path / "case" / "link.png")
    assert facts.real_path == str(target.resolve())
    again = EvidenceFacts.from_json(facts.to_json(), "evidence")
    assert again == facts


def test_a_row_written_before_real_path_was_recorded_round_trips(tmp_path: Path) -> None:
    row = previous_row(write_rgb(tmp_path / "a.png", 24, 32))
    del row["evidence"]["real_path"]
    line = (json.dumps(row, allow_nan=False) + "\n").encode("utf-8")
    record = parse_line(line)
    assert isinstance(record, FileRecord) and record.evidence is not None
    assert record.evidence.real_path is None
    assert record_line(record) == line


# --- rows of earlier versions ---------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def previous_row(file: Path) -> dict[str, Any]:
    """A row exactly as the previous version wrote it (stub model "stub" and ensemble "pair")."""
    sha = _sha256(file)
    figures = {
        "name": "stub", "architecture": "stub", "checkpoint": "", "checkpoint_sha256": "0" * 64,
        "rule": "forged_fraction", "score": 0.9, "verdict": "manipulated",
        "forged_fraction": 1.0, "threshold": 0.1, "pixel_threshold": 0.5,
        "threshold_provenance": "stub", "input_policy": {}, "device": "cpu",
        "precision": "fp32", "seconds": 0.0, "image_logit": None,
    }  # fmt: skip
    return {
        "path": file.name,
        "file": str(file),
        "sha256": sha,
        "status": "ok",
        "error": None,
        "models": {
            "stub": {
                "score": 0.9,
                "verdict": "manipulated",
                "forged_fraction": 1.0,
                "threshold": 0.1,
                "heatmap": f"maps/{file.name}.stub.png",
            },
        },
        "faces": [{"box": [1, 2, 3, 4], "confidence": 0.75, "scores": {"stub": 0.5}}],
        "faces_checked": True,
        "width": 32,
        "height": 24,
        "warnings": [],
        "evidence": {
            "path": str(file),
            "sha256": sha,
            "file_size": file.stat().st_size,
            "format": "PNG",
            "width": 32,
            "height": 24,
            "mode": "RGB",
            "frames": 1,
            "orientation": 1,
            "orientation_applied": False,
            "metadata": {},
            "warnings": [],
            "real_path": str(file.resolve()),
        },
        "details": {"stub": figures},
        "seconds": 0.125,
        "ensemble": {
            "name": "pair",
            "score": 0.3,
            "verdict": "authentic",
            "forged_fraction": 0.25,
            "threshold": 0.5,
            "heatmap": f"maps/{file.name}.pair.png",
        },
        "ensemble_details": {
            **figures,
            "name": "pair",
            "architecture": "ensemble",
            "rule": "ensemble",
            "score": 0.3,
            "verdict": "authentic",
            "forged_fraction": 0.25,
            "threshold": 0.5,
        },
        "thumbnail": f"thumbs/{file.name}.jpg",
    }


def first_version_row(file: Path) -> dict[str, Any]:
    """A row as the first version wrote it: no file, faces_checked, evidence, seconds,
    ensemble_details or thumbnail."""
    row = previous_row(file)
    for k in ("file", "faces_checked", "evidence", "seconds", "ensemble_details", "thumbnail"):
        del row[k]
    return row


@pytest.fixture
def old_folder(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """An evidence folder (a.png, b.png) and an output folder whose results.jsonl holds the
    previous version's row of a.png, with its heatmap files."""
    ev = tmp_path / "ev"
    ev.mkdir()
    a = write_rgb(ev / "a.png", 24, 32, seed=1)
    write_rgb(ev / "b.png", 24, 32, seed=2)
    out = tmp_path / "out"
    row = previous_row(a)
    save_heatmap_png(np.full((24, 32), 0.75, np.float32), out / row["models"]["stub"]["heatmap"])
    save_heatmap_png(np.full((24, 32), 0.25, np.float32), out / row["ensemble"]["heatmap"])
    (out / "results.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    return ev, out, row


def test_a_previous_version_row_resumes_triages_and_reports(
    old_folder: tuple[Path, Path, dict[str, Any]], validator: Draft202012Validator
) -> None:
    ev, out, row = old_folder
    assert validator.is_valid(row)
    line = (json.dumps(row) + "\n").encode("utf-8")
    stub = StubAnalyzer()
    files = [(p, rel_key(p, ev)) for p in iter_images(ev, False)]
    summary = run_scan(files, stub, out, source=str(ev))
    assert stub.calls == ["b.png"] and (summary.done, summary.skipped) == (1, 1)
    assert (out / "results.jsonl").read_bytes().startswith(line)  # kept byte for byte
    assert record_line(record_from_json(row)) == line  # and written back the same

    rows = {r.key: r for r in triage_rows(out)}
    a = rows["a.png"]
    assert a.cell("stub").status == RAN and a.cell("stub").score == 0.9
    # the default verdict is the ensemble's (authentic), though its member says manipulated
    assert not a.flagged and a.flagged_by_any
    assert a.ensemble is not None and a.ensemble.name == "pair" and a.ensemble.score == 0.3
    assert a.forged_fraction == 0.25 and a.faces == 1 and a.file == str(ev / "a.png")

    paths = write_report(scan_source(out), out / "report", ["json"])
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    item = next(i for i in report["items"] if i["path"] == "a.png")
    assert item["integrity"]["status"] == "match" and item["face_detection"] == RAN
    (stub_entry,) = item["models"]
    assert stub_entry["figures"]["checkpoint_sha256"] == "0" * 64
    assert item["ensemble"]["figures"]["rule"] == "ensemble"

    analysis = analysis_from_record(row, out, load_evidence(ev / "a.png"))
    assert analysis.results["stub"].score == 0.9 and analysis.seconds == 0.125
    assert np.allclose(analysis.results["stub"].heatmap, 191 / 255)  # round(0.75 x 255)
    assert analysis.ensemble is not None and analysis.faces[0].box == (1, 2, 3, 4)


def test_a_scan_writes_the_previous_versions_fields_in_its_order(
    scanned: Path, old_folder: tuple[Path, Path, dict[str, Any]]
) -> None:
    rows = {r["path"]: r for r in _rows(scanned)}
    new, old = rows["face.jpg"], old_folder[2]
    # the previous fields in order, then the face path's, then the hashes of the files named,
    # then the run that wrote the row, then how its maps were quantised
    assert list(new) == [*old, "face_maps", "files_sha256", "run", "map_levels"]
    margin = ["margin", "near_threshold", "margin_bound"]  # each decision's, added after
    assert list(new["ensemble"]) == list(old["ensemble"])
    assert list(new["ensemble_details"]) == [*old["ensemble_details"], *margin]
    # the evidence's previous fields in order, then its file-system times (added after)
    assert list(new["evidence"]) == [*old["evidence"], "fs_times", "metadata_format"]
    assert list(new["models"]["tiny"]) == list(old["models"]["stub"])
    # a network's whether its pixel threshold is calibrated, added after (an ensemble's has none)
    calibrated = ["pixel_threshold_calibrated"]
    assert list(new["details"]["tiny"]) == [*old["details"]["stub"], *calibrated, *margin]
    # the previous version's face fields in its order, then the face path's (written after)
    assert list(new["faces"][0]) == [*old["faces"][0], "face_scores"]
    error = ["path", "file", "sha256", "status", "error", "models"]
    # then what its header said, then where it was read (links followed), then its run
    assert list(rows["broken.png"]) == [*error, "header", "real_path", "run"]


def test_a_first_version_row_reads_with_defaults(
    old_folder: tuple[Path, Path, dict[str, Any]],
) -> None:
    ev, out, _ = old_folder
    row = first_version_row(ev / "a.png")
    record = record_from_json(row)
    assert isinstance(record, FileRecord)
    assert (record.file, record.evidence, record.seconds, record.thumbnail) == (None,) * 4
    assert record.faces_checked is None and record.ensemble is not None
    assert record.ensemble.figures is None
    assert record_to_json(record) == row  # nothing is invented on the way back

    tri = triage_row(row, ["stub"], "pair")
    assert tri.faces is None  # not recorded is not "no faces"
    assert tri.cell("stub").status == RAN and tri.ensemble is not None
    (out / "results.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (out / "scan.json").write_text(json.dumps({"source": str(ev)}), encoding="utf-8")
    (item,) = scan_source(out).items()
    assert item.file == str(ev / "a.png")  # from the scanned folder, as before
    assert item.evidence == {"width": 32, "height": 24, "warnings": []}
    with pytest.raises(ForensicError, match="ensemble has no figures"):
        analysis_from_record(row, out, load_evidence(ev / "a.png"))
    no_ensemble = {k: v for k, v in row.items() if k != "ensemble"}
    assert analysis_from_record(no_ensemble, out, load_evidence(ev / "a.png")).seconds == 0.0


def test_lines_that_are_not_records_are_skipped(tmp_path: Path) -> None:
    good = {"path": "ok.png", "status": "ok", "sha256": "0" * 64, "width": 2, "height": 2,
            "models": {}}  # fmt: skip
    lines = [
        json.dumps(good),
        "not json at all",
        json.dumps([1, 2]),
        json.dumps({**good, "path": "nosha.png", "sha256": None}),
        json.dumps({**good, "path": "text.png", "models": {"a": {"score": "high"}}}),
        json.dumps({"path": "err.png", "status": "error", "error": "bad", "models": {}}),
        json.dumps({"path": "odd.png", "status": "pending"}),
        '{"path": "torn.png", "status": "o',
    ]
    (tmp_path / "results.jsonl").write_text("\n".join(lines), encoding="utf-8")
    index = ResultIndex(tmp_path)
    assert index.keys() == ["ok.png", "err.png"] and index.ends_torn
    assert index.done_keys() == {"ok.png"}
    with pytest.raises(RecordError, match=r"text\.png: .*models\.a\.score: expected a number"):
        as_record(json.loads(lines[4]))
    with pytest.raises(RecordError, match=r"nosha\.png: .*sha256: expected a string"):
        record_from_json(json.loads(lines[3]))


def test_an_error_record_is_never_rebuilt_as_an_analysis(tmp_path: Path) -> None:
    ev: Evidence = load_evidence(write_rgb(tmp_path / "e.png", 8, 8))
    record = ErrorRecord("e.png", "e.png: damaged", file=ev.path)
    with pytest.raises(ForensicError, match=r"could not analyse it: e\.png: damaged"):
        analysis_from_record(record, tmp_path, ev)
    row = triage_row(record, ["m"], "ens")
    assert row.cell("m").status == NOT_RUN and row.ensemble is not None
    assert row.ensemble.status == NOT_RUN and not row.flagged and row.faces is None
    assert record_from_json(record_to_json(record)) == record


def test_replaces_is_written_last_only_when_it_applies_and_reads_back(
    old_folder: tuple[Path, Path, dict[str, Any]], validator: Draft202012Validator
) -> None:
    """The one field added since the previous version: absent from rows it does not apply to
    (so those are written exactly as before), after every other field when it does."""
    _ev, _out, old = old_folder
    record = record_from_json(old)
    assert record.replaces is None and record_to_json(record) == old
    changed = {**old, "replaces": {"sha256": "1" * 64}}
    assert validator.is_valid(changed)
    again = record_to_json(record_from_json(changed))
    assert again == changed and list(again) == [*old, "replaces"]
    error = {"path": "e.png", "file": None, "sha256": "2" * 64, "status": "error",
             "error": "e.png: damaged", "models": {}}  # fmt: skip
    error_changed = {**error, "replaces": {"sha256": "1" * 64}}
    for row in (error, error_changed):
        assert validator.is_valid(row)
        assert list(record_to_json(record_from_json(row))) == list(row)
    assert not validator.is_valid({**changed, "replaces": {"sha256": "not a hash"}})
    assert not validator.is_valid({**changed, "replaces": "1" * 64})
    with pytest.raises(RecordError, match=r"row\.replaces: expected an object"):
        record_from_json({**changed, "replaces": "1" * 64})


def test_report_headline_counts_the_default_verdicts_of_its_rows(tmp_path: Path) -> None:
    """Issue 17: the headline counts the ensemble's verdicts, not "flagged by at least one
    check" (every row here has a member saying manipulated)."""
    ev = tmp_path / "ev"
    ev.mkdir()
    out = tmp_path / "out"
    verdicts = {"a.png": "authentic", "b.png": "manipulated", "c.png": "authentic"}
    lines = []
    for i, (name, verdict) in enumerate(verdicts.items()):
        row = previous_row(write_rgb(ev / name, 24, 32, seed=i))
        row["ensemble"]["verdict"] = verdict
        row["ensemble"]["score"] = 0.8 if verdict == "manipulated" else 0.3
        save_heatmap_png(np.zeros((24, 32), np.float32), out / row["models"]["stub"]["heatmap"])
        save_heatmap_png(np.zeros((24, 32), np.float32), out / row["ensemble"]["heatmap"])
        lines.append(json.dumps(row))
    (out / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(triage_rows(out))  # a generator: the second assert saw nothing
    assert [r.flagged for r in rows] == [v == "manipulated" for v in verdicts.values()]
    assert all(r.flagged_by_any for r in rows)
    paths = write_report(scan_source(out), out / "report", ["json", "html"])
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    html = paths["html"].read_text(encoding="utf-8")
    headline = "1 flagged as manipulated by the default verdict (pair) (2 more by a single member"
    assert headline in html
    assert any("no measured false-alarm rate" in line for line in report["limitations"])
    assert any("HEIF/HEIC" in line for line in report["limitations"])  # unmeasured coding
    # re-encoded copies: measured, so said with their false alarms, not as unseen
    assert any("Messengers and social networks" in line for line in report["limitations"])
    assert not any("social-media re-encoding" in line for line in report["limitations"])
    assert '<section id="limitations">' in html
