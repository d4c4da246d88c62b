"""Parse article files (two news page formats, plain text/markdown/HTML, JSONL) into Articles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from rag.errors import SourceError
from rag.types import Article

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}

# Outlet names for known hosts; other hosts fall back to the host name.
OUTLETS = {
    "rfi.fr": "RFI 法广",
    "rfa.org": "RFA 自由亚洲电台",
    "aljazeera.net": "Aljazeera 半岛网",
    "bbc.com": "BBC",
    "voachinese.com": "VOA 美国之音",
    "dw.com": "DW 德国之声",
}

_EPOCH_HEADER = re.compile(r"\A\s*<!--\s*(\d{10,13})\s*-->\s*\n\s*\[(?P<title>.+?)\]\((?P<url>\S+?)\)\s*\n\s*-{3,}\s*\n",
                           re.S)
_FRONT_MATTER = re.compile(r"\A\s*---\s*\n(?P<yaml>.*?)\n---\s*\n", re.S)
_ID_OK = re.compile(r"^(?!\.{1,2}$)[\w\-.]{1,200}$")  # "." and ".." cannot be opened as a path segment
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")  # direction overrides can spoof text


@dataclass(frozen=True)
class SourceProblem:
    """A file (or JSONL line) that could not be parsed, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# --------------------------------------------------------------------------- HTML -> paragraphs

_SKIP = {"script", "style", "noscript", "iframe", "svg", "button", "form", "nav", "template",
         "head", "title", "share-button", "share-modal", "select", "input", "video", "audio"}
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "figcaption", "figure",
          "blockquote", "section", "article", "header", "footer", "aside", "table", "tr", "td",
          "th", "pre", "dd", "dt", "dl", "main", "body", "html", "br", "hr"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "col", "embed"}
_NOISE = re.compile(r"^(分享|分享到|share|Share|轉發|转发|打印|打印本文|字号)\s*[:：]?\s*$")
_DATESTAMP = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s*-\s*\d{1,2}:\d{2}$")


class _Blocks(HTMLParser):
    """Collect text blocks; each block remembers how much of its text sat inside links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, float, bool]] = []  # (text, link share, inside a list)
        self._buf: list[str] = []
        self._link_chars = 0
        self._skip_depth = 0
        self._a_depth = 0
        self._list_depth = 0

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buf)).strip()
        raw_len = len(re.sub(r"\s+", "", "".join(self._buf)))
        if text:
            share = self._link_chars / raw_len if raw_len else 0.0
            self.blocks.append((text, share, self._list_depth > 0))
        self._buf, self._link_chars = [], 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            if tag in _SKIP:
                self._skip_depth += 1
            return
        if tag in _SKIP:
            self._skip_depth = 1
            return
        if tag in _BLOCK:
            self._flush()
        if tag in ("ul", "ol"):
            self._list_depth += 1
        if tag == "a":
            self._a_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_depth and tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            if tag in _SKIP:
                self._skip_depth -= 1
            return
        if tag == "a" and self._a_depth:
            self._a_depth -= 1
        if tag in _BLOCK:
            self._flush()
        if tag in ("ul", "ol") and self._list_depth:
            self._list_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        self._buf.append(data)
        if self._a_depth:
            self._link_chars += len(re.sub(r"\s+", "", data))

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_paragraphs(html: str) -> list[str]:
    """Body paragraphs, sub-headings and captions of an HTML fragment, without page furniture."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    out: list[str] = []
    for text, link_share, in_list in parser.blocks:
        if _NOISE.match(text) or _DATESTAMP.match(text):
            continue
        # Related-article lists and share bars: text that is (almost) all links.
        if link_share >= 0.8 and (in_list or len(text) < 80):
            continue
        out.append(text)
    return out


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(p|div|br|h[1-6]|figure|span|a|html|body)\b[^>]*>", text[:5000], re.I))


# --------------------------------------------------------------------------- metadata helpers

