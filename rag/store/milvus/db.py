"""One index's five Milvus collections, how they are made, and the few calls the backend makes on them.

Collections (prefix `rag_<index dir name>_`): `passages` (the searched rows: dense vector, BM25 over the
script-normalised text with Milvus's `jieba` analyzer, outlet and day for filters, the passage's distinct
rag.keywords terms), `articles` (one row per article plus one per further 16,000-character slice of a long
text), `sentences` (sentence units and their vectors), `terms` (document frequency per rag.keywords term)
and `meta` (the index config, the generation, and the intent of a write under way).
Their schemas are in rag.store.milvus.schema.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from rag.errors import ConfigError, IndexError_
from rag.store.milvus.schema import ARTICLES, DUMMY, KINDS, META, TEXT_PART, collection_schema

EF = 128  # HNSW efSearch floor, as the segment store's HNSW (rag.store.vectors)
BATCH = 256  # rows per insert call
LIMIT = 16_384  # Milvus's largest query result
KEYS = 64  # primary keys per lookup of numbered rows
INSTALL = "pip install 'pymilvus>=3.0' 'milvus-lite>=3.2.2'  (or: pip install -e '.[milvus]')"

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()
# Milvus Lite keeps no MVCC timestamps: pymilvus says so at every query iterator, harmlessly
logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(lambda r: "mvccTs" not in r.getMessage())


def pymilvus() -> ModuleType:
    """The pymilvus module, or a ConfigError that says how to install it."""
    try:
        import pymilvus as mod
    except ImportError as exc:
        raise ConfigError(f"RAG_STORE_URI is set, so the Milvus backend needs pymilvus (and milvus-lite for a "
                          f".db path), which is not installed: {INSTALL}") from exc
    return mod


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def lit(value: str) -> str:
    """A string literal for a Milvus filter expression (other characters go in as they are: Milvus Lite
    knows no \\u escapes)."""
    return '"' + re.sub(r'[\\"\n\r\t]', lambda m: _ESCAPES[m.group()], value) + '"'


def like_literal(value: str) -> str:
    """A `like` pattern matching `value` anywhere (its own % and _ taken literally)."""
    return lit("%" + re.sub(r"([\\%_])", r"\\\1", value) + "%")


def key_of(text: str) -> int:
    """A stable int64 primary key for a string id. String keys would do, but pymilvus pages through them
    (query iterators) with unescaped literals, which breaks on an id holding a quote."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


COLLECTIONS = "collections"  # rag.collections.SUBDIR: collection NAME's index is <index_dir>/collections/NAME
MARK = "__c_"  # between the default index's prefix and a collection's name


def prefix_for(index_dir: Path) -> str:
    """Collection-name prefix of an index directory: `rag_<name>` (a hash added when the name had to change),
    or for collection NAME of index `index` (index/collections/NAME) `rag_index__c_<NAME, '-' as 'H'>`: its own
    Milvus collections, which the default index's can never be (a collection named like the index directory
    would otherwise share them), and from which `children` reads NAME back."""
    if index_dir.parent.name == COLLECTIONS and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", index_dir.name):
        return prefix_for(index_dir.parent.parent) + MARK + index_dir.name.replace("-", "H")
    name = index_dir.name or "index"
    safe = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if safe != name:
        safe += "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"rag_{safe}"


def children(client: Any, index_dir: Path) -> list[str]:
    """The names of the collections (rag.collections) of the index in `index_dir` that this Milvus holds."""
    head = prefix_for(index_dir) + MARK
    tail = f"_{META}"
    return sorted(n[len(head):-len(tail)].replace("H", "-") for n in client.list_collections()
                  if n.startswith(head) and n.endswith(tail))


def connect(uri: str) -> Any:
    """One MilvusClient per URI and process (a .db path starts Milvus Lite inside this process)."""
    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            mod = pymilvus()
            if uri.endswith(".db"):  # Milvus Lite: its folder goes where the path says, as an index directory would
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = mod.MilvusClient(uri=uri)
            except Exception as exc:
                raise IndexError_(f"cannot open the Milvus store {uri!r} (RAG_STORE_URI): {exc}. Milvus Lite serves "
                                  f"one process per .db path; for several processes run a Milvus server (or "
                                  f"`milvus-lite server`) and point RAG_STORE_URI at it") from exc
            _clients[uri] = client
        return client


def release(uri: str) -> None:
    """Close this process's client of `uri` and, for Milvus Lite, stop its engine (it reopens from disk)."""
    with _clients_lock:
        client = _clients.pop(uri, None)
    if client is not None:
        client.close()
    if uri.endswith(".db"):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


