"""The Milvus store backend (issue 15): `RAG_STORE_URI` = a path ending in .db (Milvus Lite, in this
process) or http://host:19530 (a Milvus server), passed to pymilvus's MilvusClient(uri=...) as is.

Behind the same verbs as the embedded segment store (rag.store.backend): `load` gives a `MilvusView`
(rag.store.IndexView), `write` adds, replaces and deletes articles. Dense search is Milvus's HNSW over the
passage vectors; keyword search is Milvus's own BM25 full-text search (a BM25 function over the
script-normalised passage text, `jieba` analyzer); outlet and date filters are Milvus scalar filters. The
scorer's term statistics live in a `terms` collection (rag.store.milvus.terms). Each rag collection
(rag.collections) is an index of its own, with its own Milvus collections. Modules: db (collections, connection,
names), rows (articles and passages as rows), terms, mappings and view (the read side), writing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from rag.embedding import Embedder
from rag.errors import IndexMismatch, IndexNotFound
from rag.settings import Settings
from rag.store.building import BuildReport, config_diffs
from rag.store.milvus.db import Db, children
from rag.store.milvus.schema import META
from rag.store.milvus.view import MilvusView
from rag.store.milvus.writing import expected_config, recover
from rag.store.milvus.writing import write as _write
from rag.types import Article

__all__ = ["MilvusBackend", "MilvusView"]
log = logging.getLogger(__name__)


class MilvusBackend:
    """One index (the collections `rag_<index dir name>_*`) in the Milvus that `settings.store_uri` names."""

    def __init__(self, settings: Settings):
        assert settings.store_uri, "MilvusBackend needs RAG_STORE_URI"
        self.settings, self.uri = settings, settings.store_uri
        self._db: Db | None = None
        self._lock = threading.Lock()  # one write at a time in this process

    @property
    def db(self) -> Db:
        if self._db is None:
            self._db = Db(self.uri, self.settings.index_dir)
        return self._db

    def _view(self, config: dict[str, Any]) -> MilvusView:
        return MilvusView(self.db, config, str(self.db.meta("generation") or 0))

    def load(self, embedder_name: str, dim: int, strict: bool = True) -> MilvusView:
        db = self.db
        config = db.meta("config") if db.exists() else None
        if config is None:
            raise IndexNotFound(f"no index in the Milvus store {self.uri} (collections {db.prefix}_*): "
                                f"run `rag build seeds/` with RAG_STORE_URI={self.uri}")
        recover(db)
        diffs = config_diffs(config, expected_config(self.settings, embedder_name, dim))
        if diffs and strict:
            raise IndexMismatch(f"the index in the Milvus store {self.uri} (collections {db.prefix}_*) was built "
                                f"differently ({diffs}). Rebuild it with `rag build seeds/`, or restore the "
                                f"settings it was built with.")
        return self._view(config)

    def write(self, embedder: Embedder, *, upsert: Sequence[Article] = (), delete: Sequence[str] = (),
              replace: Sequence[Article] | None = None, base: Any = None, reuse: Any = None,
              progress: bool = False, on_progress: Callable[[int, int], None] | None = None
              ) -> tuple[MilvusView, BuildReport]:
        """Add or replace `upsert`, delete `delete`, or make the index hold exactly `replace`; `reuse` is an
        index (either backend's) whose unchanged articles need not be embedded again."""
        import time

        t0 = time.perf_counter()
        report = BuildReport()
        with self._lock:
            config = _write(self.db, self.settings, embedder, upsert=upsert, delete=delete, replace=replace,
                            reuse=reuse, progress=progress, on_progress=on_progress, report=report)
        view = self._view(config)
        report.chunks = len(view)
        report.seconds = round(time.perf_counter() - t0, 3)
        return view, report

    def exists(self) -> bool:
        """Whether the index exists (one cheap call: rag.collections asks on every request)."""
        return bool(self.db.client.has_collection(self.db.names[META]))

    def drop(self) -> None:
        """Delete the index: drop its Milvus collections (a deleted rag collection)."""
        with self._lock:
            self.db.drop()

    def children(self) -> list[str]:
        """The rag collections (rag.collections) of this index that the Milvus holds."""
        return children(self.db.client, self.settings.index_dir)

    def merge_due(self) -> tuple[int, int] | None:
        return None  # Milvus merges its own segments

    def compact(self) -> dict[str, int]:
        """`rag compact`: ask Milvus to compact the index's collections now (small segments merged, deleted rows
        dropped); the job id of each collection that took the request. There is nothing of ours to merge:
        a Milvus server also compacts by itself, and Milvus Lite compacts after each flush and only
        acknowledges the request (job 0)."""
        if not self.db.exists():
            raise IndexNotFound(f"no index in the Milvus store {self.uri} (collections {self.db.prefix}_*)")
        jobs = {}
        for name in self.db.names.values():
            try:
                jobs[name] = int(self.db.client.compact(name))
            except Exception as exc:  # a server may refuse, e.g. while it compacts already
                log.warning("Milvus compaction not started", extra={"collection": name, "error": str(exc)})
        return jobs

    def merge(self, run: tuple[int, int] | None, base: Any) -> MilvusView | None:
        if run is not None or base is None:
            return None
        self.compact()
        return self._view(base.config)

    def refresh(self, merged: Any, current: Any) -> MilvusView:
        return merged  # type: ignore[no-any-return]
