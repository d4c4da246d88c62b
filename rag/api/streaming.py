"""Answer events for streaming clients: retrieval, delta, citation, done, error (SSE framing here too).

With an LLM configured (rag.llm), one more event can occur: `reset` {"reason"} means the LLM failed
after text was sent; the client discards the deltas and citations received so far, and the
extractive answer follows as fresh deltas, ending in a `done` whose answer carries `degraded`."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from rag.answerer import Event, answer_pieces
from rag.api.errors import status_for
from rag.api.metrics import observe_answer
from rag.api.middleware import request_id
from rag.engine import Engine
from rag.errors import RagError
from rag.retrieval import Filters

log = logging.getLogger("rag.api")

__all__ = ["Event", "answer_events", "answer_pieces", "event_stream", "sse"]


# Proxies and load balancers commonly drop a connection that is idle for 30-60 s; while an answer is slow
# (an LLM thinking), a comment line every PING_S seconds keeps the stream open. Clients ignore comments.
PING_S = 15.0


def sse(event: str | None, data: dict[str, Any] | str) -> str:
    """One server-sent event: `event: name` (if any) and one `data:` line of JSON (or the string as it is)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def event_stream(frames: AsyncIterator[str]) -> StreamingResponse:
    """The SSE response of both chat endpoints: frames as they come, a ping comment while none come, and when
    the client goes away, the answer stops being generated and the disconnect is logged."""

    every = PING_S  # read per response, so that tests can shorten it

    async def body() -> AsyncIterator[str]:
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=16)

        async def produce() -> None:
            try:
                async for frame in frames:
                    await queue.put(frame)
            finally:
                await queue.put(None)

        producer = asyncio.create_task(produce())
        finished = False
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), every)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if frame is None:
                    finished = True
                    break
                yield frame
            await producer  # re-raise what the producer raised, if anything
        finally:
            if not finished:
                producer.cancel()
                log.info("client disconnected mid-stream; stopped answering")

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def answer_events(engine: Engine, question: str, history: Sequence[str] = (), k: int | None = None,
                        filters: Filters | None = None) -> AsyncIterator[Event]:
    """Retrieve, then stream the answer; errors become an `error` event instead of a broken stream."""
    try:
        query = await condensed_query(engine, question, history)
        r = await run_in_threadpool(engine.retrieve, question, k, filters, history, query)
        yield "retrieval", {"passages": engine.passages(r)}
        async for ev in engine_stream(engine, r):
            if ev[0] == "done":
                observe_answer(ev[1])
                if filters is not None and filters.active():  # the answer says which filters it used
                    ev = ("done", dict(ev[1], filters=asdict(filters)))
            yield ev
    except RagError as exc:
        status, code = status_for(exc)
        yield "error", {"message": str(exc), "code": code, "status": status}
    except Exception:  # a stream cannot change its status code any more: say so in-band
        log.exception("answer failed")
        yield "error", {"message": f"internal error while answering; the server log has details (request id "
                                   f"{request_id.get()})", "code": "internal", "status": 500}


async def condensed_query(engine: Engine, question: str, history: Sequence[str]) -> str | None:
    """The answerer's standalone question for a follow-up (an LLM's); None means the non-LLM rule."""
    if not any(h and h.strip() for h in history):
        return None
    try:
        return await engine.answerer.condense(question, history)
    except Exception as exc:  # an LLM failure must not fail the question: fall back to the rule
        log.warning("LLM condensation failed; using the non-LLM method", extra={"reason": str(exc)})
        return None


async def engine_stream(engine: Engine, r: Any) -> AsyncIterator[Event]:
    """The answer's events from the engine's answerer (extractive, or an LLM with extractive fallback)."""
    async for ev in engine.answerer.stream(engine, r):
        yield ev
