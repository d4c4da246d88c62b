"""Keyword postings of one segment, and BM25 over several segments with corpus-wide statistics.

A segment stores raw term counts twice, as memory-mapped arrays: by passage (CSR: which terms a passage
has, for coverage features and for tombstone bookkeeping) and by term (CSC: which passages hold a term,
for search). Weights are not stored: idf and the average length depend on every live segment, so they
are applied at query time, to the postings of the query's terms only. Scores are exact BM25.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.store.arrays import load_array

K1, B = 1.2, 0.75  # the usual BM25 constants (Robertson & Zaragoza); unchanged since the first index
# Switch to look-ups only when the remaining posting lists hold more than this many entries: below it, scoring
# them outright costs less than finding the candidates (a pass over a boolean row mask, ~1 ms per 1M rows).
PRUNE_MIN = 50_000


@dataclass
class TermRows:
    """Term counts of some passages: CSR arrays over a segment-local vocabulary."""

    indptr: np.ndarray  # int64, (rows + 1)
    terms: np.ndarray  # int32 local term ids
    counts: np.ndarray  # float32

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.indptr[r]), int(self.indptr[r + 1])
        return self.terms[a:b], self.counts[a:b]


def count_rows(token_lists: Iterable[Sequence[str]], vocab: dict[str, int]) -> TermRows:
    """Term-count rows for tokenised passages; new terms are appended to `vocab` in place."""
    indptr: list[int] = [0]
    terms: list[int] = []
    counts: list[int] = []
    for toks in token_lists:
        row: dict[int, int] = {}
        for t in toks:
            tid = vocab.setdefault(t, len(vocab))
            row[tid] = row.get(tid, 0) + 1
        terms.extend(row.keys())
        counts.extend(row.values())
        indptr.append(len(terms))
    return TermRows(np.array(indptr, np.int64), np.array(terms, np.int32), np.array(counts, np.float32))


def concat_rows(parts: Sequence[TermRows]) -> TermRows:
    if not parts:
        return TermRows(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
    sizes = np.array([p.indptr[-1] for p in parts], np.int64)
    shifts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    indptr = np.concatenate([[0]] + [p.indptr[1:] + s for p, s in zip(parts, shifts)]).astype(np.int64)
    return TermRows(indptr, np.concatenate([p.terms for p in parts]).astype(np.int32),
                    np.concatenate([p.counts for p in parts]).astype(np.float32))


def remap(rows: TermRows, old_terms: Sequence[str], vocab: dict[str, int]) -> TermRows:
    """The same rows over `vocab` (extended in place with terms it lacks)."""
    if not len(rows.terms):
        return TermRows(rows.indptr.copy(), rows.terms.copy(), rows.counts.copy())
    used = np.unique(rows.terms)
    table = np.zeros(int(used.max()) + 1, np.int32)
    for t in used.tolist():
        table[t] = vocab.setdefault(old_terms[t], len(vocab))
    return TermRows(np.asarray(rows.indptr, np.int64).copy(), table[rows.terms], np.asarray(rows.counts).copy())


class Postings:
    """The keyword side of one stored segment (read-only, memory-mapped)."""

    FILES = ("terms.json", "row_ptr.npy", "row_terms.npy", "row_counts.npy", "term_ptr.npy", "term_rows.npy",
             "term_counts.npy", "lengths.npy")

    def __init__(self, directory: Path):
        def arr(name: str) -> np.ndarray:
            return load_array(directory / name, mmap=True)

        self.terms: list[str] = json.loads((directory / "terms.json").read_text(encoding="utf-8"))
        self.vocab = {t: i for i, t in enumerate(self.terms)}
        self.by_row = TermRows(arr("row_ptr.npy"), arr("row_terms.npy"), arr("row_counts.npy"))
        self.term_ptr, self.term_rows, self.term_counts = arr("term_ptr.npy"), arr("term_rows.npy"), arr("term_counts.npy")
        self.lengths = arr("lengths.npy")  # float32 passage lengths in tokens
        self.df = np.diff(self.term_ptr).astype(np.int64)

    @staticmethod
    def write(directory: Path, rows: TermRows, terms: Sequence[str]) -> None:
        n_terms = len(terms)
        order = np.argsort(rows.terms, kind="stable")  # by term, then by row: the CSC side
        row_of = np.repeat(np.arange(rows.rows, dtype=np.int32), np.diff(rows.indptr))
        term_ptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(np.bincount(rows.terms, minlength=n_terms), out=term_ptr[1:])
        lengths = np.add.reduceat(rows.counts, rows.indptr[:-1]) if len(rows.counts) else np.zeros(rows.rows)
        lengths = np.where(np.diff(rows.indptr) > 0, lengths, 0).astype(np.float32)
        (directory / "terms.json").write_text(json.dumps(list(terms), ensure_ascii=False), encoding="utf-8")
        for name, a in (("row_ptr", rows.indptr), ("row_terms", rows.terms), ("row_counts", rows.counts),
                        ("term_ptr", term_ptr), ("term_rows", row_of[order]), ("term_counts", rows.counts[order]),
                        ("lengths", lengths)):
            np.save(directory / f"{name}.npy", np.ascontiguousarray(a))

    def rows_of(self, local_rows: np.ndarray) -> TermRows:
        """The CSR rows of some passages (e.g. the deleted ones), over this segment's vocabulary."""
        parts = [TermRows(np.array([0, len(t)], np.int64), np.asarray(t), np.asarray(c))
                 for t, c in (self.by_row.row(int(r)) for r in local_rows)]
        return concat_rows(parts)


