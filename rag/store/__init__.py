"""The index on disk: immutable segments named by an atomically swapped manifest.

Verbs: `write` (add, replace, delete: one new segment plus tombstones), `merge` / `compact`, `load` (a
`Snapshot` that retrieval searches through `dense`, `keyword_search`, `allowed`, and reads through
`articles`, `chunk`, `vectors`, `sentences`). Modules, in the order data flows: postings, vectors,
metadata (one segment's parts) -> segment -> manifest -> snapshot, views (the read side) -> building
(articles into segment data) -> writer, merge.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rag.errors import IndexError_, IndexMismatch, IndexNotFound
from rag.settings import Settings
from rag.store.backend import Backend, IndexView, backend
from rag.store.building import BuildReport, article_hash, config_diffs, index_config, prepare
from rag.store.manifest import current_generation, write_lock
from rag.store.manifest import read as read_manifest
from rag.store.merge import merge, plan
from rag.store.snapshot import Snapshot
from rag.store.writer import write

__all__ = ["Backend", "BuildReport", "IndexView", "backend", "IndexNotFound", "Snapshot", "article_hash", "compact", "current_generation",
           "index_config", "load", "merge", "plan", "prepare", "read_manifest", "try_load", "write", "write_lock"]
log = logging.getLogger(__name__)


def load(index_dir: Path, settings: Settings, embedder_name: str, dim: int, strict: bool = True) -> Snapshot:
    """Open the live index, checking that it was built the way the service is configured.

    With strict=False a differently built index still opens (with its own config), so that a rebuild can
    reuse whatever is still valid, e.g. the vectors after a tokenizer change."""
    manifest = read_manifest(index_dir)
    diffs = config_diffs(manifest.config, index_config(settings, embedder_name, dim))
    if diffs and strict:
        raise IndexMismatch(f"the index in {index_dir}/ was built differently ({diffs}). Rebuild it with "
                            f"`rag build seeds/ --index {index_dir}` (only changed parts are re-embedded "
                            f"when the model is unchanged), or restore the settings it was built with.")
    try:
        return Snapshot.open(index_dir, manifest)
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise IndexError_(f"the index in {index_dir}/ is damaged ({exc.__class__.__name__}: {exc}); "
                          f"rebuild with `rag build seeds/ --index {index_dir}`") from exc


def try_load(index_dir: Path, settings: Settings, embedder_name: str, dim: int) -> Snapshot | None:
    """The stored snapshot if it exists and can be read; None when there is none or it must be rebuilt."""
    try:
        return load(index_dir, settings, embedder_name, dim, strict=False)
    except IndexNotFound:
        return None
    except (IndexError_, TypeError, ValueError) as exc:
        log.warning("not reusing the stored index: %s", exc)
        return None


def compact(index_dir: Path, settings: Settings, base: Snapshot | None = None) -> Snapshot | None:
    """Merge every segment into one and drop deleted rows (`rag compact`)."""
    return merge(index_dir, settings, None, base)
