"""A PDF's text lines -> paragraphs: running headers and footers dropped, wrapped lines joined.

A PDF knows lines, not paragraphs. Lines repeated at the top or bottom of most pages (numbers may differ: page
numbers) are running headers and footers and are dropped. A line ends its paragraph when the next one starts
after a wider gap than the page's line spacing, or indented, or as a list item, or when the line stops well
short of the usual line width; otherwise the next line continues it, joined without a space beside Chinese
text. `join_pages` also returns where each page starts in the joined text, for citations' page numbers.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass

EDGE = 3  # lines at the top and at the bottom of a page that may be a running header or footer
FULL = 0.8  # a line at least this share of the usual line width was wrapped by the layout
GAP = 1.3  # a gap this many times the page's line spacing separates paragraphs
CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"  # CJK scripts and punctuation, full-width forms
_NUMBERS = re.compile(r"[0-9０-９]+|[〇零一二三四五六七八九十百千]+")  # page numbers change from page to page
_LIST_ITEM = re.compile(r"^(?:[•·●▪◦\-–—*]\s|\d{1,3}[.、)）](?!\d)|[一二三四五六七八九十]{1,3}、|"
                        r"[（(][一二三四五六七八九十\d]{1,3}[)）])")
_SENTENCE_END = tuple("。！？!?…」”』）)")


@dataclass(frozen=True)
class Line:
    """One text line of a page, and where it starts on the page (PDF units, y upwards), when known."""

    text: str
    x: float | None = None
    y: float | None = None
    size: float = 0.0  # font size, for what counts as an indent


def width(text: str) -> int:
    """Display width: 2 for a wide (CJK) character, 1 for others."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _key(line: Line) -> str:
    return re.sub(r"\s+", "", _NUMBERS.sub("#", line.text))


def drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages without the lines that repeat at the top or bottom of most pages (numbers may differ)."""
    if len(pages) < 2:
        return pages
    need = max(2, len(pages) // 2 + 1)  # more than half of the pages
    tops = Counter(k for p in pages for k in {_key(line) for line in p[:EDGE]})
    bottoms = Counter(k for p in pages for k in {_key(line) for line in p[-EDGE:]})
    out = []
    for p in pages:
        lo, hi = 0, len(p)
        while lo < min(EDGE, hi) and tops[_key(p[lo])] >= need:
            lo += 1
        while hi > max(lo, len(p) - EDGE) and bottoms[_key(p[hi - 1])] >= need:
            hi -= 1
        out.append(p[lo:hi])
    return out


def usual_width(pages: list[list[Line]]) -> float:
    """The width of a full line: most lines of running text are full."""
    widths = sorted(width(line.text) for p in pages for line in p)
    return float(widths[int(0.9 * (len(widths) - 1))]) if widths else 0.0


def title_like(first: Line, pages: list[list[Line]]) -> bool:
    """A short first line (shorter than the lines that wrap) reads as the title."""
    return width(first.text) <= 80 and width(first.text) < FULL * usual_width(pages)


@dataclass(frozen=True)
class _Page:
    step: float | None  # the usual distance between lines
    left: float | None  # where lines usually start


def _page_geometry(lines: list[Line]) -> _Page:
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:]) if a.y is not None and b.y is not None and a.y > b.y]
    xs = [line.x for line in lines if line.x is not None]
    return _Page(statistics.median(gaps) if gaps else None, statistics.median_low(xs) if xs else None)


def _ends_paragraph(prev: Line, nxt: Line, usual: float, page: _Page | None) -> bool:
    """Whether `prev` ends a paragraph; `page` is the geometry when both lines are on the same page."""
    if page is not None:
        if page.step and prev.y is not None and nxt.y is not None and prev.y - nxt.y > GAP * page.step:
            return True  # paragraph spacing
        if page.left is not None and nxt.x is not None and nxt.x - page.left > 0.8 * (nxt.size or 10):
            return True  # a first-line indent
    w = width(prev.text)
    if w < FULL * usual or _LIST_ITEM.match(nxt.text):
        return True
    return prev.text.endswith(_SENTENCE_END) and w < 0.95 * usual  # a sentence ending short of the margin


def _joiner(prev: str, nxt: str) -> str:
    """What joins a wrapped line to the next: nothing beside CJK text or after a hyphen, else a space."""
    if re.match(f"[{CJK}]", prev[-1]) or re.match(f"[{CJK}]", nxt[0]) or prev.endswith("-"):
        return ""
    return " "


def join_pages(pages: list[list[Line]]) -> tuple[str, tuple[int, ...]]:
    """The lines of all pages as paragraphs (one per text line), and the offset where each page starts."""
    usual = usual_width(pages)
    parts: list[str] = []
    length = 0
    starts: list[int] = []
    prev: Line | None = None
    for lines in pages:
        starts.append(length)
        geometry = _page_geometry(lines)
        for i, line in enumerate(lines):
            if prev is None:
                sep = ""
            elif _ends_paragraph(prev, line, usual, geometry if i else None):
                sep = "\n"
            else:
                sep = _joiner(prev.text, line.text)
            length += len(sep)
            if i == 0:
                starts[-1] = length
            parts += [sep, line.text]
            length += len(line.text)
            prev = line
    return "".join(parts), tuple(starts)
