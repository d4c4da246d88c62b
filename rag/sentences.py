"""Sentence vectors stored with the index: one per sentence unit of every article, embedded at index time.

The answerer scores candidate sentences against the question vector retrieval already computed, so a
paraphrased or English question costs no extra model call. Units are those `chunking.sentence_units`
packs passages from, so the sentences of a passage are exactly the units inside its span.

A unit's vector is either its own forward pass ("separate", the default) or, with RAG_SENTENCE_VECTORS=pooled,
the mean of the token embeddings that fall inside it in the forward pass of a passage that holds it
(`assign_units`, `pool_spans`): one pass per passage instead of one more per sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

SENTENCES_VERSION = "units/1"  # bump when what is embedded per sentence changes
POOLED_VERSION = "pooled/1"  # bump when the pooling of sentence vectors from the passage pass changes
SentenceVectors = Literal["pooled", "separate"]


def sentences_config(mode: SentenceVectors) -> str:
    """The index config's "sentences" entry. "separate" keeps the value indexes were built with before the
    setting existed, so that they (and the eval caches keyed on the config) stay valid."""
    return SENTENCES_VERSION if mode == "separate" else f"{SENTENCES_VERSION}+{POOLED_VERSION}"


def assign_units(units: Sequence[tuple[int, int]], windows: Sequence[tuple[int, int]]) -> list[int | None]:
    """For each unit (start, end), the index of the window (a passage's span in the same text) holding most of
    it, the first of equals; None when the unit is wider than every window or touches none: it then needs a
    forward pass of its own."""
    widest = max((e - s for s, e in windows), default=0)
    out: list[int | None] = []
    for us, ue in units:
        best, best_overlap = None, 0
        if ue - us <= widest:
            for k, (ws, we) in enumerate(windows):
                overlap = min(ue, we) - max(us, ws)
                if overlap > best_overlap:
                    best, best_overlap = k, overlap
        out.append(best)
    return out


def span_tokens(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """For each character span of the encoded string, the indices of its tokens.

    A token belongs to the span holding its last character: SentencePiece's "▁" pieces start at the blank
    before a word, and special tokens, with empty offsets, belong to none."""
    off = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    last = np.where(off[:, 1] > off[:, 0], off[:, 1] - 1, -1)
    return [np.flatnonzero((last >= a) & (last < b)) for a, b in spans]


def pool_spans(token_vectors: np.ndarray, offsets: Sequence[tuple[int, int]],
               spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """L2-normalised mean of the token vectors of each character span (`span_tokens`) of the encoded string;
    a zero row for a span no token falls in (e.g. cut off by the model's window)."""
    out = np.zeros((len(spans), token_vectors.shape[1]), np.float32)
    for i, idx in enumerate(span_tokens(offsets, spans)):
        if len(idx):
            v = token_vectors[idx].astype(np.float32).mean(axis=0)
            norm = float(np.linalg.norm(v))
            if norm > 0:
                out[i] = v / norm
    return out


@dataclass
class SentenceRows:
    """The sentences of one article: offsets into its text and unit vectors."""

    starts: np.ndarray  # int32
    ends: np.ndarray  # int32
    vectors: np.ndarray  # float32, (n, dim), L2-normalised


class SentenceTable:
    """Sentence offsets and vectors of every article, looked up by article id."""

    def __init__(self, doc_ids: Sequence[str], ptr: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 vectors: np.ndarray):
        self.doc_ids = list(doc_ids)
        self.ptr = np.asarray(ptr, dtype=np.int64)
        self.starts = np.asarray(starts, dtype=np.int32)
        self.ends = np.asarray(ends, dtype=np.int32)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._pos = {d: i for i, d in enumerate(self.doc_ids)}

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def concat(cls, parts: Sequence[tuple[str, SentenceRows]], dim: int) -> SentenceTable:
        ptr = np.zeros(len(parts) + 1, dtype=np.int64)
        for i, (_, rows) in enumerate(parts):
            ptr[i + 1] = ptr[i] + len(rows.starts)
        if parts:
            starts = np.concatenate([r.starts for _, r in parts])
            ends = np.concatenate([r.ends for _, r in parts])
            vecs = np.vstack([r.vectors.reshape(-1, dim) for _, r in parts])
        else:
            starts = ends = np.zeros(0, dtype=np.int32)
            vecs = np.zeros((0, dim), dtype=np.float32)
        return cls([d for d, _ in parts], ptr, starts, ends, vecs)

    def rows(self, doc_id: str) -> SentenceRows | None:
        i = self._pos.get(doc_id)
        if i is None:
            return None
        a, b = int(self.ptr[i]), int(self.ptr[i + 1])
        return SentenceRows(self.starts[a:b], self.ends[a:b], self.vectors[a:b])

    def within(self, doc_id: str, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, vectors) of the article's sentences inside text[start:end]."""
        i = self._pos.get(doc_id)
        if i is None:
            z = np.zeros(0, dtype=np.int32)
            return z, z, np.zeros((0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), np.float32)
        a, b = int(self.ptr[i]), int(self.ptr[i + 1])
        s, e = self.starts[a:b], self.ends[a:b]
        m = (s >= start) & (e <= end)
        return s[m], e[m], self.vectors[a:b][m]

    # -- persistence --------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        with open(directory / "sentences.npz", "wb") as f:
            np.savez(f, ptr=self.ptr, starts=self.starts, ends=self.ends, vectors=self.vectors,
                     doc_ids=np.array(self.doc_ids, dtype=object).astype(str))

    @classmethod
    def load(cls, directory: Path) -> SentenceTable:
        with np.load(directory / "sentences.npz", allow_pickle=False) as z:
            return cls([str(d) for d in z["doc_ids"]], z["ptr"], z["starts"], z["ends"], z["vectors"])
