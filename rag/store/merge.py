"""Merging segments: fold a run of adjacent segments into one, dropping deleted articles' rows.

Each write appends a small segment, so segments pile up; searches visit each one. A merge is due when the
newest segments are numerous next to the older ones (a log-structured policy: a row is rewritten about
log_F(N) times over its life), and `rag compact` merges everything. The heavy part runs outside the
writers' lock, so writes and reads go on during a merge; only the final manifest swap takes the lock,
and carries over the deletions that landed meanwhile.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.settings import Settings
from rag.store import manifest as mf
from rag.store import segment
from rag.store.postings import TermRows, concat_rows, remap
from rag.store.segment import Segment, SegmentData
from rag.store.snapshot import Snapshot
from rag.types import Chunk

log = logging.getLogger(__name__)
FANOUT = 8  # segments of one size class before they merge (Lucene's LogMergePolicy default is 10)


def plan(refs: Sequence[mf.SegmentRef], fanout: int = FANOUT) -> tuple[int, int] | None:
    """The run [i, j) of segments to merge next, or None. Size classes are log_fanout(live rows); the
    newest segments down to the first one of a larger class merge once there are `fanout` of them."""
    if len(refs) < 2:
        return None
    live = [max(1, r.rows * (1 - len(set(r.deleted)) / max(1, r.docs))) for r in refs]
    level = [int(math.log(n, fanout)) for n in live]
    j = len(refs)
    i = j - 1
    while i > 0 and level[i - 1] <= level[j - 1]:
        i -= 1
    if j - i >= fanout:
        return i, j
    # a segment with most of its rows deleted is rewritten with its newer neighbours
    for k, r in enumerate(refs):
        if r.docs and len(set(r.deleted)) * 2 > r.docs:
            return k, j
    return None


def gather(snap: Snapshot, positions: Sequence[int]) -> SegmentData:
    """The live articles of some segments of `snap`, in order, as one segment (nothing re-embedded)."""
    articles, hashes, chunks, vecs, sents = [], [], [], [], []
    terms: list[TermRows] = []
    vocab: dict[str, int] = {}
    for s in positions:
        seg = snap.segments[s]
        dead = snap.deleted[s]
        keep = [i for i, d in enumerate(seg.meta.ids) if d not in dead]
        for a, i in zip(seg.meta.articles(keep) if keep else [], keep):
            r0, n = int(seg.meta.row0[i]), int(seg.meta.nrows[i])
            spans = np.asarray(seg.meta.spans[r0:r0 + n])
            articles.append(a)
            hashes.append(seg.meta.hashes[i])
            chunks.append([Chunk(id=f"{a.id}#{k}", doc_id=a.id, ordinal=k, start=int(st), end=int(en),
                                 text=a.text[int(st):int(en)]) for k, (_, st, en) in enumerate(spans)])
            vecs.append(np.asarray(seg.vectors.matrix[r0:r0 + n], np.float32))
            sents.append(seg.sentences(i))
            rows = TermRows(np.asarray(seg.postings.by_row.indptr[r0:r0 + n + 1], np.int64) -
                            int(seg.postings.by_row.indptr[r0]),
                            np.asarray(seg.postings.by_row.terms[seg.postings.by_row.indptr[r0]:
                                                                 seg.postings.by_row.indptr[r0 + n]]),
                            np.asarray(seg.postings.by_row.counts[seg.postings.by_row.indptr[r0]:
                                                                  seg.postings.by_row.indptr[r0 + n]]))
            terms.append(remap(rows, seg.postings.terms, vocab))
    dim = int(snap.config["dim"])
    return SegmentData(articles, hashes, chunks, np.vstack(vecs) if vecs else np.zeros((0, dim), np.float32),
                       concat_rows(terms), sorted(vocab, key=vocab.__getitem__), sents)


def merge(index_dir: Path, settings: Settings, run: tuple[int, int] | None = None, base: Snapshot | None = None
          ) -> Snapshot | None:
    """Merge the segments [i, j) of the live manifest (all of them when `run` is None, as `rag compact`
    does); returns the new snapshot, or None when there was nothing to do or the run changed meanwhile."""
    from rag.store.writer import open_live

    t0 = time.perf_counter()
    with mf.write_lock(index_dir):
        manifest, snap = open_live(index_dir, base)
        if manifest is None or snap is None:
            return None
        i, j = run if run is not None else (0, len(manifest.segments))
        names = [r.name for r in manifest.segments[i:j]]
        if not names or (len(names) == 1 and not manifest.segments[i].deleted):
            return None
        workdir = mf.merging_dir(index_dir)
    try:
        data = gather(snap, range(i, j))
        segment.write(data, workdir, settings.exact_threshold)
        with mf.write_lock(index_dir):
            now, live = open_live(index_dir, snap)
            where = _still_there(now, live, names, data)
            if now is None or live is None or where is None:
                log.info("merge abandoned: the segments changed meanwhile", extra={"segments": names})
                return None
            i, j, late = where
            opened = {s.name: s for s in live.segments}
            name = None
            if data.articles:
                name = segment.place(workdir, index_dir)
                opened[name] = Segment(index_dir / name)
            now.segments[i:j] = [mf.SegmentRef(name, data.rows, len(data.articles), late)] if name else []
            mf.commit(index_dir, now)
            mf.collect_garbage(index_dir, keep=set())
            new = Snapshot.open(index_dir, now, opened)
    finally:
        segment.discard(workdir)
    log.info("segments merged", extra={"segments": len(names), "rows": data.rows, "into": name,
                                       "seconds": round(time.perf_counter() - t0, 3)})
    return new


def _still_there(now: mf.Manifest | None, live: Snapshot | None, names: list[str], data: SegmentData
                 ) -> tuple[int, int, list[str]] | None:
    """Where the merged run sits in the manifest as it is now, and which merged articles were deleted
    meanwhile; None when the merge cannot be committed (another merge took its segments).

    Writes during the merge append segments after the run and tombstone articles in it; a segment whose
    articles were all deleted leaves the manifest. Both are carried over."""
    if now is None or live is None:
        return None
    pos = {r.name: k for k, r in enumerate(now.segments)}
    present = [pos[n] for n in names if n in pos]
    if not present or present != list(range(present[0], present[0] + len(present))):
        return None
    i, j = present[0], present[0] + len(present)
    late = set()
    for r in now.segments[i:j]:
        late |= set(r.deleted)
    for a in data.articles:
        where = live.locate(a.id)
        if where is None or where[0] >= j:
            late.add(a.id)  # deleted meanwhile (maybe with its whole segment), or replaced by a later write
        elif where[0] < i:
            return None  # it lives in a segment this merge did not read: another merge moved it
    merged_ids = {a.id for a in data.articles}
    return i, j, sorted(late & merged_ids)
