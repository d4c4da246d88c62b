"""Articles of one segment in SQLite, read on demand, and the passages' spans as a memory-mapped array.

Nothing is parsed at start-up but the article ids: a segment of a million passages opens in well under a
second. The ids are kept in memory, since tombstones and lookups by id need them on every write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from rag.store.arrays import load_array
from rag.types import Article, Chunk

_FIELDS = ("id", "title", "text", "url", "source", "published", "author")  # columns; other Article fields go in `extra`
_SCHEMA = """
CREATE TABLE articles (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, text TEXT NOT NULL,
    url TEXT, source TEXT, published TEXT, author TEXT, hash TEXT NOT NULL, row0 INTEGER NOT NULL,
    nrows INTEGER NOT NULL, extra TEXT);
"""
_SELECT = f"SELECT {', '.join(_FIELDS)}, extra FROM articles"


def _extra(a: Article) -> str | None:
    rest = {k: v for k, v in asdict(a).items() if k not in _FIELDS and v is not None}
    return json.dumps(rest, ensure_ascii=False) if rest else None


def _article(row: Sequence[object]) -> Article:
    known = {f.name for f in fields(Article)}
    extra = {k: v for k, v in json.loads(str(row[-1])).items() if k in known} if row[-1] else {}
    return Article(*row[:-1], **extra)  # type: ignore[arg-type]
CACHE = 512  # articles kept parsed per segment: the top passages of a few questions


class Metadata:
    """The articles and passage spans of one stored segment (read-only)."""

    def __init__(self, directory: Path):
        self._db = sqlite3.connect(f"file:{directory / 'meta.sqlite'}?mode=ro&immutable=1", uri=True,
                                   check_same_thread=False)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, Article] = OrderedDict()
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(articles)")}
        self._select = _SELECT if "extra" in columns else _SELECT.replace(", extra FROM", ", NULL FROM")  # format 2
        rows = self._db.execute("SELECT idx, id, hash, row0, nrows FROM articles ORDER BY idx").fetchall()
        self.ids = [r[1] for r in rows]
        self.index = {r[1]: r[0] for r in rows}
        self.hashes = [r[2] for r in rows]
        self.row0 = np.array([r[3] for r in rows], np.int64)
        self.nrows = np.array([r[4] for r in rows], np.int64)
        self.spans = load_array(directory / "spans.npy", mmap=True)  # (rows, 3) int32: article idx, start, end

    @staticmethod
    def write(directory: Path, articles: Sequence[Article], hashes: Sequence[str], chunks: Sequence[Sequence[Chunk]]
              ) -> None:
        db = sqlite3.connect(directory / "meta.sqlite")
        try:
            db.executescript(_SCHEMA)
            row0 = 0
            values = []
            for i, (a, h, cs) in enumerate(zip(articles, hashes, chunks)):
                values.append((i, a.id, a.title, a.text, a.url, a.source, a.published, a.author, h, row0, len(cs),
                               _extra(a)))
                row0 += len(cs)
            db.executemany("INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", values)
            db.commit()
        finally:
            db.close()
        spans = np.array([(i, c.start, c.end) for i, cs in enumerate(chunks) for c in cs], np.int32).reshape(-1, 3)
        np.save(directory / "spans.npy", spans)

    def __len__(self) -> int:
        return len(self.ids)

    def article(self, idx: int) -> Article:
        with self._lock:
            a = self._cache.get(idx)
            if a is not None:
                self._cache.move_to_end(idx)
                return a
            a = _article(self._db.execute(f"{self._select} WHERE idx = ?", (idx,)).fetchone())
            self._cache[idx] = a
            if len(self._cache) > CACHE:
                self._cache.popitem(last=False)
            return a

    def articles(self, idxs: Sequence[int] | None = None) -> Iterator[Article]:
        """Articles in storage order (all of them, or those of `idxs`), streamed from SQLite."""
        if idxs is None:
            with self._lock:
                rows = self._db.execute(f"{self._select} ORDER BY idx").fetchall()
            yield from (_article(r) for r in rows)
            return
        wanted = sorted(idxs)
        for k in range(0, len(wanted), 500):  # SQLite caps the parameters of one statement
            part = wanted[k:k + 500]
            with self._lock:
                rows = self._db.execute(f"{self._select} WHERE idx IN ({','.join('?' * len(part))}) ORDER BY idx",
                                        part).fetchall()
            yield from (_article(r) for r in rows)

    def chunk(self, row: int) -> Chunk:
        idx, start, end = (int(v) for v in self.spans[row])
        a = self.article(idx)
        return Chunk(id=f"{a.id}#{row - int(self.row0[idx])}", doc_id=a.id, ordinal=row - int(self.row0[idx]),
                     start=start, end=end, text=a.text[start:end])

    def meta_rows(self) -> list[tuple[str | None, str | None]]:
        """(source, published) of every article, in storage order: what filters look at."""
        with self._lock:
            return self._db.execute("SELECT source, published FROM articles ORDER BY idx").fetchall()