def outlet_for(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = (urlparse(url).hostname or "").lower()
    except ValueError:  # a malformed URL ("http://[::1"): _article reports it
        return None
    for domain, name in OUTLETS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return host.removeprefix("www.") or None


def iso_date(value: object) -> str | None:
    """Normalise a date (ISO, RFC 2822, epoch s/ms) to ISO 8601; None if it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        n = int(value)
        if n > 10**11:
            n //= 1000
        try:
            return datetime.fromtimestamp(n, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):  # an epoch beyond any calendar
            return None
    s = str(value).strip()
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(s).isoformat()
    except (TypeError, ValueError):
        pass
    for fmt in ("%Y/%m/%d", "%Y年%m月%d日", "%d/%m/%Y - %H:%M"):
        try:
            return datetime.strptime(s, fmt).isoformat()
        except ValueError:
            continue
    return None


def _front_matter(yaml_text: str) -> dict[str, object]:
    """The small subset of YAML that news front matter uses: scalars and lists of scalars."""
    data: dict[str, object] = {}
    key: str | None = None
    for line in yaml_text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s*-\s+(.*)$", line)
        if item and key is not None:
            lst = data.setdefault(key, [])
            if isinstance(lst, list):
                lst.append(_unquote(item.group(1)))
            continue
        kv = re.match(r"^([A-Za-z_][\w\-]*)\s*:\s*(.*)$", line)
        if kv:
            key, val = kv.group(1), kv.group(2).strip()
            data[key] = _unquote(val) if val else []
    return data


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        inner = s[1:-1]
        return inner.replace("''", "'") if s[0] == "'" else inner
    return s


def _paragraphs(body: str) -> list[str]:
    if looks_like_html(body):
        return html_to_paragraphs(body)
    paras = [re.sub(r"[ \t\u3000]+", " ", p).strip() for p in re.split(r"\n\s*\n|\r\n\s*\r\n", body)]
    out = []
    for p in paras:
        lines = [ln.strip() for ln in p.splitlines() if ln.strip()]
        # Chinese lines wrapped mid-sentence are joined without a space.
        if lines:
            out.append("\n".join(lines))
    return out


def _article(doc_id: str, title: str, paras: list[str], origin: str, **meta: str | None) -> Article:
    text = "\n".join(p for p in paras if p)
    if not text.strip():
        raise SourceError(f"{origin}: no article text found")
    if not _ID_OK.match(doc_id):
        raise SourceError(f"{origin}: id {doc_id!r} must be 1-200 letters, digits, '_', '-' or '.' (and not "
                          "'.' or '..')")
    url = meta.get("url")
    if url:
        try:
            urlparse(url).hostname  # noqa: B018 - parsing is the check
        except ValueError as exc:
            raise SourceError(f"{origin}: url {url!r} is not a valid URL ({exc})") from None
    clean = {k: _BIDI.sub("", v) if isinstance(v, str) and k in ("source", "author") else v for k, v in meta.items()}
    return Article(id=doc_id, title=_BIDI.sub("", (title or doc_id)).strip(), text=text, **clean)


# --------------------------------------------------------------------------- parsers

def parse_text(raw: str, doc_id: str, origin: str, suffix: str = ".txt") -> Article:
    """Parse one article file's content, detecting its format from the content itself."""
    raw = raw.lstrip("\ufeff")
    m = _EPOCH_HEADER.match(raw)
    if m:
        url = m.group("url")
        return _article(doc_id, m.group("title"), _paragraphs(raw[m.end():]), origin,
                        url=url, source=outlet_for(url), published=iso_date(m.group(1)), author=None)
    m = _FRONT_MATTER.match(raw)
    if m:
        fm = _front_matter(m.group("yaml"))
        url = _str(fm.get("url") or fm.get("link") or fm.get("source_url"))
        cats = fm.get("categories")
        source = _str(fm.get("source")) or outlet_for(url)
        if not source and isinstance(cats, list):
            source = next((c for c in cats if re.search(r"[A-Za-z]", c)), None)
        return _article(doc_id, _str(fm.get("title")) or doc_id, _paragraphs(raw[m.end():]), origin,
                        url=url, source=source or _str(fm.get("author")),
                        published=iso_date(fm.get("date") or fm.get("published")),
                        author=_str(fm.get("author")))
    if suffix in (".html", ".htm") or looks_like_html(raw):
        t = re.search(r"<title[^>]*>(.*?)</title>", raw, re.S | re.I) or \
            re.search(r"<h1[^>]*>(.*?)</h1>", raw, re.S | re.I)
        title = re.sub(r"<[^>]+>|\s+", " ", t.group(1)).strip() if t else doc_id
        body = re.sub(r"<h1[^>]*>.*?</h1>", "", raw, count=1, flags=re.S | re.I) if t and \
            t.re.pattern.startswith("<h1") else raw
        return _article(doc_id, title, html_to_paragraphs(body), origin)
    paras = _paragraphs(raw)
    title = doc_id
    if paras:
        first = paras[0].splitlines()[0]
        rest_exists = len(paras) > 1 or len(paras[0].splitlines()) > 1
        if rest_exists and (first.startswith("#") or len(paras[0].splitlines()) == 1 and len(first) <= 80):
            title = first.lstrip("#").strip()
            rest = paras[0].splitlines()[1:]
            paras = (["\n".join(rest)] if rest else []) + paras[1:]
    return _article(doc_id, title, paras, origin)


def _str(v: object) -> str | None:
    if v is None or isinstance(v, list):
        return None
    s = str(v).strip()
    return s or None


def article_from_record(rec: object, origin: str) -> Article:
    """An Article from a JSON object {id, title, text, url?, source?, published?, author?}."""
    if not isinstance(rec, dict):
        raise SourceError(f"{origin}: expected a JSON object")
    doc_id, text = rec.get("id"), rec.get("text")
    if not isinstance(doc_id, (str, int)) or str(doc_id).strip() == "":
        raise SourceError(f"{origin}: missing 'id'")
    if not isinstance(text, str) or not text.strip():
        raise SourceError(f"{origin}: missing or empty 'text'")
    url = _str(rec.get("url"))
    pub = rec.get("published")
    if iso_date(pub) is None and str(pub if pub is not None else "").strip().isdigit():
        raise SourceError(f"{origin}: published {str(pub)[:40]!r} is not a date (an epoch beyond any calendar)")
    return _article(str(doc_id).strip(), _str(rec.get("title")) or str(doc_id), _paragraphs(text), origin,
                    url=url, source=_str(rec.get("source")) or outlet_for(url),
                    published=iso_date(rec.get("published")) or _str(rec.get("published")),
                    author=_str(rec.get("author")))


def parse_jsonl(raw: str, origin: str) -> tuple[list[Article], list[SourceProblem]]:
    arts: list[Article] = []
    problems: list[SourceProblem] = []
    for i, line in enumerate(raw.split("\n"), 1):  # not splitlines: U+2028 and U+0085 may sit inside a JSON string
        if not line.strip():
            continue
        where = f"{origin}:{i}"
        try:
            arts.append(article_from_record(json.loads(line), where))
        except json.JSONDecodeError as exc:
            problems.append(SourceProblem(where, f"invalid JSON ({exc.msg})"))
        except RecursionError:
            problems.append(SourceProblem(where, "invalid JSON (nested too deeply)"))
        except SourceError as exc:
            problems.append(SourceProblem(where, str(exc).removeprefix(where + ": ")))
    return arts, problems


def decode(data: bytes, origin: str) -> str:
    """UTF-8 text of a file, or a SourceError saying why it is not an article."""
    if not data.strip():
        raise SourceError(f"{origin}: the file is empty")
    if b"\x00" in data[:8000]:
        raise SourceError(f"{origin}: binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{origin}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def parse_bytes(data: bytes, name: str) -> tuple[list[Article], list[SourceProblem]]:
    """Parse an uploaded or read file by name; problems are returned, not raised."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return [], [SourceProblem(name, f"unknown format {suffix or '(no extension)'}; "
                                        f"use one of {', '.join(sorted(SUFFIXES))}")]
    try:
        raw = decode(data, name)
        if suffix == ".jsonl":
            return parse_jsonl(raw, name)
        return [parse_text(raw, Path(name).stem, name, suffix)], []
    except SourceError as exc:
        return [], [SourceProblem(name, str(exc).removeprefix(name + ": "))]
    except (ValueError, OverflowError, RecursionError) as exc:  # a file no parser rule foresaw: report it
        return [], [SourceProblem(name, f"cannot be parsed ({exc.__class__.__name__}: {exc})")]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                              and not f.name.startswith("."))
        else:
            yield p


def load_paths(paths: Iterable[Path]) -> tuple[list[Article], list[SourceProblem]]:
    """Every article under the given files/folders; a bad file is reported and the rest still load."""
    articles: dict[str, Article] = {}
    problems: list[SourceProblem] = []
    for f in iter_files(paths):
        if not f.exists():
            problems.append(SourceProblem(str(f), "no such file or folder"))
            continue
        arts, probs = parse_bytes(f.read_bytes(), str(f))
        problems.extend(probs)
        for a in arts:
            if a.id in articles:
                problems.append(SourceProblem(str(f), f"duplicate article id {a.id!r}; kept the first"))
            else:
                articles[a.id] = a
    return list(articles.values()), problems
