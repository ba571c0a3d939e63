"""What a scan and a report record of the environment that produced a result: enough to
reproduce it bit for bit (docs/RESULTS.md, "Reproducing a result")."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine import provenance
from forensic_viewer.environment import (
    code_identity,
    code_text,
    cpu_description,
    environment,
    git_commit,
    git_modified,
    sources_sha256,
)
from forensic_viewer.report.text import environment_rows

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16 amx_tile

processor\t: 1
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16 amx_tile
"""


@pytest.mark.parametrize("name", ["openvino", "facenet-pytorch", "pi-heif"])
def test_the_libraries_that_compute_or_decode_a_result_are_recorded_with_their_versions(
    name: str,
) -> None:
    """OpenVINO runs every network of the default fast path, facenet-pytorch finds the faces,
    pi-heif decodes HEIF photographs: another version of any may change a figure, so a scan's
    environment names each one's installed version (it named torch but none of these)."""
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = "not installed"
    assert environment()["libraries"][name] == version


def test_the_processor_and_its_vector_instructions_are_recorded() -> None:
    """OpenVINO and oneDNN pick their kernels by the vector instructions the processor has:
    the model name and those of them it has, in a fixed order, once however many cores."""
    assert cpu_description(CPUINFO) == (
        "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz; avx2 avx512f avx512_vnni avx512_bf16 amx_tile"
    )
    assert cpu_description("model name\t: Old CPU\nflags\t: fpu sse2\n") == "Old CPU; no AVX2"
    assert environment()["cpu"] == cpu_description()


def _overview(scan_env: dict) -> SimpleNamespace:
    export = {"app": "forensic-viewer", "app_version": "1", "python": "3.11", "platform": "x"}
    export |= {"cpu": "Some CPU; avx2", "libraries": {"openvino": "2026.4.1"}}
    settings = {"source": "/evidence", "environment": scan_env}
    return SimpleNamespace(export_environment=export, source=SimpleNamespace(settings=settings))


def test_a_report_names_the_processor_and_openvino_of_the_scan_and_reads_older_scans() -> None:
    scan_env = {
        "app": "forensic-viewer",
        "app_version": "1",
        "python": "3.11",
        "time": "T",
        "cpu": "AMD EPYC; avx2 avx512f",
        "libraries": {"torch": "2.14.1", "openvino": "2026.4.1"},
    }
    rows = dict(environment_rows(_overview(scan_env)))  # type: ignore[arg-type]
    assert rows["Processor"] == "Some CPU; avx2"
    assert rows["Library: openvino"] == "2026.4.1"
    assert rows["At scan time"] == (
        "forensic-viewer 1, Python 3.11, torch 2.14.1, OpenVINO 2026.4.1, AMD EPYC; avx2 avx512f, T"
    )
    # a scan written before the processor and OpenVINO were recorded
    older = {k: v for k, v in scan_env.items() if k != "cpu"} | {"libraries": {"torch": "2"}}
    rows = dict(environment_rows(_overview(older)))  # type: ignore[arg-type]
    assert rows["At scan time"] == "forensic-viewer 1, Python 3.11, torch 2, T"


def _fake_checkout(root: Path, sha: str) -> None:
    (root / ".git" / "refs" / "heads").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".git" / "refs" / "heads" / "main").write_text(sha + "\n")


def test_the_commit_is_read_from_a_checkout_a_worktree_and_packed_refs(tmp_path: Path) -> None:
    """2026-12-05 review: reports, scan.json and the case log said "forensic-viewer 0.1.0"
    across many commits that changed results; the commit is read from .git without git."""
    a, b = "1a2b3c4d" + "0" * 32, "f" * 40
    main = tmp_path / "main"
    _fake_checkout(main, a)
    assert git_commit(main) == a
    (main / ".git" / "refs" / "heads" / "main").unlink()
    (main / ".git" / "packed-refs").write_text(
        f"# pack-refs\n{b} refs/heads/other\n{a} refs/heads/main\n"
    )
    assert git_commit(main) == a
    # a worktree: .git is a file naming its folder, whose commondir leads to the shared refs
    wt = tmp_path / "wt"
    own = main / ".git" / "worktrees" / "wt"
    own.mkdir(parents=True)
    (own / "HEAD").write_text("ref: refs/heads/topic\n")
    (own / "commondir").write_text("../..\n")
    (main / ".git" / "refs" / "heads" / "topic").write_text(b + "\n")
    wt.mkdir()
    (wt / ".git").write_text(f"gitdir: {own}\n")
    assert git_commit(wt) == b
    (own / "HEAD").write_text(a + "\n")  # detached
    assert git_commit(wt) == a
    assert git_commit(tmp_path / "nowhere") is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_modified_sources_are_said_and_the_sources_hash_follows_them(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "engine").mkdir(parents=True)
    (root / "engine" / "a.py").write_text("x = 1\n")
    (root / "notes.txt").write_text("not code\n")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    assert git_modified(root) is False
    before = sources_sha256(root)
    (root / "notes.txt").write_text("other\n")  # not the program's sources
    assert git_modified(root) is False and sources_sha256(root) == before
    (root / "engine" / "a.py").write_text("x = 2\n")
    assert git_modified(root) is True and sources_sha256(root) != before
    assert git_modified(tmp_path) is None  # no checkout: not known


