"""A scan's output never leaves its output folder through a symbolic link planted there.

Found by a security walk-through: a link named ``results.jsonl`` pointing at an evidence JPEG
had the scan append its rows to the JPEG (exit 0), and the compaction that followed replaced
the link by a regular file, hiding it; a dangling one created its target outside the folder;
``maps`` or ``thumbs`` pointing at the evidence folder had heatmaps and thumbnails replace
files of the evidence there. Now whoever takes the folder's lock (a scan, a resume, a report,
the batch dialog) refuses such a folder in one line naming the link, before anything is
written (exit 3, as a link at ``.scan.lock``), and ``results.jsonl`` and ``scan.log`` are
appended to with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ForensicError
from forensic_viewer.cli import EXIT_SCAN_FAILED, main
from forensic_viewer.scan.lock import LOCK_NAME, OutputLock, ScanFailed
from forensic_viewer.scan.outfolder import DEEP_FOLDERS, OWN_FILES, OWN_FOLDERS
from forensic_viewer.scan.results import ResultLog
from forensic_viewer.scan.scanlog import ScanLog
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder_hashes(folder: Path) -> dict[str, str]:
    return {p.name: _sha(p) for p in sorted(folder.iterdir())}


@pytest.fixture
def case(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The scanned folder (``ev``), an evidence file elsewhere (``victim/evidence.jpg``) and a
    fresh output folder."""
    ev = tmp_path / "ev"
    ev.mkdir()
    write_rgb(ev / "a.jpg", 40, 48, seed=1, fmt="JPEG")
    victim = tmp_path / "victim"
    victim.mkdir()
    write_rgb(victim / "evidence.jpg", 32, 32, seed=2, fmt="JPEG")
    out = tmp_path / "out"
    out.mkdir()
    return ev, victim / "evidence.jpg", out


def _refused(capsys: Any, link: Path) -> None:
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1, err
    assert f"{link}: is a link;" in err[0] and "must be" in err[0], err


@pytest.mark.parametrize("name", ["results.jsonl", "scan.log", "results.csv", "scan.json"])
def test_a_file_of_the_output_folder_that_is_a_link_to_evidence_is_refused_untouched(
    case: tuple[Path, Path, Path], tiny_checkpoint: Path, capsys: Any, name: str
) -> None:
    ev, evidence, out = case
    before = _sha(evidence)
    (out / name).symlink_to(evidence)
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint) == EXIT_SCAN_FAILED
    _refused(capsys, out / name)
    assert _sha(evidence) == before
    assert (out / name).is_symlink()  # not replaced by a regular file, which hid it
    assert sorted(p.name for p in out.iterdir()) == sorted([LOCK_NAME, name])


def test_a_dangling_results_link_creates_nothing_outside_the_folder(
    case: tuple[Path, Path, Path], tiny_checkpoint: Path, capsys: Any
) -> None:
    ev, evidence, out = case
    target = evidence.parent / "created_elsewhere.sh"
    (out / "results.jsonl").symlink_to(target)
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint) == EXIT_SCAN_FAILED
    _refused(capsys, out / "results.jsonl")
    assert not target.exists()


@pytest.mark.parametrize("name", ["maps", "thumbs", "maps.2", "probes", "earlier-reports"])
def test_a_folder_of_the_output_folder_that_is_a_link_is_refused_and_the_target_untouched(
    case: tuple[Path, Path, Path], tiny_checkpoint: Path, capsys: Any, name: str
) -> None:
    ev, evidence, out = case
    victim = evidence.parent
    # the files a scan of ev would write into maps/ and thumbs/, planted as evidence there
    write_rgb(victim / "a.jpg.jpg", 16, 16, seed=3, fmt="JPEG")
    write_rgb(victim / f"a.jpg.{tiny_checkpoint.stem}.png", 16, 16, seed=4)
    before = _folder_hashes(victim)
    (out / name).symlink_to(victim, target_is_directory=True)
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint) == EXIT_SCAN_FAILED
    _refused(capsys, out / name)
    assert _folder_hashes(victim) == before


def test_a_link_deep_in_maps_is_refused_on_resume_and_nothing_written_is_lost(
    tmp_path: Path, case: tuple[Path, Path, Path], tiny_checkpoint: Path, capsys: Any
) -> None:
    ev, evidence, out = case
    (ev / "sub").mkdir()
    write_rgb(ev / "sub" / "b.png", 40, 48, seed=5)
    assert scan_cli(ev, out, tiny_checkpoint, "--recursive") == 0
    rows = (out / "results.jsonl").read_bytes()
    maps_sub = out / "maps" / "sub"
    kept = tmp_path / "kept-maps"
    maps_sub.rename(kept)
    maps_sub.symlink_to(evidence.parent, target_is_directory=True)
    before = _folder_hashes(evidence.parent)
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint, "--recursive") == EXIT_SCAN_FAILED
    _refused(capsys, maps_sub)
    assert _folder_hashes(evidence.parent) == before
    assert (out / "results.jsonl").read_bytes() == rows


