"""Hybrid retrieval: dense FAISS search and BM25 keyword search, fused by weighted reciprocal rank."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.duplicates import Collapser
from rag.embedding import Embedder
from rag.errors import InputError
from rag.features import Query, passage_features
from rag.glossary import question_tokens
from rag.keywords import normalize, to_simplified, tokenize
from rag.names import names_in, pinyin_names
from rag.questions import is_english
from rag.scorer import ScorerModel, load_model
from rag.settings import Settings
from rag.store import IndexView
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


def facets(articles: Iterable[Any]) -> dict[str, Any]:
    """What the filters can choose from: the outlets and the date span of the articles (anything with
    `source` and `published`), with counts."""
    outlets: Counter[str] = Counter()
    months: Counter[str] = Counter()
    days: list[str] = []
    undated = total = 0
    for a in articles:
        total += 1
        outlets[a.source or ""] += 1
        day = (a.published or "")[:10]
        if day:
            days.append(day)
            months[day[:7]] += 1
        else:
            undated += 1
    return {"articles": total,
            "outlets": [{"source": s or None, "articles": n} for s, n in sorted(outlets.items(), key=lambda x: (-x[1], x[0]))],
            "dates": {"from": min(days) if days else None, "to": max(days) if days else None, "undated": undated,
                      "by_month": [{"month": m, "articles": n} for m, n in sorted(months.items())]}}


@dataclass
class Candidates:
    """The reranked passages of one query, with what the answerer needs to score their sentences."""

    hits: list[Hit]
    query_vector: np.ndarray
    query_tokens: list[str]
    query: Query | None = None
    passage_logits: list[float] = field(default_factory=list)  # aligned with hits
    passage_rows: np.ndarray | None = None  # PASSAGE_FEATURES of hits


@dataclass
class Retrieval:
    """What one request retrieved, tied to the snapshot it was retrieved from."""

    snapshot: IndexView
    question: str
    query: str  # the standalone query actually searched
    candidates: Candidates


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

    def __init__(self, snapshot: IndexView, embedder: Embedder, settings: Settings,
                 model: ScorerModel | None | bool = True):
        self.snap, self.embedder, self.settings = snapshot, embedder, settings
        # True: the packaged scorer (if fitted); None/False: plain fusion order (used when fitting)
        self.model = load_model(str(settings.scorer_file)) if model is True else (model or None)

    def _allowed(self, filters: Filters | None) -> list[np.ndarray] | None:
        if filters is None or not filters.active():
            return None
        return self.snap.allowed(filters.allows, filters)

    def _dense(self, qv: np.ndarray, depth: int, allowed: list[np.ndarray] | None
               ) -> tuple[list[int], dict[int, float]]:
        found = self.snap.dense(qv, depth, allowed)
        return [r for r, _ in found], dict(found)

    def pool(self, query: str, depth_k: int, filters: Filters | None = None) -> tuple[list[Hit], Query]:
        """The fused, deduplicated candidates in fusion order (before the learned rerank)."""
        query = query.strip()
        if not query:
            raise InputError("the question is empty")
        depth = max(self.settings.candidates, depth_k * 4)
        allowed = self._allowed(filters)
        qv = self.embedder.encode_queries([to_simplified(query)])[0]
        dense_rank, dense_score = self._dense(qv, depth, allowed)
        tokens = question_tokens(query, self.snap.vocabulary)
        if is_english(query) and (names := pinyin_names(query)):  # "Wang Yi" -> 王毅, read back from the
            texts = [self.snap.chunk_at(r).text for r in dense_rank]  # passages dense search found
            tokens += [t for name in names_in(texts, names) for t in tokenize(name)
                       if t not in tokens and t in self.snap.vocabulary]
        kw = self.snap.keyword_search(tokens, depth, allowed)
        kw_rank = [r for r, _ in kw]
        fused = rrf([(dense_rank, self.settings.dense_weight), (kw_rank, self.settings.keyword_weight)],
                    self.settings.rrf_k)
        d_pos = {r: i + 1 for i, r in enumerate(dense_rank)}
        k_pos = {r: i + 1 for i, r in enumerate(kw_rank)}
        hits: list[Hit] = []
        kept: list[tuple[str | None, set[str]]] = []  # (outlet, shingles) of the hits, once per request
        collapse = Collapser(self.snap.hashes)  # duplicate stories: one result, "also reported by" (rag.duplicates)
        ranked = sorted(fused.items(), key=lambda x: (-x[1], x[0]))
        for at, (row, score) in enumerate(ranked):
            chunk = self.snap.chunk_at(row)
            art = self.snap.articles.get(chunk.doc_id)
            if art is not None and collapse.add(art) != art.id:
                continue  # a re-post or syndicated copy of an article already in the results
            outlet = art.source if art is not None else None
            sh = _shingles(chunk.text)
            # a near-copy from the same outlet adds nothing; another outlet's report is kept: it may differ
            if any(o == outlet and _similar(sh, other) for o, other in kept):
                continue
            kept.append((outlet, sh))
            hits.append(Hit(chunk=chunk, score=score, dense_rank=d_pos.get(row), keyword_rank=k_pos.get(row),
                            dense_score=dense_score.get(row)))
            if len(hits) >= depth_k:
                # copies rank beside their original: the next rows may hold a copy of a kept article
                for later, _ in ranked[at + 1:at + 1 + 2 * depth_k]:
                    if (a := self.snap.articles.get(self.snap.chunk_at(later).doc_id)) is not None:
                        collapse.add(a)
                break
        for h in hits:  # the kept article names its duplicates met in the fused list
            h.also_reported_by = collapse.also.get(h.chunk.doc_id, [])
        return hits, Query.make(self.snap, query, qv, tokens)

    def candidates(self, query: str, k: int | None = None, filters: Filters | None = None) -> Candidates:
        """Fused candidates, reranked by the learned passage model, best first."""
        k = k or self.settings.top_k
        pool, q = self.pool(query, max(k, self.settings.rerank_depth), filters)
        rows = passage_features(self.snap, q, pool)
        if self.model is not None and self.model.passage is not None and pool:
            logits = self.model.passage.logit(rows)
            order = sorted(range(len(pool)), key=lambda i: (-logits[i], i))
            for i in order:
                pool[i].score = float(self.model.passage.prob(logits[i]))
        else:  # no fitted model: the fusion order, with rank-based logits
            logits = np.array([-float(i) for i in range(len(pool))])
            order = list(range(len(pool)))
        order = order[:k]
        return Candidates(hits=[pool[i] for i in order], query_vector=q.vector, query_tokens=q.tokens, query=q,
                          passage_logits=[float(logits[i]) for i in order], passage_rows=rows[order])

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        return self.candidates(query, k, filters).hits
