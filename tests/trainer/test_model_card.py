"""packaging/model_card.py: the per-kind and per-size breakdown written into every model card."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("model_card", ROOT / "packaging/model_card.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rec(name: str, label: int, verdict: str, f1: float = 0.0, share: float = 0.0) -> dict:
    pixel = {"f1": f1, "iou": f1 / 2, "auc": 0.5 + f1 / 2, "f1_best": f1, "mask_share": share}
    return {"image": f"/d/Tp/{name}", "label": label, "verdict": verdict,
            "pixel": pixel if label else None}  # fmt: skip


def test_breakdown_groups_by_kind_and_region_size_and_counts_false_alarms() -> None:
    evaluation = {
        "images": [
            _rec("Sp_D_a.jpg", 1, "manipulated", 0.6, 0.20),
            _rec("Sp_D_b.jpg", 1, "authentic", 0.2, 0.03),
            _rec("Sp_S_c.jpg", 1, "authentic", 0.1, 0.10),
            _rec("Au_d.jpg", 0, "manipulated"),
            _rec("Au_e.jpg", 0, "authentic"),
        ]
    }
    rows = {
        line.split(" | ")[0].lstrip("| "): line
        for line in _module().breakdown(evaluation).split("\n")
    }
    splices = rows["splices (CASIA `Sp_D`: from another photograph)"]
    assert "| 2 | 0.400 | 0.700 | 1/2 |" in splices
    assert "| 1 | 0.100 | 0.550 | 0/1 |" in rows["copy-moves (CASIA `Sp_S`: within the photograph)"]
    assert "| 1 | 0.200 |" in rows["forged region < 5 % of the image"]
    assert "| 1 | 0.100 |" in rows["forged region 5-15 %"]
    assert "| 1 | 0.600 |" in rows["forged region > 15 %"]
    assert rows["authentic photographs (false alarms)"].endswith("| 2 | | | 1/2 |")


def test_breakdown_without_records_is_empty() -> None:
    assert _module().breakdown({"metrics": {}}) == ""


def test_card_names_the_int8_model_only_where_one_ships(tmp_path: Path) -> None:
    words = _module().int8_words
    checkpoint = tmp_path / "net.safetensors"
    assert words(checkpoint) == ""
    (tmp_path / "net.int8.json").write_text("{}")
    text = words(checkpoint)
    assert "`net.int8.*`" in text and "precision int8" in text
    # the bundled files: crfd-net-compact ships one, diffforensics-effl0 does not
    models = ROOT / "resources/models"
    shipped = words(models / "crfd-net-compact.safetensors")
    recorded = json.loads((models / "crfd-net-compact.int8.json").read_text())["files"]
    for name, digest in recorded.items():  # the int8 files' SHA-256, as the card lists its own
        assert f"`{name}` `{digest}`" in shipped
    assert shipped.strip() in (models / "crfd-net-compact.md").read_text(encoding="utf-8")
    assert words(models / "diffforensics-effl0.safetensors") == ""


def test_made_by_names_an_average_and_the_commands_of_its_sources() -> None:
    # an averaged checkpoint's own command is the average; a card that stopped there would not
    # say how its weights were trained (the bundled face model is such an average)
    made_by = _module()._made_by
    sources = [
        {"path": "/r/fit3/best.safetensors", "command": "/v/bin/forensic-train fit --out /r/fit3"},
        {"path": "/r/fit4/epoch-1.safetensors", "command": "trainer/cli.py fit --out f4"},
        {"path": "/r/fit4/epoch-2.safetensors", "command": "trainer/cli.py fit --out f4"},
    ]
    command = "/v/bin/forensic-train average a.safetensors b.safetensors --out c"
    text = made_by(SimpleNamespace(training={"command": command, "averaged_from": sources}))
    head, made = text.split("\n\n# its sources were made by:\n")
    assert head == "forensic-train average a.safetensors b.safetensors --out c"
    # each source command once, spelt as the installed entry point
    assert made.splitlines() == ["forensic-train fit --out /r/fit3", "forensic-train fit --out f4"]
    plain = SimpleNamespace(training={"command": "trainer/cli.py fit --out x"})
    assert made_by(plain) == "forensic-train fit --out x"
    # the bundled face model is an average: its card names the training runs behind it
    card = (ROOT / "resources/models/diffforensics-faces.md").read_text(encoding="utf-8")
    assert "forensic-train average" in card and "# its sources were made by:" in card


def test_a_sample_mask_drawn_in_red_is_read_as_the_scan_reads_it(tmp_path: Path) -> None:
    """The cards' figures on the bundled samples score against the mask read by the one rule
    of masks (engine.masks, what scan --gt reads): a red drawing is its region, where OpenCV's
    grey (76) read none."""
    import numpy as np
    from PIL import Image

    from forensic_viewer.scan.groundtruth import read_mask

    rgb = np.zeros((8, 10, 3), np.uint8)
    rgb[2:6, 3:7, 0] = 255
    (tmp_path / "masks").mkdir()
    Image.fromarray(rgb).save(tmp_path / "masks" / "red.png")
    module = _module()
    module.SAMPLES = tmp_path
    got = module.sample_truth("masks/red.png", (8, 10))
    assert got.sum() == 16
    assert (got == read_mask(tmp_path / "masks" / "red.png", (8, 10)).mask).all()


def test_an_unmeasured_figure_is_said_to_be_unmeasured_not_read_as_a_good_one() -> None:
    """An eval over one class gives image_auc NaN; NaN fails every comparison, and the card
    said such a model's scores "separate tampered from authentic images well"."""
    words = _module().verdict_words
    one_class = words({"pixel_f1": 0.3, "image_auc": float("nan")})
    assert "separate tampered from authentic images well" not in one_class
    assert "Not measured" in one_class and "image AUC" in one_class
    no_masks = words({"image_auc": 0.95})  # no tampered image with a mask: no pixel_f1 at all
    assert "Not measured" in no_masks and "pixel F1" in no_masks
    assert "Not measured" not in words({"pixel_f1": 0.3, "image_auc": 0.7})
    assert "coin toss" in words({"pixel_f1": 0.3, "image_auc": 0.6})


