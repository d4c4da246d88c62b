"""Building a segment in memory from articles: chunk, embed (passages and sentence units), count terms.

Articles that an existing snapshot holds unchanged take their vectors and term counts from it instead of
the model. `index_config` is what must match between a stored index and the running service.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rag.chunking import CHUNKER_VERSION, chunk_article, embedding_text, sentence_units
from rag.embedding import Embedder
from rag.keywords import tokenize
from rag.sentences import SENTENCES_VERSION, SentenceRows
from rag.settings import Settings
from rag.store import manifest as mf
from rag.store.postings import TermRows, concat_rows, count_rows, remap
from rag.store.segment import SegmentData
from rag.store.snapshot import Snapshot
from rag.types import Article, Chunk

TOKENIZER_VERSION = "jieba-search+oov-bigrams+opencc-t2s+nfkc/3"
EMBED_STEP = 256  # texts per encoder call while building: the progress bar's step


# The Article fields when hashes were first stored: a field added later counts only when it is set, so that
# adding one (e.g. a PDF's `pages`) does not change every stored article's hash and re-embed the index.
_FIRST_FIELDS = frozenset({"id", "title", "text", "url", "source", "published", "author"})


def article_hash(a: Article) -> str:
    fields = {k: v for k, v in asdict(a).items() if k in _FIRST_FIELDS or v is not None}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def index_config(settings: Settings, embedder_name: str, dim: int) -> dict[str, Any]:
    """What must match between a stored index and the running service."""
    return {"format": mf.FORMAT, "model": embedder_name, "dim": dim, "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap, "chunker": CHUNKER_VERSION, "title_prefix": True,
            "document_prompt": settings.document_prompt, "tokenizer": TOKENIZER_VERSION,
            "sentences": SENTENCES_VERSION}


def config_diffs(stored: dict[str, Any], expected: dict[str, Any]) -> str:
    """How a stored index's config differs from what the settings want ("" when it matches), for the
    rebuild message of every backend."""
    return ", ".join(f"{k}: index has {stored.get(k)!r}, settings want {v!r}"
                     for k, v in expected.items() if stored.get(k) != v)


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
    embed_seconds: float = 0.0  # of `seconds`, the time inside the model
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
        vecs, model_s = pending.result() if pending is not None else (None, 0.0)
        report.embed_seconds += round(model_s, 3)
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
            on_progress: Callable[[int, int], None] | None) -> tuple[np.ndarray, float]:
    """The texts' vectors, and the seconds spent in the model."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(map(len, texts)), unit="char", unit_scale=True, dynamic_ncols=True,
                   desc=f"embedding {len(texts)} passages and sentences")
    out = []
    t0 = time.perf_counter()
    for i in range(0, len(texts), EMBED_STEP):
        batch = texts[i:i + EMBED_STEP]
        out.append(embedder.encode_documents(batch))
        if bar is not None:
            bar.update(sum(map(len, batch)))
        if on_progress is not None:
            on_progress(min(i + EMBED_STEP, len(texts)), len(texts))
    if bar is not None:
        bar.close()
    return np.vstack(out), time.perf_counter() - t0
