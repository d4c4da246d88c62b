"""Corpus statistics for the scorer: the document frequency of each rag.keywords term over the live passages.

Milvus's BM25 keeps its statistics to itself, and the scorer's features (idf of the question's terms, which
of them a passage covers) are over our tokens, not Milvus's. So the `terms` collection holds df per term,
changed by the difference every write makes (the terms of the passages it adds minus those it removes),
and recounted from the passages' `terms` arrays after a write that did not finish. N is the passage count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rag.store.milvus.db import Db, key_of
from rag.store.milvus.schema import DUMMY, PASSAGES, TERMS


def frequencies(db: Db, terms: Sequence[str]) -> dict[str, int]:
    """df of each term that some live passage holds (absent: none does)."""
    wanted = set(terms)
    return {r["term"]: int(r["df"]) for r in db.get(TERMS, [key_of(t) for t in wanted], ["term", "df"])
            if r["term"] in wanted}


def delta(added: Iterable[Sequence[str]], removed: Iterable[Sequence[str]]) -> Counter[str]:
    """The change of df when passages with these distinct terms are added and removed."""
    out: Counter[str] = Counter()
    for terms in added:
        out.update(terms)
    for terms in removed:
        out.subtract(terms)
    return out


def apply(db: Db, change: Counter[str]) -> None:
    terms = [t for t, d in change.items() if d]
    current = frequencies(db, terms)
    put, drop = [], []
    for t in terms:
        n = current.get(t, 0) + change[t]
        if n > 0:
            put.append({"id": key_of(t), "term": t, "df": n, "vector": DUMMY})
        elif t in current:
            drop.append(t)
    db.upsert(TERMS, put)
    db.delete(TERMS, ids=[key_of(t) for t in drop])


def recount(db: Db) -> None:
    """df from scratch, from every live passage's terms."""
    counts: Counter[str] = Counter()
    for row in db.scan(PASSAGES, "", ["terms"]):
        counts.update(row["terms"])
    stale = [r["id"] for r in db.scan(TERMS, "", ["id", "term"]) if r["term"] not in counts]
    db.delete(TERMS, ids=stale)
    db.upsert(TERMS, [{"id": key_of(t), "term": t, "df": n, "vector": DUMMY} for t, n in counts.items()])
