"""What a generated document holds, for the injection and fuzz tests (no tests here).

``pdf_facts`` walks every object of a PDF with pdfminer (object streams included) and
reports embedded files, annotations, actions and fonts; ``pdf_text`` is its text as
pypdfium2 extracts it; ``docx_facts`` lists a .docx's parts, relationships and text.
``RecordingServer`` is an HTTP server on 127.0.0.1 that records every request it gets.
"""

from __future__ import annotations

import http.server
import io
import re
import threading
import zipfile
from dataclasses import dataclass, field

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjectNotFound, PDFStream, resolve1
from pdfminer.psparser import PSLiteral

#: Keys of PDF dictionaries that a document of ours never has: files, links out, actions.
FORBIDDEN_KEYS = {
    "EmbeddedFile",
    "EmbeddedFiles",
    "FileAttachment",
    "Filespec",
    "URI",
    "Launch",
    "JavaScript",
    "JS",
}


def _name(value: object) -> str | None:
    value = resolve1(value)
    return value.name if isinstance(value, PSLiteral) else None


@dataclass
class PdfFacts:
    pages: int = 0
    fonts: set[str] = field(default_factory=set)  # BaseFont without the subset tag
    forbidden: list[str] = field(default_factory=list)  # what was found of FORBIDDEN_KEYS
    annotations: list[str] = field(default_factory=list)  # annotation subtypes


def pdf_facts(data: bytes) -> PdfFacts:
    facts = PdfFacts()
    doc = PDFDocument(PDFParser(io.BytesIO(data)))
    seen: set[int] = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            if objid in seen:
                continue
            seen.add(objid)
            try:
                obj = doc.getobj(objid)
            except PDFObjectNotFound:
                continue
            d = obj.attrs if isinstance(obj, PDFStream) else obj
            if not isinstance(d, dict):
                continue
            kind, subtype = _name(d.get("Type")), _name(d.get("Subtype"))
            for key in d:
                if key in FORBIDDEN_KEYS:
                    facts.forbidden.append(key)
            for value in (kind, subtype, _name(d.get("S"))):
                if value in FORBIDDEN_KEYS:
                    facts.forbidden.append(value)
            if kind == "Page":
                facts.pages += 1
            if kind == "Annot" or (subtype or "").endswith("Attachment"):
                facts.annotations.append(subtype or "?")
            if kind == "Font" and subtype != "Type0":  # the descendant fonts carry the same name
                base = _name(d.get("BaseFont"))
                if base:
                    facts.fonts.add(base.split("+", 1)[-1])
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        if pdf.count_attachments():
            facts.forbidden.append(f"{pdf.count_attachments()} attachments")
    finally:
        pdf.close()
    return facts


def allowed_fonts() -> set[str]:
    """The PostScript names our font stacks give in a PDF (regular and bold)."""
    from zhenggai.reports.fonts import ROLES

    names = {family.replace(" ", "-") for role in ROLES.values() for family in role.css}
    return names | {f"{n}-Bold" for n in names}


_SPACE = re.compile(r"\s+")
_PAGE_NUMBER = re.compile(r"—\d+—")


def flat(text: str) -> str:
    """Text without whitespace, to compare what was written with what a reader extracts."""
    return _SPACE.sub("", text)


def pdf_text(data: bytes) -> str:
    """Every page's text (pypdfium2), flattened, page numbers left out."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        out = []
        for page in pdf:
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
    finally:
        pdf.close()
    # pdfium gives a hyphen that ends a line as U+FFFE (its soft-hyphen mark).
    return _PAGE_NUMBER.sub("", flat("".join(out).replace("\ufffe", "-")))


#: The relationship types (last segment) of a .docx of ours: the package's own parts only.
DOCX_RELATIONSHIPS = {
    "officeDocument",
    "core-properties",
    "extended-properties",
    "custom-properties",
    "styles",
    "stylesWithEffects",
    "settings",
    "webSettings",
    "fontTable",
    "theme",
    "numbering",
    "footer",
    "header",
    "customXml",
    "customXmlProps",
    "thumbnail",
}


@dataclass
class DocxFacts:
    parts: set[str]
    relationships: list[tuple[str, str, str]]  # (part, type, target) of every relationship
    external: list[str]  # targets with TargetMode="External"
    text: str  # the text of body, tables and footers, flattened


_REL = re.compile(r"<Relationship\b[^>]*>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def docx_facts(data: bytes) -> DocxFacts:
    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = set(z.namelist())
        rels, external = [], []
        for name in parts:
            if name.endswith(".rels"):
                for m in _REL.finditer(z.read(name).decode("utf-8")):
                    attrs = dict(_ATTR.findall(m.group(0)))
                    rels.append((name, attrs.get("Type", ""), attrs.get("Target", "")))
                    if attrs.get("TargetMode") == "External":
                        external.append(attrs.get("Target", ""))
    d = docx.Document(io.BytesIO(data))
    texts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            texts += [c.text for c in row.cells]
    return DocxFacts(parts, rels, external, flat("".join(texts)))


class RecordingServer:
    """An HTTP server on 127.0.0.1 (a free port) that records the paths it is asked for."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/svg+xml")
                self.end_headers()
                self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
