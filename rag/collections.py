"""Collections: separate knowledge bases, each its own index (its own segments, corpus statistics and
refusals), sharing one model.

Layout: the `default` collection is the index directory itself (so an index from before collections is
the default collection); collection NAME lives in `<index_dir>/collections/NAME/`, or with RAG_STORE_URI in
Milvus collections of its own. Deleting a collection
renames its directory out of the way (atomic) before removing it, so a crash mid-delete never leaves a
half-deleted collection that still answers.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from rag import store
from rag.embedding import Embedder
from rag.engine import Engine
from rag.errors import Conflict, InputError, NotFound
from rag.settings import Settings

log = logging.getLogger(__name__)
DEFAULT = "default"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SUBDIR = "collections"


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise InputError(f"collection name {name!r} is not allowed: use 1-64 lowercase letters, digits, '-' or '_', "
                         "starting with a letter or digit")
    return name


class Library:
    """The collections of one index directory, each served by its own Engine (opened on first use)."""

    def __init__(self, settings: Settings, embedder: Embedder, default: Engine | None = None):
        self.settings = settings
        self.embedder = embedder
        self._engines: dict[str, Engine] = {}
        if default is not None:
            self._engines[DEFAULT] = default
        self._lock = threading.Lock()
        self._sweep()

    def path(self, name: str) -> Path:
        return self.settings.index_dir if name == DEFAULT else self.settings.index_dir / SUBDIR / check_name(name)

    def _milvus(self, name: str = DEFAULT) -> Any:
        """With RAG_STORE_URI: the Milvus backend of collection `name`, whose index lives in Milvus collections of
        its own (rag.store.milvus.db.prefix_for), not under index/."""
        return store.backend(self.settings.replace(index_dir=self.path(name)))

    def names(self) -> list[str]:
        if self.settings.store_uri:
            return [DEFAULT, *self._milvus().children()]
        root = self.settings.index_dir / SUBDIR
        others = sorted(p.name for p in root.iterdir() if NAME.match(p.name) and (p / "CURRENT").is_file()) \
            if root.is_dir() else []
        return [DEFAULT, *others]

    def exists(self, name: str) -> bool:
        if name == DEFAULT:
            return True
        if self.settings.store_uri:
            return bool(self._milvus(name).exists())
        return (self.path(name) / "CURRENT").is_file()

    def get(self, name: str | None) -> Engine:
        """The engine of collection `name` (the default one when None); NotFound when there is none."""
        name = name or DEFAULT
        with self._lock:
            eng = self._engines.get(name)
            if eng is not None and (name == DEFAULT or self.exists(name)):
                return eng
            if not self.exists(name):
                self._engines.pop(name, None)
                raise NotFound(f"no collection {name!r}; GET /api/collections lists them")
            eng = self._engines[name] = self._open(name)
            return eng

    def _open(self, name: str) -> Engine:
        s = self.settings.replace(index_dir=self.path(name))
        default = self._engines.get(DEFAULT)
        eng = Engine(s, self.embedder, store.backend(s).load(self.embedder.name, self.embedder.dim))
        if default is not None:
            eng.answerer = default.answerer  # an LLM answerer, when one is attached, serves every collection
        return eng

    def create(self, name: str) -> Engine:
        """A new, empty collection; Conflict when it exists."""
        check_name(name)
        with self._lock:
            if self.exists(name):
                raise Conflict(f"collection {name!r} exists already")
            path = self.path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            s = self.settings.replace(index_dir=path)
            eng = Engine(s, self.embedder)
            eng._apply(replace=[])  # an empty index: a manifest with no segments
            self._engines[name] = eng
            log.info("collection created", extra={"collection": name})
            return eng

    def delete(self, name: str) -> None:
        """Delete a collection and its articles; the default collection cannot be deleted."""
        if name == DEFAULT:
            raise InputError("the default collection cannot be deleted; delete its articles instead")
        with self._lock:
            if not self.exists(name):
                raise NotFound(f"no collection {name!r}; GET /api/collections lists them")
            if self.settings.store_uri:  # its Milvus collections go (through its engine's store: after its write)
                eng = self._engines.pop(name, None)
                backend: Any = eng.store if eng is not None else self._milvus(name)
                backend.drop()
                log.info("collection deleted", extra={"collection": name})
                return
            path = self.path(name)
            with store.write_lock(path):  # no write is half-way through it
                gone = path.parent / f".deleting-{name}-{time.time_ns()}"
                os.rename(path, gone)  # the commit point: from here on the collection does not exist
            self._engines.pop(name, None)
        shutil.rmtree(gone, ignore_errors=True)
        log.info("collection deleted", extra={"collection": name})

    def _sweep(self) -> None:
        """Finish deletions that a crash interrupted."""
        root = self.settings.index_dir / SUBDIR
        if root.is_dir():
            for p in root.iterdir():
                if p.name.startswith(".deleting-"):
                    shutil.rmtree(p, ignore_errors=True)
