"""Which program and libraries produced a result: recorded with scans (printed in reports by
``forensic_viewer.environment``) and with ``forensic-train eval --json``, which cannot import the
viewer; here, in the engine, so that both record the one environment.

Versions come from the installed package metadata, so nothing heavy (torch, Qt) is imported
just to name its version. The program's version alone does not identify its code (an editable
install stays "0.1.0" across every commit that changed results: 2026-12-05 review), so
:func:`code_identity` records which code ran: the git commit and whether the sources differ
from it when running from a checkout, and a SHA-256 over the program's own sources (or, in a
frozen build, which holds them inside its program file, over that file; a frozen build also
carries :data:`BUILD_INFO_FILE`, the commit and sources it was built from). What an examiner needs to reproduce a result bit for bit is recorded
(docs/RESULTS.md, "Reproducing a result"): besides the program, the libraries that compute or
decode (OpenVINO runs every network of the default fast path, facenet-pytorch finds the faces,
pi-heif decodes HEIF photographs), and the processor's vector instructions, by which OpenVINO
and oneDNN choose their kernels.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from engine.formatting import time_text

APP_PACKAGE = "forensic-viewer"
LIBRARIES = (
    "torch",
    "numpy",
    "pillow",
    "opencv-python-headless",
    "safetensors",
    "scipy",
    "timm",
    "reportlab",
    "PySide6-Essentials",
    "openvino",
    "facenet-pytorch",
    "pi-heif",
)
# The vector instruction sets (as /proc/cpuinfo names them) OpenVINO's CPU plugin and oneDNN
# pick kernels by: two processors that differ in these may give results that differ in the
# last bits (docs/RESULTS.md, "Reproducing a result")
VECTOR_FLAGS = (
    "avx2",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)


def package_version(name: str) -> str:
    """Installed version of distribution ``name``, or ``"not installed"``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_description(cpuinfo: str | None = None) -> str:
    """The processor's model name and which of :data:`VECTOR_FLAGS` it has, e.g.
    ``"AMD EPYC; avx2 avx512f avx512_vnni avx512_bf16"``, from ``cpuinfo`` (the text of
    Linux's /proc/cpuinfo, read when not given); elsewhere what :func:`platform.processor`
    says, or ``"unknown"``."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read(1 << 20)
        except OSError:
            return platform.processor() or "unknown"
    model, flags = "", set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    have = " ".join(f for f in VECTOR_FLAGS if f in flags)
    name = model or platform.processor() or "unknown"
    return f"{name}; {have or 'no AVX2'}"


SOURCE_PACKAGES = ("engine", "forensic_viewer", "trainer")  # the program's own code
GIT_SECONDS = 5.0  # at most this long for `git status`; then "modified" is unknown
_HEX40 = re.compile(r"[0-9a-f]{40}")
# Written into the frozen build beside this module by packaging/dist/forensic-viewer.spec
# (:func:`build_info`): a bundle has no .git, and its program file's SHA-256 differs between two
# builds of one commit, so without it a frozen result named no source (walk-through pkg, 2026-12-06)
BUILD_INFO_FILE = Path(__file__).with_name("build_info.json")


def sources_sha256(root: Path) -> str | None:
    """SHA-256 over the program's source files under ``root`` (:data:`SOURCE_PACKAGES`): each
    ``.py`` file's path relative to ``root`` and its bytes' SHA-256, in sorted path order (an
    installation of only ``.pyc`` files: those instead); None when there are none."""
    for pattern in ("*.py", "*.pyc"):
        files = sorted(
            f.relative_to(root).as_posix()
            for package in SOURCE_PACKAGES
            for f in (root / package).rglob(pattern)
            if f.is_file()
        )
        if files:
            h = hashlib.sha256()
            for name in files:
                digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
                h.update(f"{name}\0{digest}\n".encode())
            return h.hexdigest()
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def git_commit(root: Path) -> str | None:
    """The commit checked out at ``root``, read from its ``.git`` (a folder, or a worktree's
    ``gitdir:`` file) without running git: HEAD, the branch it names (loose or packed, in the
    worktree's own folder or the common one); None when ``root`` is no checkout or it cannot
    be read."""
    dot = root / ".git"
    gitdir = dot
    if dot.is_file():
        line = _read(dot) or ""
        if not line.startswith("gitdir:"):
            return None
        gitdir = (root / line.split(":", 1)[1].strip()).resolve()
    head = _read(gitdir / "HEAD")
    if head is None:
        return None
    if _HEX40.fullmatch(head):  # a detached HEAD
        return head
    if not head.startswith("ref:"):
        return None
    ref = head.split(":", 1)[1].strip()
    common = gitdir
    if (shared := _read(gitdir / "commondir")) is not None:
        common = (gitdir / shared).resolve()
    for folder in (gitdir, common):
        if (sha := _read(folder / ref)) is not None and _HEX40.fullmatch(sha):
            return sha
    for line in (_read(common / "packed-refs") or "").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref and _HEX40.fullmatch(sha):
            return sha
    return None


def git_modified(root: Path) -> bool | None:
    """Whether the program's sources at ``root`` differ from the commit (changed, added or
    removed files under :data:`SOURCE_PACKAGES`, untracked ones included): ``git status``,
    given :data:`GIT_SECONDS`; None when git is missing, slow or refuses the folder."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", *SOURCE_PACKAGES],
            capture_output=True,
            text=True,
            timeout=GIT_SECONDS,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # a status that writes no index
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