def test_the_code_is_recorded_and_shown_beside_the_version(capsys) -> None:
    code = environment()["code"]
    assert code == code_identity() and set(code) >= {"commit", "modified"}
    assert code.get("sources_sha256") or code.get("build_sha256")
    assert code_text({"commit": "1a2b3c4d" + "0" * 32, "modified": True}) == (
        "commit 1a2b3c4d, modified files"
    )  # recorded without its sources' SHA-256: nothing more to say
    assert code_text({"commit": "1a2b3c4d" + "0" * 32, "modified": False}) == "commit 1a2b3c4d"
    assert code_text({"commit": None, "sources_sha256": "ab" * 32}) == (
        "sources SHA-256 abababababababab"
    )
    scan_env = {"app": "forensic-viewer", "app_version": "1", "python": "3.11", "time": "T"}
    scan_env |= {"libraries": {"torch": "2"}, "code": {"commit": "9" * 40, "modified": False}}
    rows = dict(environment_rows(_overview(scan_env)))  # type: ignore[arg-type]
    assert rows["At scan time"].startswith("forensic-viewer 1 (commit 99999999), Python 3.11")
    # --version keeps its first token and adds the code
    from forensic_viewer.cli import main

    assert main(["--version"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("forensic-viewer ") and f"({code_text(code)})" in first


def test_code_from_a_modified_tree_is_identified_in_the_report_by_its_sources_sha256() -> None:
    """A defence expert's walk-through (2026-12-06): the HTML/PDF said "commit 955e59bc,
    modified files" and dropped the sources' SHA-256, the only identifier of such code."""
    sources = "41d5" + "e" * 60
    modified = {"commit": "955e59bc" + "0" * 32, "modified": True, "sources_sha256": sources}
    assert (
        code_text(modified) == "commit 955e59bc, modified files, sources SHA-256 41d5eeeeeeeeeeee"
    )
    unknown = modified | {"modified": None}
    assert code_text(unknown, "scan.json") == (
        "commit 955e59bc, modified: not known, sources SHA-256 41d5eeeeeeeeeeee "
        "(in full in scan.json)"
    )
    assert code_text(modified | {"modified": False}) == "commit 955e59bc"  # the commit says it
    scan_env = {"app": "forensic-viewer", "app_version": "1", "python": "3.11", "time": "T"}
    scan_env |= {"libraries": {"torch": "2"}, "code": modified}
    overview = _overview(scan_env)
    overview.export_environment["code"] = modified
    rows = dict(environment_rows(overview))  # type: ignore[arg-type]
    assert rows["At scan time"].startswith(
        "forensic-viewer 1 (commit 955e59bc, modified files, sources SHA-256 41d5eeeeeeeeeeee "
        "(in full in scan.json's environment.code)), Python 3.11"
    )
    assert rows["Application"] == (
        f"forensic-viewer 1 (commit 955e59bc, modified files, sources SHA-256 {sources})"
    )


def test_a_frozen_build_is_identified_by_its_program_file(tmp_path: Path, monkeypatch) -> None:
    program = tmp_path / "forensic-viewer"
    program.write_bytes(b"a frozen program holding its modules")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    monkeypatch.setattr(provenance, "BUILD_INFO_FILE", tmp_path / "no-build-info.json")
    code = code_identity.__wrapped__()
    assert code["build_sha256"] == hashlib.sha256(program.read_bytes()).hexdigest()
    assert (code["commit"], code["modified"], code["sources_sha256"]) == (None, None, None)


def test_a_frozen_build_names_the_commit_and_sources_it_was_built_from(
    tmp_path: Path, monkeypatch
) -> None:
    """A frozen scan.json said ``"commit": null`` and two builds of one commit differed in
    ``build_sha256``: nothing traced a result to its source (walk-through pkg, finding 5). The
    spec writes :func:`build_info` of the checkout into the bundle; the frozen program reads it."""
    checkout = Path(__file__).resolve().parents[2]
    info = provenance.build_info(checkout)
    assert info["sources_sha256"] == sources_sha256(checkout)
    assert info["commit"] == git_commit(checkout)
    (tmp_path / "build_info.json").write_text(json.dumps({**info, "pyinstaller": "6.22.3"}))
    program = tmp_path / "forensic-viewer"
    program.write_bytes(b"a frozen program holding its modules")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    monkeypatch.setattr(provenance, "BUILD_INFO_FILE", tmp_path / "build_info.json")
    code = code_identity.__wrapped__()
    assert {k: code[k] for k in info} == info
    assert code["build_sha256"] == hashlib.sha256(program.read_bytes()).hexdigest()
    (tmp_path / "build_info.json").write_text('{"commit": "HEAD", "modified": "no"}')
    code = code_identity.__wrapped__()  # what is not a commit or a digest is not passed on
    assert (code["commit"], code["modified"], code["sources_sha256"]) == (None, None, None)
