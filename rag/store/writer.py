"""Writing: one new segment of the added or changed articles, tombstones for the ones they replace, a commit.

A write costs what its articles cost: the new segment holds only the added or changed articles, and the
articles they replace or delete are tombstoned in the manifest. Only a change of model, chunking or
tokenizer rewrites everything (reusing the stored vectors whenever the model and chunking are unchanged).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.embedding import Embedder
from rag.errors import IndexError_, IndexNotFound, NotFound
from rag.settings import Settings
from rag.store import building, segment
from rag.store import manifest as mf
from rag.store.building import BuildReport, article_hash, index_config, prepare
from rag.store.segment import Segment, SegmentData
from rag.store.snapshot import Snapshot
from rag.types import Article

__all__ = ["BuildReport", "open_live", "write"]
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- committing a write


def open_live(index_dir: Path, base: Snapshot | None = None) -> tuple[mf.Manifest | None, Snapshot | None]:
    """The live manifest and its snapshot (reusing `base`'s open segments); (None, None) without an index.
    An index in the old format or a damaged one reads as none, with a warning: the write replaces it."""
    try:
        manifest = mf.read(index_dir)
    except IndexNotFound:
        return None, None
    except IndexError_ as exc:
        log.warning("not reusing the stored index: %s", exc)
        return None, None
    if base is not None and base.generation == manifest.name:
        return manifest, base
    opened = {s.name: s for s in base.segments} if base is not None else {}
    try:
        return manifest, Snapshot.open(index_dir, manifest, opened)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("not reusing the stored index: %s", exc)
        return None, None


def write(index_dir: Path, settings: Settings, embedder: Embedder, *, upsert: Sequence[Article] = (),
          delete: Sequence[str] = (), replace: Sequence[Article] | None = None, base: Snapshot | None = None,
          reuse: Snapshot | None = None, progress: bool = False,
          on_progress: Callable[[int, int], None] | None = None) -> tuple[Snapshot, BuildReport]:
    """Add or replace `upsert`, delete `delete` (NotFound when absent), or make the index hold exactly
    `replace`; then commit. Always on top of what is on disk, under the writers' lock, so that a write in
    another process is never undone. `base` is this process's current snapshot (its segments are reused);
    `reuse` is another index whose unchanged articles need not be embedded again."""
    t0 = time.perf_counter()
    report = BuildReport()
    config = index_config(settings, embedder.name, embedder.dim)
    with mf.write_lock(index_dir):
        manifest, live = open_live(index_dir, base)
        missing = [d for d in delete if live is None or d not in live.articles]
        if missing:
            raise NotFound(f"no article with id {missing[0]!r}")
        if replace is None:
            gone = set(delete) | {a.id for a in upsert}
            target = None if live is not None and manifest is not None and manifest.config == config else \
                [a for a in (live.articles.values() if live is not None else []) if a.id not in gone] + list(upsert)
        else:
            target = list(replace)
        if target is not None and (manifest is None or live is None or manifest.config != config):
            new, data, opened = _rewrite(target, live, config, embedder, settings, reuse, report, progress, on_progress)
            new.seq = manifest.seq if manifest is not None else 0
        else:
            assert manifest is not None and live is not None
            if target is not None:  # the same config: `replace` as an incremental write
                keep = {a.id for a in target}
                delete = [i for i in live.articles if i not in keep]
                upsert = target
            new = mf.Manifest(config=config, segments=[mf.SegmentRef(r.name, r.rows, r.docs, list(r.deleted))
                                                       for r in manifest.segments], seq=manifest.seq)
            todo = [a for a in upsert if live.hashes.get(a.id) != article_hash(a)]
            report.unchanged = len(upsert) - len(todo)
            for a in todo:
                (report.updated if a.id in live.articles else report.added).append(a.id)
            report.removed = sorted(set(delete))
            for doc_id in list(delete) + report.updated:
                where = live.locate(doc_id)
                if where is not None:
                    new.segments[where[0]].deleted.append(doc_id)
            src = reuse if _compatible(reuse, config) else None
            data = prepare(todo, embedder, settings, src, _same_tokenizer(src), progress, on_progress, report)
            opened = {s.name: s for s in live.segments}
        if data.articles:
            name = _store(data, index_dir, settings, report)
            new.segments.append(mf.SegmentRef(name, data.rows, len(data.articles)))
        new.segments = [r for r in new.segments if len(set(r.deleted)) < r.docs]  # drop wholly deleted segments
        mf.commit(index_dir, new)
        mf.collect_garbage(index_dir, keep=set())
        snap = Snapshot.open(index_dir, new, opened)
    report.chunks = len(snap)
    report.seconds = round(time.perf_counter() - t0, 3)
    return snap, report


def _rewrite(target: list[Article], live: Snapshot | None, config: dict[str, Any], embedder: Embedder,
             settings: Settings, reuse: Snapshot | None, report: BuildReport, progress: bool,
             on_progress: Callable[[int, int], None] | None) -> tuple[mf.Manifest, SegmentData, dict[str, Segment]]:
    """Everything into one new segment: the first build, or a change of model, chunking or tokenizer.
    Vectors (and sentence vectors) of unchanged articles are kept when the model and chunking are."""
    src = live if _compatible(live, config) else reuse if _compatible(reuse, config) else None
    old = live.hashes if live is not None else {}
    hashes = {a.id: article_hash(a) for a in target}
    for a in target:
        if a.id not in old:
            report.added.append(a.id)
        elif old[a.id] != hashes[a.id]:
            report.updated.append(a.id)
        else:
            report.unchanged += 1
    report.removed = sorted(set(old) - set(hashes))
    data = prepare(target, embedder, settings, src, _same_tokenizer(src), progress, on_progress, report)
    return mf.Manifest(config=config), data, {}


def _compatible(snap: Snapshot | None, config: dict[str, Any]) -> bool:
    """Whether `snap`'s stored vectors and sentence vectors are what `config` would embed."""
    return snap is not None and all(snap.config.get(k) == v for k, v in config.items() if k not in ("tokenizer", "format"))


def _same_tokenizer(snap: Snapshot | None) -> bool:
    return snap is not None and snap.config.get("tokenizer") == building.TOKENIZER_VERSION


def _store(data: SegmentData, index_dir: Path, settings: Settings, report: BuildReport) -> str:
    """Write a segment beside the live ones (not yet named by any manifest); returns its name."""
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
    try:
        segment.write(data, tmp, settings.exact_threshold)
        report.bytes_written += sum(f.stat().st_size for f in tmp.iterdir())
        return segment.place(tmp, index_dir)
    except BaseException:
        segment.discard(tmp)
        raise
