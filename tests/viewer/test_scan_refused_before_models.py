"""A scan whose every file is over the file-size, pixel or decode-memory limit is refused before any model
is loaded: ``forensic-viewer scan`` and the batch dialog loaded every model (about 10 s) and
only then read the files and refused each. The listing's sizes and headers are read first
(:mod:`forensic_viewer.scan.refused`), stopping at the first file not refused; a folder with
such a file is scanned as before. The model loader is made to fail where none may load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import forensic_viewer.scan.refused as refused
from engine.bomb_guards import MAX_PIXELS_ENV
from engine.errors import ImageTooLargeError
from engine.io import MAX_FILE_BYTES, load_evidence
from forensic_viewer.cli import EXIT_FILES_FAILED, EXIT_USAGE, main
from forensic_viewer.scan.refused import refused_by_headers, refused_line
from forensic_viewer.scan.results import ResultIndex
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.conftest import scan_args


def _refused_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A folder of two images over a 3,000-pixel limit and one file over the size limit,
    with load_evidence's refusal of each (what the scan's error rows would say), in the
    listing's order."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    write_rgb(folder / "a.png", h=60, w=70)
    write_rgb(folder / "b.jpg", h=80, w=50, fmt="JPEG")
    huge = write_rgb(folder / "c.png", h=8, w=8)
    with open(huge, "r+b") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    lines = []
    for name in ("a.png", "b.jpg", "c.png"):
        with pytest.raises(ImageTooLargeError) as e:
            load_evidence(folder / name)
        lines.append(str(e.value))
    return folder, lines


def test_a_scan_whose_every_file_is_over_a_limit_is_refused_before_loading_a_model(
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_models: list[object],
    capsys,
) -> None:
    folder, lines = _refused_folder(tmp_path, monkeypatch)
    out, case = tmp_path / "out", tmp_path / "case"
    argv = scan_args(folder, out, tiny_checkpoint, "--case", str(case), "--report", "html")
    assert main(argv) == EXIT_FILES_FAILED  # as a scan none of whose files could be analysed
    assert no_models == []
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert err == [
        f"forensic-viewer: error: {refused_line(folder, 3)}",
        "failed:",
        *(f"  {line}" for line in lines),  # as the scan lists its failures, in its words
    ]
    assert str(folder / "a.png") in err[2] and "70x60 (4,200 pixels)" in err[2]
    assert f"file is {MAX_FILE_BYTES + 1} bytes" in err[4]
    assert not out.exists() and not case.exists()  # no output folder, lock or case log


def test_a_scan_with_one_file_within_the_limits_loads_the_models_and_refuses_the_others(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder, lines = _refused_folder(tmp_path, monkeypatch)
    write_rgb(folder / "d.png", h=40, w=50)
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint)) == EXIT_FILES_FAILED
    index = ResultIndex(out)
    assert index.done_keys() == {"d.png"}
    errors = {k: index.get(k)["error"] for k in ("a.png", "b.jpg", "c.png")}
    assert list(errors.values()) == lines  # their rows, in the words of the refusal above
    err = capsys.readouterr().err.splitlines()
    assert all(f"  {line}" in err for line in lines) and "not scanned" not in "".join(err)


def test_the_header_check_stops_at_the_first_file_it_does_not_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan of 10,000 files reads one header more, not 10,000."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    files = [(write_rgb(folder / "big.png", h=60, w=70), "big.png")]
    files += [(write_rgb(folder / f"{i}.png", h=10, w=10), f"{i}.png") for i in range(5)]
    read: list[Path] = []
    real = refused.refuse_beyond_limit

    def counted(path: Path, **kw: object) -> None:
        read.append(path)
        real(path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(refused, "refuse_beyond_limit", counted)
    assert refused_by_headers(files, tmp_path / "out") == []
    assert read == [folder / "big.png", folder / "0.png"]


def test_a_resume_over_a_finished_row_is_not_refused(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file finished by an earlier run is skipped (or upgraded) by the resume, whatever the
    limit says now: the scan runs as before. A file whose earlier row is an error (retried)
    is refused again."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_rgb(folder / "a.png", h=60, w=70)
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint)) == 0
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")  # the finished file is now over the limit
    files = [(folder / "a.png", "a.png")]
    assert refused_by_headers(files, out) == []
    write_rgb(folder / "b.png", h=60, w=70)
    files.append((folder / "b.png", "b.png"))
    assert refused_by_headers(files, out) == []  # a.png is finished: as before
    assert len(refused_by_headers(files[1:], out)) == 1  # b.png alone has no finished row


@pytest.mark.gui
def test_the_batch_dialog_refuses_such_a_scan_before_the_lock_and_the_models(
    qtbot,
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_models: list[object],
) -> None:
    """As the command line: each file's line under the scan's, no model loaded, and no output
    folder made (the lock, taken after this check, would have made it)."""
    from forensic_viewer.gui.batch_dialog import BatchDialog

    folder, lines = _refused_folder(tmp_path, monkeypatch)
    out = tmp_path / "out"
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    ended: list[object] = []
    dialog.scanEnded.connect(ended.append)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert no_models == [] and dialog.summary is None
    assert dialog.message.text().splitlines() == [refused_line(folder, 3), *lines]
    assert dialog.message.toolTip().splitlines() == lines
    assert ended == [refused_line(folder, 3)]  # the case log's one line
    assert not out.exists()


@pytest.mark.gui
def test_the_batch_dialog_lists_the_first_files_and_every_one_in_the_tooltip(
    qtbot,
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_models: list[object],
) -> None:
    from forensic_viewer.gui.batch_dialog import FILES_SHOWN, BatchDialog

    folder = tmp_path / "evidence"
    folder.mkdir()
    monkeypatch.setenv(MAX_PIXELS_ENV, "30")
    count = FILES_SHOWN + 2
    for i in range(count):
        write_rgb(folder / f"{i:02d}.png", h=6, w=6)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    shown = dialog.message.text().splitlines()
    assert shown[0] == refused_line(folder, count) and no_models == []
    assert len(shown) == 1 + FILES_SHOWN + 1 and str(folder / "09.png") in shown[FILES_SHOWN]
    assert shown[-1] == "… and 2 more (every file in the tooltip)"
    tips = dialog.message.toolTip().splitlines()
    assert len(tips) == count and str(folder / "11.png") in tips[-1]
    assert not (tmp_path / "out").exists()


MISTAKES = [
    (("--model", "no-such-model"), "no-such-model: no such checkpoint file or model name"),
    (("--device", "bogus"), "device must be one of"),
]


@pytest.mark.parametrize(
    ("command", "extra", "said"),
    [
        *(("scan", *m) for m in MISTAKES),
        ("scan", ("--jobs", "0"), "--jobs must be >= 1, got 0"),
        ("scan", ("--ray", "--device", "bogus"), "device must be one of"),  # on any node
        *(("analyze", *m) for m in MISTAKES),
    ],
)
def test_a_usage_error_is_said_before_every_file_is_refused(
    command: str,
    extra: tuple[str, ...],
    said: str,
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_models: list[object],
    capsys,
) -> None:
    """A command the analyst mistyped (a model that does not exist, no workers, a device
    there is not) exits 2 with that one line, as it does with files the limits admit, before
    any model loads: it had exited 1 with the files' refusal, and the mistake came only once
    the limit was raised. The refusal comes before the output folder's lock and settings,
    which a scan that writes nothing never reaches (docs/LIMITS.md)."""
    if "--ray" in extra:
        from forensic_viewer.scan.ray_pool import ray_available

        if not ray_available():
            pytest.skip("Ray is not installed")
    folder, _ = _refused_folder(tmp_path, monkeypatch)
    out = tmp_path / "out"
    argv = scan_args(folder, out, tiny_checkpoint, *extra)
    if command == "analyze":
        argv = ["analyze", *(str(p) for p in sorted(folder.iterdir())), *argv[2:]]
    assert main(argv) == EXIT_USAGE
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("forensic-viewer: error: ") and said in err[0]
    assert no_models == [] and not out.exists()


@pytest.mark.parametrize("command", ["scan", "analyze"])
def test_no_model_installed_is_said_before_every_file_is_refused(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_models: list[object],
    capsys,
) -> None:
    """Without --model and with no model installed, the run cannot start: that is the line
    (exit 2), where every file was said to be over a limit (exit 1), and the real problem
    came only once the limit was raised."""
    import engine.catalog
    from engine.catalog import NO_MODEL_INSTALLED

    empty = tmp_path / "resources" / "models"
    empty.mkdir(parents=True)
    monkeypatch.setattr(engine.catalog, "BUNDLED_MODELS", empty)
    folder, _ = _refused_folder(tmp_path, monkeypatch)
    out = tmp_path / "out"
    argv = ["scan", str(folder), "--out", str(out), "--no-faces"]
    if command == "analyze":
        argv = ["analyze", *(str(p) for p in sorted(folder.iterdir())), *argv[2:]]
    assert main(argv) == EXIT_USAGE
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert err == [f"forensic-viewer: error: {NO_MODEL_INSTALLED}"]
    assert no_models == [] and not out.exists()


_WITHOUT_TORCH = """
    import os, sys
    from pathlib import Path
    from PIL import Image
    root = Path(sys.argv[1])
    os.environ["FORENSIC_VIEWER_MAX_PIXELS"] = "3000"
    os.environ["FORENSIC_VIEWER_MODELS"] = str(root / "models")
    os.environ["FORENSIC_VIEWER_RESOURCES"] = str(root / sys.argv[2])
    folder = root / "evidence"
    folder.mkdir()
    Image.new("RGB", (70, 60)).save(folder / "a.png")
    from forensic_viewer.cli import main
    for extra in (["--device", "bogus"], ["--model", "mine"], ["--model", "mine.safetensors"],
                  ["--model", "ours"], []):
        code = main(["scan", str(folder), "--out", str(root / "out"), "--no-faces", *extra])
        print(code, "torch" in sys.modules, flush=True)
"""


def test_the_checks_before_a_refusal_import_no_torch(tmp_path: Path, tiny_checkpoint: Path) -> None:
    """The refusal of every file stays under a second: a --device of no kind, a --model named
    by its file in the models folders (checkpoint or ensemble) and no model installed are
    told from the names alone; a --model name was looked up in the headers, which imported
    torch (seconds) first. Each run in the same process, torch never imported."""
    from engine.ensemble import ENSEMBLE_SUFFIX
    from tests.conftest import run_bounded

    models = tmp_path / "models"
    models.mkdir()
    (models / "mine.safetensors").write_bytes(tiny_checkpoint.read_bytes())
    (models / f"ours{ENSEMBLE_SUFFIX}").write_text("{}")
    (tmp_path / "empty" / "models").mkdir(parents=True)
    said = run_bounded(_WITHOUT_TORCH, tmp_path, "empty").split("\n")
    assert said[:5] == [
        f"{EXIT_USAGE} False",  # --device bogus
        f"{EXIT_FILES_FAILED} False",  # each file refused
        f"{EXIT_FILES_FAILED} False",
        f"{EXIT_FILES_FAILED} False",
        f"{EXIT_USAGE} False",  # no model installed (an empty bundled folder), no --model
    ], said
