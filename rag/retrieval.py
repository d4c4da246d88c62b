"""Hybrid retrieval: dense FAISS search and BM25 keyword search, fused by weighted reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.embedding import Embedder
from rag.errors import InputError
from rag.keywords import normalize, tokenize
from rag.settings import Settings
from rag.store import Snapshot
from rag.types import Hit


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on which articles may be retrieved."""

    source: str | None = None
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive

    def active(self) -> bool:
        return bool(self.source or self.date_from or self.date_to)

    def allows(self, source: str | None, published: str | None) -> bool:
        if self.source and (not source or self.source.lower() not in source.lower()):
            return False
        day = (published or "")[:10]
        if self.date_from and (not day or day < self.date_from[:10]):
            return False
        if self.date_to and (not day or day > self.date_to[:10]):
            return False
        return True


@dataclass
class Candidates:
    """Both retrievers' raw lists, kept for answer selection and answerability."""

    hits: list[Hit]
    query_vector: np.ndarray
    query_tokens: list[str]


def rrf(rankings: Sequence[tuple[Sequence[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank) over the lists an item is in."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def _shingles(text: str) -> set[str]:
    t = re.sub(r"\W+", "", normalize(text))
    return {t[i:i + 2] for i in range(len(t) - 1)} or {t}


def _similar(sa: set[str], sb: set[str], threshold: float = 0.9) -> bool:
    return len(sa & sb) / max(1, min(len(sa), len(sb))) >= threshold


def near_duplicate(a: str, b: str, threshold: float = 0.9) -> bool:
    """True when two passages share nearly all their character bigrams (reposts, overlapping copies)."""
    return _similar(_shingles(a), _shingles(b), threshold)


class Retriever:
    """Searches one snapshot; cheap to create per request."""

    def __init__(self, snapshot: Snapshot, embedder: Embedder, settings: Settings):
        self.snap, self.embedder, self.settings = snapshot, embedder, settings

    def _allowed(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or not filters.active():
            return None
        ok_docs = {a.id for a in self.snap.articles.values() if filters.allows(a.source, a.published)}
        return np.fromiter((c.doc_id in ok_docs for c in self.snap.chunks), dtype=bool,
                           count=len(self.snap.chunks))

    def _dense(self, qv: np.ndarray, depth: int, allowed: np.ndarray | None) -> tuple[list[int], dict[int, float]]:
        n = self.snap.faiss.ntotal
        if n == 0:
            return [], {}
        import faiss

        # One query gains nothing from OpenMP threads, and they stall whenever another process is busy.
        if faiss.omp_get_max_threads() != 1:
            faiss.omp_set_num_threads(1)
        params: Any = None
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype(np.int64)
            if ids.size == 0:
                return [], {}
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))  # type: ignore[call-arg]
        scores, rows = self.snap.faiss.search(qv.reshape(1, -1), min(depth, n), params=params)
        ranked = [int(r) for r in rows[0] if r >= 0]
        return ranked, {int(r): float(s) for r, s in zip(rows[0], scores[0]) if r >= 0}

    def candidates(self, query: str, k: int | None = None, filters: Filters | None = None) -> Candidates:
        """Fused, deduplicated hits for a query, best first."""
        query = query.strip()
        if not query:
            raise InputError("the question is empty")
        k = k or self.settings.top_k
        depth = max(self.settings.candidates, k * 4)
        allowed = self._allowed(filters)
        qv = self.embedder.encode_queries([query])[0]
        dense_rank, dense_score = self._dense(qv, depth, allowed)
        tokens = tokenize(query)
        kw = self.snap.keywords.search(tokens, depth, allowed)
        kw_rank = [r for r, _ in kw]
        fused = rrf([(dense_rank, self.settings.dense_weight), (kw_rank, self.settings.keyword_weight)],
                    self.settings.rrf_k)
        d_pos = {r: i + 1 for i, r in enumerate(dense_rank)}
        k_pos = {r: i + 1 for i, r in enumerate(kw_rank)}
        hits: list[Hit] = []
        kept: list[set[str]] = []  # shingles of the hits, computed once per request
        for row, score in sorted(fused.items(), key=lambda x: (-x[1], x[0])):
            chunk = self.snap.chunks[row]
            sh = _shingles(chunk.text)
            if any(_similar(sh, other) for other in kept):
                continue
            kept.append(sh)
            hits.append(Hit(chunk=chunk, score=score, dense_rank=d_pos.get(row), keyword_rank=k_pos.get(row),
                            dense_score=dense_score.get(row)))
            if len(hits) >= k:
                break
        return Candidates(hits=hits, query_vector=qv, query_tokens=tokens)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        return self.candidates(query, k, filters).hits
