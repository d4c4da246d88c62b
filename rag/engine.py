"""The running service core: one live index snapshot, searched and answered, updated without downtime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag import glossary, newsdesk, store
from rag.answer import ExtractiveAnswerer
from rag.answerer import Answerer
from rag.conversation import standalone_question
from rag.embedding import Embedder, load_embedder
from rag.errors import InputError
from rag.keywords import written
from rag.retrieval import Filters, Retrieval, Retriever
from rag.settings import Settings
from rag.sources import SourceProblem, load_paths
from rag.store import BuildReport, IndexView
from rag.summary import SUMMARY_PASSAGES, is_summary_request, summarize, summary_query
from rag.types import Answer, Article

log = logging.getLogger(__name__)


class Engine:
    """Answers questions over the live snapshot. Writers build a new snapshot and swap it in,
    so readers always see a complete index, before or after a write, never half of one."""

    def __init__(self, settings: Settings, embedder: Embedder, snapshot: IndexView | None = None,
                 answerer: Answerer | None = None):
        self.settings = settings
        self.embedder = embedder
        self._snap = snapshot
        self._write_lock = threading.Lock()
        self._merging = threading.Lock()  # one merge at a time in this process
        self.background_merges = True
        self.store = store.backend(settings)  # where the index lives: the embedded segments, or another engine
        self.extractive = ExtractiveAnswerer(settings, embedder)  # the answer of record, and every fallback
        self.answerer: Answerer = answerer or self.extractive

    # -- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, progress: bool = False) -> Engine:
        """Load the index in settings.index_dir (it must exist and match the model and settings)."""
        emb = embedder or load_embedder(settings, progress=progress)
        return cls(settings, emb, store.backend(settings).load(emb.name, emb.dim))

    @property
    def snapshot(self) -> IndexView:
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
        # "幾多名" is "多少名", "爷爷" is "祖父" to the question readers; an organisation's full name gains its short one
        question = glossary.with_short_names(written(question))
        snap = self.snapshot  # one snapshot for the whole request, even if a write lands meanwhile
        query = query.strip() if query and query.strip() else standalone_question(
            question, history, self.settings.max_question_chars)
        query = query[:self.settings.max_question_chars]  # an LLM's rewrite is capped like a question
        if is_summary_request(question):  # "总结一下…": search the topic, over more passages (rag.summary)
            query, k = summary_query(query, history), k or SUMMARY_PASSAGES
        # a period the question names narrows the dates; timelines and "latest" questions (rag.newsdesk)
        return newsdesk.retrieve(self, snap, question, query, self._k(k), filters)

    def compose(self, r: Retrieval) -> Answer:
        """Second half: the extractive answer over what was retrieved."""
        if is_summary_request(r.question):  # a summary of an article or a topic (rag.summary)
            return summarize(self.extractive, r)
        ans = newsdesk.compose(self, r) or self.extractive.answer(r.snapshot, r.question, r.candidates)
        ans.search_query = r.query
        return newsdesk.annotate(ans, r)  # the question's period, how recent the sources are (rag.newsdesk)

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

    def _apply(self, progress: bool = False, **change: object) -> BuildReport:
        """Commit a write (store.write's upsert/delete/replace) on top of what is on disk, and swap the
        new snapshot in. Another process's write since this engine loaded is kept: the store always
        writes on top of the live manifest, under the writers' lock."""
        with self._write_lock:
            snap, report = self.store.write(self.embedder, base=self._snap, progress=progress,
                                            **change)  # type: ignore[arg-type]
            self._snap = snap
        log.info("index updated", extra={"report": report.to_dict()})
        self.merge_if_due(background=self.background_merges)
        return report

    def upsert(self, articles: Iterable[Article]) -> BuildReport:
        """Add or replace articles; unchanged ones are left as they are (idempotent)."""
        return self._apply(upsert=list(articles))

    def delete(self, doc_id: str) -> BuildReport:
        return self._apply(delete=[doc_id])

    def rebuild(self, paths: Sequence[Path], progress: bool = False) -> BuildReport:
        """Make the index hold exactly the articles under `paths` (changed ones are re-embedded)."""
        articles, problems = load_paths(paths)
        report = self._apply(progress=progress, replace=articles)
        report.problems = [str(p) for p in problems]
        return report

    # -- merging ------------------------------------------------------------------------------

    def merge_if_due(self, background: bool = True) -> None:
        """Fold small segments together when the merge policy says so; in a thread, so that the write
        that triggered it returns at once and readers keep the old segments until the swap."""
        run = self.store.merge_due()
        if run is None or not self._merging.acquire(blocking=False):
            return
        if not background:
            try:
                self._merge(run)
            finally:
                self._merging.release()
            return

        def work() -> None:
            try:
                self._merge(run)
                self.merge_if_due(background=True)  # a merge can make the next one due
            except Exception:
                log.exception("background merge failed; the index is unchanged")
            finally:
                if self._merging.locked():
                    self._merging.release()

        threading.Thread(target=work, name="merge", daemon=True).start()

    def _merge(self, run: tuple[int, int] | None) -> None:
        new = self.store.merge(run, self._snap)
        if new is not None:
            self._adopt(new)

    def compact(self) -> IndexView | None:
        """Merge every segment into one (`rag compact`)."""
        with self._merging:
            new = self.store.merge(None, self._snap)
            if new is not None:
                self._adopt(new)
            return new

    def _adopt(self, merged: IndexView) -> None:
        """Serve the merged index, or (if a write landed after the merge) the live one, sharing segments."""
        with self._write_lock:
            self._snap = self.store.refresh(merged, self._snap)


def build(settings: Settings, paths: Sequence[Path], embedder: Embedder | None = None,
          progress: bool = False) -> tuple[BuildReport, list[SourceProblem]]:
    """`rag build`: (re)build the index under settings.index_dir from article files."""
    emb = embedder or load_embedder(settings, progress=progress)
    engine = Engine(settings, emb, None)
    engine.background_merges = False  # a command runs its merges before it exits
    articles, problems = load_paths(paths)
    report = engine._apply(progress=progress, replace=articles)
    report.problems = [str(p) for p in problems]
    return report, problems
