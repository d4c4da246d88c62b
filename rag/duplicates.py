"""Duplicate stories: syndicated or re-published articles collapse into one result, "also reported by …".

Design (issue 14, item 2):
- Each article gets a MinHash signature over the character shingles of its script-normalised text
  (`rag.keywords.normalize`, punctuation and spaces dropped), computed lazily at query time and cached by the
  article's content hash (`IndexView.hashes`): segments are immutable, so a hash names one text for good, and
  a rebuilt snapshot reuses every signature it already had. Nothing changes in the store or its files.
- Candidates come from MinHash LSH (`datasketch.MinHashLSH`), never from all pairs; each candidate is then
  checked on its estimated Jaccard similarity (>= DUPLICATE_THRESHOLD) and on its figures: two articles whose
  numbers differ (`rag.disagreements.figures` / `differ`, over the whole text) are different reports and are
  never collapsed, however similar.
- `rag.retrieval.Retriever.pool` runs a `Collapser` over the fused candidates: the first (best) article of a
  duplicate group keeps its passages and gets `also_reported_by`; passages of its duplicates are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from datasketch import MinHash, MinHashLSH

from rag.disagreements import differ
from rag.disagreements import figures as _figures
from rag.keywords import normalize
from rag.types import Article

SHINGLE = 4  # characters per shingle (Chinese: about two words)
NUM_PERM = 128
# Measured on pairs built from the five seeds (tests/test_duplicates.py::test_threshold_measurement; numbers from
# `minhash(a.text).jaccard(minhash(b.text))`, 2026-11-23): a re-post (new headline and outlet, 1.5% of its
# Chinese characters changed) scores 0.85-0.91; a syndicated copy with its last paragraph cut 0.91-0.99; two
# outlets' reports of the Kazakhstan unrest (RFA 2022-01-11 vs Al Jazeera 2022-01-08, different casualty
# figures) 0.023, and every other pair of different seed articles 0.00-0.023. 0.6 sits far from both sides;
# a copy with one figure changed (4266 -> 5000 people) scores 0.99 and is kept apart by `facts_differ`.
DUPLICATE_THRESHOLD = 0.6

_SIGS: dict[str, tuple[MinHash, dict[str, frozenset[str]]]] = {}  # content hash -> (MinHash, figures)
_SIGS_MAX = 50_000  # about 60 MB of signatures at most


@dataclass(frozen=True)
class _NoQuestion:
    text: str = ""


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    t = re.sub(r"\W+", "", normalize(text))
    return {t[i:i + k] for i in range(max(1, len(t) - k + 1))}


def minhash(text: str) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=1)
    m.update_batch([s.encode("utf-8") for s in shingles(text)])
    return m


def article_figures(article: Article) -> dict[str, frozenset[str]]:
    """The figures the article states, by what they count (`rag.disagreements.figures` over its text)."""
    return _figures(article.title + "\n" + article.text, _NoQuestion())  # type: ignore[arg-type]


def facts_differ(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> bool:
    """Both count the same thing with figures the other lacks on both sides (a changed casualty count); a copy
    that only leaves figures out (a trimmed wire story) states no different fact."""
    return differ(a, b) or any(not (a[u] <= b[u] or b[u] <= a[u]) for u in set(a) & set(b))


def signature(article: Article, key: str | None = None) -> tuple[MinHash, dict[str, frozenset[str]]]:
    """The article's MinHash and figures, cached by content hash `key` when given."""
    if key is not None and key in _SIGS:
        return _SIGS[key]
    m, figs = minhash(article.text), article_figures(article)
    if key is not None:
        if len(_SIGS) >= _SIGS_MAX:
            _SIGS.clear()
        _SIGS[key] = (m, figs)  # never updated after this: shared by every query and snapshot
    return m, figs


def duplicates(a: Article, b: Article, threshold: float = DUPLICATE_THRESHOLD) -> bool:
    """Are two articles the same story (estimated Jaccard >= threshold and no differing figures)?"""
    ma, fa = signature(a)
    mb, fb = signature(b)
    return ma.jaccard(mb) >= threshold and not facts_differ(fa, fb)


def reported_by(article: Article) -> dict[str, Any]:
    return {"doc_id": article.id, "title": article.title, "source": article.source,
            "published": article.published, "url": article.url}


@lru_cache(maxsize=8)
def _lsh_params(threshold: float) -> tuple[int, int]:
    """LSH bands and rows for `threshold`, computed once: datasketch integrates the error curves numerically
    on every MinHashLSH() (34 ms per request, measured on the seeds' asks; a request builds one)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


class Collapser:
    """Assigns each article, as it is met, to the first earlier article it duplicates (or to itself)."""

    def __init__(self, hashes: Any = None, threshold: float = DUPLICATE_THRESHOLD):
        self.hashes, self.threshold = hashes, threshold
        self.lsh = MinHashLSH(num_perm=NUM_PERM, params=_lsh_params(threshold))
        self.sigs: dict[str, tuple[MinHash, dict[str, frozenset[str]]]] = {}
        self.order: dict[str, int] = {}
        self.rep: dict[str, str] = {}  # doc_id -> the doc_id that represents its group
        self.also: dict[str, list[dict[str, Any]]] = {}  # representative -> its duplicates' metadata
        self.candidates = 0  # LSH candidates checked, for tests and measurements

    def _key(self, doc_id: str) -> str | None:
        try:
            return None if self.hashes is None else str(self.hashes[doc_id])
        except KeyError:
            return None

    def add(self, article: Article) -> str:
        """The representative of `article`'s group (its own id when it duplicates none seen before)."""
        if article.id in self.rep:
            return self.rep[article.id]
        m, figs = signature(article, self._key(article.id))
        rep = article.id
        found = self.lsh.query(m)
        self.candidates += len(found)
        for other in sorted(found, key=self.order.__getitem__):  # the earliest (best-ranked) group first
            om, ofigs = self.sigs[other]
            if m.jaccard(om) >= self.threshold and not facts_differ(figs, ofigs):
                rep = other
                break
        self.rep[article.id] = rep
        if rep == article.id:
            self.sigs[article.id] = (m, figs)
            self.order[article.id] = len(self.order)
            self.lsh.insert(article.id, m)
        else:
            self.also.setdefault(rep, []).append(reported_by(article))
        return rep


def groups(articles: Iterable[Article], threshold: float = DUPLICATE_THRESHOLD) -> tuple[dict[str, list[str]], int]:
    """Duplicate groups among `articles` (representative -> duplicates) and the LSH candidate count."""
    c = Collapser(threshold=threshold)
    for a in articles:
        c.add(a)
    return {rep: [d["doc_id"] for d in dups] for rep, dups in c.also.items()}, c.candidates
