"""The LLM answerer: generate a grounded answer from the retrieved passages, stream it, verify it.

Events are the same as the extractive path's (`delta`, `citation`, `done`), plus one:

    reset   {"reason": "..."}   the LLM failed after some text was already sent: discard every
                                `delta` and `citation` received so far; the extractive answer follows.

The extractive answer is the fallback for any LLM failure (timeout, refused connection, HTTP error,
malformed output, a stream cut short): the `done` answer then carries a `degraded` notice saying why.
A question the passages cannot answer gets the not-answerable reply without calling the LLM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool

from rag.answerer import AnswerContext, Event, answer_pieces
from rag.errors import LLMError
from rag.llm.client import LLMClient
from rag.llm.markers import MarkerRewriter, Piece
from rag.llm.prompt import PromptTemplate, format_history, format_passages, prompt_paths, question_text
from rag.llm.verify import Claim, citation_support, verify
from rag.retrieval import Retrieval
from rag.settings import Settings
from rag.store import IndexView
from rag.types import Answer, Citation, Hit, page_of

log = logging.getLogger("rag.llm")
MAX_TOKENS = 1024
_LABEL = re.compile(r"^(standalone question|standalone|question|rewritten question|独立问题|问题)\s*[:：]\s*", re.I)


class LLMAnswerer:
    """Writes answers with an OpenAI-compatible LLM; an `Answerer` for `Engine(answerer=...)` (see rag.api.app)."""

    name = "llm"

    def __init__(self, settings: Settings, client: LLMClient | None = None):
        self.settings = settings
        answer_path, condense_path = prompt_paths(settings.llm_prompt_file)
        self.answer_prompt = PromptTemplate.load(answer_path, ("passages", "question"))
        self.condense_prompt = PromptTemplate.load(condense_path, ("history", "question"))
        self.client = client or LLMClient(settings)
        self.model = self.client.model

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- follow-ups ---------------------------------------------------------------------------

    async def condense(self, question: str, history: Sequence[str]) -> str:
        """The follow-up rewritten as a standalone question. Raises LLMError (callers then use the
        non-LLM method); one attempt only, so a dead LLM does not delay the answer twice."""
        msgs = self.condense_prompt.messages(history=format_history(history), question=question.strip())
        reply = await self.client.complete(msgs, retries=0, temperature=0, max_tokens=128)
        reply = re.sub(r"<think>.*?</think>", "", reply, flags=re.S)
        line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
        line = _LABEL.sub("", line).strip().strip("\"'“”「」").strip()
        if not line or len(line) > self.settings.max_question_chars:
            raise LLMError("the LLM gave no usable standalone question")
        return line

    # -- answers ------------------------------------------------------------------------------

    async def stream(self, engine: AnswerContext, r: Retrieval) -> AsyncIterator[Event]:
        """Answer events for one retrieval (see the module docstring)."""
        # The learned gate is a prior here, not a veto: whenever retrieval found passages the LLM sees them
        # and may say it cannot answer. The gate's confidence is reported with the answer.
        verdict = await run_in_threadpool(engine.extractive.judge, r.snapshot, r.question, r.candidates)
        if not r.candidates.hits:
            ans = await run_in_threadpool(engine.compose, r)
            for ev in answer_pieces(ans):
                yield ev
            yield "done", ans.to_dict()
            return
        hits = r.candidates.hits
        rewriter = MarkerRewriter(len(hits))
        sent = False
        try:
            msgs = self.answer_prompt.messages(passages=format_passages(r.snapshot, hits),
                                               question=question_text(r.question, r.query))
            async for delta in self.client.stream(msgs, temperature=0.1, max_tokens=MAX_TOKENS):
                for ev in self._events(rewriter.feed(delta), r.snapshot, hits, rewriter):
                    sent = True
                    yield ev
            for ev in self._events(rewriter.finish(), r.snapshot, hits, rewriter):
                sent = True
                yield ev
            if not rewriter.text.strip():
                raise LLMError("the LLM returned an empty answer")
            done = await run_in_threadpool(self._final, engine, r, rewriter, verdict.confidence)
        except LLMError as exc:
            reason = str(exc)
        except Exception:  # never a 500: any bug on this path falls back too
            log.exception("LLM answer failed unexpectedly")
            reason = "the LLM answer could not be produced (internal error)"
        else:
            streamed = rewriter.text
            if done["answerable"] and done["answer"] != streamed and done["answer"].startswith(streamed):
                # markers the support check added to an unmarked answer: stream them like the LLM's own
                for piece in _MARKS.findall(done["answer"][len(streamed):]):
                    yield "delta", {"text": piece}
                    c = next((c for c in done["citations"] if f"[{c['n']}]" == piece), None)
                    if c is not None:
                        yield "citation", c
            yield "done", done
            return
        log.warning("LLM answer failed; using the extractive answer", extra={"reason": reason})
        fallback = await run_in_threadpool(engine.compose, r)
        fallback.degraded = f"{reason}; showing the extractive answer instead"
        if sent:
            yield "reset", {"reason": fallback.degraded}
        for ev in answer_pieces(fallback):
            yield ev
        yield "done", fallback.to_dict()

    def _events(self, pieces: list[Piece], snap: IndexView, hits: Sequence[Hit],
                rewriter: MarkerRewriter) -> list[Event]:
        out: list[Event] = []
        for p in pieces:
            out.append(("delta", {"text": p.text}))
            if p.n is not None and p.first:
                out.append(("citation", _citation(p.n, hits[rewriter.passage_of[p.n] - 1], snap).to_dict()))
        return out

    def _final(self, engine: AnswerContext, r: Retrieval, rewriter: MarkerRewriter, confidence: float) -> dict[str, Any]:
        """Verify the finished answer and build the `done` payload.

        Uncited text never goes out as an answer: an answer without markers is a refusal when it says so;
        otherwise it is checked against each passage and cited to those that support it, and failing
        that, the extractive answer replaces it (LLMError, handled by the caller)."""
        snap, hits = r.snapshot, r.candidates.hits
        cited = {n: hits[p - 1] for n, p in rewriter.passage_of.items()}
        passages = engine.passages(r)
        text = rewriter.text
        if not cited and _REFUSAL.search(text):  # the LLM said the passages do not answer the question
            base = engine.extractive.not_answerable(snap, r.question, r.candidates, passages)
            ans = Answer(question=r.question, answer=text, answerable=False, passages=passages,
                         nearest=base.nearest, search_query=r.query, confidence=round(confidence, 4))
            claims: list[Claim] = []
        else:
            if not cited:
                text, cited = self._cite_unmarked(text, hits, snap, engine)
            claims = verify(text, cited, hits, snap, engine.embedder)
            citations = [_citation(n, h, snap, citation_support(claims, n)) for n, h in sorted(cited.items())]
            ans = Answer(question=r.question, answer=text, answerable=True, citations=citations,
                         passages=passages, search_query=r.query, confidence=round(confidence, 4))
        d = ans.to_dict()
        d["llm"] = self.model
        d["verification"] = {"sentences": [c.to_dict() for c in claims],
                             "unsupported": sum(1 for c in claims if c.supported is False),
                             "removed_markers": sorted(set(rewriter.removed))}
        return d

    @staticmethod
    def _cite_unmarked(text: str, hits: Sequence[Hit], snap: IndexView, engine: AnswerContext) -> tuple[str, dict[int, Hit]]:
        """Markers for an answer the LLM wrote without any: the passages that support all of its claims."""
        supporting = []
        for h in hits:
            claims = verify(text, {1: h}, [h], snap, engine.embedder)
            if claims and all(c.supported is not False for c in claims) and any(c.supported for c in claims):
                supporting.append(h)
        if not supporting:
            raise LLMError("the LLM answered without citations and no passage supports its answer")
        cited = {i: h for i, h in enumerate(supporting[:2], 1)}
        return text + "".join(f"[{n}]" for n in cited), cited


_MARKS = re.compile(r"\[\d+\]")
_REFUSAL = re.compile(r"没有提到|未提及|没有提及|未提到|无法回答|无法确定|没有相关|不包含|没有包含|没有找到|沒有提到|未提及|"
                      r"無法回答|not (?:say|mention|contain|state|include)|cannot (?:answer|be answered|find)|"
                      r"can't answer|no information|do(?:es)? not (?:say|mention|contain|state|provide)", re.I)


def _citation(n: int, h: Hit, snap: IndexView, supported: bool | None = None) -> Citation:
    """Marker n's citation: the passage's exact span (quote == article.text[start:end])."""
    ch = h.chunk
    art = snap.articles[ch.doc_id]
    return Citation(n=n, chunk_id=ch.id, doc_id=ch.doc_id, title=art.title, url=art.url, source=art.source,
                    published=art.published, quote=ch.text, start=ch.start, end=ch.end, score=round(h.score, 6),
                    supported=supported, page=page_of(art, ch.start))
