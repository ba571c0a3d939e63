"""The files of a scan output folder are read only when they are regular files.

A scan folder is chosen in the viewer (batch dialog, reports, ground truth) or given as
``--out``, so it can hold anything under the names a scan writes: a named pipe called
``results.jsonl`` or ``scan.json`` made every reader wait for a writer (the viewer froze,
``scan --out`` hung), a link to ``/dev/zero`` made the results index read forever, a pipe
named like a map or a thumbnail froze the triage table and the reports. Each reader now opens
through :func:`engine.files.open_regular`: a reader that must have the file says so in one line
naming it, one that may do without it (the optional ``scan.json`` details, thumbnails, kept
probe tables, the ground-truth summary) goes on as when the file is missing.

A reader that waits blocks in a system call, so each case runs in a child process with a time
limit (``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_bounded, write_rgb

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

NOT_REGULAR = "not a regular file"

ODD = ["fifo", "/dev/zero"]

# sys.argv[1]: the scan folder, sys.argv[2]: "fifo" or a device to link to, sys.argv[3]: name
MAKE = """
import json, os, sys
from pathlib import Path

out, odd, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
path = out / name
path.parent.mkdir(parents=True, exist_ok=True)
if odd == "fifo":
    os.mkfifo(path)
else:
    os.symlink(odd, path)
"""


def _child(tmp_path: Path, odd: str, name: str, body: str) -> dict:
    out = run_bounded(MAKE + body, tmp_path / "out", odd, name)
    return json.loads(out.strip().splitlines()[-1])


def _one_line_naming(message: str, path: Path) -> None:
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    assert NOT_REGULAR in message, message


@pytest.mark.parametrize("odd", ODD)
def test_the_results_index_refuses_an_odd_results_jsonl_with_one_line(
    tmp_path: Path, odd: str
) -> None:
    got = _child(
        tmp_path,
        odd,
        "results.jsonl",
        """
from engine.errors import ForensicError
from forensic_viewer.report.model import scan_source
from forensic_viewer.scan.results import ResultIndex, read_records

said = []
for read in (ResultIndex, read_records, scan_source):
    try:
        read(out)
        said.append("read")
    except ForensicError as e:
        said.append(str(e))
print(json.dumps(said))
""",
    )
    for message in got:
        _one_line_naming(message, tmp_path / "out" / "results.jsonl")


@pytest.mark.parametrize("odd", ODD)
def test_scan_out_with_an_odd_results_jsonl_exits_2_with_one_line(tmp_path: Path, odd: str) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    write_rgb(folder / "a.png", 8, 8)  # an empty folder is refused before --out is read
    got = _child(
        tmp_path,
        odd,
        "results.jsonl",
        f"""
import contextlib, io
from forensic_viewer.cli import main

err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = main(["scan", "--out", str(out), {str(folder)!r}])
print(json.dumps([code, err.getvalue()]))
""",
    )
    code, err = got
    lines = [ln for ln in err.strip().splitlines() if ln]
    if odd != "fifo":  # a link: refused with the folder's lock, as one at .scan.lock (exit 3)
        assert code == 3 and len(lines) == 1, err
        assert f"{tmp_path / 'out' / 'results.jsonl'}: is a link;" in lines[0], err
        return
    assert code == 2 and len(lines) == 1, err
    assert str(tmp_path / "out" / "results.jsonl") in lines[0] and NOT_REGULAR in lines[0], err


@pytest.mark.parametrize("odd", ODD)
def test_an_odd_scan_json_is_refused_by_a_resume_and_skipped_by_its_other_readers(
    tmp_path: Path, odd: str
) -> None:
    got = _child(
        tmp_path,
        odd,
        "scan.json",
        """
from engine.errors import ForensicError
from forensic_viewer.scan.settings import check_settings, stopped_run
from forensic_viewer.scan.triage import scan_info

