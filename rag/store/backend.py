"""The storage verbs the engine uses, behind one interface, so that a backend can be swapped by a setting.

`IndexView` is what retrieval, the answerers and the API read (a `Snapshot` for the embedded FAISS store);
`Backend` is what the engine calls to open, write and merge. `backend(settings)` picks the implementation:
the embedded segment store unless `RAG_STORE_URI` names another engine.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.embedding import Embedder
from rag.settings import Settings
from rag.store import manifest as mf
from rag.store.building import BuildReport
from rag.store.snapshot import Snapshot
from rag.types import Article, Chunk

Pred = Callable[[str | None, str | None], bool]  # (source, published) -> allowed


class SentenceReader(Protocol):
    def rows(self, doc_id: str) -> Any: ...

    def within(self, doc_id: str, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


class IndexView(Protocol):
    """An immutable view of one index: what readers see between two writes. Rows are opaque ints that
    `dense` and `keyword_search` return and `chunk_at`, `vectors` and `coverage` take."""

    @property
    def config(self) -> dict[str, Any]: ...  # what the index was built with (rag.store.index_config)

    @property
    def generation(self) -> str | None: ...  # which commit this view is

    @property
    def articles(self) -> Mapping[str, Article]: ...

    @property
    def hashes(self) -> Mapping[str, str]: ...

    @property
    def sentences(self) -> SentenceReader: ...

    @property
    def vocabulary(self) -> Container[str]: ...  # the terms some live passage holds

    def __len__(self) -> int: ...

    def article(self, doc_id: str) -> Article: ...

    def article_rows(self, doc_id: str) -> list[int]: ...

    def chunk(self, chunk_id: str) -> Chunk: ...

    def chunk_at(self, row: int) -> Chunk: ...

    def row_of(self, chunk_id: str) -> int: ...

    def iter_chunks(self) -> Iterator[Chunk]: ...

    def vectors(self, rows: Sequence[int]) -> np.ndarray: ...

    def outlets_and_dates(self) -> Iterator[Any]: ...

    # filters: the rag.retrieval.Filters that `pred` is the test of, for a backend that filters by expression
    def allowed(self, pred: Pred, filters: Any = None) -> Any: ...

    def dense(self, qv: np.ndarray, k: int, allowed: Any = None) -> list[tuple[int, float]]: ...

    def keyword_search(self, tokens: Sequence[str], k: int, allowed: Any = None) -> list[tuple[int, float]]: ...

    def idf(self, tokens: Sequence[str]) -> dict[str, float]: ...

    def knows(self, term: str) -> bool: ...

    def coverage(self, rows: Sequence[int], weights: Mapping[str, float]) -> list[float]: ...


class Backend(Protocol):
    """Open, write and merge one index."""

    def load(self, embedder_name: str, dim: int, strict: bool = True) -> IndexView: ...

    def write(self, embedder: Embedder, *, upsert: Sequence[Article] = (), delete: Sequence[str] = (),
              replace: Sequence[Article] | None = None, base: IndexView | None = None, reuse: IndexView | None = None,
              progress: bool = False, on_progress: Callable[[int, int], None] | None = None
              ) -> tuple[IndexView, BuildReport]: ...

    def merge_due(self) -> tuple[int, int] | None: ...

    def merge(self, run: tuple[int, int] | None, base: IndexView | None) -> IndexView | None: ...

    def refresh(self, merged: IndexView, current: IndexView | None) -> IndexView: ...


class SegmentBackend:
    """The embedded store: FAISS and numpy segments under `settings.index_dir` (rag.store)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.index_dir: Path = settings.index_dir

    def load(self, embedder_name: str, dim: int, strict: bool = True) -> Snapshot:
        from rag.store import load

        return load(self.index_dir, self.settings, embedder_name, dim, strict)

    def write(self, embedder: Embedder, **change: Any) -> tuple[Snapshot, BuildReport]:
        from rag.store.writer import write

        return write(self.index_dir, self.settings, embedder, **change)

    def merge_due(self) -> tuple[int, int] | None:
        from rag.errors import IndexError_
        from rag.store.merge import plan

        try:
            return plan(mf.read(self.index_dir).segments)
        except IndexError_:
            return None

    def merge(self, run: tuple[int, int] | None, base: Any) -> Snapshot | None:
        from rag.store.merge import merge

        return merge(self.index_dir, self.settings, run, base)

    def refresh(self, merged: Any, current: Any) -> Snapshot:
        """The merged snapshot, or (if a write landed after the merge) the live one, sharing open segments."""
        mine = {s.name: s for s in (current.segments if current is not None else [])}
        mine.update((s.name, s) for s in merged.segments)
        live = mf.read(self.index_dir)
        return merged if live.name == merged.generation else Snapshot.open(self.index_dir, live, mine)


def backend(settings: Settings) -> Backend:
    """The storage backend the settings ask for: Milvus when `RAG_STORE_URI` is set (rag.store.milvus)."""
    if settings.store_uri:
        from rag.store.milvus import MilvusBackend

        return MilvusBackend(settings)
    return SegmentBackend(settings)  # type: ignore[return-value]
