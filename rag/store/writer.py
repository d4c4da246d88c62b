"""Writing: turn articles into a segment (chunk, embed, count terms, embed sentence units) and commit it.

A write costs what its articles cost: the new segment holds only the added or changed articles, and the
articles they replace or delete are tombstoned in the manifest. Only a change of model, chunking or
tokenizer rewrites everything (reusing the stored vectors whenever the model and chunking are unchanged).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunking import CHUNKER_VERSION, chunk_article, embedding_text, sentence_units
from rag.embedding import Embedder
from rag.errors import IndexError_, IndexNotFound, NotFound
from rag.keywords import tokenize
from rag.sentences import SENTENCES_VERSION, SentenceRows
from rag.settings import Settings
from rag.store import manifest as mf
from rag.store import segment
from rag.store.postings import TermRows, concat_rows, count_rows, remap
from rag.store.segment import Segment, SegmentData
from rag.store.snapshot import Snapshot
from rag.types import Article, Chunk

log = logging.getLogger(__name__)
TOKENIZER_VERSION = "jieba-search+oov-bigrams+opencc-t2s+nfkc/3"
EMBED_STEP = 256  # texts per encoder call while building: the progress bar's step


def article_hash(a: Article) -> str:
    return hashlib.sha256(json.dumps(asdict(a), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def index_config(settings: Settings, embedder_name: str, dim: int) -> dict[str, Any]:
    """What must match between a stored index and the running service."""
    return {"format": mf.FORMAT, "model": embedder_name, "dim": dim, "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap, "chunker": CHUNKER_VERSION, "title_prefix": True,
            "document_prompt": settings.document_prompt, "tokenizer": TOKENIZER_VERSION,
            "sentences": SENTENCES_VERSION}


@dataclass
class BuildReport:
    """What a build or an update did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0  # live passages after the write
    embedded: int = 0  # passages embedded
    embedded_sentences: int = 0
    embedded_article_chars: int = 0  # text of the added and updated articles
    bytes_written: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- one segment in memory


def prepare(articles: Sequence[Article], embedder: Embedder, settings: Settings, reuse: Snapshot | None = None,
            reuse_keywords: bool = False, progress: bool = False,
            on_progress: Callable[[int, int], None] | None = None, report: BuildReport | None = None) -> SegmentData:
    """A segment of `articles`. Articles that `reuse` holds unchanged take their vectors (and, with
    reuse_keywords, their term counts) from it; the rest are embedded, while jieba counts their terms."""
    report = report if report is not None else BuildReport()
    dim = embedder.dim
    vocab: dict[str, int] = {}
    chunks: list[list[Chunk]] = []
    vec_parts: list[np.ndarray] = []
    sent_parts: list[SentenceRows] = []
    term_parts: list[TermRows | None] = []
    to_embed: list[tuple[int, Article]] = []
    sent_todo: list[tuple[int, Article, list[tuple[int, int]]]] = []
    count_todo: list[tuple[int, Article]] = []
    hashes = [article_hash(a) for a in articles]
    for i, (a, h) in enumerate(zip(articles, hashes)):
        if reuse is not None and reuse.hashes.get(a.id) == h:
            rows = reuse.article_rows(a.id)
            chunks.append([reuse.chunk_at(r) for r in rows])
            vec_parts.append(reuse.vectors(rows))
            sent_parts.append(reuse.sentences.rows(a.id))  # type: ignore[arg-type]
            if reuse_keywords:
                term_parts.append(_stored_terms(reuse, rows, vocab))
            else:
                term_parts.append(None)
                count_todo.append((i, a))
            continue
        cs = chunk_article(a, settings.chunk_size, settings.chunk_overlap)
        chunks.append(cs)
        vec_parts.append(np.zeros((len(cs), dim), np.float32))
        to_embed.append((i, a))
        units = sentence_units(a.text, settings.chunk_size)
        sent_todo.append((i, a, units))
        sent_parts.append(SentenceRows(np.array([u[0] for u in units], np.int32),
                                       np.array([u[1] for u in units], np.int32), np.zeros((len(units), dim), np.float32)))
        term_parts.append(None)
        count_todo.append((i, a))

    texts = [embedding_text(a.title, c) for i, a in to_embed for c in chunks[i]]
    sent_texts = [a.text[s:e] for _, a, units in sent_todo for s, e in units]
    report.embedded += len(texts)
    report.embedded_sentences += len(sent_texts)
    report.embedded_article_chars += sum(len(a.text) for _, a in to_embed)
    with ThreadPoolExecutor(1, thread_name_prefix="embed") as pool:
        # the model runs outside the GIL: jieba tokenizes the new passages on this thread meanwhile
        pending = pool.submit(_encode, embedder, texts + sent_texts, progress, on_progress) \
            if texts or sent_texts else None
        for i, a in count_todo:
            term_parts[i] = count_rows((tokenize(f"{a.title}\n{c.text}") for c in chunks[i]), vocab)
        vecs = pending.result() if pending is not None else None
    if vecs is not None:
        pos = 0
        for i, _ in to_embed:
            vec_parts[i] = vecs[pos:pos + len(chunks[i])]
            pos += len(chunks[i])
        for i, _, units in sent_todo:
            sent_parts[i].vectors = vecs[pos:pos + len(units)]
            pos += len(units)
    terms_by_id = sorted(vocab, key=vocab.__getitem__)
    vectors = np.vstack(vec_parts) if vec_parts else np.zeros((0, dim), np.float32)
    return SegmentData(list(articles), hashes, chunks, vectors.astype(np.float32),
                       concat_rows([t for t in term_parts if t is not None]), terms_by_id, sent_parts)


def _stored_terms(snap: Snapshot, rows: Sequence[int], vocab: dict[str, int]) -> TermRows:
    parts = []
    for r in rows:
        s, local = snap._split(r)
        p = snap.segments[s].postings
        t, c = p.by_row.row(local)
        parts.append(remap(TermRows(np.array([0, len(t)], np.int64), np.asarray(t), np.asarray(c)), p.terms, vocab))
    return concat_rows(parts)


def _encode(embedder: Embedder, texts: list[str], progress: bool,
            on_progress: Callable[[int, int], None] | None) -> np.ndarray:
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(map(len, texts)), unit="char", unit_scale=True, dynamic_ncols=True,
                   desc=f"embedding {len(texts)} passages and sentences")
    out = []
    for i in range(0, len(texts), EMBED_STEP):
        batch = texts[i:i + EMBED_STEP]
        out.append(embedder.encode_documents(batch))
        if bar is not None:
            bar.update(sum(map(len, batch)))
        if on_progress is not None:
            on_progress(min(i + EMBED_STEP, len(texts)), len(texts))
    if bar is not None:
        bar.close()
    return np.vstack(out)


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
    return snap is not None and snap.config.get("tokenizer") == TOKENIZER_VERSION


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
