"""A folder a scan cannot list is said, one line naming it and why, and the scan goes on.

An analyst points the scan at a seized disk image's mounted folder: some folders there are
unreadable to the examiner's account (permissions kept from the seized system), or lie deeper
than the system's path limit (4,096 bytes on Linux), or fail with an I/O error on a damaged
medium. The walk dropped each without a word: the scan reported "N analysed" and the files
in those folders were never seen, nor was the analyst told that a part of the evidence was
missing. Each such folder is now named in one line (``scan_files``' ``unread``, the command
line's stderr, the batch dialog's message) and the rest is scanned.

Tests may run as root, whom ``chmod 000`` does not stop: a folder beyond the path limit is
made for real (through folder descriptors), and permission denied is simulated by the
listing raising :class:`PermissionError` as it does for an unprivileged examiner.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from forensic_viewer.scan.walk import Unread, scan_files
from tests.conftest import HANG_MS, deep_copy
from tests.viewer.conftest import scan_cli, write_image

PATH_MAX = 4096  # Linux's limit on a path given to a system call
SCANDIR = os.scandir  # the real one: denied() replaces it
LONG = "d" * 200


def deep_folder(root: Path, image: Path) -> Path:
    """A chain of folders below ``root`` whose path passes :data:`PATH_MAX`, made through
    folder descriptors (a path that long cannot be named to ``mkdir``), holding a copy of
    ``image``; the first of those folders whose own path is beyond the limit."""
    deep_copy(root, LONG, PATH_MAX // (len(LONG) + 1) + 1, image.read_bytes())
    path = root
    while len(os.fsencode(path)) < PATH_MAX:
        path = path / LONG
    return path


def denied(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Listing ``folder`` raises PermissionError, as ``chmod 000`` makes it for anyone but root."""
    scandir = os.scandir

    def listing(path: object = ".") -> object:
        if Path(os.fspath(path)) == folder:  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", listing)


def test_an_unreadable_sub_folder_is_named_with_its_reason_and_the_rest_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "evidence"
    (folder / "locked").mkdir(parents=True)
    write_image(folder / "a.png", 32, 32)
    write_image(folder / "locked" / "hidden.png", 32, 32, seed=1)
    write_image(folder / "zz.png", 32, 32, seed=2)
    denied(monkeypatch, folder / "locked")
    unread: list[Unread] = []
    files = scan_files(folder, recursive=True, unread=unread)
    assert [k for _, k in files] == ["a.png", "zz.png"]
    assert unread == [Unread(folder / "locked", "Permission denied", folder=True)]