class Db:
    """The collections of one index on one Milvus."""

    def __init__(self, uri: str, index_dir: Path):
        self.uri = uri
        self.client = connect(uri)
        self.prefix = prefix_for(index_dir)
        self.names = {k: f"{self.prefix}_{k}" for k in KINDS}

    def exists(self) -> bool:
        """Whether the index's collections exist; they are loaded (ready to read) when they do."""
        if not self.client.has_collection(self.names[META]):
            return False
        self.open()
        return True

    def create(self, dim: int) -> None:
        """Make the collections (dropping any left over), loaded and ready for writes."""
        self.drop()
        mod = pymilvus()
        for kind in KINDS:
            schema, index = collection_schema(mod, self.client, kind, dim)
            self.client.create_collection(self.names[kind], schema=schema, consistency_level="Strong")
            # sync=False: pymilvus would poll each index of the empty collection for half a second
            self.client.create_index(self.names[kind], index, sync=False)
        self.open()

    def open(self) -> None:
        for name in self.names.values():
            if self.client.has_collection(name):
                self.client.load_collection(name)

    def drop(self) -> None:
        for name in self.names.values():
            if self.client.has_collection(name):
                self.client.drop_collection(name)

    def flush(self) -> None:
        """Seal what was written (Milvus Lite indexes sealed segments only)."""
        for name in self.names.values():
            self.client.flush(name)

    # -- rows -------------------------------------------------------------------------------------

    def query(self, kind: str, expr: str, fields: Sequence[str], limit: int = LIMIT) -> list[dict[str, Any]]:
        return list(self.client.query(self.names[kind], filter=expr, output_fields=list(fields), limit=limit))

    def get(self, kind: str, ids: Sequence[Any], fields: Sequence[str]) -> list[dict[str, Any]]:
        """The rows with these primary keys (in no particular order)."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), 1000):
            part = ids[i:i + 1000]
            out.extend(self.query(kind, _in(kind, part), fields, limit=len(part)))
        return out

    def numbered(self, kind: str, key: Callable[[int], int], fields: Sequence[str]) -> list[dict[str, Any]]:
        """The rows whose primary keys are key(0), key(1), ... (an article version's passages or sentence units),
        looked up KEYS at a time until a lookup comes back short."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            got = self.get(kind, [key(i) for i in range(start, start + KEYS)], fields)
            out.extend(got)
            if len(got) < KEYS:
                return out
            start += KEYS

    def count(self, kind: str, expr: str = "") -> int:
        rows = self.client.query(self.names[kind], filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def scan(self, kind: str, expr: str, fields: Sequence[str], batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every row matching `expr`, in primary-key order within each batch."""
        it = self.client.query_iterator(self.names[kind], batch_size=batch, filter=expr, output_fields=list(fields))
        try:
            while rows := it.next():
                yield from rows
        finally:
            it.close()

    def insert(self, kind: str, rows: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(rows), BATCH):
            self.client.insert(self.names[kind], list(rows[i:i + BATCH]))

    def upsert(self, kind: str, rows: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(rows), BATCH):
            self.client.upsert(self.names[kind], list(rows[i:i + BATCH]))

    def delete(self, kind: str, expr: str | None = None, ids: Sequence[Any] | None = None) -> None:
        if ids is not None:  # by expression: pymilvus does not escape string keys
            for i in range(0, len(ids), 1000):
                self.client.delete(self.names[kind], filter=_in(kind, ids[i:i + 1000]))
        elif expr:
            self.client.delete(self.names[kind], filter=expr)

    # -- meta ------------------------------------------------------------------------------------

    def meta(self, key: str) -> Any:
        """A JSON value of the meta collection (None when unset); long values span several rows."""
        head = self.get(META, [key], ["value"])
        if not head:
            return None
        n = int(head[0]["value"])
        parts = {r["key"]: r["value"] for r in self.get(META, [f"{key}.{i}" for i in range(n)], ["key", "value"])}
        return json.loads("".join(parts[f"{key}.{i}"] for i in range(n)))

    def set_meta(self, key: str, value: Any) -> None:
        """Set (None: unset) a meta value; its head row is written last and removed first, so that a value
        is either whole or absent after a crash."""
        old = self.get(META, [key], ["value"])
        self.delete(META, ids=[key])
        if old:
            self.delete(META, ids=[f"{key}.{i}" for i in range(int(old[0]["value"]))])
        if value is None:
            return
        blob = json.dumps(value, ensure_ascii=False)
        parts = [blob[i:i + TEXT_PART] for i in range(0, len(blob), TEXT_PART)] or [""]
        self.upsert(META, [{"key": f"{key}.{i}", "value": p, "vector": DUMMY} for i, p in enumerate(parts)])
        self.upsert(META, [{"key": key, "value": str(len(parts)), "vector": DUMMY}])


def _in(kind: str, ids: Sequence[Any]) -> str:
    if kind == META:
        return f"key in [{','.join(lit(str(i)) for i in ids)}]"
    return f"{'key' if kind == ARTICLES else 'id'} in [{','.join(str(int(i)) for i in ids)}]"
