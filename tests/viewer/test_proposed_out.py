"""The output folder proposed for a folder of evidence (forensic_viewer.scan.proposed_out): in
the per-user folder, off the evidence medium. The batch dialog proposed ``<folder>-scan`` and
the report dialog ``<folder>-reports`` beside the evidence: on a read-only evidence mount Start
failed, and on writable media the product wrote onto the evidence medium by default.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.environ import user_data_dir
from forensic_viewer.scan.proposed_out import (
    REPORTS,
    SCANS,
    earlier_scan_output,
    proposed_output,
    proposed_scan_output,
)
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image


def _medium(tmp_path: Path) -> Path:
    """``medium/case/DCIM``: a folder of evidence on a medium of its own."""
    folder = tmp_path / "medium" / "case" / "DCIM"
    folder.mkdir(parents=True)
    return folder


def test_the_proposal_is_in_the_user_folder_never_in_or_beside_the_evidence(
    tmp_path: Path,
) -> None:
    folder = _medium(tmp_path)
    for kind in (SCANS, REPORTS):
        out = proposed_output(folder, kind)
        assert out.parent == user_data_dir() / kind
        assert tmp_path / "medium" not in out.parents  # nothing on the evidence medium
        assert out.name.startswith("DCIM-") and len(out.name) == len("DCIM-") + 8


def test_the_proposal_is_the_same_for_a_folder_and_differs_for_two_of_one_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _medium(tmp_path)
    other = tmp_path / "medium" / "other-case" / "DCIM"
    other.mkdir(parents=True)
    first = proposed_output(folder)
    assert proposed_output(folder) == first == proposed_scan_output(folder)  # Start resumes
    monkeypatch.chdir(folder.parent)
    assert proposed_output("DCIM") == first == proposed_output(str(folder) + "/")  # as named
    assert proposed_output(other) != first  # two cases' DCIM never share their results
    assert proposed_output(other).name.startswith("DCIM-")


def test_a_name_of_255_bytes_gives_a_folder_that_can_be_made(tmp_path: Path) -> None:
    """The long name of the walk-through: ``<255 bytes>-scan`` was a name too long."""
    folder = tmp_path / ("é" * 127 + "x")  # 255 bytes in UTF-8
    folder.mkdir()
    out = proposed_output(folder)
    assert len(os.fsencode(out.name)) <= 255 and out.name.startswith("é")
    out.mkdir(parents=True)  # no "File name too long"


def test_an_earlier_scan_beside_the_folder_is_proposed_while_it_holds_that_folders_scan(
    tmp_path: Path,
) -> None:
    """A scan an earlier version made into ``<folder>-scan`` resumes there."""
    folder = _medium(tmp_path)
    earlier = folder.with_name("DCIM-scan")
    assert earlier_scan_output(folder) is None  # none there
    earlier.mkdir()
    (earlier / "scan.json").write_text(json.dumps({"source": str(folder.resolve())}))
    assert proposed_scan_output(folder) == earlier
    (earlier / "scan.json").write_text(json.dumps({"source": "/another/DCIM"}))
    assert proposed_scan_output(folder) == proposed_output(folder)  # another folder's scan
    (earlier / "scan.json").write_text("{not json")
    assert proposed_scan_output(folder) == proposed_output(folder)


@pytest.mark.gui
def test_a_batch_scan_with_no_output_folder_chosen_writes_nothing_beside_the_evidence(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from forensic_viewer.gui.batch_dialog import BatchDialog

    folder = _medium(tmp_path)
    write_image(folder / "a.png", 48, 56, seed=0)
    medium = sorted((tmp_path / "medium").rglob("*"))
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.start()
    out = proposed_output(folder)
    assert dialog.out.text() == str(out)  # shown from the start, as a typed one is
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert (out / "results.jsonl").is_file(), dialog.message.text()
    assert sorted((tmp_path / "medium").rglob("*")) == medium  # the medium as it was
    assert "evidence medium" in dialog.out.placeholderText()
    assert str(user_data_dir() / SCANS) in dialog.out.toolTip()


@pytest.mark.gui
def test_an_images_report_is_offered_off_the_evidence_medium(qtbot, tmp_path: Path) -> None:
    from forensic_viewer.gui.report_dialog import ReportDialog
    from forensic_viewer.gui.report_job import ReportJob, reports_folder

    folder = _medium(tmp_path)
    offered = reports_folder(folder / "a.png")
    assert offered == proposed_output(folder, REPORTS)
    dialog = ReportDialog(ReportJob(list, "a.png", "a.png.report", offered))
    qtbot.addWidget(dialog)
    assert Path(dialog.dest.text()) == offered and not dialog.message.text()
