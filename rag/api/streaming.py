"""Answer events for streaming clients: retrieval, delta, citation, done, error (SSE framing here too).

With an LLM configured (rag.llm), one more event can occur: `reset` {"reason"} means the LLM failed
after text was sent; the client discards the deltas and citations received so far, and the
extractive answer follows as fresh deltas, ending in a `done` whose answer carries `degraded`."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool

from rag.engine import Engine
from rag.errors import RagError
from rag.retrieval import Filters
from rag.types import Answer

log = logging.getLogger("rag.api")
_MARKER = re.compile(r"(\[\d+\])")

Event = tuple[str, dict[str, Any]]


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def answer_pieces(answer: Answer, piece_chars: int = 12) -> list[Event]:
    """The answer as delta events, each citation event right after its first marker."""
    by_n = {c.n: c for c in answer.citations}
    sent: set[int] = set()
    events: list[Event] = []
    for part in _MARKER.split(answer.answer):
        if not part:
            continue
        m = _MARKER.fullmatch(part)
        if m:
            events.append(("delta", {"text": part}))
            n = int(part[1:-1])
            if n in by_n and n not in sent:
                sent.add(n)
                events.append(("citation", by_n[n].to_dict()))
            continue
        for i in range(0, len(part), piece_chars):
            events.append(("delta", {"text": part[i:i + piece_chars]}))
    return events


async def answer_events(engine: Engine, question: str, history: Sequence[str] = (), k: int | None = None,
                        filters: Filters | None = None) -> AsyncIterator[Event]:
    """Retrieve, then stream the answer; errors become an `error` event instead of a broken stream."""
    try:
        query = await condensed_query(engine, question, history)
        r = await run_in_threadpool(engine.retrieve, question, k, filters, history, query)
        yield "retrieval", {"passages": engine.passages(r)}
        async for ev in engine_stream(engine, r):
            yield ev
    except RagError as exc:
        yield "error", {"message": str(exc)}
    except Exception:  # a stream cannot change its status code any more: say so in-band
        log.exception("streaming answer failed")
        yield "error", {"message": "internal error while answering; the server log has details"}


async def condensed_query(engine: Engine, question: str, history: Sequence[str]) -> str | None:
    """With an LLM and earlier turns, the LLM's standalone question; None means the non-LLM method."""
    llm = getattr(engine, "llm", None)
    if llm is None or not any(h and h.strip() for h in history):
        return None
    try:
        return str(await llm.condense(question, history))
    except Exception as exc:  # an LLM failure must not fail the question: fall back to the rule
        log.warning("LLM condensation failed; using the non-LLM method", extra={"reason": str(exc)})
        return None


async def engine_stream(engine: Engine, r: Any) -> AsyncIterator[Event]:
    """The composed answer's events; an LLM answerer (if configured) streams real token deltas."""
    llm = getattr(engine, "llm", None)
    if llm is not None:
        async for ev in llm.stream(engine, r):
            yield ev
        return
    answer = await run_in_threadpool(engine.compose, r)
    for ev in answer_pieces(answer):
        yield ev
    yield "done", answer.to_dict()