def test_an_unreadable_file_not_named_like_an_image_is_named_not_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A photograph without a suffix (an app's cache) that the examiner may not read was
    counted among the files "passed over, not images by name or content": a claim about its
    content that nobody could check. It is named with its reason instead; a pipe is still
    passed over, as no file's content."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_image(folder / "a.png", 32, 32)
    write_image(folder / "cache0001", 32, 32, seed=1)
    (folder / "notes.txt").write_text("no image")
    os.mkfifo(folder / "pipe")
    real_open = os.open

    def open_denied(path: object, *args: object, **kw: object) -> int:
        if Path(os.fspath(path)) == folder / "cache0001":  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real_open(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_denied)
    unread: list[Unread] = []
    left_out: list[Path] = []
    files = scan_files(folder, recursive=False, left_out=left_out, unread=unread)
    assert [k for _, k in files] == ["a.png"]
    assert unread == [Unread(folder / "cache0001", "Permission denied", folder=False)]
    assert unread[0].line() == (
        f"{folder / 'cache0001'}: file cannot be read (Permission denied); skipped: not known "
        "to be an image"
    )
    assert sorted(p.name for p in left_out) == ["notes.txt", "pipe"]


def test_a_folder_beyond_the_path_limit_is_named_not_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    image = write_image(tmp_path / "a.png", 32, 32)
    too_deep = deep_folder(folder, image)
    write_image(folder / "b.png", 32, 32, seed=1)
    unread: list[Unread] = []
    files = scan_files(folder, recursive=True, unread=unread)
    assert [k for _, k in files] == ["b.png"]
    assert unread == [Unread(too_deep, "File name too long", folder=True)]


def test_an_unreadable_output_folder_inside_the_scanned_one_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output folder is no evidence: what the walk meets in it is never the scan's news."""
    folder = tmp_path / "evidence"
    (folder / "out").mkdir(parents=True)
    write_image(folder / "a.png", 32, 32)
    denied(monkeypatch, folder / "out")
    unread: list[Unread] = []
    scan_files(folder, recursive=True, exclude=folder / "out", unread=unread)
    assert unread == []


def test_scan_names_an_unreadable_folder_in_one_line_and_scans_the_rest(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = tmp_path / "evidence"
    (folder / "locked").mkdir(parents=True)
    write_image(folder / "a.png", 48, 56)
    write_image(folder / "locked" / "hidden.png", 48, 56, seed=1)
    denied(monkeypatch, folder / "locked")
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive", "--jobs", "1") == 0
    err = capsys.readouterr().err
    line = f"{folder / 'locked'}: folder cannot be read (Permission denied); skipped: none of "
    assert [ln for ln in err.splitlines() if ln.startswith(line)], err
    rows = [json.loads(r) for r in (out / "results.jsonl").read_text().splitlines()]
    assert [(r["path"], r["status"]) for r in rows] == [("a.png", "ok")]


def test_scan_json_and_the_case_log_record_the_folders_the_scan_could_not_read(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The folders a scan could not list were said on stderr and nowhere else: scan.json and
    the case log recorded the run's other facts, so nothing kept could tell that the scan did
    not cover them. scan.json's ``run`` and ``scan-started`` record them now (counted, the
    first named with why), to the run's end; a run that reads everything records none."""
    from forensic_viewer.audit import LOG_NAME, verify_log

    folder, case = tmp_path / "evidence", tmp_path / "case"
    for name in ("locked", "sealed"):
        (folder / name).mkdir(parents=True)
        denied(monkeypatch, folder / name)
    write_image(folder / "a.png", 48, 56)
    out = tmp_path / "out"
    args = ("--recursive", "--jobs", "1", "--case", str(case), "--report", "html,pdf")
    assert scan_cli(folder, out, tiny_checkpoint, *args) == 0
    expected = {
        "folders": 2,
        "files": 0,
        "first": [
            {"path": str(folder / n), "folder": True, "reason": "Permission denied"}
            for n in ("locked", "sealed")
        ],
    }
    run = json.loads((out / "scan.json").read_text(encoding="utf-8"))["run"]
    assert run["state"] == "finished" and run["unread"] == expected
    log = verify_log(case / LOG_NAME)
    (started,) = [e for e in log.entries if e.action == "scan-started"]
    assert started.details["unread"] == expected
    # the report's Case section says what the scan did not cover, beside what it covers
    said = (
        f"2 folder(s) could not be read by the scan: {folder / 'locked'} (Permission denied); "
        f"{folder / 'sealed'} (Permission denied). Their files are in no row of this report."
    )
    (html,) = out.glob("*.html")
    assert f"<td>{said}</td>" in html.read_text(encoding="utf-8")
    (pdf,) = out.glob("*.pdf")
    pdf_text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert said.replace(" ", "") in pdf_text.replace(" ", "")

    monkeypatch.setattr(os, "scandir", SCANDIR)  # the folders readable again
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive", "--jobs", "1") == 0
    run = json.loads((out / "scan.json").read_text(encoding="utf-8"))["run"]
    assert "unread" not in run  # the resumed run read everything
    assert run["command"]["line"]  # kept beside it, as before
    capsys.readouterr()


@pytest.mark.gui
def test_the_batch_dialog_names_an_unreadable_folder_when_it_lists_the_files(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensic_viewer.gui.batch_dialog import BatchDialog

    folder = tmp_path / "evidence"
    (folder / "locked").mkdir(parents=True)
    write_image(folder / "a.png", 48, 56)
    denied(monkeypatch, folder / "locked")
    said: list[str] = []
    listed = BatchDialog._on_listed

    def on_listed(self: BatchDialog, *args: object) -> None:
        listed(self, *args)  # type: ignore[arg-type]
        said.append(self.message.text())

    monkeypatch.setattr(BatchDialog, "_on_listed", on_listed)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.recursive.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert len(said) == 1 and "\n" not in said[0]
    assert f"{folder / 'locked'}: folder cannot be read (Permission denied)" in said[0]
    assert dialog.summary.done == 1
    run = json.loads((tmp_path / "out" / "scan.json").read_text(encoding="utf-8"))["run"]
    assert run["unread"]["folders"] == 1  # recorded as the command line records it
    assert run["unread"]["first"][0]["path"] == str(folder / "locked")


@pytest.mark.gui
def test_a_folder_whose_only_images_cannot_be_read_is_refused_naming_why(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing to scan because the folders holding the images cannot be read: the refusal
    says so, in one line with the first of them and how many more."""
    from forensic_viewer.gui.batch_dialog import BatchDialog

    folder = tmp_path / "evidence"
    for name in ("a", "b", "c"):
        (folder / name).mkdir(parents=True)
        write_image(folder / name / "x.png", 32, 32)
    scandir = os.scandir

    def listing(path: object = ".") -> object:
        if Path(os.fspath(path)) != folder:  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", listing)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.recursive.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    text = dialog.message.text()
    assert text.startswith(f"{folder}: no images to analyse") and "\n" not in text
    assert text.endswith(
        f"({folder / 'a'}: folder cannot be read (Permission denied); skipped: none of its "
        "files are scanned, and 2 more)"
    )