@dataclass
class Stats:
    """Corpus-wide BM25 statistics over the live passages of all segments."""

    n_docs: int
    avgdl: float
    df: dict[str, int]  # filled lazily per term

    def idf(self, df: int) -> float:
        return float(np.log1p((self.n_docs - df + 0.5) / (df + 0.5)))

    @property
    def idf_oov(self) -> float:
        return float(np.log1p((self.n_docs + 0.5) / 0.5))


def length_norm(p: Postings, avgdl: float) -> np.ndarray:
    """k1 * (1 - b + b * dl / avgdl) per passage: BM25's length normalisation under the corpus statistics."""
    return np.float32(K1) * (np.float32(1 - B) + np.float32(B) * np.asarray(p.lengths) / np.float32(avgdl))


def bm25_segment(p: Postings, term_idf: Sequence[tuple[str, float]], norm: np.ndarray, live: np.ndarray | None,
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (local rows, scores) of one segment, best first, ties by row; `live` masks out rows.

    Exact BM25 with MaxScore pruning: terms go rarest first (highest possible contribution, idf * (k1+1)),
    each posting list scored in full, until the k-th best score so far exceeds what all the remaining
    terms together could add; from then on a passage that none of the scored terms matched cannot reach
    the top k, so the remaining (common, long) lists are only looked up for the passages already found."""
    if len(p.lengths) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    lists = []
    for term, idf in term_idf:
        tid = p.vocab.get(term)
        if tid is not None and p.term_ptr[tid + 1] > p.term_ptr[tid]:
            lists.append((term, np.float32(idf), int(p.term_ptr[tid]), int(p.term_ptr[tid + 1])))
    if not lists:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    # the same order in every segment (by bound, then term), so that a passage's float sum does not
    # depend on how the index is split into segments
    lists.sort(key=lambda x: (-float(x[1]), x[0]))
    bound = np.float32(K1 + 1)
    rest = np.cumsum([float(x[1]) * (K1 + 1) for x in lists][::-1])[::-1]  # what terms i.. could still add
    lengths = [b - a for _, _, a, b in lists]
    later = np.cumsum(lengths[::-1])[::-1]  # postings of terms i.. together
    scores = np.zeros(len(p.lengths), np.float32)
    seen = np.zeros(len(p.lengths), bool)  # rows some scored term matched
    theta = 0.0  # a lower bound of the k-th best score so far (the k-th best over a subset of the rows seen)
    found: np.ndarray | None = None  # the rows seen, once the remaining terms are only looked up
    for i, (_, w, a, b) in enumerate(lists):
        rows = np.asarray(p.term_rows[a:b])
        tf = np.asarray(p.term_counts[a:b])
        if found is None and i > 0 and later[i] > PRUNE_MIN and theta > rest[i]:
            found = np.flatnonzero(seen if live is None else seen & live)
        if found is not None:  # look this term up for the passages already found only
            pos = np.searchsorted(rows, found)
            pos[pos == len(rows)] = 0
            hit = rows[pos] == found
            r, t = found[hit], tf[pos[hit]]
            scores[r] += w * t * bound / (t + norm[r])
            continue
        scores[rows] += w * tf * bound / (tf + norm[rows])
        seen[rows] = True
        # the rows of one posting list are distinct: their k-th best is a valid lower bound, and cheap
        theta = max(theta, _kth(scores, rows.astype(np.int64), live, k))
    cand = found if found is not None else np.flatnonzero(seen if live is None else seen & live)
    if cand.size > k:  # partial selection first: a full sort would dominate at 1M passages
        cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
    top = cand[np.lexsort((cand, -scores[cand]))]
    return top.astype(np.int64), scores[top]


def _kth(scores: np.ndarray, found: np.ndarray, live: np.ndarray | None, k: int) -> float:
    """The k-th best score among the live passages of `found` (0 while there are fewer than k)."""
    cand = found if live is None else found[live[found]]
    if cand.size < k:
        return 0.0
    return float(np.partition(scores[cand], cand.size - k)[cand.size - k])
