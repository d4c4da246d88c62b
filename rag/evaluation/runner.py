"""Build (or reuse) an index over an evaluation corpus and run every question through the API's path."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag import store
from rag.embedding import Embedder
from rag.engine import Engine
from rag.evaluation.dataset import QUESTION_TYPES, Passage, Question
from rag.evaluation.metrics import abstention, limit_answer, rank_of, summarize
from rag.retrieval import Candidates, Retriever
from rag.settings import Settings
from rag.store import IndexView
from rag.types import Answer, Article

log = logging.getLogger(__name__)
MODES = ("hybrid", "dense", "keyword")
ASK_K = 10  # passages retrieved per question, as the API's ask(question, k=10)


@dataclass
class IndexInfo:
    """Which cached index an evaluation used and whether it had to be built."""

    key: str
    path: str
    built: bool
    seconds: float
    passages: int
    chunks: int
    dropped: list[str] = field(default_factory=list)


def corpus_digest(path: Path) -> str:
    """SHA-256 of the corpus file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def corpus_digest_articles(articles: Sequence[Article]) -> str:
    """SHA-256 of parsed articles (a folder corpus)."""
    blob = json.dumps([asdict(a) for a in articles], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def index_key(digest: str, settings: Settings, embedder: Embedder, dropped: Sequence[str] = ()) -> str:
    """Cache key: corpus content, the index config (model, chunking, tokenizer) and held-out ids."""
    config = store.index_config(settings, embedder.name, embedder.dim)
    blob = json.dumps({"corpus": digest, "config": config, "dropped": sorted(dropped)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def holdout(questions: Sequence[Question], fraction: float, seed: int = 13) -> set[str]:
    """Gold passages of a seeded random `fraction` of the questions: the ones to leave out of the index."""
    if fraction <= 0:
        return set()
    n = min(len(questions), round(fraction * len(questions)))
    picked = random.Random(seed).sample(range(len(questions)), n)
    return {questions[i].gold_passage_id for i in sorted(picked)}


def cached_snapshot(passages: Sequence[Passage], digest: str, settings: Settings, embedder: Embedder,
                    dropped: set[str] | None = None, previous: IndexView | None = None,
                    progress: bool = True, articles: Sequence[Article] | None = None) -> tuple[IndexView, IndexInfo]:
    """The index over `passages` minus `dropped`, from `settings.cache_dir/eval/<key>` or built there.

    `previous` (e.g. the full index when building a held-out one) lets unchanged passages reuse
    their vectors instead of being embedded again.
    """
    dropped = dropped or set()
    key = index_key(digest, settings, embedder, sorted(dropped))
    path = settings.cache_dir / "eval" / key
    t0 = time.perf_counter()
    snap = store.try_load(path, settings, embedder.name, embedder.dim)
    built = snap is None or snap.config != store.index_config(settings, embedder.name, embedder.dim)
    if built:
        arts = [a for a in articles if a.id not in dropped] if articles is not None else \
            [p.article() for p in passages if p.id not in dropped]
        reuse = previous if isinstance(previous, store.Snapshot) else None  # an embedded index's vectors
        snap, _ = store.write(path, settings, embedder, replace=arts, reuse=reuse, progress=progress)
    assert snap is not None
    info = IndexInfo(key=key, path=str(path), built=built, seconds=round(time.perf_counter() - t0, 2),
                     passages=len(snap.articles), chunks=len(snap), dropped=sorted(dropped))
    return snap, info


class QueryCache:
    """An embedder whose query vectors are encoded once and kept on disk (for tuning runs).

    Each question is encoded alone, as the API encodes it: the int8 encoder quantizes a batch's activations
    together, so a question's vector depends on the batch it rode in, and with batches of 64 the seeds set gave
    14 of 185 answers other than the API's (answer hit 84.5 against 85.2). Latency then excludes query encoding;
    documents are encoded by the wrapped embedder as usual.
    """

    def __init__(self, embedder: Embedder, texts: Sequence[str], cache_dir: Path, progress: bool = True):
        self.inner, self.name, self.dim = embedder, embedder.name, embedder.dim
        key = hashlib.sha256(json.dumps([embedder.name, getattr(embedder, "query_prompt", ""), "alone", list(texts)],
                                        ensure_ascii=False).encode()).hexdigest()[:20]
        path = cache_dir / f"queries-{key}.npy"
        if path.is_file():
            vecs = np.load(path)
        else:
            from tqdm import tqdm

            parts = [embedder.encode_queries([t]) for t in tqdm(texts, desc="query vectors", disable=not progress)]
            vecs = np.vstack(parts) if parts else np.zeros((0, embedder.dim), np.float32)
            cache_dir.mkdir(parents=True, exist_ok=True)
            np.save(path, vecs)
        self._vecs = {t.strip(): v for t, v in zip(texts, vecs)}

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if all(t.strip() in self._vecs for t in texts):
            return np.vstack([self._vecs[t.strip()] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.inner.encode_documents(texts, progress)


class QuestionRunner:
    """Runs questions the way the API does, optionally with one retriever only or without answering."""

    def __init__(self, settings: Settings, embedder: Embedder, snapshot: IndexView, mode: str = "hybrid",
                 retrieval_only: bool = False):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode, self.retrieval_only = mode, retrieval_only
        if mode == "dense":
            settings = settings.replace(keyword_weight=0.0)
        elif mode == "keyword":
            settings = settings.replace(dense_weight=0.0)
        self.settings = settings
        self.engine = Engine(settings, embedder, snapshot)

    def _candidates(self, question: str) -> Candidates:
        """Fused candidates; in a single-retriever mode, only the hits that retriever found.

        With a zero weight, rrf still lists the other retriever's rows (at score 0, after every
        scored row), so they would fill the list when one retriever finds fewer than k rows.
        """
        cands = Retriever(self.engine.snapshot, self.engine.embedder, self.settings).candidates(question, ASK_K)
        if self.mode == "dense":
            cands.hits = [h for h in cands.hits if h.dense_rank is not None]
        elif self.mode == "keyword":
            cands.hits = [h for h in cands.hits if h.keyword_rank is not None]
        return cands

    def ask(self, question: str) -> tuple[list[str], Answer | None]:
        """(ranked chunk doc ids, answer or None when retrieval-only) for one question."""
        if self.retrieval_only:
            hits = self._candidates(question).hits
            return [h.chunk.doc_id for h in hits], None
        if self.mode == "hybrid":
            ans = self.engine.ask(question, k=ASK_K)  # exactly the API's path
        else:
            cands = self._candidates(question)
            ans = self.engine.extractive.answer(self.engine.snapshot, question, cands)
        return [str(p["doc_id"]) for p in ans.passages], ans

    def run(self, questions: Sequence[Question], in_index: set[str], progress: bool = True
            ) -> list[dict[str, Any]]:
        """One record per question: rank of the gold passage, hits, answerability, latency."""
        from tqdm import tqdm

        if questions:
            self.ask(questions[0].question)  # warm-up: jieba, OpenCC and the model's first pass
        records: list[dict[str, Any]] = []
        for q in tqdm(questions, desc=f"eval {self.mode}", unit="q", disable=not progress, dynamic_ncols=True):
            t0 = time.perf_counter()
            ranked, ans = self.ask(q.question)
            seconds = time.perf_counter() - t0
            ranks = [r for r in (rank_of(g, ranked) for g in q.golds) if r is not None]
            rec: dict[str, Any] = {"id": q.id, "type": q.qtype, "gold": list(q.golds),
                                   "held_out": not any(g in in_index for g in q.golds),
                                   "rank": min(ranks) if ranks else None, "seconds": seconds,
                                   "answerable": True, "retrieved": list(dict.fromkeys(ranked))[:5]}
            if ans is not None:
                text, truncated = limit_answer(ans.answer) if ans.answerable else ("", False)
                hit = ans.answerable and q.hit(text)
                rec.update(answerable=ans.answerable, answer_hit=hit, truncated=truncated,
                           citation_hit=any(c.doc_id in q.golds for c in ans.citations),
                           answer=ans.answer)
            records.append(rec)
        return records


def build_report(records: Sequence[dict[str, Any]], ks: Sequence[int], with_answers: bool,
                 config: dict[str, Any]) -> dict[str, Any]:
    """The report: overall and per-question-type figures, and abstention when some gold is held out."""
    report: dict[str, Any] = {"config": config, "overall": summarize(records, ks), "by_type": {}}
    types = list(QUESTION_TYPES) + sorted({str(r["type"]) for r in records} - set(QUESTION_TYPES))
    for t in types:
        group = [r for r in records if r["type"] == t]
        if group:
            report["by_type"][t] = summarize(group, ks)
    held = [bool(r["held_out"]) for r in records]
    if with_answers and any(held):
        report["abstention"] = abstention([not r["answerable"] for r in records], held)
    return report