def test_a_link_put_in_maps_after_the_lock_is_refused_as_the_maps_are_written(
    case: tuple[Path, Path, Path], tiny_checkpoint: Path, capsys: Any, monkeypatch: Any
) -> None:
    """The link check runs once, when the lock is taken; a link made at ``maps/sub`` after it
    (here, as the lock is taken) had the scan make its maps in the evidence folder: the
    writing followed it (AtomicFile's mkdir and replace). Each map's folders below the output
    folder are now opened without following links (engine.files.atomic_write_below)."""
    ev, evidence, out = case
    (ev / "sub").mkdir()
    write_rgb(ev / "sub" / "b.png", 40, 48, seed=5)
    maps_sub = out / "maps" / "sub"
    taken = OutputLock.acquire

    def acquire_then_plant(lock: OutputLock) -> OutputLock:
        taken(lock)
        maps_sub.parent.mkdir()
        maps_sub.symlink_to(evidence.parent, target_is_directory=True)
        return lock

    monkeypatch.setattr(OutputLock, "acquire", acquire_then_plant)
    before = _folder_hashes(evidence.parent)
    assert scan_cli(ev, out, tiny_checkpoint, "--recursive") == EXIT_SCAN_FAILED
    err = capsys.readouterr().err
    assert f"{maps_sub}: a symbolic link, not a folder: not written through" in err
    assert _folder_hashes(evidence.parent) == before


def test_a_report_into_a_folder_with_a_link_is_refused(
    case: tuple[Path, Path, Path], tiny_checkpoint: Path, capsys: Any
) -> None:
    ev, evidence, out = case
    assert scan_cli(ev, out, tiny_checkpoint) == 0
    before = _sha(evidence)
    (out / "report.json").symlink_to(evidence)
    capsys.readouterr()
    assert main(["report", str(out), "--format", "json"]) == EXIT_SCAN_FAILED
    _refused(capsys, out / "report.json")
    assert _sha(evidence) == before and (out / "report.json").is_symlink()
    assert not (out / "earlier-reports").exists()


def test_the_lock_refusing_a_link_lets_the_folder_go(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "thumbs").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ScanFailed, match="is a link; a folder of the output folder"):
        OutputLock(out, command="scan").acquire()
    (out / "thumbs").unlink()
    with OutputLock(out, command="scan") as lock:  # released: taken again at once
        assert lock.held


def test_results_and_scan_log_are_never_appended_through_a_link(tmp_path: Path) -> None:
    """Below the lock's check: the appends themselves refuse a link (``O_NOFOLLOW``), as a
    link made while the scan runs would otherwise be followed."""
    evidence = tmp_path / "evidence.jpg"
    evidence.write_bytes(b"\xff\xd8 the evidence")
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").symlink_to(evidence)
    (out / "scan.log").symlink_to(evidence)
    with pytest.raises(ForensicError, match="symbolic link"):
        ResultLog(out)  # opened for appending as it is made
    with pytest.raises(ForensicError, match="symbolic link"):
        ScanLog(out).problem("a.jpg: a bug", "Traceback ...")
    assert evidence.read_bytes() == b"\xff\xd8 the evidence"


def test_the_names_checked_are_those_the_program_writes() -> None:
    from forensic_viewer.report.earlier import EARLIER_REPORTS
    from forensic_viewer.report.probe import BASENAME
    from forensic_viewer.scan.groundtruth import GT_NAME
    from forensic_viewer.scan.maps import MAPS, THUMBS
    from forensic_viewer.scan.probe import PROBE_JSON, PROBE_MAPS
    from forensic_viewer.scan.results import CSV_NAME, RESULTS, SCAN_INFO
    from forensic_viewer.scan.scanlog import SCAN_LOG

    files = {RESULTS, CSV_NAME, SCAN_INFO, SCAN_LOG, GT_NAME, PROBE_JSON}
    files |= {f"{b}.{x}" for b in ("report", BASENAME) for x in ("html", "pdf", "json")}
    assert files <= OWN_FILES
    for name in (MAPS, THUMBS, f"{MAPS}.2", f"{THUMBS}.12", "probes", PROBE_MAPS):
        assert DEEP_FOLDERS.fullmatch(name), name
    for name in (EARLIER_REPORTS, "report_files", "report_files.3"):
        assert OWN_FOLDERS.fullmatch(name), name


@pytest.mark.gui
def test_the_batch_dialog_refuses_a_maps_link_before_loading_a_model(
    qtbot: Any, case: tuple[Path, Path, Path], tiny_checkpoint: Path, monkeypatch: Any
) -> None:
    import engine.assembly
    from forensic_viewer.gui.batch_dialog import BatchDialog
    from tests.conftest import HANG_MS

    def no_models(*a: object, **kw: object) -> None:
        raise AssertionError("models loaded although the folder is refused")

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", no_models)
    ev, evidence, out = case
    write_rgb(evidence.parent / f"a.jpg.{tiny_checkpoint.stem}.png", 16, 16, seed=4)
    before = _folder_hashes(evidence.parent)
    (out / "maps").symlink_to(evidence.parent, target_is_directory=True)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(ev))
    dialog.out.setText(str(out))
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.summary is None
    assert f"{out / 'maps'}: is a link;" in dialog.message.text()
    assert _folder_hashes(evidence.parent) == before
    assert not (out / "results.jsonl").exists()
