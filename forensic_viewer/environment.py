"""Which program and libraries produced a result: recorded with scans and printed in reports.

Versions come from the installed package metadata, so nothing heavy (torch, Qt) is imported
just to name its version. What an examiner needs to reproduce a result bit for bit is recorded
(docs/RESULTS.md, "Reproducing a result"): besides the program, the libraries that compute or
decode (OpenVINO runs every network of the default fast path, facenet-pytorch finds the faces,
pi-heif decodes HEIF photographs), and the processor's vector instructions, by which OpenVINO
and oneDNN choose their kernels.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from importlib import metadata
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


def environment() -> dict[str, Any]:
    """App and library versions, Python, operating system, processor and the time, as
    JSON-safe text."""
    return {
        "app": APP_PACKAGE,
        "app_version": package_version(APP_PACKAGE),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_description(),
        "libraries": {name: package_version(name) for name in LIBRARIES},
        "time": time_text(),
    }


def computed_by(env: Mapping[str, Any]) -> str:
    """torch's and OpenVINO's versions and the processor of a recorded :func:`environment`, as
    a report's "At scan time" row says them (an environment of an earlier version named neither
    OpenVINO nor the processor: left out)."""
    libs = env.get("libraries") or {}
    said = [f"torch {libs.get('torch')}"]
    said += [f"OpenVINO {libs['openvino']}"] if libs.get("openvino") else []
    return ", ".join(said + ([str(env["cpu"])] if env.get("cpu") else []))
