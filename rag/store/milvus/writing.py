"""Writing to Milvus: the added or changed articles' rows, then a switch of their head rows, then the old
versions' rows deleted and the term frequencies moved by the difference.

Milvus has no transaction across collections, so a write first records its intent (which articles it puts,
at which content hash, and which it drops) in `meta`, and clears it last. A write that died half-way is
finished on the next open or write (`recover`): an article whose head row was switched keeps its new
version, any other keeps the old one, rows of the other version are deleted, and df is recounted. This
assumes one writing process per index at a time (Milvus Lite allows only one process per .db anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from typing import Any, cast

from rag.embedding import Embedder
from rag.errors import NotFound
from rag.settings import Settings
from rag.store.building import BuildReport, article_hash, index_config, prepare
from rag.store.milvus import terms
from rag.store.milvus.db import Db, key_of, lit
from rag.store.milvus.rows import article_rows, passage_rows, row_terms, sentence_rows
from rag.store.milvus.schema import ARTICLES, PASSAGES, SENTENCES
from rag.store.milvus.view import MilvusView
from rag.store.segment import SegmentData
from rag.store.snapshot import Snapshot
from rag.types import Article

FORMAT = "milvus/2"  # 2: passages and sentence units keyed by article version and number (rows.passage_key)
DOCS_PER_EXPR = 100  # articles named in one filter expression
log = logging.getLogger(__name__)


def expected_config(settings: Settings, embedder_name: str, dim: int) -> dict[str, Any]:
    """What must match between the stored index and the running service (the segment store's, but its format)."""
    return dict(index_config(settings, embedder_name, dim), format=FORMAT)


def write(db: Db, settings: Settings, embedder: Embedder, *, upsert: Sequence[Article] = (),
          delete: Sequence[str] = (), replace: Sequence[Article] | None = None, reuse: Any = None,
          progress: bool = False, on_progress: Callable[[int, int], None] | None = None,
          report: BuildReport) -> dict[str, Any]:
    """Add or replace `upsert`, delete `delete` (NotFound when absent), or make the index hold exactly
    `replace`. A first build, or one with another model, chunking or tokenizer, rebuilds every collection.
    Returns the index config."""
    config = expected_config(settings, embedder.name, embedder.dim)
    stored = db.meta("config") if db.exists() else None
    if stored is not None:
        recover(db)
    live = MilvusView(db, stored, None) if stored is not None else None
    if replace is None:
        known = live.hashes.many(list(delete)) if live is not None else {}
        missing = [d for d in delete if d not in known]
        if missing:
            raise NotFound(f"no article with id {missing[0]!r}")
    # stored vectors serve when the model and chunking are the same (the live index's, else `reuse`'s)
    src = next((v for v in (live, reuse) if v is not None and all(
        v.config.get(k) == x for k, x in config.items() if k not in ("tokenizer", "format"))), None)
    if stored != config:  # everything, into new collections
        if replace is None:
            gone = set(delete) | {a.id for a in upsert}
            replace = [a for a in (live.articles.values() if live is not None else []) if a.id not in gone] + list(upsert)
        old = dict(_all_hashes(db)) if live is not None else {}
        _tally(report, replace, old, sorted(set(old) - {a.id for a in replace}))
        data = prepare(replace, embedder, settings, cast(Snapshot | None, src), False, progress, on_progress, report)
        db.create(embedder.dim)
        _commit(db, data, [], present=())  # new collections: nothing stale to find, no df to take back
        db.set_meta("config", config)
    else:
        assert live is not None
        if replace is not None:
            old = dict(_all_hashes(db))
            keep = {a.id for a in replace}
            delete, upsert = [d for d in old if d not in keep], replace
        else:
            old = live.hashes.many([a.id for a in upsert])
        todo = _tally(report, upsert, old, sorted(set(delete)))
        src = reuse if src is reuse else None  # the live index holds no version of what changed
        data = prepare(todo, embedder, settings, cast(Snapshot | None, src), False, progress, on_progress, report)
        _commit(db, data, report.removed, present=old)
    db.flush()
    return config


def _tally(report: BuildReport, upsert: Sequence[Article], old: Mapping[str, str], removed: list[str]) -> list[Article]:
    """Count added, updated, unchanged and removed articles; the ones to embed."""
    todo = [a for a in upsert if old.get(a.id) != article_hash(a)]
    report.unchanged = len(upsert) - len(todo)
    for a in todo:
        (report.updated if a.id in old else report.added).append(a.id)
    report.removed = removed
    return todo


def _all_hashes(db: Db) -> Iterator[tuple[str, str]]:
    for r in db.scan(ARTICLES, "part == 0", ("doc_id", "hash")):
        yield r["doc_id"], r["hash"]


def _commit(db: Db, data: SegmentData, gone: Sequence[str], present: Container[str]) -> None:
    """Put the prepared articles, drop `gone`: intent, new rows, head switch, old rows out, df, done.

    `present`: the articles the index holds now. Only their rows can be stale (a write that died has been
    finished by `recover` before this one), so a new article costs no search for old rows: each is a scan of
    the collection in Milvus Lite (0.2-0.5 s at 100k passages), and a first build would pay them per 100
    articles."""
    changed = dict(zip((a.id for a in data.articles), data.hashes))
    gone = [d for d in gone if d not in changed]
    if not changed and not gone:
        return
    db.set_meta("pending", {"put": changed, "drop": gone})
    replaced = {d: h for d, h in changed.items() if d in present}
    old_terms = [r["terms"] for r in _rows_of(db, PASSAGES, [*replaced, *gone], ("terms",))]
    db.insert(PASSAGES, list(passage_rows(data)))
    db.insert(SENTENCES, list(sentence_rows(data)))
    heads, slices = [], []
    for a, h in zip(data.articles, data.hashes):
        head, more = article_rows(a, h)
        heads.append(head)
        slices.extend(more)
    db.upsert(ARTICLES, slices)  # their keys carry the new hash: no live row is overwritten
    db.upsert(ARTICLES, heads)  # the switch: from here on these articles read as their new versions
    db.delete(ARTICLES, ids=[key_of(d) for d in gone])
    _drop_stale(db, replaced, gone)
    terms.apply(db, terms.delta((row_terms(data, r) for r in range(data.rows)), old_terms))
    _done(db)


def _done(db: Db) -> None:
    db.set_meta("generation", int(db.meta("generation") or 0) + 1)
    db.set_meta("pending", None)


def _rows_of(db: Db, kind: str, doc_ids: Sequence[str], fields: Sequence[str]) -> Iterator[dict[str, Any]]:
    for i in range(0, len(doc_ids), DOCS_PER_EXPR):
        yield from db.scan(kind, f"doc_id in [{','.join(lit(d) for d in doc_ids[i:i + DOCS_PER_EXPR])}]", fields)


def _drop_stale(db: Db, keep: Mapping[str, str], gone: Sequence[str]) -> None:
    """Delete the rows of `keep`'s articles of any version but the one given, and every row of `gone`'s."""
    exprs = [f"doc_id in [{','.join(lit(d) for d in gone[i:i + DOCS_PER_EXPR])}]"
             for i in range(0, len(gone), DOCS_PER_EXPR)]
    items = list(keep.items())
    exprs += [" or ".join(f"(doc_id == {lit(d)} and hash != {lit(h)})" for d, h in items[i:i + DOCS_PER_EXPR])
              for i in range(0, len(items), DOCS_PER_EXPR)]
    for expr in exprs:
        for kind in (PASSAGES, SENTENCES, ARTICLES):
            db.delete(kind, expr)


def recover(db: Db) -> None:
    """Finish a write that died half-way (see the module's docstring); nothing to do after a clean one."""
    pending = db.meta("pending")
    if pending is None:
        return
    put, gone = pending["put"], list(pending["drop"])
    live = {r["doc_id"]: r["hash"] for r in db.get(ARTICLES, [key_of(d) for d in put], ("doc_id", "hash"))
            if r["doc_id"] in put}
    log.warning("finishing an interrupted write to the Milvus store", extra={"articles": len(put) + len(gone)})
    db.delete(ARTICLES, ids=[key_of(d) for d in gone])
    _drop_stale(db, {d: live[d] for d in put if d in live}, gone + [d for d in put if d not in live])
    terms.recount(db)
    _done(db)
    db.flush()
