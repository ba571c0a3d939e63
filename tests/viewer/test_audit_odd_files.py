"""The case audit log is read and written only when it is a regular file.

The case folder is the user's (``--case DIR``, the viewer's case), and ``audit verify|show``
take any path: a named pipe called ``audit.jsonl`` made opening the case wait for a reader
forever (the viewer did not start, ``scan --case`` hung) and ``audit verify`` wait for a
writer; a link to ``/dev/zero`` had ``verify`` read without end, one to ``/dev/null`` would
swallow every entry. A symbolic link there was followed: a dangling one created the log
elsewhere, one into another case's log mixed two cases into one chain. Each is now one line
naming the log (a link is refused as a link, whatever it points at).

A reader that waits blocks in a system call, so each case runs in a child process with a time
limit (``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forensic_viewer.audit import LOG_NAME
from tests.conftest import run_bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

NOT_REGULAR = "not a regular file"


@pytest.mark.parametrize("odd", ["fifo", "/dev/zero", "/dev/null"])
def test_a_case_whose_log_is_a_pipe_or_a_device_is_refused_in_one_line(
    tmp_path: Path, odd: str
) -> None:
    case = tmp_path / "case"
    out = run_bounded(
        """
        import contextlib, io, json, os, sys
        from pathlib import Path
        from forensic_viewer.audit import LOG_NAME, AuditError, AuditLog, verify_log
        from forensic_viewer.cli import main

        case, odd = Path(sys.argv[1]), sys.argv[2]
        case.mkdir()
        log = case / LOG_NAME
        os.mkfifo(log) if odd == "fifo" else os.symlink(odd, log)
        said = []
        for act in (lambda: AuditLog(case), lambda: verify_log(log)):
            try:
                act()
                said.append("accepted")
            except AuditError as e:
                said.append(str(e))
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["audit", "verify", str(case)])
        said.append([code, err.getvalue()])
        print(json.dumps(said))
        """,
        case,
        odd,
    )
    opened, verified, (code, err) = json.loads(out.strip().splitlines()[-1])
    log = case / LOG_NAME
    for message in (opened, verified):
        assert message.startswith(f"{log}: ") and "\n" not in message, message
        assert NOT_REGULAR in message, message
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert code != 0 and len(lines) == 1, err
    assert str(log) in lines[0] and NOT_REGULAR in lines[0], err


def test_a_case_folder_that_is_a_file_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--case notes.txt`` (a file): one line saying the case folder is a file, not
    "audit.jsonl: cannot open the audit log (File exists)", and the file is left as it was."""
    from forensic_viewer.audit import AuditError, AuditLog
    from forensic_viewer.cli import main

    case = tmp_path / "notes.txt"
    case.write_text("the examiner's own notes\n", encoding="utf-8")
    with pytest.raises(AuditError) as caught:
        AuditLog(case)
    assert (
        str(caught.value)
        == f"{case}: the case folder is a file, not a folder: --case names a folder"
    )
    image = tmp_path / "a.png"
    image.write_bytes(b"not needed: the case is refused first")
    assert main(["analyze", str(image), "--out", str(tmp_path / "out"), "--case", str(case)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{case}: the case folder is a file" in err[0], err
    assert "File exists" not in err[0]
    assert case.read_text(encoding="utf-8") == "the examiner's own notes\n"


@pytest.mark.parametrize("target", ["dangling", "other-case"])
def test_a_symbolic_link_at_the_case_log_is_refused_and_not_followed(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link at ``audit.jsonl`` was followed: a dangling one created its target somewhere
    else, one into another case's log appended this case's entries to that chain. Opening the
    case, ``verify_log`` and ``audit verify`` each refuse it in one line naming the link, and
    the link's target is neither made nor changed."""
    from forensic_viewer.audit import AuditError, AuditLog, verify_log
    from forensic_viewer.cli import main

    other = tmp_path / "other-case"
    if target == "other-case":
        AuditLog(other, program="test").close()
    before = (other / LOG_NAME).read_bytes() if target == "other-case" else None
    case = tmp_path / "case"
    case.mkdir()
    link = case / LOG_NAME
    os.symlink(other / LOG_NAME, link)
    said = []
    for act in (lambda: AuditLog(case), lambda: verify_log(link)):
        with pytest.raises(AuditError) as caught:
            act()
        said.append(str(caught.value))
    for message in said:
        assert message.startswith(f"{link}: ") and "\n" not in message, message
        assert "a symbolic link, not a regular file" in message, message
    capsys.readouterr()
    assert main(["audit", "verify", str(case)]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln]
    assert len(err) == 1 and str(link) in err[0] and "symbolic link" in err[0], err
    if before is None:
        assert not (other / LOG_NAME).exists() and not other.exists()
    else:
        assert (other / LOG_NAME).read_bytes() == before
        assert verify_log(other / LOG_NAME).ok
    assert link.is_symlink()


@pytest.mark.parametrize("command", ["analyze", "scan", "probe"])
@pytest.mark.parametrize("odd", ["link", "file"])
def test_a_refused_case_log_leaves_no_output_folder_behind(
    tmp_path: Path, command: str, odd: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case log that cannot be opened stops the run with exit 2 before it touches --out: the
    output folder was made and locked first, so the refused run left an empty folder holding
    only a ``.scan.lock``."""
    from forensic_viewer.cli import main

    case = tmp_path / "case"
    if odd == "link":
        case.mkdir()
        os.symlink(tmp_path / "elsewhere.jsonl", case / LOG_NAME)
    else:
        case.write_text("not a folder\n", encoding="utf-8")
    folder = tmp_path / "evidence"
    folder.mkdir()
    image = folder / "a.png"
    image.write_bytes(b"not read: the case is refused first")
    out = tmp_path / "out"
    source = str(folder) if command == "scan" else str(image)
    assert main([command, source, "--out", str(out), "--case", str(case)]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln]
    assert len(err) == 1 and str(case) in err[0], err
    assert not out.exists(), sorted(p.name for p in out.iterdir())
