"""A reportlab canvas that writes each finished page to the file as it ends.

reportlab keeps every page it has finished (its content stream uncompressed, its resources,
its images) in the document until ``save``, which formats the whole file at once: the PDF
report of a 10,000-file scan grew by about 19 kB of memory a file. Here the document writes a
page's objects to the open file when the page ends (:meth:`StreamingDocument.addPage`: the
page dictionary, its content stream, compressed then, its resources and the images first
drawn on it) and keeps only a small stand-in with the object's name, which the page tree and
a second drawing of the same image still refer to; of a content stream or resources, only its
number and offset, which the cross-reference table needs. What waits for ``save`` is what the whole
document shares and may still change: the page tree (its kids grow), catalog, info, outlines,
fonts (subset at the end) and forms (the "of M" of "page N of M", drawn once the last page is
known: :meth:`StreamingDocument.reserve_form` gives it its object number before the first
page names it). ``save`` then writes those, the cross-reference table (each object's offset,
recorded as it was written) and the trailer. The objects are numbered as reportlab numbers
them; only their order in the file differs, which the cross-reference table records.

reportlab has no public interface for this: :class:`StreamingDocument` overrides
``PDFDocument``'s ``addPage``, ``addForm``, ``format`` and ``SaveToFile`` (reportlab 4 and 5;
``format`` follows theirs, without the comments it writes outside invariant mode).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import (
    PDF_SUPPORT_VERSION,
    PDFCrossReferenceTable,
    PDFDocument,
    PDFImageXObject,
    PDFIndirectObject,
    PDFObject,
    PDFPage,
    PDFTrailer,
    pdfdocEnc,
    xObjectName,
)
from reportlab.pdfgen.canvas import Canvas


class Written(PDFObject):
    """What stays of an object once written: its name (a reference to it is by name) and, for
    an image, its size (``drawImage`` reads it when the same image is drawn again)."""

    def __init__(self, name: str, width: Any = None, height: Any = None) -> None:
        self.__InternalName__ = name
        self.width = width
        self.height = height

    def format(self, document: Any) -> bytes:
        raise ValueError(f"{self.__InternalName__} was written already")


class _Sink:
    """reportlab's ``PDFFile`` (``add`` returns the offset of what it adds), writing to the
    file instead of keeping the strings."""

    def __init__(self, f: BinaryIO, version: tuple[int, int]) -> None:
        self.f = f
        self.offset = 0
        self.add(
            pdfdocEnc("%PDF-{}.{}".format(*version))
            + b"\n%\223\214\213\236 ReportLab Generated PDF document (opensource)\n"
        )

    def add(self, s: bytes | str) -> int:
        data = pdfdocEnc(s)
        at = self.offset
        self.f.write(data)
        self.offset += len(data)
        return at


class StreamingDocument(PDFDocument):
    """A ``PDFDocument`` that writes a page's objects when it ends (module doc). Made by
    :class:`StreamingCanvas`; :meth:`open` before the first page."""

    def open(self, path: str) -> None:
        self._out: BinaryIO = open(path, "wb")  # closed by SaveToFile or close
        # the header is written first: the version of the newest feature reportlab may still
        # ask for (transparency, 1.4: ensureMinPdfVersion raises the version as it is used)
        self._sink = _Sink(self._out, max(self._pdfVersion, *PDF_SUPPORT_VERSION.values()))
        self._seen = self.objectcounter  # objects up to this number were looked at
        self._reserved: set[str] = set()

    def close(self) -> None:
        self._out.close()

    def reserve_form(self, name: str) -> None:
        """Give the form ``name`` its object number now, so that pages naming it can be
        written before it is drawn (``canvas.beginForm(name)`` ... ``endForm()``)."""
        internal = xObjectName(name)
        self.Reference(PDFObject(), internal)  # a placeholder, replaced by addForm
        self._reserved.add(internal)

    def addForm(self, name: str, form: Any) -> None:
        internal = xObjectName(name)
        if internal not in self._reserved:
            super().addForm(name, form)
            return
        form.__InternalName__ = internal  # takes the number reserve_form gave it
        self.idToObject[internal] = form
        self._reserved.discard(internal)
        self.inObject = None

    def _shared(self) -> set[int]:
        """The objects the whole document shares, kept until the end (by identity)."""
        kept = (self.Pages, self.Catalog, self.info, self.Outlines)
        return {id(o) for o in kept} | {id(self.idToObject[pdfdoc.BasicFonts])}

    def _write(self, oid: str, drop: bool = True) -> None:
        """Write the object ``oid``; with ``drop``, a page or an image leaves its stand-in
        (:class:`Written`), anything else (a content stream, resources) nothing but its number
        and offset."""
        obj = self.idToObject[oid]
        self.idToOffset[oid] = self._sink.add(PDFIndirectObject(oid, obj).format(self))
        if not drop:
            return
        if isinstance(obj, (PDFPage, PDFImageXObject)):
            width, height = getattr(obj, "width", None), getattr(obj, "height", None)
            self.idToObject[oid] = Written(oid, width, height)
        else:
            del self.idToObject[oid]

    def addPage(self, page: Any) -> None:
        super().addPage(page)
        shared = self._shared()
        before = self.objectcounter
        oid = page.__InternalName__
        # images first drawn on this page: complete since they were registered
        for n in range(self._seen + 1, before + 1):
            name = self.numberToId[n]
            if name != oid and isinstance(self.idToObject[name], PDFImageXObject):
                self._write(name)
        self._write(oid)
        self.Pages.pages[-1] = self.idToObject[oid]
        # what formatting the page registered (its content stream, resources), in turn
        n = before
        while n < self.objectcounter:
            n += 1
            name = self.numberToId[n]
            if id(self.idToObject[name]) not in shared:
                self._write(name)
        self._seen = self.objectcounter
        self._out.flush()  # the page is in the file, not in a buffer (tests read it)

    def format(self) -> bytes:
        """The objects not written yet, the cross-reference table and the trailer, into the
        file (reportlab's ``format`` returns the whole file instead)."""
        self.encrypt.prepare(self)
        cat = self.Catalog
        self.Reference(cat)
        self.Reference(self.info)
        encrypt = self.encrypt.info()
        encryptref = self.Reference(encrypt) if encrypt else None
        ids = []
        counter = 0
        while counter + 1 in self.numberToId:  # entries are added while formatting
            counter += 1
            oid = self.numberToId[counter]
            if oid not in self.idToOffset:
                self._write(oid, drop=False)  # the catalog may name it after
            ids.append(oid)
        xref = PDFCrossReferenceTable()
        xref.addsection(0, ids)
        at = self._sink.add(xref.format(self))
        trailer = PDFTrailer(
            startxref=at,
            Size=len(ids) + 1,
            Root=self.Reference(cat),
            Info=self.Reference(self.info),
            Encrypt=encryptref,
            ID=self.ID(),
        )
        self._sink.add(trailer.format(self))
        return b""

    def SaveToFile(self, filename: Any, canvas: Any) -> None:
        try:
            self.GetPDFData(canvas)
        finally:
            self.close()


class StreamingCanvas(Canvas):
    """A reportlab ``Canvas`` whose document is a :class:`StreamingDocument` writing to
    ``filename`` (a path) from the first page."""

    def __init__(self, filename: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(filename, *args, **kwargs)
        self._doc.__class__ = StreamingDocument
        self._doc.open(filename)
