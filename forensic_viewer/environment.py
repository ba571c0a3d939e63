"""Which program and libraries produced a result: recorded with scans and printed in reports.

Versions come from the installed package metadata, so nothing heavy (torch, Qt) is imported
just to name its version.
"""

from __future__ import annotations

import platform
import sys
import time
from importlib import metadata
from typing import Any

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
)


def package_version(name: str) -> str:
    """Installed version of distribution ``name``, or ``"not installed"``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, Any]:
    """App and library versions, Python, operating system and the time, as JSON-safe text."""
    return {
        "app": APP_PACKAGE,
        "app_version": package_version(APP_PACKAGE),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "libraries": {name: package_version(name) for name in LIBRARIES},
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
