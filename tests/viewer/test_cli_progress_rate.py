"""The command line's status line counts only the files this run analyses, from the first it
finished (walk-through 2026-12-06: a resume of 8,000 files left at 10 files/s said
"[1400/9720] 91.33 files/s ETA 91s", every run began "0.05 files/s ETA 183686s")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import forensic_viewer.cli_scan
from engine.formatting import format_duration
from forensic_viewer.cli import main
from forensic_viewer.cli_progress import ETA_AFTER, ProgressBar
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_resume_s_skipped_files_are_not_in_the_rate_or_the_time_left() -> None:
    clock = FakeClock(100.0)
    bar = ProgressBar(9720, enabled=False, to_analyse=8320, clock=clock)
    for i in range(1400):  # finished before: reported in an instant
        bar.file_done(i, analysed=False)
    assert bar.rate() is None and "ETA" not in bar.status()
    clock.now += 20.0  # the workers' start-up, then one file every 0.1 s
    for i in range(1400, 1400 + ETA_AFTER + 10):
        clock.now += 0.1
        bar.file_done(i, analysed=True)
    assert bar.rate() == pytest.approx(10.0)
    assert format_duration(8305 / 10.0) == "13:50"  # not "830s"
    left = 8320 - (ETA_AFTER + 10)
    assert bar.status().endswith(f"10.00 files/s ETA {format_duration(left / 10.0)}")
    assert f"{ETA_AFTER + 10} of 8320 to analyse" in bar.status()


def test_no_rate_until_a_few_files_are_analysed_and_start_up_is_not_in_it() -> None:
    clock = FakeClock()
    bar = ProgressBar(9720, enabled=False, clock=clock)
    clock.now = 20.0  # start-up before the first file finishes
    bar.file_done(0, analysed=True)
    assert bar.status() == "[1/9720]"
    for i in range(1, ETA_AFTER):
        clock.now += 0.5
        bar.file_done(i, analysed=True)
    assert bar.rate() == pytest.approx(2.0)
    assert (
        bar.status()
        == f"[{ETA_AFTER}/9720] 2.00 files/s ETA {format_duration((9720 - ETA_AFTER) / 2)}"
    )


def test_the_scan_tells_the_bar_which_files_it_analysed(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, out = tmp_path / "evidence", tmp_path / "out"
    folder.mkdir()
    write_rgb(folder / "a.png", 70, 90, seed=1)
    write_rgb(folder / "b.png", 40, 50, seed=2)
    args = scan_args(folder, out, tiny_checkpoint)
    assert main(args) == 0
    write_rgb(folder / "c.png", 60, 60, seed=3)
    bars: list[ProgressBar] = []
    calls: list[bool] = []

    class Recorded(ProgressBar):
        def __init__(self, *a, **k) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*a, **k)
            bars.append(self)

        def file_done(self, index: int, analysed: bool) -> None:
            calls.append(analysed)
            super().file_done(index, analysed)

    monkeypatch.setattr(forensic_viewer.cli_scan, "ProgressBar", Recorded)
    assert main(args) == 0
    (bar,) = bars
    assert (bar.total, bar.to_analyse) == (3, 1)
    assert sorted(calls) == [False, False, True] and bar.analysed == 1


def test_a_scan_to_a_log_says_each_file_as_it_finishes(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """stderr redirected (not a terminal: no status line): one plain line per file analysed,
    written as it finishes, not at the end (a walk-through's 14.5-minute scan left its log
    empty until it ended); a resume's skipped files get none."""
    folder, out = tmp_path / "evidence", tmp_path / "out"
    folder.mkdir()
    write_rgb(folder / "a.png", 70, 90, seed=1)
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    seen: list[str] = []  # stderr as each next file began to be reported

    class Watched(ProgressBar):
        def file_done(self, index: int, analysed: bool) -> None:
            seen.append(capsys.readouterr().err)
            super().file_done(index, analysed)

    monkeypatch.setattr(forensic_viewer.cli_scan, "ProgressBar", Watched)
    assert main(scan_args(folder, out, tiny_checkpoint)) == 1  # b.png fails
    err = capsys.readouterr().err
    assert re.search(
        r"^\[1/2\] a\.png: (not flagged|flagged as manipulated), \d+ s$", seen[1], re.M
    )
    assert re.search(r"^\[2/2\] b\.png: error$", err, re.M)  # an error row has no time
    write_rgb(folder / "c.png", 60, 60, seed=3)
    seen.clear()
    main(scan_args(folder, out, tiny_checkpoint))
    lines = re.findall(r"^\[\d/3\] .*$", "".join(seen) + capsys.readouterr().err, re.M)
    assert [line.split(":")[0] for line in lines] == ["[2/3] b.png", "[3/3] c.png"]


def test_a_terminal_keeps_its_status_line_alone(capsys) -> None:
    bar = ProgressBar(3, enabled=True)
    bar.file_done(0, analysed=True)
    bar.file_line(0, "a.png: not flagged, 2 s")
    bar.close()
    err = capsys.readouterr().err
    assert err.startswith("\r[1/3]") and "a.png" not in err