try:
    check_settings(out, {"models": {}})
    refused = "accepted"
except ForensicError as e:
    refused = str(e)
print(json.dumps([refused, stopped_run(out), scan_info(out)]))
""",
    )
    refused, stopped, info = got
    _one_line_naming(refused, tmp_path / "out" / "scan.json")
    assert stopped is None and info == {}


@pytest.mark.parametrize("odd", ODD)
@pytest.mark.parametrize(
    "name", ["maps/a.png.m.png", "thumbs/a.png.jpg", "groundtruth.json", "probes/a.probe.json"]
)
def test_an_odd_map_thumbnail_or_kept_file_is_an_error_naming_it_or_left_out(
    tmp_path: Path, odd: str, name: str
) -> None:
    got = _child(
        tmp_path,
        odd,
        name,
        """
from engine.errors import ForensicError
from forensic_viewer.scan.groundtruth import read_scan_truth
from forensic_viewer.scan.maps import read_heatmap_png, read_thumbnail
from forensic_viewer.scan.probe import read_scan_probe

if name.startswith("maps/"):
    try:
        read_heatmap_png(path, (4, 4))
        said = "read"
    except ForensicError as e:
        said = str(e)
elif name.startswith("thumbs/"):
    said = read_thumbnail(path)
elif name == "groundtruth.json":
    said = read_scan_truth(out)
else:
    said = read_scan_probe(out, "a", "0" * 64)
print(json.dumps(said))
""",
    )
    if name.startswith("maps/"):
        _one_line_naming(got, tmp_path / "out" / name)
        assert got.endswith("heatmap cannot be read: not a regular file (a device, pipe or socket)")
    else:
        assert got is None


def test_a_ground_truth_list_that_is_a_pipe_is_one_line_naming_it(tmp_path: Path) -> None:
    got = _child(
        tmp_path,
        "fifo",
        "truth.json",
        """
from engine.errors import ForensicError
from forensic_viewer.scan.groundtruth import read_truth

try:
    read_truth(path)
    said = "read"
except ForensicError as e:
    said = str(e)
print(json.dumps(said))
""",
    )
    _one_line_naming(got, tmp_path / "out" / "truth.json")


@pytest.mark.parametrize("odd", ODD)
def test_an_odd_scan_log_met_while_the_scan_runs_exits_2_with_one_line_naming_it(
    tmp_path: Path, odd: str
) -> None:
    """``scan.log`` is opened on the first per-file problem, after the scan has started: a pipe
    or device put there reached the command line's last handler as "the scan failed: [Errno
    22] ..." (exit 3). It is the house's one line naming the file, exit 2."""
    folder = tmp_path / "images"
    folder.mkdir()
    got = _child(
        tmp_path,
        odd,
        "scan.log",
        f"""
import contextlib, io
import numpy as np
from PIL import Image
import forensic_viewer.cli as cli
import forensic_viewer.cli_scan as cli_scan

Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save({str(folder / "a.png")!r})


from tests.viewer.test_scan_prefetch import StubAnalyzer


class Broken(StubAnalyzer):
    def analyze(self, evidence, **kw):
        raise RuntimeError("a model bug")  # an unexpected error: its traceback goes to scan.log


cli_scan.build_analyzer = lambda args: Broken()
err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = cli.main(["scan", "--out", str(out), {str(folder)!r}])
print(json.dumps([code, err.getvalue()]))
""",
    )
    code, err = got
    lines = [ln for ln in err.strip().splitlines() if ln]
    if odd != "fifo":  # a link: refused with the folder's lock, before the scan starts
        assert code == 3 and len(lines) == 1, err
        assert f"{tmp_path / 'out' / 'scan.log'}: is a link;" in lines[0], err
        return
    assert code == 2 and len(lines) == 1, err
    _one_line_naming(
        lines[0].removeprefix("forensic-viewer: error: "), tmp_path / "out" / "scan.log"
    )
