"""A scan survives any one file, refuses a second scan beside it, never confuses two files,
never trusts a changed one, and never writes NaN (issue 16, scan side).

Most tests use the stand-in analyzer of test_scan_prefetch (exact and fast); the command-line
ones use the tiny random-weight checkpoint: they check plumbing, never findings.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forensic_viewer.scan.run as scanning
from engine.types import Analysis, Evidence
from forensic_viewer.cli import EXIT_FILES_FAILED, EXIT_OK, EXIT_SCAN_FAILED, main
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.lock import LOCK_NAME, OutputLock, OutputLocked, read_holder
from forensic_viewer.scan.records import (
    ErrorRecord,
    FileRecord,
    NonFiniteResult,
    check_finite,
    record_line,
)
from forensic_viewer.scan.results import ResultIndex, ResultLog, read_records
from forensic_viewer.scan.run import SCAN_LOG, run_scan
from forensic_viewer.scan.triage import triage_rows
from forensic_viewer.scan.walk import scan_files, sha256_of_file
from forensic_viewer.wording import marked, plain
from tests.conftest import HANG_S, write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of, make_folder

ROOT = Path(__file__).resolve().parents[2]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    rows = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in results.jsonl"))
        rows[row["path"]] = row
    return rows


def _raising(real: Any, name: str, exc: BaseException) -> Any:
    """``real`` (a loader or an analyze method), raising ``exc`` for the file called ``name``."""

    def wrapper(*args: Any, **kw: Any) -> Any:
        target = next(a for a in args if isinstance(a, str | Path | Evidence))
        path = target.path if isinstance(target, Evidence) else target
        if Path(path).name == name:
            raise exc
        return real(*args, **kw)

    return wrapper


BUGS = [TypeError("'NoneType' object is not subscriptable"), KeyError(0x0112), struct.error("x")]


# --- 1. one bad file never stops a scan ------------------------------------------------------


@pytest.mark.parametrize("stage", ["decoding", "analysing"])
@pytest.mark.parametrize("bug", BUGS, ids=lambda e: type(e).__name__)
def test_an_unexpected_exception_in_one_file_becomes_its_error_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, bug: Exception
) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    an = StubAnalyzer()
    if stage == "decoding":  # in the prefetch thread
        monkeypatch.setattr(
            scanning, "load_evidence", _raising(scanning.load_evidence, "f001.png", bug)
        )
    else:
        monkeypatch.setattr(an, "analyze", _raising(an.analyze, "f001.png", bug))
    out = tmp_path / "out"
    summary = run_scan(files_of(folder), an, out, source="t")
    assert summary.done == 2 and [k for k, _ in summary.failed] == ["f001.png"]
    rows = _rows(out)
    assert list(rows) == ["f000.png", "f001.png", "f002.png"]
    err = rows["f001.png"]
    assert err["status"] == "error"
    assert err["error"].startswith(f"{folder / 'f001.png'}: unexpected {type(bug).__name__}")
    assert f"while {stage}" in err["error"]
    assert err["sha256"] == _sha(folder / "f001.png")  # the bytes were read
    assert (out / "results.csv").read_text().count("\n") == 4
    log = (out / SCAN_LOG).read_text(encoding="utf-8")
    assert "Traceback" in log and type(bug).__name__ in log and summary.log == out / SCAN_LOG

    again = run_scan(files_of(folder), an, out, source="t")  # the rerun does not die there
    assert (again.skipped, len(again.failed)) == (2, 1)


def _mutants(folder: Path, n: int) -> None:
    """``n`` multi-frame TIFF and GIF files with a few random bytes changed (seeded): the kind
    of file that made Pillow raise TypeError, SyntaxError or KeyError from the loader."""
    import io
    import random

    from PIL import Image

    rng = np.random.default_rng(1)
    frames = [Image.fromarray(rng.integers(0, 256, (32, 32, 3), np.uint8)) for _ in range(3)]
    seeds = []
    for fmt in ("TIFF", "GIF"):
        buf = io.BytesIO()
        frames[0].save(buf, fmt, save_all=True, append_images=frames[1:])
        seeds.append(buf.getvalue())
    pick = random.Random(0)
    folder.mkdir()
    for i in range(n):
        data = bytearray(seeds[i % 2])
        for _ in range(pick.randint(1, 6)):
            data[pick.randrange(len(data))] = pick.randrange(256)
        (folder / f"m{i:03d}.{'gif' if i % 2 == 0 else 'tif'}").write_bytes(bytes(data))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_folder_of_mutated_multi_frame_files_gives_one_row_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    _mutants(folder, 200)
    out = tmp_path / "out"
    summary = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    rows = _rows(out)
    assert len(rows) == 200 == summary.done + len(summary.failed)
    assert all(r["error"] and r["path"] in r["error"] for r in rows.values() if r["error"])


def test_cli_one_bad_file_of_three_exit_1_with_the_csv_and_no_traceback(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from engine.pipeline import Analyzer

    folder = make_folder(tmp_path / "ev", 4)
    monkeypatch.setattr(
        scanning,
        "load_evidence",
        _raising(scanning.load_evidence, "f001.png", TypeError("n_frames is None")),
    )
    monkeypatch.setattr(
        Analyzer, "analyze", _raising(Analyzer.analyze, "f002.png", KeyError("weights"))
    )
    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main(args) == EXIT_FILES_FAILED
    rows = _rows(out)
    assert [r["status"] for r in rows.values()] == ["ok", "error", "error", "ok"]
    assert "unexpected TypeError while decoding: n_frames is None" in rows["f001.png"]["error"]
    assert "unexpected KeyError while analysing: 'weights'" in rows["f002.png"]["error"]
    assert (out / "results.csv").read_text().count("\n") == 5
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "f001.png" in captured.err and str(out / SCAN_LOG) in captured.err


def test_cli_a_failure_of_the_scan_itself_exits_3(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    img = write_rgb(tmp_path / "a.png", 24, 24)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    base = ["analyze", str(img), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main([*base, "--out", str(blocker / "out")]) == EXIT_SCAN_FAILED
    err = capsys.readouterr().err
    assert "cannot be used as the output folder" in err and "Traceback" not in err

    def disk_full(self: ResultLog, record: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ResultLog, "append", disk_full)
    assert main([*base, "--out", str(tmp_path / "out")]) == EXIT_SCAN_FAILED
    err = capsys.readouterr().err
    assert f"{tmp_path / 'out'}: no space left on device" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# --- 2. one scan per output folder -----------------------------------------------------------


def test_a_second_scan_into_a_locked_folder_is_refused_at_once(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = make_folder(tmp_path / "ev", 2)
    out = tmp_path / "out"
    with OutputLock(out, command="first scan") as held:
        holder = read_holder(out)
        assert holder["pid"] == os.getpid() and holder["command"] == "first scan"
        code = main(["scan", str(folder), "--out", str(out), "--model", "no-such-model"])
        assert code == EXIT_SCAN_FAILED  # refused before the models are even looked for
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"PID {os.getpid()}" in err and holder["started"] in err
        with pytest.raises(OutputLocked, match=f"PID {os.getpid()}"):
            run_scan(files_of(folder), StubAnalyzer(), out, source="t")
        assert not (out / "results.jsonl").exists() and not (out / "scan.json").exists()
        assert held.held
    assert read_holder(out) == {}  # cleared on release; the file stays
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--no-faces"]) == EXIT_OK


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX: kill -9 the holder")
def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from forensic_viewer.scan.lock import OutputLock
                OutputLock(Path({str(out)!r}), command="child").acquire()
                print("locked", flush=True)
                time.sleep(120)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(OutputLocked, match=f"PID {child.pid}") as refused:
            OutputLock(out).acquire()
        assert refused.value.holder["command"] == "child"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(HANG_S)
    assert read_holder(out)["pid"] == child.pid  # the killed holder's text is still there
    with OutputLock(out) as lock:  # but the OS released its lock
        assert lock.held and read_holder(out)["pid"] == os.getpid()
    assert (out / LOCK_NAME).exists()


def test_readers_skip_a_half_written_last_line(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source=str(folder))
    full = (out / "results.jsonl").read_bytes()
    last = full.splitlines(keepends=True)[-1]
    with open(out / "results.jsonl", "ab") as f:  # a writer caught mid-row
        f.write(last[: len(last) // 2].replace(b"f002", b"f009"))
    index = ResultIndex(out)
    assert index.keys() == ["f000.png", "f001.png", "f002.png"] and index.ends_torn
    assert [r.key for r in triage_rows(out)] == index.keys()
    paths = write_report(scan_source(out), out / "report", ["html", "json"])
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [i["path"] for i in doc["items"]] == index.keys()
    assert set(read_records(out)) == set(index.keys())


def test_an_index_reads_the_right_rows_after_the_file_was_rewritten_under_it(
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    reader = ResultIndex(out)
    lines = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    # another process retried f000 and compacted: every row moved
    (out / "results.jsonl").write_bytes(b"".join([lines[2], lines[1], lines[0]]))
    assert reader.get("f000.png")["path"] == "f000.png"
    assert [r.path for r in reader.iter_records(["f002.png", "f000.png"])] == [
        "f002.png",
        "f000.png",
    ]


def test_scan_json_is_written_aside_and_renamed(tmp_path: Path, monkeypatch) -> None:
    import forensic_viewer.scan.settings as settings  # where scan.json is written

    written: list[Path] = []
    real = settings.atomic_write

    def spy(path: Path, data: Any, **kw: Any) -> Path:
        written.append(Path(path))
        return real(path, data, **kw)

    monkeypatch.setattr(settings, "atomic_write", spy)
    folder = make_folder(tmp_path / "ev", 1)
    run_scan(files_of(folder), StubAnalyzer(), tmp_path / "out", source="t")
    # at the start (settings, the run "running") and at the end (how the run ended)
    assert written == [tmp_path / "out" / "scan.json"] * 2
    assert json.loads((tmp_path / "out" / "scan.json").read_text())["source"] == "t"


# --- 3. analyze never reports another file's result ------------------------------------------


def test_analyze_same_name_from_two_folders_never_confuses_them(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    a = write_rgb(tmp_path / "A" / "x.png", 40, 40, seed=1)
    b = write_rgb(tmp_path / "B" / "x.png", 40, 40, seed=2)
    out = tmp_path / "out"
    base = ["--out", str(out), "--model", str(tiny_checkpoint), "--no-faces", "--report", "json"]

    def report() -> list[dict[str, Any]]:
        return json.loads((out / "report.json").read_text(encoding="utf-8"))["items"]

    assert main(["analyze", str(a), *base]) == EXIT_OK
    assert main(["analyze", str(b), *base]) == EXIT_OK  # B/x.png: not A's row
    assert "1 analysed, 0 already done" in capsys.readouterr().out
    rows = _rows(out)
    assert {k: (r["file"], r["sha256"]) for k, r in rows.items()} == {
        "x.png": (str(a), _sha(a)),
        "x-2.png": (str(b), _sha(b)),
    }
    (item,) = report()
    assert (item["path"], item["file"], item["sha256_at_load"]) == ("x-2.png", str(b), _sha(b))
    assert item["integrity"]["status"] == "match"

    assert main(["analyze", str(a), *base]) == EXIT_OK  # A again: its own row, resumed
    assert "0 analysed, 1 already done" in capsys.readouterr().out
    (item,) = report()
    assert (item["path"], item["file"], item["integrity"]["status"]) == ("x.png", str(a), "match")

    b.write_bytes(a.read_bytes())  # B now holds A's bytes: B's row is analysed again
    assert main(["analyze", str(b), str(a), *base]) == EXIT_OK
    rows = _rows(out)
    assert rows["x-2.png"]["sha256"] == _sha(a) and rows["x-2.png"]["file"] == str(b)
    assert len(rows) == 2
    assert [(i["path"], i["integrity"]["status"]) for i in report()] == [
        ("x-2.png", "match"),
        ("x.png", "match"),
    ]


# --- 4. resume never trusts a changed file ---------------------------------------------------


def _same_size_other_bytes(path: Path) -> None:
    """Change one pixel byte of an uncompressed BMP, keeping its size and modification time."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_resume_analyses_a_changed_file_again_and_marks_the_change(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"f{i}.bmp", 24, 32, seed=i, fmt="BMP")
    out = tmp_path / "out"
    first = StubAnalyzer()
    run_scan(files_of(folder), first, out, source="t")
    old = _sha(folder / "f1.bmp")
    _same_size_other_bytes(folder / "f1.bmp")

    again = StubAnalyzer()
    summary = run_scan(files_of(folder), again, out, source="t")
    assert again.calls == ["f1.bmp"] and (summary.done, summary.skipped) == (1, 2)
    assert summary.changed == ["f1.bmp"]
    row = _rows(out)["f1.bmp"]
    assert row["sha256"] == _sha(folder / "f1.bmp") != old
    keys = list(row)  # after the row's results, before the fields a newer version appends
    assert row["replaces"] == {"sha256": old} and keys.index("run") == keys.index("replaces") + 1
    rec = read_records(out)["f1.bmp"]
    assert isinstance(rec, FileRecord) and rec.replaces == old
    assert "replaces" not in _rows(out)["f0.bmp"]

    third = StubAnalyzer()  # unchanged since: skipped, the mark stays with its row
    assert run_scan(files_of(folder), third, out, source="t").skipped == 3 and not third.calls
    assert _rows(out)["f1.bmp"]["replaces"] == {"sha256": old}


