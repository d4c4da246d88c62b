"""Building a segment in memory from articles: chunk, embed (passages and sentence units), count terms.

Articles that an existing snapshot holds unchanged take their vectors and term counts from it instead of
the model. `index_config` is what must match between a stored index and the running service.

Sentence vectors come from a forward pass per sentence unit (RAG_SENTENCE_VECTORS=separate), or are pooled
from the token embeddings of the passage pass (pooled; a unit no passage window holds gets its own pass).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np

from rag.chunking import CHUNKER_VERSION, chunk_article, embedding_offset, embedding_text, sentence_units
from rag.embedding import Embedder, SpanEmbedder
from rag.errors import ConfigError
from rag.keywords import tokenize
from rag.sentences import SentenceRows, assign_units, sentences_config
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
            "sentences": sentences_config(settings.sentence_vectors)}


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
    embedded_sentences: int = 0  # sentence units given a forward pass of their own
    pooled_sentences: int = 0  # sentence units pooled from their passage's pass (RAG_SENTENCE_VECTORS=pooled)
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

    pooled = settings.sentence_vectors == "pooled"
    if pooled and to_embed and not hasattr(embedder, "encode_documents_pooled"):
        raise ConfigError(f"RAG_SENTENCE_VECTORS=pooled needs an encoder that returns token embeddings, which "
                          f"{embedder.name!r} does not: set RAG_SENTENCE_VECTORS=separate")
    report.embedded_article_chars += sum(len(a.text) for _, a in to_embed)
    todo = [(a, chunks[i], units) for i, a, units in sent_todo]
    with ThreadPoolExecutor(1, thread_name_prefix="embed") as pool:
        # the model runs outside the GIL: jieba tokenizes the new passages on this thread meanwhile
        pending = pool.submit(_embed_articles, embedder, todo, pooled, progress, on_progress, report) \
            if todo else None
        for i, a in count_todo:
            term_parts[i] = count_rows((tokenize(f"{a.title}\n{c.text}") for c in chunks[i]), vocab)
        if pending is not None:
            passage_vecs, sentence_vecs = pending.result()
            for (i, _, _), pv, sv in zip(sent_todo, passage_vecs, sentence_vecs):
                vec_parts[i] = pv
                sent_parts[i].vectors = sv
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


def _embed_articles(embedder: Embedder, todo: list[tuple[Article, list[Chunk], list[tuple[int, int]]]], pooled: bool,
                    progress: bool, on_progress: Callable[[int, int], None] | None,
                    report: BuildReport) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per article, its passage vectors and its sentence units' vectors; counts into `report`."""
    texts = [embedding_text(a.title, c) for a, cs, _ in todo for c in cs]
    report.embedded += len(texts)
    if not pooled:
        sent_texts = [a.text[s:e] for a, _, units in todo for s, e in units]
        report.embedded_sentences += len(sent_texts)
        vecs, model_s = _encode(embedder, texts + sent_texts, progress, on_progress)
        report.embed_seconds += round(model_s, 3)
        return _split(vecs[:len(texts)], [len(cs) for _, cs, _ in todo]), \
            _split(vecs[len(texts):], [len(u) for _, _, u in todo])
    # pooled: each unit's span inside the passage that holds most of it, in embedding_text's offsets
    spans: list[list[tuple[int, int]]] = []
    where: list[list[tuple[int, int] | None]] = []  # per article and unit: (passage row in texts, span number)
    for a, cs, units in todo:
        owners = assign_units(units, [(c.start, c.end) for c in cs])
        base, shift = len(spans), embedding_offset(a.title)
        spans.extend([] for _ in cs)
        at: list[tuple[int, int] | None] = []
        for (s, e), k in zip(units, owners):
            if k is None:
                at.append(None)
                continue
            c = cs[k]
            spans[base + k].append((max(s, c.start) - c.start + shift, min(e, c.end) - c.start + shift))
            at.append((base + k, len(spans[base + k]) - 1))
        where.append(at)
    vecs, parts, model_s = _encode_pooled(cast(SpanEmbedder, embedder), texts, spans, progress, on_progress)
    sentence_vecs = [np.zeros((len(units), embedder.dim), np.float32) for _, _, units in todo]
    alone: list[tuple[int, int]] = []  # (article, unit) with no tokens in any passage window: own pass
    for n, at in enumerate(where):
        for u, w in enumerate(at):
            if w is not None and parts[w[0]][w[1]].any():
                sentence_vecs[n][u] = parts[w[0]][w[1]]
            else:
                alone.append((n, u))
    if alone:
        t0 = time.perf_counter()
        own = embedder.encode_documents([todo[n][0].text[slice(*todo[n][2][u])] for n, u in alone])
        model_s += time.perf_counter() - t0
        for (n, u), v in zip(alone, own):
            sentence_vecs[n][u] = v
    report.embedded_sentences += len(alone)
    report.pooled_sentences += sum(len(u) for _, _, u in todo) - len(alone)
    report.embed_seconds += round(model_s, 3)
    return _split(vecs, [len(cs) for _, cs, _ in todo]), sentence_vecs


def _split(vecs: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    out, pos = [], 0
    for n in sizes:
        out.append(vecs[pos:pos + n])
        pos += n
    return out


def _encode_pooled(embedder: SpanEmbedder, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool,
                   on_progress: Callable[[int, int], None] | None) -> tuple[np.ndarray, list[np.ndarray], float]:
    """The passages' vectors, their spans' pooled vectors, and the seconds spent in the model."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(map(len, texts)), unit="char", unit_scale=True, dynamic_ncols=True,
                   desc=f"embedding {len(texts)} passages (sentences pooled)")
    out: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    t0 = time.perf_counter()
    for i in range(0, len(texts), EMBED_STEP):
        vecs, pooled = embedder.encode_documents_pooled(texts[i:i + EMBED_STEP], spans[i:i + EMBED_STEP])
        out.append(vecs)
        parts.extend(pooled)
        if bar is not None:
            bar.update(sum(map(len, texts[i:i + EMBED_STEP])))
        if on_progress is not None:
            on_progress(min(i + EMBED_STEP, len(texts)), len(texts))
    if bar is not None:
        bar.close()
    vecs = np.vstack(out) if out else np.zeros((0, embedder.dim), np.float32)
    return vecs, parts, time.perf_counter() - t0


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
