"""Sentence vectors stored with the index: one per sentence unit of every article, embedded at index time.

The answerer scores candidate sentences against the question vector retrieval already computed, so a
paraphrased or English question costs no extra model call. Units are those `chunking.sentence_units`
packs passages from, so the sentences of a passage are exactly the units inside its span.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SENTENCES_VERSION = "units/1"  # bump when what is embedded per sentence changes


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
