"""``forensic-train eval`` gives the figures ``forensic-viewer scan`` gives for the same checkpoint.

Both go through engine.io.load_evidence and engine.pipeline.Analyzer; this test holds the two
command lines to it, image by image, and checks the pixel figures against the scan's heatmaps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli
from trainer.metrics import pixel_scores

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def test_eval_equals_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from forensic_viewer import cli as viewer_cli

    root = make_folder(tmp_path / "d", 3, 2, seed=7)
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    report = tmp_path / "eval.json"
    assert cli.main(["eval", "--model", str(ckpt), "--data", str(root), "--json", str(report)]) == 0
    ours = {Path(r["image"]).name: r for r in json.loads(report.read_text())["images"]}

    scan_out = tmp_path / "scan"
    for sub in ("Tp", "Au"):
        argv = ["scan", str(root / sub), "--out", str(scan_out / sub), "--model", str(ckpt),
                "--device", "cpu", "--no-faces"]  # fmt: skip
        assert viewer_cli.main(argv) == 0
    capsys.readouterr()
    seen = 0
    for sub in ("Tp", "Au"):
        for line in (scan_out / sub / "results.jsonl").read_text().splitlines():
            rec = json.loads(line)
            (model,) = rec["models"].values()
            mine = ours[Path(rec["path"]).name]
            assert mine["score"] == pytest.approx(model["score"], abs=1e-12)
            assert mine["verdict"] == model["verdict"]
            assert mine["forged_fraction"] == pytest.approx(model["forged_fraction"], abs=1e-12)
            if sub == "Tp":
                heat = np.asarray(Image.open(scan_out / sub / model["heatmap"]), np.float64) / 255
                gt = np.asarray(Image.open(root / "Gt" / Path(rec["path"]).name)) > 127
                ps = pixel_scores(heat, gt)
                assert ps is not None
                # The scan stores heatmaps as 8-bit PNG, so allow its rounding.
                assert mine["pixel"]["auc"] == pytest.approx(ps.auc, abs=0.02)
                assert mine["pixel"]["mask_share"] == pytest.approx(gt.mean())
            seen += 1
    assert seen == len(ours) == 5


def test_eval_gives_the_interval_and_the_rates_at_theta(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fine-tune walk-through (2026-12-06): eval gave image_auc 0.7857 on 7 tampered and 2
    authentic images with no interval, no word on how few they were and, at θ, the accuracy
    alone."""
    root = make_folder(tmp_path / "d", 3, 2, seed=7)
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    report = tmp_path / "eval.json"
    assert cli.main(["eval", "--model", str(ckpt), "--data", str(root), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "image AUC: too few images for an interval: 3 tampered, 2 authentic" in out
    payload = json.loads(report.read_text())
    m, images = payload["metrics"], payload["images"]
    flagged = [r for r in images if r["verdict"] == "manipulated"]
    k_auth = sum(r["label"] == 0 for r in flagged)
    k_tamp = sum(r["label"] == 1 for r in flagged)
    assert (m["flagged_authentic"], m["flagged_tampered"]) == (k_auth, k_tamp)
    assert m["image_auc_interval"] is None
    assert f"at θ: flags {k_auth} of 2 authentic (false-alarm rate {k_auth / 2:.3f}), " in out


def test_eval_json_records_what_a_scan_records(tmp_path: Path, monkeypatch) -> None:
    """QA walk-through (2026-12-06): eval --json held the data as typed (relative, no cwd) and
    no program version, libraries, processor, runtime, precision, model files or threads, all
    of which every scan.json records: its figures could not be reproduced from it."""
    from forensic_viewer import cli as viewer_cli
    from trainer.setup import data_digest

    root = make_folder(tmp_path / "d", 2, 1, seed=7)
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "eval.json"
    assert cli.main(["eval", "--model", str(ckpt), "--data", "d", "--json", str(report)]) == 0
    payload = json.loads(report.read_text())
    scan_out = tmp_path / "scan"
    argv = ["scan", str(root / "Tp"), "--out", str(scan_out), "--model", str(ckpt),
            "--device", "cpu", "--no-faces"]  # fmt: skip
    assert viewer_cli.main(argv) == 0
    env = json.loads((scan_out / "scan.json").read_text())["environment"]
    assert {**payload["environment"], "time": None} == {**env, "time": None}
    assert payload["environment"]["code"]["sources_sha256"]
    assert payload["data_sets"] == [
        {"path": str(root.resolve()), "weight": 1.0, **data_digest(root)}
    ]
    rows = [json.loads(line) for line in (scan_out / "results.jsonl").read_text().splitlines()]
    details = [next(iter(r["details"].values())) for r in rows]
    policies = [
        {**d["input_policy"], "precision": d["precision"], "device": d["device"]} for d in details
    ]
    (ran,) = payload["input_policies"]
    assert ran["images"] == 3
    assert {k: v for k, v in ran.items() if k != "images"} == policies[0]
    assert {"runtime", "precision"} <= set(ran)
    assert payload["threads"] >= 1
