"""A fetched article page -> an Article: clean text from the existing extractor (rag.sources), title, outlet,
date and author from the page's metadata (Open Graph, article:*, JSON-LD, <time>), the feed entry filling
what the page lacks. The comparison with trafilatura that chose this is in docs/benchmarks.md, "Feed article
extraction"."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

from rag.errors import SourceError
from rag.sources import SourceProblem, parse_bytes
from rag.sources.metadata import OUTLETS, iso_date, outlet_for
from rag.types import Article

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_WS = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)


@dataclass(frozen=True)
class EntryMeta:
    """What the feed says about an item, used where the page says nothing."""

    title: str | None = None
    published: str | None = None
    author: str | None = None
    feed_title: str | None = None


@dataclass
class PageMeta:
    canonical: str | None = None
    title: str | None = None
    site_name: str | None = None
    published: str | None = None
    author: str | None = None
    article_html: str | None = None  # the inner HTML of the page's one <article> element, if it has one


def decode_page(data: bytes, content_type: str | None) -> str:
    """Page bytes as text: the charset of the Content-Type header, else of a <meta charset>, else UTF-8, else
    GB18030 (a superset of GBK and GB2312, which Chinese news sites still serve)."""
    declared = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    sniffed = _CHARSET.search(data[:4096])
    for enc in (declared.group(1) if declared else None, sniffed.group(1).decode() if sniffed else None,
                "utf-8", "gb18030"):
        if enc:
            try:
                return data.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
    return data.decode("utf-8", errors="replace")


class _Meta(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.meta = PageMeta()
        self._lines = [0]
        for m in re.finditer("\n", html):
            self._lines.append(m.end())
        self._props: dict[str, str] = {}
        self._jsonld: list[str] | None = None
        self._ld: list[str] = []
        self._time: str | None = None
        self._articles = 0
        self._article_depth = 0
        self._article_start = -1

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._lines[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content", "").strip():
                self._props.setdefault(key, a["content"].strip())
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split() and a.get("href"):
            self.meta.canonical = self.meta.canonical or a["href"].strip()
        elif tag == "script" and "ld+json" in a.get("type", "").lower():
            self._jsonld = []
        elif tag == "time" and a.get("datetime") and self._time is None:
            self._time = a["datetime"]
        elif tag == "article":
            if self._article_depth == 0:
                self._articles += 1
                self._article_start = self._offset() + len(self.get_starttag_text() or "")
            self._article_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._jsonld is not None:
            self._ld.append("".join(self._jsonld))
            self._jsonld = None
        elif tag == "article" and self._article_depth:
            self._article_depth -= 1
            if self._article_depth == 0 and self._articles == 1:
                self.meta.article_html = self.html[self._article_start:self._offset()]

    def handle_data(self, data: str) -> None:
        if self._jsonld is not None:
            self._jsonld.append(data)

    def result(self) -> PageMeta:
        p, m = self._props, self.meta
        ld = _jsonld_article(self._ld)
        m.title = p.get("og:title") or p.get("twitter:title") or _str(ld.get("headline"))
        m.site_name = p.get("og:site_name") or p.get("application-name") or _name(ld.get("publisher"))
        m.published = (p.get("article:published_time") or p.get("og:published_time") or p.get("datepublished")
                       or _str(ld.get("datePublished")) or p.get("pubdate") or p.get("publishdate") or self._time)
        author = p.get("author") or _name(ld.get("author")) or p.get("article:author")
        m.author = author if author and not author.startswith(("http://", "https://")) else None
        if self._articles != 1:
            m.article_html = None
        return m


def _str(v: object) -> str | None:
    return v.strip() or None if isinstance(v, str) else None


def _name(v: object) -> str | None:
    if isinstance(v, list):
        return next((n for n in map(_name, v) if n), None)
    if isinstance(v, dict):
        return _str(v.get("name"))
    return _str(v)


def _jsonld_article(blocks: list[str]) -> dict[str, Any]:
    """The first JSON-LD object that looks like an article (has a headline or datePublished)."""
    for raw in blocks:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, dict):
                if "headline" in node or "datePublished" in node:
                    return node
                graph = node.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return {}


def page_meta(html: str) -> PageMeta:
    parser = _Meta(html)
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser on very broken markup: keep what was read
        pass
    return parser.result()


def _clean(s: str | None, limit: int) -> str | None:
    if not s:
        return None
    s = _WS.sub(" ", _BIDI.sub("", s)).strip()
    return s[:limit] or None


def outlet(url: str, site_name: str | None, feed_title: str | None) -> str | None:
    """The outlet: the project's own name for a known host (so facets match the seeds), else the page's
    og:site_name, else the feed's title, else the host."""
    known = outlet_for(url)
    if known in OUTLETS.values():
        return known
    return _clean(site_name, 200) or _clean(feed_title, 200) or known


def article_from_page(html: str, url: str, doc_id: str, entry: EntryMeta, meta: PageMeta | None = None) -> Article:
    """The Article of a fetched page (SourceError when it holds no article text)."""
    meta = meta or page_meta(html)
    arts: list[Article] = []
    problems: list[SourceProblem] = []
    for body in ([meta.article_html] if meta.article_html and meta.article_html.strip() else []) + [html]:
        arts, problems = parse_bytes(body.encode("utf-8"), f"{doc_id}.html")
        if arts:  # the <article> element, or the whole page when that holds no text
            break
    if not arts:
        raise SourceError(problems[0].reason if problems else "no article text found")
    a = arts[0]
    title = _clean(meta.title, 1000) or _clean(entry.title, 1000) or a.title
    lines = a.text.split("\n")
    if len(lines) > 1 and _WS.sub("", lines[0]) == _WS.sub("", title):  # the page's <h1> repeats the title
        a = replace(a, text="\n".join(lines[1:]))
    published = iso_date(meta.published) or iso_date(entry.published)
    return replace(a, title=title, url=url, source=outlet(url, meta.site_name, entry.feed_title),
                   published=published, author=_clean(meta.author, 200) or _clean(entry.author, 200))
