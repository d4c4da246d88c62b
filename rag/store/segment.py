"""An immutable segment: the articles of one write, with their passages' vectors, keyword postings and
sentence vectors. Files in `seg-<id>/`::

    segment.json          rows, articles, dimension
    meta.sqlite, spans.npy                  articles (SQLite) and passage spans   (rag.store.metadata)
    vectors.npy [, ann.faiss]               passage vectors, an IVF index when large (rag.store.vectors)
    terms.json, row_*.npy, term_*.npy, lengths.npy   keyword postings   (rag.store.postings)
    sent_ptr.npy, sent_spans.npy, sent_vectors.npy   sentence units and their vectors
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.sentences import SentenceRows
from rag.store.arrays import load_array
from rag.store.manifest import fsync_dir
from rag.store.metadata import Metadata
from rag.store.postings import Postings, TermRows
from rag.store.vectors import Vectors
from rag.types import Article, Chunk


@dataclass
class SegmentData:
    """A segment in memory, before it is written: everything aligned by article, then by passage."""

    articles: list[Article]
    hashes: list[str]
    chunks: list[list[Chunk]]
    vectors: np.ndarray  # (passages, dim) float32
    terms: TermRows  # one row per passage
    vocab: list[str]  # the terms' strings, by local id
    sentences: list[SentenceRows]  # per article

    @property
    def rows(self) -> int:
        return int(self.vectors.shape[0])


def write(data: SegmentData, directory: Path, exact_threshold: int) -> None:
    """Write `data` into the (new, empty) `directory`, every file flushed to disk."""
    Metadata.write(directory, data.articles, data.hashes, data.chunks)
    Vectors.write(directory, data.vectors, exact_threshold)
    Postings.write(directory, data.terms, data.vocab)
    ptr = np.zeros(len(data.sentences) + 1, np.int64)
    np.cumsum([len(s.starts) for s in data.sentences], out=ptr[1:])
    dim = data.vectors.shape[1]
    spans = np.zeros((0, 2), np.int32)
    vecs = np.zeros((0, dim), np.float32)
    if data.sentences:
        spans = np.column_stack([np.concatenate([s.starts for s in data.sentences]),
                                 np.concatenate([s.ends for s in data.sentences])]).astype(np.int32).reshape(-1, 2)
        vecs = np.vstack([s.vectors.reshape(-1, dim) for s in data.sentences]).astype(np.float32)
    np.save(directory / "sent_ptr.npy", ptr)
    np.save(directory / "sent_spans.npy", spans)
    np.save(directory / "sent_vectors.npy", vecs)
    (directory / "segment.json").write_text(json.dumps(
        {"rows": data.rows, "articles": len(data.articles), "dim": int(dim), "sentences": int(len(spans))}),
        encoding="utf-8")
    for f in directory.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    fsync_dir(directory)


def place(built: Path, index_dir: Path) -> str:
    """Move a fully written segment directory into the index under a fresh name; returns the name."""
    name = f"seg-{time.time_ns()}"
    os.rename(built, index_dir / name)
    fsync_dir(index_dir)
    return name


def discard(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


class Segment:
    """A stored segment, opened read-only. Every file is opened here, so a segment that a later merge
    drops stays readable for as long as a reader holds it."""

    def __init__(self, directory: Path):
        self.name = directory.name
        info = json.loads((directory / "segment.json").read_text(encoding="utf-8"))
        self.rows, self.dim = int(info["rows"]), int(info["dim"])
        self.meta = Metadata(directory)
        self.vectors = Vectors(directory)
        self.postings = Postings(directory)
        self.sent_ptr = load_array(directory / "sent_ptr.npy")
        self.sent_spans = load_array(directory / "sent_spans.npy", mmap=True)
        self.sent_vectors = load_array(directory / "sent_vectors.npy", mmap=True)
        if not (len(self.vectors) == len(self.meta.spans) == self.postings.by_row.rows == self.rows):
            raise ValueError(f"segment {self.name} is inconsistent: {self.rows} rows in segment.json, "
                             f"{len(self.vectors)} vectors, {len(self.meta.spans)} spans, "
                             f"{self.postings.by_row.rows} keyword rows")
        self.total_length = float(np.asarray(self.postings.lengths, np.float64).sum())  # BM25's avgdl
        self._doc_meta: list[tuple[str | None, str | None]] | None = None

    def doc_meta(self) -> list[tuple[str | None, str | None]]:
        """(source, published) of every article, read once, on the first filtered search."""
        if self._doc_meta is None:
            self._doc_meta = self.meta.meta_rows()
        return self._doc_meta

    def sentences(self, idx: int) -> SentenceRows:
        a, b = int(self.sent_ptr[idx]), int(self.sent_ptr[idx + 1])
        spans = np.asarray(self.sent_spans[a:b])
        return SentenceRows(spans[:, 0].copy(), spans[:, 1].copy(), np.asarray(self.sent_vectors[a:b], np.float32))
