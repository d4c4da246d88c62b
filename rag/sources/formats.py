"""Reading article files into Articles: the two news page formats (epoch header, YAML front matter), plain
text/markdown, HTML and JSONL, PDF and Word .docx; a bad file or line becomes a SourceProblem naming it, and the
rest still load."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rag.errors import SourceError
from rag.sources.docx import read_docx
from rag.sources.front_matter import split_front_matter
from rag.sources.html_text import html_page, html_to_paragraphs, looks_like_html
from rag.sources.metadata import iso_date, outlet_for
from rag.sources.pdf import read_pdf
from rag.types import Article

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf", ".docx"}

_EPOCH_HEADER = re.compile(r"\A\s*<!--\s*(\d{10,13})\s*-->\s*\n\s*\[(?P<title>.+?)\]\((?P<url>\S+?)\)\s*\n\s*-{3,}\s*\n",
                           re.S)
_ID_OK = re.compile(r"^(?!\.{1,2}$)[\w\-.]{1,200}$")  # "." and ".." cannot be opened as a path segment
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")  # direction overrides can spoof text


@dataclass(frozen=True)
class SourceProblem:
    """A file (or JSONL line) that could not be parsed, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _str(v: object) -> str | None:
    if v is None or isinstance(v, list):
        return None
    s = str(v).strip()
    return s or None


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


def _article(doc_id: str, title: str, paras: list[str], origin: str, **meta: Any) -> Article:
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
    clean: dict[str, Any] = {k: _BIDI.sub("", v) if isinstance(v, str) and k in ("source", "author") else v
                             for k, v in meta.items()}
    return Article(id=doc_id, title=_BIDI.sub("", (title or doc_id)).strip(), text=text, **clean)


def parse_text(raw: str, doc_id: str, origin: str, suffix: str = ".txt") -> Article:
    """Parse one article file's content, detecting its format from the content itself."""
    raw = raw.lstrip("\ufeff")
    m = _EPOCH_HEADER.match(raw)
    if m:
        url = m.group("url")
        return _article(doc_id, m.group("title"), _paragraphs(raw[m.end():]), origin,
                        url=url, source=outlet_for(url), published=iso_date(m.group(1)), author=None)
    split = split_front_matter(raw, origin)
    if split is not None:
        fm, body = split
        url = _str(fm.get("url") or fm.get("link") or fm.get("source_url"))
        cats = fm.get("categories")
        source = _str(fm.get("source")) or outlet_for(url)
        if not source and isinstance(cats, list):
            source = next((c for c in cats if re.search(r"[A-Za-z]", c)), None)
        return _article(doc_id, _str(fm.get("title")) or doc_id, _paragraphs(body), origin,
                        url=url, source=source or _str(fm.get("author")),
                        published=iso_date(fm.get("date") or fm.get("published")),
                        author=_str(fm.get("author")))
    if suffix in (".html", ".htm") or looks_like_html(raw):
        title, paras = html_page(raw)
        return _article(doc_id, title or doc_id, paras, origin)
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


def parse_document(data: bytes, doc_id: str, origin: str, suffix: str) -> Article:
    """A PDF (with its page starts) or a Word .docx file as an Article; metadata title, else the file name."""
    if suffix == ".pdf":
        pdf = read_pdf(data, origin)
        return _article(doc_id, pdf.title or doc_id, [pdf.text], origin, published=pdf.published,
                        author=pdf.author, pages=pdf.pages)
    doc = read_docx(data, origin)
    return _article(doc_id, doc.title or doc_id, doc.paragraphs, origin, published=doc.published, author=doc.author)


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
    """The Articles of a JSONL file, one object a line; each bad line is a SourceProblem "file:line"."""
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
        if suffix in (".pdf", ".docx"):
            return [parse_document(data, Path(name).stem, name, suffix)], []
        raw = decode(data, name)
        if suffix == ".jsonl":
            return parse_jsonl(raw, name)
        return [parse_text(raw, Path(name).stem, name, suffix)], []
    except SourceError as exc:
        return [], [SourceProblem(name, str(exc).removeprefix(name + ": "))]
    except (ValueError, OverflowError, RecursionError) as exc:  # a file no parser rule foresaw: report it
        return [], [SourceProblem(name, f"cannot be parsed ({exc.__class__.__name__}: {exc})")]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The given files, and the article files (by suffix, not hidden) under the given folders, sorted."""
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
