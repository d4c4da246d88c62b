"""Word .docx files -> paragraphs and metadata (python-docx, MIT licensed).

The body is read in document order, paragraphs and tables alike (a table row becomes one line, its cells
joined by " | "); page headers and footers live in their own parts of the file and are not read. Title, author
and date come from the document's core properties, else the title is the first heading (or a short first
line). An encrypted file, a legacy .doc, or a damaged one raises SourceError saying so.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from rag.errors import SourceError

MAX_UNPACKED = 200 * 1024 * 1024  # bytes a .docx may unpack to: more is a zip bomb, not an article
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: a legacy .doc, or an encrypted .docx
_HEADING = re.compile(r"^(?:Title|Heading\s*\d*|标题\s*\d*)$", re.I)


@dataclass(frozen=True)
class DocxText:
    """A Word document's paragraphs (text lines, no empty ones) and metadata."""

    title: str | None
    author: str | None
    published: str | None  # ISO 8601, from the core properties' `created`
    paragraphs: list[str]


def read_docx(data: bytes, origin: str) -> DocxText:
    """The paragraphs and metadata of a .docx file; SourceError if it cannot be read."""
    if not data.strip():
        raise SourceError(f"{origin}: the file is empty")
    if data.startswith(_OLE):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise SourceError(f"{origin}: the Word file is encrypted and needs a password; save an unprotected copy")
        raise SourceError(f"{origin}: a legacy Word .doc file, not .docx; save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNPACKED:
            raise SourceError(f"{origin}: the file unpacks to {unpacked // 2**20} MB, over the "
                              f"{MAX_UNPACKED // 2**20} MB limit")
        doc = docx.Document(io.BytesIO(data))
        blocks = [(_block_text(b), _is_heading(b)) for b in doc.iter_inner_content()]
        core = doc.core_properties
        title, author, created = _clean(core.title), _clean(core.author), core.created
    except SourceError:
        raise
    except zipfile.BadZipFile:
        raise SourceError(f"{origin}: not a Word .docx file (not a ZIP package)") from None
    except Exception as exc:  # a damaged file fails in many ways inside the parser: report it, whichever
        raise SourceError(f"{origin}: damaged or unreadable Word file ({exc.__class__.__name__}: {exc})") from None
    paras: list[str] = []
    heading_at: int | None = None
    for text, heading in blocks:
        lines = [ln for ln in (_clean(x) for x in text.split("\n")) if ln]
        if heading and heading_at is None and lines:
            heading_at = len(paras)
        paras.extend(lines)
    if not paras:
        raise SourceError(f"{origin}: no text in the document")
    title, paras = _title(title, paras, heading_at)
    published = created.isoformat() if isinstance(created, datetime) else None
    return DocxText(title=title, author=author, published=published, paragraphs=paras)


def _clean(value: object) -> str | None:
    s = re.sub(r"[ \t\u00a0\u3000]+", " ", str(value)).strip() if value is not None else ""
    return s or None


def _block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Paragraph):
        return block.text
    rows = []
    for row in block.rows:
        cells: list[str] = []
        prev: object = None
        for cell in row.cells:  # a merged cell is listed once per grid column it spans
            if cell._tc is not prev:
                prev = cell._tc
                cells.append(" ".join(cell.text.split()))
        rows.append(" | ".join(c for c in cells if c))
    return "\n".join(rows)


def _is_heading(block: Paragraph | Table) -> bool:
    if not isinstance(block, Paragraph):
        return False
    try:
        name = block.style.name if block.style is not None else ""
    except (KeyError, AttributeError, ValueError):  # a style the file names but does not define
        return False
    return bool(_HEADING.match(name or ""))


def _title(title: str | None, paras: list[str], heading_at: int | None) -> tuple[str | None, list[str]]:
    """The title (metadata, else the first heading near the top, else a short first line) and the body
    without it."""
    if title is not None:
        return title, paras[1:] if paras[0] == title and len(paras) > 1 else paras
    if heading_at is not None and heading_at <= 2 and len(paras) > heading_at + 1:
        return paras[heading_at], paras[:heading_at] + paras[heading_at + 1:]
    if len(paras) > 1 and len(paras[0]) <= 60:
        return paras[0], paras[1:]
    return None, paras
