"""``scan --gt`` says when a model was trained on the images it scores, as ``forensic-train
eval`` says it of its own (fine-tune walk-through, 2026-12-06: ``scan labdata --gt lab.json
--model crfd-lab`` scored 118 images, 101 of them crfd-lab's training split, with no note)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.files import sha256_of
from forensic_viewer.cli import main
from forensic_viewer.scan.groundtruth import GT_NAME, evaluate_scan, read_truth, report_section
from forensic_viewer.scan.truth_trained import (
    BUNDLED_SEEN,
    scan_checkpoints,
    trained_on,
    trained_on_line,
)
from tests.conftest import make_tiny_checkpoint


def _folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for sub, name in (("Tp", "t0.png"), ("Tp", "t1.png"), ("Au", "a0.png")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / sub / name)
    (root / "Gt").mkdir(exist_ok=True)
    for name in ("t0.png", "t1.png"):
        mask = np.zeros((48, 48), np.uint8)
        mask[8:24, 8:24] = 255
        Image.fromarray(mask).save(root / "Gt" / name)
    return root


def _trained_on(path: Path, data: Path) -> Path:
    """A tiny checkpoint whose header records ``data`` as its training data, as fit writes."""
    make_tiny_checkpoint(path, name="lab-model")
    loaded = load_checkpoint(path, device="cpu")
    loaded.meta.training = {"data": [{"path": str(data.resolve()), "weight": 1.0}]}
    return save_checkpoint(path, loaded.model, loaded.meta)


def test_scan_gt_notes_the_images_a_model_was_trained_on(tmp_path: Path, capsys) -> None:
    data = _folder(tmp_path / "lab")
    model = _trained_on(tmp_path / "lab-model.safetensors", data)
    out = tmp_path / "out"
    code = main(["scan", str(data), "--recursive", "--out", str(out), "--model", str(model),
                 "--no-faces", "--gt", str(data)])  # fmt: skip
    assert code == 0
    said = capsys.readouterr().out
    gt = json.loads((out / GT_NAME).read_text())
    scored = gt["images"]
    assert gt["trained_on"] == [
        {"model": "lab-model", "data": str(data.resolve()), "images": scored, "of": scored}
    ]
    assert (
        f"note: {scored} of the {scored} scored images are in {data.resolve()}, data lab-model "
        "was trained on"
    ) in said


def test_a_json_list_counts_the_images_it_names(tmp_path: Path) -> None:
    listing = tmp_path / "lab.json"
    for name in ("a/x.png", "a/x_gt.png", "b/y.png"):  # the list read as the trainer reads it
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    listing.write_text(json.dumps([["a/x.png", "a/x_gt.png"], ["b/y.png", "Negative"]]))
    scored = [tmp_path / "a" / "x.png", tmp_path / "c" / "z.png"]
    assert trained_on([("m", [listing])], scored) == [
        {"model": "m", "data": str(listing), "images": 1, "of": 2}
    ]
    assert trained_on([("m", [tmp_path / "elsewhere"])], scored) == []


def test_scoring_again_without_models_keeps_the_note(tmp_path: Path, monkeypatch) -> None:
    """The viewer scores a scan with ``evaluate_scan(out, truth, keys)``, naming no models:
    it found them from scan.json no more and rewrote groundtruth.json's ``trained_on`` as
    ``[]`` over the command line's (review of 2026-12-06)."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    data = _folder(tmp_path / "lab")
    _trained_on(models / "lab-model.safetensors", data)
    out = tmp_path / "out"
    code = main(["scan", str(data), "--recursive", "--out", str(out), "--model", "lab-model",
                 "--no-faces", "--gt", str(data)])  # fmt: skip
    assert code == 0
    before = json.loads((out / GT_NAME).read_text())["trained_on"]
    assert before and before[0]["model"] == "lab-model"
    result = evaluate_scan(out, read_truth(data))
    assert result.trained_on == before
    assert json.loads((out / GT_NAME).read_text())["trained_on"] == before


