"""What readers see of a Milvus index (rag.store.IndexView): rows are the passages' int64 primary keys.

Milvus has no snapshots of several collections: a view reads the live collections. Reads stay consistent
by version instead: every passage and sentence row carries its article's content hash, and a row counts
only while the article's head row has that hash, so a passage of an article that a write is replacing is
never paired with the other version's text. The view caches what it has read (passages, articles, term
frequencies) until this process's next write, which makes a new view.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from rag.errors import NotFound
from rag.store.ids import PassageIds
from rag.store.milvus import terms
from rag.store.milvus.db import EF, Db, like_literal, lit
from rag.store.milvus.mappings import Articles, Cache, Hashes, Sentences, Vocabulary, heads
from rag.store.milvus.rows import CHUNK_FIELDS, chunk_of, passage_key
from rag.store.milvus.schema import ARTICLES, PASSAGES
from rag.store.postings import Stats
from rag.store.snapshot import OutletDate
from rag.types import Article, Chunk

NOTHING = 'doc_id < ""'  # a filter no row passes


def filter_expression(filters: Any) -> str | None:
    """rag.retrieval.Filters as a Milvus filter over the passages (None: no restriction). The same rules as
    Filters.allows: the outlet matched case-insensitively anywhere in its name; days compared as ISO text,
    undated articles excluded once a date bound is set."""
    parts = []
    if filters.source:
        parts.append(f"source like {like_literal(filters.source.lower())}")
    for bound, op in ((filters.date_from, ">="), (filters.date_to, "<=")):
        if bound:
            parts.append(f'day != "" and day {op} {lit(bound[:10])}')
    return " and ".join(parts) or None


class MilvusView(PassageIds):
    """One index in Milvus, read through the storage verbs retrieval, the scorer and the API use."""

    def __init__(self, db: Db, config: dict[str, Any], generation: str | None):
        self.db, self.config, self.generation = db, config, generation
        self.articles = Articles(self)
        self.hashes = Hashes(self)
        self.sentences = Sentences(self)
        self.vocabulary = Vocabulary(self)
        self._chunks: Cache[int, Chunk] = Cache(20_000)
        self._terms: Cache[int, list[str]] = Cache(20_000)
        self._rows: Cache[str, list[int]] = Cache(4096)
        self._df: Cache[str, int] = Cache(100_000)
        self._n: int | None = None

    def __len__(self) -> int:
        if self._n is None:
            self._n = self.db.count(PASSAGES)
        return self._n

    # -- articles and passages -----------------------------------------------------------------

    def article(self, doc_id: str) -> Article:
        try:
            return self.articles[doc_id]
        except KeyError:
            raise NotFound(f"no article with id {doc_id!r}; GET /api/documents lists them") from None

    def article_rows(self, doc_id: str) -> list[int]:
        """Rows of the article's passages, in order (empty when there is no such article)."""
        got = self._rows.get(doc_id)
        if got is not None:
            return got
        h = self.hashes.get(doc_id)
        if h is None:
            return []
        found = self.db.numbered(PASSAGES, lambda i: passage_key(doc_id, h, i), ("id", *CHUNK_FIELDS))
        found.sort(key=lambda r: r["ordinal"])
        for r in found:
            self._chunks.put(int(r["id"]), chunk_of(r))
        return self._rows.put(doc_id, [int(r["id"]) for r in found])

    def chunk_at(self, row: int) -> Chunk:
        got = self._chunks.get(int(row))
        if got is None:
            found = self.db.get(PASSAGES, [int(row)], CHUNK_FIELDS)
            if not found:
                raise IndexError(row)
            got = self._chunks.put(int(row), chunk_of(found[0]))
        return got

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every live passage, article by article."""
        for doc_id in self.articles:
            for r in self.article_rows(doc_id):
                yield self.chunk_at(r)

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        dim = int(self.config["dim"])
        if not len(rows):
            return np.zeros((0, dim), dtype=np.float32)
        by_id = {int(r["id"]): r["vector"] for r in self.db.get(PASSAGES, [int(r) for r in rows], ("id", "vector"))}
        return np.array([by_id[int(r)] for r in rows], np.float32).reshape(-1, dim)

    def outlets_and_dates(self) -> Iterator[OutletDate]:
        """(source, published) of every live article, without reading the articles' text."""
        for r in self.db.scan(ARTICLES, "part == 0", ("source", "published")):
            yield OutletDate(r.get("source"), r.get("published"))

    # -- search ---------------------------------------------------------------------------------

    def allowed(self, pred: Any, filters: Any = None) -> str | None:
        """A Milvus filter for the passages whose article passes `pred(source, published)`: from `filters`
        (rag.retrieval.Filters) when given; else by asking `pred` about every article (slow, but any `pred`)."""
        if filters is not None:
            return filter_expression(filters)
        ok = [r["doc_id"] for r in self.db.scan(ARTICLES, "part == 0", ("doc_id", "source", "published"))
              if pred(r.get("source"), r.get("published"))]
        return f"doc_id in [{','.join(lit(d) for d in ok)}]" if ok else NOTHING

    def _hits(self, found: Any) -> list[tuple[int, float]]:
        """(row, score) of a search's hits whose article version is live, best first, ties by row."""
        hits = list(found[0]) if found else []
        live = heads(self, [h["entity"]["doc_id"] for h in hits])
        out = []
        for h in hits:
            e = h["entity"]
            if (head := live.get(e["doc_id"])) is not None and head["hash"] == e["hash"]:
                self._chunks.put(int(h["id"]), chunk_of(e))
                out.append((int(h["id"]), abs(float(h["distance"]))))  # Milvus Lite gives BM25 as -score
        out.sort(key=lambda x: (-x[1], x[0]))
        return out

    def dense(self, qv: np.ndarray, k: int, allowed: str | None = None) -> list[tuple[int, float]]:
        """Top-k (row, cosine) over the live passages (and `allowed`, when given), best first."""
        if allowed == NOTHING:
            return []
        found = self.db.client.search(self.db.names[PASSAGES], data=[np.asarray(qv, np.float32).tolist()],
                                      anns_field="vector", limit=k, filter=allowed or "",
                                      search_params={"metric_type": "IP", "params": {"ef": max(EF, k)}},
                                      output_fields=["hash", *CHUNK_FIELDS])
        return [(r, float(np.float32(s))) for r, s in self._hits(found)]

    def keyword_search(self, tokens: Sequence[str], k: int, allowed: str | None = None) -> list[tuple[int, float]]:
        """Top-k (row, BM25 score > 0) by Milvus's full-text search (its jieba analyzer) over the query's
        tokens joined by spaces, best first."""
        text = " ".join(dict.fromkeys(t for t in tokens if t.strip()))
        if not text or allowed == NOTHING:
            return []
        found = self.db.client.search(self.db.names[PASSAGES], data=[text], anns_field="sparse", limit=k,
                                      filter=allowed or "", search_params={"metric_type": "BM25"},
                                      output_fields=["hash", *CHUNK_FIELDS])
        return [(r, s) for r, s in self._hits(found) if s > 0]

    # -- keyword statistics (rag.store.milvus.terms) ----------------------------------------------

    def df(self, term: str) -> int:
        return self._frequencies([term])[term]

    def _frequencies(self, tokens: Sequence[str]) -> dict[str, int]:
        out = {t: self._df.get(t) for t in dict.fromkeys(tokens)}
        missing = [t for t, v in out.items() if v is None]
        if missing:
            got = terms.frequencies(self.db, missing)
            for t in missing:
                out[t] = self._df.put(t, got.get(t, 0))
        return {t: int(v or 0) for t, v in out.items()}

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of each distinct token; unseen tokens get the highest value."""
        stats = Stats(len(self), 1.0, {})
        return {t: (stats.idf(df) if df > 0 else stats.idf_oov) for t, df in self._frequencies(tokens).items()}

    def knows(self, term: str) -> bool:
        return self.df(term) > 0

    def coverage(self, rows: Sequence[int], weights: Mapping[str, float]) -> list[float]:
        """Per row, the sum of `weights` over the distinct terms its passage holds."""
        missing = [int(r) for r in rows if self._terms.get(int(r)) is None]
        for r in self.db.get(PASSAGES, missing, ("id", "terms")) if missing else []:
            self._terms.put(int(r["id"]), list(r["terms"]))
        return [sum(weights.get(t, 0.0) for t in (self._terms.get(int(r)) or [])) for r in rows]
