"""Where the batch dialog's scan runs: "Run on: this machine / Ray cluster at [address]".

:class:`RunOnChoice` is the widget; :func:`run_on_workers` starts a scan whose files are
analysed outside the dialog's thread: worker processes on this machine
(:func:`~forensic_viewer.scan.pool.run_pool_scan`) or Ray actors
(:func:`~forensic_viewer.scan.ray_pool.run_ray_scan`; an empty address: a local Ray
instance; docs/CLUSTER.md). Both write the rows of a scan in one process. Kept apart from
``batch_dialog.py`` so that file stays a readable length.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.run import ScanSummary


class RunOnChoice(QWidget):
    """A choice of this machine or a Ray cluster, with the cluster's address. The address
    field is live only with Ray chosen; the Ray choice only when Ray can be used (else its
    tooltip says how to get it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from forensic_viewer.scan.ray_pool import ray_available, ray_missing

        super().__init__(parent)
        self.choice = QComboBox()
        self.choice.addItems(["this machine", "Ray cluster at"])
        self.choice.setToolTip("where the files are analysed (Ray: docs/CLUSTER.md)")
        self.address_field = QLineEdit()
        self.address_field.setAccessibleName("Ray cluster address")
        self.address_field.setPlaceholderText(
            "empty: a local Ray instance; or HOST:6379, ray://HOST:10001"
        )
        self.address_field.setEnabled(False)  # explicitly: the row's setEnabled leaves it so
        self.choice.currentIndexChanged.connect(lambda i: self.address_field.setEnabled(i == 1))
        if not ray_available():
            item = self.choice.model().item(1)  # type: ignore[attr-defined]
            item.setEnabled(False)
            item.setToolTip(f"needs {ray_missing()}")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choice)
        row.addWidget(self.address_field, 1)

    def address(self) -> str | None:
        """None: this machine; "": a local Ray instance; else the cluster's address."""
        return self.address_field.text().strip() if self.choice.currentIndex() == 1 else None


def run_on_workers(
    job: Any,
    files: list[tuple[Path, str]],
    recipe: AnalyzerRecipe,
    on_ready: Callable[[list[str], str | None, str, list[str]], None],
    common: dict[str, Any],
) -> ScanSummary:
    """The scan of ``job`` (a ``ScanJob``) on Ray actors when ``job.ray`` is set (``jobs``
    1: every CPU Ray has), else with ``job.jobs`` worker processes."""
    if job.ray is not None:
        from forensic_viewer.scan.ray_pool import run_ray_scan

        jobs = job.jobs if job.jobs > 1 else None
        return run_ray_scan(
            files, recipe, job.out, address=job.ray or None, jobs=jobs, on_ready=on_ready, **common
        )
    from forensic_viewer.scan.pool import run_pool_scan

    return run_pool_scan(files, recipe, job.out, jobs=job.jobs, on_ready=on_ready, **common)
