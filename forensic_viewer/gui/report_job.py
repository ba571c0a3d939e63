"""What the report dialog reports (no widgets): :class:`ReportJob`, the source of the report's
items (built on the dialog's worker thread: it may read files), its title, file name and the
folder offered; made for a whole scan (:func:`scan_report_job`) or for one image from the
viewer (:func:`image_report_job`).

- one image from the viewer: the analysis in memory, with the model cards of the checkpoints
  that produced it, faces reported as checked or not, and every model in use that has no result
  on the image listed as *not run* (never left out). An image that was opened from a scan
  (:class:`~forensic_viewer.scan.replay.ScanAnalysis`) is reported from the scan's record
  instead, whose heatmaps are the scan's 8-bit files, so the report says so;
- a whole scan (the batch dialog, Open scan results…): its output folder's rows, as the
  command line's report of it.

A job of a scan names its output folder (:attr:`ReportJob.scan`): the report dialog holds that
folder's lock while it writes, as ``forensic-viewer report OUT`` does, and the case log's
``report-exported`` records its scan.json, as the command line's does.

The folder offered for an image (:func:`reports_folder`): ``reports/<evidence folder's
name>-<hash>`` in the viewer's per-user folder (by the rule of
:mod:`forensic_viewer.scan.proposed_out`), never on the evidence medium.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ForensicError
from engine.types import Analysis, Evidence
from forensic_viewer.report import ReportItem, ReportSource
from forensic_viewer.report.model import with_viewer_thresholds
from forensic_viewer.scan.gone import GoneFile
from forensic_viewer.scan.proposed_out import REPORTS, proposed_output


@dataclass(frozen=True)
class ReportJob:
    """What to report. ``source`` builds the items on the worker thread (it may read files)."""

    source: Callable[[], ReportSource | Sequence[ReportItem]]
    title: str
    basename: str = "report"
    folder: Path | None = None  # where the report goes unless chosen (None: the home folder)
    scan: Path | None = None  # the output folder of the scan reported on (None: no scan's)


def scan_report_job(
    out: Path,
    keys: Sequence[str] | None = None,
    *,
    ended: Mapping[str, Any] | None = None,
    gone: Sequence[GoneFile] = (),
) -> ReportJob:
    """The report of the scan output folder ``out`` (every file, or ``keys``), written there;
    ``ended`` and ``gone`` as the command line's report of a run has them
    (:func:`~forensic_viewer.report.model.run_source`)."""
    from forensic_viewer.report.model import run_source

    source = lambda: run_source(out, keys, ended=ended, gone=gone)  # noqa: E731
    return ReportJob(source, f"scan in {out}", "report", out, scan=out)


def reports_folder(evidence: str | Path) -> Path | None:
    """The report folder offered for the file ``evidence``: its folder's in the per-user
    folder, off the evidence medium (:func:`~forensic_viewer.scan.proposed_out.proposed_output`:
    ``reports/<name>-<hash>``, the same for every file of that folder); None for a file with
    no folder of its own (an image in memory, or one at the root)."""
    folder = Path(evidence).expanduser().parent
    if not folder.is_absolute() or not folder.name:
        return None
    return proposed_output(folder, REPORTS)


def safe_basename(text: str) -> str:
    """A file name stem without folders or characters file systems refuse."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" .")
    return name or "report"


