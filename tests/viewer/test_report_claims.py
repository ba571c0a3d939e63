"""What a report states is what it shows: each figure under a heading that names it rightly,
checked on a scan whose evidence changed before the report was written.

The checkpoint has random weights: these tests check what the report says, never a finding.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from forensic_viewer.report import scan_source, write_report
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


class SummaryTable(HTMLParser):
    """The summary table's header cells and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and ("id", "summary") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.inside = False
        elif self.inside and tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_summary_names_the_digest_it_shows_of_a_file_changed_since_the_scan(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    changed = write_rgb(folder / "a.png", 40, 32, seed=1)
    at_load = hashlib.sha256(changed.read_bytes()).hexdigest()
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint) == 0
    changed.write_bytes(changed.read_bytes() + b"tampered")
    now = hashlib.sha256(changed.read_bytes()).hexdigest()
    html = write_report(scan_source(out), tmp_path / "report", ["html"])["html"]
    table = SummaryTable()
    table.feed(html.read_text(encoding="utf-8"))
    header, row = table.rows[0], table.rows[1]
    assert "CHANGED" in row[-1] and at_load[:8] in row[-1] and now[:8] not in row[-1]
    # the digest shown is the one at load: a heading saying "at export" would tell a reader
    # the file has it now, against the warning above the table
    assert "SHA-256 at load" in header[-1] and "SHA-256 at export" not in header[-1]


def test_a_report_the_command_cannot_write_is_one_line_naming_the_file_not_errno_text(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 32, seed=1)
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)  # in the way of the report
    assert scan_cli(folder, out, tiny_checkpoint, "--report", "html") != 0
    err = capsys.readouterr().err.strip().splitlines()
    # the file's progress line (stderr is not a terminal here), then the one error line
    assert len(err) == 2 and re.fullmatch(r"\[1/1\] a\.png: [a-z ]+, \d+ s", err[0]), err
    assert (
        err[-1]
        == f"forensic-viewer: error: cannot write the report: {out}/report.html: is a directory"
    )
    assert (out / "report.html").is_dir() and not list(out.glob("report*.tmp"))


def test_a_list_parameter_reads_as_its_values_never_as_a_python_list() -> None:
    from forensic_viewer.report.text import num

    # jpeg-ghost's "qualities" is empty unless a list replaces q_min..q_max
    assert num([]) == "—" and num(()) == "—"
    assert num([50, 75.5]) == "50 / 75.5"
