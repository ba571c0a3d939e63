"""Analysis ▸ Robustness probe… end to end (offscreen): the worker runs the probe, the table
and the maps fill, Cancel stops it, and the image's report carries the table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QToolBar

from engine.io import load_evidence
from engine.probe import DERIVATIONS, IDENTITY, run_probe
from forensic_viewer.audit import LOG_NAME, AuditLog, file_sha256
from forensic_viewer.cli import main
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.probe_dialog import STEPS, ProbeDialog
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.scan.probe import (
    TABLE_COLUMNS,
    read_scan_probe,
    scan_probe_name,
)
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.wording import verdict_words
from tests.conftest import HANG_MS, memory_evidence, write_calibrated_pair
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import _window, open_and_wait

pytestmark = pytest.mark.gui


def test_the_probe_action_fills_the_table_and_the_maps(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, image_path: Path
) -> None:
    window: MainWindow = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    before, mtime = image_path.read_bytes(), image_path.stat().st_mtime_ns
    open_and_wait(qtbot, window, image_path)
    toolbar = window.findChild(QToolBar, "examination-toolbar")
    assert window.probe_action in toolbar.actions()
    window.probe_action.trigger()  # the toolbar's button and the menu item
    dialog = window.probe_dialog
    assert dialog is not None and dialog.isVisible() and dialog.table.rowCount() == 0
    job = dialog.run()
    assert job is not None and dialog.running and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.status.text().startswith("probe done"), dialog.status.text()

    # the original's row (the window's own analysis, reused), then one per copy
    table = dialog.table
    assert table.rowCount() == 1 + len(DERIVATIONS)
    cells = [[table.item(i, j).text() for j in range(table.columnCount())] for i in range(2)]
    assert [table.horizontalHeaderItem(j).text() for j in range(6)] == list(TABLE_COLUMNS)
    analysis = window.current_analysis()
    assert dialog.result is not None and dialog.result.original is analysis
    # an image this small is outside the verdicts' measured range: marked beside the verdict
    assert analysis.results["tiny"].out_of_range is not None
    marked = f"{verdict_words(analysis.results['tiny'].verdict)} (outside the measured range)"
    assert cells[0][:3] == ["original", "tiny", marked]
    assert "original: outside the measured range: the image's short side" in dialog.notes.text()
    assert cells[1][0] == "jpeg-q95" and cells[1][1] == "tiny"
    assert 0.0 <= float(cells[1][5]) <= 1.0
    assert "no resize" in dialog.notes.text()  # 128 px long side: the social chain's note
    assert dialog.model_choice.currentText() == "tiny"
    assert dialog.grid.count() == 1 + len(DERIVATIONS)  # the original's map and each copy's
    assert image_path.read_bytes() == before and image_path.stat().st_mtime_ns == mtime

    sha = analysis.evidence.sha256
    assert [r["derivation"] for r in window.probe_tables[sha]["rows"]] == [
        d.name for d in DERIVATIONS
    ]
    report = window.export_report()
    assert report is not None
    items = list(report.job.source().items())  # type: ignore[attr-defined]
    assert items[0].probe is window.probe_tables[sha]


def test_cancel_stops_the_probe(qtbot, tmp_path: Path, tiny_checkpoint: Path, image_path: Path):
    window: MainWindow = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, image_path)
    dialog = window.open_probe()
    dialog.run()
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.status.text() == "probe cancelled"
    assert dialog.table.rowCount() == 0 and dialog.result is None
    assert dialog.run_button.isEnabled()


def test_cancel_during_the_probe_stops_it(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> None:
    """Cancel after the first copy's progress: the running analysis stops at its next window
    batch, no result is shown, and the dialog can run again."""
    big = write_image(tmp_path / "big.png", h=384, w=512)
    window: MainWindow = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, big)
    dialog = window.open_probe()
    dialog.run()
    qtbot.waitUntil(lambda: "jpeg-q95 · tiny" in dialog.status.text(), timeout=HANG_MS)
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.status.text() == "probe cancelled"
    assert dialog.result is None and dialog.table.rowCount() == 0
    assert window.probe_tables == {}


def test_closing_the_dialog_cancels_its_probe_and_only_it(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Walk-through E: closed, the dialog left its probe running on the analysis worker (106 s
    on), files opened meanwhile waiting behind it; its Cancel stopped their analyses too."""
    big = write_image(tmp_path / "big.png", h=384, w=512)
    window: MainWindow = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, big)
    dialog = window.open_probe()
    dialog.run()
    other = write_image(tmp_path / "other.png", seed=3)
    window.open_paths([str(other)])  # queued behind the probe
    qtbot.waitUntil(lambda: str(other) in window.entries, timeout=HANG_MS)
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.status.text() == "probe cancelled"
    entry = window.entries[str(other)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert not entry.cancelled and entry.analysis is not None and not entry.analysis.cancelled


def test_a_probe_of_a_file_opened_from_a_scan_joins_that_scans_folder_and_report(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Double-clicked out of a scan's triage table, probed: the table is kept in the scan's
    folder (probes/<key>.probe.json), a report of the scan (and of that image, which is the
    scan's record) lists it, the case log links the file; while a scan holds the folder it
    is not written there and the window says so (the table stays for the case log and the
    image's report)."""
    folder, out = tmp_path / "evidence", tmp_path / "scan"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"f{i}.png", seed=i)
    code = main(["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint),
                 "--no-faces", "--device", "cpu"])  # fmt: skip
    assert code == 0
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        models=[str(tiny_checkpoint)], device="cpu", settings=settings, case_log=log
    )
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    record = ResultIndex(out).get("f1.png")
    window.show_analysis(analysis_from_record(record, out, load_evidence(folder / "f1.png")))

    def probe() -> None:
        dialog = window.open_probe()
        dialog.run()
        qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)

    with OutputLock(out, command="a test scan"):  # a scan writing there: not kept, said so
        probe()
    assert "probe not kept in the scan's folder" in window.statusBar().currentMessage()
    assert not (out / scan_probe_name("f1.png")).exists()
    sha = record["sha256"]
    report = window.export_report()  # yet the image's report carries the table it could not keep
    assert report is not None
    assert [i.probe for i in report.job.source().items()] == [window.probe_tables[sha]]
    probe()
    kept = out / scan_probe_name("f1.png")
    assert json.loads(kept.read_text(encoding="utf-8")) == window.probe_tables[sha]
    assert "kept in the scan's folder" in window.probe_dialog.status.text()
    items = {i.key: i for i in scan_source(out).items()}
    assert items["f1.png"].probe == window.probe_tables[sha] and items["f0.png"].probe is None
    html = write_report(scan_source(out), tmp_path / "report", ("html",))["html"]
    assert html.read_text(encoding="utf-8").count("<h3>Robustness probe</h3>") == 1
    report = window.export_report()  # the image's report: the scan's record, with the probe
    assert report is not None
    assert [i.probe for i in report.job.source().items()] == [window.probe_tables[sha]]
    entries = [json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()]
    probes = [x["details"] for x in entries if x["action"] == "probe-run"]
    assert len(probes) == 2 and "probe_json" not in probes[0]
    assert probes[1]["probe_json"] == {"path": str(kept.resolve()), "sha256": file_sha256(kept)}
    assert read_scan_probe(out, "f1.png", "0" * 64) is None  # of other bytes: not listed


class _Mail:
    def __init__(self) -> None:
        self.handlers: dict[str, object] = {}

    def on(self, kind: str, handler: object) -> None:
        self.handlers[kind] = handler


class _Worker:
    """What the dialog uses of the window's AnalysisWorker; messages are delivered by hand."""

    def __init__(self, names: list[str]) -> None:
        self.mail = _Mail()
        self.model_names = names

    def submit_probe(self, evidence: object, original: object = None) -> int:
        return 1

    def cancel(self) -> None:
        pass

    def cancel_job(self, job: int) -> None:
        pass


def _pixels(h: int = 64, w: int = 64) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_progress_is_of_the_whole_probe_step_by_step(qtbot, tiny_checkpoint: Path) -> None:
    """The probe's own progress messages, in order: the bar only goes forward and stands at
    k / 7 when the k-th step (the original, then each copy) is done; the status names it."""
    from engine.pipeline import Analyzer

    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu", exact=True)  # 20 windows a step
    evidence = memory_evidence(_pixels(160, 192))
    messages: list[tuple[str, int, int]] = []
    result = run_probe(
        analyzer, evidence, progress=lambda p: messages.append((p.stage, p.done, p.total))
    )
    worker = _Worker(analyzer.names)
    dialog = ProbeDialog(worker)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.set_target(evidence)
    assert dialog.run() == 1
    values, ends, texts = [], {}, []
    for stage, done, total in messages:
        worker.mail.handlers["probe-progress"](1, stage, done, total)
        values.append(dialog.progress.value())
        step = STEPS.index(stage.split(" · ")[0])
        texts.append((dialog.status.text(), f"step {step + 1} of {len(STEPS)} · {stage}: "))
        if done == total:
            ends[step] = values[-1]
    assert len(values) > 2 * len(STEPS)  # several messages a step
    assert values == sorted(values) and values[0] < 1000 / len(STEPS)
    assert len(ends) == len(STEPS) == 1 + len(DERIVATIONS)
    for step, value in ends.items():
        assert value == round(1000 * (step + 1) / len(STEPS))
    assert all(text.startswith(start) for text, start in texts), texts
    worker.mail.handlers["probe-done"](1, result)
    assert dialog.progress.value() == 1000 and dialog.status.text().startswith("probe done")


def test_the_maps_shown_first_are_the_ensembles_then_the_analysts_choice(
    qtbot, tiny_checkpoint: Path
) -> None:
    """As in the viewer, the ensemble's maps come first (its member is listed before it); a
    model picked in "Maps of" stays picked for the next probe."""
    from engine.assembly import assemble_analyzer

    analyzer = assemble_analyzer(
        [str(write_calibrated_pair(tiny_checkpoint))], device="cpu", faces=False
    )
    evidence = memory_evidence(_pixels())
    result = run_probe(analyzer, evidence, [IDENTITY])
    assert result.models == ["tiny", "pair"]
    dialog = ProbeDialog(_Worker(analyzer.names))  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show_result(result)
    assert dialog.model_choice.currentText() == "pair"
    assert dialog.grid.count() == 2  # the ensemble's map of the original and of the copy
    dialog.model_choice.setCurrentIndex(0)
    dialog.model_choice.activated.emit(0)  # as a click on "tiny" does
    dialog.show_result(result)
    assert dialog.model_choice.currentText() == "tiny"
