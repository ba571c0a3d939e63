"""The HTML report: one self-contained file, or above :data:`EMBED_LIMIT` files the file and
its folder of images.

- Images are embedded as ``data:`` URIs; the only links are in-page anchors; no script; a
  Content-Security-Policy forbids every fetch but ``data:`` images, so the file opens offline
  and tells no server that it was opened.
- A report of more than :data:`EMBED_LIMIT` files writes its images (thumbnails, figures) as
  files in ``NAME_files/`` beside ``NAME.html`` and names them relatively: embedded, 10,000
  small files made one HTML file of 174 MB that a browser opened slowly if at all. Each
  ``<img>`` carries the SHA-256 of its file (``data-sha256``), so the report's own hash, which
  the case log records, covers every image; ``NAME_files/SHA256SUMS`` lists them for
  ``sha256sum -c``. The CSP then also allows images of the page's own folder (``'self'``,
  ``file:``), nothing else. Copy the file and its folder together.
- Such a report is paged: ``NAME.html`` holds the first sections (case, alerts, summary with
  the counts and each file's thumbnail, models, limitations, environment) and, at the end,
  the list of pages ``NAME_files/page-NNNN.html``, each with its SHA-256 (so the report's own
  hash covers the pages, and each page the images it shows); each page holds
  :data:`PAGE_FILES` files' sections with links to the report's file and the pages before
  and after. The summary links each file to its section on its page. One page of 10,000
  files' sections was 48 MB with 30,000 images.
- Every string that comes from a file name, metadata, a checkpoint or the examiner goes through
  :func:`esc` (``html.escape`` with quotes), in text and in attributes alike; control and bidi
  control characters in it are shown as ``[U+202E]`` (as in the PDF), so a file name cannot
  reorder what is printed around it. A link or image source names a file of the report's own
  (never a scheme) through :func:`href`, percent-encoded: the report's name may hold ``#``.
- A file's Metadata, folded on screen, prints open: a ``<details class="fold">`` holds only
  its summary and the table after it (``class="folded"``) is hidden by CSS while that is
  closed, except in print. No script: the CSP forbids one, and a browser or PDF converter
  that runs none would print it folded.
- Written item by item to a temporary file that replaces the target at the end; the image
  folder likewise fills a temporary folder that takes its name just before the file does.
  A folder already there under that name (an earlier report's, whose images and
  ``SHA256SUMS`` may have been handed over, or anything else) is never removed or written
  into: the report's folder is then ``NAME_files.2/`` (``.3``, ...), the first name free when
  the report begins, and the report names it (:meth:`HtmlWriter._free_folder`).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from engine.files import temp_path
from forensic_viewer.report import face_text as F
from forensic_viewer.report import text as T
from forensic_viewer.report.build import STOPPED_HEADING, Figure, ItemFigures, Overview
from forensic_viewer.report.evidence_text import evidence_rows
from forensic_viewer.report.glossary import HEADING as WORDS_HEADING
from forensic_viewer.report.glossary import report_words
from forensic_viewer.report.limitations import limitations_text
from forensic_viewer.report.model import ReportItem
from forensic_viewer.report.summary_marks import summary_flagged
from forensic_viewer.report.textfile import TextReportFile
from forensic_viewer.scan import probe as P
from forensic_viewer.scan.groundtruth import report_section
from forensic_viewer.wording import marked

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'"
FOLDER_CSP = CSP.replace("img-src data:", "img-src data: 'self' file:")
EMBED_LIMIT = 200  # files; a report of more writes its images into NAME_files/
PAGE_FILES = 100  # files' sections a page of NAME_files/ holds, above EMBED_LIMIT
SUMS = "SHA256SUMS"
EXTENSION = {"image/jpeg": ".jpg", "image/png": ".png"}
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #1a1a1a; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #444; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eee; }
table.kv th { width: 15em; font-weight: normal; color: #444; background: #f6f6f6; }
td.mono, .mono { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
.alert { border: 4px solid #b00000; background: #ffe5e5; color: #700; padding: 0.8em 1em;
         margin: 1em 0; }
.alert h2 { border: none; margin: 0 0 0.4em; color: #b00000; }
.ok { color: #176317; }
.bad, .notrun { color: #b00000; font-weight: bold; }
.error { border: 2px solid #b00000; background: #fff0f0; padding: 0.5em 1em; }
.figure { margin: 1em 0; }
.figure img { max-width: 100%; border: 1px solid #999; }
.caption { color: #444; font-size: 0.9em; }
.entry { display: flex; gap: 1.2em; flex-wrap: wrap; align-items: flex-start; }
.entry .figure { flex: 1 1 420px; margin: 0; }
.entry table { flex: 1 1 380px; }
.notes { white-space: pre-wrap; }
.analysis { border-left: 3px solid #888; padding-left: 0.8em; margin: 0.8em 0; }
td.level-strong { color: #b00000; font-weight: bold; }
td.level-notice { color: #8a5a00; }
td.manipulated { background: #ffe0e0; }
td.thumb img { max-height: 64px; max-width: 96px; }
details.fold:not([open]) + .folded { display: none; }
@media print {
  details.fold:not([open]) + .folded { display: table; }
  details.fold > summary { list-style: none; font-weight: bold; }
  details.fold > summary::-webkit-details-marker { display: none; }
  @page { margin: 15mm 12mm; }
  body { font-size: 10pt; max-width: none; margin: 0; padding: 0; color: #000;
         background: #fff; }
  h1, h2, h3, h4, summary { break-after: avoid; page-break-after: avoid; }
  .figure, .figure img, tr, .alert, .error { break-inside: avoid; page-break-inside: avoid; }
  .entry { display: block; }
  thead { display: table-header-group; }
  /* the only links lead to a file's section, which the # column already numbers */
  a { color: inherit; text-decoration: none; }
  .alert, .error, td.manipulated { -webkit-print-color-adjust: exact;
                                   print-color-adjust: exact; }
}
"""


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute: hidden characters marked
    (:func:`~forensic_viewer.wording.marked`; line breaks and tabs kept), & < > " ' escaped."""
    return html.escape(marked(value), quote=True)