def test_a_changed_file_that_no_longer_decodes_replaces_its_result_with_an_error(
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path / "ev", 2)
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    old = _sha(folder / "f001.png")
    (folder / "f001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    summary = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    assert summary.changed == ["f001.png"]
    rec = read_records(out)["f001.png"]
    assert isinstance(rec, ErrorRecord) and rec.replaces == old
    assert rec.sha256 == _sha(folder / "f001.png")


# --- 5. small ones ---------------------------------------------------------------------------


def test_an_error_row_records_the_sha256_of_the_bytes_read_and_null_when_none_were(
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path / "ev", 2, corrupt={1})
    (folder / "gone.png").symlink_to(folder / "nowhere.png")  # listed, but no bytes to read
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    rows = _rows(out)
    assert rows["f001.png"]["sha256"] == _sha(folder / "f001.png")
    assert rows["gone.png"]["status"] == "error" and rows["gone.png"]["sha256"] is None


def test_a_symbolic_link_loop_named_like_an_image_is_listed_and_gets_its_error_row(
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path / "ev", 1)
    (folder / "loop1.png").symlink_to("loop2.png")
    (folder / "loop2.png").symlink_to("loop1.png")
    out = folder / "out"  # inside the folder: the listing resolves every file against it
    files = scan_files(folder, False, exclude=out)
    assert [k for _, k in files] == ["f000.png", "loop1.png", "loop2.png"]
    summary = run_scan(files, StubAnalyzer(), out, source="t")
    assert summary.done == 1 and [k for k, _ in summary.failed] == ["loop1.png", "loop2.png"]
    assert "loop1.png" in _rows(out)["loop1.png"]["error"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="/dev/null and named pipes are POSIX")
def test_a_device_named_like_an_image_is_an_error_row_without_a_sha256(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 1)
    (folder / "null.png").symlink_to(os.devnull)  # its "bytes" were never evidence
    out = tmp_path / "out"
    summary = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    row = _rows(out)["null.png"]
    assert summary.done == 1 and [k for k, _ in summary.failed] == ["null.png"]
    assert row["status"] == "error" and "not a regular file" in row["error"]
    assert row["sha256"] is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(HANG_S)  # before the fix the open waited for a writer forever
def test_hashing_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        sha256_of_file(fifo)


class NanAnalyzer(StubAnalyzer):
    """The stub, giving a NaN score for one file (a model that broke on it)."""

    def analyze(self, evidence: Evidence, **kw: Any) -> Analysis:
        analysis = super().analyze(evidence, **kw)
        if Path(evidence.path).name == "f001.png":
            analysis.results["stub"].score = math.nan
        return analysis


def test_a_non_finite_result_becomes_the_files_error_row_naming_the_model(
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    out = tmp_path / "out"
    summary = run_scan(files_of(folder), NanAnalyzer(), out, source="t")
    assert summary.done == 2 and [k for k, _ in summary.failed] == ["f001.png"]
    rows = _rows(out)  # strict JSON: fails on a bare NaN
    err = rows["f001.png"]["error"]
    assert "model 'stub'" in err and "models.stub.score = nan" in err and "f001.png" in err
    assert not (out / "maps" / "f001.png.stub.png").exists()  # nothing written for it
    assert (out / "maps" / "f002.png.stub.png").exists()


def test_the_writer_never_writes_nan() -> None:
    rec = FileRecord(path="a.png", sha256="0" * 64, width=1, height=1, seconds=math.inf)
    with pytest.raises(ValueError):
        record_line(rec)
    with pytest.raises(NonFiniteResult, match=r"a\.png: the analysis gave .*seconds = inf"):
        check_finite(rec)


EVIL = "photo\u202egnp.exe\x1b[31m.png"  # shows as "photoexe.png..." when obeyed


def test_control_and_bidi_characters_are_shown_never_obeyed(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    assert plain("a\u202eb\u2066c\u200fd\x1b") == "a\\u202eb\\u2066c\\u200fd\\x1b"
    assert marked("a\u202eb\nc\x00") == "a[U+202E]b\nc[U+0000]"
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / EVIL, 24, 24)
    (folder / ("bad\u202e.png")).write_text("not an image")
    out = tmp_path / "out"
    code = main(scan_args(folder, out, tiny_checkpoint, "--report", "html"))
    assert code == EXIT_FILES_FAILED
    printed = capsys.readouterr()
    terminal = printed.out + printed.err
    assert "\u202e" not in terminal and "\x1b" not in terminal
    assert "photo\\u202egnp.exe\\x1b[31m.png" in printed.out
    assert "bad\\u202e.png" in printed.err
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "\u202e" not in html and "\x1b" not in html
    assert "photo[U+202E]gnp.exe[U+001B][31m.png" in html
    assert _rows(out)[EVIL]["path"] == EVIL  # the data keeps the name as it is


def test_the_cli_documents_its_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = (ROOT / "docs" / "RESULTS.md").read_text(encoding="utf-8")
    for doc in (readme, results):
        # exit 3 is said with its main cause (README's sentence names more than the scan)
        assert re.search(r"3 when [^.;]{0,60}the scan itself failed", " ".join(doc.split()))
