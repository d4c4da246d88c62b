"""The read-only mappings a view hands out: articles and their hashes by id, the known terms, and the sentence
units by article; with the small bounded cache each keeps (a view lives until this process's next write)."""

from __future__ import annotations

import threading
from collections.abc import Container, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from rag.sentences import SentenceRows
from rag.store.milvus.db import key_of, lit
from rag.store.milvus.rows import HEAD_FIELDS, article_of, sentence_key
from rag.store.milvus.schema import ARTICLES, SENTENCES
from rag.types import Article

if TYPE_CHECKING:
    from rag.store.milvus.view import MilvusView

K = TypeVar("K")
V = TypeVar("V")


class Cache(Generic[K, V]):
    """A bounded dict, oldest entry out first; safe across the request threads."""

    def __init__(self, size: int):
        self.size, self._d, self._lock = size, dict[K, V](), threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._d.get(key)

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._d[key] = value
            while len(self._d) > self.size:
                del self._d[next(iter(self._d))]
        return value


def heads(view: MilvusView, doc_ids: list[str], fields: tuple[str, ...] = ("doc_id", "hash")) -> dict[str, dict[str, Any]]:
    """The head rows (part 0: the live version) of these articles, by id."""
    wanted = set(doc_ids)
    rows = view.db.get(ARTICLES, [key_of(d) for d in wanted], ("doc_id", *fields))
    return {r["doc_id"]: r for r in rows if r["doc_id"] in wanted}


class Articles(Mapping[str, Article]):
    """The live articles by id, read on demand."""

    def __init__(self, view: MilvusView):
        self._view = view
        self._cache: Cache[str, Article] = Cache(512)

    def __getitem__(self, doc_id: str) -> Article:
        got = self._cache.get(doc_id)
        if got is not None:
            return got
        head = heads(self._view, [doc_id], HEAD_FIELDS).get(doc_id)
        if head is None:
            raise KeyError(doc_id)
        rest = self._view.db.query(ARTICLES, f"doc_id == {lit(doc_id)} and part > 0", ("hash", "part", "text")) \
            if int(head["parts"]) > 1 else []
        return self._cache.put(doc_id, article_of(head, rest))

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self._view.hashes

    def __len__(self) -> int:
        return self._view.db.count(ARTICLES, "part == 0")

    def __iter__(self) -> Iterator[str]:
        for r in self._view.db.scan(ARTICLES, "part == 0", ("doc_id",)):
            yield r["doc_id"]

    def values(self) -> Iterator[Article]:  # type: ignore[override]
        for r in self._view.db.scan(ARTICLES, "part == 0", HEAD_FIELDS, batch=200):
            yield article_of(r, self._view.db.query(ARTICLES, f"doc_id == {lit(r['doc_id'])} and part > 0",
                                                    ("hash", "part", "text"))) if int(r["parts"]) > 1 else article_of(r)


class Hashes(Mapping[str, str]):
    """Content hash of each live article."""

    def __init__(self, view: MilvusView):
        self._view = view

    def __getitem__(self, doc_id: str) -> str:
        head = heads(self._view, [doc_id]).get(doc_id)
        if head is None:
            raise KeyError(doc_id)
        return str(head["hash"])

    def many(self, doc_ids: list[str]) -> dict[str, str]:
        return {d: str(r["hash"]) for d, r in heads(self._view, doc_ids).items()}

    def __len__(self) -> int:
        return len(self._view.articles)

    def __iter__(self) -> Iterator[str]:
        return iter(self._view.articles)


class Vocabulary(Container[str]):
    """The terms that some live passage holds."""

    def __init__(self, view: MilvusView):
        self._view = view

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._view.knows(term)


class Sentences:
    """Sentence units and their vectors, by article (the rows of the article's live version)."""

    def __init__(self, view: MilvusView):
        self._view = view
        self._cache: Cache[str, SentenceRows] = Cache(256)

    def rows(self, doc_id: str) -> SentenceRows | None:
        got = self._cache.get(doc_id)
        if got is not None:
            return got
        h = self._view.hashes.get(doc_id)
        if h is None:
            return None
        found = sorted(self._view.db.numbered(SENTENCES, lambda i: sentence_key(doc_id, h, i), ("start", "end", "vector")),
                       key=lambda r: (r["start"], r["end"]))
        dim = int(self._view.config["dim"])
        vecs = np.array([r["vector"] for r in found], np.float32).reshape(-1, dim)
        return self._cache.put(doc_id, SentenceRows(np.array([r["start"] for r in found], np.int32),
                                                    np.array([r["end"] for r in found], np.int32), vecs))

    def within(self, doc_id: str, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, vectors) of the article's sentences inside text[start:end]."""
        rows = self.rows(doc_id)
        if rows is None:
            z = np.zeros(0, dtype=np.int32)
            return z, z, np.zeros((0, int(self._view.config["dim"])), np.float32)
        m = (rows.starts >= start) & (rows.ends <= end)
        return rows.starts[m], rows.ends[m], rows.vectors[m]