def test_a_card_prints_an_undefined_figure_as_undefined_never_nan() -> None:
    """A group whose masks are all tampered has no pixel AUC (NaN per image): the breakdown
    row says undefined, not ``nan`` (np.nanmean of them also warned)."""
    rec = _rec("Sp_D_a.jpg", 1, "manipulated", 0.6, 0.5)
    rec["pixel"]["auc"] = float("nan")
    table = _module().breakdown({"images": [rec]})
    assert "nan" not in table
    assert "undefined" in table


def test_a_figure_eval_wrote_as_null_is_undefined() -> None:
    """eval --json writes an undefined figure as null (it wrote a bare NaN, not JSON): the
    card reads it as it read NaN, where math.isfinite(None) raised TypeError."""
    module = _module()
    rec = _rec("Sp_D_a.jpg", 1, "manipulated", 0.6, 0.5)
    rec["pixel"]["auc"] = None
    table = module.breakdown({"images": [rec]})
    assert "undefined" in table and "None" not in table
    assert module._figure(None, 3) == "undefined" and module._figure(0.25, 3) == "0.250"
    assert "Not measured" in module.verdict_words({"pixel_f1": 0.3, "image_auc": None})


WINDOW_CARDS = ("crfd-net-compact", "diffforensics-effl0", "m2f-effl0", "m2f-swin-nano")


def test_the_input_line_says_the_fast_path_runs_by_default_and_exact_runs_the_fusion() -> None:
    """The cards said "Input: sliding windows of 128 px at stride 64, fused as §3.3" while
    ``analyze`` records overlap-crop tiles (crfd: tile 512, margin 16, Gaussian): the line now
    names the default fast path, with its figures as engine.fastpath plans them, and §3.3's
    fusion as what ``--exact`` runs; each bundled card says what the template now writes."""
    from engine.checkpoints import read_meta
    from engine.fastpath import exact_plan, plan_for

    words = _module().input_words
    for name in WINDOW_CARDS:
        meta = read_meta(ROOT / "resources/models" / f"{name}.safetensors")
        line = words(meta)
        fast, exact = plan_for(meta.architecture, meta.input_policy), exact_plan(meta.input_policy)
        assert f"overlap-crop tiles of {fast.tile} px" in line, name
        assert f"its {fast.margin}-px margin" in line and "Gaussian" in line, name
        assert line.index("by default") < line.index("`--exact`") < line.index("§3.3"), name
        assert f"windows of {exact.tile} px at stride {exact.stride}" in line, name
        card = (ROOT / "resources/models" / f"{name}.md").read_text(encoding="utf-8")
        assert f"\n{line}\n" in card, name
        assert "fused as §3.3. Decision" not in card, name


def test_the_input_line_reads_the_fast_paths_figures_where_it_defines_them(monkeypatch) -> None:
    """The tile, margin and seam rule come from engine/fastpath.py, not from the template: a
    changed fast path changes the card; a network with no fast rule runs its windows on both."""
    import engine.fastpath as fastpath
    from engine.checkpoints import read_meta
    from engine.tiling import Weighting

    meta = read_meta(ROOT / "resources/models/crfd-net-compact.safetensors")
    monkeypatch.setattr(fastpath, "CRFD_TILE", 640)
    monkeypatch.setattr(fastpath, "CRFD_MARGIN", 24)
    monkeypatch.setattr(fastpath, "TILE_WEIGHTING", Weighting.CONSTANT)
    line = _module().input_words(meta)
    assert "tiles of 640 px" in line and "24-px margin" in line
    assert "cut at the middle of their overlap" in line and "Gaussian" not in line
    meta.architecture = "some-new-net"
    line = _module().input_words(meta)
    assert "overlap-crop" not in line
    assert line.startswith("Input: sliding windows of 128 px at stride 64")
    assert "by default and with `--exact` alike" in line
