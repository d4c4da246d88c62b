"""A snapshot: the live segments of one manifest, read as one index. Readers keep a reference; a write
makes a new snapshot that shares the unchanged segments with the old one.

Rows are numbered across segments in manifest order (a segment's rows follow the previous segment's);
deleted and replaced articles are masked out, never rewritten, until a merge drops them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rag.errors import NotFound
from rag.store.ids import PassageIds
from rag.store.manifest import Manifest
from rag.store.postings import Stats, bm25_segment, length_norm
from rag.store.segment import Segment
from rag.store.views import ArticleView, HashView, SentenceView, Vocabulary
from rag.types import Article, Chunk

Pred = Any  # (source, published) -> bool


class OutletDate(NamedTuple):
    source: str | None
    published: str | None


class Snapshot(PassageIds):
    """An immutable view of the index: articles, passages, vectors, keywords and sentences."""

    def __init__(self, config: dict[str, Any], segments: Sequence[Segment], deleted: Sequence[Sequence[str]],
                 generation: str | None = None):
        self.config = config
        self.segments = list(segments)
        self.generation = generation
        self.deleted = [frozenset(d) for d in deleted]
        self.offsets = np.zeros(len(self.segments) + 1, np.int64)
        np.cumsum([s.rows for s in self.segments], out=self.offsets[1:])
        self._dead_docs: list[np.ndarray] = []
        self._live: list[np.ndarray | None] = []
        n_live, total_len = 0, 0.0
        for seg, dead in zip(self.segments, self.deleted):
            idx = np.array(sorted(seg.meta.index[d] for d in dead if d in seg.meta.index), np.int64)
            self._dead_docs.append(idx)
            mask = None
            if idx.size:
                mask = np.ones(seg.rows, bool)
                for i in idx.tolist():
                    mask[seg.meta.row0[i]:seg.meta.row0[i] + seg.meta.nrows[i]] = False
            self._live.append(mask)
            lengths = seg.postings.lengths
            n_live += seg.rows if mask is None else int(mask.sum())
            seg_len = seg.total_length
            total_len += seg_len if mask is None else seg_len - float(np.asarray(lengths)[~mask].sum())
        self.n_live = n_live
        self.stats = Stats(n_live, (total_len / n_live) if n_live else 1.0, {})
        self._norms: dict[int, np.ndarray] = {}
        self._dead_df: dict[int, Counter[int]] = {}
        self.articles = ArticleView(self)
        self.hashes = HashView(self)
        self.sentences = SentenceView(self)
        self.vocabulary = Vocabulary(self)

    @classmethod
    def open(cls, index_dir: Path, manifest: Manifest, opened: Mapping[str, Segment] | None = None) -> Snapshot:
        """The snapshot of `manifest`, reusing segments that are open already."""
        opened = opened or {}
        segs = [opened.get(r.name) or Segment(index_dir / r.name) for r in manifest.segments]
        return cls(manifest.config, segs, [r.deleted for r in manifest.segments], manifest.name)

    def __len__(self) -> int:
        return self.n_live

    # -- articles and passages -----------------------------------------------------------------

    def locate(self, doc_id: str) -> tuple[int, int] | None:
        """(segment position, article index in it) of the live version of an article."""
        for i in range(len(self.segments) - 1, -1, -1):
            idx = self.segments[i].meta.index.get(doc_id)
            if idx is not None and doc_id not in self.deleted[i]:
                return i, idx
        return None

    def article(self, doc_id: str) -> Article:
        where = self.locate(doc_id)
        if where is None:
            raise NotFound(f"no article with id {doc_id!r}; GET /api/documents lists them")
        return self.segments[where[0]].meta.article(where[1])

    def article_rows(self, doc_id: str) -> list[int]:
        """Global rows of an article's passages, in order (empty when there is no such article)."""
        where = self.locate(doc_id)
        if where is None:
            return []
        s, idx = where
        r0 = int(self.offsets[s] + self.segments[s].meta.row0[idx])
        return list(range(r0, r0 + int(self.segments[s].meta.nrows[idx])))

    def _split(self, row: int) -> tuple[int, int]:
        s = int(np.searchsorted(self.offsets, row, side="right")) - 1
        if not 0 <= s < len(self.segments) or row >= self.offsets[-1]:
            raise IndexError(row)
        return s, int(row - self.offsets[s])

    def chunk_at(self, row: int) -> Chunk:
        s, local = self._split(row)
        return self.segments[s].meta.chunk(local)

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every live passage, in row order."""
        for s, seg in enumerate(self.segments):
            live = self._live[s]
            for r in range(seg.rows):
                if live is None or live[r]:
                    yield seg.meta.chunk(r)

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        if not len(rows):
            return np.zeros((0, int(self.config["dim"])), dtype=np.float32)
        out = []
        for r in rows:
            s, local = self._split(int(r))
            out.append(self.segments[s].vectors.rows(np.array([local]))[0])
        return np.vstack(out).astype(np.float32)

    def outlets_and_dates(self) -> Iterator[OutletDate]:
        """(source, published) of every live article, without reading the articles' text."""
        for seg, dead in zip(self.segments, self.deleted):
            for doc_id, (source, published) in zip(seg.meta.ids, seg.doc_meta()):
                if doc_id not in dead:
                    yield OutletDate(source, published)

    # -- search ---------------------------------------------------------------------------------

    def allowed(self, pred: Pred, filters: Any = None) -> list[np.ndarray]:
        """Per segment, the live rows whose article passes `pred(source, published)` (`filters` unused)."""
        out = []
        for s, seg in enumerate(self.segments):
            ok_docs = np.fromiter((bool(pred(src, pub)) for src, pub in seg.doc_meta()), bool, count=len(seg.meta))
            mask = np.repeat(ok_docs, seg.meta.nrows) if len(seg.meta) else np.zeros(0, bool)
            live = self._live[s]
            out.append(mask if live is None else mask & live)
        return out

    def _masks(self, allowed: Sequence[np.ndarray] | None) -> list[np.ndarray | None]:
        return list(allowed) if allowed is not None else list(self._live)

    def dense(self, qv: np.ndarray, k: int, allowed: Sequence[np.ndarray] | None = None) -> list[tuple[int, float]]:
        """Top-k (global row, cosine) over the live passages (and `allowed`, when given), best first."""
        found: list[tuple[float, int]] = []
        for s, (seg, mask) in enumerate(zip(self.segments, self._masks(allowed))):
            if mask is not None and not mask.any():
                continue
            rows, scores = seg.vectors.search(qv, k, mask)
            found.extend((float(sc), int(self.offsets[s] + r)) for r, sc in zip(rows.tolist(), scores.tolist()))
        found.sort(key=lambda x: (-x[0], x[1]))
        return [(r, sc) for sc, r in found[:k]]

    def keyword_search(self, tokens: Sequence[str], k: int, allowed: Sequence[np.ndarray] | None = None
                       ) -> list[tuple[int, float]]:
        """Top-k (global row, BM25 score > 0) with corpus-wide statistics, best first."""
        terms = list(dict.fromkeys(tokens))
        idf = self.idf(terms)
        term_idf = [(t, idf[t]) for t in terms if self.df(t) > 0]
        if not term_idf or self.n_live == 0:
            return []
        found: list[tuple[float, int]] = []
        for s, (seg, mask) in enumerate(zip(self.segments, self._masks(allowed))):
            if mask is not None and not mask.any():
                continue
            rows, scores = bm25_segment(seg.postings, term_idf, self._norm(s), mask, k)
            found.extend((float(sc), int(self.offsets[s] + r)) for r, sc in zip(rows.tolist(), scores.tolist()))
        found.sort(key=lambda x: (-x[0], x[1]))
        return [(r, sc) for sc, r in found[:k]]

    def _norm(self, s: int) -> np.ndarray:
        norm = self._norms.get(s)
        if norm is None:
            norm = self._norms[s] = length_norm(self.segments[s].postings, self.stats.avgdl)
        return norm

    # -- keyword statistics ---------------------------------------------------------------------

    def df(self, term: str) -> int:
        """Live passages holding `term`."""
        got = self.stats.df.get(term)
        if got is not None:
            return got
        total = 0
        for s, seg in enumerate(self.segments):
            tid = seg.postings.vocab.get(term)
            if tid is None:
                continue
            total += int(seg.postings.df[tid])
            if self._dead_docs[s].size:
                total -= self._dead_counts(s).get(tid, 0)
        self.stats.df[term] = total
        return total

    def _dead_counts(self, s: int) -> Counter[int]:
        got = self._dead_df.get(s)
        if got is None:
            seg = self.segments[s]
            live = self._live[s]
            assert live is not None
            dead = seg.postings.rows_of(np.flatnonzero(~live))
            got = self._dead_df[s] = Counter(dead.terms.tolist())
        return got

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of each distinct token; unseen tokens get the highest value."""
        return {t: (self.stats.idf(df) if (df := self.df(t)) > 0 else self.stats.idf_oov)
                for t in dict.fromkeys(tokens)}

    def knows(self, term: str) -> bool:
        return self.df(term) > 0

    def coverage(self, rows: Sequence[int], weights: Mapping[str, float]) -> list[float]:
        """Per row, the sum of `weights` over the distinct terms its passage holds."""
        out = []
        for r in rows:
            s, local = self._split(int(r))
            p = self.segments[s].postings
            ids, _ = p.by_row.row(local)
            out.append(sum(weights.get(p.terms[t], 0.0) for t in np.asarray(ids).tolist()))
        return out