def image_report_job(
    analysis: Analysis,
    *,
    analyzer: Any = None,
    model_paths: Sequence[str] = (),
    faces_checked: bool | None = None,
    probe: dict[str, Any] | None = None,
    viewer_thresholds: Mapping[str, float] | None = None,
    face_detector: Any = None,
) -> ReportJob:
    """The report of one analysed image from the viewer.

    analyzer: the Analyzer that produced ``analysis``, if still loaded: its checkpoint headers
        become the model cards (only for models whose SHA-256 matches the result's).
    model_paths: checkpoint files in use in the viewer; any of them with no result on this image
        is reported as not run, with the reason.
    probe: the robustness probe's table of this image, when one was run (a report section).
        Of a file opened from a scan's results it replaces the table kept in the scan's folder,
        if any: it is the latest, and it is not kept there while a scan holds the folder.
    viewer_thresholds: the thresholds the viewer's sliders show masks at, by model, where not
        the calibrated ones (:meth:`forensic_viewer.layers.LayerList.moved_thresholds`): the
        report draws the calibrated masks and says what the viewer showed.
    face_detector: the viewer's face detector, None with face detection off: named in the
        report as a scan's is (its settings' ``faces``), the Haar fallback with what it means.
    Refuses (ValueError, one line naming the file) an analysis a Cancel cut short: a report is
    evidence and holds complete analyses only (the window shows that line).
    """
    from forensic_viewer.scan.replay import ScanAnalysis

    if analysis.cancelled:
        raise ValueError(
            f"{analysis.evidence.path}: no report of a cancelled analysis (partial results, "
            "no default verdict); analyse it to the end first"
        )

    stem = safe_basename(f"{Path(analysis.evidence.path).name}.report")
    if isinstance(analysis, ScanAnalysis):
        job = scan_report_job(analysis.scan_out, [analysis.scan_key])
        source = _with_viewer(job, analysis.evidence, probe, viewer_thresholds or {})
        return dataclasses.replace(job, source=source, basename=stem)

    def source() -> ReportSource:
        from forensic_viewer.report import cards_from_analyzer, item_from_analysis
        from forensic_viewer.scan.results import face_model_figures
        from forensic_viewer.scan.settings import faces_setting

        cards = {}
        if analyzer is not None:
            res = analysis.results
            same = {
                m.name
                for m in analyzer.models
                if m.name in res and m.sha256 == res[m.name].checkpoint_sha256
            }
            cards = {n: c for n, c in cards_from_analyzer(analyzer).items() if n in same}
        not_run = not_run_models(analysis, model_paths)
        item = item_from_analysis(
            analysis, cards=cards, faces_checked=faces_checked, not_run=not_run, probe=probe
        )
        item = with_viewer_thresholds(item, viewer_thresholds or {})
        settings: dict[str, Any] = {}
        if face_detector is not None:  # which detector found the faces, as scan.json says it
            settings["faces"] = faces_setting(face_detector, analyzer)
        if analyzer is not None:
            # the face models' θ and provenance, which the analysis does not hold (a scan's
            # scan.json does): the report lists them with the models
            if figures := face_model_figures(analyzer):
                settings["face_model_figures"] = figures
            # the command of the viewer's models only while they are the ones that ran
            if not not_run and {m.name for m in analyzer.models} == same == set(res):
                settings["command"] = _equivalent_command(analysis, analyzer, model_paths)
        return ReportSource.from_items([item], settings=settings)

    name = Path(analysis.evidence.path).name
    return ReportJob(source, name, stem, reports_folder(analysis.evidence.path))


def _equivalent_command(
    analysis: Analysis, analyzer: Any, model_paths: Sequence[str]
) -> dict[str, Any]:
    """The ``forensic-viewer analyze`` a user could type for the results of ``analysis``, made
    by ``analyzer`` (whose models are the result's) from the viewer's ``model_paths``."""
    from forensic_viewer.scan.command import viewer_analyze_command

    own = set(getattr(analyzer.ensemble, "analyses", None) or ())  # the ensemble runs them
    return viewer_analyze_command(
        analysis.evidence.path,
        models=model_paths,
        device=str(analyzer.device),
        faces=analyzer.faces is not None,
        exact=bool(getattr(analyzer, "exact", False)),
        analyses=[n for n in analysis.analyses if n not in own],
    )


def _with_viewer(
    job: ReportJob,
    evidence: Evidence,
    probe: dict[str, Any] | None,
    thresholds: Mapping[str, float],
) -> Callable[[], ReportSource]:
    """``job``'s source (the scan's row of the file the viewer shows), its item with
    ``probe`` as its probe table (when given) and the viewer's slider ``thresholds``
    (:func:`with_viewer_thresholds`). The row is read again as the report is written: one of
    other bytes than the viewer's ``evidence`` (a resume analysed the changed file again
    since it was opened) is refused, naming the file; it was reported silently, a report of
    results and pixels the analyst never saw under the title of the one on screen."""
    sha = evidence.sha256

    def source() -> ReportSource:
        made = job.source()
        src = made if isinstance(made, ReportSource) else ReportSource.from_items(list(made))
        items = src.items

        def viewed(item: ReportItem) -> ReportItem:
            if probe is not None:
                item = dataclasses.replace(item, probe=probe)
            return with_viewer_thresholds(item, thresholds)

        def with_viewer() -> Iterator[ReportItem]:
            for item in items():
                if item.sha256 != sha:
                    raise ForensicError(
                        evidence.path,
                        f"its scan result is of other bytes now (SHA-256 {item.sha256}, the "
                        f"viewer's {sha}): analysed again since it was opened; open it again "
                        "from the scan",
                    )
                yield viewed(item)

        return dataclasses.replace(src, items=with_viewer)

    return source


def not_run_models(analysis: Analysis, model_paths: Sequence[str]) -> dict[str, str]:
    """Models in use (checkpoint files) that have no result on ``analysis``, with the reason.

    Face models (checkpoint scope ``faces``) are not among them: they never have a whole-image
    result, they judge the faces found (``FaceRegion.face_scores``, the report's Faces section
    and its models with role "face model")."""
    from engine.checkpoints import read_meta
    from engine.ensemble import ENSEMBLE_SUFFIX

    out: dict[str, str] = {}
    for path in model_paths:
        if path.endswith(ENSEMBLE_SUFFIX):
            continue
        try:
            meta = read_meta(path)
            if meta.scope == "faces":
                continue
            name = meta.name or Path(path).stem
            why = "not run on this image (chosen after this analysis, or could not be loaded)"
        except (ForensicError, OSError, ValueError) as e:
            name, why = Path(path).stem, f"could not be loaded: {e}"
        if name not in analysis.results:
            out[name] = why
    return out
