"""Open a scanned file with the scan's result: :class:`ResultLoader`, the batch dialog's thread
for a double-clicked row of its triage table.

It decodes the evidence, checks that its SHA-256 is the one the scan recorded, and rebuilds
the :class:`~engine.types.Analysis` (a :class:`~forensic_viewer.scan.replay.ScanAnalysis`) from
the record's figures and the scan's heatmap PNGs
(:func:`~forensic_viewer.scan.replay.analysis_from_record`). Nothing is analysed again. The
heatmaps are the scan's 8-bit maps (value = round(255 x p)), so the layers drawn from them are
within 1/255 of the live ones; the verdicts, scores and forged fractions shown are the recorded
figures. A file that changed since the scan, or a record without figures, fails here with its
one line, and the dialog opens it as a new file instead (the viewer analyses it with its own
models) and says why.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from engine.errors import ForensicError
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import ResultIndex


class ResultLoader(QThread):
    """Decodes one scanned file and rebuilds its :class:`ScanAnalysis` (see the module doc).

    Emits ``loaded`` with the analysis, or ``failed`` with the evidence path ("" when unknown)
    and a one-line reason.
    """

    loaded = Signal(object)  # ScanAnalysis
    # evidence path, message: Python str (object), whose name's bytes that are not UTF-8
    # Qt's text would drop
    failed = Signal(object, object)

    def __init__(self, out: Path, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.out = out
        self.key = key

    def run(self) -> None:
        from engine.io import load_evidence

        file = ""
        try:
            index = ResultIndex(self.out)
            if self.key not in index:
                raise ForensicError(self.out, f"holds no result for {self.key}")
            record = index.get(self.key)
            file = str(record.get("file") or "")
            if not file:
                raise ForensicError(self.key, "the scan did not record where the file is")
            evidence = load_evidence(file)
            analysis = analysis_from_record(record, self.out, evidence)
        except (ForensicError, OSError, ValueError) as e:
            self.failed.emit(file, str(e))
        except Exception as e:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
            self.failed.emit(file, f"{self.key}: unexpected error ({type(e).__name__}: {e})")
        else:
            self.loaded.emit(analysis)
