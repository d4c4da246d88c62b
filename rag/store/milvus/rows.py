"""How articles, passages and sentence units become Milvus rows, and rows become articles and passages again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields
from typing import Any

import numpy as np

from rag.keywords import normalize
from rag.store.milvus.db import key_of
from rag.store.milvus.schema import DUMMY, MAX_TERM_BYTES, MAX_TERMS, TEXT_PART
from rag.store.segment import SegmentData
from rag.types import Article, Chunk

COLUMNS = ("id", "title", "text", "url", "source", "published", "author")  # other Article fields go in `extra`
CHUNK_FIELDS = ("doc_id", "ordinal", "start", "end", "body")
HEAD_FIELDS = ("doc_id", "hash", "parts", "text", "title", "url", "source", "published", "author", "extra")


def part_key(doc_id: str, h: str, part: int) -> int:
    return key_of(doc_id if part == 0 else f"{doc_id}|{h}|{part}")


def passage_key(doc_id: str, h: str, ordinal: int) -> int:
    """The primary key of passage `ordinal` of an article version: an article's passages are read by key
    (Db.numbered), since Milvus Lite answers a filter on doc_id by scanning the collection."""
    return key_of(f"{doc_id}|{h}|p{ordinal}")


def sentence_key(doc_id: str, h: str, i: int) -> int:
    """The primary key of the i-th sentence unit of an article version (as passage_key)."""
    return key_of(f"{doc_id}|{h}|s{i}")


def article_rows(a: Article, h: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the head row: id, metadata and the first text slice; the rows of the further slices)."""
    slices = [a.text[i:i + TEXT_PART] for i in range(0, len(a.text), TEXT_PART)] or [""]
    extra = {k: v for k, v in asdict(a).items() if k not in COLUMNS and v is not None}
    empty = dict.fromkeys(("url", "source", "published", "author", "extra"))
    rows = [dict(empty, key=part_key(a.id, h, i), doc_id=a.id, hash=h, part=i, parts=len(slices), text=t, title="",
                 vector=DUMMY) for i, t in enumerate(slices)]
    rows[0].update(title=a.title, url=a.url, source=a.source, published=a.published, author=a.author,
                   extra=extra or None)
    return rows[0], rows[1:]


def article_of(head: dict[str, Any], rest: Sequence[dict[str, Any]] = ()) -> Article:
    """The article of a head row and its further slices (those of the head's version)."""
    known = {f.name for f in fields(Article)}
    extra = {k: v for k, v in (head.get("extra") or {}).items() if k in known and k not in COLUMNS}
    tail = sorted((r for r in rest if r["hash"] == head["hash"] and r["part"] > 0), key=lambda r: r["part"])
    if len(tail) != int(head["parts"]) - 1:
        raise KeyError(f"article {head['doc_id']!r} is missing text slices")
    return Article(id=head["doc_id"], title=head["title"], text=head["text"] + "".join(r["text"] for r in tail),
                   url=head.get("url"), source=head.get("source"), published=head.get("published"),
                   author=head.get("author"), **extra)


def chunk_of(row: dict[str, Any]) -> Chunk:
    return Chunk(id=f"{row['doc_id']}#{row['ordinal']}", doc_id=row["doc_id"], ordinal=int(row["ordinal"]),
                 start=int(row["start"]), end=int(row["end"]), text=row["body"])


def row_terms(data: SegmentData, r: int) -> list[str]:
    """The distinct rag.keywords terms of passage `r` of a prepared segment, as stored and counted."""
    ids, _ = data.terms.row(r)
    terms = [data.vocab[t] for t in np.asarray(ids).tolist()]
    return [t for t in terms if len(t.encode()) <= MAX_TERM_BYTES][:MAX_TERMS]


def passage_rows(data: SegmentData) -> Iterator[dict[str, Any]]:
    """The passage rows of a prepared segment, article by article."""
    r = 0
    for a, h, chunks in zip(data.articles, data.hashes, data.chunks):
        source, day = (a.source or "").lower(), (a.published or "")[:10]
        for c in chunks:
            yield {"id": passage_key(a.id, h, c.ordinal), "doc_id": a.id, "hash": h, "ordinal": c.ordinal, "start": c.start, "end": c.end, "body": c.text,
                   "text": normalize(f"{a.title}\n{c.text}"), "terms": row_terms(data, r), "source": source,
                   "day": day, "vector": data.vectors[r].tolist()}
            r += 1


def sentence_rows(data: SegmentData) -> Iterator[dict[str, Any]]:
    for a, h, s in zip(data.articles, data.hashes, data.sentences):
        for i, (start, end, vec) in enumerate(zip(s.starts.tolist(), s.ends.tolist(), s.vectors)):
            yield {"id": sentence_key(a.id, h, i), "doc_id": a.id, "hash": h, "start": start, "end": end,
                   "vector": vec.tolist()}
