"""HTML extraction: a page's title and its article paragraphs without page furniture (stdlib HTMLParser)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "iframe", "svg", "button", "form", "nav", "template",
         "head", "title", "share-button", "share-modal", "select", "input", "video", "audio"}
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "figcaption", "figure",
          "blockquote", "section", "article", "header", "footer", "aside", "table", "tr", "td",
          "th", "pre", "dd", "dt", "dl", "main", "body", "html", "br", "hr"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "col", "embed"}  # never closed
_NOISE = re.compile(r"^(分享|分享到|share|Share|轉發|转发|打印|打印本文|字号)\s*[:：]?\s*$")
_DATESTAMP = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s*-\s*\d{1,2}:\d{2}$")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class _Block:
    text: str
    link_share: float  # share of its (non-space) characters that sat inside links
    in_list: bool
    in_h1: bool  # part of the page's first <h1>


class _Blocks(HTMLParser):
    """Collect text blocks, the text of the <title> and of the first <h1>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.title: str | None = None  # the first closed <title> outside <svg>
        self.h1: str | None = None  # the first closed <h1> outside skipped content
        self._buf: list[str] = []
        self._link_chars = 0
        self._skip_depth = self._a_depth = self._list_depth = self._svg_depth = 0
        self._title_buf: list[str] | None = None
        self._h1_state = 0  # 0: before the first <h1>, 1: inside it, 2: after it

    def _flush(self) -> None:
        joined = "".join(self._buf)
        text = _WS.sub(" ", joined).strip()
        raw_len = len(_WS.sub("", joined))
        if text:
            share = self._link_chars / raw_len if raw_len else 0.0
            self.blocks.append(_Block(text, share, self._list_depth > 0, self._h1_state == 1))
        self._buf, self._link_chars = [], 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._title_buf is not None:
            self._title_buf.append(" ")
        if tag == "svg":
            self._svg_depth += 1
        elif tag == "title" and not self._svg_depth and self.title is None:
            self._title_buf = []
        if tag in _VOID:  # "<input>" has no end tag: it must not open a skipped region
            self.handle_startendtag(tag, attrs)
            return
        if self._skip_depth:
            if tag in _SKIP:
                self._skip_depth += 1
            return
        if tag in _SKIP:
            self._skip_depth = 1
            return
        if tag in _BLOCK:
            self._flush()
        if tag == "h1" and self._h1_state == 0:
            self._h1_state = 1
        if tag in ("ul", "ol"):
            self._list_depth += 1
        if tag == "a":
            self._a_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_depth and tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._title_buf is not None:
            if tag == "title":
                self.title = _WS.sub(" ", "".join(self._title_buf)).strip()
                self._title_buf = None
            else:
                self._title_buf.append(" ")
        if tag == "svg" and self._svg_depth:
            self._svg_depth -= 1
        if self._skip_depth:
            if tag in _SKIP and tag not in _VOID:  # a stray "</input>" must not end the skipped region
                self._skip_depth -= 1
            return
        if tag == "a" and self._a_depth:
            self._a_depth -= 1
        if tag in _BLOCK:
            self._flush()
        if tag == "h1" and self._h1_state == 1:
            self._h1_state = 2
            self.h1 = " ".join(b.text for b in self.blocks if b.in_h1)
        if tag in ("ul", "ol") and self._list_depth:
            self._list_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._title_buf is not None:
            self._title_buf.append(data)
        if self._skip_depth:
            return
        self._buf.append(data)
        if self._a_depth:
            self._link_chars += len(_WS.sub("", data))

    def close(self) -> None:
        super().close()
        self._flush()


def _parse(html: str) -> _Blocks:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser


def _article_text(blocks: Iterable[_Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if _NOISE.match(b.text) or _DATESTAMP.match(b.text):
            continue
        # Related-article lists and share bars: text that is (almost) all links.
        if b.link_share >= 0.8 and (b.in_list or len(b.text) < 80):
            continue
        out.append(b.text)
    return out


def html_to_paragraphs(html: str) -> list[str]:
    """Body paragraphs, sub-headings and captions of an HTML fragment, without page furniture."""
    return _article_text(_parse(html).blocks)


def html_page(html: str) -> tuple[str | None, list[str]]:
    """A page's title and paragraphs: the title is its <title>, else its first <h1> (then not repeated in the
    paragraphs), else None."""
    parser = _parse(html)
    if parser.title is not None:
        return parser.title, _article_text(parser.blocks)
    if parser.h1 is not None:
        return parser.h1, _article_text(b for b in parser.blocks if not b.in_h1)
    return None, _article_text(parser.blocks)


def looks_like_html(text: str) -> bool:
    """Whether the start of a text has the tags of an HTML page or fragment."""
    return bool(re.search(r"<(p|div|br|h[1-6]|figure|span|a|html|body)\b[^>]*>", text[:5000], re.I))
