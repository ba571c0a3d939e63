"""The paths a user typed, printed back by forensic-train's commands (``wrote PATH``, the data
an ensemble was measured on) and ``python -m trainer.quantize``, go through
``engine.formatting.plain`` as the rest of the trainer's output does: a name holding an escape
sequence, a carriage return or a line break is shown as ``\\x1b``, ``\\x0d``, ``\\x0a``, never obeyed
(a folder named ``a<ESC>[2J`` cleared the terminal, one ending in a CR let the rest of the line
overwrite its start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checkpoints import save_checkpoint
from tests.trainer.conftest import TINY, make_folder
from trainer import cli
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

HOSTILE = "\x1b[2J\r\u202e\n"  # clears the terminal; back to the line's start; reversed; a line
SHOWN = "\\x1b[2J\\x0d\\u202e\\x0a"


def _raw(text: str) -> bool:
    return any(ch in text for ch in "\x1b\r\u202e")


def _checkpoint(path: Path, name: str) -> Path:
    model, config = build_model("crfd-net-compact", dict(TINY), seed=0)
    return save_checkpoint(path, model, base_meta("crfd-net-compact", config, 32, 16, name))


@pytest.mark.parametrize("command", ["eval", "calibrate", "ensemble"])
def test_the_paths_written_are_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    root = make_folder(tmp_path / f"d{HOSTILE}", 24, 12, seed=0, size=48)  # θ: 5 a side
    models = [_checkpoint(tmp_path / "m.safetensors", "tiny")]
    if command == "ensemble":
        models.append(_checkpoint(tmp_path / "m2.safetensors", "tiny2"))
    folder = tmp_path / f"o{HOSTILE}"
    folder.mkdir()
    name = {"eval": "ev.json", "calibrate": "c.safetensors"}.get(command, "e.ensemble.json")
    argv = [command, *(a for m in models for a in ("--model", str(m))), "--data", str(root)]
    argv += ["--split-by", "seed", "--val-fraction", "0.5", "--threads", "1"]
    argv += {
        "eval": ["--split", "val", "--json", str(folder / name)],
        "calibrate": ["--pixel-threshold", "keep", "--out", str(folder / name)],
        "ensemble": ["--split", "all", "--out", str(folder / name), "--json", str(folder / "e")],
    }[command]
    capsys.readouterr()
    assert cli.main(argv) == 0
    said = capsys.readouterr().out
    assert (folder / name).is_file()
    (line,) = [ln for ln in said.splitlines() if ln.startswith("wrote ")]
    assert line.endswith(
        f"o{SHOWN}/{name}" + (f" and {tmp_path}/o{SHOWN}/e" * (command == "ensemble"))
    )
    if command == "ensemble":
        (measured,) = [ln for ln in said.splitlines() if ln.startswith("figures on the ")]
        assert f"split of {tmp_path}/d{SHOWN} that chose" in measured
    assert not _raw(said), said


def test_quantize_shows_the_paths_it_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import trainer.quantize
    from trainer.quantize import main

    data = tmp_path / f"d{HOSTILE}"
    assert main(["--data", str(data), "--model", "x.safetensors"]) == 2
    err = capsys.readouterr().err
    assert err == f"{tmp_path}/d{SHOWN}: not a folder\n"
    data.mkdir()
    model = tmp_path / f"m{HOSTILE}.safetensors"
    assert main(["--data", str(data), "--model", str(model)]) == 2
    assert capsys.readouterr().err == f"{tmp_path}/m{SHOWN}.safetensors: no such checkpoint\n"
    model.write_bytes(b"")  # quantize_checkpoint, which reads it, is replaced below
    written = tmp_path / f"q{HOSTILE}.xml"
    monkeypatch.setattr(trainer.quantize, "quantize_checkpoint", lambda *_a: written)
    assert main(["--data", str(data), "--model", str(model)]) == 0
    said = capsys.readouterr().out
    assert (
        said == f"{tmp_path}/m{SHOWN}.safetensors: int8 model written to {tmp_path}/q{SHOWN}.xml\n"
    )


def test_names_from_a_checkpoints_header_are_printed_plain_in_the_figures_tables() -> None:
    """eval's table and ensemble's comparison printed the model's name, architecture and
    decision provenance as its checkpoint header holds them: a crafted header's escape
    sequence (clear the screen) or line break reached the terminal raw."""
    from types import SimpleNamespace

    from trainer.commands import format_table
    from trainer.ensemble import format_comparison

    hostile = "m\x1b[2J\nfake line\u202e"
    rule = SimpleNamespace(rule=hostile, threshold=0.5, pixel_threshold=0.5, provenance=hostile)
    model = SimpleNamespace(name=hostile, meta=SimpleNamespace(architecture=hostile, decision=rule))
    figures = {"images": 2, "tampered": 1, "authentic": 1, "image_auc": 0.5}
    for text in (
        format_table(figures, model, "val"),
        format_comparison(hostile, figures, {hostile: figures}),
    ):
        assert "\x1b" not in text and "\u202e" not in text and "fake line" in text
        assert not any(line.startswith("fake line") for line in text.splitlines())
