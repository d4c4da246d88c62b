"""The index on disk: FAISS vectors, passages, articles, keyword index and a manifest.

Layout of the index directory::

    CURRENT               name of the live generation (replaced atomically)
    gen-<n>/manifest.json model, dimension, chunking settings, per-article content hashes
    gen-<n>/articles.jsonl
    gen-<n>/chunks.jsonl   one line per passage: id, doc_id, ordinal, start, end
    gen-<n>/vectors.faiss  FAISS inner-product index (exact, or HNSW above a size threshold)
    gen-<n>/keywords.npz, vocab.json   BM25 term counts over jieba tokens
    gen-<n>/sentences.npz  offsets and vectors of every sentence unit (for answer scoring)

A build writes a new generation beside the old one and only then points CURRENT at it, so a
build killed at any moment leaves the previous index loadable. Unchanged articles reuse their
vectors and keyword rows; only new or changed articles are embedded.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunking import CHUNKER_VERSION, chunk_article, embedding_text, sentence_units
from rag.embedding import Embedder
from rag.errors import IndexError_, IndexMismatch, IndexNotFound, NotFound
from rag.keywords import KeywordIndex, tokenize
from rag.sentences import SENTENCES_VERSION, SentenceRows, SentenceTable
from rag.settings import Settings
from rag.types import Article, Chunk

log = logging.getLogger(__name__)
FORMAT = 1
TOKENIZER_VERSION = "jieba-search+oov-bigrams+opencc-t2s+nfkc/3"


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover
        raise IndexError_("faiss-cpu is not installed: run `.venv/bin/pip install -e .`") from exc
    return faiss


def article_hash(a: Article) -> str:
    return hashlib.sha256(json.dumps(asdict(a), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def index_config(settings: Settings, embedder_name: str, dim: int) -> dict[str, Any]:
    """What must match between a stored index and the running service."""
    return {"format": FORMAT, "model": embedder_name, "dim": dim, "chunk_size": settings.chunk_size,
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
    chunks: int = 0
    embedded: int = 0  # passages embedded
    embedded_sentences: int = 0
    embedded_article_chars: int = 0  # text of the added and updated articles
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Snapshot:
    """An immutable, complete index in memory. Readers keep a reference; writers make a new one."""

    def __init__(self, config: dict[str, Any], articles: list[Article], chunks: list[Chunk],
                 faiss_index: Any, keywords: KeywordIndex, hashes: dict[str, str],
                 sentences: SentenceTable | None = None):
        self.config = config
        self.sentences = sentences if sentences is not None else SentenceTable.concat([], int(config["dim"]))
        self.articles = {a.id: a for a in articles}
        self.chunks = chunks
        self.faiss = faiss_index
        self.keywords = keywords
        self.hashes = hashes
        self.chunk_pos = {c.id: i for i, c in enumerate(chunks)}
        self.generation: str | None = None  # the stored generation this snapshot is (None: not saved yet)
        self.doc_rows: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            self.doc_rows.setdefault(c.doc_id, []).append(i)

    def __len__(self) -> int:
        return len(self.chunks)

    def article(self, doc_id: str) -> Article:
        try:
            return self.articles[doc_id]
        except KeyError:
            raise NotFound(f"no article with id {doc_id!r}; GET /api/documents lists them") from None

    def chunk(self, chunk_id: str) -> Chunk:
        pos = self.chunk_pos.get(chunk_id)
        if pos is None:
            raise NotFound(f"no passage with id {chunk_id!r}; ids look like '<article id>#<n>'")
        return self.chunks[pos]

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        if not len(rows):
            return np.zeros((0, self.config["dim"]), dtype=np.float32)
        return np.asarray(self.faiss.reconstruct_batch(np.asarray(rows, dtype=np.int64)), dtype=np.float32)


def _make_faiss(vectors: np.ndarray, dim: int, exact_threshold: int) -> Any:
    faiss = _faiss()
    if len(vectors) > exact_threshold:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def build_snapshot(articles: Iterable[Article], embedder: Embedder, settings: Settings,
                   previous: Snapshot | None = None, progress: bool = False,
                   on_progress: Callable[[int, int], None] | None = None) -> tuple[Snapshot, BuildReport]:
    """A snapshot over exactly `articles`, re-embedding only what changed since `previous`."""
    t0 = time.perf_counter()
    config = index_config(settings, embedder.name, embedder.dim)
    # Vectors survive a keyword-tokenizer change; keyword rows survive only an identical config.
    same_vectors = previous is not None and all(previous.config.get(k) == v for k, v in config.items()
                                                if k not in ("tokenizer", "sentences"))
    same_sentences = same_vectors and previous is not None and previous.config.get("sentences") == SENTENCES_VERSION
    reuse = previous if same_vectors else None
    same_keywords = reuse is not None and reuse.config == config
    report = BuildReport()
    arts = list(articles)
    new_hashes = {a.id: article_hash(a) for a in arts}
    old_hashes = previous.hashes if previous is not None else {}
    report.removed = sorted(set(old_hashes) - set(new_hashes))

    chunks: list[Chunk] = []
    vec_parts: list[np.ndarray] = []
    to_embed: list[tuple[int, Article, list[Chunk]]] = []  # (position in vec_parts, article, chunks)
    sent_parts: list[tuple[str, SentenceRows]] = []
    sent_embed: list[tuple[int, Article, list[tuple[int, int]]]] = []  # (position in sent_parts, article, units)
    vocab: dict[str, int] = dict(reuse.keywords.vocab) if reuse is not None and same_keywords else {}
    kw_parts: list[Any] = []
    kw_todo: list[tuple[int, Article, list[Chunk]]] = []  # new articles' keyword rows, counted during embedding
    for a in arts:
        h = new_hashes[a.id]
        if a.id in old_hashes:
            if old_hashes[a.id] == h and reuse is not None:
                rows = reuse.doc_rows.get(a.id, [])
                chunks.extend(reuse.chunks[r] for r in rows)
                vec_parts.append(reuse.vectors(rows))
                old = reuse.sentences.rows(a.id) if same_sentences else None
                if old is not None:
                    sent_parts.append((a.id, old))
                else:  # an article stored without sentence vectors: embed them now
                    sent_embed.append((len(sent_parts), a, sentence_units(a.text, settings.chunk_size)))
                    sent_parts.append((a.id, SentenceRows(*_empty_sentences(embedder.dim))))
                kw_parts.append(reuse.keywords.counts[rows] if same_keywords else KeywordIndex.count_rows(
                    (tokenize(f"{a.title}\n{c.text}") for c in (reuse.chunks[r] for r in rows)), vocab))
                report.unchanged += 1
                continue
            report.updated.append(a.id)
        else:
            report.added.append(a.id)
        cs = chunk_article(a, settings.chunk_size, settings.chunk_overlap)
        chunks.extend(cs)
        to_embed.append((len(vec_parts), a, cs))
        sent_embed.append((len(sent_parts), a, sentence_units(a.text, settings.chunk_size)))
        sent_parts.append((a.id, SentenceRows(*_empty_sentences(embedder.dim))))
        vec_parts.append(np.zeros((0, embedder.dim), dtype=np.float32))  # filled below
        kw_todo.append((len(kw_parts), a, cs))
        kw_parts.append(None)  # counted below, while the model embeds

    texts = [embedding_text(a.title, c) for _, a, cs in to_embed for c in cs]
    sent_texts = [a.text[s:e] for _, a, units in sent_embed for s, e in units]
    report.embedded = len(texts)
    report.embedded_sentences = len(sent_texts)
    report.embedded_article_chars = sum(len(a.text) for _, a, _ in to_embed)
    with ThreadPoolExecutor(1, thread_name_prefix="embed") as pool:
        # the model runs outside the GIL: jieba tokenizes the new passages on this thread meanwhile
        pending = pool.submit(_encode_in_batches, embedder, texts + sent_texts, progress, on_progress) \
            if texts or sent_texts else None
        for slot, a, cs in kw_todo:
            kw_parts[slot] = KeywordIndex.count_rows((tokenize(f"{a.title}\n{c.text}") for c in cs), vocab)
        vecs = pending.result() if pending is not None else None
    if vecs is not None:
        pos = 0
        for slot, _, cs in to_embed:
            vec_parts[slot] = vecs[pos:pos + len(cs)]
            pos += len(cs)
        for slot, a, units in sent_embed:
            sent_parts[slot] = (a.id, SentenceRows(np.array([u[0] for u in units], dtype=np.int32),
                                                   np.array([u[1] for u in units], dtype=np.int32),
                                                   vecs[pos:pos + len(units)]))
            pos += len(units)
    vectors = np.vstack(vec_parts) if vec_parts else np.zeros((0, embedder.dim), dtype=np.float32)
    keywords = KeywordIndex.from_rows(kw_parts, vocab)
    snap = Snapshot(config, arts, chunks, _make_faiss(vectors, embedder.dim, settings.exact_threshold),
                    keywords, new_hashes, SentenceTable.concat(sent_parts, embedder.dim))
    report.chunks = len(chunks)
    report.seconds = round(time.perf_counter() - t0, 3)
    return snap, report


def _empty_sentences(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = np.zeros(0, dtype=np.int32)
    return z, z, np.zeros((0, dim), dtype=np.float32)


def _encode_in_batches(embedder: Embedder, texts: list[str], progress: bool,
                       on_progress: Callable[[int, int], None] | None) -> np.ndarray:
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(map(len, texts)), unit="char", unit_scale=True, dynamic_ncols=True,
                   desc=f"embedding {len(texts)} passages and sentences")
    out = []
    step = 256
    for i in range(0, len(texts), step):
        batch = texts[i:i + step]
        out.append(embedder.encode_documents(batch))
        if bar is not None:
            bar.update(sum(map(len, batch)))
        if on_progress is not None:
            on_progress(min(i + step, len(texts)), len(texts))
    if bar is not None:
        bar.close()
    return np.vstack(out)


# --------------------------------------------------------------------------- disk


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """The advisory lock that writers in every process hold for a whole read-modify-write of the index."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".write.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def save(snapshot: Snapshot, index_dir: Path, locked: bool = False) -> Path:
    """Write `snapshot` as a new generation and switch CURRENT to it atomically.

    Writers in any process serialise on write_lock (pass locked=True when holding it already), so while
    it is held every temporary directory left in the index directory belongs to a writer that died and
    can be removed."""
    with nullcontext() if locked else write_lock(index_dir):
        _collect_garbage(index_dir, keep=current_generation(index_dir))
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
        try:
            gen = _write_generation(snapshot, tmp, index_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _collect_garbage(index_dir, keep=gen)
    snapshot.generation = gen
    return index_dir / gen


def _write_generation(snapshot: Snapshot, tmp: Path, index_dir: Path) -> str:
    manifest = dict(snapshot.config, articles=snapshot.hashes, n_chunks=len(snapshot.chunks),
                    n_articles=len(snapshot.articles),
                    built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    _write(tmp / "articles.jsonl", "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n"
                                           for a in snapshot.articles.values()))
    _write(tmp / "chunks.jsonl", "".join(
        json.dumps({"id": c.id, "doc_id": c.doc_id, "ordinal": c.ordinal, "start": c.start,
                    "end": c.end}, ensure_ascii=False) + "\n" for c in snapshot.chunks))
    _faiss().write_index(snapshot.faiss, str(tmp / "vectors.faiss"))
    snapshot.keywords.save(tmp)
    snapshot.sentences.save(tmp)
    _write(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    for f in tmp.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    gen = f"gen-{time.time_ns()}"
    os.rename(tmp, index_dir / gen)
    _fsync_dir(index_dir)
    cur_tmp = index_dir / f".CURRENT.{os.getpid()}"
    _write(cur_tmp, gen + "\n")
    os.replace(cur_tmp, index_dir / "CURRENT")  # the commit point
    _fsync_dir(index_dir)
    return gen


def current_generation(index_dir: Path) -> str | None:
    """The name of the live generation on disk (None: no index yet)."""
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _collect_garbage(index_dir: Path, keep: str | None) -> None:
    """Remove older generations and leftovers of killed writers (never the live one). Call under the lock."""
    for p in index_dir.iterdir():
        if p.name == keep or not p.name.startswith(("gen-", ".tmp-", ".CURRENT.")):
            continue
        if keep is None and p.name.startswith("gen-"):
            continue  # no readable CURRENT: leave generations alone rather than guess
        try:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        except OSError:
            pass


def live_generation(index_dir: Path) -> Path:
    cur = index_dir / "CURRENT"
    if not cur.is_file():
        raise IndexNotFound(f"no index in {index_dir}/: build one with `rag build seeds/ --index {index_dir}`")
    gen = cur.read_text(encoding="utf-8").strip()
    if not gen.startswith("gen-") or "/" in gen:
        raise IndexError_(f"{cur} is corrupt; rebuild with `rag build seeds/ --index {index_dir}`")
    return index_dir / gen


def read_manifest(index_dir: Path) -> dict[str, Any]:
    path = live_generation(index_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexError_(f"cannot read {path} ({exc}); rebuild with `rag build seeds/ --index {index_dir}`") from exc


def load(index_dir: Path, settings: Settings, embedder_name: str, dim: int, strict: bool = True) -> Snapshot:
    """Load the live generation, checking that it was built the way the service is configured.

    With strict=False a differently built index still loads (with its own config), so that a
    rebuild can reuse whatever is still valid, e.g. the vectors after a tokenizer change."""
    manifest = read_manifest(index_dir)
    expected = index_config(settings, embedder_name, dim)
    stored = {k: manifest.get(k) for k in expected}
    if stored != expected and strict:
        diffs = ", ".join(f"{k}: index has {stored[k]!r}, settings want {expected[k]!r}"
                          for k in expected if stored[k] != expected[k])
        raise IndexMismatch(f"the index in {index_dir}/ was built differently ({diffs}). Rebuild it with "
                            f"`rag build seeds/ --index {index_dir}` (only changed parts are re-embedded "
                            f"when the model is unchanged), or restore the settings it was built with.")
    gen = live_generation(index_dir)
    try:
        articles = [Article(**json.loads(line)) for line in
                    (gen / "articles.jsonl").read_text(encoding="utf-8").split("\n") if line]
        texts = {a.id: a.text for a in articles}
        chunks = []
        for line in (gen / "chunks.jsonl").read_text(encoding="utf-8").split("\n"):
            if line:
                d = json.loads(line)
                chunks.append(Chunk(text=texts[d["doc_id"]][d["start"]:d["end"]], **d))
        faiss_index = _faiss().read_index(str(gen / "vectors.faiss"))
        keywords = KeywordIndex.load(gen)
        sentences = SentenceTable.load(gen) if (gen / "sentences.npz").is_file() else None
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise IndexError_(f"the index in {gen} is damaged ({exc.__class__.__name__}: {exc}); "
                          f"rebuild with `rag build seeds/ --index {index_dir}`") from exc
    if faiss_index.ntotal != len(chunks) or keywords.counts.shape[0] != len(chunks):
        raise IndexError_(f"the index in {gen} is inconsistent; rebuild with `rag build seeds/ --index {index_dir}`")
    snap = Snapshot(stored, articles, chunks, faiss_index, keywords, dict(manifest.get("articles", {})), sentences)
    snap.generation = gen.name
    return snap


def try_load(index_dir: Path, settings: Settings, embedder_name: str, dim: int) -> Snapshot | None:
    """The stored snapshot if it exists and matches; None when there is none or it must be rebuilt."""
    try:
        return load(index_dir, settings, embedder_name, dim, strict=False)
    except IndexNotFound:
        return None
    except (IndexError_, TypeError, ValueError) as exc:
        log.warning("not reusing the stored index: %s", exc)
        return None