def _scanned(tmp_path: Path, monkeypatch) -> tuple[Path, Path, Path]:
    """A lab folder scanned with lab-model, found by name in the user's models folder, which
    was trained on it: (the folder, the checkpoint, the scan's output)."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    data = _folder(tmp_path / "lab")
    model = _trained_on(models / "lab-model.safetensors", data)
    out = tmp_path / "out"
    code = main(["scan", str(data), "--recursive", "--out", str(out), "--model", "lab-model",
                 "--no-faces", "--gt", str(data)])  # fmt: skip
    assert code == 0
    return data, model, out


def test_a_model_replaced_under_its_name_is_not_the_scans(tmp_path: Path, monkeypatch) -> None:
    """scan.json records each model's SHA-256; a checkpoint found by the name since, of other
    bytes (retrained on other data), was taken for the scan's (review of 2026-12-06)."""
    data, model, out = _scanned(tmp_path, monkeypatch)
    assert scan_checkpoints(out, ()) == [model.resolve()]
    _trained_on(model, tmp_path / "elsewhere")
    assert scan_checkpoints(out, ()) == []
    assert evaluate_scan(out, read_truth(data)).trained_on == []


def test_a_row_without_its_file_is_read_in_the_scanned_folder(tmp_path: Path, monkeypatch) -> None:
    """Rows of early versions hold their key alone (``Tp/t0.png``), which was resolved against
    the current directory, not the scanned folder: the note counted none of them (review of
    2026-12-06)."""
    data, _model, out = _scanned(tmp_path, monkeypatch)
    results = out / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    assert all("file" in row for row in rows)
    results.write_text("".join(json.dumps({k: v for k, v in row.items() if k != "file"}) + "\n"
                               for row in rows))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = evaluate_scan(out, read_truth(data))
    assert result.images == 3
    assert result.trained_on == [
        {"model": "lab-model", "data": str(data.resolve()), "images": 3, "of": 3}
    ]


def test_bundled_models_images_are_noted_by_sha256(tmp_path: Path, monkeypatch, capsys) -> None:
    """A bundled model's header records no data path: scoring copies of the CASIA images that
    trained or chose it printed its figures with no note (QA walk-through, 2026-12-06). The
    bundled record (casia-images.json, by SHA-256) names them wherever they were copied."""
    import engine.catalog

    data = _folder(tmp_path / "copies")
    model = make_tiny_checkpoint(tmp_path / "bundled.safetensors", name="bundled-net")
    digest = [sha256_of(data / f) for f in ("Tp/t0.png", "Tp/t1.png", "Au/a0.png")]
    record = {
        "data": "CASIA v1.0",
        "parts": {"train": [digest[0]], "validation": [digest[1]], "test": []},
        "models": {
            "bundled-net": {
                "sha256": sha256_of(model),
                "trained": ["train"],
                "chose": ["validation", "test"],
                "how": "epoch",
            },
            "other": {"sha256": "0" * 64, "trained": ["train"], "chose": [], "how": "θ"},
        },
    }
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / BUNDLED_SEEN).write_text(json.dumps(record))
    monkeypatch.setattr(engine.catalog, "BUNDLED_MODELS", bundled)
    out = tmp_path / "out"
    code = main(["scan", str(data), "--recursive", "--out", str(out), "--model", str(model),
                 "--no-faces", "--gt", str(data)])  # fmt: skip
    assert code == 0
    note = {"model": "bundled-net", "data": "CASIA v1.0", "record": BUNDLED_SEEN, "images": 2,
            "of": 3, "trained": 1, "chose": 1, "how": "epoch"}  # fmt: skip
    gt = json.loads((out / GT_NAME).read_text())
    assert gt["trained_on"] == [note]
    line = trained_on_line(note)
    assert line.startswith("note: 2 of the 3 scored images are CASIA v1.0 images that trained")
    assert "(1 trained it, 1 chose its epoch; by SHA-256, casia-images.json)" in line
    assert line in capsys.readouterr().out
    assert line.removeprefix("note: ") in report_section(gt)[0]


def test_the_bundled_record_is_of_the_bundled_files() -> None:
    """Every bundled checkpoint and ensemble has its record, of its own SHA-256: a retrained
    file with the old record would lose the note (run packaging/casia_images.py again)."""
    from engine.catalog import BUNDLED_MODELS

    record = json.loads((BUNDLED_MODELS / BUNDLED_SEEN).read_text())
    bundled = [*BUNDLED_MODELS.glob("*.safetensors"), *BUNDLED_MODELS.glob("*.ensemble.json")]
    assert bundled
    for path in bundled:
        entry = record["models"][path.name.split(".")[0]]
        assert entry["sha256"] == sha256_of(path), path.name
        assert set(entry["trained"]) | set(entry["chose"]) <= set(record["parts"]), path.name
    parts = [set(v) for v in record["parts"].values()]
    assert sum(map(len, parts)) == len(set().union(*parts))  # each image in one part