def href(path: str) -> str:
    """A relative link (``href``, ``src``) to ``path``, a file of the report's: percent-encoded,
    so that a name with ``#``, ``?``, ``%`` or a space (the report's name is the user's, or the
    evidence file's) is that file, not a file and a fragment; a name that is not UTF-8 by its
    bytes. Never a scheme: ``path`` is relative."""
    return esc(quote(path, safe="/", errors="surrogateescape"))


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _kv(rows: T.Rows, css: str = "kv") -> str:
    """A two-column table of label and value; hashes in monospace, notes keep their lines."""
    out = []
    for k, v in rows:
        cls = "mono" if T.is_digest(v) else "notes" if k == "Notes" else ""
        td = f'<td class="{cls}">' if cls else "<td>"
        out.append(f'<tr><th scope="row">{esc(k)}</th>{td}{esc(v)}</td></tr>')
    return f'<table class="{css}">{"".join(out)}</table>'


def new_folder(near: Path) -> Path:
    """A new empty folder named as :func:`engine.files.temp_path` names a temporary file of
    ``near`` (``NAME.~<8 hex>.tmp`` beside it), made as ``mkdir`` makes one: 0777 less the
    umask (0755 under the usual 022). ``tempfile.mkdtemp`` made the report's image folder
    0700, its files 0644: anyone else opening a shared report saw none of its images (a
    walk-through of 10,000 files, 2026-12-06)."""
    while True:
        folder = temp_path(near)
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder


class HtmlWriter(TextReportFile):
    """Writes ``path`` from an :class:`Overview` and then one item at a time."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.folder = path.with_name(f"{path.stem}_files")  # used above EMBED_LIMIT files
        self._tmp_folder: Path | None = None  # the folder being filled, renamed by finish
        self._sums: list[str] = []
        self._count = 0
        self._page: TextIO | None = None  # the page of NAME_files/ being written (paged)
        self._pages: list[tuple[str, str, int, int]] = []  # file, SHA-256, first, last file
        self._ov: Overview | None = None

    @property
    def paged(self) -> bool:
        """The files' sections go to pages of :data:`PAGE_FILES` in the image folder."""
        return self._tmp_folder is not None

    def _w(self, s: str) -> None:
        """Write to the page under way (paged), else to the report's file."""
        f = self._page or self._f
        assert f is not None
        f.write(s)

    def _src(self, data: bytes, mime: str, name: str) -> str:
        """An ``<img>``'s ``src`` (and ``data-sha256``) for ``data``: a ``data:`` URI, or the
        file ``name`` + extension written in the image folder (named from the page that
        shows it: the report's file, or a page in the folder)."""
        if self._tmp_folder is None:
            return f'src="{data_uri(data, mime)}"'
        self._count += 1
        file = f"{self._count:06d}-{name}{EXTENSION.get(mime, '.bin')}"
        (self._tmp_folder / file).write_bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        self._sums.append(f"{sha}  {file}\n")
        where = file if self._page is not None else f"{self.folder.name}/{file}"
        return f'src="{href(where)}" data-sha256="{sha}" loading="lazy"'

    def _page_name(self, index: int) -> str:
        """The page of NAME_files/ that holds file ``index``'s section."""
        return f"page-{index // PAGE_FILES + 1:04d}.html"

    def _head(self, title: str, csp: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        )

    def _page_nav(self, number: int, pages: int) -> str:
        """Links of page ``number`` of ``pages``: the report's file, the page before, after."""
        links = [f'<a href="{href(f"../{self.path.name}")}">report and summary</a>']
        if number > 1:
            links.append(f'<a href="page-{number - 1:04d}.html">previous page</a>')
        if number < pages:
            links.append(f'<a href="page-{number + 1:04d}.html">next page</a>')
        return f"<nav><p>Page {number} of {pages}: {' · '.join(links)}</p></nav>\n"

    def _open_page(self, index: int) -> None:
        """Start the page of NAME_files/ whose first section is file ``index``'s."""
        ov = self._ov
        assert ov is not None and self._tmp_folder is not None
        number, pages = index // PAGE_FILES + 1, -(-ov.source.count // PAGE_FILES)
        last = min(index + PAGE_FILES, ov.source.count)
        name = self._page_name(index)
        self._page = open(  # closed by _close_page, or abort
            self._tmp_folder / name, "w", encoding="utf-8", errors="backslashreplace"
        )
        self._pages.append((name, "", index + 1, last))
        title = f"Forensic examination report: {ov.source.title}, files {index + 1}-{last}"
        self._w(self._head(title, FOLDER_CSP) + self._page_nav(number, pages))
        self._w(f"<h1>Files {index + 1} to {last} of {ov.source.count}</h1>\n")
        self._w(f"<p>{esc(ov.source.title)}</p>\n")
        if ov.alerts:
            self._w(
                f'<p class="bad"><a href="{href(f"../{self.path.name}")}#integrity-alert">'
                f"{ov.alert_banner}: see the report's first section</a></p>\n"
            )
        self._w(f'<section id="items"><p class="caption">{esc(T.LEGEND_TEXT)}</p>\n')

    def _close_page(self) -> None:
        """End the page under way; its SHA-256 goes to the list of pages and SHA256SUMS."""
        if self._page is None:
            return
        ov = self._ov
        assert ov is not None and self._tmp_folder is not None
        name, _, first, last = self._pages[-1]
        self._w(
            "</section>\n"
            + self._page_nav(first // PAGE_FILES + 1, -(-ov.source.count // PAGE_FILES))
        )
        self._w("</body>\n</html>\n")
        self._page.close()
        self._page = None
        sha = hashlib.sha256((self._tmp_folder / name).read_bytes()).hexdigest()
        self._pages[-1] = (name, sha, first, last)
        self._sums.append(f"{sha}  {name}\n")

    def _figure(self, fig: Figure, alt: str) -> str:
        return (
            f'<div class="figure"><img {self._src(fig.data, fig.mime, "figure")} '
            f'alt="{esc(alt)}" width="{fig.width}" height="{fig.height}">'
            f'<div class="caption">{esc(fig.caption)}</div></div>'
        )

    def begin(self, ov: Overview, thumbnails: Iterable[bytes | None]) -> None:
        self._open()
        csp = CSP
        if ov.source.count > EMBED_LIMIT:
            self.folder = self._free_folder()  # before any text names it
            self._tmp_folder = new_folder(self.path.parent / f".{self.folder.name}")
            csp = FOLDER_CSP
        self._ov = ov
        title = f"Forensic examination report: {ov.source.title}"
        self._w(
            self._head(title, csp)
            + f"<h1>Forensic examination report</h1>\n<p>{esc(ov.source.title)}</p>\n"
        )
        if self.paged:
            self._w(
                f"<p>This report of {ov.source.count} files keeps its images and the files' "
                f"sections, {PAGE_FILES} to a page, in the folder {esc(self.folder.name)}/ "
                "beside it (keep the two together); each page's SHA-256 is written in this "
                "file (Evidence files, at the end), each image's in the page that shows it, "
                f"and all of them in {esc(self.folder.name)}/{SUMS}.</p>\n"
            )
        # the first box has the id later pages link to
        for n, (heading, meaning, alerts) in enumerate(ov.alert_sections):
            items = "".join(f"<li>{esc(a)}</li>" for a in alerts)
            self._w(
                f'<section class="alert" id="{"integrity-alert" if n == 0 else "scan-alert"}">'
                f"<h2>{esc(heading)}</h2><p>{esc(meaning)}</p><ul>{items}</ul></section>\n"
            )
        if ov.stopped:
            self._w(
                f'<section class="alert" id="partial-scan"><h2>{esc(STOPPED_HEADING)}</h2>'
                f"<p>{esc(ov.stopped)}</p></section>\n"
            )
        if ov.probes:  # a probe report says so before anything else (its table is last)
            lines = "".join(f"<p>{esc(line)}</p>" for line in ov.probes)
            self._w(f'<section id="probe"><h2>{esc(P.PROBE_HEADING)}</h2>{lines}</section>\n')
        self._w(f'<section id="case"><h2>Case</h2>{_kv(T.case_rows(ov))}</section>\n')
        self._summary(ov, thumbnails)
        words = _kv(report_words(ov))
        self._w(f'<section id="words"><h2>{esc(WORDS_HEADING)}</h2>{words}</section>\n')
        self._w('<section id="models"><h2>Models</h2>')
        if not ov.models:
            self._w("<p>No model ran on any file of this report.</p>")
        for m in ov.models:
            self._w(f"<h3>{esc(m.name)}</h3>{_kv(T.model_rows(m))}")
        self._w("</section>\n")
        if ov.analyses:
            self._w('<section id="analyses"><h2>Classic analyses</h2>')
            self._w(f"<p>{esc(T.ANALYSES_TEXT)}</p>")
            for a in ov.analyses:
                self._w(f"<h3>{esc(a.name)}</h3>{_kv(T.analysis_summary_rows(a))}")
            self._w("</section>\n")
        if ov.source.ground_truth:
            self._ground_truth(ov.source.ground_truth)
        self._w('<section id="limitations"><h2>Limitations</h2>')
        for line in limitations_text(ov):
            self._w(f"<p>{esc(line)}</p>")
        self._w("</section>\n")
        self._w(
            '<section id="environment"><h2>Environment and parameters</h2>'
            f"{_kv(T.environment_rows(ov))}</section>\n"
        )
        if not self.paged:  # else the list of pages, at the end (finish)
            self._w('<section id="items"><h2>Evidence files</h2>')
            self._w(f'<p class="caption">{esc(T.LEGEND_TEXT)}</p>\n')

    def _ground_truth(self, gt: dict) -> None:
        intro, header, rows = report_section(gt)
        self._w(f'<section id="ground-truth"><h2>Ground truth</h2><p>{esc(intro)}</p>')
        self._w('<table class="summary"><thead><tr>')
        self._w("".join(f'<th scope="col">{esc(h)}</th>' for h in header) + "</tr></thead><tbody>")
        for row in rows:
            self._w("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>\n")
        self._w("</tbody></table></section>\n")

    def _summary(self, ov: Overview, thumbnails: Iterable[bytes | None]) -> None:
        header = T.summary_header(ov)
        self._w(f'<section id="summary"><h2>Summary</h2><p>{esc(T.counts_text(ov))}</p>')
        self._w(f'<p class="caveat">{esc(T.caveat_text(ov))}</p>')
        self._w('<table class="summary"><thead><tr><th></th>')
        self._w("".join(f'<th scope="col">{esc(h)}</th>' for h in header))
        self._w("</tr></thead><tbody>\n")
        thumbs = iter(thumbnails)
        for i, row in enumerate(ov.rows):
            cells = T.summary_cells(ov, i)
            thumb = next(thumbs, None)
            img = (
                f'<img {self._src(thumb, "image/jpeg", "thumb")} alt="thumbnail">' if thumb else ""
            )
            tds = [f'<td class="thumb">{img}</td>', f"<td>{esc(cells[0])}</td>"]
            page = href(f"{self.folder.name}/{self._page_name(i)}") if self.paged else ""
            tds.append(f'<td><a href="{page}#item-{i + 1}">{esc(cells[1])}</a></td>')
            status_css = "" if row.status == "ok" else ' class="bad"'
            tds.append(f"<td{status_css}>{esc(cells[2])}</td>")
            flagged = summary_flagged(ov, i)
            for j, c in enumerate(cells[3:-1], start=3):
                css = ' class="manipulated"' if j in flagged else ""
                css = ' class="notrun"' if c == "not run" else css
                tds.append(f"<td{css}>{esc(c)}</td>")
            integ = ov.integrity[i]
            css = "ok" if integ.ok else "bad"
            tds.append(f'<td class="{css}">{esc(cells[-1])}</td>')
            self._w(f'<tr id="row-{i + 1}">{"".join(tds)}</tr>\n')
            if (error := T.summary_error(ov, i)) is not None:  # as wide as the table
                self._w(
                    f'<tr><td></td><td class="bad" colspan="{len(header)}">{esc(error)}</td></tr>\n'
                )
        self._w(f'</tbody></table><p class="caption">{esc(T.summary_note(ov))}</p></section>\n')

    def item(self, index: int, item: ReportItem, ov: Overview, figs: ItemFigures) -> None:
        if self.paged and index % PAGE_FILES == 0:
            self._close_page()
            self._open_page(index)
        n = index + 1
        integ = ov.integrity[index]
        status = "ok" if item.status == "ok" else "error"
        self._w(f'<section class="item status-{status}" id="item-{n}">')
        self._w(f"<h2>{n}. {esc(item.key)}</h2>")
        if item.status != "ok":
            self._w(
                f'<div class="error"><p class="bad">NOT ANALYSED: {esc(item.error)}</p>'
                "<p>No check ran on this file.</p></div>"
            )
        css = "alert" if integ.status in ("mismatch", "unreadable") else "ok"
        rows = T.integrity_rows(integ, item.status == "ok")
        self._w(f'<div class="{css}">{_kv(rows)}</div>')
        settings = self._ov.source.settings if self._ov is not None else None
        self._w(f"<h3>Evidence</h3>{_kv(evidence_rows(item, settings))}")
        meta = T.metadata_rows(item)
        if meta:
            self._w(
                f'<details class="fold"><summary>Metadata ({len(meta)} fields, untrusted text '
                f"from the file)</summary></details>{_kv(meta, 'kv folded')}"
            )
        for note in [*item.notes, *figs.notes]:
            self._w(f'<p class="bad">{esc(note)}</p>')
        if figs.evidence is not None:
            self._w(self._figure(figs.evidence, f"evidence {item.key}"))
        for e in item.entries():
            label = T.entry_label(e)
            if not e.ran:
                self._w(
                    f'<h3>{esc(label)}: <span class="notrun">NOT RUN</span></h3>'
                    f"{_kv(T.entry_rows(e))}"
                )
                continue
            self._w(f'<h3>{esc(label)}</h3><div class="entry">')
            fig = figs.entries.get(e.name)
            if fig is not None:
                self._w(self._figure(fig, f"{label} on {item.key}"))
            self._w(f"{_kv(T.entry_rows(e, item.probability_source(e)))}</div>")
        for name, fig in figs.face_maps.items():
            self._w(f"<h3>Face map: {esc(name)}</h3>")
            self._w(self._figure(fig, f"face map of {name} on {item.key}"))
        if item.analyses:
            self._analyses(n, item, figs)
        if item.probe is not None:
            self._probe(item.probe)
        detector = F.detector_of(self._ov.source.settings if self._ov is not None else None)
        self._w(f"<h3>Faces</h3><p>{esc(F.faces_text(item, detector))}</p>")
        faces = F.face_rows(item)
        if faces:
            head = "".join(f"<th>{h}</th>" for h in F.FACE_COLUMNS)
            body = "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in faces
            )
            self._w(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        self._w("</section>\n")

    def _analyses(self, n: int, item: ReportItem, figs: ItemFigures) -> None:
        """Each classic analysis: its figure (map, clone pairs linked), figures and findings."""
        self._w("<h3>Classic analyses</h3>")
        for i, a in enumerate(item.analyses, start=1):
            self._w(f'<div class="analysis" id="item-{n}-analysis-{i}">')
            if not a.ran:
                self._w(f'<h4>{esc(a.name)}: <span class="notrun">NOT RUN</span></h4>')
                self._w(f"{_kv(T.analysis_rows(a))}</div>")
                continue
            self._w(f'<h4>{esc(a.name)}</h4><div class="entry">')
            fig = figs.analyses.get(a.name)
            if fig is not None:
                self._w(self._figure(fig, f"analysis {a.name} on {item.key}"))
            picture = figs.pictures.get(a.name)
            if picture is not None:
                self._w(self._figure(picture, f"picture of analysis {a.name} on {item.key}"))
            self._w(f"{_kv(T.analysis_rows(a))}</div>")
            findings = T.finding_rows(a)
            if findings:
                head = "".join(f"<th>{esc(h)}</th>" for h in T.FINDINGS_HEADER)
                body = "".join(
                    f'<tr><td class="level-{esc(r[0])}">'
                    + "</td><td>".join(esc(c) for c in r)
                    + "</td></tr>"
                    for r in findings
                )
                self._w(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            self._w("</div>")

    def _probe(self, table: dict) -> None:
        """The robustness probe's table (docs/PROBE.md) and how to read it."""
        head = "".join(f"<th>{esc(h)}</th>" for h in P.TABLE_COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in P.table_rows(table)
        )
        notes = "".join(f"<li>{esc(n)}</li>" for n in P.table_notes(table))
        self._w(
            f"<h3>Robustness probe</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"</table><ul>{notes}</ul>"
        )

    def finish(self) -> Path:
        if self.paged:
            self._close_page()
            self._w(
                '<section id="items"><h2>Evidence files</h2><p>Each file\'s section, '
                f"{PAGE_FILES} to a page, with each page's SHA-256:</p><ul>\n"
            )
            for name, sha, first, last in self._pages:
                self._w(
                    f'<li><a href="{href(f"{self.folder.name}/{name}")}" data-sha256="{sha}">'
                    f'files {first} to {last}</a> <span class="mono">SHA-256 {sha}</span></li>\n'
                )
            self._w("</ul>")
        self._w("</section>\n<footer><p>End of report.</p></footer>\n</body>\n</html>\n")
        if self._tmp_folder is not None:  # in place before the file that names its images
            (self._tmp_folder / SUMS).write_text("".join(self._sums), encoding="utf-8")
            self._place_folder(self._tmp_folder)
            self._tmp_folder = None
        return self._commit()

    def _free_folder(self) -> Path:
        """``NAME_files``, else the first of ``NAME_files.2``, ``.3``, ... that nothing holds
        (no file, folder or link): an earlier report's folder stays as it was."""
        base = self.path.with_name(f"{self.path.stem}_files")
        folder, n = base, 1
        while folder.exists() or folder.is_symlink():
            n += 1
            folder = base.with_name(f"{base.name}.{n}")
        return folder

    def _place_folder(self, tmp: Path) -> None:
        """``tmp`` renamed to :attr:`folder`, the name the report gives it, when that is still
        free; something put there while the report was written is refused in one line
        (OSError naming it), never replaced."""
        if self.folder.exists() or self.folder.is_symlink():
            raise OSError(
                errno.EEXIST,
                "appeared while the report was written, in the way of its images",
                str(self.folder),
            )
        tmp.rename(self.folder)

    def abort(self) -> None:
        super().abort()
        if self._page is not None:
            self._page.close()
            self._page = None
        if self._tmp_folder is not None:
            shutil.rmtree(self._tmp_folder, ignore_errors=True)
            self._tmp_folder = None
