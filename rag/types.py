"""Shared data types, in the order data flows: Article -> Chunk -> Hit -> Citation -> Answer."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One parsed news article; `text` is clean paragraphs joined by newlines."""

    id: str
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    published: str | None = None  # ISO 8601
    author: str | None = None
    pages: tuple[int, ...] | None = None  # a PDF's page starts: offsets into `text`, one per page, from page 1

    def __post_init__(self) -> None:
        if self.pages is not None and not isinstance(self.pages, tuple):  # a JSON list from the store
            object.__setattr__(self, "pages", tuple(self.pages))

    def meta(self) -> dict[str, Any]:
        """Metadata without the text (and without `pages` unless the article has them)."""
        d = asdict(self)
        d.pop("text")
        if d["pages"] is None:
            d.pop("pages")
        return d


def page_of(article: Article, start: int) -> int | None:
    """The page (counted from 1) holding offset `start` of the article's text; None if it has no pages."""
    if not article.pages:
        return None
    return max(1, bisect_right(article.pages, start))


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: `article.text[start:end] == text`."""

    id: str  # "{doc_id}#{ordinal}"
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the ranks it had in each retriever."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None
    also_reported_by: list[dict[str, Any]] = field(default_factory=list)  # duplicate articles (rag.duplicates)

    def to_dict(self, article: Article | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "chunk_id": self.chunk.id,
            "doc_id": self.chunk.doc_id,
            "text": self.chunk.text,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "score": round(self.score, 6),
        }
        if article is not None:
            d.update(title=article.title, url=article.url, source=article.source,
                     published=article.published)
        if self.also_reported_by:
            d["also_reported_by"] = self.also_reported_by
        return d


@dataclass
class Citation:
    """What a marker `[n]` in an answer points to: an exact span of an article."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    quote: str
    start: int
    end: int
    score: float
    supported: bool | None = None  # set by LLM citation verification
    page: int | None = None  # the PDF page (from 1) where the quote starts: page_of(article, start)
    also_reported_by: list[dict[str, Any]] = field(default_factory=list)  # duplicate articles (rag.duplicates)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["also_reported_by"]:
            d.pop("also_reported_by")
        if d["supported"] is None:
            d.pop("supported")
        if d["page"] is None:
            d.pop("page")
        return d


@dataclass
class Answer:
    """The answer contract shared by the CLI and the API."""

    question: str
    answer: str
    answerable: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[dict[str, Any]] = field(default_factory=list)
    nearest: list[dict[str, Any]] = field(default_factory=list)  # articles, when not answerable
    degraded: str | None = None  # why the LLM path fell back, if it did
    search_query: str | None = None  # the standalone query used for retrieval
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # outlets giving different figures
    confidence: float | None = None  # the learned scorer's probability that the corpus answers
    timeline: list[dict[str, Any]] = field(default_factory=list)  # {date, inferred, text, citations} (rag.timeline)
    filters: dict[str, Any] | None = None  # the period the question named, when it narrowed the search (rag.newsdesk)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "citations": [c.to_dict() for c in self.citations],
            "passages": self.passages,
        }
        if not self.answerable:
            d["nearest"] = self.nearest
        if self.degraded:
            d["degraded"] = self.degraded
        if self.answerable:
            d["disagreements"] = self.disagreements
        if self.confidence is not None:
            d["confidence"] = self.confidence
        if self.search_query and self.search_query != self.question:
            d["search_query"] = self.search_query
        if self.timeline:
            d["timeline"] = self.timeline
        if self.filters:
            d["filters"] = self.filters
        return d
