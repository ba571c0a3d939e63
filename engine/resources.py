"""Where the bundled models and samples are: one function for a checkout, a wheel and a frozen build.

Method: the bundled files are package data of ``engine``, read through
:func:`importlib.resources.files` (``engine/bundled_resources``), so an installed wheel finds
them inside site-packages and a PyInstaller build inside its bundle, never relative to the
working directory. In the repository the files stay at the top-level ``resources/`` that the
recipes, the Makefile and the docs name; ``engine/bundled_resources`` is a relative symbolic link
to it, so a checkout, ``pip install -e .`` and ``python -m build`` (setuptools follows the link
and copies the files) all see the same files without moving them.

Resolution order of :func:`resources_dir`:

1. ``$FORENSIC_VIEWER_RESOURCES`` (a folder laid out like ``resources/``), for tests and
   for analysts who keep the bundled files elsewhere;
2. the package data ``engine/bundled_resources``, when it is a folder;
3. the checkout's ``resources/`` beside ``engine/`` (a checkout whose file system kept the
   symbolic link as a plain file, e.g. Git on Windows without symlink support).

:data:`PACKAGE_DATA` is the one list of what the code loads from there; ``pyproject.toml``
(``[tool.setuptools.package-data]``) and the PyInstaller spec (``packaging/forensic-viewer.spec``)
must ship every file it matches, which ``tests/packaging/test_package_data.py`` checks.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from engine.environ import path_setting

PACKAGE = "engine"
DATA_DIR = "bundled_resources"  # the package-data folder inside ``engine``
# What the code loads, relative to the resources folder: checkpoints with their model cards and
# ensembles (engine.catalog, the self-test), the samples with their masks and manifest (make run,
# the self-test's regression floors, the screenshot).
PACKAGE_DATA = (
    "models/*.safetensors",
    "models/*.md",
    "models/*.ensemble.json",
    "models/*.int8.xml",  # int8 OpenVINO models of the fast path, with .bin and key (runtime)
    "models/*.int8.bin",
    "models/*.int8.json",
    "models/casia-images.json",  # the CASIA images that made them, by SHA-256 (scan --gt)
    "samples/*.jpg",
    "samples/samples.json",
    "samples/masks/*.png",
    "icons/*.svg",  # the application icon: the window's (gui.app) and the desktop entry's
)


def resources_dir() -> Path:
    """The folder holding ``models/`` and ``samples/`` (resolution order in the module docstring)."""
    if (given := path_setting("FORENSIC_VIEWER_RESOURCES")) is not None:
        return given
    packaged = Path(str(resources.files(PACKAGE).joinpath(DATA_DIR)))
    if packaged.is_dir():
        return packaged.resolve()  # the real folder: the one messages name and paths compare to
    return Path(__file__).resolve().parents[1] / "resources"


def bundled_files(root: Path | None = None) -> list[str]:
    """Every file under ``root`` (default :func:`resources_dir`) that :data:`PACKAGE_DATA`
    matches, as sorted POSIX paths relative to ``root``."""
    root = resources_dir() if root is None else root
    found = {p.relative_to(root).as_posix() for pat in PACKAGE_DATA for p in root.glob(pat)}
    return sorted(found)
