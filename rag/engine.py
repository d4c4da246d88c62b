"""The running service core: one live index snapshot, searched and answered, updated without downtime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rag import store
from rag.answer import Answerer, ExtractiveAnswerer
from rag.conversation import standalone_question
from rag.embedding import Embedder, load_embedder
from rag.errors import InputError, NotFound
from rag.retrieval import Filters, Retrieval, Retriever
from rag.settings import Settings
from rag.sources import SourceProblem, load_paths
from rag.store import BuildReport, Snapshot
from rag.types import Answer, Article

log = logging.getLogger(__name__)


class Engine:
    """Answers questions over the live snapshot. Writers build a new snapshot and swap it in,
    so readers always see a complete index, before or after a write, never half of one."""

    def __init__(self, settings: Settings, embedder: Embedder, snapshot: Snapshot | None = None,
                 answerer: Answerer | None = None):
        self.settings = settings
        self.embedder = embedder
        self._snap = snapshot
        self._write_lock = threading.Lock()
        self.extractive = ExtractiveAnswerer(settings, embedder)  # the answer of record, and every fallback
        self.answerer: Answerer = answerer or self.extractive

    # -- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, progress: bool = False) -> Engine:
        """Load the index in settings.index_dir (it must exist and match the model and settings)."""
        emb = embedder or load_embedder(settings, progress=progress)
        snap = store.load(settings.index_dir, settings, emb.name, emb.dim)
        return cls(settings, emb, snap)

    @property
    def snapshot(self) -> Snapshot:
        if self._snap is None:
            raise store.IndexNotFound(
                f"no index loaded from {self.settings.index_dir}/: run `rag build seeds/`")
        return self._snap

    def warm_up(self) -> None:
        """Run each stage once (model, jieba and its POS tagger, OpenCC, the scorer's caches) so that the
        first user's question is as fast as the rest."""
        for q in ("哈薩克斯坦的首都是哪裡？", "Who is the president?"):
            try:
                if self._snap is not None and len(self._snap):
                    self.ask(q)
                else:
                    self.embedder.encode_queries([q])
            except Exception:  # the service still starts: the same error will reach the user, with its status
                log.warning("warm-up question failed", exc_info=True)

    # -- reading ------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[dict[str, object]]:
        """Ranked passages with their article's metadata, both from one snapshot (a concurrent delete
        cannot strip a hit of its title)."""
        self.check_question(query)
        snap = self.snapshot
        hits = Retriever(snap, self.embedder, self.settings).search(query, self._k(k), filters)
        return [h.to_dict(snap.articles.get(h.chunk.doc_id)) for h in hits]

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None,
                 history: Sequence[str] = (), query: str | None = None) -> Retrieval:
        """First half of answering: pin one snapshot, condense the follow-up, retrieve passages.

        `query` overrides the condensed search query (an LLM may have rewritten the follow-up)."""
        self.check_question(question)
        self.check_history(history)
        snap = self.snapshot  # one snapshot for the whole request, even if a write lands meanwhile
        query = query.strip() if query and query.strip() else standalone_question(
            question, history, self.settings.max_question_chars)
        query = query[:self.settings.max_question_chars]  # an LLM's rewrite is capped like a question
        cands = Retriever(snap, self.embedder, self.settings).candidates(query, self._k(k), filters)
        return Retrieval(snap, question, query, cands)

    def compose(self, r: Retrieval) -> Answer:
        """Second half: the extractive answer over what was retrieved."""
        ans = self.extractive.answer(r.snapshot, r.question, r.candidates)
        ans.search_query = r.query
        return ans

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            history: Sequence[str] = ()) -> Answer:
        """Answer a question (optionally a follow-up to earlier user questions) with citations."""
        return self.compose(self.retrieve(question, k, filters, history))

    def passages(self, r: Retrieval) -> list[dict[str, object]]:
        return [h.to_dict(r.snapshot.articles.get(h.chunk.doc_id)) for h in r.candidates.hits]

    def _k(self, k: int | None) -> int:
        if k is None:
            return self.settings.top_k
        if not 1 <= k <= 50:
            raise InputError(f"top_k must be between 1 and 50 (got {k})")
        return k

    def check_question(self, q: str) -> None:
        """Reject an empty or over-long question (InputError); the API calls this before streaming."""
        if not isinstance(q, str) or not q.strip():
            raise InputError("the question is empty: type a question")
        try:
            q.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("the question holds a character that is not valid Unicode text (a lone surrogate): "
                             "send it as UTF-8") from None
        self._check_length(q, "the question")

    def _check_length(self, text: str, what: str) -> None:
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise InputError(f"{what} is {len(text)} characters long; the limit is {limit} (RAG_MAX_QUESTION_CHARS)")

    def check_history(self, history: Sequence[str]) -> None:
        """Reject a chat history with an over-long message or too much text in all (InputError): the
        question limit must not be bypassed through earlier turns, which feed the search query."""
        s = self.settings
        for i, h in enumerate(history, 1):
            if isinstance(h, str):
                self._check_length(h, f"earlier message {i} of the conversation")
        total = sum(len(h) for h in history if isinstance(h, str))
        if total > s.max_history_chars:
            raise InputError(f"the earlier messages hold {total} characters; the limit is {s.max_history_chars} "
                             "(RAG_MAX_HISTORY_CHARS): start a new conversation or drop old turns")

    # -- writing ------------------------------------------------------------------------------

    def _apply(self, change: Callable[[dict[str, Article]], Iterable[Article]], progress: bool = False) -> BuildReport:
        """Apply `change` (current articles -> new articles) to the index on disk, under the writers' lock.

        If another process (a `rag build`) wrote since this engine last loaded or wrote, its generation is
        loaded first, so that this write lands on top of it instead of silently undoing it."""
        s = self.settings
        with self._write_lock, store.write_lock(s.index_dir):
            base = self._snap
            on_disk = store.current_generation(s.index_dir)
            if on_disk is not None and (base is None or base.generation != on_disk):
                log.info("the index changed on disk since it was loaded; writing on top of the new one",
                         extra={"loaded": base.generation if base else None, "on_disk": on_disk})
                base = store.try_load(s.index_dir, s, self.embedder.name, self.embedder.dim) or base
            articles = list(change(dict(base.articles) if base is not None else {}))
            snap, report = store.build_snapshot(articles, self.embedder, s, previous=base, progress=progress)
            store.save(snap, s.index_dir, locked=True)
            self._snap = snap
        log.info("index updated", extra={"report": report.to_dict()})
        return report

    def upsert(self, articles: Iterable[Article]) -> BuildReport:
        """Add or replace articles; unchanged ones are left as they are (idempotent)."""
        new = list(articles)

        def change(current: dict[str, Article]) -> Iterable[Article]:
            current.update((a.id, a) for a in new)
            return current.values()

        return self._apply(change)

    def delete(self, doc_id: str) -> BuildReport:
        def change(current: dict[str, Article]) -> Iterable[Article]:
            if current.pop(doc_id, None) is None:
                raise NotFound(f"no article with id {doc_id!r}")
            return current.values()

        return self._apply(change)

    def rebuild(self, paths: Sequence[Path], progress: bool = False) -> BuildReport:
        """Make the index hold exactly the articles under `paths` (changed ones are re-embedded)."""
        articles, problems = load_paths(paths)
        report = self._apply(lambda _: articles, progress=progress)
        report.problems = [str(p) for p in problems]
        return report


def build(settings: Settings, paths: Sequence[Path], embedder: Embedder | None = None,
          progress: bool = False) -> tuple[BuildReport, list[SourceProblem]]:
    """`rag build`: (re)build the index under settings.index_dir from article files."""
    emb = embedder or load_embedder(settings, progress=progress)
    previous = store.try_load(settings.index_dir, settings, emb.name, emb.dim)
    engine = Engine(settings, emb, previous)
    articles, problems = load_paths(paths)
    report = engine._apply(lambda _: articles, progress=progress)
    report.problems = [str(p) for p in problems]
    return report, problems
