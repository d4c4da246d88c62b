"""Passage ids: `<article id>#<ordinal>`, resolved through a view's `article_rows` and `chunk_at`, the same way
for every backend."""

from __future__ import annotations

from rag.errors import NotFound
from rag.types import Chunk


class PassageIds:
    """`row_of` and `chunk` for a view that has `article_rows(doc_id)` and `chunk_at(row)`."""

    def article_rows(self, doc_id: str) -> list[int]:
        raise NotImplementedError

    def chunk_at(self, row: int) -> Chunk:
        raise NotImplementedError

    def row_of(self, chunk_id: str) -> int:
        doc_id, _, ordinal = chunk_id.rpartition("#")
        rows = self.article_rows(doc_id)
        if not ordinal.isdigit() or int(ordinal) >= len(rows):
            raise NotFound(f"no passage with id {chunk_id!r}; ids look like '<article id>#<n>'")
        return rows[int(ordinal)]

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunk_at(self.row_of(chunk_id))
