"""Read-only views of a snapshot: its live articles and their hashes by id, the terms it knows, and the
sentence units by article. Each resolves an id to the segment holding the article's live version."""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from typing import Any, Protocol

import numpy as np

from rag.sentences import SentenceRows
from rag.types import Article


class Live(Protocol):
    """What the views read of their snapshot (rag.store.snapshot.Snapshot), named here so that the views
    need not import it."""

    @property
    def segments(self) -> list[Any]: ...

    @property
    def deleted(self) -> list[frozenset[str]]: ...

    @property
    def _dead_docs(self) -> list[Any]: ...

    @property
    def config(self) -> dict[str, Any]: ...

    @property
    def articles(self) -> Mapping[str, Article]: ...

    def locate(self, doc_id: str) -> tuple[int, int] | None: ...

    def knows(self, term: str) -> bool: ...


class ArticleView(Mapping[str, Article]):
    """The live articles by id, read from the segments on demand."""

    def __init__(self, snap: Live):
        self._snap = snap

    def __getitem__(self, doc_id: str) -> Article:
        where = self._snap.locate(doc_id)
        if where is None:
            raise KeyError(doc_id)
        return self._snap.segments[where[0]].meta.article(where[1])

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._snap.locate(doc_id) is not None

    def __len__(self) -> int:
        return sum(len(seg.meta) - len(d) for seg, d in zip(self._snap.segments, self._snap._dead_docs))

    def __iter__(self) -> Iterator[str]:
        for seg, dead in zip(self._snap.segments, self._snap.deleted):
            yield from (i for i in seg.meta.ids if i not in dead)

    def values(self) -> Iterator[Article]:  # type: ignore[override]
        for seg, dead in zip(self._snap.segments, self._snap.deleted):
            yield from (a for a in seg.meta.articles() if a.id not in dead)


class Vocabulary(Container[str]):
    """The terms that some live passage holds."""

    def __init__(self, snap: Live):
        self._snap = snap

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._snap.knows(term)


class HashView(Mapping[str, str]):
    """Content hash of each live article."""

    def __init__(self, snap: Live):
        self._snap = snap

    def __getitem__(self, doc_id: str) -> str:
        where = self._snap.locate(doc_id)
        if where is None:
            raise KeyError(doc_id)
        return self._snap.segments[where[0]].meta.hashes[where[1]]

    def __len__(self) -> int:
        return len(self._snap.articles)

    def __iter__(self) -> Iterator[str]:
        return iter(self._snap.articles)


class SentenceView:
    """Sentence units and their vectors, by article."""

    def __init__(self, snap: Live):
        self._snap = snap

    def rows(self, doc_id: str) -> SentenceRows | None:
        where = self._snap.locate(doc_id)
        return None if where is None else self._snap.segments[where[0]].sentences(where[1])

    def within(self, doc_id: str, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, vectors) of the article's sentences inside text[start:end]."""
        rows = self.rows(doc_id)
        if rows is None:
            z = np.zeros(0, dtype=np.int32)
            return z, z, np.zeros((0, int(self._snap.config["dim"])), np.float32)
        m = (rows.starts >= start) & (rows.ends <= end)
        return rows.starts[m], rows.ends[m], rows.vectors[m]
