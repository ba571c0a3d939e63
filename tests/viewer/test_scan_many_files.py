"""A folder of thousands of files (docs/BENCHMARKS.md, "A folder of 10,000 files"): what a scan
does once per file must not grow with the number of files. Synthetic rows, counted operations,
never timings."""

from __future__ import annotations

from pathlib import Path

from forensic_viewer.scan.records import error_record
from forensic_viewer.scan.results import ResultLog

N = 2000


def _log_of(out: Path, n: int = N) -> ResultLog:
    out.mkdir()
    log = ResultLog(out)
    for i in range(n):
        log.append(error_record(f"d{i % 7}/f{i:05d}.jpg", f"{i:064x}", f"f{i}: damaged"))
    return log


def test_a_resume_reads_every_row_back_through_one_handle(tmp_path: Path, monkeypatch) -> None:
    """A resume hands each skipped file's row to on_file (results.get): 2,000 rows read back
    opened results.jsonl 2,000 times, 10,000 on a folder of 10,000 files."""
    log = _log_of(tmp_path / "out")
    opened = []
    real = ResultLog._open
    monkeypatch.setattr(ResultLog, "_open", lambda self: opened.append(1) or real(self))
    keys = log.keys()
    rows = [log.get(k) for k in keys]
    assert [r["path"] for r in rows] == keys
    assert rows[1234]["error"] == "f1234: damaged"
    assert len(opened) == 1
    log.close()


def test_rows_appended_and_compacted_are_read_right_through_the_kept_handle(
    tmp_path: Path,
) -> None:
    log = _log_of(tmp_path / "out", 50)
    assert log.get("d0/f00007.jpg")["error"] == "f7: damaged"  # the handle is open now
    log.append(error_record("d0/f00007.jpg", None, "f7: retried, still damaged"))
    assert log.get("d0/f00007.jpg")["error"] == "f7: retried, still damaged"
    log.compact()  # replaces the file: rows move
    assert log.get("d0/f00007.jpg")["error"] == "f7: retried, still damaged"
    assert log.get("d3/f00045.jpg")["error"] == "f45: damaged"
    log.close()
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 50
