"""PDF files -> text with page offsets (pypdf, BSD licensed).

Each page's text layer is read in content order, line by line with where each line starts; rag.sources.
pdf_layout drops the running headers and footers and joins wrapped lines into paragraphs. `PdfText.pages` holds
the offset in `text` where each page starts, so that a citation can name its page. Title, author and date come
from the document information (/Title, /Author, /CreationDate), else the title is a short first line. A file
without a text layer (a scan), an encrypted file or a damaged one raises SourceError saying so.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import NameObject, StreamObject

from rag.errors import SourceError
from rag.sources.pdf_layout import CJK, Line, drop_running_lines, join_pages, title_like

_CJK_SPACE = re.compile(f"(?<=[{CJK}])[ \\t]+(?=[{CJK}])")
_CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f]")
_TWO_BYTE_CODES = re.compile(rb"begincodespacerange\s*<[0-9A-Fa-f]{4}>\s*<[0-9A-Fa-f]{4}>")
_PDF_DATE = re.compile(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?(?:([Zz+\-])(\d\d)?'?(\d\d)?'?)?")


@dataclass(frozen=True)
class PdfText:
    """A PDF's text and metadata; `pages[i]` is the offset in `text` where page i + 1 starts."""

    title: str | None
    author: str | None
    published: str | None  # ISO 8601, from /CreationDate
    text: str
    pages: tuple[int, ...]


def read_pdf(data: bytes, origin: str) -> PdfText:
    """The text, page starts and metadata of a PDF file; SourceError if it has no readable text."""
    if not data.strip():
        raise SourceError(f"{origin}: the file is empty")
    if b"%PDF-" not in data[:1024]:
        raise SourceError(f"{origin}: not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # no user password: it opens without asking
            raise SourceError(f"{origin}: the PDF is encrypted and needs a password; save an unprotected copy")
        pages = [page_lines(page) for page in reader.pages]
        info = reader.metadata
        meta = (info.title, info.author, info.creation_date_raw) if info is not None else (None, None, None)
    except SourceError:
        raise
    except DependencyError as exc:
        raise SourceError(f"{origin}: the PDF is encrypted with a cipher this install cannot read ({exc})") from None
    except Exception as exc:  # a damaged file fails in many ways inside the parser: report it, whichever
        raise SourceError(f"{origin}: damaged or unreadable PDF ({exc.__class__.__name__}: {exc})") from None
    if not pages:
        raise SourceError(f"{origin}: damaged PDF: no pages found")
    if not any(pages):
        raise SourceError(f"{origin}: no text layer on any of its {len(pages)} page(s) (a scanned PDF?); "
                          "run OCR on it first")
    n = len(pages)
    pages = drop_running_lines(pages)
    if not any(pages):
        raise SourceError(f"{origin}: no text layer beyond running headers and footers on its {n} pages "
                          "(a scanned PDF?); run OCR on it first")
    title, author, created = (_meta_str(v) for v in meta)
    first = next(p[0] for p in pages if p)
    if sum(map(len, pages)) > 1 and ((title is None and title_like(first, pages)) or title == first.text):
        title = title or first.text  # the first line is the title: not repeated in the text
        pages = [p[1:] if p and p[0] is first else p for p in pages]
    text, starts = join_pages(pages)
    return PdfText(title=title, author=author, published=pdf_date(created), text=text, pages=starts)


def page_lines(page: PageObject) -> list[Line]:
    """The page's non-blank text lines in content order, each with where it starts (pypdf's visitor reports
    the position of each piece of text it extracts; the pieces add up to the extracted text)."""
    _two_byte_fonts(page)
    lines: list[Line] = []
    text: list[str] = []
    where: list[tuple[float, float, float]] = []  # of the current line's first visible piece

    def end_line() -> None:
        line = _clean("".join(text))
        if line:
            lines.append(Line(line, *where[0]) if where else Line(line))
        text.clear()
        where.clear()

    def visit(piece: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        for i, part in enumerate(piece.split("\n")):
            if i:
                end_line()
            if part.strip() and not where:
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                where.append((x, y, size * (abs(tm[3] * cm[3]) or 1.0)))
            text.append(part)

    page.extract_text(visitor_text=visit)
    end_line()
    return lines


def _clean(line: str) -> str:
    line = re.sub(r"[ \t\u00a0\u3000]+", " ", _CONTROL.sub("", line)).strip()
    return _CJK_SPACE.sub("", line)


def _two_byte_fonts(page: PageObject) -> None:
    """pypdf reads a composite font whose /Encoding is an embedded two-byte CMap (as fpdf2 writes them) one byte
    at a time, which puts a NUL before every Chinese character: read its codes as Identity-H (two bytes); text
    still comes from the font's /ToUnicode map."""
    resources = page.get("/Resources")
    fonts = resources.get_object().get("/Font") if resources is not None else None
    for ref in fonts.get_object().values() if fonts is not None else ():
        font = ref.get_object()
        enc = font.get("/Encoding")
        enc = enc.get_object() if enc is not None else None
        if font.get("/Subtype") == "/Type0" and isinstance(enc, StreamObject) and \
                _TWO_BYTE_CODES.search(enc.get_data()):
            font[NameObject("/Encoding")] = NameObject("/Identity-H")


def _meta_str(value: object) -> str | None:
    if value is None:
        return None
    s = re.sub(r"\s+", " ", str(value)).strip()
    s = re.sub(r"^Microsoft Word - (.+?)(?:\.docx?)?$", r"\1", s)
    return s or None


def pdf_date(value: str | None) -> str | None:
    """A PDF date string (D:YYYYMMDDHHmmSS+HH'mm') as ISO 8601; None if it is not one."""
    m = _PDF_DATE.match(value or "")
    if not m:
        return None
    y, mo, d, h, mi, s, sign, tzh, tzm = m.groups()
    try:
        tz = None
        if sign in ("Z", "z"):
            tz = UTC
        elif sign:
            off = timedelta(hours=int(tzh or 0), minutes=int(tzm or 0))
            tz = timezone(off if sign == "+" else -off)
        return datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0),
                        tzinfo=tz).isoformat()
    except ValueError:
        return None
