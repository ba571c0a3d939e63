"""The command line's --help texts say what the code does."""

from __future__ import annotations

import argparse

from forensic_viewer import cli, cli_parser


def _model_help(parser: argparse.ArgumentParser) -> str:
    (action,) = [a for a in parser._actions if "--model" in a.option_strings]
    return " ".join(str(action.help).split())


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices[name]


def test_the_viewers_model_default_is_the_set_analyze_and_scan_load() -> None:
    """`forensic-viewer --help` said --model defaults to "the bundled models"; with none given
    the viewer loads engine.assembly.default_choice (the first ensemble, its members and the
    face models), as analyze and scan do and say (found by the docs review of 2026-12-05)."""
    default = " ".join(cli_parser.DEFAULT_MODELS_HELP.split())
    assert "face models" in default and "first ensemble found" in default
    assert default in _model_help(cli.gui_parser())
    for command in ("analyze", "scan"):
        assert default in _model_help(_subparser(command))


def test_models_lists_each_checkpoints_own_windows(capsys) -> None:
    """`forensic-viewer models` gave diffforensics-effl0 only its architecture's line,
    "512x512 sliding windows", while the bundled checkpoint runs 256-pixel windows (its
    header's input policy): each checkpoint's line now says what it runs on."""
    from engine.checkpoints import read_meta
    from engine.resources import resources_dir

    meta = read_meta(resources_dir() / "models" / "diffforensics-effl0.safetensors")
    assert meta.input_policy.window == 256
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    architectures, checkpoints = out.split("\nCheckpoints:")
    assert "512x512" not in architectures
    lines = checkpoints.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["diffforensics-effl0"])
    assert lines[at + 1].split()[:4] == "input: by default overlap-crop".split()
    assert lines[at + 1].rstrip().endswith("with --exact sliding windows of 256 px at stride 128")
    faces = next(i for i, line in enumerate(lines) if line.split()[:1] == ["diffforensics-faces"])
    assert "input: each detected face cropped and resized to 256 px" in lines[faces + 1]


def test_models_says_what_each_theta_is_compared_with(capsys) -> None:
    """`forensic-viewer models` gave m2f-effl0 "θ 0.6779 (θ = 0.6779 on the mean of the window
    logits ...)", its header's older sentence, which reads as a logit: θ is compared with the
    score, σ(image logit). Each checkpoint's θ line now says its scale from its rule."""
    assert cli.main(["models"]) == 0
    lines = capsys.readouterr().out.split("\nCheckpoints:")[1].splitlines()

    def theta_line(name: str) -> str:
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
        return next(line for line in lines[at + 1 :] if line.split()[:1] == ["θ"])

    m2f = theta_line("m2f-effl0")
    assert "on the mean of the window logits" in m2f  # the header's words, still quoted
    assert (
        m2f.split("(θ =")[0].split()
        == "θ 0.6779 on the score, σ(image logit) in [0, 1] (not on the logit)".split()
    )
    crfd = theta_line("crfd-net-compact").split("(θ =")[0]
    assert "on the forged fraction" in crfd and "not on the score" in crfd


def test_analyses_help_lists_the_registered_analyses(monkeypatch) -> None:
    """`analyze --help` kept its own list of seven names: an analysis added under
    engine/analyses/ ran with --analyses and was missing from the help (dev walk-through,
    finding 7). The list is the registry's, whatever is registered."""
    import dataclasses

    from engine.analyses import base

    spec = base.get_analysis_spec("noise")
    monkeypatch.setitem(base._REGISTRY, "localvar", dataclasses.replace(spec, name="localvar"))
    for command in ("analyze", "scan"):
        (action,) = [a for a in _subparser(command)._actions if "--analyses" in a.option_strings]
        words = " ".join(str(action.help).split())
        assert f"({', '.join(base.list_analyses())}) or 'all'" in words
        assert "localvar" in words