def build_info(root: Path) -> dict[str, Any]:
    """What the frozen build records of the code it is built from at ``root`` (the spec writes
    it to :data:`BUILD_INFO_FILE` in the bundle): ``commit``, ``modified`` and
    ``sources_sha256`` as :func:`code_identity` gives them for a checkout."""
    commit = git_commit(root)
    return {
        "commit": commit,
        "modified": git_modified(root) if commit else None,
        "sources_sha256": sources_sha256(root),
    }


def _frozen_source() -> dict[str, Any]:
    """``commit``, ``modified`` and ``sources_sha256`` from :data:`BUILD_INFO_FILE`, each None
    when the file or the value is missing or unreadable."""
    try:
        info = json.loads(BUILD_INFO_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    commit, modified, sources = (info.get(k) for k in ("commit", "modified", "sources_sha256"))
    commit = commit if isinstance(commit, str) and _HEX40.fullmatch(commit) else None
    ok = isinstance(sources, str) and re.fullmatch(r"[0-9a-f]{64}", sources)
    return {
        "commit": commit,
        "modified": modified if commit and isinstance(modified, bool) else None,
        "sources_sha256": sources if ok else None,
    }


@functools.cache
def code_identity() -> dict[str, Any]:
    """Which code this process runs, computed once: ``commit`` (40 hex digits, or None when
    not run from a git checkout or it cannot be read) and ``modified`` (True, False, or None:
    not known), and ``sources_sha256`` (:func:`sources_sha256`) or, in a frozen build (no
    sources on disk), ``build_sha256``, the SHA-256 of its program file, besides the commit,
    ``modified`` and ``sources_sha256`` of the sources it was built from
    (:data:`BUILD_INFO_FILE`)."""
    root = Path(__file__).resolve().parents[1]
    if getattr(sys, "frozen", False):
        out: dict[str, Any] = _frozen_source()
        try:
            with open(sys.executable, "rb") as f:
                out["build_sha256"] = hashlib.file_digest(f, "sha256").hexdigest()
        except OSError:
            out["build_sha256"] = None
    else:
        commit = git_commit(root)
        out = {"commit": commit, "modified": git_modified(root) if commit else None}
        try:
            out["sources_sha256"] = sources_sha256(root)
        except OSError:
            out["sources_sha256"] = None
    return out


def environment() -> dict[str, Any]:
    """App and library versions, the code's identity (:func:`code_identity`), Python,
    operating system, processor and the time, as JSON-safe text."""
    return {
        "app": APP_PACKAGE,
        "app_version": package_version(APP_PACKAGE),
        "code": dict(code_identity()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_description(),
        "libraries": {name: package_version(name) for name in LIBRARIES},
        "time": time_text(),
    }
